/* report.c - findings as JSON lines, text or GitHub workflow annotations,
 * or kept for a report written at the end (report_junit.c, report_sarif.c,
 * report_codequality.c, report_summary.c). */
#include "validate.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/base/utf8.h"

int report_init(struct report *r, struct cli_app *a, const char *format, int strict,
		const char *check)
{
	memset(r, 0, sizeof r[0]);
	r->a = a;
	r->strict = strict;
	r->check = check;
	if (cli_out_init(&a->out, stdout, a->common.color, &a->err))
		return cli_usage_error(a, "%s", a->err.msg);
	if (!format)
		r->fmt = isatty(STDOUT_FILENO) ? FMT_TEXT : FMT_JSON;
	else if (!strcmp(format, "json"))
		r->fmt = FMT_JSON;
	else if (!strcmp(format, "text"))
		r->fmt = FMT_TEXT;
	else if (!strcmp(format, "github"))
		r->fmt = FMT_GITHUB;
	else if (!strcmp(format, "junit"))
		r->fmt = FMT_JUNIT;
	else if (!strcmp(format, "sarif"))
		r->fmt = FMT_SARIF;
	else if (!strcmp(format, "codequality"))
		r->fmt = FMT_CODEQUALITY;
	else if (!strcmp(check, "config"))
		return cli_usage_error(a, "--format must be json, text, github, junit, sarif or codequality, not \"%.20s\"",
				       format);
	else
		return cli_usage_error(a, "--format must be json, text, github or junit, not \"%.20s\"", format);
	if ((r->fmt == FMT_SARIF || r->fmt == FMT_CODEQUALITY) && strcmp(check, "config"))
		return cli_usage_error(a, "--format %s is for config's findings (a file and a line); use junit or github for %s",
				       format, check);
	r->summary = getenv("GITHUB_STEP_SUMMARY");
	if (r->summary && !*r->summary)
		r->summary = NULL;
	if (r->fmt == FMT_JUNIT || r->fmt == FMT_SARIF || r->fmt == FMT_CODEQUALITY || r->summary)
		r->suites = cJSON_CreateObject();
	r->suite = check;
	if (r->suites && strcmp(check, "config"))
		report_suite(r, check); /* clean, it is one passing case */
	return 0;
}

void report_suite(struct report *r, const char *name)
{
	r->suite = name;
	if (r->suites && !cJSON_GetObjectItemCaseSensitive(r->suites, name))
		cJSON_AddArrayToObject(r->suites, name);
}

static cJSON *finding_json(const struct sess_finding *f)
{
	cJSON *o = cJSON_CreateObject();

	if (f->file)
		cJSON_AddStringToObject(o, "file", f->file);
	if (f->file || (f->pointer && *f->pointer))
		cJSON_AddStringToObject(o, "pointer", f->pointer ? f->pointer : "");
	if (f->line > 0)
		cJSON_AddNumberToObject(o, "line", (double)f->line);
	if (f->col > 0)
		cJSON_AddNumberToObject(o, "column", (double)f->col);
	if (f->id)
		cJSON_AddStringToObject(o, "id", f->id);
	if (f->seq >= 0)
		cJSON_AddNumberToObject(o, "seq", (double)f->seq);
	cJSON_AddStringToObject(o, "severity", sess_sev_name(f->sev));
	cJSON_AddStringToObject(o, "code", f->code);
	cJSON_AddStringToObject(o, "message", f->message);
	if (f->fix)
		cJSON_AddStringToObject(o, "fix", f->fix);
	return o;
}

/* The length of the printable UTF-8 sequence at s (1 to 4), or 0 for a
 * byte to write as \xNN: a control character (C0, DEL, and C1, which
 * some terminals obey like ESC) or one that is not UTF-8. Names and
 * messages carry key names, ids and file names from outside: printed raw,
 * an ESC would drive a terminal and a newline start a forged line. */
static size_t printable(const char *s)
{
	unsigned char c = (unsigned char)*s;
	size_t len;

	if (c < 0x80)
		return c < 0x20 || c == 0x7f ? 0 : 1;
	len = sess_utf8_seq(s, strnlen(s, 4));
	if (len == 2 && c == 0xc2 && (unsigned char)s[1] < 0xa0)
		return 0; /* U+0080..U+009F */
	return len;
}

