/* sess-validate schema: the JSON Schema (draft 2020-12) of the config
 * file (cfgcheck.c). */
#include "validate.h"

#include "sess-validate/cfgcheck.h"

static int cmd_schema(struct cli_app *a, void *opts, int argc, char **argv)
{
	(void)opts;
	(void)argc;
	(void)argv;
	if (cli_out_init(&a->out, stdout, a->common.color, &a->err))
		return cli_app_fail(a);
	return cli_print(a, sess_cfgcheck_schema());
}

const struct cli_cmd validate_cmd_schema = {
	.name = "schema", .synopsis = "",
	.summary = "print the JSON Schema (draft 2020-12) of the config file",
	.npos_min = 0, .npos_max = 0, .run = cmd_schema};
