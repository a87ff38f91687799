/* sessctl checkpoints: a session's checkpoints, one per line. */
#include "sessctl.h"

static int op_checkpoints(struct cli_app *a, const char *id, void *unused)
{
	(void)unused;
	return sess_checkpoints(&a->ctx, id, cli_each_print, a, &a->err);
}

static int cmd_checkpoints(struct cli_app *a, void *opts, int argc, char **argv)
{
	(void)opts;
	(void)argc;
	return cli_run_ids(a, argv[0], op_checkpoints, NULL);
}

const struct cli_cmd sessctl_cmd_checkpoints = {
	.name = "checkpoints", .synopsis = "ID", .summary = "list a session's checkpoints",
	.npos_min = 1, .npos_max = 1, .complete = CLI_COMPLETE_SESSION, .id_arg = 1,
	.table = "id seq timestamp@:time reason state agents",
	.run = cmd_checkpoints};
