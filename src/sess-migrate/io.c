/* io.c - the import engine (import, and resume of an import task):
 * sessions from JSON lines (export's, cmd_export.c, or the
 * TypeScript layout's), for restores, pipes and ssh. */
#include "copy.h"
#include "chain.h"
#include "idset.h"
#include "upkeep.h"
#include "wbatch.h"

#include <stdlib.h>
#include <string.h>

#include "core/model/json.h"
#include "sess-migrate/legacy.h"
#include "sess-migrate/line.h"
#include "core/model/ids.h"
#include "core/base/schema.h"
#include "core/redis/sentinel.h"

/* A legacy line: {"id","session":{...},"events":[text|{"score","value"}],
 * "agents":[...],"pttl":MS} (the three TypeScript keys of one session). */
static int legacy_line(struct sess_snap *s, const cJSON *j, const struct sess_config *cfg,
		       struct sess_err *err)
{
	const char *id = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(j, "id"));
	const cJSON *h = cJSON_GetObjectItemCaseSensitive(j, "session"), *e;
	const cJSON *pt = cJSON_GetObjectItemCaseSensitive(j, "pttl");
	struct sess_strv hash = {0}, ev = {0}, ag = {0};
	long long *scores;
	size_t n = 0;
	int rc;

	if (!id || sess_key_check_id(id, "session id", err))
		return id ? -1 : sess_err_set(err, SESS_E_DATA, "bad_input", "the line has no \"id\" string");
	sess_snap_init(s, id, 's');
	if (!cJSON_IsObject(h))
		return sess_err_set(err, SESS_E_DATA, "bad_input", "session %s: \"session\" must be the session:ID hash as an object", id);
	cJSON_ArrayForEach(e, h) {
		char num[32];
		const char *v = cJSON_GetStringValue(e);
		if (cJSON_IsNumber(e)) {
			snprintf(num, sizeof num, "%.0f", e->valuedouble);
			v = num;
		}
		if (v) {
			sess_strv_push(&hash, e->string, strlen(e->string));
			sess_strv_push(&hash, v, strlen(v));
		}
	}
	scores = calloc((size_t)cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(j, "events")) + 1, sizeof *scores);
	cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(j, "events")) {
		const char *v = cJSON_GetStringValue(e);
		const cJSON *sc = cJSON_GetObjectItemCaseSensitive(e, "score");
		if (!v)
			v = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(e, "value"));
		if (!v)
			continue;
		scores[n] = sess_json_ll(sc, (long long)n + 1);
		n++;
		sess_strv_push(&ev, v, strlen(v));
	}
	cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(j, "agents"))
		if (cJSON_IsString(e))
			sess_strv_push(&ag, e->valuestring, strlen(e->valuestring));
	rc = sess_legacy_convert(s, &hash, &ev, scores, &ag, sess_json_ll(pt, -1),
				 sess_now_ms(), cfg, err);
	free(scores);
	sess_strv_free(&hash);
	sess_strv_free(&ev);
	sess_strv_free(&ag);
	return rc;
}

/* What a line holds beyond its shape, checked before it is written: a
 * second line of one id (an error, whatever --conflict says), a history
 * whose chain does not hold (chain.c), and no expiry (the session's ttl,
 * else SESSION_TTL, from now: a session never outlives its TTL). */
static int line_checks(struct mig_run *run, struct mig_idset *seen, struct sess_snap *s, long lineno,
		       int legacy, struct sess_err *err)
{
	long first = mig_idset_add(seen, s->id, lineno);

	if (first < 0)
		return sess_err_set(err, SESS_E_INTERNAL, NULL, "out of memory");
	if (first > 0)
		return sess_err_set(err, SESS_E_DATA, "duplicate",
				    "session %s was on line %ld already; one line per session (the later line is not imported: remove one of them)",
				    s->id, first);
	if (!legacy && mig_chain_check_types(s, err))
		return -1;
	if (run->restart_ttl && s->expire_at && s->now)
		s->expire_at = sess_now_ms() + (s->expire_at - s->now);
	if (!s->expire_at) {
		long long ttl = sess_snap_meta_ll(s, SESS_S_F_TTL, 0);
		if (ttl <= 0)
			ttl = run->dst->cfg.default_ttl;
		s->expire_at = sess_now_ms() + ttl * 1000;
	}
	return 0;
}

