/* store.c - saved replays: save, list, show, delete, cleanup, stats,
 * export and import. */
#include <errno.h>
#include <sys/stat.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/ids.h"
#include "core/integrity.h"
#include "core/json.h"
#include "core/keys.h"
#include "core/reply.h"
#include "core/replay.h"
#include "core/schema.h"
#include "core/view.h"
#include "replay.h"

/* Findings of the checks a save or an import makes, before it writes:
 * the first is what the refusal says. */
struct cp_check {
	cJSON *cps;          /* number -> the checkpoint given (live or file) */
	long findings;
	char first[SESS_ERR_MSG_MAX];
};

static void cp_finding(const char *code, long long seq, const char *msg, void *p)
{
	struct cp_check *c = p;

	(void)code;
	(void)seq;
	if (!c->findings++)
		snprintf(c->first, sizeof c->first, "%s", msg);
}

/* A replay keeps no checkpoint bodies (they are rebuilt from its records,
 * see sess_integrity_checkpoint_body), so what it is made from must hold
 * the very ones its records imply: before checkpoint record text is
 * encoded, the given checkpoint must be the fold so far (e's fold, whose
 * chain is the chain before the record). A difference is counted, never
 * saved over. */
static void cp_check_record(struct cp_check *c, const struct sess_fold *f, int kind,
			    const char *text)
{
	long long n;

	if (kind == SESS_REC_HISTORY && f->known && (n = sess_fold_checkpoint_n(text)) >= 0)
		sess_integrity_checkpoint(f, f->chain, n, c->cps, cp_finding, c);
}

/* After the last record: a given checkpoint no record took (one before a
 * trimmed history's start is not in it, and fine). 0, or -1 with err. */
static int cp_check_end(struct cli_app *a, struct cp_check *c, const struct sess_fold *f,
			const cJSON *start, const char *id, const char *what)
{
	const cJSON *start_seq = cJSON_GetObjectItemCaseSensitive(start, "seq");
	cJSON *it = c->cps ? c->cps->child : NULL, *next;

	/* one taken after the records were read is not this history's */
	for (; it; it = next) {
		next = it->next;
		if (cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(it, "seq")) > (double)f->seq)
			cJSON_DeleteItemFromObjectCaseSensitive(c->cps, it->string);
	}
	sess_integrity_finish(f, f->chain, what, c->cps,
			      start_seq ? (long long)start_seq->valuedouble : -1, cp_finding, c);
	if (!c->findings)
		return 0;
	return sess_err_set(&a->err, SESS_E_DATA, "checkpoint_mismatch",
			    "%s: %s (%ld finding%s); run 'sess-replay verify %s' (nothing saved)", id, c->first,
			    c->findings, c->findings == 1 ? "" : "s", id);
}

struct save_st {
	struct cli_app *a;
	struct sess_replay_enc enc;
	struct sess_log_head *head;
	const char *id;
	long interval;
	int started, failed;
	struct cp_check check;
};

/* Before checkpoint record text is checked: its checkpoint, when it was
 * taken after the checkpoints were read, is read now. 0, or -1 with err. */
static int cp_fetch(struct cli_app *a, struct cp_check *c, const char *id, int kind, const char *text)
{
	long long n;
	char key[24];
	struct sess_keys k;
	redisReply *r;

	if (kind != SESS_REC_HISTORY || (n = sess_fold_checkpoint_n(text)) < 0)
		return 0;
	snprintf(key, sizeof key, "%lld", n);
	if (cJSON_GetObjectItemCaseSensitive(c->cps, key))
		return 0;
	sess_keys_init(&k, a->cfg.prefix, id);
	if (!(r = sess_conn_cmdf(&a->conn, &a->err, "HGET %s %s", k.cps, key)))
		return -1;
	if (r->type == REDIS_REPLY_STRING)
		cJSON_AddItemToObject(c->cps, key, cJSON_ParseWithLength(r->str, r->len));
	freeReplyObject(r);
	return 0;
}

static int save_one(int kind, const char *text, size_t len, void *p)
{
	struct save_st *st = p;

	if (!st->started) {
		st->started = 1;
		if (sess_replay_enc_init(&st->enc, st->id, (int)st->interval, st->head->start, &st->a->err))
			return st->failed = 1;
	}
	if (cp_fetch(st->a, &st->check, st->id, kind, text))
		return st->failed = 1;
	cp_check_record(&st->check, &st->enc.fold, kind, text);
	if (sess_replay_enc_add(&st->enc, kind, text, len, &st->a->err))
		return st->failed = 1;
	return 0;
}