/* s for a text line: every byte printable() refuses as \xNN. */
static void text_put(FILE *out, const char *s)
{
	size_t len;

	for (; s && *s; s += len) {
		if (!(len = printable(s))) {
			fprintf(out, "\\x%02x", (unsigned char)*s);
			len = 1;
			continue;
		}
		fwrite(s, 1, len, out);
	}
}

/* GitHub's workflow command escapes: data %, CR, LF; properties also : ,
 * and any other control character or byte that is not UTF-8 as \xNN
 * (GitHub passes them on to the log and the browser) */
static void gh_put(FILE *out, const char *s, int prop)
{
	size_t len;

	for (; s && *s; s += len) {
		len = 1;
		if (*s == '%')
			fputs("%25", out);
		else if (*s == '\r')
			fputs("%0D", out);
		else if (*s == '\n')
			fputs("%0A", out);
		else if (prop && *s == ':')
			fputs("%3A", out);
		else if (prop && *s == ',')
			fputs("%2C", out);
		else if (!(len = printable(s)))
			fprintf(out, "\\x%02x", (unsigned char)*s), len = 1;
		else
			fwrite(s, 1, len, out);
	}
}

static void write_github(FILE *out, const struct sess_finding *f)
{
	const char *cmd = f->sev == SESS_SEV_ERROR ? "error" : f->sev == SESS_SEV_WARNING ? "warning" : "notice";
	int first = 1;

	fprintf(out, "::%s ", cmd);
	if (f->file) {
		fputs("file=", out);
		gh_put(out, f->file, 1);
		first = 0;
		if (f->line > 0)
			fprintf(out, ",line=%ld", f->line);
		if (f->col > 0)
			fprintf(out, ",col=%ld", f->col);
	}
	fputs(first ? "title=" : ",title=", out);
	gh_put(out, f->code, 1);
	fputs("::", out);
	if (f->id) {
		gh_put(out, "session ", 0);
		gh_put(out, f->id, 0);
		gh_put(out, ": ", 0);
	} else if (f->pointer && *f->pointer) {
		gh_put(out, f->pointer, 0);
		gh_put(out, ": ", 0);
	}
	gh_put(out, f->message, 0);
	if (f->fix) {
		gh_put(out, " (fix: ", 0);
		gh_put(out, f->fix, 0);
		gh_put(out, ")", 0);
	}
	fputc('\n', out);
}

static void write_text(struct report *r, const struct sess_finding *f)
{
	FILE *out = r->a->out.f;
	int c = r->a->out.color;
	const char *col = f->sev == SESS_SEV_ERROR ? "\033[31m" : f->sev == SESS_SEV_WARNING ? "\033[33m" : "\033[36m";

	if (f->file) {
		text_put(out, f->file);
		if (f->line > 0)
			fprintf(out, ":%ld", f->line);
		if (f->col > 0)
			fprintf(out, ":%ld", f->col);
		fputs(": ", out);
	} else if (f->id) {
		fputs("session ", out);
		text_put(out, f->id);
		if (f->seq >= 0)
			fprintf(out, " (seq %lld)", f->seq);
		fputs(": ", out);
	} else {
		fprintf(out, "%s: ", r->check);
	}
	fprintf(out, "%s%s%s: ", c ? col : "", sess_sev_name(f->sev), c ? "\033[0m" : "");
	text_put(out, f->message);
	fputs(" [", out);
	text_put(out, f->code);
	if (f->pointer && *f->pointer) {
		fputs(" at ", out);
		text_put(out, f->pointer);
	}
	fputs("]\n", out);
	if (f->fix) {
		fputs("    fix: ", out);
		text_put(out, f->fix);
		fputc('\n', out);
	}
}

int report_finding(const struct sess_finding *f, void *p)
{
	struct report *r = p;
	cJSON *o;

	if (f->sev == SESS_SEV_ERROR)
		r->errors++;
	else if (f->sev == SESS_SEV_WARNING)
		r->warnings++;
	else if (f->sev == SESS_SEV_RECOMMENDATION)
		r->recommendations++;
	switch (r->fmt) {
	case FMT_JSON:
		o = finding_json(f);
		cli_out_json(&r->a->out, o);
		cJSON_Delete(o);
		break;
	case FMT_TEXT:
		write_text(r, f);
		break;
	case FMT_GITHUB:
		write_github(r->a->out.f, f);
		break;
	default:
		break;
	}
	r->findings++;
	if (r->suites && (r->fmt == FMT_JUNIT || r->fmt == FMT_SARIF || r->fmt == FMT_CODEQUALITY ||
			  r->kept < REPORT_SUMMARY_ROWS)) {
		const char *suite = r->suite ? r->suite : r->check;
		r->kept++;
		report_suite(r, suite);
		cJSON_AddItemToArray(cJSON_GetObjectItemCaseSensitive(r->suites, suite), finding_json(f));
	}
	if (ferror(r->a->out.f) || r->a->out.closed)
		return 1;
	return 0;
}

