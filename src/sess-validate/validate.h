/* validate.h - what sess-validate's files share: the command entries,
 * the report options, and the report writer. */
#ifndef SESS_VALIDATE_H
#define SESS_VALIDATE_H

#include "cli/cli.h"
#include "core/model/finding.h"

/* Options every command that reports shares: the output format and
 * --strict, as struct fields and as table rows (T: the options struct). */
#define REPORT_FIELDS const char *format; int strict
#define FORMAT_OPT(T, help, values) CLI_STR_OLD("format", 'f', "FMT", help, T, format, values)
#define FORMAT_HELP "json (default when piped), text (on a terminal),\n"                         \
	"                         github (workflow annotations), junit (XML)"
#define STRICT_OPT(T) CLI_FLAG("strict", 0, "exit 1 on warnings too", T, strict)
/* server's and sessions' */
#define FORMAT_OPTS(T)                                                                          \
	FORMAT_OPT(T, FORMAT_HELP, "json text github junit"), STRICT_OPT(T)
/* config's: also the reports of findings in files (sarif, codequality) */
#define CONFIG_FORMAT_OPTS(T)                                                                   \
	FORMAT_OPT(T, FORMAT_HELP ",\n"                                                          \
		   "                         sarif (SARIF 2.1.0) or codequality (GitLab)",          \
		   "json text github junit sarif codequality"),                                    \
	STRICT_OPT(T)

/* sessions' options (cmd_sessions.c); the sessions_*.c files read them */
struct sessions_opts { REPORT_FIELDS; int all, repair, dry_run, serial; long page; };

/* The commands, in --help's order (main.c lists them; one cmd_NAME.c
 * each). */
extern const struct cli_cmd validate_cmd_config, validate_cmd_schema, validate_cmd_server, validate_cmd_acl,
	validate_cmd_sessions;

/* ---- the report: findings in the format asked for ---- */

enum report_fmt { FMT_JSON, FMT_TEXT, FMT_GITHUB, FMT_JUNIT, FMT_SARIF, FMT_CODEQUALITY };

struct report {
	struct cli_app *a;
	enum report_fmt fmt;
	int strict;
	const char *check;    /* "config", "server", "sessions" */
	long errors, warnings, recommendations, changes;
	cJSON *suites;        /* what is kept for a report written at the end
			       * (junit, sarif, codequality, the job
			       * summary): suite name -> array of findings */
	const char *suite;    /* the suite findings go to now */
	const char *summary;  /* $GITHUB_STEP_SUMMARY, or NULL */
	long findings, kept;  /* all findings; those in suites */
	char *aborted;        /* why the check could not run (report_abort),
			       * or NULL; owned */
};

/* The job summary's table shows this many findings at most (GitHub takes
 * 1 MiB a step); for it alone no more are kept. */
#define REPORT_SUMMARY_ROWS 200

/* Pick the format (NULL: json when stdout is piped, text on a terminal);
 * a bad name, or sarif or codequality for another check than config, is
 * a usage error (returns its exit code). */
int report_init(struct report *r, struct cli_app *a, const char *format, int strict,
		const char *check);
/* Findings from here on belong to suite name (a file, "server", ...). */
void report_suite(struct report *r, const char *name);
/* sess_finding_fn: write (or, for a report written at the end, keep)
 * one finding. */
int report_finding(const struct sess_finding *f, void *r);
/* The check could not run to its end (Redis unreachable, credentials
 * refused, another layout): why, for the reports written at the end (an
 * error case in junit, a line in the job summary); json, text and github
 * leave it to the message on stderr. */
void report_abort(struct report *r, const char *why);
/* One repair, done or (dry_run) planned: a JSON line in json, a line in
 * text, nothing in github and junit (they report findings). */
void report_change(struct report *r, cJSON *change);
/* Write what was kept (junit, sarif, codequality) or a text summary, and
 * append the job summary to $GITHUB_STEP_SUMMARY when it is set; returns
 * the exit code for the findings: 1 on errors (and on warnings when
 * strict), else 0; 74 when the job summary cannot be written (said on
 * stderr). */
int report_end(struct report *r);

/* ---- the writers of reports written at the end (r->suites) ---- */

/* Does finding f (as kept: the JSON of a JSON line) fail the check? */
int report_fails(const struct report *r, const cJSON *f);
/* A kept finding's string field k, or NULL. */
const char *report_str(const cJSON *f, const char *k);
/* Copy s into dst (size bytes) as one line of text every report can hold:
 * valid UTF-8; control characters, bytes that are not UTF-8 and the
 * noncharacters U+FFFE and U+FFFF (XML 1.0 cannot hold them) as \xNN.
 * A sequence that does not fit is left out whole. s NULL is "". */
void report_clean(char *dst, size_t size, const char *s);
/* A kept finding's file as a path relative to the checkout: leading "./"
 * left out. */
const char *report_path(const char *file);

void report_write_junit(struct report *r);       /* report_junit.c */
void report_write_sarif(struct report *r);       /* report_sarif.c */
int report_write_codequality(struct report *r);  /* report_codequality.c: 0, or 70 said */
/* Append the Markdown summary to path; 0, or -1 with errno set
 * (report_summary.c). */
int report_write_summary(struct report *r, const char *path);

#endif
