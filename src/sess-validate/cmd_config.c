/* cmd_config.c - config files and their JSON Schema. */
#include "validate.h"

#include <stdlib.h>
#include <string.h>

#include "sess-validate/cfgcheck.h"
#include "sesskit-config.h"

static const char *env_get(const char *name)
{
	return getenv(name);
}

int cmd_config(struct cli_app *a, void *opts, int argc, char **argv)
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

int cmd_schema(struct cli_app *a, void *opts, int argc, char **argv)
{
	(void)opts;
	(void)argc;
	(void)argv;
	if (cli_out_init(&a->out, stdout, a->common.color, &a->err))
		return cli_app_fail(a);
	return cli_print(a, sess_cfgcheck_schema());
}
