/* sessctl - session lifecycle and inspection for sesskit: its commands
 * in --help's order (each is one cmd_NAME.c: options, table entry and run
 * function; see src/cli/cli.h) and the tool's description. */
#include "sessctl.h"

static const struct cli_cmd *const commands[] = {
	&sessctl_cmd_create,
	&sessctl_cmd_join,
	&sessctl_cmd_leave,
	&sessctl_cmd_emit,
	&sessctl_cmd_get,
	&sessctl_cmd_events,
	&sessctl_cmd_watch,
	&sessctl_cmd_list,
	&sessctl_cmd_agents,
	&sessctl_cmd_checkpoint,
	&sessctl_cmd_checkpoints,
	&sessctl_cmd_top,
	&sessctl_cmd_complete,
	&sessctl_cmd_touch,
	&sessctl_cmd_delete,
	&sessctl_cmd_batch,
	&sessctl_cmd_stats,
	&sessctl_cmd_shell,
	&sessctl_cmd_maintenance,
	&sessctl_cmd_upgrade,
	NULL};

const struct cli_tool sessctl_tool = {
	.name = "sessctl",
	.about = "Create, inspect and maintain Redis-backed multi-agent sessions.\n"
		 "Every command prints JSON lines on stdout; errors go to stderr.",
	.entries = commands,
	.epilog =
	"Wherever a command takes a session ID, - reads ids from stdin as JSON\n"
	"lines ({\"id\":...} objects, strings or bare words):\n"
	"  sessctl list --state broken | sessctl checkpoint -\n\n"
	"'sessctl COMMAND --help' shows a command's options; man sessctl has it all.\n"
	"Exit: 0 ok, 1 not found or refused, 64 usage, 65 bad data, 66 no input,\n"
	"69 Redis unreachable, 70 internal, 74 writing stdout failed, 75 try again,\n"
	"77 auth, 78 config.\n",
};

int main(int argc, char **argv)
{
	return cli_main(&sessctl_tool, argc, argv);
}
