/* sessctl batch: many operations from JSON lines on stdin, one process,
 * one result line per input line in input order.
 *
 * Emits (the hot path) are grouped and pipelined. Each session being
 * written to has one open group: its emits not yet sent, in input order,
 * up to --group. Lines to many sessions interleaved (what many agents
 * writing at once produce) thus still go many events per call of the emit
 * script, which runs a group in order as if each were its own call. A
 * group is sent when it is full, when too many groups are open (the oldest
 * goes), when its first line is the oldest unprinted one and the ring of
 * lines is at its bound, or when the input pauses. Groups of one session
 * are sent one after another and the pipeline keeps their order (a core
 * pipeline, which reloads scripts the server lost and re-sends what it
 * refused, in order), so every session's emits apply in input order. Up to
 * --pipeline emits are in flight. A ring of line slots keeps each line's
 * place: a line's result is printed once every earlier line's is, from
 * its group's reply. The index and stats upkeep is the core's coalescing
 * mode (sess_upkeep), fed group by group as replies arrive: one index
 * update per group, counters every 1000 events. Any other op first sends
 * and prints everything pending, then runs synchronously. When the input
 * has nothing more to read right now, what is pending is sent and its
 * results printed, so a slow producer gets its results as it goes. Input is
 * read in chunks: memory is bounded by the ring, the open groups and the
 * longest line.
 */
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/model/json.h"
#include "core/model/keys.h"
#include "core/model/limits.h"
#include "core/redis/pipe.h"
#include "core/redis/sentinel.h"
#include "sessctl.h"

/* Tags of the pipeline's replies: upkeep commands carry 0, emit groups 1,
 * the WAIT after a group (durable writes) 2. */
#define TAG_EMIT 1
#define TAG_WAIT 2

/* Most groups open at once (sessions written to and not yet sent): past
 * it, the oldest open group is sent. */
#define OPEN_MAX 1024
/* Most lines waiting in the ring before the oldest line's group is sent
 * however full it is (bounds memory and how late a result can come). */
#define RING_MAX 65536
#define HASH_SIZE 2048 /* open groups by session id; a power of two */

/* One emit of a group: its input line and event type (for the stats). */
struct ev_info {
	long line;
	char type[SESS_TYPE_MAX + 1];
	int has_event_id;           /* a re-run is deduplicated */
};

/* G_WAITING: replied, its WAIT not yet (durable writes) */
enum group_state { G_OPEN, G_SENT, G_WAITING, G_REPLIED, G_DROPPED };

/* The emits to one session that go in one script call. */
struct group {
	enum group_state state;
	char id[SESS_ID_MAX + 1];
	struct sess_emit_req req;   /* G_OPEN: the call being built */
	struct ev_info *ev;         /* its emits, in input order */
	int nev;
	int left;                   /* lines not yet printed */
	redisReply *reply;          /* G_WAITING, G_REPLIED */
	struct sess_err durable;    /* G_REPLIED: its WAIT fell short (cls set) */
	struct group *wnext;        /* G_WAITING: the queue for WAIT replies */
	struct group *hnext;        /* G_OPEN: hash chain */
	struct group *prev, *next;  /* G_OPEN: the open list, oldest first;
				     * G_SENT: the sent queue (next) */
	struct group *free_next;
	struct group *all_next;     /* every group allocated, to free at the end */
};

enum slot_kind { SLOT_READY, SLOT_EMIT };

/* One input line's place in the output. */
struct slot {
	enum slot_kind kind;
	cJSON *rec;                 /* SLOT_READY: the record to print */
	struct group *g;            /* SLOT_EMIT: its group, */
	int i;                      /* and its event there */
};

/* Standard input in chunks, so the batch can tell whether another line can
 * be had without waiting. */
struct reader {
	char *buf;
	size_t cap, start, end;
	size_t clean;   /* bytes after start known to hold no line end */
	int eof, err;
};

/* The next line end in the buffer, or NULL; remembers how far it looked,
 * so a long line arriving in many reads is scanned once. */
