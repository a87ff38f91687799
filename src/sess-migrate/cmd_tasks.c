/* sess-migrate tasks: the tasks a target holds. */
#include "options.h"

static const struct cli_opt to_o[] = {TO_REQ, CLI_END};
static const struct mig_opts defaults = MIG_DEFAULTS;

static int cmd_tasks(struct cli_app *a, void *opts, int argc, char **argv)
{
	struct mig_opts *o = opts;
	struct mig_side dst = {0};
	struct sess_mtask reg;
	redisReply *r;
	size_t i;
	int rc;

	(void)argc;
	(void)argv;
	if ((rc = mig_open_side(a, &dst, o->to, "--to")))
		return rc;
	sess_mtask_init(&reg, dst.cfg.prefix, "x", NULL);
	if (!(r = sess_conn_cmdf(&dst.conn, &a->err, "ZRANGE %s 0 -1", reg.reg))) {
		rc = cli_app_fail(a);
		goto out;
	}
	for (i = 0; i < r->elements && !a->out.closed; i++) {
		struct sess_mtask t;
		cJSON *j;
		struct sess_err e;
		if (sess_mtask_init(&t, dst.cfg.prefix, r->element[i]->str, &e) ||
		    sess_mtask_load(&dst.conn, &t, &j, &e))
			continue;
		sess_mtask_add_state(j, sess_now_ms());
		cli_print(a, j);
	}
	freeReplyObject(r);
out:
	mig_close_side(&dst);
	return rc;
}

const struct cli_cmd migrate_cmd_tasks = {
	.name = "tasks", .synopsis = "", .summary = "list the tasks a target holds",
	.opts = to_o, .opts_size = sizeof(struct mig_opts), .defaults = &defaults,
	.table = MIG_TASK_TABLE, .run = cmd_tasks};
