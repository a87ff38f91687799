/* sessctl - session lifecycle and inspection for sesskit: its command
 * table. Everything a command is (name, synopsis, options, positional
 * bounds, completion) is declared here once; see src/cli/cli.h. */
#include "core/model/limits.h"
#include "sessctl.h"

#define S CLI_COMPLETE_SESSION

static const struct cli_opt create_o[] = {
	CLI_STR_REQ("agent", 'a', "AGENT", "the creating agent", struct create_opts, agent, NULL),
	CLI_STR("id", 0, "ID", "the session id (default: a new time-ordered UUID)",
		struct create_opts, id, NULL),
	CLI_LONG("ttl", 0, "SECONDS", "time to live (default defaultTTL, 3600)",
		 struct create_opts, ttl, 1, SESS_TTL_MAX),
	CLI_STR("metadata", 0, "JSON", "a JSON object kept with the session",
		struct create_opts, metadata, NULL),
	CLI_END};

static const struct cli_opt emit_o[] = {
	CLI_STR("actor", 'a', "AGENT", "the emitting agent, a member of the session",
		struct emit_opts, actor, NULL),
	CLI_STR("type", 'T', "TYPE", "modified, broke, fixed, ...", struct emit_opts, type,
		"modified broke fixed created deleted verified"),
	CLI_STR("change", 0, "JSON", "changeInfo {elementType, entityIds, operation}",
		struct emit_opts, change, NULL),
	CLI_STR("transition", 0, "JSON", "stateTransition {from, to, verifiedBy, confidence}",
		struct emit_opts, transition, NULL),
	CLI_STR("impact", 0, "JSON", "impact, any JSON object", struct emit_opts, impact, NULL),
	CLI_STR("event-id", 0, "KEY", "makes a retried emit a no-op instead of a duplicate",
		struct emit_opts, event_id, NULL),
	CLI_STR("event", 0, "JSON", "the whole event in the seeds' shape; flags override it",
		struct emit_opts, event, NULL),
	CLI_LONG("expect-seq", 0, "N", "append only if the session's last seq is N (else\n"
		 "                         refused, exit 1, naming the current one)",
		 struct emit_opts, expect_seq, 0, SESS_SEQ_MAX),
	CLI_END};
static const struct emit_opts emit_d = {.expect_seq = -1};

static const struct cli_opt get_o[] = {
	CLI_FLAG("events", 'e', "include the event log", struct get_opts, events),
	CLI_END};

static const struct cli_opt events_o[] = {
	CLI_LONG("from", 0, "SEQ", "first seq", struct events_opts, from, 1, SESS_SEQ_MAX),
	CLI_LONG("to", 0, "SEQ", "last seq (default: the last)", struct events_opts, to, 1, SESS_SEQ_MAX),
	CLI_LONG("limit", 'l', "N", "at most N events", struct events_opts, limit, 1, SESS_SEQ_MAX),
	CLI_FLAG("follow", 'f', "then wait for new ones, without gaps or duplicates,\n"
		 "                         across reconnects (reads the log; pub/sub wakes it)",
		 struct events_opts, follow),
	CLI_END};
static const struct events_opts events_d = {1, 0, 0, 0};

static const struct cli_opt list_o[] = {
	CLI_STR("agent", 'a', "AGENT", "only this agent's sessions", struct list_opts, agent, NULL),
	CLI_STR("state", 0, "STATE", "only working, broken or completed sessions",
		struct list_opts, state, "working broken completed"),
	CLI_LONG("limit", 'l', "N", "at most N rows", struct list_opts, limit, 1, 1L << 40),
	CLI_LONG("cursor", 0, "C", "resume after the row whose \"cursor\" was C",
		 struct list_opts, cursor, 0, 1L << 40),
	CLI_END};

/* agents AGENT: list's paging options, the agent as an argument */
static const struct cli_opt agents_o[] = {
	CLI_LONG("limit", 'l', "N", "at most N rows", struct list_opts, limit, 1, 1L << 40),
	CLI_LONG("cursor", 0, "C", "resume after the row whose \"cursor\" was C",
		 struct list_opts, cursor, 0, 1L << 40),
	CLI_END};

