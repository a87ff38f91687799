/* sess-migrate status: a task's progress. */
#include "options.h"

static const struct cli_opt to_o[] = {TO_REQ, CLI_END};
static const struct mig_opts defaults = MIG_DEFAULTS;

static int cmd_status(struct cli_app *a, void *opts, int argc, char **argv)
{
	struct mig_opts *o = opts;
	struct mig_side dst = {0};
	struct sess_mtask t;
	cJSON *j;
	int rc;

	(void)argc;
	if ((rc = mig_open_side(a, &dst, o->to, "--to")))
		return rc;
	if (sess_mtask_init(&t, dst.cfg.prefix, argv[0], &a->err) ||
	    sess_mtask_load(&dst.conn, &t, &j, &a->err))
		rc = cli_app_fail(a);
	else {
		sess_mtask_add_state(j, sess_now_ms());
		cli_print(a, j);
	}
	mig_close_side(&dst);
	return rc;
}

const struct cli_cmd migrate_cmd_status = {
	.name = "status", .synopsis = "TASK", .summary = "a task's progress", .opts = to_o,
	.opts_size = sizeof(struct mig_opts), .defaults = &defaults,
	.npos_min = 1, .npos_max = 1, .table = MIG_TASK_TABLE, .run = cmd_status};
