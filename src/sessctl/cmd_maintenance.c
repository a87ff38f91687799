/* sessctl maintenance: prune expired index entries, trim logs to
 * maxEventsPerSession. */
#include "sessctl.h"

struct maintenance_opts {
	int dry_run, no_trim;
};

static const struct cli_opt maintenance_o[] = {
	CLI_FLAG("dry-run", 0, "count what would be done, change nothing",
		 struct maintenance_opts, dry_run),
	CLI_FLAG("no-trim", 0, "only prune indexes", struct maintenance_opts, no_trim),
	CLI_END};

static int cmd_maintenance(struct cli_app *a, void *opts, int argc, char **argv)
{
	struct maintenance_opts *o = opts;
	struct sess_maint_opts mo = {o->dry_run, o->no_trim};
	cJSON *out = NULL;
	int rc;

	(void)argc;
	(void)argv;
	if ((rc = cli_connect(a)))
		return rc;
	if (sess_maintenance(&a->ctx, &mo, &out, &a->err))
		return cli_app_fail(a);
	return cli_print(a, out);
}

const struct cli_cmd sessctl_cmd_maintenance = {
	.name = "maintenance", .synopsis = "",
	.summary = "prune expired index entries, trim logs to maxEventsPerSession",
	.opts = maintenance_o, .opts_size = sizeof(struct maintenance_opts),
	.run = cmd_maintenance};
