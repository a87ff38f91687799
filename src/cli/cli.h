/* cli.h - what every sesskit binary shares: one declarative command
 * framework, the connection flags and settings layering, JSON-lines output
 * (compact, or indented and coloured on a terminal), error lines and
 * records, exit codes, signals and progress.
 *
 * This is the binaries' side: it prints and picks exit codes, so it is kept
 * apart from src/core, which does neither. Dependencies go one way:
 * binary -> src/cli -> src/core.
 *
 * HOW A BINARY IS BUILT (the models: git's parse-options, tmux's cmd_entry)
 *
 * Each command is one file, cmd_NAME.c beside its binary's main.c (tmux's
 * cmd-*.c is the model): its options struct, their table and defaults, its
 * run function and one exported entry:
 *
 *	struct touch_opts { long ttl; };
 *	static const struct cli_opt touch_opts[] = {
 *		CLI_DUR("ttl", 0, "DURATION", "the new TTL (default: keep the session's)",
 *			struct touch_opts, ttl, 1000, 1, SESS_TTL_MAX),
 *		CLI_END};
 *	static int run(struct cli_app *a, void *opts, int argc, char **argv)
 *	{ ...opts is the filled struct touch_opts, argv the positionals... }
 *	const struct cli_cmd sessctl_cmd_touch = {
 *		.name = "touch", .synopsis = "ID",
 *		.summary = "restart a session's TTL", .opts = touch_opts,
 *		.opts_size = sizeof(struct touch_opts), .npos_min = 1, .npos_max = 1,
 *		.complete = CLI_COMPLETE_SESSION, .run = run};
 *
 * and the binary's main.c only lists the entries, in the order --help
 * shows them, with the binary's description:
 *
 *	static const struct cli_cmd *const commands[] = {
 *		&sessctl_cmd_create, ..., &sessctl_cmd_touch, NULL};
 *	static const struct cli_tool tool = {.name = "sessctl", .about = "...",
 *		.entries = commands};
 *	int main(int argc, char **argv) { return cli_main(&tool, argc, argv); }
 *
 * What several commands of a binary share lives in a file of that binary
 * named for its job (sessctl's idops.c, live.c, ...).
 *
 * Adding a command is one file and one line in main.c. From the table
 * come getopt's spec, `--help` of the tool and of each command, `help CMD`,
 * the shell's dispatch and completion, and the shell completions of bash,
 * zsh and fish (they ask the binary: `TOOL __complete WORDS...`, see
 * cli_complete). Common options (--url, --config, ...) are one more table;
 * a command option whose long name or letter collides with one of them is
 * refused when the command is parsed (exit 70), and tests run every
 * command's --help, so a collision cannot ship.
 *
 * Unless the command says its table wins (.own_common = 1): then its
 * options give common letters and long names their own meaning (a
 * monitoring plugin's -c critical, -t timeout in seconds), and in that
 * command a common option whose letter it takes keeps only its long name
 * (--config), one whose long name it takes is left out. Parsing, help and
 * completion all see the common table through cli_common_for.
 */
#ifndef SESS_CLI_H
#define SESS_CLI_H

#include <cjson/cJSON.h>
#include <stddef.h>
#include <stdio.h>

#include "core/model/config.h"
#include "core/redis/conn.h"
#include "core/base/err.h"
#include "core/session/session.h"

/* ---- the command table ---- */

enum cli_opt_kind {
	CLI_OPT_FLAG, /* int, set to 1 */
	CLI_OPT_STR,  /* const char *, borrowed from argv */
	CLI_OPT_LONG, /* long, parsed whole and checked against [min, max] */
	CLI_OPT_DUR   /* long counted in unit_ms, read as a DURATION (when.h:
		       * "90s", "2h", or a bare number of the unit), checked
		       * against [min, max] in that unit */
};

/* What a value or positional argument completes to. */
#define CLI_COMPLETE_SESSION "@session" /* session ids from the server */
#define CLI_COMPLETE_FILE "@file"
/* A string option that may be repeated: its values joined with commas
 * (--sentinel a:1 --sentinel b:2 is "a:1,b:2"); completes to nothing. */
#define CLI_LIST "@list"

