/* sess-migrate unfence: lift the fence sync --cutover left, so the source
 * takes writes again. */
#include "sess-migrate/fence.h"
#include "options.h"

static const struct cli_opt from_o[] = {FROM, CLI_END};
static const struct mig_opts defaults = MIG_DEFAULTS;

static int cmd_unfence(struct cli_app *a, void *opts, int argc, char **argv)
{
	struct mig_opts *o = opts;
	struct mig_side src = {0};
	long n = 0;
	int rc;
	cJSON *out;

	(void)argc;
	(void)argv;
	if ((rc = mig_open_side(a, &src, o->from, "--from")))
		return rc;
	if (sess_fence_lift(&src.conn, src.cfg.prefix, &n, &a->err)) {
		rc = cli_app_fail(a);
	} else {
		out = cJSON_CreateObject();
		cJSON_AddBoolToObject(out, "unfenced", 1);
		cJSON_AddStringToObject(out, "server", src.desc);
		cJSON_AddNumberToObject(out, "sessions", (double)n);
		rc = cli_print(a, out);
	}
	mig_close_side(&src);
	return rc;
}

const struct cli_cmd migrate_cmd_unfence = {
	.name = "unfence", .synopsis = "",
	.summary = "lift the fence sync --cutover left: the server takes writes again",
	.opts = from_o, .opts_size = sizeof(struct mig_opts), .defaults = &defaults,
	.run = cmd_unfence};
