/* fuzz_shell.c - what a `sessctl shell` line reaches without a server.
 *
 * The shell's tokenizer (split() in src/sessctl/cmd_shell.c: quotes and
 * backslashes) and its line handling (run_line, add_current) are static
 * in the sessctl binary and are not reachable from a library: they are
 * NOT fuzzed here. What they hand on is: the words of the line, parsed as
 * a command's arguments by the command framework (src/cli/cmd.c: getopt
 * over the command's and the common option tables, cli_opt_set's whole
 * numbers and ranges, the positional counts, `help`, --help, --version),
 * then the connection settings those words give (cli_settings: --url,
 * --host, --port, --db, --prefix, ...). This target runs cli_main over a
 * small tool whose commands have options of every kind; a command's run
 * builds the settings (no file is read, no connection is made: --config,
 * --password-file and --askpass are dropped) and returns.
 *
 * Input: the words, one a line ('\n' separates; a word may hold spaces
 * and quotes, as split() leaves them after unquoting).
 */
#include <getopt.h>
#include <stdio.h>

#include "cli/cli.h"
#include "fuzz.h"

struct opts {
	const char *event, *agent, *format;
	long ttl, limit;
	int all, quiet;
};

static int run(struct cli_app *a, void *o, int argc, char **argv)
{
	struct sess_config cfg;
	int warn;

	(void)o;
	(void)argc;
	(void)argv;
	a->common.config = NULL;
	a->common.password_file = NULL;
	a->common.askpass = 0;
	cli_settings(&cfg, &a->common, &warn, &a->err);
	return 0;
}

static const struct cli_opt opts[] = {
	CLI_STR("event", 'e', "JSON", "the event", struct opts, event, NULL),
	CLI_STR("agent", 'a', "ID", "the agent", struct opts, agent, NULL),
	CLI_STR("format", 'f', "FORMAT", "output", struct opts, format, "json text"),
	CLI_LONG("ttl", 'T', "SECONDS", "a TTL", struct opts, ttl, 1, 315360000),
	CLI_LONG("limit", 'L', "N", "how many", struct opts, limit, 0, 9007199254740991L),
	CLI_FLAG("all", 'A', "every one", struct opts, all),
	CLI_FLAG("quiet", 'q', "say less", struct opts, quiet),
	CLI_END};

static const struct cli_cmd cmds[] = {
	{.name = "emit", .synopsis = "ID [OPTIONS]", .summary = "append an event", .opts = opts,
	 .opts_size = sizeof(struct opts), .npos_min = 1, .npos_max = 1, .id_arg = 1, .run = run},
	{.name = "list", .synopsis = "[OPTIONS]", .summary = "list", .opts = opts,
	 .opts_size = sizeof(struct opts), .npos_min = 0, .npos_max = -1, .run = run},
	{.name = "ping", .synopsis = "", .summary = "ping", .run = run},
};
static const struct cli_cmd *const entries[] = {&cmds[0], &cmds[1], &cmds[2], NULL};
static const struct cli_tool tool = {.name = "sessctl", .about = "fuzzing the command framework",
				     .entries = entries};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int init;
	const uint8_t *p = data, *end = data + size;
	char *argv[34], *line;
	size_t len;
	int argc = 1, i;

	if (!init) {
		/* no config file, no server from the environment */
		setenv("XDG_CONFIG_HOME", "/nonexistent/sesskit-fuzz", 1);
		setenv("HOME", "/nonexistent/sesskit-fuzz", 1);
		unsetenv("SESSKIT_CONFIG");
		unsetenv("REDIS_URL");
		unsetenv("REDIS_PASSWORD");
		init = 1;
	}
	argv[0] = "sessctl";
	while (argc < 33 && fuzz_line(&p, end, &line, &len) > 0) {
		if (!strcmp(line, "__complete")) { /* completion may ask a server */
			free(line);
			continue;
		}
		argv[argc++] = line;
	}
	argv[argc] = NULL;
	/* a binary runs cli_main once: getopt starts afresh each time here */
	optind = 0;
	cli_main(&tool, argc, argv);
	fflush(stdout);
	for (i = 1; i < argc; i++)
		free(argv[i]);
	return 0;
}