static cJSON *summary(const cJSON *meta)
{
	cJSON *o = cJSON_CreateObject();
	static const char *const keys[] = {"id", "savedAt", "state", "firstSeq", "lastSeq", "events",
					   "records", "blocks", "rawBytes", "storedBytes", "chain", NULL};
	double raw, stored;
	size_t i;

	for (i = 0; keys[i]; i++) {
		const cJSON *v = cJSON_GetObjectItemCaseSensitive(meta, keys[i]);
		if (v)
			cJSON_AddItemToObject(o, keys[i], cJSON_Duplicate(v, 1));
	}
	raw = cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(meta, "rawBytes"));
	stored = cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(meta, "storedBytes"));
	if (raw > 0)
		cJSON_AddNumberToObject(o, "ratio", (double)(long long)(stored / raw * 10000 + 0.5) / 10000);
	return o;
}

/* Store e's records (encoded by the caller) as replay id. */
static int store(struct cli_app *a, const char *id, struct sess_replay_enc *enc, cJSON **out)
{
	redisReply *t;
	long long now;
	cJSON *meta;
	int rc;

	if (sess_replay_enc_finish(enc, &a->err))
		return -1;
	if (!(t = sess_conn_cmdf(&a->conn, &a->err, "TIME")))
		return -1;
	now = sess_reply_int(t, 0) * 1000 + sess_reply_int(t, 1) / 1000;
	freeReplyObject(t);
	if (!(meta = sess_replay_enc_meta(enc, now)))
		return sess_err_set(&a->err, SESS_E_INTERNAL, NULL, "out of memory");
	rc = sess_replay_store(&a->ctx, id, enc, meta, &a->err);
	if (!rc)
		*out = summary(meta);
	cJSON_Delete(meta);
	return rc;
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
	if (sess_key_check_id(id, "session id", &a->err) || !(st.check.cps = source_checkpoints(a, &live)))
		return -1;
	rc = sess_log_records(&a->ctx, id, &head, save_one, &st, &a->err);
	if (!rc && !st.failed && !st.started)
		rc = sess_replay_enc_init(&st.enc, id, (int)st.interval, head.start, &a->err);
	if (rc || st.failed || cp_check_end(a, &st.check, &st.enc.fold, st.enc.start, id, "session")) {
		sess_log_head_free(&head);
		sess_replay_enc_free(&st.enc);
		cJSON_Delete(st.check.cps);
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
	char key[SESS_KEY_MAX], meta[SESS_KEY_MAX];
	long offset = 0;
	size_t i, n;

	if (sess_check_layout(&a->ctx, &a->err))
		return -1;
	sess_key_index(key, a->cfg.prefix);
	do {
		struct sess_pipe p;
		redisReply *ids = sess_conn_cmdf(&a->conn, &a->err, "ZREVRANGE %s %ld %ld", key, offset,
						 offset + PAGE - 1);
		int rc = 0;
		if (!ids)
			return -1;
		if (ids->type != REDIS_REPLY_ARRAY) {
			freeReplyObject(ids);
			return sess_reply_bad(&a->err, "ZREVRANGE");
		}
		n = ids->elements;
		sess_pipe_init(&p, &a->conn);
		for (i = 0; !rc && i < n; i++) {
			if (ids->element[i]->type != REDIS_REPLY_STRING ||
			    sess_key_check_id(ids->element[i]->str, "session id", NULL))
				continue; /* no key of it can be named */
			sess_key_meta(meta, a->cfg.prefix, ids->element[i]->str);
			rc = sess_pipe_cmdf(&p, (long)i, &a->err, "HMGET %s " SESS_S_F_VERSION " " SESS_S_F_STATE, meta);
		}
		while (!rc && sess_pipe_pending(&p)) {
			redisReply *r;
			long tag;
			struct sess_err e;
			const char *id;
			if ((rc = sess_pipe_next(&p, &r, &tag, &a->err)))
				break;
			id = ids->element[tag]->str;
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
		freeReplyObject(ids);
		if (rc)
			return -1;
		offset += (long)n;
	} while (n == PAGE);
	return 0;
}

int cmd_save(struct cli_app *a, void *opts, int argc, char **argv)
{
	struct save_opts *o = opts;
	int rc, i, first_fail = 0;

	if (o->completed == (argc > 0))
		return cli_usage_error(a, "give session ids (- reads them from stdin), or --completed");
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
			int have = sess_replay_exists(&a->ctx, st.ids[j], &a->err);
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
		free(st.ids);
		if (failed)
			cli_warn(a->prog, "%ld completed session%s not saved (error records above); the others were",
				 failed, failed == 1 ? " was" : "s were");
		(void)tried;
		return first_fail;
	}
	for (i = 0; i < argc; i++) {
		rc = cli_run_ids(a, argv[i], save_op, o);
		if (rc && !first_fail)
			first_fail = rc;
	}
	return first_fail;
}

static int print_summary(cJSON *meta, void *app)
{
	struct cli_app *a = app;
	cJSON *s = summary(meta);

	cli_out_json(&a->out, s);
	cJSON_Delete(s);
	return a->out.closed;
}

/* Replays whose meta cannot be read, while listing the others: each is
 * named on stderr and skipped; the command then fails (bad_end). */
struct bad_st {
	struct cli_app *a;
	long n;
	int cls;
};

static int bad_replay(const char *id, const struct sess_err *err, void *p)
{
	struct bad_st *b = p;

	cli_warn(b->a->prog, "saved replay %s skipped: %s", id, err->msg);
	if (!b->n++ || err->cls == SESS_E_DATA)
		b->cls = err->cls;
	return 0;
}

static int bad_end(struct bad_st *b)
{
	if (!b->n)
		return 0;
	sess_err_set(&b->a->err, (enum sess_class)b->cls, "unreadable_replays",
		     "%ld saved replay%s could not be read (named above); 'sess-replay verify --all --saved' says more",
		     b->n, b->n == 1 ? "" : "s");
	return cli_app_fail(b->a);
}

struct list_st {
	struct bad_st bad; /* first: bad_replay gets the same pointer */
};

static int print_row(cJSON *meta, void *p)
{
	return print_summary(meta, ((struct list_st *)p)->bad.a);
}

int cmd_list(struct cli_app *a, void *opts, int argc, char **argv)
{
	struct list_st st = {{a, 0, 0}};
	int rc;

	(void)opts;
	(void)argc;
	(void)argv;
	if ((rc = cli_connect(a)))
		return rc;
	if (sess_replay_list_bad(&a->ctx, 0, print_row, bad_replay, &st, &a->err))
		return cli_app_fail(a);
	return bad_end(&st.bad);
}

/* The meta, with the checkpoints rebuilt from the records (in number
 * order), as a replay was shown when it stored them. */
static int show_op(struct cli_app *a, const char *id, void *p)
{
	struct source src;
	cJSON *m, *map, *cps;

	(void)p;
	if (source_open(a, id, 1, &src))
		return -1;
	map = source_checkpoints(a, &src);
	m = src.meta; /* ours now */
	src.meta = NULL;
	source_close(&src);
	if (!map || !(cps = checkpoints_in_order(map))) {
		/* a damaged block: the meta is still worth seeing (its block
		 * seqs say where), the failure is still the exit code */
		cJSON_Delete(map);
		cli_print(a, m);
		return -1;
	}
	cJSON_Delete(map);
	/* a version 1 meta held them itself: the rebuilt ones replace those */
	cJSON_DeleteItemFromObjectCaseSensitive(m, "checkpoints");
	cJSON_DeleteItemFromObjectCaseSensitive(m, "final");
	cJSON_AddItemToObject(m, "checkpoints", cps);
	return cli_print(a, m);
}

int cmd_show(struct cli_app *a, void *opts, int argc, char **argv)
{
	(void)opts;
	(void)argc;
	return cli_run_ids(a, argv[0], show_op, NULL);
}

static int delete_op(struct cli_app *a, const char *id, void *p)
{
	cJSON *o;
	int gone;

	(void)p;
	if (sess_replay_delete(&a->ctx, id, &gone, &a->err))
		return -1;
	if (!gone)
		return sess_err_set(&a->err, SESS_E_NEGATIVE, "not_found", "no saved replay %s", id);
	o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "id", id);
	cJSON_AddBoolToObject(o, "deleted", 1);
	return cli_print(a, o);
}

