/* sessctl touch: restart a session's TTL. */
#include "core/model/limits.h"
#include "sessctl.h"

struct touch_opts {
	long ttl;
};

static const struct cli_opt touch_o[] = {
	CLI_DUR("ttl", 0, "DURATION", "the new TTL (default: keep the session's)",
		 struct touch_opts, ttl, 1000, 1, SESS_TTL_MAX),
	CLI_END};

static int op_touch(struct cli_app *a, const char *id, void *opts)
{
	cJSON *out = NULL;
	int rc = sess_touch(&a->ctx, id, ((struct touch_opts *)opts)->ttl, &out, &a->err);
	return sessctl_print_written(a, rc, out);
}

static int cmd_touch(struct cli_app *a, void *opts, int argc, char **argv)
{
	(void)argc;
	return cli_run_ids(a, argv[0], op_touch, opts);
}

const struct cli_cmd sessctl_cmd_touch = {
	.name = "touch", .synopsis = "ID",
	.summary = "restart a session's TTL (optionally a new one)",
	.opts = touch_o, .opts_size = sizeof(struct touch_opts),
	.npos_min = 1, .npos_max = 1, .complete = CLI_COMPLETE_SESSION, .id_arg = 1,
	.run = cmd_touch};