/* The batches of an import: one being parsed, one whose puts are in
 * flight on the target, one whose index upkeep is: the target writes
 * while the next lines are parsed (as copy.c's copy_overlapped; with
 * durable writes on, a batch is settled before the next is put). */
struct imp {
	struct mig_wb b[3];
	struct mig_wb *cur, *flight, *pend;
	struct sess_pipe wp;
	int deep;
};

/* cur is full (or the input ended): put it; take the batch before it; settle
 * the one before that. -1 with err when the target failed. */
static int imp_step(struct mig_run *run, struct imp *im, struct sess_err *err)
{
	struct mig_wb *t;

	if (run->dry_run) {
		int rc = im->cur->n > 0 ? mig_dry_report(run, im->cur->snaps, im->cur->n, im->cur->ok, err) : 0;
		mig_meter_tick(&run->meter, "importing", im->cur->n);
		mig_wb_clear(im->cur);
		return rc;
	}
	if (!im->deep && im->flight->n > 0) {
		if (mig_wb_take(run, im->flight, &im->wp, err) || mig_wb_settle(run, im->flight, &im->wp, err))
			return -1;
		mig_meter_tick(&run->meter, "importing", im->flight->n);
		mig_wb_clear(im->flight);
	}
	if (im->cur->n > 0 && mig_wb_send(run, im->cur, &im->wp, err))
		return -1;
	if (im->flight->n > 0 && mig_wb_take(run, im->flight, &im->wp, err))
		return -1;
	if (im->pend->n > 0) {
		if (mig_wb_settle(run, im->pend, &im->wp, err))
			return -1;
		mig_meter_tick(&run->meter, "importing", im->pend->n);
		mig_wb_clear(im->pend);
	}
	t = im->pend;
	im->pend = im->flight;
	im->flight = im->cur;
	im->cur = t;
	return 0;
}

/* The end of the input: everything put and settled. */
static int imp_flush(struct mig_run *run, struct imp *im, struct sess_err *err)
{
	while (im->cur->n > 0 || im->flight->n > 0 || im->pend->n > 0)
		if (imp_step(run, im, err))
			return -1;
	return 0;
}

static int imp_init(struct mig_run *run, struct imp *im, struct sess_err *err)
{
	int i;

	memset(im, 0, sizeof *im);
	for (i = 0; i < 3; i++)
		if (mig_wb_init(&im->b[i], (int)run->batch, 0, err))
			return -1;
	im->cur = &im->b[0];
	im->flight = &im->b[1];
	im->pend = &im->b[2];
	im->deep = !sess_durable_on(&run->dst->cfg);
	sess_pipe_init(&im->wp, &run->dst->conn);
	return 0;
}

/* failed: what was written but not confirmed is said so; the replies
 * still owed are dropped */
static void imp_free(struct mig_run *run, struct imp *im, const struct sess_err *err)
{
	int i;

	for (i = 0; i < 3; i++) {
		if (err)
			mig_wb_fail(run, &im->b[i], err);
		mig_wb_free(&im->b[i]);
	}
	if (im->wp.conn) {
		sess_pipe_drain(&im->wp, SESS_PIPE_ALL, NULL);
		sess_pipe_free(&im->wp);
	}
}

