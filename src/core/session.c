#include "session.h"

#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/time.h>
#include <unistd.h>

#include "json.h"
#include "keys.h"
#include "limits.h"
#include "scripts.h"

#define PAGE 500 /* events and index entries read per round trip */

/* The four keys every session script receives, in script order. */
struct skeys {
	char meta[SESS_KEY_MAX], events[SESS_KEY_MAX], cps[SESS_KEY_MAX],
		dedup[SESS_KEY_MAX];
	const char *v[4];
};

static void skeys_init(struct skeys *k, const struct sess_ctx *s, const char *id)
{
	const char *p = s->cfg->prefix;

	sess_key_meta(k->meta, p, id);
	sess_key_events(k->events, p, id);
	sess_key_checkpoints(k->cps, p, id);
	sess_key_dedup(k->dedup, p, id);
	k->v[0] = k->meta;
	k->v[1] = k->events;
	k->v[2] = k->cps;
	k->v[3] = k->dedup;
}

static long long now_ms(void)
{
	struct timeval tv;

	gettimeofday(&tv, NULL);
	return (long long)tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

int sess_new_id(char *out, struct sess_err *err)
{
	unsigned char b[16];
	long long ms = now_ms();
	int i;

	if (getrandom(b + 6, 10, 0) != 10)
		return sess_err_set(err, SESS_E_INTERNAL, NULL,
				    "cannot read random bytes for a session id: %s", strerror(errno));
	for (i = 0; i < 6; i++)
		b[i] = (unsigned char)(ms >> (8 * (5 - i)));
	b[6] = (unsigned char)(0x70 | (b[6] & 0x0f)); /* version 7 */
	b[8] = (unsigned char)(0x80 | (b[8] & 0x3f)); /* RFC 4122 variant */
	snprintf(out, SESS_NEW_ID_LEN + 1,
		 "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
		 b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9],
		 b[10], b[11], b[12], b[13], b[14], b[15]);
	return 0;
}

/* ---- small reply helpers ---- */

static long long rint_at(const redisReply *r, size_t i)
{
	const redisReply *e;

	if (!r || r->type != REDIS_REPLY_ARRAY || i >= r->elements)
		return 0;
	e = r->element[i];
	if (e->type == REDIS_REPLY_INTEGER)
		return e->integer;
	if (e->type == REDIS_REPLY_STRING)
		return strtoll(e->str, NULL, 10);
	return 0;
}

static const char *rstr_at(const redisReply *r, size_t i)
{
	if (!r || r->type != REDIS_REPLY_ARRAY || i >= r->elements ||
	    r->element[i]->type != REDIS_REPLY_STRING)
		return NULL;
	return r->element[i]->str;
}

static int bad_reply(struct sess_err *err, const char *what)
{
	return sess_err_set(err, SESS_E_INTERNAL, "bad_reply",
			    "unexpected reply from Redis to %s; is this a Redis server?", what);
}

static cJSON *new_obj(struct sess_err *err)
{
	cJSON *o = cJSON_CreateObject();

	if (!o)
		sess_err_set(err, SESS_E_INTERNAL, NULL, "out of memory");
	return o;
}

/* ---- index upkeep: one pipeline after a script succeeded ---- */

struct pipe {
	struct sess_ctx *s;
	int n;
};

static void pipe_add(struct pipe *p, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	if (redisvAppendCommand(p->s->conn->ctx, fmt, ap) == REDIS_OK)
		p->n++;
	va_end(ap);
}

/* Read every queued reply; the first error wins. */
static int pipe_run(struct pipe *p, struct sess_err *err)
{
	int i, rc = 0;

	for (i = 0; i < p->n; i++) {
		redisReply *r;
		if (sess_conn_read(p->s->conn, &r, err))
			return -1;
		if (r->type == REDIS_REPLY_ERROR && rc == 0)
			rc = sess_conn_reply_error(p->s->conn, r, err);
		freeReplyObject(r);
	}
	p->n = 0;
	return rc;
}

static void keybuf_index(char *b, const struct sess_ctx *s) { sess_key_index(b, s->cfg->prefix); }

/* ---- lifecycle ---- */

static int check_ids(const char *id, const char *agent, struct sess_err *err)
{
	if (sess_key_check_id(id, "session id", err))
		return -1;
	if (agent && sess_key_check_id(agent, "agent id", err))
		return -1;
	return 0;
}

static void stamp_expiry(cJSON *o, long long now, long long ttl_ms)
{
	cJSON_AddNumberToObject(o, "expiresAt", (double)(now + ttl_ms));
}

int sess_create(struct sess_ctx *s, const char *id, const char *agent,
		long ttl, const char *metadata_json, cJSON **out,
		struct sess_err *err)
{
	char newid[SESS_NEW_ID_LEN + 1], field[SESS_KEY_MAX], ttlbuf[24];
	char idx[SESS_KEY_MAX], akey[SESS_KEY_MAX], stats[SESS_KEY_MAX], layout[SESS_KEY_MAX];
	char reg[SESS_KEY_MAX + 8];
	struct skeys k;
	cJSON *meta = NULL, *o, *agents;
	char *meta_text = NULL;
	const char *args[4];
	redisReply *r;
	long long now, ttl_ms;
	struct pipe p = {s, 0};

	if (!id || !*id) {
		if (sess_new_id(newid, err))
			return -1;
		id = newid;
	}
	if (check_ids(id, agent, err))
		return -1;
	if (ttl == 0)
		ttl = s->cfg->default_ttl;
	if (sess_check_ttl(ttl, "TTL", err))
		return -1;
	if (metadata_json) {
		meta = sess_json_parse_err(metadata_json, "metadata",
					   "give a JSON object, e.g. '{\"feature\":\"login\"}'", err);
		if (!meta)
			return -1;
		if (!cJSON_IsObject(meta)) {
			cJSON_Delete(meta);
			return sess_err_set(err, SESS_E_DATA, "bad_json",
					    "metadata must be a JSON object, e.g. '{\"feature\":\"login\"}'");
		}
		meta_text = cJSON_PrintUnformatted(meta);
	}
	skeys_init(&k, s, id);
	sess_key_agent_field(field, agent);
	snprintf(ttlbuf, sizeof ttlbuf, "%ld", ttl);
	args[0] = field;
	args[1] = agent;
	args[2] = ttlbuf;
	args[3] = meta_text ? meta_text : "";
	r = sess_script_call(s->conn, SESS_LUA_CREATE, 1, k.v, 4, args, err);
	if (!r) {
		cJSON_free(meta_text);
		cJSON_Delete(meta);
		return -1;
	}
	now = rint_at(r, 0);
	ttl_ms = rint_at(r, 1);
	freeReplyObject(r);
	cJSON_free(meta_text);

