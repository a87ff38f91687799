/* sess-validate - configuration, server and session checks that CI
 * pipelines gate on: its command table. See src/cli/cli.h for the
 * framework and sess-validate(1) for the rest. */
#include "validate.h"
#include "acl.h"

#define FORMAT_OPTS(T)                                                                          \
	CLI_STR("format", 'f', "FMT", "json (default when piped), text (on a terminal),\n"      \
		"                         github (workflow annotations) or junit (XML)",           \
		T, format, "json text github junit"),                                              \
	CLI_FLAG("strict", 0, "exit 1 on warnings too", T, strict)

static const struct cli_opt config_o[] = {
	FORMAT_OPTS(struct config_opts),
	CLI_STR("env", 'e', "ENV", "development, staging or production (default: the\n"
		"                         file's \"environment\", else development)",
		struct config_opts, env, "development staging production"),
	CLI_END};

static const struct cli_opt server_o[] = {
	FORMAT_OPTS(struct server_opts),
	CLI_STR("env", 'e', "ENV", "development, staging or production (default:\n"
		"                         the config's \"environment\", else development)",
		struct server_opts, env, "development staging production"),
	CLI_FLAG("live-sync", 0, "live sync is used: keyspace notifications must be on",
		 struct server_opts, live_sync),
	CLI_LONG("pings", 0, "N", "PINGs sampled for the latency",
		 struct server_opts, pings, 1, 1000),
	CLI_END};

static const struct cli_opt sessions_o[] = {
	FORMAT_OPTS(struct sessions_opts),
	CLI_FLAG("all", 'a', "every session of the prefix, the indexes, stray keys\n"
		 "                         and the counters (SCAN)", struct sessions_opts, all),
	CLI_FLAG("repair", 0, "fix what is safe to fix (indexes, derived fields, TTLs)",
		 struct sessions_opts, repair),
	CLI_FLAG("dry-run", 0, "with --repair: show the changes, make none",
		 struct sessions_opts, dry_run),
	CLI_LONG("page", 0, "N", "sessions read per round trip",
		 struct sessions_opts, page, 1, 10000),
	CLI_END};

static const struct server_opts server_d = {.pings = 5};
static const struct sessions_opts sessions_d = {.page = 200};

#define OPTS(o, type) .opts = o, .opts_size = sizeof(type)

static const struct cli_cmd commands[] = {
	{.name = "config", .synopsis = "FILE...|-",
	 .summary = "check JSON config files: types, ranges, keys, environment rules",
	 .details =
	 "Each finding is one JSON line: file, pointer, line, severity (error,\n"
	 "warning, recommendation), code, message and fix. Exit 0 clean, 1 on\n"
	 "errors (and warnings with --strict), 65 a file is not JSON, 66 missing.\n",
	 OPTS(config_o, struct config_opts), .npos_min = 1, .npos_max = -1,
	 .complete = CLI_COMPLETE_FILE, .run = cmd_config},
	{.name = "schema", .synopsis = "",
	 .summary = "print the JSON Schema (draft 2020-12) of the config file",
	 .npos_min = 0, .npos_max = 0, .run = cmd_schema},
	{.name = "server", .synopsis = "",
	 .summary = "check a live Redis for this workload",
	 .details =
	 "Version, reachable and authorised, the ACL (which commands are missing),\n"
	 "maxmemory-policy, persistence (production), keyspace notifications\n"
	 "(--live-sync), latency, the layout version, the replication role.\n"
	 "Exit as config; 69 unreachable, 77 refused credentials.\n",
	 OPTS(server_o, struct server_opts), .defaults = &server_d, .run = cmd_server},
	{.name = "acl", .synopsis = "[TOOL [MODE]]",
	 .summary = "the ACL rules each tool and mode needs, for this --prefix and --user",
	 .details =
	 "One JSON line per tool and mode: its commands (\"sometimes\": only in some\n"
	 "setups), key and channel patterns, and the ACL SETUSER line to paste after\n"
	 "ACL SETUSER NAME reset on >PASSWORD (lines add up). sesskit-acl(7) says more.\n",
	 .npos_min = 0, .npos_max = 2, .run = cmd_acl},
	{.name = "sessions", .synopsis = "[ID...|-|--all]",
	 .summary = "check stored sessions' integrity; repair what is safe",
	 .details =
	 "Per session: seq contiguous, events well formed, every actor a member\n"
	 "when it emitted, state and counters equal to what the history implies,\n"
	 "checkpoints consistent with the log, the hash chain, every key with the\n"
	 "same TTL, the index entry. --all also: index entries without sessions,\n"
	 "keys of the prefix that belong to no session, the counters (SCAN).\n",
	 OPTS(sessions_o, struct sessions_opts), .defaults = &sessions_d, .npos_min = 0, .npos_max = -1,
	 .complete = CLI_COMPLETE_SESSION, .run = cmd_sessions},
};

static const struct cli_tool tool = {
	.name = "sess-validate",
	.about = "Check sesskit config files, a live Redis server and stored sessions;\n"
		 "built for CI gates: JSON lines, text, GitHub annotations or JUnit XML.",
	.cmds = commands,
	.ncmds = sizeof commands / sizeof commands[0],
	.epilog =
	"'sess-validate COMMAND --help' shows a command's options; man sess-validate\n"
	"lists every finding code. Exit: 0 clean, 1 findings, 64 usage, 65 not\n"
	"JSON, 66 missing file, 69 Redis unreachable, 70 internal, 74 writing\n"
	"stdout failed, 75 try again, 77 credentials refused, 78 config.\n",
};

int main(int argc, char **argv)
{
	return cli_main(&tool, argc, argv);
}
