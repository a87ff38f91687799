/* sessctl upgrade: stored sessions upgraded in place to this sesskit's
 * data layout. */
#include "sessctl.h"

struct upgrade_opts {
	int dry_run, check;
};

static const struct cli_opt upgrade_o[] = {
	CLI_FLAG("dry-run", 0, "count what would be upgraded, change nothing",
		 struct upgrade_opts, dry_run),
	CLI_FLAG("check", 0, "as --dry-run, and exit 1 while an upgrade is pending (CI)",
		 struct upgrade_opts, check),
	CLI_END};

static int cmd_upgrade(struct cli_app *a, void *opts, int argc, char **argv)
{
	struct upgrade_opts *o = opts;
	struct sess_upgrade_opts uo = {o->dry_run || o->check};
	cJSON *out = NULL;
	long pending = 0;
	int rc;

	(void)argc;
	(void)argv;
	if ((rc = cli_connect(a)))
		return rc;
	if (sess_upgrade(&a->ctx, &uo, &out, &pending, &a->err))
		return cli_app_fail(a);
	cli_print(a, out);
	return o->check && pending > 0 ? 1 : 0;
}

const struct cli_cmd sessctl_cmd_upgrade = {
	.name = "upgrade", .synopsis = "",
	.summary = "upgrade stored sessions in place to this sesskit's data layout",
	.details =
	"Every session of the prefix is found with SCAN and upgraded by one script,\n"
	"atomically; safe to rerun and to interrupt. History from before the\n"
	"upgrade is marked unknown (sesskit-layout(7), UPGRADE).\n",
	.opts = upgrade_o, .opts_size = sizeof(struct upgrade_opts),
	.run = cmd_upgrade};
