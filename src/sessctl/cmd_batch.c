/* sessctl batch: many operations from JSON lines on stdin, one process,
 * one result line per input line in input order.
 *
 * Emits (the hot path) are grouped and pipelined. A run of consecutive
 * emits to the same session (up to --group) goes in one call of the emit
 * script, which runs them in order as if each were its own call; up to
 * --pipeline emits are in flight on the connection (a core pipeline, which
 * reloads scripts the server lost and re-sends what it refused, in order),
 * and a ring of groups and records keeps the results in input order. The
 * index and stats upkeep is the core's coalescing mode (sess_upkeep): one
 * index update per run of emits to a session, counters every 1000 events,
 * queued on the same pipeline. Any other op first drains the ring,
 * then runs synchronously, so results stay in input order. When the input
 * has nothing more to read right now, what is pending is sent and its
 * results printed, so a slow producer gets its results as it goes. Input is
 * read in chunks: memory is bounded by the ring and the longest line.
 */
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/json.h"
#include "core/keys.h"
#include "core/limits.h"
#include "core/pipe.h"
#include "sessctl.h"

enum slot_kind { SLOT_READY, SLOT_EMIT };

/* Tags of the pipeline's replies: upkeep commands carry 0, emit groups 1. */
#define TAG_EMIT 1

/* One emit of a group: its input line and event type (for the stats). */
struct ev_info {
	long line;
	char type[SESS_TYPE_MAX + 1];
};

struct slot {
	enum slot_kind kind;
	long line;                  /* SLOT_READY */
	cJSON *rec;                 /* SLOT_READY: the record to print */
	char id[SESS_ID_MAX + 1];   /* SLOT_EMIT: the session */
	struct ev_info *ev;         /* SLOT_EMIT: its emits, in order; the */
	int nev, evcap;             /* array stays with the slot for reuse */
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
	struct slot *ring;
	size_t cap, head, n;
	size_t depth, inflight;     /* emits allowed / now in flight */
	int group;                  /* most emits in one script call */
	/* the group being filled: emits to one session not yet sent, and
	 * their lines (pend[i] belongs to event i of req) */
	struct sess_emit_req req;
	char req_id[SESS_ID_MAX + 1];
	struct ev_info *pend;
	int fail_fast, first_fail, stop;
	long ok_lines, failed_lines;
	struct sess_upkeep upkeep;
};

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

/* Double the ring, keeping its order (records of failed lines join it
 * between emits, so it may need more than the emit window); it never
 * overwrites a slot. */
static void grow(struct batch *b)
{
	struct slot *bigger = calloc(b->cap * 2, sizeof *bigger);
	size_t i;

	if (!bigger) {
		fprintf(stderr, "%s batch: out of memory\n", b->a->prog);
		exit(70);
	}
	/* every slot moves, idle ones too: they keep their ev arrays */
	for (i = 0; i < b->cap; i++)
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
	s->kind = SLOT_READY;
	s->line = 0;
	s->rec = NULL;
	s->id[0] = '\0';
	s->nev = 0; /* s->ev stays: the slot reuses it */
	b->n++;
	return s;
}

