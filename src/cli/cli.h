/* cli.h - what every sesskit binary shares: the connection flags and the
 * settings layering, JSON-lines output (compact, or indented and coloured
 * on a terminal), error lines and records, exit codes.
 *
 * This is the binaries' side: it prints and picks exit codes, so it is kept
 * apart from src/core, which does neither.
 */
#ifndef SESS_CLI_H
#define SESS_CLI_H

#include <cjson/cJSON.h>
#include <getopt.h>
#include <stdio.h>

#include "core/config.h"
#include "core/err.h"

/* Flags every binary takes (before or after its command). */
struct cli_common {
	const char *url, *host, *socket, *user, *password, *password_file;
	const char *config, *prefix, *color;
	long port, db, timeout; /* -1 = not given */
	int askpass;
	int insecure_password_file; /* take a password file others can read */
};

#define CLI_COMMON_OPTS 16
extern const struct option cli_common_options[CLI_COMMON_OPTS];
#define CLI_COMMON_HELP \
"Connection and settings (any command):\n" \
"  -u, --url URL          redis://[user[:pass]@]host[:port][/db] or unix:///path.sock\n" \
"  -h, --host HOST        -p, --port PORT       -n, --db N     -s, --socket PATH\n" \
"      --user NAME        ACL user name\n" \
"      --password-file F  read the password from the first line of F (mode 600)\n" \
"      --askpass          prompt for the password on the terminal\n" \
"      --password PASS    (visible to other users; prefer the two above)\n" \
"      --insecure-password-file  use a --password-file group or others can read\n" \
"  -c, --config FILE      JSON config file (default $SESSKIT_CONFIG)\n" \
"      --prefix P         key prefix (default sess)\n" \
"  -t, --timeout MS       command timeout in milliseconds\n" \
"      --color WHEN       auto, always or never (NO_COLOR is honoured)\n"

void cli_common_init(struct cli_common *c);

/* If opt is a common option, record it and return 1; 0 if it is not one;
 * -1 with err set on a bad value. */
int cli_common_take(struct cli_common *c, int opt, const char *arg,
		    struct sess_err *err);

/* Build the settings: defaults < config file < environment < flags.
 * warn is set when a password came on the command line. */
int cli_settings(struct sess_config *cfg, const struct cli_common *c,
		 int *warn, struct sess_err *err);

/* Merge a command's options with the common ones into out (room for
 * ncmd + CLI_COMMON_OPTS + 1 entries). */
void cli_merge_options(const struct option *cmd, struct option *out);

struct cli_out {
	FILE *f;
	int pretty; /* indent (stdout is a terminal) */
	int color;
	int closed; /* the reader went away (EPIPE) */
};

/* color: "auto" (NULL), "always" or "never"; NO_COLOR turns auto off. */
int cli_out_init(struct cli_out *o, FILE *f, const char *color,
		 struct sess_err *err);

/* Write one JSON value as a line. Returns 0, or 1 once the reader closed
 * the pipe (callers then stop quietly). */
int cli_out_json(struct cli_out *o, const cJSON *v);

/* An error record {"ok":false,"line":N,"error":{"code","message"}};
 * line 0 leaves "line" out. Caller frees. */
cJSON *cli_error_record(long line, const struct sess_err *err);

/* Print "prog: message" on stderr and return the exit code for err. */
int cli_fail(const char *prog, const struct sess_err *err);

/* Print "prog: warning: ..." on stderr. */
void cli_warn(const char *prog, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Long work: SIGINT/SIGTERM set a flag (and interrupt blocking waits, no
 * SA_RESTART) so the work in hand can finish. cli_stop_signal() is the
 * signal seen (0 = none); cli_signal_exit() the exit code, 130 or 143. */
void cli_catch_stop_signals(void);
int cli_stop_signal(void);
void cli_clear_stop_signal(void);
int cli_signal_exit(void);

/* A progress bar on stderr, only when stderr is a terminal; done = total
 * clears it. */
void cli_progress(const char *what, long done, long total);

/* Ignore SIGPIPE (writes then fail with EPIPE, which ends us quietly). */
void cli_init_signals(void);

#endif
