/* sessctl.h - what sessctl's command files share. */
#ifndef SESSCTL_H
#define SESSCTL_H

#include <cjson/cJSON.h>
#include <getopt.h>

#include "cli/cli.h"
#include "core/conn.h"
#include "core/session.h"

struct app {
	const char *prog;       /* "sessctl" */
	struct cli_common common;
	struct sess_config cfg;
	struct sess_conn conn;
	struct sess_ctx ctx;
	struct cli_out out;
	struct sess_err err;
	int connected;
	int keep;               /* shell: keep the connection between commands */
};

struct cmd {
	const char *name;
	int (*run)(struct app *a, int argc, char **argv);
	const char *synopsis; /* after "sessctl NAME " */
	const char *summary;  /* one line */
	const char *help;     /* the command's own options, or NULL */
};

/* Called for each of the command's own options; return 0 or an exit code
 * after printing the problem. */
typedef int (*opt_fn)(struct app *a, int opt, const char *arg, void *st);

/* Parse a command's arguments (its own options plus the common ones).
 * Positional arguments are left in argv[*first..argc). Returns 0, -1 when
 * --help was printed (exit 0), or an exit code after printing the problem.
 * npos_min/npos_max bound the positional count (-1 = no maximum). */
int app_parse(struct app *a, const struct cmd *c, int argc, char **argv,
	      const char *shortopts, const struct option *opts, opt_fn fn,
	      void *st, int npos_min, int npos_max, int *first);

/* Settings, output and connection; returns 0 or an exit code. */
int app_connect(struct app *a);

/* Print v as one JSON line and free it. Returns 0. */
int app_print(struct app *a, cJSON *v);

/* Print a->err and return its exit code. */
int app_fail(struct app *a);

/* Print a usage problem for command c and return 64. */
int app_usage(struct app *a, const struct cmd *c, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* An operation on one session; prints its own result, or returns -1 with
 * a->err set. */
typedef int (*id_op)(struct app *a, const char *id, void *st);

/* Run op for the session id arg, or, when arg is "-", for each id read
 * from stdin as JSON lines (objects with an "id", JSON strings, or bare
 * words). With "-", a bad line or a failed op gives an error record on
 * stdout ({"ok":false,"line":N,"id":...,"error":{...}}) and the rest go
 * on; the exit code is that of the first failure. Connects as needed.
 * Returns the exit code. */
int app_run_ids(struct app *a, const char *arg, id_op op, void *st);

/* sess_each_fn that prints each row to the app's output. */
int app_each_print(cJSON *row, void *app);

const struct cmd *sessctl_find(const char *name);

/* A command's --help text. */
void sessctl_help(FILE *f, const struct cmd *c);

/* shell.c: remember ids in a printed result, for tab completion. */
void shell_note_ids(const cJSON *v);

/* commands */
int cmd_create(struct app *, int, char **);
int cmd_join(struct app *, int, char **);
int cmd_leave(struct app *, int, char **);
int cmd_complete(struct app *, int, char **);
int cmd_delete(struct app *, int, char **);
int cmd_touch(struct app *, int, char **);
int cmd_get(struct app *, int, char **);
int cmd_emit(struct app *, int, char **);
int cmd_events(struct app *, int, char **);
int cmd_list(struct app *, int, char **);
int cmd_agents(struct app *, int, char **);
int cmd_checkpoint(struct app *, int, char **);
int cmd_checkpoints(struct app *, int, char **);
int cmd_stats(struct app *, int, char **);
int cmd_batch(struct app *, int, char **);
int cmd_watch(struct app *, int, char **);
int cmd_shell(struct app *, int, char **);

/* events ID --follow: print the log from seq from on, forever. */
int live_follow(struct app *a, const char *id, long from);
int cmd_maintenance(struct app *, int, char **);

#endif
