/* sessctl shell: the interactive REPL (libedit), and a line-by-line
 * command runner when stdin is not a terminal.
 *
 * Every sessctl command works inside with the same syntax, over one
 * connection. `use ID` sets a current session that id-taking commands use
 * when their id is left out. History lives in $SESSCTL_HISTFILE (default
 * ~/.sessctl_history, mode 0600; /dev/null turns it off); lines that carry
 * a password are never added to it. Tab completes commands, flags, and the
 * session and agent ids this shell has seen in results.
 */
#include <editline/readline.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/redis/sentinel.h"
#include "sessctl.h"

struct shell_opts {
	int fail_fast;
};

static const struct cli_opt shell_o[] = {
	CLI_FLAG("fail-fast", 0, "with commands on stdin: stop at the first that fails",
		 struct shell_opts, fail_fast),
	CLI_END};

#define MAX_ARGS 64
#define MAX_SEEN 512

static struct cli_app *shell_app;
/* Through Sentinel: +switch-master heard between commands (the next
 * command then connects where the sentinels say the primary is now). */
static struct sess_switch shell_sw;
static char current[SESS_ID_MAX + 1];
static char *seen[MAX_SEEN]; /* session and agent ids seen, for completion */
static int nseen;

static void remember(const char *id)
{
	int i;

	if (!id || sess_key_check_id(id, "id", NULL) != 0)
		return;
	for (i = 0; i < nseen; i++)
		if (!strcmp(seen[i], id))
			return;
	if (nseen == MAX_SEEN) {
		free(seen[0]);
		memmove(seen, seen + 1, sizeof seen[0] * (MAX_SEEN - 1));
		nseen--;
	}
	seen[nseen++] = strdup(id);
}

/* Note the ids in a result, for completion (the app's on_print). */
static void note_ids(const cJSON *v)
{
	static const char *const names[] = {"id", "sessionId", "agent", "actor", "creator"};
	const cJSON *it;
	size_t i;

	if (!shell_app || !cJSON_IsObject(v))
		return;
	for (i = 0; i < sizeof names / sizeof names[0]; i++)
		remember(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(v, names[i])));
	cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(v, "agents"))
		remember(cJSON_IsString(it) ? it->valuestring :
			 cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(it, "id")));
	it = cJSON_GetObjectItemCaseSensitive(v, "result");
	if (it)
		note_ids(it);
}

/* Split a line into words: whitespace separates, '...' and "..." quote,
 * backslash escapes the next character. Returns the count, -1 on an
 * unfinished quote. Words point into buf. */
static int split(const char *line, char *buf, char **argv, int max)
{
	int argc = 0;
	char *w = buf, quote = 0;
	const char *p = line;

	while (*p) {
		while (*p == ' ' || *p == '\t')
			p++;
		if (!*p)
			break;
		if (argc == max)
			return -1;
		argv[argc++] = w;
		while (*p && (quote || (*p != ' ' && *p != '\t'))) {
			if (quote) {
				if (*p == quote)
					quote = 0;
				else if (*p == '\\' && quote == '"' && p[1])
					*w++ = *++p;
				else
					*w++ = *p;
			} else if (*p == '\'' || *p == '"') {
				quote = *p;
			} else if (*p == '\\' && p[1]) {
				*w++ = *++p;
			} else {
				*w++ = *p;
			}
			p++;
		}
		*w++ = '\0';
	}
	return quote ? -1 : argc;
}

/* Lines never to keep in history: they carry a password. */
static int secret(const char *line)
{
	char low[512];
	size_t i;

	for (i = 0; i < sizeof low - 1 && line[i]; i++)
		low[i] = (char)((line[i] >= 'A' && line[i] <= 'Z') ? line[i] + 32 : line[i]);
	low[i] = '\0';
	return strstr(low, "--password ") || strstr(low, "--password=") ||
	       !strncmp(low, "auth", 4) || strstr(low, " auth ") ||
	       strstr(low, "requirepass") || (strstr(low, "://") && strchr(low, '@'));
}

