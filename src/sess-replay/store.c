/* store.c - saved replays: save, list, show, delete, cleanup, stats,
 * export and import. */
#include <errno.h>
#include <sys/stat.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/model/ids.h"
#include "core/history/integrity.h"
#include "core/model/json.h"
#include "core/model/keys.h"
#include "core/redis/reply.h"
#include "sess-replay/saved.h"
#include "core/base/schema.h"
#include "core/session/view.h"
#include "replay.h"

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
void cp_check_record(struct cp_check *c, const struct sess_fold *f, int kind,
		     const char *text, size_t len)
{
	long long n;
	char key[24];
	cJSON *cp;

	if (kind != SESS_REC_HISTORY || !f->known || (n = sess_fold_checkpoint_n(text)) < 0)
		return;
	snprintf(key, sizeof key, "%lld", n);
	/* the map is in number order and each one checked leaves it: the one
	 * looked up is first, unless it was taken after the map was read */
	if (c->live_id && !cJSON_GetObjectItemCaseSensitive(c->cps, key)) {
		/* read once the records are (never while they are streamed: the
		 * connection has their pages in flight) */
		if ((cp = sess_integrity_checkpoint_body(f, f->chain, text, len))) {
			if (!c->late)
				c->late = cJSON_CreateObject();
			cJSON_AddItemToObject(c->late, key, cp);
		}
		return;
	}
	sess_integrity_checkpoint(f, f->chain, n, c->cps, cp_finding, c);
}

/* The checkpoints taken after the map was read: each stored one must be
 * the one its record implied. 0, or -1 with a->err (the server). */
static int cp_check_late(struct cli_app *a, struct cp_check *c)
{
	struct sess_keys k;
	cJSON *it;
	int rc = 0;

	if (!c->late)
		return 0;
	sess_keys_init(&k, a->cfg.prefix, c->live_id);
	cJSON_ArrayForEach(it, c->late) {
		redisReply *r = sess_conn_cmdf(&a->conn, &a->err, "HGET %s %s", k.cps, it->string);
		cJSON *stored;
		char msg[160];
		if (!r) {
			rc = -1;
			break;
		}
		stored = r->type == REDIS_REPLY_STRING ? sess_json_parse_stored(r->str, r->len) : NULL;
		if (r->type == REDIS_REPLY_STRING && !stored) {
			snprintf(msg, sizeof msg, "stored checkpoint %s is not a JSON object, or names a key twice", it->string);
			cp_finding("corrupt_record", -1, msg, c);
		} else if (!cJSON_Compare(stored, it, 1)) {
			snprintf(msg, sizeof msg, "checkpoint %s is %s", it->string,
				 stored ? "not the state folded up to its record" : "not stored, though its record is");
			cp_finding(stored ? "checkpoint_mismatch" : "checkpoint_missing", -1, msg, c);
		}
		freeReplyObject(r);
		cJSON_Delete(stored);
	}
	cJSON_Delete(c->late);
	c->late = NULL;
	return rc;
}

/* After the last record: a given checkpoint no record took (one before a
 * trimmed history's start is not in it, and fine). 0, or -1 with err. */
int cp_check_end(struct cli_app *a, struct cp_check *c, const struct sess_fold *f,
			const cJSON *start, const char *id, const char *what, const char *lost)
{
	const cJSON *start_seq = cJSON_GetObjectItemCaseSensitive(start, "seq");
	cJSON *it = c->cps ? c->cps->child : NULL, *next;

	if (cp_check_late(a, c))
		return -1;

	/* one taken after the records were read is not this history's */
	for (; it; it = next) {
		next = it->next;
		if (cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(it, "seq")) > (double)f->seq)
			cJSON_DeleteItemFromObjectCaseSensitive(c->cps, it->string);
	}
	sess_integrity_finish(f, f->chain, what, c->cps,
			      sess_json_ll(start_seq, -1), cp_finding, c);
	if (!c->findings)
		return 0;
	return sess_err_set(&a->err, SESS_E_DATA, "checkpoint_mismatch",
			    "%s: %s (%ld finding%s); run 'sess-replay verify %s' (%s)", id, c->first,
			    c->findings, c->findings == 1 ? "" : "s", id, lost);
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
int store(struct cli_app *a, const char *id, struct sess_replay_enc *enc, cJSON **out)
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
