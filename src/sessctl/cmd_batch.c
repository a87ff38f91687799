/* sessctl batch: many operations from JSON lines on stdin, one process,
 * one result line per input line in input order. This file is the
 * command: its options, and the lines read and their ops run; emits are
 * grouped and pipelined by batch_emit.c (batch.h tells how). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "batch.h"
#include "core/model/json.h"
#include "core/model/keys.h"
#include "core/redis/sentinel.h"

struct batch_opts {
	long pipeline, group, ahead;
	int fail_fast;
};

static const struct cli_opt batch_o[] = {
	CLI_LONG("pipeline", 0, "N", "emits in flight at once",
		 struct batch_opts, pipeline, 1, 100000),
	CLI_LONG("group", 0, "N", "most emits in one script call, at most --pipeline;\n"
		 "                         1 sends each alone",
		 struct batch_opts, group, 1, 1000),
	CLI_LONG("ahead", 0, "N", "most emits in calls read ahead, waiting for room\n"
		 "                         in the pipeline; 0 waits before reading on",
		 struct batch_opts, ahead, 0, 65536),
	CLI_FLAG("fail-fast", 0, "stop reading at the first failed line", struct batch_opts, fail_fast),
	CLI_END};
static const struct batch_opts batch_d = {256, 64, 16384, 0};

static const char *str_field(const cJSON *o, const char *name)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
	return cJSON_IsString(v) ? v->valuestring : NULL;
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
		rc = batch_queue_emit(b, line, in, id, &err);
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
	if (batch_drain(b)) {
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
		cJSON *rec = batch_ok_rec(line, op, out); /* op lives in in */
		b->ok_lines++;
		cJSON_Delete(in);
		/* batch_drain() printed every earlier line */
		return batch_print_rec(b, rec);
	}
	if (err.cls == SESS_E_UNAVAILABLE) {
		b->a->err = err;
		cJSON_Delete(in);
		return -1;
	}
record:
	cJSON_Delete(in);
	/* --fail-fast: the emits pending before this line still go */
	if (b->fail_fast && batch_send_all(b))
		return -1;
	batch_note_fail(b, line, &err);
	if (b->n == 0)
		return batch_print_rec(b, cli_error_record(line, &err));
	s = batch_push(b);
	s->kind = SLOT_READY;
	s->rec = cli_error_record(line, &err);
	return 0;
}

static int cmd_batch(struct cli_app *a, void *opts, int argc, char **argv)
{
	struct batch_opts *o = opts;
	struct batch b;
	struct reader in;
	char *line;
	size_t len;
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
	b.ahead = (size_t)o->ahead;
	if ((rc = cli_connect(a)))
		return rc;
	b.durable = sess_durable_on(&a->cfg);
	if (sess_script_prepare(&a->conn, &a->err) || sess_check_layout(&a->ctx, &a->err))
		return cli_app_fail(a);
	sess_pipe_init(&b.pipe, &a->conn);
	/* the ring holds lines of emits, and records of failed lines */
	b.cap = 2 * b.depth + 4;
	b.ring = calloc(b.cap, sizeof *b.ring);
	if (!b.ring) {
		return sess_err_set(&a->err, SESS_E_INTERNAL, NULL, "out of memory"), cli_app_fail(a);
	}
	while (!b.stop) {
		/* nothing more to read right now: send what is pending and
		 * print its results before waiting for the producer */
		if (!batch_reader_ready(&in) && batch_drain(&b)) {
			fatal = 1;
			break;
		}
		if ((got = batch_reader_line(&in, &line, &len)) == 2)
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
		/* replies that came meanwhile: take them without waiting, and
		 * send what waits for their room (calls waiting: every 8 lines,
		 * a few microseconds, where a call takes the server hundreds;
		 * else every 64, for the results). A look is a read(2). */
		if ((b.sent_head || b.wait_head) && ++b.ticks >= (b.ready_head ? 8u : 64u)) {
			b.ticks = 0;
			if (batch_collect(&b)) {
				fatal = 1;
				break;
			}
		}
	}
	if (!fatal && batch_drain(&b))
		fatal = 1;
	batch_free(&b);
	free(in.buf);
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

const struct cli_cmd sessctl_cmd_batch = {
	.name = "batch", .synopsis = "< OPS.jsonl",
	.summary = "run many operations from JSON lines on stdin, pipelined",
	.details =
	"Each line is {\"op\":OP, ...} with OP create, join, leave, emit, get,\n"
	"checkpoint, complete, touch or delete, and the fields named as in the\n"
	"seeds (id, agent, ttl, metadata, actor, type, changeInfo,\n"
	"stateTransition, impact, eventId, reason, events). One result line per\n"
	"input line, in order: {\"ok\":true,\"line\":N,\"op\":OP,\"result\":{...}}\n"
	"or {\"ok\":false,\"line\":N,\"error\":{\"code\",\"message\"}}.\n"
	"Emits to one session go in one script call, also when lines to other\n"
	"sessions come between them, run in order exactly as one call each would\n"
	"(they share one timestamp). Which emits share a call depends on the\n"
	"input (its lines and pauses), not on the server's speed; calls wait\n"
	"for room in the pipeline while reading goes on (--ahead). When the\n"
	"input pauses, what is pending is sent and its results printed.\n",
	.opts = batch_o, .opts_size = sizeof(struct batch_opts), .defaults = &batch_d,
	.run = cmd_batch};
