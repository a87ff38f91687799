/* io.c - the import engine (import, and resume of an import task):
 * sessions from JSON lines (export's, cmd_export.c, or the
 * TypeScript layout's), for restores, pipes and ssh. */
#include "copy.h"
#include "chain.h"
#include "idset.h"
#include "upkeep.h"

#include <stdlib.h>
#include <string.h>

#include "core/model/json.h"
#include "sess-migrate/legacy.h"
#include "core/model/ids.h"
#include "core/base/schema.h"

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
	if (!legacy && mig_chain_check(s, err))
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

/* Write what is pending; returns -1 with err when the target failed. */
static int flush(struct mig_run *run, struct sess_snap *snaps, int *ok, int *n, struct sess_err *err)
{
	int i, rc = 0;

	if (*n > 0)
		rc = run->dry_run ? mig_dry_report(run, snaps, *n, ok, err)
				  : mig_write_batch(run, snaps, *n, ok, err);
	for (i = 0; i < *n; i++)
		sess_snap_free(&snaps[i]);
	mig_meter_tick(&run->meter, "importing", *n);
	*n = 0;
	return rc;
}

int mig_import_run(struct cli_app *a, struct mig_opts *o, struct mig_run *run, int resume)
{
	const char *path = o->input ? o->input : "-";
	FILE *f;
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	long lineno = 0;
	struct sess_snap *snaps;
	int *ok, n = 0, rc;
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
	snaps = calloc((size_t)run->batch, sizeof *snaps);
	ok = calloc((size_t)run->batch, sizeof *ok);
	run->meter.start_ms = sess_now_ms();
	run->meter.rate = run->rate;
	cli_catch_stop_signals();
	while (!cli_stop_signal() && (len = getline(&line, &cap, f)) != -1) {
		cJSON *j;
		struct sess_snap *s = &snaps[n];
		lineno++;
		while (len > 0 && strchr("\r\n \t", line[len - 1]))
			line[--len] = '\0';
		if (!len)
			continue;
		sess_err_clear(&err);
		memset(s, 0, sizeof *s);
		if (!(j = sess_json_parse_err(line, NULL, NULL, &err)) ||
		    (legacy ? legacy_line(s, j, &run->dst->cfg, &err) : sess_snap_from_json(s, j, &err)) ||
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
		ok[n] = 1;
		if (s->expire_at && s->expire_at <= s->now) {
			mig_report(run, s->id, MIG_EXPIRED, NULL);
			sess_snap_free(s);
			continue;
		}
		if (++n == (int)run->batch && flush(run, snaps, ok, &n, &err))
			goto fail;
		if (run->stop_on_conflict && run->count[MIG_CONFLICT])
			break;
	}
	if (flush(run, snaps, ok, &n, &err))
		goto fail;
	mig_idset_free(&seen);
	free(line);
	free(snaps);
	free(ok);
	if (f != stdin)
		fclose(f);
	if (cli_stop_signal())
		return mig_stop(run, NULL);
	if (isatty(STDERR_FILENO))
		fputs("\r\033[K", stderr);
	return mig_finish(run);
fail:
	mig_idset_free(&seen);
	free(line);
	free(snaps);
	free(ok);
	if (f != stdin)
		fclose(f);
	return mig_stop(run, &err);
}
