/* sess-replay save: keep sessions' histories as compressed replays that
 * outlive their TTL (the write: store.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/model/keys.h"
#include "core/redis/reply.h"
#include "sess-replay/saved.h"
#include "core/base/schema.h"
#include "core/session/view.h"
#include "replay.h"

struct save_opts {
	int completed;
	long interval;     /* --block-records */
	long old_interval; /* --interval, its old name: one release */
};

static const struct cli_opt save_o[] = {
	CLI_FLAG("completed", 0, "every completed session not saved yet (for cron)",
		 struct save_opts, completed),
	CLI_LONG("block-records", 0, "N", "records per block; each block starts with a snapshot",
		 struct save_opts, interval, 16, 1000000),
	/* the old name (--interval is a duration in every other tool):
	 * read one release with a warning, not shown */
	CLI_LONG("interval", 0, "N", NULL, struct save_opts, old_interval, 16, 1000000),
	CLI_END};
static const struct save_opts save_d = {0, SESS_REPLAY_INTERVAL, 0};

struct save_st {
	struct cli_app *a;
	struct sess_replay_enc enc;
	struct sess_log_head *head;
	const char *id;
	long interval;
	int started, failed;
	struct cp_check check;
};

static int save_one(int kind, const char *text, size_t len, void *p)
{
	struct save_st *st = p;

	if (!st->started) {
		st->started = 1;
		if (sess_replay_enc_init(&st->enc, st->id, (int)st->interval, st->head->start, &st->a->err))
			return st->failed = 1;
	}
	cp_check_record(&st->check, &st->enc.fold, kind, text, len);
	if (sess_replay_enc_add(&st->enc, kind, text, len, &st->a->err))
		return st->failed = 1;
	return 0;
}

static int save_op(struct cli_app *a, const char *id, void *p)
{
	struct save_opts *o = p;
	struct sess_log_head head;
	struct save_st st;
	struct source live;
	cJSON *out = NULL;
	int rc;

	memset(&st, 0, sizeof st);
	st.a = a;
	st.id = id;
	st.head = &head;
	st.interval = o->interval;
	/* the checkpoints as stored, each checked against its record */
	memset(&live, 0, sizeof live);
	snprintf(live.id, sizeof live.id, "%s", id);
	st.check.live_id = id;
	if (sess_key_check_id(id, "session id", &a->err) || !(st.check.cps = source_checkpoints(a, &live)))
		return -1;
	rc = sess_log_records(&a->ctx, id, &head, save_one, &st, &a->err);
	if (!rc && !st.failed && !st.started)
		rc = sess_replay_enc_init(&st.enc, id, (int)st.interval, head.start, &a->err);
	if (rc || st.failed || cp_check_end(a, &st.check, &st.enc.fold, st.enc.start, id, "session", "nothing saved")) {
		sess_log_head_free(&head);
		sess_replay_enc_free(&st.enc);
		cJSON_Delete(st.check.cps);
		cJSON_Delete(st.check.late);
		return -1;
	}
	/* the head read must be the chain the records fold to: a record
	 * missing or edited is not saved as if it were the history */
	if (strcmp(st.enc.fold.chain, head.chain)) {
		sess_err_set(&a->err, SESS_E_DATA, "chain_mismatch",
			     "the records of %s do not fold to its chain head; run 'sess-replay verify %s' (nothing saved)",
			     id, id);
		sess_log_head_free(&head);
		sess_replay_enc_free(&st.enc);
		cJSON_Delete(st.check.cps);
		cJSON_Delete(st.check.late);
		return -1;
	}
	/* every event to the meta's seq, and none past it: a log cut short
	 * or added to is not saved as the history */
	live.head = head;
	if (st.enc.fold.seq != head.seq) {
		sess_err_set(&a->err, SESS_E_DATA, "log_short",
			     "the log of %s ends at seq %lld, but its meta's seq is %lld: events are missing; run 'sess-replay verify %s' (nothing saved)",
			     id, st.enc.fold.seq, head.seq, id);
		rc = -1;
	} else {
		rc = source_check_log(a, &live);
	}
	memset(&live.head, 0, sizeof live.head);
	if (!rc)
		rc = store(a, id, &st.enc, &out);
	sess_log_head_free(&head);
	sess_replay_enc_free(&st.enc);
	cJSON_Delete(st.check.cps);
		cJSON_Delete(st.check.late);
	if (rc)
		return -1;
	cJSON_AddBoolToObject(out, "saved", 1);
	return cli_print(a, out);
}

struct completed_st {
	struct cli_app *a;
	struct save_opts *o;
	char (*ids)[SESS_ID_MAX + 1];
	long n, cap;
};

static int collect_completed(cJSON *row, void *p)
{
	struct completed_st *st = p;
	const char *id = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(row, "id"));

	if (!id)
		return 0;
	if (st->n == st->cap) {
		long cap = st->cap ? 2 * st->cap : 64;
		char (*ids)[SESS_ID_MAX + 1] = realloc(st->ids, (size_t)cap * sizeof *ids);
		if (!ids)
			return 1;
		st->ids = ids;
		st->cap = cap;
	}
	snprintf(st->ids[st->n++], SESS_ID_MAX + 1, "%s", id);
	return 0;
}

/* Every completed session the index holds, into st (read page by page,
 * before any is saved: they share the connection). A session of a
 * layout this sesskit does not know gets an error record and is counted
 * in *failed: the others are still saved (sess_list would stop at it). */