/* Commands whose first argument is a session id. */
static int takes_id(const char *name)
{
	const struct cli_cmd *c = cli_find(&sessctl_tool, name);

	return c && c->id_arg;
}

/* With `use ID`, put the current id in where the line leaves it out. */
static int add_current(int argc, char **argv, char **out)
{
	int i, n = 0, bare = 0, at = 1;

	for (i = 1; i < argc; i++)
		if (argv[i][0] != '-')
			bare++;
	if (current[0] && argc >= 1 && takes_id(argv[0])) {
		if (!strcmp(argv[0], "checkpoint") && argc >= 2 && !strcmp(argv[1], "show")) {
			if (argc == 3)
				at = 2;
			else
				at = 0;
		} else if (!strcmp(argv[0], "join") || !strcmp(argv[0], "leave")) {
			at = bare == 1 ? 1 : 0;
		} else if (argc > 1 && argv[1][0] != '-') {
			at = 0; /* an id is there */
		} else if (!strcmp(argv[0], "checkpoint") && argc > 1 && !strcmp(argv[1], "--all")) {
			at = 0;
		}
	} else {
		at = 0;
	}
	for (i = 0; i < argc; i++) {
		if (at && i == at)
			out[n++] = current;
		out[n++] = argv[i];
	}
	if (at && at == argc)
		out[n++] = current;
	return n;
}

static void print_help(const char *topic)
{
	const struct cli_cmd *c = topic ? cli_find(&sessctl_tool, topic) : NULL;
	size_t i;

	if (c) {
		cli_cmd_help(stdout, &sessctl_tool, c);
		return;
	}
	if (topic)
		printf("no command \"%s\"\n", topic);
	printf("Commands are sessctl's, without the 'sessctl':\n");
	for (i = 0; (c = cli_tool_cmd(&sessctl_tool, i)); i++)
		if (strcmp(c->name, "shell"))
			printf("  %-12s %s\n", c->name, c->summary);
	printf("Shell commands:\n"
	       "  use ID        make ID the current session (commands may then leave it out)\n"
	       "  use           forget the current session\n"
	       "  help [CMD]    this text, or a command's options\n"
	       "  quit, exit    leave (Ctrl-D too)\n"
	       "Tab completes commands, flags and ids seen here; Ctrl-R searches history.\n");
}

/* Run one line. Returns the command's exit code (0 for shell words and
 * blank lines), or -1 to quit. */
static int run_line(struct cli_app *a, char *line, int tty)
{
	char *argv[MAX_ARGS + 2], *full[MAX_ARGS + 3], *buf;
	int argc, n, rc;
	const struct cli_cmd *c;
	struct timespec t0, t1;

	if (sess_switch_poll(&shell_sw) && sess_conn_is_open(&a->conn)) {
		/* cli_connect opens it again, asking the sentinels */
		sess_conn_close(&a->conn);
		fprintf(stderr, "(the sentinels switched the primary of %s: the next command connects to the new one)\n",
			a->cfg.sentinel_master);
	}

	buf = malloc(strlen(line) + 1);
	if (!buf)
		return 70;
	argc = split(line, buf, argv, MAX_ARGS);
	if (argc < 0) {
		fprintf(stderr, "unfinished quote or too many words; close the quote\n");
		free(buf);
		return 64;
	}
	if (argc == 0 || argv[0][0] == '#') {
		free(buf);
		return 0;
	}
	if (!strcmp(argv[0], "quit") || !strcmp(argv[0], "exit")) {
		free(buf);
		return -1;
	}
	if (!strcmp(argv[0], "help") || !strcmp(argv[0], "?")) {
		print_help(argc > 1 ? argv[1] : NULL);
		free(buf);
		return 0;
	}
	if (!strcmp(argv[0], "use")) {
		rc = 0;
		if (argc == 1) {
			current[0] = '\0';
		} else if (sess_key_check_id(argv[1], "session id", &a->err) == 0) {
			snprintf(current, sizeof current, "%s", argv[1]);
			remember(current);
		} else {
			fprintf(stderr, "%s\n", a->err.msg);
			rc = 64;
		}
		if (tty && rc)
			fprintf(stderr, "(exit %d)\n", rc);
		free(buf);
		return rc;
	}
	c = cli_find(&sessctl_tool, argv[0]);
	if (!c || !strcmp(argv[0], "shell")) {
		sess_err_set(&a->err, SESS_E_USAGE, NULL, "unknown command \"%s\"; type help", argv[0]);
		fprintf(stderr, "%s\n", a->err.msg);
		if (tty)
			fprintf(stderr, "(exit 64)\n");
		free(buf);
		return 64;
	}
	n = add_current(argc, argv, full);
	full[n] = NULL;
	/* Ctrl-C ends the command in hand (watch, --follow, --all), not us */
	cli_clear_stop_signal();
	clock_gettime(CLOCK_MONOTONIC, &t0);
	rc = cli_run(a, c, n, full);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (tty) {
		double s = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
		if (rc > 0) /* 1 (a negative answer) and 64 too: every failure */
			fprintf(stderr, "(exit %d)\n", rc);
		if (s >= 0.1)
			fprintf(stderr, "(%.2f s)\n", s);
	}
	fflush(stdout);
	free(buf);
	return rc < 0 ? 0 : rc;
}