int cmd_delete(struct cli_app *a, void *opts, int argc, char **argv)
{
	int i, rc, first = 0;

	(void)opts;
	for (i = 0; i < argc; i++)
		if ((rc = cli_run_ids(a, argv[i], delete_op, NULL)) && !first)
			first = rc;
	return first;
}

struct cleanup_st {
	struct bad_st bad; /* first: bad_replay gets the same pointer */
	struct cli_app *a;
	int dry_run;
	long n;
	long long bytes;
	int failed;
};

static int cleanup_one(cJSON *meta, void *p)
{
	struct cleanup_st *st = p;
	const char *id = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(meta, "id"));
	cJSON *o;
	int gone = 1;

	if (!id)
		return 0;
	if (!st->dry_run && sess_replay_delete(&st->a->ctx, id, &gone, &st->a->err))
		return st->failed = 1;
	if (!gone)
		return 0;
	st->n++;
	st->bytes += (long long)cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(meta, "storedBytes"));
	o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "id", id);
	cJSON_AddBoolToObject(o, st->dry_run ? "wouldDelete" : "deleted", 1);
	cJSON_AddItemToObject(o, "savedAt", cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(meta, "savedAt"), 1));
	cli_out_json(&st->a->out, o);
	cJSON_Delete(o);
	return 0;
}