static char *reader_nl(struct reader *r)
{
	char *nl = NULL;

	if (r->end > r->start + r->clean)
		nl = memchr(r->buf + r->start + r->clean, '\n', r->end - r->start - r->clean);
	r->clean = nl ? (size_t)(nl - (r->buf + r->start)) : r->end - r->start;
	return nl;
}

struct batch {
	struct cli_app *a;
	struct sess_pipe pipe;
	struct slot *ring;          /* lines not yet printed, in input order */
	size_t cap, head, n;
	size_t depth, inflight;     /* emits allowed / now in flight */
	int group;                  /* most emits in one script call */
	struct group *hash[HASH_SIZE];
	struct group *open_head, *open_tail;
	int nopen;
	struct group *sent_head, *sent_tail; /* replies come in this order */
	struct group *wait_head, *wait_tail; /* and WAIT's after them */
	int durable;                /* WAIT after each group */
	struct group *free_groups, *all;
	int fail_fast, first_fail, stop;
	long ok_lines, failed_lines;
	struct sess_upkeep upkeep;
};

static void oom_exit(struct batch *b)
{
	fprintf(stderr, "%s batch: out of memory\n", b->a->prog);
	exit(70);
}

static int print_rec(struct batch *b, cJSON *rec)
{
	if (cli_out_json(&b->a->out, rec))
		b->stop = 1; /* reader went away: finish quietly */
	cJSON_Delete(rec);
	return 0;
}

static cJSON *ok_rec(long line, const char *op, cJSON *result)
{
	cJSON *r = cJSON_CreateObject();

	cJSON_AddBoolToObject(r, "ok", 1);
	cJSON_AddNumberToObject(r, "line", (double)line);
	cJSON_AddStringToObject(r, "op", op);
	cJSON_AddItemToObject(r, "result", result);
	return r;
}

static void note_fail(struct batch *b, const struct sess_err *err)
{
	b->failed_lines++;
	if (!b->first_fail)
		b->first_fail = sess_err_exit_code(err->cls);
	if (b->fail_fast)
		b->stop = 1;
}

/* ---- the ring of lines ---- */

/* Double the ring, keeping its order. */
static void grow(struct batch *b)
{
	struct slot *bigger = calloc(b->cap * 2, sizeof *bigger);
	size_t i;

	if (!bigger)
		oom_exit(b);
	for (i = 0; i < b->n; i++)
		bigger[i] = b->ring[(b->head + i) % b->cap];
	free(b->ring);
	b->ring = bigger;
	b->head = 0;
	b->cap *= 2;
}

static struct slot *push(struct batch *b)
{
	struct slot *s;

	if (b->n == b->cap)
		grow(b);
	s = &b->ring[(b->head + b->n) % b->cap];
	memset(s, 0, sizeof *s);
	b->n++;
	return s;
}

/* ---- groups ---- */

static unsigned hash_id(const char *id)
{
	uint32_t h = 2166136261u; /* FNV-1a */

	while (*id)
		h = (h ^ (unsigned char)*id++) * 16777619u;
	return h & (HASH_SIZE - 1);
}

static struct group *group_new(struct batch *b, const char *id)
{
	struct group *g = b->free_groups;

	if (g) {
		b->free_groups = g->free_next;
	} else {
		if (!(g = calloc(1, sizeof *g)) || !(g->ev = calloc((size_t)b->group, sizeof *g->ev)))
			oom_exit(b);
		g->all_next = b->all;
		b->all = g;
	}
	g->state = G_OPEN;
	snprintf(g->id, sizeof g->id, "%s", id);
	memset(&g->req, 0, sizeof g->req);
	g->nev = g->left = 0;
	g->reply = NULL;
	g->wnext = NULL;
	sess_err_clear(&g->durable);
	g->hnext = b->hash[hash_id(id)];
	b->hash[hash_id(id)] = g;
	g->next = NULL;
	g->prev = b->open_tail;
	if (b->open_tail)
		b->open_tail->next = g;
	else
		b->open_head = g;
	b->open_tail = g;
	b->nopen++;
	return g;
}

static struct group *group_find(struct batch *b, const char *id)
{
	struct group *g;

	for (g = b->hash[hash_id(id)]; g; g = g->hnext)
		if (!strcmp(g->id, id))
			return g;
	return NULL;
}

