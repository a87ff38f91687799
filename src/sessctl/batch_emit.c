/* batch_emit.c - sessctl batch's ring of lines and its pipelined emit
 * groups (how they are sent and printed: batch.h). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "batch.h"
#include "core/redis/sentinel.h"

/* Tags of the pipeline's replies: emit groups 1, the WAIT after a group
 * (durable writes) 2. (The emit script updates the index and counters
 * itself: layout 3.) */
#define TAG_EMIT 1
#define TAG_WAIT 2

/* Most groups open at once (sessions written to and not yet sent): past
 * it, the oldest open group is sent. */
#define OPEN_MAX 1024
/* Most lines waiting in the ring before the oldest line's group is sent
 * however full it is (bounds memory and how late a result can come). */
#define RING_MAX 65536

/* ---- results ---- */

static void oom_exit(struct batch *b)
{
	fprintf(stderr, "%s batch: out of memory\n", b->a->prog);
	exit(70);
}

int batch_print_rec(struct batch *b, cJSON *rec)
{
	if (cli_out_json(&b->a->out, rec))
		b->stop = 1; /* reader went away: finish quietly */
	cJSON_Delete(rec);
	return 0;
}

cJSON *batch_ok_rec(long line, const char *op, cJSON *result)
{
	cJSON *r = cJSON_CreateObject();

	cJSON_AddBoolToObject(r, "ok", 1);
	cJSON_AddNumberToObject(r, "line", (double)line);
	cJSON_AddStringToObject(r, "op", op);
	cJSON_AddItemToObject(r, "result", result);
	return r;
}

void batch_note_fail(struct batch *b, long line, const struct sess_err *err)
{
	b->failed_lines++;
	/* a bad line is noted when read, an emit's failure when its reply
	 * is printed: keep the earliest line's, not the first noted */
	if (!b->first_fail || line < b->first_fail_line) {
		b->first_fail = sess_err_exit_code(err->cls);
		b->first_fail_line = line;
	}
	if (b->fail_fast)
		b->stop = 1;
}

