/* sessctl get: a session, its agents and last seq. */
#include "sessctl.h"

struct get_opts {
	int events;
};

static const struct cli_opt get_o[] = {
	CLI_FLAG("events", 'e', "include the event log", struct get_opts, events),
	CLI_END};

static int op_get(struct cli_app *a, const char *id, void *opts)
{
	cJSON *out = NULL;
	int rc = sess_get(&a->ctx, id, ((struct get_opts *)opts)->events, &out, &a->err);
	return sessctl_print_result(a, rc, out);
}

static int cmd_get(struct cli_app *a, void *opts, int argc, char **argv)
{
	(void)argc;
	return cli_run_ids(a, argv[0], op_get, opts);
}

const struct cli_cmd sessctl_cmd_get = {
	.name = "get", .synopsis = "ID", .summary = "show a session, its agents and last seq",
	.opts = get_o, .opts_size = sizeof(struct get_opts),
	.npos_min = 1, .npos_max = 1, .complete = CLI_COMPLETE_SESSION, .id_arg = 1,
	.run = cmd_get};