/* Take an open group out of the hash and the open list. */
static void group_close(struct batch *b, struct group *g)
{
	struct group **pp = &b->hash[hash_id(g->id)];

	while (*pp != g)
		pp = &(*pp)->hnext;
	*pp = g->hnext;
	if (g->prev)
		g->prev->next = g->next;
	else
		b->open_head = g->next;
	if (g->next)
		g->next->prev = g->prev;
	else
		b->open_tail = g->prev;
	g->prev = g->next = NULL;
	b->nopen--;
}

/* One of g's lines was printed (or dropped); the last one frees it. */
static void group_done_line(struct batch *b, struct group *g)
{
	if (--g->left > 0)
		return;
	if (g->reply)
		freeReplyObject(g->reply);
	g->reply = NULL;
	sess_emit_req_free(&g->req);
	g->free_next = b->free_groups;
	b->free_groups = g;
}

/* Warn once about failed upkeep: the results stand, the index drifted. */
static void upkeep_failed(struct batch *b, const struct sess_err *err)
{
	static int warned;

	if (!warned++)
		cli_warn(b->a->prog, "index or stats update failed (%s); maintenance repairs the index",
			 err->msg);
}

/* Through Sentinel, after a WAIT fell short: 1 with a->err set when the
 * sentinels name another primary than the one we write to (asked at most
 * every 500 ms). */
static int primary_moved(struct batch *b)
{
	static long long last;
	struct sess_endpoint ep;
	struct sess_err e;
	const struct sess_conn *c = &b->a->conn;

	if (!b->a->cfg.sentinels[0] || sess_stream_now_ms() - last < 500)
		return 0;
	last = sess_stream_now_ms();
	if (sess_sentinel_ask(&b->a->cfg, &ep, &e))
		return 0;
	if (ep.port == c->ep.port && !strcmp(ep.host, c->ep.host))
		return 0;
	sess_err_set(&b->a->err, SESS_E_UNAVAILABLE, "failover",
		     "failover: the sentinels name %s:%d as the primary now, not %s; re-run the same input (emits with an eventId are not stored twice)",
		     ep.host, ep.port, c->where);
	return 1;
}

/* The next reply on the pipeline: an upkeep one is dropped (a failed one
 * warned about), an emit group's is kept with the group, whose upkeep is
 * queued. -1 when the connection failed. */
static int read_reply(struct batch *b)
{
	struct sess_err err;
	struct sess_emit_res res;
	struct group *g;
	redisReply *r;
	long tag;
	int i;

	if (sess_pipe_next(&b->pipe, &r, &tag, &b->a->err))
		return -1;
	if (tag == TAG_WAIT) {
		/* the oldest group waiting: its lines may be printed now */
		g = b->wait_head;
		b->wait_head = g->wnext;
		if (!b->wait_head)
			b->wait_tail = NULL;
		g->wnext = NULL;
		sess_durable_check(&b->a->cfg, r, &g->durable);
		g->state = G_REPLIED;
		freeReplyObject(r);
		/* short of replicas through Sentinel: a failover? then stop
		 * here, the lines not printed are for a re-run */
		if (g->durable.cls != SESS_OK && primary_moved(b))
			return -1;
		return 0;
	}
	if (tag != TAG_EMIT) {
		if (r->type == REDIS_REPLY_ERROR) {
			sess_conn_reply_error(&b->a->conn, r, &err);
			upkeep_failed(b, &err);
		}
		freeReplyObject(r);
		return 0;
	}
	g = b->sent_head;
	b->sent_head = g->next;
	if (!b->sent_head)
		b->sent_tail = NULL;
	g->next = NULL;
	g->state = G_REPLIED;
	g->reply = r;
	if (b->durable) {
		g->state = G_WAITING;
		if (b->wait_tail)
			b->wait_tail->wnext = g;
		else
			b->wait_head = g;
		b->wait_tail = g;
	}
	b->inflight -= (size_t)g->nev;
	/* the upkeep in group order: one index update for the group */
	for (i = 0; i < g->nev; i++) {
		sess_err_clear(&err);
		if (sess_emit_parse(&b->a->ctx, r, i, &res, &err) == 0 && !res.duplicate &&
		    sess_upkeep_emitted(&b->upkeep, &b->pipe, g->id, g->ev[i].type, res.expiry_ms, &err))
			upkeep_failed(b, &err);
	}
	return 0;
}

