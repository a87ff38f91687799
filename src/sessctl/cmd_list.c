/* sessctl list: sessions, most recently active first, a page at a time
 * (listing.c). */
#include "sessctl.h"

struct list_opts {
	const char *agent, *state;
	long limit, cursor;
};

static const struct cli_opt list_o[] = {
	CLI_STR("agent", 'a', "AGENT", "only this agent's sessions", struct list_opts, agent, NULL),
	CLI_STR("state", 0, "STATE", "only working, broken or completed sessions",
		struct list_opts, state, "working broken completed"),
	CLI_LONG("limit", 'l', "N", "at most N rows", struct list_opts, limit, 1, 1L << 40),
	CLI_LONG("cursor", 0, "C", "resume after the row whose \"cursor\" was C",
		 struct list_opts, cursor, 0, 1L << 40),
	CLI_END};

static int cmd_list(struct cli_app *a, void *opts, int argc, char **argv)
{
	const struct list_opts *o = opts;
	struct sess_list_opts lo = {o->agent, o->state, o->limit, o->cursor};

	(void)argc;
	(void)argv;
	return sessctl_list(a, &lo);
}

const struct cli_cmd sessctl_cmd_list = {
	.name = "list", .synopsis = "",
	.summary = "list sessions, most recently active first",
	.opts = list_o, .opts_size = sizeof(struct list_opts),
	.table = "id state seq agentCount:agents creator updated@ expiresAt@:expires",
	.run = cmd_list};