static const struct cli_opt checkpoint_o[] = {
	CLI_STR("reason", 0, "TEXT", "recorded with the checkpoint (default manual)",
		struct checkpoint_opts, reason, NULL),
	CLI_FLAG("all", 0, "every session that is not completed (graceful\n"
		 "                         shutdown); progress on stderr on a terminal",
		 struct checkpoint_opts, all),
	CLI_END};
static const struct checkpoint_opts checkpoint_d = {"manual", 0};

static const struct cli_opt touch_o[] = {
	CLI_LONG("ttl", 0, "SECONDS", "the new TTL (default: keep the session's)",
		 struct touch_opts, ttl, 1, SESS_TTL_MAX),
	CLI_END};

static const struct cli_opt batch_o[] = {
	CLI_LONG("pipeline", 0, "N", "emits in flight at once",
		 struct batch_opts, pipeline, 1, 100000),
	CLI_LONG("group", 0, "N", "most emits in one script call, at most --pipeline;\n"
		 "                         1 sends each alone",
		 struct batch_opts, group, 1, 1000),
	CLI_FLAG("fail-fast", 0, "stop reading at the first failed line", struct batch_opts, fail_fast),
	CLI_END};
static const struct batch_opts batch_d = {256, 64, 0};

static const struct cli_opt maintenance_o[] = {
	CLI_FLAG("dry-run", 0, "count what would be done, change nothing",
		 struct maintenance_opts, dry_run),
	CLI_FLAG("no-trim", 0, "only prune indexes", struct maintenance_opts, no_trim),
	CLI_END};

static const struct cli_opt upgrade_o[] = {
	CLI_FLAG("dry-run", 0, "count what would be upgraded, change nothing",
		 struct upgrade_opts, dry_run),
	CLI_FLAG("check", 0, "as --dry-run, and exit 1 while an upgrade is pending (CI)",
		 struct upgrade_opts, check),
	CLI_END};

static const struct cli_opt shell_o[] = {
	CLI_FLAG("fail-fast", 0, "with commands on stdin: stop at the first that fails",
		 struct shell_opts, fail_fast),
	CLI_END};

#define OPTS(o, type) .opts = o, .opts_size = sizeof(type)

