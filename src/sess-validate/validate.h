/* validate.h - what sess-validate's files share: the command entries,
 * the report options, and the report writer. */
#ifndef SESS_VALIDATE_H
#define SESS_VALIDATE_H

#include "cli/cli.h"
#include "core/model/finding.h"

/* Options every command that reports shares: the output format and
 * --strict, as struct fields and as table rows (T: the options struct). */
#define REPORT_FIELDS const char *format; int strict
#define FORMAT_OPTS(T)                                                                          \
	CLI_STR("format", 'f', "FMT", "json (default when piped), text (on a terminal),\n"      \
		"                         github (workflow annotations) or junit (XML)",           \
		T, format, "json text github junit"),                                              \
	CLI_FLAG("strict", 0, "exit 1 on warnings too", T, strict)

/* sessions' options (cmd_sessions.c); the sessions_*.c files read them */
struct sessions_opts { REPORT_FIELDS; int all, repair, dry_run; long page; };

/* The commands, in --help's order (main.c lists them; one cmd_NAME.c
 * each). */
extern const struct cli_cmd validate_cmd_config, validate_cmd_schema, validate_cmd_server, validate_cmd_acl,
	validate_cmd_sessions;

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
