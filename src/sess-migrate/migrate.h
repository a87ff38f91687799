/* migrate.h - what sess-migrate's files share: the options of every
 * command (filled from the tables in the cmd_NAME.c files, options.h), the
 * two connections, the selection of sessions, the engines' entry points
 * and the command entries. */
#ifndef SESS_MIGRATE_H
#define SESS_MIGRATE_H

#include "cli/cli.h"
#include "sess-migrate/dump.h"
#include "sess-migrate/mtask.h"

/* every command's options; each command uses the ones its table names
 * (the engines read them, so the commands share one struct) */
struct mig_opts {
	const char *from, *to, *ids, *match, *state, *since, *task, *conflict;
	const char *method, *layout, *output, *input;
	long batch, rate, ttl_tol, min_ttl, interval, reconcile;
	int all, dry_run, verify, deep, restart_ttl, fail_fast, cutover, no_keyspace;
	/* ids given as arguments (copy ID..., sync ID...: as every tool takes
	 * them), argv's, borrowed; ids is then "(arguments)" */
	char **id_args;
	int nid_args;
};

/* One side of a move: its settings and connection. */
struct mig_side {
	struct sess_config cfg;
	struct sess_conn conn;
	char desc[300]; /* the URL with its password hidden */
	int open;
};

/* Open --from (or the common URL) / --to (sides.c). Returns 0 or an exit
 * code after printing why. */
int mig_open_side(struct cli_app *a, struct mig_side *s, const char *url,
		  const char *what);
void mig_close_side(struct mig_side *s);
/* the app's output (stdout) without connecting */
int mig_out(struct cli_app *a);

/* ---- the selection (select.c) ---- */
enum mig_sel_kind { SEL_INDEX, SEL_PLAN, SEL_LEGACY };
struct mig_sel {
	enum mig_sel_kind kind;
	const char *prefix;
	long long since;      /* ms; -1 = none */
	long long floor_add;  /* (--min-ttl - 1) s: index scores below since + this cannot have changed since */
	const char *match;    /* glob on ids, NULL = any */
	const char *state;    /* NULL = any */
	long page;
	/* index walk: by (score, member) so a moving index neither loops nor
	 * stops early */
	long long last_score;
	char last_member[SESS_ID_MAX + 1];
	int started, second_pass, done;
	int pause;            /* copy: mig_sel_next returns 0 once between the passes */
	long long run_start;
	/* plan walk */
	const char *plan_key;
	long plan_pos;
	/* legacy walk */
	char scan_cursor[32];
	/* a cluster source: the index of each slot tag in use, one after the
	 * other (tags NULL on a standalone server: its one index) */
	const char **tags;
	int ntags, tag_at, tags_read;
	/* called after each page of an index walk that gave no id (--match
	 * skipping a long stretch; NULL: none): sync's heartbeat */
	void (*waiting)(void *arg);
	void *waiting_arg;
};
/* Parse --since: ms since the epoch, an ISO 8601 UTC time
 * (2026-01-02T03:04:05Z) or a relative "90m", "2h", "7d" before now. */
int mig_parse_since(const char *s, long long *out, struct sess_err *err);
void mig_sel_init(struct mig_sel *sel, const struct mig_opts *o, const char *prefix,
		  long page);
/* The next ids (up to sel->page) into ids[]; 0 at the end (with
 * sel->pause, also once at the end of an index walk's first pass: then
 * sel->done is 0 and the next call starts the second). Each id is
 * malloc'd; the caller frees. */
int mig_sel_next(struct mig_sel *sel, struct sess_conn *c, char **ids, int max,
		 struct sess_err *err);
/* Read the ids (o->ids FILE or "-", or o->id_args) into the plan list
 * (key) on c; *n the count. 0, or the exit code after printing why (65:
 * bad lines, each an error record, the rest loaded). tick (NULL: none)
 * is called with tick_arg at least every 250 ms while lines come, with
 * nothing of the plan in flight on c (sync's heartbeat: a long or slow
 * --ids input); its failure is its own. */
int mig_sel_load_plan(struct cli_app *a, const struct mig_opts *o, struct sess_conn *c,
		      const char *key, long *n, void (*tick)(void *), void *tick_arg);
/* A command's positional arguments as its ids, the way every tool takes
 * them: ID... or "-" alone (ids on stdin, as --ids -). Not with --ids;
 * neither with --all.
 * 0, or the usage exit code after saying why. */
