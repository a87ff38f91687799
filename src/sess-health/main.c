/* sess-health - health of Redis and of the session system. Its commands
 * in --help's order (each is one cmd_NAME.c: options, table entry and run
 * function; see src/cli/cli.h), the tool's description; check is the
 * default command. sess-health(1) has the rest. */
#include "health.h"

static const struct cli_cmd *const commands[] = {
	&health_cmd_check,
	&health_cmd_probe,
	&health_cmd_serve,
	NULL};

static const struct cli_tool tool = {
	.name = "sess-health",
	.about = "Health of Redis and of the sesskit session system: JSON (health+json),\n"
		 "text, Prometheus and Nagios output, a watch mode and an HTTP endpoint.",
	.entries = commands,
	.epilog =
	"'sess-health COMMAND --help' shows a command's options; man sess-health has it all.\n"
	"Exit (monitoring convention): 0 healthy, 1 warning, 2 critical or down,\n"
	"3 could not check (usage, configuration, credentials), 74 writing stdout failed.\n",
	.default_cmd = "check",
	.usage_exit = 3,
};

int main(int argc, char **argv)
{
	return cli_main(&tool, argc, argv);
}