/* The emit result record. Compact output is written directly (the hot
 * path: cJSON formats every number with sprintf and checks it with sscanf);
 * ids are validated and states are plain words, so nothing needs escaping.
 * On a terminal it goes through cJSON for the indented form. */
static int print_emit(struct batch *b, const char *id, long line,
		      const struct sess_emit_res *res)
{
	FILE *f = b->a->out.f;

	if (b->a->out.pretty || b->a->out.closed)
		return print_rec(b, ok_rec(line, "emit", sess_emit_res_json(id, res)));
	fprintf(f, "{\"ok\":true,\"line\":%ld,\"op\":\"emit\",\"result\":{\"id\":\"%s\",\"seq\":%lld,\"duplicate\":%s",
		line, id, res->seq, res->duplicate ? "true" : "false");
	if (!res->duplicate)
		fprintf(f, ",\"timestamp\":%lld,\"state\":\"%s\"", res->timestamp, res->state);
	if (res->checkpoint)
		fprintf(f, ",\"checkpoint\":%lld", res->checkpoint);
	fputs("}}\n", f);
	/* buffered: drain() flushes whenever everything asked is answered */
	if (ferror(f)) {
		b->a->out.closed = 1;
		b->stop = 1;
	}
	return 0;
}

/* One emit's result out of its group's reply. */
static int emit_result(struct batch *b, const struct group *g, int i)
{
	struct sess_err err;
	struct sess_emit_res res;

	sess_err_clear(&err);
	if (sess_emit_parse(&b->a->ctx, g->reply, i, &res, &err)) {
		note_fail(b, &err);
		return print_rec(b, cli_error_record(g->ev[i].line, &err));
	}
	if (g->durable.cls != SESS_OK) {
		/* stored on the primary, maybe not on a replica: never ok */
		sess_err_set(&err, SESS_E_TEMP, "not_durable", "%.300s; %s", g->durable.msg,
			     g->ev[i].has_event_id ?
			     "the event may have been stored: re-run with the same eventId (a duplicate is dropped)" :
			     "the event may have been stored, and it has no eventId: a re-run may store it twice");
		note_fail(b, &err);
		return print_rec(b, cli_error_record(g->ev[i].line, &err));
	}
	b->ok_lines++;
	return print_emit(b, g->id, g->ev[i].line, &res);
}

/* Print the lines at the head of the ring whose results are in. A line of
 * a group never sent (--fail-fast tripped) is dropped. */
static void print_ready(struct batch *b)
{
	while (b->n) {
		struct slot *s = &b->ring[b->head];
		if (s->kind == SLOT_EMIT && (s->g->state == G_OPEN || s->g->state == G_SENT ||
					     s->g->state == G_WAITING))
			return;
		b->head = (b->head + 1) % b->cap;
		b->n--;
		if (s->kind == SLOT_READY) {
			print_rec(b, s->rec);
			continue;
		}
		if (s->g->state == G_REPLIED)
			emit_result(b, s->g, s->i);
		group_done_line(b, s->g);
	}
}

/* Send open group g: wait until the pipeline has room for it (printing
 * what comes in meanwhile), append its command. --fail-fast tripped
 * meanwhile: drop it instead. Returns 0, or -1 when fatal. */
