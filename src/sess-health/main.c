/* sess-health - health of Redis and of the session system. Its commands
 * in --help's order (each is one cmd_NAME.c: options, table entry and run
 * function; see src/cli/cli.h), the tool's description; check is the
 * default command. Run as check_sesskit (make install's link) it is a
 * monitoring plugin first: the nagios format by default (plugin.c).
 * sess-health(1) has the rest. */
#include "health.h"

#include <string.h>

static const struct cli_cmd *const commands[] = {
	&health_cmd_check,
	&health_cmd_probe,
	&health_cmd_serve,
	NULL};

static struct cli_tool tool = {
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
	.version_letter = 'V',
	.on_usage_error = health_usage_status,
};

int main(int argc, char **argv)
{
	const char *base = argc > 0 && argv[0] ? strrchr(argv[0], '/') : NULL;

	base = base ? base + 1 : argc > 0 && argv[0] ? argv[0] : "";
	if (!strcmp(base, "check_sesskit")) {
		health_as_plugin = 1;
		tool.name = "check_sesskit";
	}
	return cli_main(&tool, argc, argv);
}