int cmd_cleanup(struct cli_app *a, void *opts, int argc, char **argv)
{
	struct cleanup_opts *o = opts;
	struct cleanup_st st = {{a, 0, 0}, a, o->dry_run, 0, 0, 0};
	redisReply *t;
	long long now;
	cJSON *sum;
	int rc;

	(void)argc;
	(void)argv;
	if (o->older_than < 0)
		return cli_usage_error(a, "--older-than DAYS is required (retention: replays saved longer ago go)");
	if ((rc = cli_connect(a)))
		return rc;
	if (!(t = sess_conn_cmdf(&a->conn, &a->err, "TIME")))
		return cli_app_fail(a);
	now = sess_reply_int(t, 0) * 1000 + sess_reply_int(t, 1) / 1000;
	freeReplyObject(t);
	if (sess_replay_list_bad(&a->ctx, now - o->older_than * 86400000LL, cleanup_one, bad_replay, &st,
				 &a->err) || st.failed)
		return cli_app_fail(a);
	sum = cJSON_CreateObject();
	cJSON_AddBoolToObject(sum, "dryRun", o->dry_run);
	cJSON_AddNumberToObject(sum, o->dry_run ? "wouldDelete" : "deleted", (double)st.n);
	cJSON_AddNumberToObject(sum, "storedBytes", (double)st.bytes);
	cJSON_AddNumberToObject(sum, "olderThanDays", (double)o->older_than);
	if (st.bad.n)
		cJSON_AddNumberToObject(sum, "skipped", (double)st.bad.n);
	rc = cli_print(a, sum);
	return rc ? rc : bad_end(&st.bad);
}

struct stats_st {
	struct bad_st bad; /* first: bad_replay gets the same pointer */
	long n;
	double raw, stored, events;
};

static int add_stats(cJSON *meta, void *p)
{
	struct stats_st *st = p;

	st->n++;
	st->raw += cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(meta, "rawBytes"));
	st->stored += cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(meta, "storedBytes"));
	st->events += cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(meta, "events"));
	return 0;
}

int cmd_stats(struct cli_app *a, void *opts, int argc, char **argv)
{
	struct stats_st st = {{a, 0, 0}, 0, 0, 0, 0};
	cJSON *o;
	int rc;

	(void)opts;
	(void)argc;
	(void)argv;
	if ((rc = cli_connect(a)))
		return rc;
	if (sess_replay_list_bad(&a->ctx, 0, add_stats, bad_replay, &st, &a->err))
		return cli_app_fail(a);
	o = cJSON_CreateObject();
	cJSON_AddNumberToObject(o, "replays", (double)st.n);
	cJSON_AddNumberToObject(o, "events", st.events);
	cJSON_AddNumberToObject(o, "rawBytes", st.raw);
	cJSON_AddNumberToObject(o, "storedBytes", st.stored);
	cJSON_AddNumberToObject(o, "ratio", st.raw > 0 ? (double)(long long)(st.stored / st.raw * 10000 + 0.5) / 10000 : 0);
	if (st.bad.n)
		cJSON_AddNumberToObject(o, "unreadable", (double)st.bad.n);
	rc = cli_print(a, o);
	return rc ? rc : bad_end(&st.bad);
}

/* ---- export / import: a history as JSON lines ----
 * line 1   {"sesskit":"history","v":1,"id":..,"lastSeq":..,"chain":..[,"start":CP]}
 * then     each record's exact stored text (events {"s":..}, lifecycle {"k":..})
 * then     {"checkpoint":{...}} per stored checkpoint
 * last     {"end":true,"records":N,"chain":HEAD}
 */

