/* sessctl agents AGENT: an agent's sessions, as list --agent AGENT
 * (listing.c), with list's paging options. */
#include "sessctl.h"

struct agents_opts {
	long limit, cursor;
};

static const struct cli_opt agents_o[] = {
	CLI_LONG("limit", 'l', "N", "at most N rows", struct agents_opts, limit, 1, 1L << 40),
	CLI_LONG("cursor", 0, "C", "resume after the row whose \"cursor\" was C",
		 struct agents_opts, cursor, 0, 1L << 40),
	CLI_END};

static int cmd_agents(struct cli_app *a, void *opts, int argc, char **argv)
{
	const struct agents_opts *o = opts;
	struct sess_list_opts lo = {argv[0], NULL, o->limit, o->cursor};

	(void)argc;
	return sessctl_list(a, &lo);
}

const struct cli_cmd sessctl_cmd_agents = {
	.name = "agents", .synopsis = "AGENT",
	.summary = "list an agent's sessions (same as list --agent)",
	.opts = agents_o, .opts_size = sizeof(struct agents_opts),
	.npos_min = 1, .npos_max = 1, .table = "id state seq agentCount:agents creator updated@ expiresAt@:expires",
	.run = cmd_agents};
