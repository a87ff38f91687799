/* sess-migrate rollback: what a task did, undone exactly (only the
 * sessions it wrote; what it replaced put back); resumable. */
#include "upkeep.h"

#include <stdlib.h>
#include <string.h>

#include "core/redis/scan.h"
#include "core/model/ids.h"
#include "core/session/index.h"
#include "options.h"

static const struct cli_opt rollback_o[] = {TO_REQ, BATCH, CLI_END};
static const struct mig_opts defaults = MIG_DEFAULTS;

static const char *undo_names[] = {"removed", "restored", "kept", "changed", "gone"};

/* Undo a batch of the done hash's ids; counts into n[5] (n[2]: skipped
 * by the task, nothing to undo (the script's "kept"); n[3]: kept because
 * changed on the target since the task wrote them;
 * n[4]: gone, no longer on the target: nothing undone, nothing counted). */
static int undo_batch(struct cli_app *a, struct mig_side *dst, const struct sess_mtask *t,
		      char **ids, int cnt, long n[5], struct sess_err *err)
{
	char *changed = calloc((size_t)cnt + 1, 1);

	if (!changed)
		return sess_err_set(err, SESS_E_INTERNAL, NULL, "out of memory");
	struct sess_pipe p;
	int i, k;

	sess_pipe_init(&p, &dst->conn);
	for (i = 0; i < cnt; i++) {
		struct sess_keys keys;
		const char *argv[3 + 7 + 1];
		size_t lens[11];
		sess_keys_init(&keys, dst->cfg.prefix, ids[i]);
		argv[0] = "EVALSHA";
		argv[1] = sess_script_sha(SESS_LUA_MIGUNDO);
		argv[2] = "7";
		for (k = 0; k < SESS_NKEYS; k++)
			argv[3 + k] = keys.v[k];
		argv[8] = t->done;
		argv[9] = t->backup;
		argv[10] = ids[i];
		for (k = 0; k < 11; k++)
			lens[k] = strlen(argv[k]);
		if (sess_pipe_argv(&p, SESS_LUA_MIGUNDO, i, 11, argv, lens, err))
			goto fail;
	}
	for (i = 0; i < cnt; i++) {
		redisReply *r;
		long tag;
		const char *st;
		if (sess_pipe_next(&p, &r, &tag, err))
			goto fail;
		if (r->type != REDIS_REPLY_ARRAY || r->elements < 4) {
			if (r->type == REDIS_REPLY_ERROR)
				sess_conn_reply_error(&dst->conn, r, err);
			else
				sess_err_set(err, SESS_E_INTERNAL, NULL, "unexpected reply from migundo");
			freeReplyObject(r);
			goto fail;
		}
		st = r->element[0]->str;
		for (k = 0; k < 5; k++)
			if (!strcmp(st, undo_names[k]))
				break;
		if (k == 4) {
			/* deleted (or expired) on the target since: its index
			 * entries and counters went with it */
			cJSON *o = cJSON_CreateObject();
			cJSON_AddStringToObject(o, "id", ids[tag]);
			cJSON_AddStringToObject(o, "status", "gone");
			cli_out_json(&a->out, o);
			cJSON_Delete(o);
			n[4]++;
		} else if (k == 3) {
			/* written on the target since: kept as it is, and said */
			cJSON *o = cJSON_CreateObject();
			cJSON_AddStringToObject(o, "id", ids[tag]);
			cJSON_AddStringToObject(o, "status", "kept");
			cJSON_AddStringToObject(o, "reason",
						"changed on the target since the task wrote it; delete or restore it yourself");
			cli_out_json(&a->out, o);
			cJSON_Delete(o);
			n[3]++;
			changed[tag] = 1;
		} else if (k < 3) {
			long long at = strtoll(r->element[1]->str ? r->element[1]->str : "0", NULL, 10);
			const char **agents = calloc(r->elements, sizeof *agents);
			size_t m, na = 0;
			cJSON *o;
			if (r->element[1]->type == REDIS_REPLY_INTEGER)
				at = r->element[1]->integer;
			for (m = 4; m < r->elements; m++)
				agents[na++] = r->element[m]->str;
			n[k]++;
			if (k == 0 && sess_index_deleted(&p, &dst->cfg, ids[tag], agents, na, err)) {
				free(agents);
				freeReplyObject(r);
				goto fail;
			}
			if (k == 1) {
				if (!at)
					at = sess_now_ms() + 3600000;
				if (sess_index_touched(&p, &dst->cfg, ids[tag], at, err)) {
					free(agents);
					freeReplyObject(r);
					goto fail;
				}
				for (m = 0; m < na; m++)
					if (sess_index_joined(&p, &dst->cfg, ids[tag], agents[m], sess_now_ms(), at, err)) {
						free(agents);
						freeReplyObject(r);
						goto fail;
					}
			}
			free(agents);
			if (k < 2) {
				o = cJSON_CreateObject();
				cJSON_AddStringToObject(o, "id", ids[tag]);
				cJSON_AddStringToObject(o, "status", st);
				cli_out_json(&a->out, o);
				cJSON_Delete(o);
			}
		}
		freeReplyObject(r);
	}
	if (sess_pipe_run(&p, err))
		goto fail;
	/* the indexes are right: now the marks may go (killed before this,
	 * a rerun redoes the index upkeep from the 'u' marks) */
	for (i = 0; i < cnt; i++)
		if (!changed[i] && sess_pipe_cmdf(&p, 0, err, "HDEL %s %s", t->done, ids[i]))
			goto fail;
	if (sess_pipe_run(&p, err))
		goto fail;
	sess_pipe_free(&p);
	free(changed);
	return 0;
fail:
	sess_pipe_free(&p);
	free(changed);
	return -1;
}