struct export_st {
	struct cli_app *a;
	FILE *f;
	long long n;
	int failed, stopped;
	struct cp_check *check;   /* a live session's stored checkpoints */
	cJSON *derived;           /* number -> the checkpoint its record implies */
};

static int export_one(int kind, const char *text, size_t len, struct sess_fold *fold, void *p)
{
	struct export_st *st = p;

	(void)kind;
	(void)fold;
	if (cli_stop_signal())
		return st->stopped = 1;
	st->n++;
	if (fwrite(text, 1, len, st->f) != len || fputc('\n', st->f) == EOF)
		return st->failed = 1;
	return 0;
}

/* Before a record is folded (with the fold before it): a live session's
 * stored checkpoint is checked against the one its record implies, which
 * is what is exported (never the stored text unchecked). */
static int export_pre(int kind, const char *text, size_t len, struct sess_fold *fold, void *p)
{
	struct export_st *st = p;
	cJSON *cp;

	if (!st->check)
		return 0;
	if (cp_fetch(st->a, st->check, fold->id, kind, text))
		return -1;
	cp_check_record(st->check, fold, kind, text);
	if (kind == SESS_REC_HISTORY && fold->known &&
	    (cp = sess_integrity_checkpoint_body(fold, fold->chain, text, len))) {
		char key[24];
		snprintf(key, sizeof key, "%.0f", cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(cp, "id")));
		cJSON_DeleteItemFromObjectCaseSensitive(st->derived, key);
		cJSON_AddItemToObject(st->derived, key, cp);
	}
	return 0;
}

/* The temporary file export -o writes: unique, beside FILE (so the rename
 * is atomic), removed on every way out but success. */
static char export_tmp[4096];

static void export_tmp_remove(void)
{
	if (export_tmp[0]) {
		unlink(export_tmp);
		export_tmp[0] = '\0';
	}
}

static FILE *export_tmp_open(struct cli_app *a, const char *out)
{
	int fd;
	mode_t um;
	FILE *f;

	if (snprintf(export_tmp, sizeof export_tmp, "%s.XXXXXX", out) >= (int)sizeof export_tmp) {
		export_tmp[0] = '\0';
		sess_err_set(&a->err, SESS_E_USAGE, NULL, "--output %s: the path is too long", out);
		return NULL;
	}
	if ((fd = mkstemp(export_tmp)) < 0) {
		sess_err_set(&a->err, SESS_E_NOINPUT, NULL, "cannot write beside %s: %s", out, strerror(errno));
		export_tmp[0] = '\0';
		return NULL;
	}
	/* the mode a plain create would give (mkstemp's is 0600) */
	um = umask(0);
	umask(um);
	if (fchmod(fd, 0666 & ~um) != 0 || !(f = fdopen(fd, "w"))) {
		sess_err_set(&a->err, SESS_E_NOINPUT, NULL, "cannot write %s: %s", export_tmp, strerror(errno));
		close(fd);
		export_tmp_remove();
		return NULL;
	}
	return f;
}

static void print_line(FILE *f, cJSON *o)
{
	char *text = cJSON_PrintUnformatted(o);

	if (text)
		fprintf(f, "%s\n", text);
	else
		fputs("\n", f); /* out of memory: the file fails its import */
	cJSON_free(text);
	cJSON_Delete(o);
}

/* Export src into st->f: the header, the records, the checkpoints and
 * the end line, which is written only when all was read and verified:
 * the records fold to the stored chain head, a live log holds nothing
 * past its meta's seq, every stored checkpoint is the one its record
 * implies. 0, or -1 with a->err. */