	keybuf_index(idx, s);
	sess_key_agent(akey, s->cfg->prefix, agent);
	sess_key_stats(stats, s->cfg->prefix);
	sess_key_layout(layout, s->cfg->prefix);
	snprintf(reg, sizeof reg, "%s:agents", s->cfg->prefix);
	pipe_add(&p, "ZADD %s %lld %s", idx, now + ttl_ms, id);
	pipe_add(&p, "ZADD %s %lld %s", akey, now + ttl_ms, id);
	pipe_add(&p, "ZADD %s %lld %s", reg, now, agent);
	pipe_add(&p, "HINCRBY %s sessions 1", stats);
	pipe_add(&p, "SET %s %s NX", layout, SESS_LAYOUT_VERSION);
	if (pipe_run(&p, err)) {
		cJSON_Delete(meta);
		sess_err_prefix(err, "session %s was created, but its index was not updated (sessctl maintenance repairs it)", id);
		return -1;
	}

	o = new_obj(err);
	if (!o) {
		cJSON_Delete(meta);
		return -1;
	}
	cJSON_AddStringToObject(o, "id", id);
	cJSON_AddStringToObject(o, "state", "working");
	cJSON_AddStringToObject(o, "creator", agent);
	agents = cJSON_AddArrayToObject(o, "agents");
	cJSON_AddItemToArray(agents, cJSON_CreateString(agent));
	cJSON_AddNumberToObject(o, "seq", 0);
	cJSON_AddNumberToObject(o, "created", (double)now);
	cJSON_AddNumberToObject(o, "ttl", (double)ttl);
	stamp_expiry(o, now, ttl_ms);
	if (meta)
		cJSON_AddItemToObject(o, "metadata", meta);
	*out = o;
	return 0;
}

int sess_join(struct sess_ctx *s, const char *id, const char *agent,
	      cJSON **out, struct sess_err *err)
{
	char field[SESS_KEY_MAX], idx[SESS_KEY_MAX], akey[SESS_KEY_MAX], reg[SESS_KEY_MAX + 8];
	struct skeys k;
	const char *args[1];
	redisReply *r;
	long long joined, n, now, ttl_ms;
	struct pipe p = {s, 0};
	cJSON *o;

	if (check_ids(id, agent, err))
		return -1;
	skeys_init(&k, s, id);
	sess_key_agent_field(field, agent);
	args[0] = field;
	r = sess_script_call(s->conn, SESS_LUA_JOIN, 4, k.v, 1, args, err);
	if (!r)
		return -1;
	joined = rint_at(r, 0);
	n = rint_at(r, 1);
	now = rint_at(r, 2);
	ttl_ms = rint_at(r, 3);
	freeReplyObject(r);
	keybuf_index(idx, s);
	sess_key_agent(akey, s->cfg->prefix, agent);
	snprintf(reg, sizeof reg, "%s:agents", s->cfg->prefix);
	pipe_add(&p, "ZADD %s XX %lld %s", idx, now + ttl_ms, id);
	pipe_add(&p, "ZADD %s %lld %s", akey, now + ttl_ms, id);
	pipe_add(&p, "ZADD %s %lld %s", reg, now, agent);
	if (pipe_run(&p, err))
		return -1;
	if (!(o = new_obj(err)))
		return -1;
	cJSON_AddStringToObject(o, "id", id);
	cJSON_AddStringToObject(o, "agent", agent);
	cJSON_AddBoolToObject(o, "joined", joined == 1);
	cJSON_AddNumberToObject(o, "agentCount", (double)n);
	stamp_expiry(o, now, ttl_ms);
	*out = o;
	return 0;
}

int sess_leave(struct sess_ctx *s, const char *id, const char *agent,
	       cJSON **out, struct sess_err *err)
{
	char field[SESS_KEY_MAX], grace[24], idx[SESS_KEY_MAX], akey[SESS_KEY_MAX];
	struct skeys k;
	const char *args[2];
	redisReply *r;
	long long n, now, ttl_ms;
	struct pipe p = {s, 0};
	cJSON *o;

	if (check_ids(id, agent, err))
		return -1;
	skeys_init(&k, s, id);
	sess_key_agent_field(field, agent);
	snprintf(grace, sizeof grace, "%ld", s->cfg->grace_ttl);
	args[0] = field;
	args[1] = grace;
	r = sess_script_call(s->conn, SESS_LUA_LEAVE, 4, k.v, 2, args, err);
	if (!r)
		return -1;
	n = rint_at(r, 0);
	now = rint_at(r, 1);
	ttl_ms = rint_at(r, 2);
	freeReplyObject(r);
	keybuf_index(idx, s);
	sess_key_agent(akey, s->cfg->prefix, agent);
	pipe_add(&p, "ZADD %s XX %lld %s", idx, now + ttl_ms, id);
	pipe_add(&p, "ZREM %s %s", akey, id);
	if (pipe_run(&p, err))
		return -1;
	if (!(o = new_obj(err)))
		return -1;
	cJSON_AddStringToObject(o, "id", id);
	cJSON_AddStringToObject(o, "agent", agent);
	cJSON_AddBoolToObject(o, "left", 1);
	cJSON_AddNumberToObject(o, "agentCount", (double)n);
	cJSON_AddBoolToObject(o, "grace", n <= 0);
	stamp_expiry(o, now, ttl_ms);
	*out = o;
	return 0;
}

int sess_complete(struct sess_ctx *s, const char *id, cJSON **out,
		  struct sess_err *err)
{
	char stats[SESS_KEY_MAX];
	struct skeys k;
	redisReply *r;
	long long done, seq, now;
	struct pipe p = {s, 0};
	cJSON *o;

	if (check_ids(id, NULL, err))
		return -1;
	skeys_init(&k, s, id);
	r = sess_script_call(s->conn, SESS_LUA_COMPLETE, 4, k.v, 0, NULL, err);
	if (!r)
		return -1;
	done = rint_at(r, 0);
	seq = rint_at(r, 1);
	now = rint_at(r, 2);
	freeReplyObject(r);
	if (done) {
		sess_key_stats(stats, s->cfg->prefix);
		pipe_add(&p, "HINCRBY %s completed 1", stats);
		if (pipe_run(&p, err))
			return -1;
	}
	if (!(o = new_obj(err)))
		return -1;
	cJSON_AddStringToObject(o, "id", id);
	cJSON_AddStringToObject(o, "state", "completed");
	cJSON_AddBoolToObject(o, "changed", done == 1);
	cJSON_AddNumberToObject(o, "seq", (double)seq);
	cJSON_AddNumberToObject(o, "updated", (double)now);
	*out = o;
	return 0;
}

