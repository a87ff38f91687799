/* sess-migrate verify: compare sessions on two servers (the engine:
 * verify.c): missing, extra, different, expired. */
#include "copy.h"
#include "options.h"

static const struct cli_opt verify_o[] = {
	FROM, TO_REQ, SELECT, BATCH,
	CLI_FLAG("deep", 0, "compare everything, not only chain heads and meta", O, deep),
	CLI_DUR("ttl-tolerance", 0, "DURATION", "expiries this close are equal", O, ttl_tol, 1, 0,
		 86400000),
	CLI_END};
static const struct mig_opts defaults = MIG_DEFAULTS;

static int cmd_verify(struct cli_app *a, void *opts, int argc, char **argv)
{
	struct mig_opts *o = opts;
	struct mig_side src = {0}, dst = {0};
	int rc;

	(void)argc;
	(void)argv;
	if ((rc = mig_check_common(a, o)))
		return rc;
	/* --to: required in the table */
	if (!o->all && !o->since && !o->ids && !o->match && !o->state)
		return cli_usage_error(a, "say which sessions: --all, --since TIME, --match GLOB or --state STATE");
	if (o->ids)
		return cli_usage_error(a, "verify takes --all, --since, --match or --state");
	if (!(rc = mig_open_side(a, &src, o->from, "--from")) &&
	    !(rc = mig_open_side(a, &dst, o->to, "--to")))
		rc = mig_verify_run(a, o, &src, &dst);
	mig_close_side(&src);
	mig_close_side(&dst);
	return rc;
}

const struct cli_cmd migrate_cmd_verify = {
	.name = "verify", .synopsis = "--all|--since TIME|--match GLOB",
	.summary = "compare sessions on two servers: missing, extra, different, expired",
	.opts = verify_o, .opts_size = sizeof(struct mig_opts), .defaults = &defaults,
	.run = cmd_verify};
