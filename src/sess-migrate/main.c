/* sess-migrate - move sessions between Redis instances without losing
 * one: its command table. Everything a command is (name, synopsis,
 * options, positional bounds, completion) is declared here once; see
 * src/cli/cli.h. */
#include "core/model/limits.h"
#include "migrate.h"

#define O struct mig_opts
#define FROM CLI_STR("from", 0, "URL", "the source server (default: --url / REDIS_URL); rediss://...?cacert=FILE&cert=...: its own TLS", O, from, NULL)
#define TO CLI_STR("to", 0, "URL", "the target server (default: --url / REDIS_URL); rediss://...?cacert=FILE...: its own TLS", O, to, NULL)
#define TO_REQ CLI_STR_REQ("to", 0, "URL", "the target server (holds the task's state); rediss://...?cacert=FILE...: its own TLS", O, to, NULL)
#define SELECT                                                                                     \
	CLI_FLAG("all", 0, "every session", O, all),                                                \
	CLI_STR("since", 0, "TIME", "sessions changed since TIME (ms, 2026-01-02T03:04:05Z, 90m, 2h, 7d)", \
		O, since, NULL),                                                                    \
	CLI_LONG("min-ttl", 0, "SECONDS", "with --since: no session has a TTL below this\n"        \
		 "                         (narrows the candidates read)", O, min_ttl, 1, SESS_TTL_MAX), \
	CLI_STR("match", 0, "GLOB", "only ids matching GLOB", O, match, NULL),                      \
	CLI_STR("state", 0, "STATE", "only working, broken or completed sessions", O, state,        \
		"working broken completed"),                                                        \
	CLI_STR("from-layout", 0, "LAYOUT", "legacy: read the TypeScript system's layout", O, layout, "legacy 2")
#define BATCH CLI_LONG("batch", 0, "N", "sessions per pipelined batch (default cleanupBatchSize, 100)", \
		       O, batch, 1, 100000)
#define CONFLICT CLI_STR("conflict", 0, "RULE", "a session already on the target: skip (default),\n" \
			 "                         replace, newer (the later 'updated' wins) or fail", \
			 O, conflict, "skip replace newer fail")
#define RATE CLI_LONG("rate", 0, "N", "at most N sessions a second", O, rate, 1, 100000000)
#define TASK CLI_STR("task", 0, "NAME", "the task's name (default: generated)", O, task, NULL)

static const struct cli_opt copy_o[] = {
	FROM, TO_REQ, SELECT,
	CLI_STR("ids", 0, "FILE", "the ids in FILE (- = stdin): JSON lines with \"id\" or bare ids",
		O, ids, CLI_COMPLETE_FILE),
	CONFLICT, TASK, BATCH, RATE,
	CLI_STR("method", 0, "M", "auto (default), dump or structural", O, method, "auto dump structural"),
	CLI_FLAG("dry-run", 0, "say what would be copied, write nothing", O, dry_run),
	CLI_FLAG("verify", 0, "verify the selection after the copy", O, verify),
	CLI_FLAG("deep", 0, "with --verify: compare everything, not only chain heads", O, deep),
	CLI_END};
static const struct cli_opt resume_o[] = {FROM, TO_REQ, BATCH, RATE, CLI_END};
static const struct cli_opt export_o[] = {
	FROM, SELECT, BATCH,
	CLI_STR("output", 'o', "FILE", "write to FILE instead of stdout", O, output, CLI_COMPLETE_FILE),
	CLI_END};
static const struct cli_opt import_o[] = {
	TO, CONFLICT, TASK, BATCH, RATE,
	CLI_STR("from-layout", 0, "LAYOUT", "legacy: lines hold the TypeScript keys", O, layout, "legacy 2"),
	CLI_FLAG("restart-ttl", 0, "count the remaining TTL from now, not from the export", O, restart_ttl),
	CLI_FLAG("dry-run", 0, "check the lines, write nothing", O, dry_run),
	CLI_FLAG("fail-fast", 0, "stop at the first bad line", O, fail_fast),
	CLI_END};
static const struct cli_opt verify_o[] = {
	FROM, TO_REQ, SELECT, BATCH,
	CLI_FLAG("deep", 0, "compare everything, not only chain heads and meta", O, deep),
	CLI_LONG("ttl-tolerance", 0, "MS", "expiries this close are equal", O, ttl_tol, 0,
		 86400000),
	CLI_END};