static const struct cli_cmd commands[] = {
	{.name = "create", .synopsis = "",
	 .summary = "create a session with its first agent", OPTS(create_o, struct create_opts),
	 .run = cmd_create},
	{.name = "join", .synopsis = "ID AGENT", .summary = "add an agent to a session",
	 .npos_min = 2, .npos_max = 2, .complete = S, .id_arg = 1, .run = cmd_join},
	{.name = "leave", .synopsis = "ID AGENT",
	 .summary = "remove an agent; the last one leaving puts the session on graceTTL",
	 .npos_min = 2, .npos_max = 2, .complete = S, .id_arg = 1, .run = cmd_leave},
	{.name = "emit",
	 .synopsis = "ID --actor AGENT --type TYPE | ID --event JSON",
	 .summary = "append an event; the server assigns seq and timestamp",
	 OPTS(emit_o, struct emit_opts), .defaults = &emit_d, .npos_min = 1, .npos_max = 1, .complete = S, .id_arg = 1,
	 .run = cmd_emit},
	{.name = "get", .synopsis = "ID", .summary = "show a session, its agents and last seq",
	 OPTS(get_o, struct get_opts), .npos_min = 1, .npos_max = 1, .complete = S, .id_arg = 1, .run = cmd_get},
	{.name = "events", .synopsis = "ID",
	 .summary = "print a session's events, one per line", OPTS(events_o, struct events_opts),
	 .defaults = &events_d, .npos_min = 1, .npos_max = 1, .complete = S, .id_arg = 1, .run = cmd_events},
	{.name = "watch", .synopsis = "[ID...]",
	 .summary = "print live events of some or all sessions (pub/sub; may miss events while disconnected)",
	 .npos_max = 63, .complete = S, .run = cmd_watch},
	{.name = "list", .synopsis = "",
	 .summary = "list sessions, most recently active first", OPTS(list_o, struct list_opts),
	 .run = cmd_list},
	{.name = "agents", .synopsis = "AGENT",
	 .summary = "list an agent's sessions (same as list --agent)", OPTS(agents_o, struct list_opts),
	 .npos_min = 1, .npos_max = 1, .run = cmd_agents},
	{.name = "checkpoint", .synopsis = "ID|-|--all | checkpoint show ID N",
	 .summary = "take a checkpoint, or print one", OPTS(checkpoint_o, struct checkpoint_opts),
	 .defaults = &checkpoint_d, .npos_max = 3, .complete = S, .id_arg = 1, .run = cmd_checkpoint},
	{.name = "checkpoints", .synopsis = "ID", .summary = "list a session's checkpoints",
	 .npos_min = 1, .npos_max = 1, .complete = S, .id_arg = 1, .run = cmd_checkpoints},
	{.name = "complete", .synopsis = "ID", .summary = "mark a session completed; it takes no more events",
	 .npos_min = 1, .npos_max = 1, .complete = S, .id_arg = 1, .run = cmd_complete},
	{.name = "touch", .synopsis = "ID",
	 .summary = "restart a session's TTL (optionally a new one)", OPTS(touch_o, struct touch_opts),
	 .npos_min = 1, .npos_max = 1, .complete = S, .id_arg = 1, .run = cmd_touch},
	{.name = "delete", .synopsis = "ID", .summary = "delete a session and its index entries",
	 .npos_min = 1, .npos_max = 1, .complete = S, .id_arg = 1, .run = cmd_delete},
	{.name = "batch", .synopsis = "< OPS.jsonl",
	 .summary = "run many operations from JSON lines on stdin, pipelined",
	 .details =
	 "Each line is {\"op\":OP, ...} with OP create, join, leave, emit, get,\n"
	 "checkpoint, complete, touch or delete, and the fields named as in the\n"
	 "seeds (id, agent, ttl, metadata, actor, type, changeInfo,\n"
	 "stateTransition, impact, eventId, reason, events). One result line per\n"
	 "input line, in order: {\"ok\":true,\"line\":N,\"op\":OP,\"result\":{...}}\n"
	 "or {\"ok\":false,\"line\":N,\"error\":{\"code\",\"message\"}}.\n"
	 "Emits to one session go in one script call, also when lines to other\n"
	 "sessions come between them, run in order exactly as one call each would\n"
	 "(they share one timestamp). When the input pauses, what is pending is\n"
	 "sent and its results printed.\n",
	 OPTS(batch_o, struct batch_opts), .defaults = &batch_d, .run = cmd_batch},
	{.name = "stats", .synopsis = "", .summary = "active sessions, events by type, averages",
	 .run = cmd_stats},
	{.name = "shell", .synopsis = "",
	 .summary = "interactive shell: every command, line editing, history, completion, 'use ID'",
	 .details =
	 "In the shell: use ID (current session), help [CMD], quit. History in\n"
	 "$SESSCTL_HISTFILE (default ~/.sessctl_history, mode 0600; /dev/null: none).\n"
	 "With stdin not a terminal it runs commands line by line (plain JSON lines)\n"
	 "and exits with the first failing command's code.\n",
	 OPTS(shell_o, struct shell_opts), .run = cmd_shell},
	{.name = "maintenance", .synopsis = "",
	 .summary = "prune expired index entries, trim logs to maxEventsPerSession",
	 OPTS(maintenance_o, struct maintenance_opts), .run = cmd_maintenance},
	{.name = "upgrade", .synopsis = "",
	 .summary = "upgrade stored sessions in place to this sesskit's data layout",
	 .details =
	 "Every session of the prefix is found with SCAN and upgraded by one script,\n"
	 "atomically; safe to rerun and to interrupt. History from before the\n"
	 "upgrade is marked unknown (sesskit-layout(7), UPGRADE).\n",
	 OPTS(upgrade_o, struct upgrade_opts), .run = cmd_upgrade},
};

const struct cli_tool sessctl_tool = {
	.name = "sessctl",
	.about = "Create, inspect and maintain Redis-backed multi-agent sessions.\n"
		 "Every command prints JSON lines on stdout; errors go to stderr.",
	.cmds = commands,
	.ncmds = sizeof commands / sizeof commands[0],
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