int mig_import_run(struct cli_app *a, struct mig_opts *o, struct mig_run *run, int resume)
{
	const char *path = o->input ? o->input : "-";
	FILE *f;
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	long lineno = 0;
	struct imp im;
	int rc;
	struct sess_err err;
	cJSON *info;
	struct mig_idset seen = {0};
	int legacy = o->layout && !strcmp(o->layout, "legacy");

	if (resume && !strcmp(path, "-")) {
		sess_err_set(&a->err, SESS_E_USAGE, NULL,
			     "task %s read stdin, which cannot be read again; run 'sess-migrate import FILE --task %s' with the same data (what it wrote is skipped)",
			     run->task.name, run->task.name);
		return cli_app_fail(a);
	}
	if (!(f = strcmp(path, "-") ? fopen(path, "r") : stdin)) {
		sess_err_set(&a->err, SESS_E_NOINPUT, NULL, "cannot read %s; check the path", path);
		return cli_app_fail(a);
	}
	if (!run->dry_run) {
		if (resume) {
			sess_mtask_set(&run->dst->conn, &run->task, "status", "running", &a->err);
		} else {
			info = cJSON_CreateObject();
			cJSON_AddStringToObject(info, "kind", "import");
			cJSON_AddStringToObject(info, "status", "running");
			cJSON_AddStringToObject(info, "to", run->dst->desc);
			cJSON_AddStringToObject(info, "input", path);
			cJSON_AddStringToObject(info, "conflict", run->mode);
			cJSON_AddNumberToObject(info, "created", (double)sess_now_ms());
			if (o->layout)
				cJSON_AddStringToObject(info, "layout", o->layout);
			if (o->restart_ttl)
				cJSON_AddStringToObject(info, "restartTtl", "1");
			rc = sess_mtask_create(&run->dst->conn, &run->task, info, &a->err);
			cJSON_Delete(info);
			if (rc) {
				if (f != stdin)
					fclose(f);
				return cli_app_fail(a);
			}
		}
	}
	if (sess_script_load_all(&run->dst->conn, &a->err) ||
	    (resume && !run->dry_run && mig_upkeep_pending(run, &run->upkept, &a->err))) {
		if (f != stdin)
			fclose(f);
		return cli_app_fail(a);
	}
	snprintf(run->method_why, sizeof run->method_why, "structural (from JSON lines)");
	if (imp_init(run, &im, &err)) {
		if (f != stdin)
			fclose(f);
		imp_free(run, &im, NULL);
		return mig_stop(run, &err);
	}
	run->meter.start_ms = sess_now_ms();
	run->meter.rate = run->rate;
	cli_catch_stop_signals();
	while (!cli_stop_signal() && (len = getline(&line, &cap, f)) != -1) {
		cJSON *j;
		struct sess_snap *s = &im.cur->snaps[im.cur->n];
		lineno++;
		while (len > 0 && strchr("\r\n \t", line[len - 1]))
			line[--len] = '\0';
		if (!len)
			continue;
		sess_err_clear(&err);
		memset(s, 0, sizeof *s);
		/* a plain line read directly; anything else the slow way (the
		 * same session, or the refusal worded) */
		j = NULL;
		if (((legacy || !mig_line_read(s, line, (size_t)len)) &&
		     (!(j = sess_json_parse_err(line, NULL, NULL, &err)) ||
		      (legacy ? legacy_line(s, j, &run->dst->cfg, &err) : sess_snap_from_json_take(s, j, &err)))) ||
		    line_checks(run, &seen, s, lineno, legacy, &err)) {
			if (err.cls == SESS_E_INTERNAL) {
				cJSON_Delete(j);
				sess_snap_free(s);
				goto fail;
			}
			cJSON *rec = cli_error_record(lineno, &err);
			if (s->id[0])
				cJSON_AddStringToObject(rec, "id", s->id);
			cli_out_json(&a->out, rec);
			cJSON_Delete(rec);
			cJSON_Delete(j);
			sess_snap_free(s);
			run->count[MIG_FAILED]++;
			if (!run->rc)
				run->rc = sess_err_exit_code(err.cls);
			if (o->fail_fast)
				break;
			continue;
		}
		cJSON_Delete(j);
		s->now = sess_now_ms();
		im.cur->ok[im.cur->n] = 1;
		if (s->expire_at && s->expire_at <= s->now) {
			mig_report(run, s->id, MIG_EXPIRED, NULL);
			sess_snap_free(s);
			continue;
		}
		if (++im.cur->n == (int)run->batch && imp_step(run, &im, &err))
			goto fail;
		if (run->stop_on_conflict && run->count[MIG_CONFLICT])
			break;
	}
	if (imp_flush(run, &im, &err))
		goto fail;
	imp_free(run, &im, NULL);
	mig_idset_free(&seen);
	free(line);
	if (f != stdin)
		fclose(f);
	if (cli_stop_signal())
		return mig_stop(run, NULL);
	mig_meter_end();
	return mig_finish(run);
fail:
	imp_free(run, &im, &err);
	mig_idset_free(&seen);
	free(line);
	if (f != stdin)
		fclose(f);
	return mig_stop(run, &err);
}