void report_abort(struct report *r, const char *why)
{
	if (!r->aborted)
		r->aborted = strdup(why && *why ? why : "stopped");
}

void report_change(struct report *r, cJSON *change)
{
	r->changes++;
	if (r->fmt == FMT_JSON) {
		cli_out_json(&r->a->out, change);
	} else if (r->fmt == FMT_TEXT) {
		char *s = cJSON_PrintUnformatted(change);
		fprintf(r->a->out.f, "%s: ",
			cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(change, "dryRun")) ? "would repair" : "repaired");
		text_put(r->a->out.f, s ? s : "");
		fputc('\n', r->a->out.f);
		cJSON_free(s);
	}
}

const char *report_str(const cJSON *f, const char *k)
{
	return cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(f, k));
}

int report_fails(const struct report *r, const cJSON *f)
{
	const char *sev = report_str(f, "severity");

	return sev && (!strcmp(sev, "error") || (r->strict && !strcmp(sev, "warning")));
}

void report_clean(char *dst, size_t size, const char *s)
{
	char buf[4 * 1024], esc[16];
	const char *p, *put;
	size_t n = 0, len, add;

	if (!size)
		return;
	sess_utf8_escape(buf, sizeof buf, s ? s : ""); /* valid UTF-8, no C0 or DEL */
	for (p = buf; *p; p += add) {
		unsigned char c0 = (unsigned char)p[0], c1 = (unsigned char)p[1];
		add = len = c0 < 0x80 ? 1 : sess_utf8_seq(p, strnlen(p, 4));
		put = p;
		if (c0 == 0xef && c1 == 0xbf && ((unsigned char)p[2] == 0xbe || (unsigned char)p[2] == 0xbf)) {
			len = (size_t)snprintf(esc, sizeof esc, "\\xef\\xbf\\x%02x", (unsigned char)p[2]);
			put = esc; /* U+FFFE, U+FFFF */
		} else if (c0 == 0xc2 && c1 < 0xa0) {
			len = (size_t)snprintf(esc, sizeof esc, "\\xc2\\x%02x", c1);
			put = esc; /* C1 controls */
		}
		if (!add || n + len >= size)
			break;
		memcpy(dst + n, put, len);
		n += len;
	}
	dst[n] = '\0';
}

const char *report_path(const char *file)
{
	while (file && file[0] == '.' && file[1] == '/') {
		file += 2;
		while (*file == '/')
			file++;
	}
	return file;
}

int report_end(struct report *r)
{
	int rc = r->errors || (r->strict && r->warnings) ? 1 : 0;

	if (r->fmt == FMT_JUNIT)
		report_write_junit(r);
	else if (r->fmt == FMT_SARIF)
		report_write_sarif(r);
	else if (r->fmt == FMT_CODEQUALITY && report_write_codequality(r))
		rc = 70;
	else if (r->fmt == FMT_TEXT) {
		fprintf(r->a->out.f, "%s: %ld error%s, %ld warning%s, %ld recommendation%s", r->check, r->errors,
			r->errors == 1 ? "" : "s", r->warnings, r->warnings == 1 ? "" : "s", r->recommendations,
			r->recommendations == 1 ? "" : "s");
		if (r->changes)
			fprintf(r->a->out.f, ", %ld repair%s", r->changes, r->changes == 1 ? "" : "s");
		fputc('\n', r->a->out.f);
	}
	fflush(r->a->out.f);
	if (r->summary && report_write_summary(r, r->summary)) {
		char path[512];
		report_clean(path, sizeof path, r->summary);
		fprintf(stderr, "%s: cannot append the job summary to GITHUB_STEP_SUMMARY (%s): %s\n", r->a->prog, path,
			strerror(errno));
		rc = 74;
	}
	r->summary = NULL; /* once */
	free(r->aborted);
	r->aborted = NULL;
	cJSON_Delete(r->suites);
	r->suites = NULL;
	return rc;
}
