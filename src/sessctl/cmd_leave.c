/* sessctl leave: remove an agent; the last one leaving puts the session
 * on graceTTL. */
#include "sessctl.h"

static int op_leave(struct cli_app *a, const char *id, void *agent)
{
	cJSON *out = NULL;
	int rc = sess_leave(&a->ctx, id, agent, &out, &a->err);
	return sessctl_print_written(a, rc, out);
}

static int cmd_leave(struct cli_app *a, void *opts, int argc, char **argv)
{
	(void)opts;
	(void)argc;
	return sessctl_with_agent(a, argv, op_leave);
}

const struct cli_cmd sessctl_cmd_leave = {
	.name = "leave", .synopsis = "ID AGENT",
	.summary = "remove an agent; the last one leaving puts the session on graceTTL",
	.npos_min = 2, .npos_max = 2, .complete = CLI_COMPLETE_SESSION, .id_arg = 1,
	.run = cmd_leave};