static int send_group(struct batch *b, struct group *g)
{
	int argc;

	group_close(b, g);
	while (b->inflight && b->inflight + (size_t)g->nev > b->depth && !b->stop) {
		if (read_reply(b))
			return -1;
		print_ready(b);
	}
	if (b->stop) { /* send nothing more */
		g->state = G_DROPPED;
		sess_emit_req_free(&g->req);
		print_ready(b);
		return 0;
	}
	argc = sess_emit_req_argv(&g->req);
	if (argc < 0) {
		sess_err_set(&b->a->err, SESS_E_INTERNAL, NULL, "out of memory");
		return -1;
	}
	/* on the wire at once: the server runs this group while we parse the
	 * next (a read would send it only when we next wait on a reply) */
	if (sess_pipe_argv(&b->pipe, SESS_LUA_EMIT, TAG_EMIT, argc, g->req.argv, g->req.lens,
			   &b->a->err))
		return -1;
	if (b->durable) { /* before the group's lines are printed */
		const char *wargv[3];
		char n[24], t[24];
		sess_durable_argv(&b->a->cfg, wargv, n, t);
		if (sess_pipe_argv(&b->pipe, -1, TAG_WAIT, 3, wargv, NULL, &b->a->err))
			return -1;
	}
	if (sess_pipe_send(&b->pipe, &b->a->err))
		return -1;
	sess_emit_req_free(&g->req);
	g->state = G_SENT;
	if (b->sent_tail)
		b->sent_tail->next = g;
	else
		b->sent_head = g;
	b->sent_tail = g;
	b->inflight += (size_t)g->nev;
	return 0;
}

/* Send every open group (oldest first), read every reply in flight and
 * print every line, then send the upkeep they gave rise to and read its
 * replies too. */
static int drain(struct batch *b)
{
	struct sess_err err;

	while (b->open_head)
		if (send_group(b, b->open_head))
			return -1;
	while (b->sent_head || b->wait_head)
		if (read_reply(b))
			return -1;
	print_ready(b);
	if (sess_upkeep_flush(&b->upkeep, &b->pipe, &err))
		upkeep_failed(b, &err);
	while (sess_pipe_pending(&b->pipe))
		if (read_reply(b))
			return -1;
	/* everything asked so far is answered: let the reader see it */
	if (!b->a->out.closed && fflush(b->a->out.f) == EOF) {
		b->a->out.closed = 1;
		b->stop = 1;
	}
	return 0;
}

/* The ring is at its bound: get the oldest line's result (sending its
 * group however full) and print what is ready. */
static int make_room(struct batch *b)
{
	struct slot *s;

	while (b->n >= RING_MAX) {
		s = &b->ring[b->head];
		if (s->kind == SLOT_EMIT && s->g->state == G_OPEN && send_group(b, s->g))
			return -1;
		while (b->n && (s = &b->ring[b->head])->kind == SLOT_EMIT && s->g->state == G_SENT)
			if (read_reply(b))
				return -1;
		print_ready(b);
	}
	return 0;
}

static const char *str_field(const cJSON *o, const char *name)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
	return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* Add an emit to its session's open group (opening one, and sending the
 * oldest open group when too many are open); a full group is sent. Its
 * result comes from print_ready(). Returns 0, -1 with err for a bad line,
 * or -2 when fatal. */
static int queue_emit(struct batch *b, long line, cJSON *in, const char *id_in,
		      struct sess_err *err)
{
	struct sess_event ev;
	char id[SESS_ID_MAX + 1];
	struct group *g;
	struct slot *s;
	int rc = -1;

	sess_event_init(&ev);
	if (sess_key_check_id(id_in, "session id", err))
		goto done;
	/* copy: id_in lives in the "id" item, which goes before parsing */
	snprintf(id, sizeof id, "%s", id_in);
	cJSON_DeleteItemFromObjectCaseSensitive(in, "op");
	cJSON_DeleteItemFromObjectCaseSensitive(in, "id");
	if (sess_event_from_json(&ev, in, err) || sess_event_validate(&ev, err))
		goto done;
	rc = -2;
	if (b->stop) { /* --fail-fast tripped: send nothing more */
		rc = 0;
		goto done;
	}
	if (!(g = group_find(b, id))) {
		if (b->nopen >= OPEN_MAX && send_group(b, b->open_head))
			goto done;
		g = group_new(b, id);
		if (sess_emit_req_init(&b->a->ctx, id, &g->req, err)) {
			group_close(b, g);
			g->left = 1;
			group_done_line(b, g);
			rc = -1;
			goto done;
		}
	}
	if (sess_emit_req_add(&g->req, &ev, err)) {
		rc = -1;
		if (!g->nev) {
			group_close(b, g);
			g->left = 1;
			group_done_line(b, g);
		}
		goto done;
	}
	g->ev[g->nev].line = line;
	g->ev[g->nev].has_event_id = ev.event_id[0] != '\0';
	snprintf(g->ev[g->nev].type, sizeof g->ev[0].type, "%s", ev.type);
	s = push(b);
	s->kind = SLOT_EMIT;
	s->g = g;
	s->i = g->nev++;
	g->left++;
	rc = 0;
	if (g->nev >= b->group && send_group(b, g))
		rc = -2;
	else if (b->n >= RING_MAX && make_room(b))
		rc = -2;
	else
		print_ready(b);
done:
	sess_event_free(&ev);
	return rc;
}