static int cmd_rollback(struct cli_app *a, void *opts, int argc, char **argv)
{
	struct mig_opts *o = opts;
	struct mig_side dst = {0};
	struct sess_mtask t, tt;
	const char **tags = NULL;
	int ntags = 0, ti;
	cJSON *j = NULL, *sum;
	long n[5] = {0, 0, 0, 0, 0};
	char *ids[1000];
	struct sess_scan it;
	const redisReply *page;
	int more = 0;
	long long start = sess_now_ms();
	struct sess_err err;
	int rc, cnt;

	(void)argc;
	if ((rc = mig_open_side(a, &dst, o->to, "--to")))
		return rc;
	if (sess_mtask_init(&t, dst.cfg.prefix, argv[0], &a->err) ||
	    sess_mtask_load(&dst.conn, &t, &j, &a->err)) {
		rc = cli_app_fail(a);
		goto out;
	}
	{
		const char *k = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(j, "kind"));
		if (k && !strcmp(k, "sync")) {
			sess_err_set(&a->err, SESS_E_USAGE, "usage",
				     "task %s is a live sync, which keeps no backups: there is nothing to roll back; delete what it brought with 'sessctl delete' on the target",
				     argv[0]);
			rc = cli_app_fail(a);
			goto out;
		}
	}
	if (sess_script_load_all(&dst.conn, &a->err) ||
	    sess_mtask_set(&dst.conn, &t, "status", "rolling-back", &a->err)) {
		rc = cli_app_fail(a);
		goto out;
	}
	{ /* a killed run's pending upkeep first, so the undo's upkeep (index
	   * entries removed, 'deleted' counted) undoes a complete arrival */
		struct mig_run run;
		long upkept;
		memset(&run, 0, sizeof run);
		run.a = a;
		run.dst = &dst;
		run.task = t;
		run.batch = o->batch;
		if (mig_upkeep_pending(&run, &upkept, &a->err)) {
			rc = cli_app_fail(a);
			goto out;
		}
	}
	cli_catch_stop_signals();
	/* the slots that hold the task's marks on a cluster (one set on a
	 * standalone server) */
	if (sess_mtask_tags(&dst.conn, &t, &tags, &ntags, &err))
		goto fail;
	for (ti = 0; ti < ntags && !cli_stop_signal(); ti++) {
		sess_mtask_at(&t, tags[ti], &tt);
		/* HSCAN the done marks; each undo forgets its mark in the same script,
		 * so a rerun after a kill undoes exactly what is left */
		sess_scan_init(&it, &dst.conn, "HSCAN", tt.done, NULL, o->batch > 0 ? o->batch : 100);
		while (!cli_stop_signal() && (more = sess_scan_next(&it, &page, &err)) == 1) {
			size_t i = 0;
			/* a page holds up to about COUNT marks (--batch may be far more
			 * than ids holds): undone in runs of at most 1000, every one */
			while (i + 1 < page->elements) {
				cnt = 0;
				for (; i + 1 < page->elements && cnt < 1000; i += 2) {
					const char *id = page->element[i]->str;
					if (id[0] != '#' && !(ids[cnt++] = strdup(id))) {
						cnt--;
						break;
					}
				}
				rc = i + 1 < page->elements && cnt < 1000
					     ? sess_err_set(&err, SESS_E_INTERNAL, NULL, "out of memory")
					     : undo_batch(a, &dst, &tt, ids, cnt, n, &err);
				while (cnt > 0)
					free(ids[--cnt]);
				if (rc) {
					sess_scan_free(&it);
					goto fail;
				}
			}
		}
		sess_scan_free(&it);
		if (more < 0)
			goto fail;
	}
	sum = cJSON_CreateObject();
	cJSON_AddBoolToObject(sum, "summary", 1);
	cJSON_AddStringToObject(sum, "task", t.name);
	cJSON_AddNumberToObject(sum, "removed", (double)n[0]);
	cJSON_AddNumberToObject(sum, "restored", (double)n[1]);
	cJSON_AddNumberToObject(sum, "kept", (double)n[3]);
	cJSON_AddNumberToObject(sum, "skipped", (double)n[2]);
	cJSON_AddNumberToObject(sum, "gone", (double)n[4]);
	cJSON_AddNumberToObject(sum, "elapsedMs", (double)(sess_now_ms() - start));
	cli_print(a, sum);
	if (cli_stop_signal()) {
		sess_mtask_set(&dst.conn, &t, "status", "rollback-interrupted", &err);
		fprintf(stderr, "%s: stopped after the batch in flight; continue with 'sess-migrate rollback %s --to %s'\n",
			a->prog, t.name, dst.desc);
		rc = cli_signal_exit();
		goto out;
	}
	if (n[3]) {
		/* the marks (and backups) of the sessions kept stay: a rollback
		 * run again once they are dealt with finishes the task */
		sess_mtask_set(&dst.conn, &t, "status", "rolled-back-partly", &err);
		fprintf(stderr, "%s: %ld session%s changed on the target since task %s wrote %s: kept, not rolled back (the \"kept\" lines)\n",
			a->prog, n[3], n[3] == 1 ? "" : "s", t.name, n[3] == 1 ? "it" : "them");
		rc = 1;
		goto out;
	}
	sess_mtask_set(&dst.conn, &t, "status", "rolled-back", &err);
	for (ti = 0; ti < ntags; ti++) { /* the counters of what it wrote are undone too */
		redisReply *r;
		sess_mtask_at(&t, tags[ti], &tt);
		if ((r = sess_conn_cmdf(&dst.conn, &err, "DEL %s %s %s", tt.done, tt.backup, tt.upkeep)))
			freeReplyObject(r);
	}
	rc = 0;
	goto out;
fail:
	fprintf(stderr, "%s: %s\n%s: the rollback is resumable: run 'sess-migrate rollback %s --to %s' again\n",
		a->prog, err.msg, a->prog, t.name, dst.desc);
	rc = sess_err_exit_code(err.cls);
out:
	free(tags);
	cJSON_Delete(j);
	mig_close_side(&dst);
	return rc;
}

const struct cli_cmd migrate_cmd_rollback = {
	.name = "rollback", .synopsis = "TASK",
	.summary = "remove what a task wrote and restore what it replaced (resumable)",
	.opts = rollback_o, .opts_size = sizeof(struct mig_opts), .defaults = &defaults,
	.npos_min = 1, .npos_max = 1, .run = cmd_rollback};