/* ---- completion ---- */

static const char *const shell_words[] = {"use", "help", "quit", "exit", NULL};

/* What the word being completed can be. */
enum cand_kind { CAND_COMMAND, CAND_FLAG, CAND_SEEN };
static enum cand_kind cand_kind;
static const struct cli_cmd *cand_cmd; /* CAND_FLAG: the line's command */

/* The i-th candidate of the current kind, or NULL past the last. */
static const char *cand(int i)
{
	const struct cli_opt *o;
	static char flag[64];
	int k = 0;

	if (cand_kind == CAND_SEEN)
		return i < nseen ? seen[i] : NULL;
	if (cand_kind == CAND_COMMAND) {
		const struct cli_cmd *c = cli_tool_cmd(&sessctl_tool, (size_t)i);

		if (c)
			return c->name;
		while (cli_tool_cmd(&sessctl_tool, (size_t)k))
			k++; /* the shell's own words come after the commands */
		return shell_words[i - k];
	}
	for (o = cand_cmd ? cand_cmd->opts : NULL; o && o->name; o++)
		if (o->help && k++ == i)
			return snprintf(flag, sizeof flag, "--%s", o->name), flag;
	for (o = cli_common_opts; o->name; o++)
		if (o->help && k++ == i)
			return snprintf(flag, sizeof flag, "--%s", o->name), flag;
	return k == i ? "--help" : NULL;
}

static char *gen(const char *text, int state)
{
	static int i;
	size_t len = strlen(text);
	const char *c;

	if (!state)
		i = 0;
	while ((c = cand(i++)))
		if (!strncmp(c, text, len) && strcmp(c, "shell"))
			return strdup(c);
	return NULL;
}

static char **complete(const char *text, int start, int end)
{
	char name[32];
	size_t n;

	(void)end;
	rl_attempted_completion_over = 1;
	n = strspn(rl_line_buffer, " \t");
	if (n >= (size_t)start) {
		cand_kind = CAND_COMMAND;
	} else if (text[0] == '-') {
		size_t w = strcspn(rl_line_buffer + n, " \t");
		snprintf(name, sizeof name, "%.*s", (int)(w < sizeof name ? w : sizeof name - 1),
			 rl_line_buffer + n);
		cand_kind = CAND_FLAG;
		cand_cmd = cli_find(&sessctl_tool, name);
	} else {
		cand_kind = CAND_SEEN;
	}
	return rl_completion_matches(text, gen);
}

/* ---- history ---- */

static void hist_path(char *buf, size_t n)
{
	const char *p = getenv("SESSCTL_HISTFILE"), *home = getenv("HOME");

	if (p && *p)
		snprintf(buf, n, "%s", p);
	else if (home && *home)
		snprintf(buf, n, "%s/.sessctl_history", home);
	else
		buf[0] = '\0';
}

static int hist_enabled(const char *path)
{
	return path[0] && strcmp(path, "/dev/null") != 0;
}

