/* sess-replay - play back, rebuild and verify session history; durable,
 * compressed replays. Its command table (see src/cli/cli.h). */
#include "sess-replay/saved.h"
#include "replay.h"

#define S CLI_COMPLETE_SESSION

static const struct cli_opt play_o[] = {
	CLI_STR("from", 0, "SEQ|TIME", "start at this seq or RFC 3339 time", struct play_opts, from, NULL),
	CLI_STR("to", 0, "SEQ|TIME", "stop after this seq or time", struct play_opts, to, NULL),
	CLI_STR("type", 0, "TYPE", "only events of this type", struct play_opts, type, NULL),
	CLI_STR("actor", 0, "AGENT", "only this agent's events and lifecycle records",
		struct play_opts, actor, NULL),
	CLI_FLAG("events-only", 0, "leave the lifecycle records out", struct play_opts, events_only),
	CLI_FLAG("with-state", 0, "add the session's state after each frame", struct play_opts, with_state),
	CLI_STR("speed", 0, "X", "keep the original gaps divided by X, 0.001 to 1e6\n"
		"                         (default: 1 on a terminal, as fast as possible otherwise)", struct play_opts, speed, NULL),
	CLI_FLAG("saved", 0, "read the saved replay even while the session lives",
		 struct play_opts, saved),
	CLI_END};

static const struct cli_opt state_o[] = {
	CLI_STR_REQ("at", 0, "SEQ|TIME", "the point", struct state_opts, at, NULL),
	CLI_FLAG("proof", 0, "add the chain digest and state digest at that point",
		 struct state_opts, proof),
	CLI_FLAG("saved", 0, "read the saved replay even while the session lives",
		 struct state_opts, saved),
	CLI_END};

static const struct cli_opt diff_o[] = {
	CLI_STR_REQ("from", 0, "SEQ|TIME", "the earlier point", struct diff_opts, from, NULL),
	CLI_STR_REQ("to", 0, "SEQ|TIME", "the later point", struct diff_opts, to, NULL),
	CLI_FLAG("saved", 0, "read the saved replay even while the session lives",
		 struct diff_opts, saved),
	CLI_END};

static const struct cli_opt verify_o[] = {
	CLI_FLAG("all", 0, "every session the index holds (with --saved: every saved replay)",
		 struct verify_opts, all),
	CLI_FLAG("saved", 0, "verify saved replays", struct verify_opts, saved),
	CLI_END};

static const struct cli_opt fork_o[] = {
	CLI_STR_REQ("at", 0, "SEQ|TIME", "the point to fork at", struct fork_opts, at, NULL),
	CLI_STR("id", 0, "ID", "the new session's id (default: a new time-ordered UUID)",
		struct fork_opts, id, NULL),
	CLI_FLAG("saved", 0, "fork from the saved replay", struct fork_opts, saved),
	CLI_END};

static const struct cli_opt save_o[] = {
	CLI_FLAG("completed", 0, "every completed session not saved yet (for cron)",
		 struct save_opts, completed),
	CLI_LONG("interval", 0, "N", "records between snapshots", struct save_opts,
		 interval, 16, 1000000),
	CLI_END};
static const struct save_opts save_d = {0, SESS_REPLAY_INTERVAL};

static const struct cli_opt cleanup_o[] = {
	CLI_LONG_REQ("older-than", 0, "DAYS", "delete replays saved more than DAYS days ago",
		 struct cleanup_opts, older_than, 0, 100000),
	CLI_FLAG("dry-run", 0, "list what would go, delete nothing", struct cleanup_opts, dry_run),
	CLI_END};
static const struct cleanup_opts cleanup_d = {-1, 0};

static const struct cli_opt export_o[] = {
	CLI_STR("output", 'o', "FILE", "write FILE (whole or not at all) instead of stdout",
		struct export_opts, output, CLI_COMPLETE_FILE),
	CLI_FLAG("saved", 0, "export the saved replay even while the session lives",
		 struct export_opts, saved),
	CLI_END};

static const struct cli_opt import_o[] = {
	CLI_STR("id", 0, "ID", "save it under this id (default: the file's)", struct import_opts, id, NULL),
	CLI_FLAG("replace", 0, "replace a saved replay of that id", struct import_opts, replace),
	CLI_END};

#define OPTS(o, type) .opts = o, .opts_size = sizeof(type)

