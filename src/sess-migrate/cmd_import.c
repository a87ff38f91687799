/* sess-migrate import: sessions from JSON lines (export's, or the
 * TypeScript layout's with --from-layout legacy) as a task; the engine:
 * io.c. */
#include <string.h>

#include "copy.h"
#include "options.h"

static const struct cli_opt import_o[] = {
	TO, CONFLICT, TASK, BATCH, RATE,
	CLI_STR("from-layout", 0, "LAYOUT", "legacy: lines hold the TypeScript keys", O, layout, "legacy 3"),
	CLI_FLAG("restart-ttl", 0, "count the remaining TTL from now, not from the export", O, restart_ttl),
	CLI_FLAG("dry-run", 0, "check the lines, write nothing", O, dry_run),
	CLI_FLAG("fail-fast", 0, "stop at the first bad line", O, fail_fast),
	CLI_END};
static const struct mig_opts defaults = MIG_DEFAULTS;

static int cmd_import(struct cli_app *a, void *opts, int argc, char **argv)
{
	struct mig_opts *o = opts;
	struct mig_side dst = {0};
	struct mig_run run;
	int rc;

	if ((rc = mig_check_common(a, o)))
		return rc;
	o->input = argc > 0 ? argv[0] : "-";
	memset(&run, 0, sizeof run);
	run.a = a;
	run.dst = &dst;
	run.dry_run = o->dry_run;
	run.restart_ttl = o->restart_ttl;
	run.mode = o->conflict ? o->conflict : SESS_PUT_SKIP;
	run.stop_on_conflict = !strcmp(run.mode, SESS_PUT_FAIL);
	run.batch = o->batch > 0 ? o->batch : 100;
	run.rate = o->rate;
	if ((rc = mig_open_side(a, &dst, o->to, "--to")))
		return rc;
	if (sess_mtask_init(&run.task, dst.cfg.prefix, o->task, &a->err))
		rc = cli_app_fail(a);
	else
		rc = mig_import_run(a, o, &run, 0);
	mig_close_side(&dst);
	return rc;
}

const struct cli_cmd migrate_cmd_import = {
	.name = "import", .synopsis = "[FILE|-]",
	.summary = "load sessions from JSON lines (export's, or --from-layout legacy)",
	.opts = import_o, .opts_size = sizeof(struct mig_opts), .defaults = &defaults,
	.npos_max = 1, .complete = CLI_COMPLETE_FILE, .run = cmd_import};