static int completed_walk(struct completed_st *st, long *failed)
{
	enum { PAGE = 500 };
	struct cli_app *a = st->a;
	struct sess_index_iter it;
	char meta[SESS_KEY_MAX];
	const char **ids;
	long i, n;
	int rc = 0;

	memset(&it, 0, sizeof it); /* freed below even when the layout check fails */
	if (sess_check_layout(&a->ctx, &a->err) || sess_index_iter_init(&it, &a->ctx, &a->err)) {
		sess_index_iter_free(&it);
		return -1;
	}
	while (!rc && (n = sess_index_iter_next(&it, PAGE, &ids, &a->err)) != 0) {
		struct sess_pipe p;
		if (n < 0) {
			rc = -1;
			break;
		}
		sess_pipe_init(&p, &a->conn);
		for (i = 0; !rc && i < n; i++) {
			if (sess_key_check_id(ids[i], "session id", NULL))
				continue; /* no key of it can be named */
			sess_key_meta(meta, a->cfg.prefix, ids[i]);
			rc = sess_pipe_cmdf(&p, (long)i, &a->err, "HMGET %s " SESS_S_F_VERSION " " SESS_S_F_STATE, meta);
		}
		while (!rc && sess_pipe_pending(&p)) {
			redisReply *r;
			long tag;
			struct sess_err e;
			const char *id;
			if ((rc = sess_pipe_next(&p, &r, &tag, &a->err)))
				break;
			id = ids[tag];
			if (r->type == REDIS_REPLY_ARRAY && sess_reply_str(r, 0) && sess_layout_ok(sess_reply_str(r, 0), &e)) {
				cJSON *rec = cli_error_record(0, &e);
				cJSON_AddStringToObject(rec, "id", id);
				cli_out_json(&a->out, rec);
				cJSON_Delete(rec);
				++*failed;
			} else if (r->type == REDIS_REPLY_ARRAY && sess_reply_str(r, 1) &&
				   !strcmp(sess_reply_str(r, 1), SESS_S_COMPLETED)) {
				cJSON *row = cJSON_CreateObject();
				cJSON_AddStringToObject(row, "id", id);
				if (collect_completed(row, st))
					rc = sess_err_set(&a->err, SESS_E_INTERNAL, NULL, "out of memory");
				cJSON_Delete(row);
			}
			freeReplyObject(r);
		}
		sess_pipe_free(&p);
	}
	sess_index_iter_free(&it);
	return rc ? -1 : 0;
}

/* save_op, counted: several ids end with how many failed. */
struct counted {
	struct save_opts *o;
	long tried, failed;
};

static int save_counted(struct cli_app *a, const char *id, void *p)
{
	struct counted *c = p;
	int rc = save_op(a, id, c->o);

	c->tried++;
	if (rc)
		c->failed++;
	return rc;
}

static int cmd_save(struct cli_app *a, void *opts, int argc, char **argv)
{
	struct save_opts *o = opts;
	int rc, i, first_fail = 0;

	if (o->completed == (argc > 0))
		return cli_usage_error(a, "give session ids (- reads them from stdin), or --completed");
	if (o->old_interval) {
		cli_warn(a->prog, "--interval is read as --block-records for this release only; write --block-records "
			 "(--interval is a duration in every other sesskit tool, sesskit(7))");
		o->interval = o->old_interval;
	}
	if ((rc = cli_connect(a)))
		return rc;
	if (o->completed) {
		/* the cron job: every completed session not saved yet, before
		 * its TTL takes it */
		struct completed_st st = {a, o, NULL, 0, 0};
		long j, failed = 0, tried = 0;
		if (completed_walk(&st, &failed)) {
			free(st.ids);
			return cli_app_fail(a);
		}
		if (failed)
			first_fail = sess_err_exit_code(SESS_E_CONFIG);
		for (j = 0; j < st.n && !a->out.closed; j++) {
			int have;
			cli_progress("save --completed", j, st.n);
			have = sess_replay_exists(&a->ctx, st.ids[j], &a->err);
			if (have < 0) {
				free(st.ids);
				return cli_app_fail(a);
			}
			if (have)
				continue;
			tried++;
			if (save_op(a, st.ids[j], o)) {
				failed++;
				cJSON *rec = cli_error_record(0, &a->err);
				cJSON_AddStringToObject(rec, "id", st.ids[j]);
				cli_out_json(&a->out, rec);
				cJSON_Delete(rec);
				if (!first_fail)
					first_fail = sess_err_exit_code(a->err.cls);
				if (a->err.cls == SESS_E_UNAVAILABLE)
					break;
			}
		}
		cli_progress("save --completed", -1, -1);
		free(st.ids);
		if (failed)
			cli_warn(a->prog, "%ld completed session%s not saved (error records above); the others were",
				 failed, failed == 1 ? " was" : "s were");
		(void)tried;
		return first_fail;
	}
	{
		struct counted c = {o, 0, 0};
		for (i = 0; i < argc; i++) {
			rc = cli_run_ids(a, argv[i], save_counted, &c);
			if (rc && !first_fail)
				first_fail = rc;
		}
		if (c.failed && c.tried > 1)
			cli_warn(a->prog, "%ld of %ld sessions were not saved (named above); the others were",
				 c.failed, c.tried);
	}
	return first_fail;
}

const struct cli_cmd replay_cmd_save = {
	.name = "save", .synopsis = "ID...|-|--completed",
	.summary = "keep a session's history as a compressed replay that outlives its TTL",
	.opts = save_o, .opts_size = sizeof(struct save_opts), .defaults = &save_d,
	.npos_max = -1, .complete = CLI_COMPLETE_SESSION,
	.run = cmd_save};