int sess_delete(struct sess_ctx *s, const char *id, cJSON **out,
		struct sess_err *err)
{
	char idx[SESS_KEY_MAX], akey[SESS_KEY_MAX], stats[SESS_KEY_MAX];
	struct skeys k;
	redisReply *r;
	struct pipe p = {s, 0};
	cJSON *o, *agents;
	size_t i;

	if (check_ids(id, NULL, err))
		return -1;
	skeys_init(&k, s, id);
	r = sess_script_call(s->conn, SESS_LUA_DELETE, 4, k.v, 0, NULL, err);
	if (!r)
		return -1;
	if (!(o = new_obj(err))) {
		freeReplyObject(r);
		return -1;
	}
	cJSON_AddStringToObject(o, "id", id);
	cJSON_AddBoolToObject(o, "deleted", 1);
	agents = cJSON_AddArrayToObject(o, "agents");
	keybuf_index(idx, s);
	sess_key_stats(stats, s->cfg->prefix);
	pipe_add(&p, "ZREM %s %s", idx, id);
	pipe_add(&p, "HINCRBY %s deleted 1", stats);
	for (i = 0; r->type == REDIS_REPLY_ARRAY && i < r->elements; i++) {
		const char *a = rstr_at(r, i);
		if (!a)
			continue;
		cJSON_AddItemToArray(agents, cJSON_CreateString(a));
		sess_key_agent(akey, s->cfg->prefix, a);
		pipe_add(&p, "ZREM %s %s", akey, id);
	}
	freeReplyObject(r);
	if (pipe_run(&p, err)) {
		cJSON_Delete(o);
		return -1;
	}
	*out = o;
	return 0;
}

int sess_touch(struct sess_ctx *s, const char *id, long ttl, cJSON **out,
	       struct sess_err *err)
{
	char ttlbuf[24], idx[SESS_KEY_MAX];
	struct skeys k;
	const char *args[1];
	redisReply *r;
	long long now, ttl_ms;
	struct pipe p = {s, 0};
	cJSON *o;

	if (check_ids(id, NULL, err))
		return -1;
	if (ttl != 0 && sess_check_ttl(ttl, "TTL", err)) /* 0 keeps it */
		return -1;
	skeys_init(&k, s, id);
	snprintf(ttlbuf, sizeof ttlbuf, "%ld", ttl);
	args[0] = ttlbuf;
	r = sess_script_call(s->conn, SESS_LUA_TOUCH, 4, k.v, 1, args, err);
	if (!r)
		return -1;
	now = rint_at(r, 0);
	ttl_ms = rint_at(r, 1);
	freeReplyObject(r);
	keybuf_index(idx, s);
	pipe_add(&p, "ZADD %s %lld %s", idx, now + ttl_ms, id);
	if (pipe_run(&p, err))
		return -1;
	if (!(o = new_obj(err)))
		return -1;
	cJSON_AddStringToObject(o, "id", id);
	cJSON_AddNumberToObject(o, "ttl", (double)(ttl_ms / 1000));
	stamp_expiry(o, now, ttl_ms);
	*out = o;
	return 0;
}

/* ---- events ---- */

/* Append one argument (len bytes of v) to req's buffer. */
static int req_arg(struct sess_emit_req *req, const char *v, size_t len)
{
	if (req->argc == req->argcap) {
		int cap = req->argcap ? 2 * req->argcap : 32;
		size_t *off = realloc(req->off, (size_t)cap * sizeof *off);
		if (!off)
			return -1;
		req->off = off;
		req->argcap = cap;
	}
	if (req->len + len + 1 > req->cap) {
		size_t cap = req->cap ? 2 * req->cap : 1024;
		char *buf;
		while (cap < req->len + len + 1)
			cap *= 2;
		if (!(buf = realloc(req->buf, cap)))
			return -1;
		req->buf = buf;
		req->cap = cap;
	}
	req->off[req->argc++] = req->len;
	memcpy(req->buf + req->len, v, len);
	req->len += len;
	req->buf[req->len++] = '\0';
	return 0;
}

static int req_str(struct sess_emit_req *req, const char *v)
{
	return req_arg(req, v, strlen(v));
}

static int req_oom(struct sess_err *err)
{
	return sess_err_set(err, SESS_E_INTERNAL, NULL, "out of memory");
}

int sess_emit_req_init(struct sess_ctx *s, const char *id,
		       struct sess_emit_req *req, struct sess_err *err)
{
	struct skeys k;
	char chan[SESS_KEY_MAX], num[24];
	int i;

	memset(req, 0, sizeof *req);
	if (check_ids(id, NULL, err))
		return -1;
	/* EVALSHA sha 4 meta events checkpoints eventids  interval snapshots
	 * channel id  (then six per event) */
	if (req_str(req, "EVALSHA") || req_str(req, sess_script_sha(SESS_LUA_EMIT)) ||
	    req_str(req, "4"))
		goto oom;
	skeys_init(&k, s, id);
	for (i = 0; i < 4; i++)
		if (req_str(req, k.v[i]))
			goto oom;
	snprintf(num, sizeof num, "%ld", s->cfg->checkpoint_interval);
	sess_key_channel(chan, s->cfg->prefix, id);
	if (req_str(req, num) || req_str(req, s->cfg->failure_snapshots ? "1" : "0") ||
	    req_str(req, chan) || req_str(req, id))
		goto oom;
	return 0;
oom:
	sess_emit_req_free(req);
	return req_oom(err);
}

int sess_emit_req_add(struct sess_emit_req *req, const struct sess_event *ev,
		      struct sess_err *err)
{
	char field[SESS_KEY_MAX];
	char *body = sess_event_encode_body(ev, err);
	int rc, argc = req->argc;
	size_t len = req->len;

	if (!body)
		return -1;
	sess_key_agent_field(field, ev->actor);
	rc = req_str(req, field) || req_str(req, ev->type) || req_str(req, ev->from) ||
	     req_str(req, ev->to) || req_str(req, ev->event_id) || req_str(req, body);
	free(body);
	if (rc) { /* all six or none: the script counts them */
		req->argc = argc;
		req->len = len;
		return req_oom(err);
	}
	req->n++;
	return 0;
}

int sess_emit_req_argv(struct sess_emit_req *req)
{
	int i;

	free(req->argv);
	free(req->lens);
	req->argv = malloc((size_t)req->argc * sizeof *req->argv);
	req->lens = malloc((size_t)req->argc * sizeof *req->lens);
	if (!req->argv || !req->lens)
		return -1;
	for (i = 0; i < req->argc; i++) {
		req->argv[i] = req->buf + req->off[i];
		req->lens[i] = (i + 1 < req->argc ? req->off[i + 1] : req->len) - req->off[i] - 1;
	}
	return req->argc;
}

