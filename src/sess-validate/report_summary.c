/* report_summary.c - the GitHub Actions job summary: when
 * $GITHUB_STEP_SUMMARY names a file, a Markdown section is appended to it
 * (never truncated: other steps and commands write there too): the check,
 * passed or failed, the counts, and a table of the findings (the first
 * REPORT_SUMMARY_ROWS). Every name and message is cleaned
 * (report_clean) and its Markdown punctuation escaped, so a file, key or
 * session name cannot end a cell, start a link or drive the page. */
#include "validate.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

/* s in a table cell: cleaned, ASCII punctuation backslash-escaped (GitHub
 * takes \| as a bar inside a cell) */
static void md_put(FILE *out, const char *s)
{
	char buf[4 * 1024];

	report_clean(buf, sizeof buf, s);
	for (s = buf; *s; s++) {
		if (ispunct((unsigned char)*s))
			fputc('\\', out);
		fputc(*s, out);
	}
}

static void where(FILE *out, const struct report *r, const cJSON *f)
{
	const cJSON *line = cJSON_GetObjectItemCaseSensitive(f, "line"),
		    *col = cJSON_GetObjectItemCaseSensitive(f, "column"),
		    *seq = cJSON_GetObjectItemCaseSensitive(f, "seq");
	const char *ptr = report_str(f, "pointer");

	if (report_str(f, "file")) {
		md_put(out, report_str(f, "file"));
		if (cJSON_IsNumber(line))
			fprintf(out, "\\:%.0f", line->valuedouble);
		if (cJSON_IsNumber(line) && cJSON_IsNumber(col))
			fprintf(out, "\\:%.0f", col->valuedouble);
		if (ptr && *ptr) {
			fputs(" at ", out);
			md_put(out, ptr);
		}
	} else if (report_str(f, "id")) {
		fputs("session ", out);
		md_put(out, report_str(f, "id"));
		if (cJSON_IsNumber(seq))
			fprintf(out, " \\(seq %.0f\\)", seq->valuedouble);
	} else {
		md_put(out, r->check);
	}
}

static void write_summary(FILE *out, const struct report *r)
{
	const cJSON *suite, *f;
	long rows = 0;
	int failed = r->errors || (r->strict && r->warnings);

	fprintf(out, "\n### sess-validate %s: %s (%ld error%s, %ld warning%s, %ld recommendation%s)\n\n", r->check,
		r->aborted ? "stopped" : failed ? "failed" : "passed", r->errors, r->errors == 1 ? "" : "s", r->warnings,
		r->warnings == 1 ? "" : "s", r->recommendations, r->recommendations == 1 ? "" : "s");
	if (r->aborted) {
		fputs("Not checked to the end: ", out);
		md_put(out, r->aborted);
		fputs("\n\n", out);
	}
	if (!r->findings) {
		fputs("No findings.\n", out);
		return;
	}
	fputs("| Severity | Code | Where | Message |\n|---|---|---|---|\n", out);
	cJSON_ArrayForEach(suite, r->suites) {
		cJSON_ArrayForEach(f, suite) {
			if (rows++ >= REPORT_SUMMARY_ROWS)
				break;
			fputs("| ", out);
			md_put(out, report_str(f, "severity"));
			if (report_fails(r, f) && strcmp(report_str(f, "severity"), "error"))
				fputs(" \\(\\-\\-strict\\)", out); /* a warning that fails */
			fputs(" | ", out);
			md_put(out, report_str(f, "code"));
			fputs(" | ", out);
			where(out, r, f);
			fputs(" | ", out);
			md_put(out, report_str(f, "message"));
			if (report_str(f, "fix")) {
				fputs("<br>fix\\: ", out);
				md_put(out, report_str(f, "fix"));
			}
			fputs(" |\n", out);
		}
	}
	if (r->findings > REPORT_SUMMARY_ROWS)
		fprintf(out, "\n%ld more finding%s: see the step's log or report.\n", r->findings - REPORT_SUMMARY_ROWS,
			r->findings - REPORT_SUMMARY_ROWS == 1 ? "" : "s");
}

int report_write_summary(struct report *r, const char *path)
{
	FILE *out = fopen(path, "a");
	int bad;

	if (!out)
		return -1;
	write_summary(out, r);
	bad = ferror(out);
	if (fclose(out) || bad)
		return -1;
	return 0;
}
