/* sessctl stats: active sessions, events by type, averages. */
#include "sessctl.h"

static int cmd_stats(struct cli_app *a, void *opts, int argc, char **argv)
{
	cJSON *out = NULL;
	int rc;

	(void)opts;
	(void)argc;
	(void)argv;
	if ((rc = cli_connect(a)))
		return rc;
	if (sess_stats(&a->ctx, &out, &a->err))
		return cli_app_fail(a);
	return cli_print(a, out);
}

const struct cli_cmd sessctl_cmd_stats = {
	.name = "stats", .synopsis = "", .summary = "active sessions, events by type, averages",
	.run = cmd_stats};