void sess_emit_req_free(struct sess_emit_req *req)
{
	free(req->buf);
	free(req->off);
	free(req->argv);
	free(req->lens);
	memset(req, 0, sizeof *req);
}

int sess_emit_parse(struct sess_ctx *s, const redisReply *r, int i,
		    struct sess_emit_res *res, struct sess_err *err)
{
	const redisReply *e;

	if (r->type == REDIS_REPLY_ERROR)
		return sess_script_error(s->conn, r, err);
	if (r->type != REDIS_REPLY_ARRAY || i < 0 || r->elements < (size_t)i + 3)
		return bad_reply(err, "emit");
	e = r->element[i + 2];
	if (e->type == REDIS_REPLY_ERROR)
		return sess_script_error(s->conn, e, err);
	if (e->type != REDIS_REPLY_ARRAY || e->elements < 4)
		return bad_reply(err, "emit");
	res->seq = rint_at(e, 0);
	res->duplicate = rint_at(e, 1) == 1;
	res->state = rstr_at(e, 2) ? rstr_at(e, 2) : "";
	res->checkpoint = rint_at(e, 3);
	res->timestamp = rint_at(r, 0);
	res->expiry_ms = res->timestamp + rint_at(r, 1);
	return 0;
}

cJSON *sess_emit_res_json(const char *id, const struct sess_emit_res *res)
{
	cJSON *o = cJSON_CreateObject();

	if (!o)
		return NULL;
	cJSON_AddStringToObject(o, "id", id);
	cJSON_AddNumberToObject(o, "seq", (double)res->seq);
	cJSON_AddBoolToObject(o, "duplicate", res->duplicate);
	if (!res->duplicate) {
		cJSON_AddNumberToObject(o, "timestamp", (double)res->timestamp);
		cJSON_AddStringToObject(o, "state", res->state);
	}
	if (res->checkpoint)
		cJSON_AddNumberToObject(o, "checkpoint", (double)res->checkpoint);
	return o;
}

int sess_emit(struct sess_ctx *s, const char *id, const struct sess_event *ev,
	      cJSON **out, struct sess_err *err)
{
	struct sess_emit_req req;
	struct sess_emit_res res;
	char idx[SESS_KEY_MAX], stats[SESS_KEY_MAX];
	redisReply *r;
	cJSON *o;
	int argc, rc;
	struct pipe p = {s, 0};

	if (sess_emit_req_init(s, id, &req, err))
		return -1;
	if (sess_emit_req_add(&req, ev, err)) {
		sess_emit_req_free(&req);
		return -1;
	}
	if ((argc = sess_emit_req_argv(&req)) < 0) {
		sess_emit_req_free(&req);
		return req_oom(err);
	}
	r = sess_script_call_argv(s->conn, SESS_LUA_EMIT, argc, req.argv, req.lens, err);
	sess_emit_req_free(&req);
	if (!r)
		return -1;
	rc = sess_emit_parse(s, r, 0, &res, err);
	o = rc ? NULL : sess_emit_res_json(id, &res); /* res.state points into r */
	freeReplyObject(r);
	if (rc)
		return -1;
	if (!o)
		return req_oom(err);
	*out = o;
	if (!res.duplicate) {
		keybuf_index(idx, s);
		sess_key_stats(stats, s->cfg->prefix);
		pipe_add(&p, "HINCRBY %s events 1", stats);
		pipe_add(&p, "HINCRBY %s type:%s 1", stats, ev->type);
		pipe_add(&p, "ZADD %s XX %lld %s", idx, res.expiry_ms, id);
		if (pipe_run(&p, err)) {
			cJSON_Delete(*out);
			*out = NULL;
			return -1;
		}
	}
	return 0;
}

int sess_events(struct sess_ctx *s, const char *id, long from, long to,
		long limit, sess_each_fn each, void *arg, long *last_seq,
		struct sess_err *err)
{
	char a0[24], a1[24], a2[24];
	struct skeys k;
	const char *args[3] = {a0, a1, a2};
	long emitted = 0, next = from < 1 ? 1 : from;

	if (check_ids(id, NULL, err))
		return -1;
	skeys_init(&k, s, id);
	for (;;) {
		long want = PAGE;
		redisReply *r;
		size_t i, items;
		long long last;
		long base;

		if (limit > 0 && limit - emitted < want)
			want = limit - emitted;
		snprintf(a0, sizeof a0, "%ld", next);
		snprintf(a1, sizeof a1, "%ld", to);
		snprintf(a2, sizeof a2, "%ld", want);
		r = sess_script_call(s->conn, SESS_LUA_EVENTS, 2, k.v, 3, args, err);
		if (!r)
			return -1;
		if (r->type != REDIS_REPLY_ARRAY || r->elements < 2) {
			freeReplyObject(r);
			return bad_reply(err, "events");
		}
		last = rint_at(r, 1);
		base = (long)rint_at(r, 0);
		items = r->elements - 2;
		if (last_seq)
			*last_seq = (long)last;
		for (i = 2; i < r->elements; i++) {
			cJSON *ev = sess_event_decode(r->element[i]->str,
						      r->element[i]->len, id, err);
			int stop;
			if (!ev) {
				freeReplyObject(r);
				return -1;
			}
			stop = each(ev, arg);
			cJSON_Delete(ev);
			if (stop) {
				freeReplyObject(r);
				return 0;
			}
			emitted++;
		}
		freeReplyObject(r);
		if (items == 0)
			return 0;
		if (next <= base)
			next = base + 1;
		next += (long)items;
		if (next > last || (to > 0 && next > to) || (limit > 0 && emitted >= limit))
			return 0;
	}
}

/* ---- reads ---- */

static int layout_ok(const char *v, struct sess_err *err)
{
	if (v && strcmp(v, SESS_LAYOUT_VERSION) != 0)
		return sess_err_set(err, SESS_E_CONFIG, "unknown_layout",
				    "the data has layout version %s, which this sesskit (layout %s) does not know; upgrade sesskit",
				    v, SESS_LAYOUT_VERSION);
	return 0;
}

int sess_check_layout(struct sess_ctx *s, struct sess_err *err)
{
	char key[SESS_KEY_MAX];
	redisReply *r;
	int rc;

	sess_key_layout(key, s->cfg->prefix);
	r = sess_conn_cmdf(s->conn, err, "GET %s", key);
	if (!r)
		return -1;
	rc = layout_ok(r->type == REDIS_REPLY_STRING ? r->str : NULL, err);
	freeReplyObject(r);
	return rc;
}

static void add_num_field(cJSON *o, const char *name, const char *v)
{
	if (v)
		cJSON_AddNumberToObject(o, name, strtod(v, NULL));
}

