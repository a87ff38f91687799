#include "core/session/emit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/session/tags.h"
#include "core/model/keys.h"
#include "core/redis/reply.h"
#include "core/redis/scripts.h"

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
	struct sess_keys k;

	memset(req, 0, sizeof *req);
	if (sess_key_check_id(id, "session id", err) || sess_keys_for(s, &k, id, err))
		return -1;
	return sess_emit_req_init_keys(s->cfg, id, &k, req, err);
}

int sess_emit_req_init_keys(const struct sess_config *cfg, const char *id,
			    const struct sess_keys *k, struct sess_emit_req *req,
			    struct sess_err *err)
{
	char chan[SESS_KEY_MAX], num[24];
	int i;

	memset(req, 0, sizeof *req);
	if (sess_key_check_id(id, "session id", err))
		return -1;
	/* EVALSHA sha 8 meta events checkpoints eventids history index stats
	 * agents  interval snapshots channel id  (then two per event:
	 * expected seq, body) */
	snprintf(num, sizeof num, "%d", SESS_NKEYS_ALL);
	if (req_str(req, "EVALSHA") || req_str(req, sess_script_sha(SESS_LUA_EMIT)) ||
	    req_str(req, num))
		goto oom;
	for (i = 0; i < SESS_NKEYS_ALL; i++)
		if (req_str(req, k->v[i]))
			goto oom;
	snprintf(num, sizeof num, "%ld", cfg->checkpoint_interval);
	sess_key_channel(chan, cfg->prefix, id);
	if (req_str(req, num) || req_str(req, cfg->failure_snapshots ? "1" : "0") ||
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
	char expect[24] = "";
	char *body = sess_event_encode_body(ev, err);
	int rc, argc = req->argc;
	size_t len = req->len;

	if (!body)
		return -1;
	/* the body says type, actor, transition and event id: the script
	 * reads them from it */
	if (ev->expect_seq >= 0)
		snprintf(expect, sizeof expect, "%ld", ev->expect_seq);
	rc = req_str(req, expect) || req_str(req, body);
	free(body);
	if (rc) { /* both or none: the script counts them */
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
	/* {now, ttl ms, then seq, duplicate, state, checkpoint per event; a
	 * refused event's error in place of its seq} */
	if (r->type != REDIS_REPLY_ARRAY || i < 0 || r->elements < 2 + 4 * ((size_t)i + 1))
		return sess_reply_bad(err, "emit");
	e = r->element[2 + 4 * i];
	if (e->type == REDIS_REPLY_ERROR)
		return sess_script_error(s->conn, e, err);
	if (e->type != REDIS_REPLY_INTEGER || r->element[3 + 4 * i]->type != REDIS_REPLY_INTEGER ||
	    r->element[4 + 4 * i]->type != REDIS_REPLY_STRING ||
	    r->element[5 + 4 * i]->type != REDIS_REPLY_INTEGER)
		return sess_reply_bad(err, "emit");
	res->seq = e->integer;
	res->duplicate = r->element[3 + 4 * i]->integer == 1;
	res->state = r->element[4 + 4 * i]->str;
	res->checkpoint = r->element[5 + 4 * i]->integer;
	res->timestamp = sess_reply_int(r, 0);
	res->expiry_ms = res->timestamp + sess_reply_int(r, 1);
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
	redisReply *r;
	cJSON *o;
	int argc, rc;

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
	return 0;
}