/* "ttl", when the line has one: in the range --ttl takes. */
static int get_ttl(const cJSON *in, long *out, struct sess_err *err)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(in, "ttl");

	return v ? sess_json_long(v, SESS_TTL_MIN, SESS_TTL_MAX, "\"ttl\" (seconds)", out, err) : 0;
}

/* A true/false field (absent: false). */
static int get_bool(const cJSON *in, const char *name, int *out, struct sess_err *err)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(in, name);

	*out = 0;
	if (!v)
		return 0;
	if (!cJSON_IsBool(v))
		return sess_err_set(err, SESS_E_DATA, "bad_input",
				    "\"%s\" must be true or false", name);
	*out = cJSON_IsTrue(v);
	return 0;
}

/* A string field (absent: NULL); another type is refused. */
static int get_str(const cJSON *in, const char *name, const char **out, struct sess_err *err)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(in, name);

	*out = NULL;
	if (!v)
		return 0;
	if (!cJSON_IsString(v))
		return sess_err_set(err, SESS_E_DATA, "bad_input", "\"%s\" must be a string", name);
	*out = v->valuestring;
	return 0;
}

/* Run a non-emit op synchronously. */
static int run_sync(struct batch *b, const char *op, cJSON *in, const char *id,
		    cJSON **out, struct sess_err *err)
{
	static const char *const ops[] = {"create", "join", "leave", "get", "checkpoint",
					  "complete", "delete", "touch", NULL};
	struct sess_ctx *c = &b->a->ctx;
	const char *agent, *reason;
	long ttl = 0;
	int i, events;

	for (i = 0; ops[i] && strcmp(ops[i], op); i++)
		;
	if (!ops[i])
		return sess_err_set(err, SESS_E_DATA, "bad_op",
				    "unknown op \"%.30s\"; ops are create, join, leave, emit, get, checkpoint, complete, touch, delete",
				    op);
	if (get_str(in, "agent", &agent, err) || get_str(in, "reason", &reason, err) ||
	    get_ttl(in, &ttl, err) || get_bool(in, "events", &events, err))
		return -1;

	if (!strcmp(op, "create")) {
		const cJSON *m = cJSON_GetObjectItemCaseSensitive(in, "metadata");
		char *mt = NULL;
		int rc;
		if (!agent)
			return sess_err_set(err, SESS_E_DATA, "bad_input", "create needs \"agent\"");
		if (m && !cJSON_IsObject(m))
			return sess_err_set(err, SESS_E_DATA, "bad_json", "\"metadata\" must be a JSON object");
		mt = m ? cJSON_PrintUnformatted(m) : NULL;
		rc = sess_create(c, id, agent, ttl, mt, out, err);
		cJSON_free(mt);
		return rc;
	}
	if (!id)
		return sess_err_set(err, SESS_E_DATA, "bad_input", "%s needs \"id\" (the session id)", op);
	if (!strcmp(op, "join") || !strcmp(op, "leave")) {
		if (!agent)
			return sess_err_set(err, SESS_E_DATA, "bad_input", "%s needs \"agent\"", op);
		return op[0] == 'j' ? sess_join(c, id, agent, out, err) : sess_leave(c, id, agent, out, err);
	}
	if (!strcmp(op, "get"))
		return sess_get(c, id, events, out, err);
	if (!strcmp(op, "checkpoint"))
		return sess_checkpoint(c, id, reason ? reason : "manual", out, err);
	if (!strcmp(op, "complete"))
		return sess_complete(c, id, out, err);
	if (!strcmp(op, "delete"))
		return sess_delete(c, id, out, err);
	return sess_touch(c, id, ttl, out, err);
}