/* Build the session object from HGETALL of its meta hash. */
static cJSON *meta_to_json(const char *id, const redisReply *h, long long pttl,
			   struct sess_err *err)
{
	cJSON *o = new_obj(err), *agents;
	const char *state = NULL, *v = NULL;
	long long base = 0;
	size_t i;

	if (!o)
		return NULL;
	cJSON_AddStringToObject(o, "id", id);
	agents = cJSON_CreateArray();
	for (i = 0; i + 1 < h->elements; i += 2) {
		const char *f = h->element[i]->str, *val = h->element[i + 1]->str;
		if (!strncmp(f, "agent:", 6)) {
			cJSON *a = cJSON_CreateObject();
			cJSON_AddStringToObject(a, "id", f + 6);
			cJSON_AddNumberToObject(a, "joined", strtod(val, NULL));
			cJSON_AddItemToArray(agents, a);
		} else if (!strcmp(f, "state")) {
			state = val;
		} else if (!strcmp(f, "v")) {
			v = val;
		} else if (!strcmp(f, "base")) {
			base = strtoll(val, NULL, 10);
		}
	}
	if (layout_ok(v, err)) {
		cJSON_Delete(agents);
		cJSON_Delete(o);
		return NULL;
	}
	cJSON_AddStringToObject(o, "state", state ? state : "unknown");
	for (i = 0; i + 1 < h->elements; i += 2) {
		const char *f = h->element[i]->str, *val = h->element[i + 1]->str;
		if (!strcmp(f, "seq") || !strcmp(f, "created") || !strcmp(f, "updated") ||
		    !strcmp(f, "ttl"))
			add_num_field(o, f, val);
		else if (!strcmp(f, "creator"))
			cJSON_AddStringToObject(o, "creator", val);
		else if (!strcmp(f, "cps"))
			add_num_field(o, "checkpoints", val);
	}
	cJSON_AddNumberToObject(o, "firstSeq", (double)(base + 1));
	cJSON_AddItemToObject(o, "agents", agents);
	if (pttl > 0)
		cJSON_AddNumberToObject(o, "expiresIn", (double)pttl);
	for (i = 0; i + 1 < h->elements; i += 2) {
		if (!strcmp(h->element[i]->str, "metadata")) {
			cJSON *m = cJSON_Parse(h->element[i + 1]->str);
			if (m)
				cJSON_AddItemToObject(o, "metadata", m);
		}
	}
	return o;
}

int sess_get(struct sess_ctx *s, const char *id, int with_events,
	     cJSON **out, struct sess_err *err)
{
	struct skeys k;
	redisReply *h = NULL, *t = NULL, *ev = NULL;
	cJSON *o = NULL, *arr;
	size_t i;
	int rc = -1;

	if (check_ids(id, NULL, err))
		return -1;
	skeys_init(&k, s, id);
	/* one round trip: the meta hash, its TTL and (if asked) the log */
	redisAppendCommand(s->conn->ctx, "HGETALL %s", k.meta);
	redisAppendCommand(s->conn->ctx, "PTTL %s", k.meta);
	if (with_events)
		redisAppendCommand(s->conn->ctx, "LRANGE %s 0 -1", k.events);
	if (sess_conn_read(s->conn, &h, err) || sess_conn_read(s->conn, &t, err) ||
	    (with_events && sess_conn_read(s->conn, &ev, err)))
		goto done;
	if (h->type == REDIS_REPLY_ERROR) {
		sess_conn_reply_error(s->conn, h, err);
		goto done;
	}
	if (h->type != REDIS_REPLY_ARRAY) {
		bad_reply(err, "HGETALL");
		goto done;
	}
	if (h->elements == 0) {
		sess_err_set(err, SESS_E_NEGATIVE, "not_found",
			     "session %s not found (it never existed, expired or was deleted); see 'sessctl list'", id);
		goto done;
	}
	o = meta_to_json(id, h, t->type == REDIS_REPLY_INTEGER ? t->integer : -1, err);
	if (!o)
		goto done;
	if (with_events && ev->type == REDIS_REPLY_ARRAY) {
		arr = cJSON_AddArrayToObject(o, "events");
		for (i = 0; i < ev->elements; i++) {
			cJSON *e = sess_event_decode(ev->element[i]->str, ev->element[i]->len, NULL, err);
			if (!e) {
				cJSON_Delete(o);
				o = NULL;
				goto done;
			}
			cJSON_AddItemToArray(arr, e);
		}
	}
	*out = o;
	rc = 0;
done:
	if (h)
		freeReplyObject(h);
	if (t)
		freeReplyObject(t);
	if (ev)
		freeReplyObject(ev);
	return rc;
}

static const char *const list_fields[] = {"v", "state", "created", "updated", "seq", "agents", "creator"};
#define NLIST (sizeof list_fields / sizeof list_fields[0])

/* One page of index entries -> rows (pipelined HMGET of their meta). */
static int list_page(struct sess_ctx *s, const redisReply *ids, long offset,
		     const struct sess_list_opts *o, sess_each_fn each, void *arg,
		     long *emitted, int *stop, struct sess_err *err)
{
	char key[SESS_KEY_MAX];
	size_t i, j;
	int rc = 0;

	for (i = 0; i < ids->elements; i += 2) {
		const char *argv[2 + NLIST];
		sess_key_meta(key, s->cfg->prefix, ids->element[i]->str);
		argv[0] = "HMGET";
		argv[1] = key;
		for (j = 0; j < NLIST; j++)
			argv[2 + j] = list_fields[j];
		if (sess_conn_append(s->conn, 2 + NLIST, argv, NULL, err))
			return -1;
	}
	for (i = 0; i < ids->elements; i += 2) {
		redisReply *r;
		cJSON *row;
		char cur[24];

		if (sess_conn_read(s->conn, &r, err))
			return -1;
		if (rc || *stop || r->type != REDIS_REPLY_ARRAY || !rstr_at(r, 0) ||
		    (o->state && (!rstr_at(r, 1) || strcmp(o->state, rstr_at(r, 1))))) {
			freeReplyObject(r);
			continue;
		}
		if (layout_ok(rstr_at(r, 0), err)) {
			rc = -1;
			freeReplyObject(r);
			continue;
		}
		row = cJSON_CreateObject();
		cJSON_AddStringToObject(row, "id", ids->element[i]->str);
		cJSON_AddStringToObject(row, "state", rstr_at(r, 1) ? rstr_at(r, 1) : "unknown");
		add_num_field(row, "created", rstr_at(r, 2));
		add_num_field(row, "updated", rstr_at(r, 3));
		add_num_field(row, "seq", rstr_at(r, 4));
		add_num_field(row, "agentCount", rstr_at(r, 5));
		if (rstr_at(r, 6))
			cJSON_AddStringToObject(row, "creator", rstr_at(r, 6));
		add_num_field(row, "expiresAt", ids->element[i + 1]->str);
		snprintf(cur, sizeof cur, "%ld", offset + (long)(i / 2) + 1);
		cJSON_AddStringToObject(row, "cursor", cur);
		freeReplyObject(r);
		if (each(row, arg))
			*stop = 1;
		cJSON_Delete(row);
		if (++*emitted >= o->limit && o->limit > 0)
			*stop = 1;
	}
	return rc;
}

