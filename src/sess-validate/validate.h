/* validate.h - sess-validate's commands and its report writer. */
#ifndef SESS_VALIDATE_H
#define SESS_VALIDATE_H

#include "cli/cli.h"
#include "core/model/finding.h"

/* Options every command shares: the output format and --strict. */
#define REPORT_FIELDS const char *format; int strict

struct config_opts { REPORT_FIELDS; const char *env; };
struct schema_opts { int unused; };
struct server_opts { REPORT_FIELDS; const char *env; int live_sync; long pings; };
struct sessions_opts { REPORT_FIELDS; int all, repair, dry_run; long page; };

int cmd_config(struct cli_app *a, void *opts, int argc, char **argv);
int cmd_schema(struct cli_app *a, void *opts, int argc, char **argv);
int cmd_server(struct cli_app *a, void *opts, int argc, char **argv);
int cmd_sessions(struct cli_app *a, void *opts, int argc, char **argv);

/* ---- the report: findings in the format asked for ---- */

enum report_fmt { FMT_JSON, FMT_TEXT, FMT_GITHUB, FMT_JUNIT };

struct report {
	struct cli_app *a;
	enum report_fmt fmt;
	int strict;
	const char *check;    /* "config", "server", "sessions" */
	long errors, warnings, recommendations, changes;
	cJSON *suites;        /* junit: suite name -> array of findings */
	const char *suite;    /* the suite findings go to now */
};

/* Pick the format (NULL: json when stdout is piped, text on a terminal);
 * a bad name is a usage error (returns its exit code). */
int report_init(struct report *r, struct cli_app *a, const char *format, int strict,
		const char *check);
/* Findings from here on belong to suite name (a file, "server", ...). */
void report_suite(struct report *r, const char *name);
/* sess_finding_fn: write (or, junit, keep) one finding. */
int report_finding(const struct sess_finding *f, void *r);
/* One repair, done or (dry_run) planned: a JSON line in json, a line in
 * text, nothing in github and junit (they report findings). */
void report_change(struct report *r, cJSON *change);
/* Write what was kept (junit) and a text summary; returns the exit code
 * for the findings: 1 on errors (and on warnings when strict), else 0. */
int report_end(struct report *r);

#endif
