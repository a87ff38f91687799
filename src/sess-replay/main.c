/* sess-replay - play back, rebuild and verify session history; durable,
 * compressed replays. Its commands in --help's order (each is one
 * cmd_NAME.c: options, table entry and run function; see src/cli/cli.h)
 * and the tool's description. */
#include "replay.h"

static const struct cli_cmd *const commands[] = {
	&replay_cmd_play,
	&replay_cmd_state,
	&replay_cmd_diff,
	&replay_cmd_timeline,
	&replay_cmd_verify,
	&replay_cmd_fork,
	&replay_cmd_save,
	&replay_cmd_list,
	&replay_cmd_show,
	&replay_cmd_delete,
	&replay_cmd_cleanup,
	&replay_cmd_stats,
	&replay_cmd_export,
	&replay_cmd_import,
	NULL};

static const struct cli_tool tool = {
	.name = "sess-replay",
	.about = "Play back, rebuild and verify the history of sesskit sessions, and keep it\n"
		 "as compressed replays that outlive the sessions.",
	.entries = commands,
	.epilog =
	"A point is a seq (the events' numbering) or an RFC 3339 time; a lifecycle\n"
	"record counts at the seq of the event before it.\n"
	"  sess-replay state S1 --at 2026-11-23T14:02:00Z\n"
	"  sessctl list --state completed | sess-replay save -\n"
	"  sess-replay timeline S1 --svg s1.svg\n\n"
	"man sess-replay has it all. Exit: 0 ok, 1 not found or a verify finding, 64 usage,\n"
	"65 bad or damaged data, 66 no input, 69 Redis unreachable, 70 internal,\n"
	"74 writing stdout failed, 75 try again, 77 auth, 78 config.\n",
};

int main(int argc, char **argv)
{
	return cli_main(&tool, argc, argv);
}