int mig_ids_from_args(struct cli_app *a, struct mig_opts *o, int argc, char **argv);
/* Release what the walk holds (the tags of a cluster source). */
void mig_sel_free(struct mig_sel *sel);
/* How many sessions the selection may hold (for progress), 0 = unknown. */
long mig_sel_total(struct mig_sel *sel, struct sess_conn *c);
/* An index walk's second pass: of ids, keep first (reordered; the caller
 * frees all n) those whose meta updated is at or after sel->since, one
 * HGET each on src; returns how many, -1 with err. */
int mig_sel_drop_unchanged(struct mig_sel *sel, struct sess_conn *src, char **ids, int n,
			   struct sess_err *err);
/* 1 if the snapshot passes the --state / --since filters. */
int mig_sel_keep(const struct mig_sel *sel, const struct sess_snap *s);

/* ---- progress with rate and ETA, and the rate ceiling ---- */
struct mig_meter {
	long long start_ms;
	long done, total;
	long rate; /* sessions/s ceiling, 0 = none */
	/* called about every second of a wait for the rate (NULL: none):
	 * sync's heartbeat goes on while --rate holds it back */
	void (*waiting)(void *arg);
	void *waiting_arg;
};
/* Count n more done (sleeping first to keep under m->rate, calling
 * m->waiting meanwhile) and redraw cli_meter (a terminal only) with
 * m->total when it is known (> 0). */
void mig_meter_tick(struct mig_meter *m, const char *what, long n);
/* Clear the meter (before a summary or an error line). */
void mig_meter_end(void);

/* ---- legacy (the TypeScript system's layout), legacy.c in core ---- */

/* ---- the commands, in --help's order (main.c lists them; one
 * cmd_NAME.c each) ---- */
extern const struct cli_cmd migrate_cmd_copy, migrate_cmd_resume, migrate_cmd_status,
	migrate_cmd_tasks, migrate_cmd_rollback, migrate_cmd_verify, migrate_cmd_export,
	migrate_cmd_import, migrate_cmd_sync, migrate_cmd_unfence;

/* sync (sync.c); resume: the task exists (resume TASK, or sync --task of
 * a sync task). Returns the exit code. */
int mig_sync_main(struct cli_app *a, struct mig_opts *o, int resume);

/* verify over an open pair (copy --verify uses it); returns the exit code */
int mig_verify_run(struct cli_app *a, const struct mig_opts *o,
		   struct mig_side *src, struct mig_side *dst);

/* ---- one run of the copy engine (copy.c; upkeep.c, wbatch.c read it) ---- */

enum { MIG_COPIED, MIG_REPLACED, MIG_SKIPPED, MIG_CONFLICT, MIG_EXPIRED,
       MIG_MISSING, MIG_FAILED, MIG_DONE, MIG_NSTATUS };

struct mig_run {
	struct cli_app *a;
	struct mig_side *src, *dst;
	struct sess_mtask task;
	struct mig_sel sel;
	int form;               /* 'd' or 's' */
	char method_why[200];
	const char *mode;       /* --conflict */
	int dry_run, legacy, stop_on_conflict, restart_ttl;
	int fresh;              /* a new task: nothing on the target is its yet */
	long batch, rate;
	long count[MIG_NSTATUS];
	int rc;                 /* the first per-session failure's exit code */
	int report_stderr;      /* session lines to stderr (stdout is export's data) */
	long upkept;            /* sessions whose pending upkeep a resume completed */
	struct mig_meter meter;
	/* called before a WAIT on the target with how long it may block (ms),
	 * whose failure is the step's (err: nothing waited for, nothing
	 * confirmed), and after it with 0, whose failure changes nothing
	 * (the WAIT's answer stands); NULL: none. sync's heartbeat covers a
	 * WAIT longer than its period */
	int (*blocking)(void *arg, long ms, struct sess_err *err);
	void *blocking_arg;
};

/* With durable writes on, WAIT for the target's replicas (sess_durable_wait)
 * between run->blocking's two calls; 0 when off (wbatch.c). */
int mig_durable_wait(struct mig_run *run, struct sess_err *err);

/* One line per session: its status (and e, the failure or the conflict,
 * or NULL), counted in run->count (copy.c). */
void mig_report(struct mig_run *run, const char *id, int st, const struct sess_err *e);

#endif
