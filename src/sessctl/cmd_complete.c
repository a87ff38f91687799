/* sessctl complete: mark a session completed. */
#include "sessctl.h"

static int op_complete(struct cli_app *a, const char *id, void *unused)
{
	cJSON *out = NULL;
	int rc = sess_complete(&a->ctx, id, &out, &a->err);
	(void)unused;
	return sessctl_print_written(a, rc, out);
}

static int cmd_complete(struct cli_app *a, void *opts, int argc, char **argv)
{
	(void)opts;
	(void)argc;
	return cli_run_ids(a, argv[0], op_complete, NULL);
}

const struct cli_cmd sessctl_cmd_complete = {
	.name = "complete", .synopsis = "ID",
	.summary = "mark a session completed; it takes no more events",
	.npos_min = 1, .npos_max = 1, .complete = CLI_COMPLETE_SESSION, .id_arg = 1,
	.run = cmd_complete};