struct cli_opt {
	const char *name;        /* long name without "--" */
	int letter;              /* short letter, 0 for none */
	enum cli_opt_kind kind;
	const char *arg;         /* the value's name in help; NULL for flags */
	const char *help;        /* one line (more lines: "\n" + indent) */
	size_t off;              /* where the value goes in the options struct */
	long min, max;           /* CLI_OPT_LONG */
	const char *values;      /* completion: words separated by spaces, or
				  * CLI_COMPLETE_*; NULL = nothing to offer */
	int required;            /* the command refuses to run without it
				  * ("--to URL is required"), and its
				  * synopsis shows it outside [OPTIONS] */
	long unit_ms;            /* CLI_OPT_DUR: what the field and a bare
				  * number count (1 ms, 1000 s, 86400000 d) */
	int old_letter;          /* a letter this option gave up (sesskit(7),
				  * LETTERS): still read, with a warning
				  * naming the long form, for one release;
				  * not in help. Set with CLI_FLAG_OLD, CLI_STR_OLD. */
};

#define CLI_FLAG(name, letter, help, type, field) \
	{name, letter, CLI_OPT_FLAG, NULL, help, offsetof(type, field), 0, 0, NULL, 0, 0, 0}
#define CLI_STR(name, letter, arg, help, type, field, values) \
	{name, letter, CLI_OPT_STR, arg, help, offsetof(type, field), 0, 0, values, 0, 0, 0}
#define CLI_LONG(name, letter, arg, help, type, field, min, max) \
	{name, letter, CLI_OPT_LONG, arg, help, offsetof(type, field), min, max, NULL, 0, 0, 0}
/* The same, for an option the command cannot run without. */
#define CLI_STR_REQ(name, letter, arg, help, type, field, values) \
	{name, letter, CLI_OPT_STR, arg, help, offsetof(type, field), 0, 0, values, 1, 0, 0}
#define CLI_LONG_REQ(name, letter, arg, help, type, field, min, max) \
	{name, letter, CLI_OPT_LONG, arg, help, offsetof(type, field), min, max, NULL, 1, 0, 0}
/* A duration option (sesskit(7)): the field is a long in unit_ms, a
 * value with a unit is converted ("--ttl 2h" is 7200 in a seconds field),
 * a bare number is the unit, min and max are in the unit; help shows
 * them as durations. */
#define CLI_DUR(name, letter, arg, help, type, field, unit_ms, min, max) \
	{name, letter, CLI_OPT_DUR, arg, help, offsetof(type, field), min, max, NULL, 0, unit_ms, 0}
#define CLI_DUR_REQ(name, letter, arg, help, type, field, unit_ms, min, max) \
	{name, letter, CLI_OPT_DUR, arg, help, offsetof(type, field), min, max, NULL, 1, unit_ms, 0}
/* A flag or string option without a letter that gave up its old one:
 * CLI_FLAG_OLD("all", 'a', ...) reads -a with a warning for one release. */
#define CLI_FLAG_OLD(name, old, help, type, field) \
	{name, 0, CLI_OPT_FLAG, NULL, help, offsetof(type, field), 0, 0, NULL, 0, 0, old}
#define CLI_STR_OLD(name, old, arg, help, type, field, values) \
	{name, 0, CLI_OPT_STR, arg, help, offsetof(type, field), 0, 0, values, 0, 0, old}
#define CLI_END {NULL, 0, CLI_OPT_FLAG, NULL, NULL, 0, 0, 0, NULL, 0, 0, 0}

struct cli_app;

struct cli_cmd {
	const char *name;
	const char *synopsis;    /* after "TOOL NAME " */
	const char *summary;     /* one line, no final period */
	const char *details;     /* more help text before the options, or NULL */
	const struct cli_opt *opts;  /* ends with CLI_END; NULL = none */
	size_t opts_size;        /* sizeof the struct opts fill */
	const void *defaults;    /* its initial value; NULL = all zero */
	int npos_min, npos_max;  /* positional count bounds; max -1 = any */
	const char *complete;    /* what positionals complete to (CLI_COMPLETE_*) */
	int id_arg;              /* the first positional is a session id (the
				  * shell fills in its current one) */
	/* opts is the filled struct (NULL when opts_size is 0); argv[0..argc)
	 * are the positional arguments. Returns the exit code. */
	int (*run)(struct cli_app *a, void *opts, int argc, char **argv);
	int hidden;              /* left out of the command list */
	const char *table;       /* list-shaped results: the columns of their
				  * table and TSV forms ("Tables" above);
				  * NULL = JSON only */
	int own_common;          /* its options win over common ones of the
				  * same letter or long name (see the top) */
	const char *no_letters;  /* common letters this command does not take
				  * (their options keep their long names):
				  * sess-bench's cleanup gives up -c and -n as
				  * its scenarios do; NULL = none */
};