static int export_source(struct cli_app *a, struct source *src, struct export_st *st)
{
	struct cp_check check = {NULL, 0, ""};
	struct sess_fold f;
	cJSON *hdr, *cps = NULL, *it, *end, *map = NULL;
	const char *head;
	int rc;

	hdr = cJSON_CreateObject();
	cJSON_AddStringToObject(hdr, "sesskit", "history");
	cJSON_AddNumberToObject(hdr, "v", 1);
	cJSON_AddStringToObject(hdr, "id", src->id);
	cJSON_AddStringToObject(hdr, "source", src->saved ? "saved" : "live");
	print_line(st->f, hdr);
	if (!src->saved) {
		/* read first: each is checked against the fold as its record
		 * comes (one taken while the records are read is read then;
		 * one taken after the instant they are read up to is dropped at
		 * the end, as a save does) */
		if (!(check.cps = source_checkpoints(a, src)) || !(st->derived = cJSON_CreateObject())) {
			cJSON_Delete(check.cps);
			return -1;
		}
		st->check = &check;
	}
	rc = source_fold_pre(a, src, &f, SRC_FOLD | SRC_CHAIN, 0, NULL, export_pre, export_one, st);
	if (!rc && st->stopped)
		rc = sess_err_set(&a->err, SESS_E_TEMP, "interrupted", "export of %s interrupted by a signal; nothing kept",
				  src->id);
	if (!rc && st->failed)
		rc = sess_err_set(&a->err, SESS_E_NOINPUT, NULL, "writing the export of %s failed: %s", src->id,
				  strerror(errno));
	head = src->saved ? cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(src->meta, "chain"))
			  : src->head.chain;
	if (!rc && (!head || strcmp(head, f.chain)))
		rc = sess_err_set(&a->err, SESS_E_DATA, "chain_mismatch",
				  "the records of %s do not fold to its stored chain head: it was changed; run 'sess-replay verify %s' (nothing exported)",
				  src->id, src->id);
	if (!rc)
		rc = source_check_log(a, src);
	if (!rc && st->check)
		rc = cp_check_end(a, &check, &f, src->head.start, src->id, "session");
	if (!rc) {
		map = src->saved ? source_checkpoints(a, src) : st->derived;
		st->derived = NULL;
		if (!map || !(cps = checkpoints_in_order(map)))
			rc = -1;
		cJSON_Delete(map);
	}
	if (!rc) {
		cJSON_ArrayForEach(it, cps) {
			cJSON *line = cJSON_CreateObject();
			/* one taken after the records were read is not this history's */
			if (cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(it, "seq")) > (double)f.seq) {
				cJSON_Delete(line);
				continue;
			}
			cJSON_AddItemToObject(line, "checkpoint", cJSON_Duplicate(it, 1));
			print_line(st->f, line);
		}
		end = cJSON_CreateObject();
		cJSON_AddBoolToObject(end, "end", 1);
		cJSON_AddNumberToObject(end, "records", (double)st->n);
		cJSON_AddNumberToObject(end, "lastSeq", (double)f.seq);
		cJSON_AddStringToObject(end, "chain", head); /* the stored head (equal, checked) */
		if (src->head.start)
			cJSON_AddItemToObject(end, "start", cJSON_Duplicate(src->head.start, 1));
		else if (src->saved && cJSON_GetObjectItemCaseSensitive(src->meta, "start"))
			cJSON_AddItemToObject(end, "start",
					      cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(src->meta, "start"), 1));
		print_line(st->f, end);
	}
	cJSON_Delete(cps);
	cJSON_Delete(check.cps);
	cJSON_Delete(st->derived);
	st->derived = NULL;
	sess_fold_free(&f);
	return rc ? -1 : 0;
}

int cmd_export(struct cli_app *a, void *opts, int argc, char **argv)
{
	struct export_opts *o = opts;
	struct export_st st;
	struct source src;
	int rc, wfail;

	(void)argc;
	memset(&st, 0, sizeof st);
	st.a = a;
	st.f = stdout;
	if ((rc = cli_connect(a)))
		return rc;
	/* SIGINT/SIGTERM end the export between records: the temporary file
	 * is removed, nothing is renamed into place */
	cli_catch_stop_signals();
	if (source_open(a, argv[0], o->saved, &src))
		return cli_app_fail(a);
	if (o->output && !(st.f = export_tmp_open(a, o->output))) {
		source_close(&src);
		return cli_app_fail(a);
	}
	rc = export_source(a, &src, &st);
	source_close(&src);
	wfail = fflush(st.f) == EOF || ferror(st.f);
	if (o->output) {
		wfail |= fclose(st.f) != 0;
		if (!rc && wfail)
			rc = sess_err_set(&a->err, SESS_E_NOINPUT, NULL, "cannot write %s: %s", o->output,
					  strerror(errno));
		if (!rc && rename(export_tmp, o->output) != 0)
			rc = sess_err_set(&a->err, SESS_E_NOINPUT, NULL, "cannot write %s: %s", o->output,
					  strerror(errno));
		if (!rc)
			export_tmp[0] = '\0'; /* renamed: nothing to remove */
		export_tmp_remove();
	} else if (st.failed || (!rc && wfail)) {
		return 0; /* the reader went away: quietly, as play */
	}
	if (cli_stop_signal())
		return cli_signal_exit();
	return rc ? cli_app_fail(a) : 0;
}

