/* sess-validate config: check JSON config files (types, ranges, keys,
 * environment rules); the checks are cfgcheck.c. */
#include "validate.h"

#include <stdlib.h>
#include <string.h>

#include "sess-validate/cfgcheck.h"

struct config_opts { REPORT_FIELDS; const char *env; };

static const struct cli_opt config_o[] = {
	CONFIG_FORMAT_OPTS(struct config_opts),
	CLI_STR_OLD("env", 'e', "ENV", "development, staging or production (default: the\n"
		"                         file's \"environment\", else development)",
		struct config_opts, env, "development staging production"),
	CLI_END};

static const char *env_get(const char *name)
{
	return getenv(name);
}

static int cmd_config(struct cli_app *a, void *opts, int argc, char **argv)
{
	struct config_opts *o = opts;
	struct sess_cfgcheck c;
	struct report r;
	int rc, i, worst = 0, stdin_used = 0;

	if ((rc = report_init(&r, a, o->format, o->strict, "config")))
		return rc;
	if (o->env && !sess_cfgcheck_env_ok(o->env))
		return cli_usage_error(a, "--env must be development, staging or production, not \"%.20s\"", o->env);
	memset(&c, 0, sizeof c);
	c.env = o->env;
	c.getenv = env_get;
	c.fn = report_finding;
	c.arg = &r;
	for (i = 0; i < argc; i++) {
		enum sess_class cls;
		if (!strcmp(argv[i], "-") && stdin_used++)
			return cli_usage_error(a, "- (stdin) can be given once");
		report_suite(&r, strcmp(argv[i], "-") ? argv[i] : "<stdin>");
		cls = sess_cfgcheck_file(&c, argv[i]);
		/* the worst of the files: missing over not JSON */
		if (cls == SESS_E_NOINPUT)
			worst = 66;
		else if (cls == SESS_E_DATA && worst != 66)
			worst = 65;
		else if (cls == SESS_E_INTERNAL && !worst)
			worst = 70;
		if (a->out.closed)
			break;
	}
	rc = report_end(&r);
	return worst ? worst : rc;
}

const struct cli_cmd validate_cmd_config = {
	.name = "config", .synopsis = "FILE...|-",
	.summary = "check JSON config files: types, ranges, keys, environment rules",
	.details =
	"Each finding is one JSON line: file, pointer, line, severity (error,\n"
	"warning, recommendation), code, message and fix. Exit 0 clean, 1 on\n"
	"errors (and warnings with --strict), 65 a file is not JSON, 66 missing.\n"
	"--format sarif (GitHub code scanning) and codequality (GitLab) are\n"
	"config's alone; every format writes its report whatever the exit.\n",
	.opts = config_o, .opts_size = sizeof(struct config_opts), .npos_min = 1,
	.npos_max = -1,
	.complete = CLI_COMPLETE_FILE, .run = cmd_config};