struct cli_tool {
	const char *name;        /* "sessctl" */
	const char *about;       /* the paragraph after the usage line */
	/* The commands in order, each its own cmd_NAME.c's entry, NULL at
	 * the end. */
	const struct cli_cmd *const *entries;
	const char *epilog;      /* after the common options in --help, or NULL */
	/* The command run when no command word is given ("sess-health" alone
	 * or "sess-health --format nagios" is "sess-health check ..."); its
	 * options may then come first. NULL = a command word is required
	 * (sessctl). */
	const char *default_cmd;
	/* The exit code of a usage error; 0 = 64 (sysexits). sess-health
	 * uses 3, "could not check", by the monitoring convention. */
	int usage_exit;
	/* A letter that is --version too ('V' for a monitoring plugin), taken
	 * before any command word; 0 = none. */
	int version_letter;
	/* Called after a usage error's line on stderr, with the problem
	 * (sess-health prints a plugin status line when its output is to be
	 * Nagios's); NULL = nothing more. */
	void (*on_usage_error)(struct cli_app *a, const char *problem);
};

/* t's i-th command (in --help's order), or NULL past the last (any i). */
const struct cli_cmd *cli_tool_cmd(const struct cli_tool *t, size_t i);

/* t's usage exit code (64 unless the tool says otherwise). */
int cli_usage_exit(const struct cli_tool *t);

/* Store arg as option o's value in the struct dst (flags ignore arg).
 * A number out of range is SESS_E_USAGE naming the option. */
int cli_opt_set(const struct cli_opt *o, void *dst, const char *arg,
		struct sess_err *err);

/* ---- the common options ---- */

/* Flags every binary takes (before or after its command). */
struct cli_common {
	const char *url, *host, *socket, *user, *password, *password_file;
	const char *config, *prefix, *color;
	int as_table, as_tsv, as_json; /* --table, --tsv, --json (the last given wins) */
	long port, db, timeout; /* -1 = not given */
	/* Sentinel and durable writes (settings.c) */
	const char *sentinel, *sentinel_master, *sentinel_user, *sentinel_password;
	long wait_replicas, wait_timeout; /* -1 = not given */
	/* Redis Cluster (redis.cluster, redis.clusterNodes) */
	const char *cluster, *cluster_nodes;
	int askpass;
	int insecure_password_file; /* take a password file others can read */
	/* TLS (tls.* settings); NULL / 0 = not given */
	const char *cacert, *cacertdir, *cert, *key, *sni, *tls_ciphers, *tls_ciphersuites;
	int tls, insecure, insecure_key_file;
};

/* The common options' table (ends with CLI_END). */
extern const struct cli_opt cli_common_opts[];

void cli_common_init(struct cli_common *c);

/* The common option o as command c (NULL: none) takes it: NULL when one
 * of c's own options takes its long name (c->own_common), a copy of o
 * without its letter in *tmp when one takes its letter, else o itself. */
const struct cli_opt *cli_common_for(const struct cli_cmd *c, const struct cli_opt *o,
				     struct cli_opt *tmp);

/* The option that the word w ("--name", "--name=V", "-x", "-xV") names as
 * command c (NULL: none) reads it: c's own options first, then the common
 * ones as c takes them (cli_common_for), or NULL (also for a word that is
 * no option). *value is the value the word holds, else NULL; *common says
 * it is a common option (set only when one is found). The option returned
 * may be *tmp (a common option without its letter): it lives as long as
 * tmp. Used by the parsers' walkers and by completion alike. */
const struct cli_opt *cli_word_opt(const struct cli_cmd *c, const char *w,
				   const char **value, int *common, struct cli_opt *tmp);

/* Which command the words of argv (argv[0] the tool's name) name, as the
 * parser reads them, for main and completion alike: with a default
 * command, options are skipped as it reads them up to the first other
 * word (*at, 0: none; *unknown: an option it does not take came before);
 * a command that reads the options before its word too ("sess-health
 * --format nagios probe", "sess-bench -c 50 emit") has its word moved to
 * argv[1] (the words before it shift right). Returns, with a default
 * command, 0 for its line, 1 when a command, help or __complete is
 * named, 2 when the version is asked for, 3 the tool's --help; else 0. */
int cli_words_order(const struct cli_tool *t, int argc, char **argv, int *at, int *unknown);

/* Build the settings: defaults < config file < environment < flags.
 * warn is set when a password came on the command line. Once a password
 * is loaded the process is made non-dumpable (cli_no_dump). */
int cli_settings(struct sess_config *cfg, const struct cli_common *c,
		 int *warn, struct sess_err *err);

/* A password is in memory: no core dump, no ptrace by the same user
 * (prctl PR_SET_DUMPABLE 0). */