/* The bad line of an import: its number, the problem and the fix. */
static int bad_line(struct cli_app *a, long line, const char *what, const char *fix)
{
	return sess_err_set(&a->err, SESS_E_DATA, "bad_import", "line %ld %s; %s", line, what, fix);
}

/* An import's checkpoint lines come after its records: once all are
 * read, the encoded records are folded again to check each against them. */
struct recheck {
	struct sess_fold f;
	struct cp_check *c;
	struct sess_err *err;
};

static int recheck_one(int kind, const char *text, size_t len, void *p)
{
	struct recheck *r = p;

	cp_check_record(r->c, &r->f, kind, text);
	return kind == SESS_REC_EVENT ? sess_fold_event(&r->f, text, len, r->err) != 0
				      : sess_fold_record(&r->f, text, len, r->err) != 0;
}

static int import_check(struct cli_app *a, const struct sess_replay_enc *enc, struct cp_check *c,
			const char *id)
{
	struct recheck r = {.c = c, .err = &a->err};
	size_t i;
	int rc = 0;

	sess_fold_init(&r.f, id, 1);
	for (i = 0; !rc && i < enc->nblocks; i++)
		rc = sess_replay_block_each(enc->blocks[i].data, enc->blocks[i].len, NULL, recheck_one, &r,
					    &a->err) != 0;
	if (!rc)
		rc = cp_check_end(a, c, &r.f, NULL, id, "file");
	sess_fold_free(&r.f);
	return rc ? -1 : 0;
}