int sess_list(struct sess_ctx *s, const struct sess_list_opts *o,
	      sess_each_fn each, void *arg, struct sess_err *err)
{
	char key[SESS_KEY_MAX], start[24], stop_s[24];
	long offset = o->cursor > 0 ? o->cursor : 0, emitted = 0;
	int stop = 0;

	if (o->agent) {
		if (sess_key_check_id(o->agent, "agent id", err))
			return -1;
		sess_key_agent(key, s->cfg->prefix, o->agent);
	} else {
		keybuf_index(key, s);
	}
	if (o->state && !sess_state_valid(o->state))
		return sess_err_set(err, SESS_E_USAGE, "bad_state",
				    "--state must be working, broken or completed");
	if (sess_check_layout(s, err))
		return -1;
	while (!stop) {
		redisReply *ids;
		const char *argv[5];
		snprintf(start, sizeof start, "%ld", offset);
		snprintf(stop_s, sizeof stop_s, "%ld", offset + PAGE - 1);
		argv[0] = "ZREVRANGE";
		argv[1] = key;
		argv[2] = start;
		argv[3] = stop_s;
		argv[4] = "WITHSCORES";
		ids = sess_conn_cmd(s->conn, err, 5, argv, NULL);
		if (!ids)
			return -1;
		if (ids->type != REDIS_REPLY_ARRAY) {
			freeReplyObject(ids);
			return bad_reply(err, "ZREVRANGE");
		}
		if (ids->elements == 0) {
			freeReplyObject(ids);
			break;
		}
		if (list_page(s, ids, offset, o, each, arg, &emitted, &stop, err)) {
			freeReplyObject(ids);
			return -1;
		}
		offset += (long)(ids->elements / 2);
		if (ids->elements / 2 < PAGE)
			stop = 1;
		freeReplyObject(ids);
	}
	return 0;
}

int sess_index_size(struct sess_ctx *s, long *n, struct sess_err *err)
{
	char idx[SESS_KEY_MAX];
	redisReply *r;

	keybuf_index(idx, s);
	r = sess_conn_cmdf(s->conn, err, "ZCARD %s", idx);
	if (!r)
		return -1;
	*n = r->type == REDIS_REPLY_INTEGER ? (long)r->integer : 0;
	freeReplyObject(r);
	return 0;
}

/* ---- checkpoints ---- */

int sess_checkpoint(struct sess_ctx *s, const char *id, const char *reason,
		    cJSON **out, struct sess_err *err)
{
	struct skeys k;
	const char *args[1];
	redisReply *r;
	cJSON *o;

	if (check_ids(id, NULL, err))
		return -1;
	if (reason && sess_check_reason(reason, "checkpoint reason", err))
		return -1;
	skeys_init(&k, s, id);
	args[0] = reason ? reason : "manual";
	r = sess_script_call(s->conn, SESS_LUA_CHECKPOINT, 4, k.v, 1, args, err);
	if (!r)
		return -1;
	if (!(o = new_obj(err))) {
		freeReplyObject(r);
		return -1;
	}
	cJSON_AddStringToObject(o, "id", id);
	cJSON_AddNumberToObject(o, "checkpoint", (double)rint_at(r, 0));
	cJSON_AddNumberToObject(o, "seq", (double)rint_at(r, 1));
	cJSON_AddNumberToObject(o, "timestamp", (double)rint_at(r, 2));
	cJSON_AddStringToObject(o, "reason", args[0]);
	freeReplyObject(r);
	*out = o;
	return 0;
}

static cJSON *checkpoint_json(const char *id, const char *text, size_t len,
			      struct sess_err *err)
{
	cJSON *cp = cJSON_ParseWithLength(text, len);

	if (!cp || !cJSON_IsObject(cp)) {
		cJSON_Delete(cp);
		sess_err_set(err, SESS_E_DATA, "corrupt_checkpoint",
			     "a stored checkpoint of %s is not valid JSON; run sess-validate", id);
		return NULL;
	}
	cJSON_AddStringToObject(cp, "sessionId", id);
	return cp;
}

/* Checkpoint hash fields are their numbers; list them in that order. */
struct cp_pair {
	long long n;
	const redisReply *body;
};

static int cmp_cp(const void *a, const void *b)
{
	const struct cp_pair *x = a, *y = b;
	return (x->n > y->n) - (x->n < y->n);
}

int sess_checkpoints(struct sess_ctx *s, const char *id, sess_each_fn each,
		     void *arg, struct sess_err *err)
{
	struct skeys k;
	redisReply *ex = NULL, *h = NULL;
	struct cp_pair *pairs = NULL;
	size_t i, n;
	int rc = -1;

	if (check_ids(id, NULL, err))
		return -1;
	skeys_init(&k, s, id);
	redisAppendCommand(s->conn->ctx, "EXISTS %s", k.meta);
	redisAppendCommand(s->conn->ctx, "HGETALL %s", k.cps);
	if (sess_conn_read(s->conn, &ex, err) || sess_conn_read(s->conn, &h, err))
		goto done;
	if (ex->type != REDIS_REPLY_INTEGER || h->type != REDIS_REPLY_ARRAY) {
		bad_reply(err, "HGETALL");
		goto done;
	}
	if (ex->integer == 0) {
		sess_err_set(err, SESS_E_NEGATIVE, "not_found",
			     "session %s not found (it never existed, expired or was deleted)", id);
		goto done;
	}
	n = h->elements / 2;
	pairs = calloc(n ? n : 1, sizeof *pairs);
	if (!pairs) {
		sess_err_set(err, SESS_E_INTERNAL, NULL, "out of memory");
		goto done;
	}
	for (i = 0; i < n; i++) {
		pairs[i].n = strtoll(h->element[2 * i]->str, NULL, 10);
		pairs[i].body = h->element[2 * i + 1];
	}
	qsort(pairs, n, sizeof *pairs, cmp_cp);
	for (i = 0; i < n; i++) {
		cJSON *cp = checkpoint_json(id, pairs[i].body->str, pairs[i].body->len, err);
		int stop;
		if (!cp)
			goto done;
		stop = each(cp, arg);
		cJSON_Delete(cp);
		if (stop)
			break;
	}
	rc = 0;
done:
	free(pairs);
	if (ex)
		freeReplyObject(ex);
	if (h)
		freeReplyObject(h);
	return rc;
}