void cli_no_dump(void);

/* The value arg of option o as it is to be stored. For a password
 * (--password, or the user info of a URL option such as --url, --from,
 * --to) a copy, owned here until cli_secrets_free, and the password in
 * argv overwritten with x's so the process list does not show it (the
 * process is made non-dumpable too); else arg itself. cli_main frees the
 * copies at exit. */
char *cli_secret_arg(const struct cli_opt *o, char *arg);
void cli_secrets_free(void);

/* ---- output ---- */

struct cli_out {
	FILE *f;
	int pretty; /* indent (stdout is a terminal) */
	int color;
	int color_always; /* --color always: one-line JSON coloured too */
	int closed; /* the reader went away (EPIPE) */
	int bulk;   /* many lines: flush when the buffer fills (and at
		     * cli_out_flush), not after each line */
	/* Tables (table.c): the running command's column spec when its rows
	 * are shown as a table or TSV (NULL: JSON lines); kept by
	 * cli_out_init, set and cleared by cli_run */
	const char *table;
	int tsv;         /* TSV rather than an aligned table */
	cJSON *rows;     /* a table's rows, held until cli_table_end */
	int header_done; /* TSV: the header line is out */
};

/* color: "auto" (NULL), "always" or "never"; NO_COLOR turns auto off. */
int cli_out_init(struct cli_out *o, FILE *f, const char *color,
		 struct sess_err *err);

/* Write one JSON value as a line. Returns 0, or 1 once the reader closed
 * the pipe (callers then stop quietly). */
int cli_out_json(struct cli_out *o, const cJSON *v);

/* Write one line of JSON text that is already valid UTF-8 JSON (on a
 * terminal it is indented like cli_out_json's). Returns as cli_out_json. */
int cli_out_text(struct cli_out *o, const char *text, size_t len);

/* Many lines ahead: write them through a big buffer, flushed when full
 * (call before the first line; on a terminal lines still go one by one). */
void cli_out_bulk(struct cli_out *o);

/* ---- Tables ----
 * A command whose results are list-shaped declares its columns (struct
 * cli_cmd's table: "id state seq agentCount:agents updated@" - a member
 * path, dots for nested members, ":" its header, a trailing "@" marks
 * epoch ms shown as a local time). On a terminal its rows print as an
 * aligned table (times readable, cells cut at 40 characters with "~");
 * --tsv prints a header and tab-separated rows (tab, newline, CR and
 * backslash escaped; times as epoch ms), --table forces the table in a
 * pipe, --json JSON lines on a terminal. In a pipe the default stays JSON
 * lines. An error record ({"ok":false,...}) is no row: it prints as JSON. */

/* v as a row of o's table (o->table set): held for the table, or written
 * as a TSV line. 0 done, 1 the reader went away, -1 v is no row (the
 * caller prints it as JSON). */
int cli_table_row(struct cli_out *o, const cJSON *v);

/* Print the held rows as the table and forget them. Returns as
 * cli_out_json. */
int cli_table_end(struct cli_out *o);

/* After a line was written to o: flush it (unless bulk) and check the
 * write. Returns as cli_out_json. */
int cli_out_line_done(struct cli_out *o);

/* Flush what a bulk writer buffered. Returns 1 once the reader went away. */
int cli_out_flush(struct cli_out *o);

/* Write text as it is (a format's own text, not JSON), checked as a line
 * is. Returns as cli_out_json. */
int cli_out_raw(struct cli_out *o, const char *text, size_t len);

/* Write errors on standard output. A failed write (the above, or found at
 * the final flush) other than EPIPE is remembered: cli_stdout_error() is
 * its errno (0 none). The output functions above return 1 after either,
 * and callers stop quietly; the exit status then says which it was. */
int cli_stdout_error(void);

/* Before anything opens a file or socket: open /dev/null onto any of fds
 * 0, 1, 2 that is closed, so none of them becomes a Redis connection
 * (stdout read-only: what is written fails and is reported). */
void cli_std_fds(void);

/* At exit: flush stdout and check it. On a write error other than EPIPE
 * (whoever wrote, raw stdio included) print "prog: write error on standard
 * output: REASON" on stderr and return 74 (EX_IOERR) in place of an rc
 * below 64; otherwise return rc. */
int cli_exit_status(const char *prog, int rc);

/* An error record {"ok":false,"line":N,"error":{"code","message"}};
 * line 0 leaves "line" out. Caller frees. */
cJSON *cli_error_record(long line, const struct sess_err *err);

