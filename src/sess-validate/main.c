/* sess-validate - configuration, server and session checks that CI
 * pipelines gate on. Its commands in --help's order (each is one
 * cmd_NAME.c: options, table entry and run function; see src/cli/cli.h)
 * and the tool's description; sess-validate(1) has the rest. */
#include "validate.h"

static const struct cli_cmd *const commands[] = {
	&validate_cmd_config,
	&validate_cmd_schema,
	&validate_cmd_server,
	&validate_cmd_acl,
	&validate_cmd_sessions,
	NULL};

static const struct cli_tool tool = {
	.name = "sess-validate",
	.about = "Check sesskit config files, a live Redis server and stored sessions;\n"
		 "built for CI gates: JSON lines, text, GitHub annotations (and a job\n"
		 "summary when GITHUB_STEP_SUMMARY is set), JUnit XML, SARIF or GitLab\n"
		 "code quality.",
	.entries = commands,
	.epilog =
	"'sess-validate COMMAND --help' shows a command's options; man sess-validate\n"
	"lists every finding code. Exit: 0 clean, 1 findings, 64 usage, 65 not\n"
	"JSON, 66 missing file, 69 Redis unreachable, 70 internal, 74 writing\n"
	"stdout (or the job summary) failed, 75 try again, 77 credentials\n"
	"refused, 78 config.\n",
};

int main(int argc, char **argv)
{
	return cli_main(&tool, argc, argv);
}