static const struct cli_cmd commands[] = {
	{.name = "play",
	 .synopsis = "ID",
	 .summary = "the history as JSON-line frames, in order",
	 .details = "A frame is an event ({\"frame\":\"event\",...}, as 'sessctl events' prints it) or a\n"
		    "lifecycle record ({\"frame\":\"lifecycle\",\"kind\":create|join|leave|complete|touch|\n"
		    "checkpoint|trim|upgrade|fork,\"seq\":the event it follows,...}). ID is a live\n"
		    "session or, once it is gone, its saved replay.\n",
	 OPTS(play_o, struct play_opts), .npos_min = 1, .npos_max = 1, .complete = S, .id_arg = 1,
	 .run = cmd_play},
	{.name = "state", .synopsis = "ID",
	 .summary = "the session as 'sessctl get' showed it at that point, rebuilt",
	 OPTS(state_o, struct state_opts), .npos_min = 1, .npos_max = 1, .complete = S, .id_arg = 1,
	 .run = cmd_state},
	{.name = "diff", .synopsis = "ID",
	 .summary = "what changed between two points: state, agents, events by type and actor",
	 OPTS(diff_o, struct diff_opts), .npos_min = 1, .npos_max = 1, .complete = S, .id_arg = 1,
	 .run = cmd_diff},
	{.name = "verify", .synopsis = "ID...|-|--all",
	 .summary = "prove a history intact (seq, log end, chain, checkpoints, blocks); exit 1 on a finding",
	 OPTS(verify_o, struct verify_opts), .npos_max = -1, .complete = S, .run = cmd_verify},
	{.name = "fork", .synopsis = "ID",
	 .summary = "a new live session holding the history up to that point",
	 OPTS(fork_o, struct fork_opts), .npos_min = 1, .npos_max = 1, .complete = S, .id_arg = 1,
	 .run = cmd_fork},
	{.name = "save", .synopsis = "ID...|-|--completed",
	 .summary = "keep a session's history as a compressed replay that outlives its TTL",
	 OPTS(save_o, struct save_opts), .defaults = &save_d, .npos_max = -1, .complete = S,
	 .run = cmd_save},
	{.name = "list", .synopsis = "", .summary = "saved replays, newest first", .run = cmd_list},
	{.name = "show", .synopsis = "ID|-", .summary = "a saved replay's metadata",
	 .npos_min = 1, .npos_max = 1, .run = cmd_show},
	{.name = "delete", .synopsis = "ID...|-", .summary = "delete saved replays",
	 .npos_min = 1, .npos_max = -1, .run = cmd_delete},
	{.name = "cleanup", .synopsis = "",
	 .summary = "retention: delete replays saved more than DAYS days ago",
	 OPTS(cleanup_o, struct cleanup_opts), .defaults = &cleanup_d, .run = cmd_cleanup},
	{.name = "stats", .synopsis = "", .summary = "saved replays: count, bytes stored and raw, ratio",
	 .run = cmd_stats},
	{.name = "export", .synopsis = "ID",
	 .summary = "a history as a JSON-lines file (records as stored, checkpoints, its chain)",
	 OPTS(export_o, struct export_opts), .npos_min = 1, .npos_max = 1, .complete = S, .id_arg = 1,
	 .run = cmd_export},
	{.name = "import", .synopsis = "[FILE|-]",
	 .summary = "an exported history back, as a saved replay, checked against its chain",
	 OPTS(import_o, struct import_opts), .npos_max = 1, .complete = CLI_COMPLETE_FILE,
	 .run = cmd_import},
};

static const struct cli_tool tool = {
	.name = "sess-replay",
	.about = "Play back, rebuild and verify the history of sesskit sessions, and keep it\n"
		 "as compressed replays that outlive the sessions.",
	.cmds = commands,
	.ncmds = sizeof commands / sizeof commands[0],
	.epilog =
	"A point is a seq (the events' numbering) or an RFC 3339 time; a lifecycle\n"
	"record counts at the seq of the event before it.\n"
	"  sess-replay state S1 --at 2026-11-23T14:02:00Z\n"
	"  sessctl list --state completed | sess-replay save -\n\n"
	"man sess-replay has it all. Exit: 0 ok, 1 not found or a verify finding, 64 usage,\n"
	"65 bad or damaged data, 66 no input, 69 Redis unreachable, 70 internal,\n"
	"74 writing stdout failed, 75 try again, 77 auth, 78 config.\n",
};

int main(int argc, char **argv)
{
	return cli_main(&tool, argc, argv);
}