int cmd_import(struct cli_app *a, void *opts, int argc, char **argv)
{
	struct import_opts *o = opts;
	struct sess_replay_enc enc;
	FILE *f = stdin;
	char *line = NULL, id[SESS_ID_MAX + 1] = "";
	size_t cap = 0;
	ssize_t len;
	long lineno = 0;
	cJSON *end = NULL, *out = NULL;
	struct cp_check check = {cJSON_CreateObject(), 0, ""};
	int rc = -1, started = 0, have;

	memset(&enc, 0, sizeof enc);
	if (argc > 0 && strcmp(argv[0], "-") && !(f = fopen(argv[0], "r"))) {
		cJSON_Delete(check.cps);
		return sess_err_set(&a->err, SESS_E_NOINPUT, NULL, "cannot read %s: %s", argv[0],
				    strerror(errno)), cli_app_fail(a);
	}
	if ((rc = cli_connect(a)))
		goto out;
	rc = -1;
	while ((len = import_getline(&line, &cap, f, IMPORT_LINE_MAX)) != -1) {
		cJSON *j;
		lineno++;
		if (len == -2) {
			bad_line(a, lineno, "is longer than " IMPORT_LINE_MAX_TEXT " (or memory ran out)",
				 "sesskit never exports such a record; the file is not an export");
			goto out;
		}
		while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
			line[--len] = '\0';
		if (!len)
			continue;
		if (strlen(line) != (size_t)len) {
			bad_line(a, lineno, "holds a NUL byte", "sesskit never writes one; the file is damaged");
			goto out;
		}
		if (end) {
			bad_line(a, lineno, "follows the end line", "the file was joined with another: split it");
			goto out;
		}
		if (lineno == 1) {
			cJSON *h = sess_json_parse(line);
			const char *hid = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(h, "id"));
			if (!h || strcmp(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(h, "sesskit")) ?
					 cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(h, "sesskit")) : "",
					 "history") || !hid) {
				cJSON_Delete(h);
				bad_line(a, lineno, "is not a sesskit history header", "give a file 'sess-replay export' wrote");
				goto out;
			}
			{
				/* a newer export format is not read as if it were this one */
				const cJSON *v = cJSON_GetObjectItemCaseSensitive(h, "v");
				if (!cJSON_IsNumber(v) || v->valuedouble != 1) {
					if (cJSON_IsNumber(v) && v->valuedouble > 1)
						sess_err_set(&a->err, SESS_E_CONFIG, "unknown_export_version",
							     "line 1: the file has export format version %.0f, which this sesskit (version 1) does not know; import it with the sesskit that wrote it, or a newer one",
							     v->valuedouble);
					else
						bad_line(a, lineno, "has no export format version 1 (\"v\")",
							 "give a file 'sess-replay export' wrote");
					cJSON_Delete(h);
					goto out;
				}
			}
			snprintf(id, sizeof id, "%s", o->id ? o->id : hid);
			cJSON_Delete(h);
			if (sess_key_check_id(id, "replay id", &a->err))
				goto out;
			continue;
		}
		if (!strncmp(line, "{\"s\":", 5) || !strncmp(line, "{\"k\":", 5)) {
			if (!started) {
				/* a trimmed history's start is in the end line: not known
				 * yet; such files carry it in the header's stead below */
				if (sess_replay_enc_init(&enc, id, SESS_REPLAY_INTERVAL, NULL, &a->err))
					goto out;
				started = 1;
			}
			/* as the scripts would have written it, or not at all */
			if (import_record_check(line[2] == 's' ? SESS_REC_EVENT : SESS_REC_HISTORY, line,
						(size_t)len, &a->err)) {
				char why[SESS_ERR_MSG_MAX];
				snprintf(why, sizeof why, "%s", a->err.msg);
				sess_err_set(&a->err, SESS_E_DATA, "bad_import",
					     "line %ld: %s; sesskit never writes such a record: the file was changed (nothing imported)",
					     lineno, why);
				goto out;
			}
			if (sess_replay_enc_add(&enc, line[2] == 's' ? SESS_REC_EVENT : SESS_REC_HISTORY,
						line, (size_t)len, &a->err)) {
				sess_err_prefix(&a->err, "line %ld", lineno);
				goto out;
			}
			continue;
		}
		if (!(j = sess_json_parse(line))) {
			bad_line(a, lineno, "is not JSON", "the file is damaged; export it again");
			goto out;
		}
		if (cJSON_GetObjectItemCaseSensitive(j, "checkpoint")) {
			/* export writes them after the records: kept to check
			 * against the records' at the end */
			cJSON *cp = cJSON_DetachItemFromObjectCaseSensitive(j, "checkpoint");
			char key[24];
			snprintf(key, sizeof key, "%.0f", cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(cp, "id")));
			cJSON_AddItemToObject(check.cps, key, cp);
			cJSON_Delete(j);
		} else if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(j, "end"))) {
			end = j;
		} else {
			cJSON_Delete(j);
			bad_line(a, lineno, "is no record, checkpoint or end line", "the file is damaged; export it again");
			goto out;
		}
	}
	if (ferror(f)) {
		sess_err_set(&a->err, SESS_E_NOINPUT, NULL, "reading %s failed: %s", argc ? argv[0] : "stdin",
			     strerror(errno));
		goto out;
	}
	if (!id[0] || !end) {
		sess_err_set(&a->err, SESS_E_DATA, "bad_import",
			     "the file ends before its end line (%ld lines): it was cut short; export it again",
			     lineno);
		goto out;
	}
	if (!started && sess_replay_enc_init(&enc, id, SESS_REPLAY_INTERVAL, NULL, &a->err))
		goto out;
	{
		const char *chain = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(end, "chain"));
		double n = cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(end, "records"));
		if (cJSON_GetObjectItemCaseSensitive(end, "start")) {
			sess_err_set(&a->err, SESS_E_DATA, "bad_import",
				     "this history starts at a checkpoint (its log was trimmed); importing those is not supported");
			goto out;
		}
		if (n != (double)(enc.fold.events + enc.fold.records) || !chain || strcmp(chain, enc.fold.chain)) {
			sess_err_set(&a->err, SESS_E_DATA, "chain_mismatch",
				     "the file's records do not fold to its end line's chain and count: it was changed; nothing imported");
			goto out;
		}
	}
	if (sess_replay_enc_finish(&enc, &a->err) || import_check(a, &enc, &check, id))
		goto out;
	have = sess_replay_exists(&a->ctx, id, &a->err);
	if (have < 0)
		goto out;
	if (have && !o->replace) {
		sess_err_set(&a->err, SESS_E_NEGATIVE, "exists",
			     "a saved replay %s exists; give --replace, or --id NEW", id);
		goto out;
	}
	rc = store(a, id, &enc, &out);
	if (!rc) {
		cJSON_AddBoolToObject(out, "imported", 1);
		cli_print(a, out);
	}
out:
	if (f != stdin)
		fclose(f);
	free(line);
	cJSON_Delete(check.cps);
	cJSON_Delete(end);
	sess_replay_enc_free(&enc);
	if (rc > 0)
		return rc;
	return rc ? cli_app_fail(a) : 0;
}
