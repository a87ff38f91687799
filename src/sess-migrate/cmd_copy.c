/* sess-migrate copy: sessions to another server as a resumable task
 * (the engine: copy.c), optionally verified after. */
#include <string.h>

#include "copy.h"
#include "options.h"

static const struct cli_opt copy_o[] = {
	FROM, TO_REQ, SELECT,
	CLI_STR("ids", 0, "FILE", "the ids in FILE (- = stdin, as the argument -): JSON\n"
		"                         lines with \"id\", JSON strings or bare ids",
		O, ids, CLI_COMPLETE_FILE),
	CONFLICT, TASK, BATCH, RATE,
	CLI_STR("method", 0, "M", "auto (default), dump or structural", O, method, "auto dump structural"),
	CLI_FLAG("dry-run", 0, "say what would be copied, write nothing", O, dry_run),
	CLI_FLAG("verify", 0, "verify the selection after the copy", O, verify),
	CLI_FLAG("deep", 0, "with --verify: compare everything, not only chain heads", O, deep),
	CLI_END};
static const struct mig_opts defaults = MIG_DEFAULTS;

static int cmd_copy(struct cli_app *a, void *opts, int argc, char **argv)
{
	struct mig_opts *o = opts;
	struct mig_side src = {0}, dst = {0};
	struct mig_run run;
	int rc;

	if ((rc = mig_check_common(a, o)) || (rc = mig_ids_from_args(a, o, argc, argv)))
		return rc;
	/* --to: required in the table */
	if (!o->all && !o->since && !o->ids && !o->match && !o->state)
		return cli_usage_error(a, "say which sessions: --all, --since TIME, ID..., - (ids on stdin), --ids FILE, --match GLOB or --state STATE");
	memset(&run, 0, sizeof run);
	run.a = a;
	run.src = &src;
	run.dst = &dst;
	run.dry_run = o->dry_run;
	run.mode = o->conflict ? o->conflict : SESS_PUT_SKIP;
	run.stop_on_conflict = !strcmp(run.mode, SESS_PUT_FAIL);
	run.legacy = o->layout && !strcmp(o->layout, "legacy");
	run.batch = o->batch;
	run.rate = o->rate;
	if ((rc = mig_open_side(a, &src, o->from, "--from")) ||
	    (rc = mig_open_side(a, &dst, o->to, "--to")))
		goto out;
	/* refused before the task is made (select.c says why) */
	if (run.legacy && src.conn.cl) {
		char *none[1];
		mig_sel_init(&run.sel, o, src.cfg.prefix, 1);
		if (mig_sel_next(&run.sel, &src.conn, none, 1, &a->err) < 0) {
			rc = cli_app_fail(a);
			goto out;
		}
	}
	if (sess_mtask_init(&run.task, dst.cfg.prefix, o->task, &a->err)) {
		rc = cli_app_fail(a);
		goto out;
	}
	if (run.batch <= 0)
		run.batch = a->cfg.cleanup_batch > 0 ? a->cfg.cleanup_batch : 100;
	mig_sel_init(&run.sel, o, src.cfg.prefix, run.batch);
	if (run.dry_run) /* no done marks to skip repeats with: one walk */
		run.sel.second_pass = 1;
	mig_pick_method(&run, o->method);
	rc = mig_run_task(a, o, &run, "copy", 0);
	if (rc == 0 && o->verify && !o->dry_run)
		rc = mig_verify_run(a, o, &src, &dst);
out:
	mig_sel_free(&run.sel);
	mig_close_side(&src);
	mig_close_side(&dst);
	return rc;
}

const struct cli_cmd migrate_cmd_copy = {
	.name = "copy",
	.synopsis = "--all|--since TIME|--match GLOB|--ids FILE|ID...|-",
	.summary = "copy sessions to another server as a resumable task", .opts = copy_o,
	.opts_size = sizeof(struct mig_opts), .defaults = &defaults,
	.npos_max = -1, .complete = CLI_COMPLETE_SESSION, .run = cmd_copy};