static void hist_save(const char *path)
{
	int fd;

	if (!hist_enabled(path))
		return;
	/* create it private before anything is written to it */
	fd = open(path, O_WRONLY | O_CREAT | O_APPEND, 0600);
	if (fd >= 0)
		close(fd);
	chmod(path, 0600);
	if (write_history(path) != 0)
		fprintf(stderr, "sessctl: cannot write history to %s: %s\n", path, strerror(errno));
	history_truncate_file(path, 1000);
	chmod(path, 0600);
}

static void prompt_text(struct cli_app *a, char *buf, size_t n)
{
	char where[300];

	sess_config_describe(&a->cfg, where, sizeof where);
	if (current[0])
		snprintf(buf, n, "sessctl %s [%s]> ", where, current);
	else
		snprintf(buf, n, "sessctl %s> ", where);
}

/* Commands from a script (stdin not a terminal): plain JSON lines; the
 * exit code is the first failing command's, and --fail-fast stops there. */
static int run_script(struct cli_app *a, int fail_fast)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	long lineno = 0;
	int rc, first_fail = 0;

	a->out.pretty = 0;
	a->out.color = 0;
	while (!a->out.closed && (len = getline(&line, &cap, stdin)) != -1) {
		lineno++;
		while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
			line[--len] = '\0';
		rc = run_line(a, line, 0);
		if (rc < 0)
			break;
		if (rc > 0 && !first_fail) {
			first_fail = rc;
			if (fail_fast) {
				fprintf(stderr, "%s shell: stopped at line %ld (exit %d), --fail-fast\n",
					a->prog, lineno, rc);
				break;
			}
		}
	}
	free(line);
	return first_fail;
}

static int cmd_shell(struct cli_app *a, void *opts, int argc, char **argv)
{
	char path[1024], prompt[512];
	int rc, tty = isatty(STDIN_FILENO);

	(void)argc;
	(void)argv;
	if ((rc = cli_connect(a)))
		return rc;
	a->keep = 1;
	a->on_print = note_ids;
	shell_app = a;
	sess_switch_open(&shell_sw, &a->cfg); /* no-op without Sentinel */
	cli_catch_stop_signals();
	if (!tty) {
		rc = run_script(a, ((struct shell_opts *)opts)->fail_fast);
		sess_switch_close(&shell_sw);
		return rc;
	}
	hist_path(path, sizeof path);
	rl_readline_name = "sessctl";
	rl_attempted_completion_function = complete;
	rl_catch_signals = 0; /* our SIGINT handler: Ctrl-C must not end the shell */
	stifle_history(1000);
	if (hist_enabled(path))
		read_history(path);
	for (;;) {
		char *line;

		prompt_text(a, prompt, sizeof prompt);
		line = readline(prompt);
		if (!line && cli_stop_signal()) {
			/* Ctrl-C at the prompt drops the line, as in other shells */
			cli_clear_stop_signal();
			putchar('\n');
			continue;
		}
		if (!line) {
			putchar('\n');
			break;
		}
		if (secret(line))
			fprintf(stderr, "(this line holds a password: it is not kept in history; connection settings are fixed when the shell starts)\n");
		else if (line[strspn(line, " \t")])
			add_history(line);
		if (run_line(a, line, 1) < 0) {
			free(line);
			break;
		}
		free(line);
	}
	hist_save(path);
	sess_switch_close(&shell_sw);
	return 0;
}

const struct cli_cmd sessctl_cmd_shell = {
	.name = "shell", .synopsis = "",
	.summary = "interactive shell: every command, line editing, history, completion, 'use ID'",
	.details =
	"In the shell: use ID (current session), help [CMD], quit. History in\n"
	"$SESSCTL_HISTFILE (default ~/.sessctl_history, mode 0600; /dev/null: none).\n"
	"With stdin not a terminal it runs commands line by line (plain JSON lines)\n"
	"and exits with the first failing command's code.\n",
	.opts = shell_o, .opts_size = sizeof(struct shell_opts), .run = cmd_shell};