static const struct cli_opt sync_o[] = {
	FROM, TO_REQ, SELECT,
	CLI_STR("ids", 0, "FILE", "the ids in FILE (- = stdin): JSON lines with \"id\" or bare ids",
		O, ids, CLI_COMPLETE_FILE),
	TASK, BATCH, RATE,
	CLI_STR("method", 0, "M", "whole copies: auto (default), dump or structural", O, method,
		"auto dump structural"),
	CLI_LONG("interval", 0, "SECONDS", "a lag line every SECONDS", O, interval, 1, 86400),
	CLI_LONG("reconcile", 0, "SECONDS", "compare chain heads over the selection every SECONDS\n"
		 "                         (catches what no notification announced)",
		 O, reconcile, 1, 86400),
	CLI_FLAG("no-keyspace", 0, "do not enable keyspace notifications on the source", O, no_keyspace),
	CLI_FLAG("cutover", 0, "fence the source, wait until the lag is zero, verify, exit", O, cutover),
	CLI_FLAG("deep", 0, "with --cutover: verify everything, not only chain heads", O, deep),
	CLI_END};
static const struct cli_opt from_o[] = {FROM, CLI_END};
static const struct cli_opt to_o[] = {TO_REQ, CLI_END};
static const struct cli_opt rollback_o[] = {TO_REQ, BATCH, CLI_END};

static const struct mig_opts defaults = {.ttl_tol = 2000, .min_ttl = 1, .interval = 5, .reconcile = 60};

#define OPTS(o) .opts = o, .opts_size = sizeof(struct mig_opts), .defaults = &defaults

static const struct cli_cmd commands[] = {
	{.name = "copy",
	 .synopsis = "--all|--since TIME|--ids FILE|--match GLOB",
	 .summary = "copy sessions to another server as a resumable task", OPTS(copy_o), .run = cmd_copy},
	{.name = "resume", .synopsis = "TASK",
	 .summary = "continue a task where it stopped (nothing twice, nothing missed)", OPTS(resume_o),
	 .npos_min = 1, .npos_max = 1, .run = cmd_resume},
	{.name = "status", .synopsis = "TASK", .summary = "a task's progress", OPTS(to_o),
	 .npos_min = 1, .npos_max = 1, .run = cmd_status},
	{.name = "tasks", .synopsis = "", .summary = "list the tasks a target holds", OPTS(to_o),
	 .run = cmd_tasks},
	{.name = "rollback", .synopsis = "TASK",
	 .summary = "remove what a task wrote and restore what it replaced (resumable)", OPTS(rollback_o),
	 .npos_min = 1, .npos_max = 1, .run = cmd_rollback},
	{.name = "verify", .synopsis = "--all|--since TIME|--match GLOB",
	 .summary = "compare sessions on two servers: missing, extra, different, expired", OPTS(verify_o),
	 .run = cmd_verify},
	{.name = "export", .synopsis = "--all|--since TIME|--match GLOB",
	 .summary = "write sessions as JSON lines (one a line, with expiry)", OPTS(export_o),
	 .run = cmd_export},
	{.name = "import", .synopsis = "[FILE|-]",
	 .summary = "load sessions from JSON lines (export's, or --from-layout legacy)", OPTS(import_o),
	 .npos_max = 1, .complete = CLI_COMPLETE_FILE, .run = cmd_import},
	{.name = "sync",
	 .synopsis = "--all|--since TIME|--ids FILE|--match GLOB",
	 .summary = "copy sessions, then keep the target following every change until stopped",
	 .details = "Listens to the source before the snapshot, so nothing falls between the\n"
	 "copy and the live phase; prints lag lines ({\"lag\":true,...}) every --interval.\n"
	 "SIGINT/SIGTERM stop it (exit 130/143); 'resume TASK' goes on from the target's\n"
	 "state. --cutover fences the source (writes there fail: \"this data moved\"),\n"
	 "waits until the lag is zero, verifies and exits 0.\n",
	 OPTS(sync_o), .run = cmd_sync},
	{.name = "unfence", .synopsis = "",
	 .summary = "lift the fence sync --cutover left: the server takes writes again", OPTS(from_o),
	 .run = cmd_unfence},
};

static const struct cli_tool tool = {
	.name = "sess-migrate",
	.about = "Move sessions between Redis servers without losing one: copy (all, since a\n"
	"time, by id), export and import, verify, resume, rollback, live sync with a\n"
	"clean cutover; each session arrives whole or not at all, with its absolute\n"
	"expiry. Output: one JSON line per session and a summary line. See\n"
	"sess-migrate(1).",
	.cmds = commands,
	.ncmds = sizeof commands / sizeof commands[0],
	.epilog =
	"'sess-migrate COMMAND --help' shows a command's options; man sess-migrate has\n"
	"it all. Exit: 0 ok, 1 a difference or a rollback that kept sessions, 64 usage,\n"
	"65 bad sessions or lines, 66 no input or output file, 69 a server unreachable,\n"
	"70 internal, 74 writing stdout failed, 75 try again (resume the task), 77 auth\n"
	"or permission, 78 config.\n",
};

int main(int argc, char **argv)
{
	return cli_main(&tool, argc, argv);
}