/* One input line. Returns 0, or -1 on a fatal transport error. */
static int handle(struct batch *b, long line, const char *text, size_t len)
{
	struct sess_err err;
	cJSON *in = NULL, *out = NULL;
	const char *op, *id;
	struct slot *s;
	int rc;

	sess_err_clear(&err);
	if (strlen(text) != len) {
		sess_err_set(&err, SESS_E_DATA, "bad_json", "the line has a NUL byte; JSON text has none");
		goto record;
	}
	in = sess_json_parse_err(text, NULL, NULL, &err);
	if (in && !cJSON_IsObject(in))
		sess_err_set(&err, SESS_E_DATA, "bad_json", "a line must be a JSON object");
	if (!in || !cJSON_IsObject(in))
		goto record;
	op = str_field(in, "op");
	id = str_field(in, "id");
	if (!op) {
		sess_err_set(&err, SESS_E_DATA, "bad_input", "the line has no \"op\"");
		goto record;
	}
	if (!strcmp(op, "emit")) {
		if (!id) {
			sess_err_set(&err, SESS_E_DATA, "bad_input", "emit needs \"id\" (the session id)");
			goto record;
		}
		rc = queue_emit(b, line, in, id, &err);
		if (rc == -2) {
			cJSON_Delete(in);
			return -1;
		}
		if (rc == 0) {
			cJSON_Delete(in);
			return 0;
		}
		goto record;
	}
	if (drain(b)) {
		cJSON_Delete(in);
		return -1;
	}
	if (b->stop) { /* --fail-fast tripped on an emit before this line */
		cJSON_Delete(in);
		return 0;
	}
	rc = run_sync(b, op, in, id, &out, &err);
	if (rc == 0 && strcmp(op, "get") && sess_durable_wait(&b->a->conn, &err)) {
		cJSON_Delete(out);
		out = NULL;
		rc = -1;
		if (!strcmp(err.kind, "not_durable"))
			sess_err_set(&err, SESS_E_TEMP, "not_durable", "%.300s; %s", err.msg,
				     SESSCTL_HINT_WRITE);
	}
	if (rc == 0) {
		cJSON *rec = ok_rec(line, op, out); /* op lives in in */
		b->ok_lines++;
		cJSON_Delete(in);
		/* drain() printed every earlier line */
		return print_rec(b, rec);
	}
	if (err.cls == SESS_E_UNAVAILABLE) {
		b->a->err = err;
		cJSON_Delete(in);
		return -1;
	}
record:
	cJSON_Delete(in);
	/* --fail-fast: the emits pending before this line still go */
	while (b->fail_fast && b->open_head)
		if (send_group(b, b->open_head))
			return -1;
	note_fail(b, &err);
	if (b->n == 0)
		return print_rec(b, cli_error_record(line, &err));
	s = push(b);
	s->kind = SLOT_READY;
	s->rec = cli_error_record(line, &err);
	return 0;
}

/* 1 if the next line can be had without waiting: a whole line is
 * buffered, or stdin has data or an end to report right now. */
static int reader_ready(struct reader *r)
{
	struct pollfd p = {STDIN_FILENO, POLLIN, 0};

	if (r->eof || r->err || reader_nl(r))
		return 1;
	return poll(&p, 1, 0) != 0;
}

/* The next line, NUL-terminated in place without its line end; *len its
 * length. Returns 1, 0 at the end of input, -1 on a read error, or 2 when
 * one read brought no whole line (ask reader_ready before calling again:
 * the rest of the line may be slow to come). */
