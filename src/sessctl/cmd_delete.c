/* sessctl delete: a session and its index entries. */
#include "sessctl.h"

static int op_delete(struct cli_app *a, const char *id, void *unused)
{
	cJSON *out = NULL;
	int rc = sess_delete(&a->ctx, id, &out, &a->err);
	(void)unused;
	return sessctl_print_written(a, rc, out);
}

static int cmd_delete(struct cli_app *a, void *opts, int argc, char **argv)
{
	(void)opts;
	(void)argc;
	return cli_run_ids(a, argv[0], op_delete, NULL);
}

const struct cli_cmd sessctl_cmd_delete = {
	.name = "delete", .synopsis = "ID", .summary = "delete a session and its index entries",
	.npos_min = 1, .npos_max = 1, .complete = CLI_COMPLETE_SESSION, .id_arg = 1,
	.run = cmd_delete};