int sess_checkpoint_show(struct sess_ctx *s, const char *id, long number,
			 cJSON **out, struct sess_err *err)
{
	struct skeys k;
	char num[24];
	redisReply *r;
	cJSON *cp;

	if (check_ids(id, NULL, err))
		return -1;
	skeys_init(&k, s, id);
	snprintf(num, sizeof num, "%ld", number);
	r = sess_conn_cmdf(s->conn, err, "HGET %s %s", k.cps, num);
	if (!r)
		return -1;
	if (r->type != REDIS_REPLY_STRING) {
		freeReplyObject(r);
		return sess_err_set(err, SESS_E_NEGATIVE, "not_found",
				    "session %s has no checkpoint %ld; see 'sessctl checkpoints %s'",
				    id, number, id);
	}
	cp = checkpoint_json(id, r->str, r->len, err);
	freeReplyObject(r);
	if (!cp)
		return -1;
	*out = cp;
	return 0;
}

/* ---- stats and maintenance ---- */

int sess_stats(struct sess_ctx *s, cJSON **out, struct sess_err *err)
{
	char stats[SESS_KEY_MAX], idx[SESS_KEY_MAX], layout[SESS_KEY_MAX], now[24];
	redisReply *h = NULL, *act = NULL, *all = NULL, *lay = NULL;
	cJSON *o = NULL, *types;
	double sessions = 0, events = 0;
	size_t i;
	int rc = -1;

	sess_key_stats(stats, s->cfg->prefix);
	keybuf_index(idx, s);
	sess_key_layout(layout, s->cfg->prefix);
	snprintf(now, sizeof now, "%lld", now_ms());
	redisAppendCommand(s->conn->ctx, "HGETALL %s", stats);
	redisAppendCommand(s->conn->ctx, "ZCOUNT %s %s +inf", idx, now);
	redisAppendCommand(s->conn->ctx, "ZCARD %s", idx);
	redisAppendCommand(s->conn->ctx, "GET %s", layout);
	if (sess_conn_read(s->conn, &h, err) || sess_conn_read(s->conn, &act, err) ||
	    sess_conn_read(s->conn, &all, err) || sess_conn_read(s->conn, &lay, err))
		goto done;
	if (h->type != REDIS_REPLY_ARRAY || act->type != REDIS_REPLY_INTEGER ||
	    all->type != REDIS_REPLY_INTEGER) {
		if (h->type == REDIS_REPLY_ERROR)
			sess_conn_reply_error(s->conn, h, err);
		else
			bad_reply(err, "stats");
		goto done;
	}
	if (layout_ok(lay->type == REDIS_REPLY_STRING ? lay->str : NULL, err))
		goto done;
	if (!(o = new_obj(err)))
		goto done;
	cJSON_AddNumberToObject(o, "activeSessions", (double)act->integer);
	cJSON_AddNumberToObject(o, "indexedSessions", (double)all->integer);
	types = cJSON_CreateObject();
	for (i = 0; i + 1 < h->elements; i += 2) {
		const char *f = h->element[i]->str;
		double v = strtod(h->element[i + 1]->str, NULL);
		if (!strncmp(f, "type:", 5))
			cJSON_AddNumberToObject(types, f + 5, v);
		else if (!strcmp(f, "sessions"))
			sessions = v;
		else if (!strcmp(f, "events"))
			events = v;
		else if (!strcmp(f, "completed"))
			cJSON_AddNumberToObject(o, "completedSessions", v);
		else if (!strcmp(f, "deleted"))
			cJSON_AddNumberToObject(o, "deletedSessions", v);
	}
	cJSON_AddNumberToObject(o, "totalSessions", sessions);
	cJSON_AddNumberToObject(o, "totalEvents", events);
	cJSON_AddNumberToObject(o, "averageEventsPerSession",
				sessions > 0 ? (double)(long long)(events / sessions * 100 + 0.5) / 100 : 0);
	cJSON_AddItemToObject(o, "eventsByType", types);
	*out = o;
	rc = 0;
done:
	if (h) freeReplyObject(h);
	if (act) freeReplyObject(act);
	if (all) freeReplyObject(all);
	if (lay) freeReplyObject(lay);
	return rc;
}

/* Prune one sorted-set index whose scores are expiry times: entries past
 * their expiry whose session is gone are removed; entries whose session
 * still lives (the index drifted) get their real expiry back. */
static int prune_index(struct sess_ctx *s, const char *key, int dry,
		       long *pruned, long *rescored, struct sess_err *err)
{
	char now[24], batch[24], mk[SESS_KEY_MAX];
	long long t = now_ms();
	long offset = 0;

	snprintf(now, sizeof now, "(%lld", t);
	snprintf(batch, sizeof batch, "%ld", s->cfg->cleanup_batch);
	for (;;) {
		char off[24];
		redisReply *ids;
		size_t i;
		struct pipe p = {s, 0};

		snprintf(off, sizeof off, "%ld", offset);
		ids = sess_conn_cmdf(s->conn, err, "ZRANGEBYSCORE %s -inf %s LIMIT %s %s",
				     key, now, off, batch);
		if (!ids)
			return -1;
		if (ids->type != REDIS_REPLY_ARRAY || ids->elements == 0) {
			freeReplyObject(ids);
			return 0;
		}
		for (i = 0; i < ids->elements; i++) {
			sess_key_meta(mk, s->cfg->prefix, ids->element[i]->str);
			redisAppendCommand(s->conn->ctx, "PTTL %s", mk);
		}
		for (i = 0; i < ids->elements; i++) {
			redisReply *r;
			if (sess_conn_read(s->conn, &r, err)) {
				freeReplyObject(ids);
				return -1;
			}
			if (r->type == REDIS_REPLY_INTEGER && r->integer == -2) {
				if (!dry)
					pipe_add(&p, "ZREM %s %s", key, ids->element[i]->str);
				(*pruned)++;
			} else if (r->type == REDIS_REPLY_INTEGER) {
				long long exp = r->integer > 0 ? t + r->integer : 253402300799000LL;
				if (!dry)
					pipe_add(&p, "ZADD %s %lld %s", key, exp, ids->element[i]->str);
				(*rescored)++;
			}
			freeReplyObject(r);
		}
		if (pipe_run(&p, err)) {
			freeReplyObject(ids);
			return -1;
		}
		if (dry || p.n == 0)
			offset += (long)ids->elements;
		freeReplyObject(ids);
	}
}

