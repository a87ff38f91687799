/* sess-bench - load generator and latency/throughput benchmark of session
 * operations. Its commands in --help's order (the scenarios, one command
 * under eight names, are cmd_scenario.c; cleanup is cmd_cleanup.c; see
 * src/cli/cli.h) and the tool's description. */
#include "bench.h"

static const struct cli_cmd *const commands[] = {
	&bench_cmd_create,
	&bench_cmd_emit,
	&bench_cmd_get,
	&bench_cmd_list,
	&bench_cmd_checkpoint,
	&bench_cmd_join_leave,
	&bench_cmd_mixed,
	&bench_cmd_agents,
	&bench_cmd_cleanup,
	NULL};

static const struct cli_tool tool = {
	.name = "sess-bench",
	.about = "Load generator and latency/throughput benchmark of session operations.\n"
		 "Many connections over non-blocking I/O, pipelining, an open-loop --rate\n"
		 "without coordinated omission, latency percentiles per operation. On a\n"
		 "terminal a table (a row per operation, the totals, --compare's verdict); in\n"
		 "a pipe or with --json, JSON lines: one per interval, then a summary (and\n"
		 "--capacity, --compare).",
	.entries = commands,
	.epilog =
	"A run works under its own prefix sessbench:ID and deletes its keys at the\n"
	"end unless --keep; it never touches other keys. Its first line, before any\n"
	"key is written, names ID: 'sess-bench cleanup ID' deletes what a killed run left.\n"
	"  sess-bench emit --clients 50 --pipeline 16 --requests 1000000 > base.json\n"
	"  sess-bench emit --clients 50 --pipeline 16 --compare base.json --max-regression 10\n"
	"  sess-bench emit --compare base.json --svg emit.svg --hgrm .\n"
	"Exit: 0 ok, 1 a regression against --compare, 64 usage, 65 bad baseline,\n"
	"66 baseline missing or --svg/--hgrm not writable, 69 Redis unreachable\n"
	"or lost mid-run, 74 writing stdout failed (disk full), 130/143 interrupted.\n",
};

int main(int argc, char **argv)
{
	return cli_main(&tool, argc, argv);
}
