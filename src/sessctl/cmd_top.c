/* sessctl top: the largest sessions, by events or by memory (core
 * session/top.c reads every session of the index once). */
#include "sessctl.h"

#include <string.h>

#include "core/session/top.h"

struct top_opts {
	const char *by;
	long limit;
};

static const struct cli_opt top_o[] = {
	CLI_STR("by", 0, "WHAT", "events (the log's length, the default) or memory\n"
		"                         (MEMORY USAGE of the session's keys)",
		struct top_opts, by, "events memory"),
	CLI_LONG("limit", 'l', "N", "how many sessions", struct top_opts, limit, 1, 100000),
	CLI_END};
static const struct top_opts top_d = {NULL, 10};

static int cmd_top(struct cli_app *a, void *opts, int argc, char **argv)
{
	const struct top_opts *o = opts;
	enum sess_top_by by = SESS_TOP_EVENTS;
	long scanned;
	int rc;

	(void)argc;
	(void)argv;
	if (o->by && !strcmp(o->by, "memory"))
		by = SESS_TOP_MEMORY;
	else if (o->by && strcmp(o->by, "events"))
		return cli_usage_error(a, "--by takes events or memory, not \"%.40s\"", o->by);
	if ((rc = cli_connect(a)))
		return rc;
	if (sess_top(&a->ctx, by, o->limit, cli_each_print, a, &scanned, &a->err))
		return cli_app_fail(a);
	return 0;
}

const struct cli_cmd sessctl_cmd_top = {
	.name = "top", .synopsis = "",
	.summary = "the largest sessions, by events or by memory",
	.details = "Reads every session of the index once (a page of 200 a round trip), so it\n"
		   "costs about what `sess-validate sessions --all` reads of meta; run it\n"
		   "off-peak on a big server. bytes is Redis's MEMORY USAGE estimate.",
	.opts = top_o, .opts_size = sizeof(struct top_opts), .defaults = &top_d,
	.table = "rank id state events seq agents bytes",
	.run = cmd_top};
