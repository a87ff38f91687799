/* sessctl join: add an agent to a session. */
#include "sessctl.h"

static int op_join(struct cli_app *a, const char *id, void *agent)
{
	cJSON *out = NULL;
	int rc = sess_join(&a->ctx, id, agent, &out, &a->err);
	return sessctl_print_written(a, rc, out);
}

static int cmd_join(struct cli_app *a, void *opts, int argc, char **argv)
{
	(void)opts;
	(void)argc;
	return sessctl_with_agent(a, argv, op_join);
}

const struct cli_cmd sessctl_cmd_join = {
	.name = "join", .synopsis = "ID AGENT", .summary = "add an agent to a session",
	.npos_min = 2, .npos_max = 2, .complete = CLI_COMPLETE_SESSION, .id_arg = 1,
	.run = cmd_join};