static int prune_agents(struct sess_ctx *s, int dry, long *pruned,
			long *rescored, long *agents_dropped, struct sess_err *err)
{
	char reg[SESS_KEY_MAX + 8], akey[SESS_KEY_MAX];
	long offset = 0;

	snprintf(reg, sizeof reg, "%s:agents", s->cfg->prefix);
	for (;;) {
		char off[24], stop[24];
		redisReply *agents;
		size_t i;

		snprintf(off, sizeof off, "%ld", offset);
		snprintf(stop, sizeof stop, "%ld", offset + s->cfg->cleanup_batch - 1);
		agents = sess_conn_cmdf(s->conn, err, "ZRANGE %s %s %s", reg, off, stop);
		if (!agents)
			return -1;
		if (agents->type != REDIS_REPLY_ARRAY || agents->elements == 0) {
			freeReplyObject(agents);
			return 0;
		}
		for (i = 0; i < agents->elements; i++) {
			redisReply *n;
			sess_key_agent(akey, s->cfg->prefix, agents->element[i]->str);
			if (prune_index(s, akey, dry, pruned, rescored, err)) {
				freeReplyObject(agents);
				return -1;
			}
			n = sess_conn_cmdf(s->conn, err, "ZCARD %s", akey);
			if (!n) {
				freeReplyObject(agents);
				return -1;
			}
			if (n->type == REDIS_REPLY_INTEGER && n->integer == 0) {
				(*agents_dropped)++;
				if (!dry) {
					redisReply *z = sess_conn_cmdf(s->conn, err, "ZREM %s %s", reg,
								       agents->element[i]->str);
					if (z)
						freeReplyObject(z);
					offset--;
				}
			}
			freeReplyObject(n);
			offset++;
		}
		freeReplyObject(agents);
	}
}

static int trim_all(struct sess_ctx *s, int dry, long *sessions, long *events,
		    long *scanned, struct sess_err *err)
{
	char idx[SESS_KEY_MAX], max[24];
	long offset = 0;

	keybuf_index(idx, s);
	snprintf(max, sizeof max, "%ld", dry ? 0 : s->cfg->max_events);
	if (s->cfg->max_events <= 0)
		return 0;
	/* load once, so NOSCRIPT cannot hit the pipelined batches below */
	if (!dry && sess_script_load_all(s->conn, err))
		return -1;
	for (;;) {
		char off[24], stop[24];
		redisReply *ids;
		size_t i;

		snprintf(off, sizeof off, "%ld", offset);
		snprintf(stop, sizeof stop, "%ld", offset + s->cfg->cleanup_batch - 1);
		ids = sess_conn_cmdf(s->conn, err, "ZRANGE %s %s %s", idx, off, stop);
		if (!ids)
			return -1;
		if (ids->type != REDIS_REPLY_ARRAY || ids->elements == 0) {
			freeReplyObject(ids);
			return 0;
		}
		for (i = 0; i < ids->elements; i++) {
			struct skeys k;
			const char *argv[SESS_SCRIPT_MAXARGS + 3], *args[1];
			size_t lens[SESS_SCRIPT_MAXARGS + 3];
			char nk[8], mk[SESS_KEY_MAX];
			int argc;

			if (dry) {
				sess_key_meta(mk, s->cfg->prefix, ids->element[i]->str);
				redisAppendCommand(s->conn->ctx, "HMGET %s seq base", mk);
				continue;
			}
			skeys_init(&k, s, ids->element[i]->str);
			args[0] = max;
			argc = sess_script_argv(SESS_LUA_TRIM, 3, k.v, 1, args, argv, lens, nk);
			redisAppendCommandArgv(s->conn->ctx, argc, argv, lens);
		}
		for (i = 0; i < ids->elements; i++) {
			redisReply *r;
			if (sess_conn_read(s->conn, &r, err)) {
				freeReplyObject(ids);
				return -1;
			}
			(*scanned)++;
			if (r->type == REDIS_REPLY_ERROR && !(r->str && !strncmp(r->str, "SESSNOTFOUND", 12))) {
				/* a session that expired meanwhile is fine; anything else stops */
				sess_script_error(s->conn, r, err);
				freeReplyObject(r);
				for (i++; i < ids->elements; i++)
					if (sess_conn_read(s->conn, &r, NULL) == 0)
						freeReplyObject(r);
				freeReplyObject(ids);
				return -1;
			}
			if (dry && r->type == REDIS_REPLY_ARRAY && rstr_at(r, 0)) {
				long ex = (long)(rint_at(r, 0) - rint_at(r, 1)) - s->cfg->max_events;
				if (ex > 0) {
					(*sessions)++;
					*events += ex;
				}
			} else if (!dry && r->type == REDIS_REPLY_ARRAY && rint_at(r, 0) > 0) {
				(*sessions)++;
				*events += (long)rint_at(r, 0);
			}
			freeReplyObject(r);
		}
		offset += (long)ids->elements;
		freeReplyObject(ids);
	}
}

int sess_maintenance(struct sess_ctx *s, const struct sess_maint_opts *o,
		     cJSON **report, struct sess_err *err)
{
	char idx[SESS_KEY_MAX];
	long pruned = 0, rescored = 0, apruned = 0, arescored = 0, adropped = 0;
	long tsess = 0, tevents = 0, scanned = 0;
	cJSON *r;

	if (sess_check_layout(s, err))
		return -1;
	keybuf_index(idx, s);
	if (prune_index(s, idx, o->dry_run, &pruned, &rescored, err) ||
	    prune_agents(s, o->dry_run, &apruned, &arescored, &adropped, err))
		return -1;
	if (!o->no_trim && trim_all(s, o->dry_run, &tsess, &tevents, &scanned, err))
		return -1;
	if (!(r = new_obj(err)))
		return -1;
	cJSON_AddBoolToObject(r, "dryRun", o->dry_run);
	cJSON_AddNumberToObject(r, "prunedIndexEntries", (double)pruned);
	cJSON_AddNumberToObject(r, "repairedIndexEntries", (double)rescored);
	cJSON_AddNumberToObject(r, "prunedAgentEntries", (double)apruned);
	cJSON_AddNumberToObject(r, "repairedAgentEntries", (double)arescored);
	cJSON_AddNumberToObject(r, "droppedAgentIndexes", (double)adropped);
	cJSON_AddNumberToObject(r, "scannedSessions", (double)scanned);
	cJSON_AddNumberToObject(r, "trimmedSessions", (double)tsess);
	cJSON_AddNumberToObject(r, "trimmedEvents", (double)tevents);
	cJSON_AddNumberToObject(r, "maxEventsPerSession", (double)s->cfg->max_events);
	cJSON_AddNumberToObject(r, "batchSize", (double)s->cfg->cleanup_batch);
	*report = r;
	return 0;
}