/* Print "prog: message" on stderr and return the exit code for err. */
int cli_fail(const char *prog, const struct sess_err *err);

/* Print "prog: warning: ..." on stderr. */
void cli_warn(const char *prog, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* ---- one run of a binary ---- */

struct cli_app {
	const char *prog;            /* the tool's name, for messages */
	const struct cli_tool *tool;
	const struct cli_cmd *cmd;   /* the command running */
	struct cli_common common;
	struct sess_config cfg;
	struct sess_conn conn;
	struct sess_ctx ctx;
	struct cli_out out;
	struct sess_err err;
	int connected;
	int keep;                    /* shell: keep the connection between commands */
	/* called with every value printed (the shell remembers ids); NULL = none */
	void (*on_print)(const cJSON *v);
	int argc;                    /* the process's arguments (cli_main's) */
	char **argv;
};

/* The whole of a binary's main: fds 0-2 made safe, global options,
 * `help [CMD]`, --help, --version, `__complete`, dispatch, exit code
 * (through cli_exit_status: a write error on stdout is 74). */
int cli_main(const struct cli_tool *t, int argc, char **argv);

/* Run command c with argv[0] its name (the shell calls this per line).
 * Parses the command's and the common options into a fresh options
 * struct, checks the positional count and calls c->run. */
int cli_run(struct cli_app *a, const struct cli_cmd *c, int argc, char **argv);

/* The command named name, or NULL. */
const struct cli_cmd *cli_find(const struct cli_tool *t, const char *name);

/* Usage texts: the tool's, and one command's (synopsis, summary, details,
 * its options and the common ones), both generated from the tables. */
void cli_usage(FILE *f, const struct cli_tool *t);
void cli_cmd_help(FILE *f, const struct cli_tool *t, const struct cli_cmd *c);

/* Complete the last of words (the words after the tool's name; the last
 * may be ""): prints candidates one a line as "WORD" or "WORD\tTEXT"; a
 * first line ":file" asks the shell for file names instead. Session ids
 * come from the server when one answers (quietly nothing otherwise). */
int cli_complete(struct cli_app *a, int nwords, char **words);

/* Settings, output and connection; returns 0 or an exit code after
 * printing the problem. Once connected it returns 0 at once (the shell,
 * a->keep, reopens a broken connection). */
int cli_connect(struct cli_app *a);

/* Print v as one JSON line and free it. Returns 0. */
int cli_print(struct cli_app *a, cJSON *v);

/* sess_each_fn that prints each row to the app's output. */
int cli_each_print(cJSON *row, void *app);

/* Print a->err and return its exit code. */
int cli_app_fail(struct cli_app *a);

/* Print a usage problem of the running command ("prog cmd: ...; see
 * 'prog cmd --help'") and return the tool's usage exit code (64). */
int cli_usage_error(struct cli_app *a, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* An operation on one session; prints its own result, or returns -1 with
 * a->err set. */
typedef int (*cli_id_op)(struct cli_app *a, const char *id, void *st);

/* Run op for the session id arg, or, when arg is "-", for each id read
 * from stdin as JSON lines (objects with an "id", JSON strings, or bare
 * words). With "-", a bad line or a failed op gives an error record on
 * stdout ({"ok":false,"line":N,"id":...,"error":{...}}) and the rest go
 * on; the exit code is that of the first failure. Connects as needed.
 * Returns the exit code. */
int cli_run_ids(struct cli_app *a, const char *arg, cli_id_op op, void *st);

/* ---- signals and progress ---- */

/* Long work: SIGINT/SIGTERM set a flag (and interrupt blocking waits, no
 * SA_RESTART) so the work in hand can finish. cli_stop_signal() is the
 * signal seen (0 = none); cli_signal_exit() the exit code, 130 or 143. */
void cli_catch_stop_signals(void);
int cli_stop_signal(void);
void cli_clear_stop_signal(void);
int cli_signal_exit(void);

/* The one progress meter of every long pass, on stderr and only when
 * stderr is a terminal (quiet in pipes and logs): what, done/total, the
 * percentage and a bar, the rate and the time left; with total -1 (not
 * known) the count, the rate and the time so far. Redrawn at most ten
 * times a second; done = total, or done < 0, clears it. A new what
 * restarts the clock. It is a sess_progress_fn (ctx.h): cli_connect
 * gives it to the core's long passes. */
void cli_meter(void *arg, const char *what, long done, long total);

/* cli_meter without its arg. */
void cli_progress(const char *what, long done, long total);

/* Ignore SIGPIPE (writes then fail with EPIPE, which ends us quietly). */
void cli_init_signals(void);

#endif
