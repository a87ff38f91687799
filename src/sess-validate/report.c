/* report.c - findings as JSON lines, text, GitHub workflow annotations or
 * JUnit XML. */
#include "validate.h"

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
	else
		return cli_usage_error(a, "--format must be json, text, github or junit, not \"%.20s\"", format);
	if (r->fmt == FMT_JUNIT)
		r->suites = cJSON_CreateObject();
	r->suite = check;
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
	case FMT_JUNIT:
		report_suite(r, r->suite ? r->suite : r->check);
		cJSON_AddItemToArray(cJSON_GetObjectItemCaseSensitive(r->suites, r->suite ? r->suite : r->check),
				     finding_json(f));
		break;
	}
	if (ferror(r->a->out.f) || r->a->out.closed)
		return 1;
	return 0;
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

/* XML text: the five entities; characters XML 1.0 cannot hold (controls
 * other than tab, LF, CR) as \xNN; invalid UTF-8 as U+FFFD */
static void xml_put(FILE *out, const char *s)
{
	char buf[4 * 1024];

	if (!s)
		return;
	sess_utf8_escape(buf, sizeof buf, s); /* one line of valid UTF-8 */
	for (s = buf; *s; s++) {
		switch (*s) {
		case '&': fputs("&amp;", out); break;
		case '<': fputs("&lt;", out); break;
		case '>': fputs("&gt;", out); break;
		case '"': fputs("&quot;", out); break;
		case '\'': fputs("&apos;", out); break;
		default:
			if ((unsigned char)*s < 0x20 && *s != '\t')
				fprintf(out, "\\x%02X", (unsigned char)*s);
			else
				fputc(*s, out);
		}
	}
}

static const char *jstr(const cJSON *o, const char *k)
{
	return cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, k));
}

static void write_junit(struct report *r)
{
	FILE *out = r->a->out.f;
	const cJSON *suite, *f;
	long tests = 0, failures = 0;

	cJSON_ArrayForEach(suite, r->suites) {
		int n = cJSON_GetArraySize(suite);
		tests += n ? n : 1;
		cJSON_ArrayForEach(f, suite) {
			const char *sev = jstr(f, "severity");
			failures += !strcmp(sev, "error") || (r->strict && !strcmp(sev, "warning"));
		}
	}
	fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n", out);
	fprintf(out, "<testsuites name=\"sess-validate %s\" tests=\"%ld\" failures=\"%ld\" errors=\"0\">\n",
		r->check, tests, failures);
	cJSON_ArrayForEach(suite, r->suites) {
		long st = 0, sf = 0;
		cJSON_ArrayForEach(f, suite) {
			const char *sev = jstr(f, "severity");
			st++;
			sf += !strcmp(sev, "error") || (r->strict && !strcmp(sev, "warning"));
		}
		fputs("  <testsuite name=\"", out);
		xml_put(out, suite->string);
		fprintf(out, "\" tests=\"%ld\" failures=\"%ld\" errors=\"0\" skipped=\"0\">\n", st ? st : 1, sf);
		if (!st) {
			fputs("    <testcase classname=\"sess-validate.", out);
			xml_put(out, r->check);
			fputs("\" name=\"", out);
			xml_put(out, suite->string);
			fputs(": clean\"/>\n", out);
		}
		cJSON_ArrayForEach(f, suite) {
			const char *sev = jstr(f, "severity"), *ptr = jstr(f, "pointer"), *id = jstr(f, "id");
			const cJSON *line = cJSON_GetObjectItemCaseSensitive(f, "line");
			int fail = !strcmp(sev, "error") || (r->strict && !strcmp(sev, "warning"));
			fputs("    <testcase classname=\"sess-validate.", out);
			xml_put(out, r->check);
			fputs(".", out);
			xml_put(out, suite->string);
			fputs("\" name=\"", out);
			xml_put(out, jstr(f, "code"));
			if (id) {
				fputs(" session ", out);
				xml_put(out, id);
			}
			if (ptr && *ptr) {
				fputs(" at ", out);
				xml_put(out, ptr);
			}
			if (cJSON_IsNumber(line))
				fprintf(out, " line %d", line->valueint);
			fputs("\"", out);
			if (jstr(f, "file")) {
				fputs(" file=\"", out);
				xml_put(out, jstr(f, "file"));
				fputs("\"", out);
			}
			fputs(">\n", out);
			if (fail) {
				fprintf(out, "      <failure type=\"%s\" message=\"", sev);
				xml_put(out, jstr(f, "message"));
				fputs("\">", out);
			} else {
				fprintf(out, "      <system-out>%s: ", sev);
			}
			xml_put(out, jstr(f, "message"));
			if (jstr(f, "fix")) {
				fputs("\nfix: ", out);
				xml_put(out, jstr(f, "fix"));
			}
			fprintf(out, "</%s>\n    </testcase>\n", fail ? "failure" : "system-out");
		}
		fputs("  </testsuite>\n", out);
	}
	fputs("</testsuites>\n", out);
}

int report_end(struct report *r)
{
	if (r->fmt == FMT_JUNIT) {
		write_junit(r);
		cJSON_Delete(r->suites);
		r->suites = NULL;
	} else if (r->fmt == FMT_TEXT) {
		fprintf(r->a->out.f, "%s: %ld error%s, %ld warning%s, %ld recommendation%s", r->check, r->errors,
			r->errors == 1 ? "" : "s", r->warnings, r->warnings == 1 ? "" : "s", r->recommendations,
			r->recommendations == 1 ? "" : "s");
		if (r->changes)
			fprintf(r->a->out.f, ", %ld repair%s", r->changes, r->changes == 1 ? "" : "s");
		fputc('\n', r->a->out.f);
	}
	fflush(r->a->out.f);
	return r->errors || (r->strict && r->warnings) ? 1 : 0;
}