void batch_free(struct batch *b)
{
	size_t i;

	for (i = 0; i < b->n; i++) /* a fatal error left these */
		if (b->ring[(b->head + i) % b->cap].kind == SLOT_READY)
			cJSON_Delete(b->ring[(b->head + i) % b->cap].rec);
	free(b->ring);
	while (b->all) {
		struct group *g = b->all;
		b->all = g->all_next;
		if (g->reply)
			freeReplyObject(g->reply);
		sess_emit_req_free(&g->req);
		free(g->ev);
		free(g);
	}
	sess_pipe_free(&b->pipe);
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

struct slot *batch_push(struct batch *b)
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

/* The next reply on the pipeline, kept with its group. -1 when the
 * connection failed. */
static int read_reply(struct batch *b)
{
	struct group *g;
	redisReply *r;
	long tag;

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
	if (tag != TAG_EMIT) { /* nothing else is sent */
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
		return batch_print_rec(b, batch_ok_rec(line, "emit", sess_emit_res_json(id, res)));
	fprintf(f, "{\"ok\":true,\"line\":%ld,\"op\":\"emit\",\"result\":{\"id\":\"%s\",\"seq\":%lld,\"duplicate\":%s",
		line, id, res->seq, res->duplicate ? "true" : "false");
	if (!res->duplicate)
		fprintf(f, ",\"timestamp\":%lld,\"state\":\"%s\"", res->timestamp, res->state);
	if (res->checkpoint)
		fprintf(f, ",\"checkpoint\":%lld", res->checkpoint);
	fputs("}}\n", f);
	/* buffered: batch_drain() flushes whenever everything asked is answered */
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
		batch_note_fail(b, g->ev[i].line, &err);
		return batch_print_rec(b, cli_error_record(g->ev[i].line, &err));
	}
	if (g->durable.cls != SESS_OK) {
		/* stored on the primary, maybe not on a replica: never ok */
		sess_err_set(&err, SESS_E_TEMP, "not_durable", "%.300s; %s", g->durable.msg,
			     g->ev[i].has_event_id ?
			     "the event may have been stored: re-run with the same eventId (a duplicate is dropped)" :
			     "the event may have been stored, and it has no eventId: a re-run may store it twice");
		batch_note_fail(b, g->ev[i].line, &err);
		return batch_print_rec(b, cli_error_record(g->ev[i].line, &err));
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
		if (s->kind == SLOT_EMIT && (s->g->state == G_OPEN || s->g->state == G_READY ||
					     s->g->state == G_SENT || s->g->state == G_WAITING))
			return;
		b->head = (b->head + 1) % b->cap;
		b->n--;
		if (s->kind == SLOT_READY) {
			batch_print_rec(b, s->rec);
			continue;
		}
		if (s->g->state == G_REPLIED)
			emit_result(b, s->g, s->i);
		group_done_line(b, s->g);
	}
}

/* Put ready group g on the wire (its EVALSHA, and WAIT in durable
 * mode): the server runs it while we parse the next lines. */
static int send_group(struct batch *b, struct group *g)
{
	int argc = sess_emit_req_argv(&g->req);

	if (argc < 0) {
		sess_err_set(&b->a->err, SESS_E_INTERNAL, NULL, "out of memory");
		return -1;
	}
	/* on the wire at once: a read would send it only when we next wait
	 * on a reply */
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

/* Send ready groups, oldest first, while the pipeline has room; while
 * more than limit emits are ready, wait for room (printing what comes in
 * meanwhile). limit 0: send them all. --fail-fast tripped: drop them
 * instead. Returns 0, or -1 when fatal. */
static int pump(struct batch *b, size_t limit)
{
	struct group *g;

	while ((g = b->ready_head)) {
		if (b->stop) { /* send nothing more */
			b->ready_head = g->next;
			g->next = NULL;
			b->ready_ev -= (size_t)g->nev;
			g->state = G_DROPPED;
			sess_emit_req_free(&g->req);
			continue;
		}
		if (b->inflight && b->inflight + (size_t)g->nev > b->depth) {
			if (b->ready_ev <= limit)
				break;
			if (read_reply(b))
				return -1;
			print_ready(b);
			continue;
		}
		b->ready_head = g->next;
		if (!b->ready_head)
			b->ready_tail = NULL;
		g->next = NULL;
		b->ready_ev -= (size_t)g->nev;
		if (send_group(b, g))
			return -1;
	}
	if (!b->ready_head)
		b->ready_tail = NULL;
	print_ready(b);
	return 0;
}

/* Close open group g: it is one call now, queued behind the ready groups
 * (so a session's calls keep input order) and sent as the pipeline has
 * room. Waits only while more than --ahead emits are ready. */
int batch_send_group(struct batch *b, struct group *g)
{
	group_close(b, g);
	g->state = G_READY;
	g->next = NULL;
	if (b->ready_tail)
		b->ready_tail->next = g;
	else
		b->ready_head = g;
	b->ready_tail = g;
	b->ready_ev += (size_t)g->nev;
	return pump(b, b->ahead);
}

int batch_send_all(struct batch *b)
{
	while (b->open_head)
		if (batch_send_group(b, b->open_head))
			return -1;
	return pump(b, 0);
}

int batch_collect(struct batch *b)
{
	int n;

	while (b->sent_head || b->wait_head) {
		if ((n = sess_pipe_ready(&b->pipe, &b->a->err)) < 0)
			return -1;
		if (!n)
			break;
		if (read_reply(b))
			return -1;
	}
	print_ready(b); /* before sending more: --fail-fast may trip */
	return pump(b, b->ahead);
}

/* Send every open group (oldest first), read every reply in flight and
 * print every line. */
int batch_drain(struct batch *b)
{
	if (batch_send_all(b))
		return -1;
	while (b->sent_head || b->wait_head)
		if (read_reply(b))
			return -1;
	print_ready(b);
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
		if (s->kind == SLOT_EMIT && s->g->state == G_OPEN && batch_send_group(b, s->g))
			return -1;
		if (s->kind == SLOT_EMIT && s->g->state == G_READY && pump(b, 0))
			return -1;
		while (b->n && (s = &b->ring[b->head])->kind == SLOT_EMIT &&
		       (s->g->state == G_SENT || s->g->state == G_WAITING))
			if (read_reply(b))
				return -1;
		print_ready(b);
	}
	return 0;
}


/* Add an emit to its session's open group (opening one, and sending the
 * oldest open group when too many are open); a full group is sent. Its
 * result comes from print_ready(). Returns 0, -1 with err for a bad line,
 * or -2 when fatal. */
int batch_queue_emit(struct batch *b, long line, cJSON *in, const char *id_in,
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
		if (b->nopen >= OPEN_MAX && batch_send_group(b, b->open_head))
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
	s = batch_push(b);
	s->kind = SLOT_EMIT;
	s->g = g;
	s->i = g->nev++;
	g->left++;
	rc = 0;
	if (g->nev >= b->group && batch_send_group(b, g))
		rc = -2;
	else if (b->n >= RING_MAX && make_room(b))
		rc = -2;
	else
		print_ready(b);
done:
	sess_event_free(&ev);
	return rc;
}