/* Warn once about failed upkeep: the results stand, the index drifted. */
static void upkeep_failed(struct batch *b, const struct sess_err *err)
{
	static int warned;

	if (!warned++)
		cli_warn(b->a->prog, "index or stats update failed (%s); maintenance repairs the index",
			 err->msg);
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
static int emit_result(struct batch *b, const struct slot *s, int i,
		       const redisReply *r, const struct sess_err *whole)
{
	struct sess_err err;
	struct sess_emit_res res;

	sess_err_clear(&err);
	if (whole->cls)
		err = *whole;
	if (err.cls || sess_emit_parse(&b->a->ctx, r, i, &res, &err)) {
		note_fail(b, &err);
		return print_rec(b, cli_error_record(s->ev[i].line, &err));
	}
	b->ok_lines++;
	if (!res.duplicate &&
	    sess_upkeep_emitted(&b->upkeep, &b->pipe, s->id, s->ev[i].type, res.expiry_ms, &err))
		upkeep_failed(b, &err);
	return print_emit(b, s->id, s->ev[i].line, &res);
}

/* The next emit group's reply: upkeep replies before it are taken and
 * dropped (a failed one is warned about). -1 when the connection failed. */
static int next_emit_reply(struct batch *b, redisReply **r)
{
	struct sess_err err;
	long tag;

	for (;;) {
		if (sess_pipe_next(&b->pipe, r, &tag, &b->a->err))
			return -1;
		if (tag == TAG_EMIT)
			return 0;
		if ((*r)->type == REDIS_REPLY_ERROR) {
			sess_conn_reply_error(&b->a->conn, *r, &err);
			upkeep_failed(b, &err);
		}
		freeReplyObject(*r);
	}
}

/* Take the head slot off the ring: print it, or read its reply. Returns -1
 * on a transport failure (fatal). */
static int pop(struct batch *b)
{
	/* a copy: the slot is free once taken off, and the upkeep that its
	 * results give rise to may reuse it (or grow the ring) meanwhile; its
	 * ev array stays put, as only send_group() reallocates one */
	struct slot cur = b->ring[b->head], *s = &cur;
	redisReply *r;
	struct sess_err none;
	int i;

	b->head = (b->head + 1) % b->cap;
	b->n--;
	if (s->kind == SLOT_READY)
		return print_rec(b, s->rec);
	b->inflight -= (size_t)s->nev;
	if (next_emit_reply(b, &r))
		return -1;
	sess_err_clear(&none);
	for (i = 0; i < s->nev; i++)
		emit_result(b, s, i, r, &none);
	freeReplyObject(r);
	return 0;
}

static int send_group(struct batch *b);

/* Send the group being filled, read every reply in flight, then send the
 * upkeep they gave rise to and read its replies too. */
static int drain(struct batch *b)
{
	struct sess_err err;

	if (send_group(b))
		return -1;
	while (b->n)
		if (pop(b))
			return -1;
	if (sess_upkeep_flush(&b->upkeep, &b->pipe, &err))
		upkeep_failed(b, &err);
	while (sess_pipe_pending(&b->pipe)) {
		redisReply *r;
		if (sess_pipe_next(&b->pipe, &r, NULL, &b->a->err))
			return -1;
		if (r->type == REDIS_REPLY_ERROR) {
			sess_conn_reply_error(&b->a->conn, r, &err);
			upkeep_failed(b, &err);
		}
		freeReplyObject(r);
	}
	/* everything asked so far is answered: let the reader see it */
	if (!b->a->out.closed && fflush(b->a->out.f) == EOF) {
		b->a->out.closed = 1;
		b->stop = 1;
	}
	return 0;
}

static const char *str_field(const cJSON *o, const char *name)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
	return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* Send the group being filled: wait until the pipeline has room for it,
 * append its command and give it a slot. Returns 0, or -1 when fatal. */
static int send_group(struct batch *b)
{
	struct slot *s;
	int argc, n = b->req.n;

	if (!n)
		return 0;
	while (b->inflight && (b->inflight + (size_t)n > b->depth || (b->stop && b->n)))
		if (pop(b))
			return -1;
	if (b->stop) { /* --fail-fast tripped while we waited: send nothing more */
		sess_emit_req_free(&b->req);
		return 0;
	}
	argc = sess_emit_req_argv(&b->req);
	if (argc < 0) {
		sess_emit_req_free(&b->req);
		sess_err_set(&b->a->err, SESS_E_INTERNAL, NULL, "out of memory");
		return -1;
	}
	if (sess_pipe_argv(&b->pipe, SESS_LUA_EMIT, TAG_EMIT, argc, b->req.argv, b->req.lens,
			   &b->a->err)) {
		sess_emit_req_free(&b->req);
		return -1;
	}
	sess_emit_req_free(&b->req);
	s = push(b);
	s->kind = SLOT_EMIT;
	snprintf(s->id, sizeof s->id, "%s", b->req_id);
	if (s->evcap < n) {
		struct ev_info *ev = realloc(s->ev, (size_t)n * sizeof *ev);
		if (!ev) {
			sess_err_set(&b->a->err, SESS_E_INTERNAL, NULL, "out of memory");
			return -1;
		}
		s->ev = ev;
		s->evcap = n;
	}
	memcpy(s->ev, b->pend, (size_t)n * sizeof *s->ev);
	s->nev = n;
	b->inflight += (size_t)n;
	return 0;
}

/* Add an emit to the group being filled (sending that group first if it is
 * for another session or full); its result comes from pop(). Returns 0, -1
 * with err for a bad line, or -2 when fatal. */
static int queue_emit(struct batch *b, long line, cJSON *in, const char *id_in,
		      struct sess_err *err)
{
	struct sess_event ev;
	char id[SESS_ID_MAX + 1];
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
	if (b->req.n && (b->req.n >= b->group || strcmp(b->req_id, id)) && send_group(b)) {
		rc = -2;
		goto done;
	}
	if (b->stop) { /* --fail-fast tripped: send nothing more */
		rc = 0;
		goto done;
	}
	if (!b->req.n) {
		if (sess_emit_req_init(&b->a->ctx, id, &b->req, err))
			goto done;
		snprintf(b->req_id, sizeof b->req_id, "%s", id);
	}
	if (sess_emit_req_add(&b->req, &ev, err)) {
		if (!b->req.n)
			sess_emit_req_free(&b->req);
		goto done;
	}
	b->pend[b->req.n - 1].line = line;
	snprintf(b->pend[b->req.n - 1].type, sizeof b->pend[0].type, "%s", ev.type);
	rc = 0;
	if (b->req.n >= b->group && send_group(b))
		rc = -2;
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
	if (run_sync(b, op, in, id, &out, &err) == 0) {
		b->ok_lines++;
		s = push(b);
		s->kind = SLOT_READY;
		s->rec = ok_rec(line, op, out);
		cJSON_Delete(in);
		return pop(b);
	}
	if (err.cls == SESS_E_UNAVAILABLE) {
		b->a->err = err;
		cJSON_Delete(in);
		return -1;
	}
record:
	cJSON_Delete(in);
	/* the emits pending before this line come first */
	if (send_group(b))
		return -1;
	note_fail(b, &err);
	if (b->n == 0)
		return print_rec(b, cli_error_record(line, &err));
	s = push(b);
	s->kind = SLOT_READY;
	s->line = line;
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
	if (sess_script_load_all(&a->conn, &a->err) || sess_check_layout(&a->ctx, &a->err))
		return cli_app_fail(a);
	sess_pipe_init(&b.pipe, &a->conn);
	sess_upkeep_init(&b.upkeep, &a->cfg);
	/* the ring holds groups of emits, and records of failed lines */
	b.cap = 2 * b.depth + 4;
	b.ring = calloc(b.cap, sizeof *b.ring);
	b.pend = calloc((size_t)b.group, sizeof *b.pend);
	if (!b.ring || !b.pend) {
		free(b.ring);
		free(b.pend);
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
	for (i = 0; i < b.cap; i++)
		free(b.ring[i].ev);
	free(b.ring);
	free(b.pend);
	free(in.buf);
	sess_emit_req_free(&b.req);
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
