/* sess-migrate resume: continue a copy, import or sync task where it
 * stopped, from what the task recorded on the target. */
#include <stdio.h>
#include <string.h>

#include "copy.h"
#include "core/model/json.h"
#include "options.h"

static const struct cli_opt resume_o[] = {FROM, TO_REQ, BATCH, RATE, CLI_END};
static const struct mig_opts defaults = MIG_DEFAULTS;

/* Rebuild a task's options from what it recorded. */
static void opts_from_task(struct mig_opts *o, const cJSON *t, char *since, size_t n)
{
#define S(name) cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(t, name))
	const cJSON *sn = cJSON_GetObjectItemCaseSensitive(t, "since");
	const cJSON *mt = cJSON_GetObjectItemCaseSensitive(t, "minTtl");

	if (!o->from && S("from") && !strstr(S("from"), "***"))
		o->from = S("from");
	o->all = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(t, "all")) ||
		 cJSON_GetObjectItemCaseSensitive(t, "all") != NULL;
	if (cJSON_IsNumber(sn)) {
		snprintf(since, n, "%.0f", sn->valuedouble);
		o->since = since;
	}
	if (cJSON_IsNumber(mt))
		o->min_ttl = (long)sess_json_ll(mt, 0);
	o->match = S("match");
	o->state = S("state");
	o->conflict = S("conflict");
	o->method = S("method");
	o->layout = S("layout");
	o->input = S("input");
	o->restart_ttl = cJSON_GetObjectItemCaseSensitive(t, "restartTtl") != NULL;
#undef S
}

static int cmd_resume(struct cli_app *a, void *opts, int argc, char **argv)
{
	struct mig_opts *o = opts;
	struct mig_side src = {0}, dst = {0};
	struct mig_run run;
	cJSON *t = NULL;
	char since[32];
	const char *kind;
	int rc;

	(void)argc;
	memset(&run, 0, sizeof run);
	if ((rc = mig_open_side(a, &dst, o->to, "--to")))
		return rc;
	if (sess_mtask_init(&run.task, dst.cfg.prefix, argv[0], &a->err) ||
	    sess_mtask_load(&dst.conn, &run.task, &t, &a->err)) {
		rc = cli_app_fail(a);
		goto out;
	}
	opts_from_task(o, t, since, sizeof since);
	kind = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(t, "kind"));
	if (cJSON_GetObjectItemCaseSensitive(t, "plan"))
		o->ids = "(plan)";
	run.a = a;
	run.src = &src;
	run.dst = &dst;
	run.mode = o->conflict ? o->conflict : SESS_PUT_SKIP;
	run.stop_on_conflict = !strcmp(run.mode, SESS_PUT_FAIL);
	run.legacy = o->layout && !strcmp(o->layout, "legacy");
	run.batch = o->batch > 0 ? o->batch : a->cfg.cleanup_batch > 0 ? a->cfg.cleanup_batch : 100;
	run.rate = o->rate;
	run.restart_ttl = o->restart_ttl;
	if (kind && !strcmp(kind, "sync")) {
		/* a sync goes on from the target's state (sync.c) */
		mig_close_side(&dst);
		o->task = argv[0];
		rc = mig_sync_main(a, o, 1);
		goto out;
	}
	if (kind && !strcmp(kind, "import")) {
		rc = mig_import_run(a, o, &run, 1);
		goto out;
	}
	if ((rc = mig_open_side(a, &src, o->from, "--from")))
		goto out;
	mig_sel_init(&run.sel, o, src.cfg.prefix, run.batch);
	mig_pick_method(&run, o->method);
	rc = mig_run_task(a, o, &run, "copy", 1);
out:
	mig_sel_free(&run.sel);
	cJSON_Delete(t);
	mig_close_side(&src);
	mig_close_side(&dst);
	return rc;
}

const struct cli_cmd migrate_cmd_resume = {
	.name = "resume", .synopsis = "TASK",
	.summary = "continue a task where it stopped (nothing twice, nothing missed)",
	.opts = resume_o, .opts_size = sizeof(struct mig_opts), .defaults = &defaults,
	.npos_min = 1, .npos_max = 1, .run = cmd_resume};