static int reader_line(struct reader *r, char **line, size_t *len)
{
	char *nl;
	ssize_t got;
	int did_read = 0;

	for (;;) {
		nl = reader_nl(r);
		if (nl || (r->eof && r->end > r->start)) {
			char *l = r->buf + r->start;
			size_t n = nl ? (size_t)(nl - l) : r->end - r->start;
			r->start += n + (nl != NULL);
			r->clean = 0;
			l[n] = '\0'; /* the buffer always has a byte to spare */
			if (n && l[n - 1] == '\r')
				l[--n] = '\0';
			*line = l;
			*len = n;
			return 1;
		}
		if (r->eof)
			return 0;
		if (r->err)
			return -1;
		if (did_read)
			return 2;
		/* keep the partial line, make room, read more */
		if (r->start) {
			memmove(r->buf, r->buf + r->start, r->end - r->start);
			r->end -= r->start;
			r->start = 0;
		}
		if (r->cap - r->end < 4096 + 1) {
			size_t cap = r->cap ? 2 * r->cap : 65536;
			char *buf = realloc(r->buf, cap);
			if (!buf) {
				errno = ENOMEM;
				r->err = 1;
				return -1;
			}
			r->buf = buf;
			r->cap = cap;
		}
		did_read = 1;
		got = read(STDIN_FILENO, r->buf + r->end, r->cap - r->end - 1);
		if (got > 0)
			r->end += (size_t)got;
		else if (got == 0)
			r->eof = 1;
		else if (errno != EINTR)
			r->err = 1;
	}
}

int cmd_batch(struct cli_app *a, void *opts, int argc, char **argv)
{
	struct batch_opts *o = opts;
	struct batch b;
	struct reader in;
	char *line;
	size_t len, i;
	long lineno = 0;
	int rc, got = 0, fatal = 0;

	(void)argc;
	(void)argv;
	memset(&b, 0, sizeof b);
	memset(&in, 0, sizeof in);
	b.a = a;
	b.depth = (size_t)o->pipeline;
	b.group = (int)(o->group > o->pipeline ? o->pipeline : o->group);
	b.fail_fast = o->fail_fast;
	if ((rc = cli_connect(a)))
		return rc;
	b.durable = sess_durable_on(&a->cfg);
	if (sess_script_load_all(&a->conn, &a->err) || sess_check_layout(&a->ctx, &a->err))
		return cli_app_fail(a);
	sess_pipe_init(&b.pipe, &a->conn);
	sess_upkeep_init(&b.upkeep, &a->cfg);
	/* the ring holds lines of emits, and records of failed lines */
	b.cap = 2 * b.depth + 4;
	b.ring = calloc(b.cap, sizeof *b.ring);
	if (!b.ring) {
		return sess_err_set(&a->err, SESS_E_INTERNAL, NULL, "out of memory"), cli_app_fail(a);
	}
	while (!b.stop) {
		/* nothing more to read right now: send what is pending and
		 * print its results before waiting for the producer */
		if (!reader_ready(&in) && drain(&b)) {
			fatal = 1;
			break;
		}
		if ((got = reader_line(&in, &line, &len)) == 2)
			continue;
		if (got != 1)
			break;
		lineno++;
		if (strspn(line, " \t") == len)
			continue; /* blank lines carry no operation */
		if (handle(&b, lineno, line, len)) {
			fatal = 1;
			break;
		}
	}
	if (!fatal && drain(&b))
		fatal = 1;
	for (i = 0; i < b.n; i++) /* a fatal error left these */
		if (b.ring[(b.head + i) % b.cap].kind == SLOT_READY)
			cJSON_Delete(b.ring[(b.head + i) % b.cap].rec);
	free(b.ring);
	while (b.all) {
		struct group *g = b.all;
		b.all = g->all_next;
		if (g->reply)
			freeReplyObject(g->reply);
		sess_emit_req_free(&g->req);
		free(g->ev);
		free(g);
	}
	free(in.buf);
	sess_pipe_free(&b.pipe);
	if (fatal) {
		fprintf(stderr, "%s batch: %s; stopped at input line %ld (%ld lines done, %ld failed); results printed so far are final\n",
			a->prog, a->err.msg, lineno, b.ok_lines, b.failed_lines);
		return sess_err_exit_code(a->err.cls);
	}
	if (got < 0) {
		fprintf(stderr, "%s batch: reading stdin failed: %s\n", a->prog, strerror(errno));
		return 66;
	}
	return b.first_fail;
}
