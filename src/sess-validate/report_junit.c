/* report_junit.c - the kept findings as JUnit XML, valid against the
 * schema Jenkins' xUnit plugin reads JUnit with (tests/data/junit-10.xsd;
 * GitLab reads the same): a testsuite per file (or server, or sessions),
 * a testcase per finding with a name unique in its suite, one passing
 * case for a clean suite, an error case when the check could not run to
 * its end (report_abort); each count is the number of cases it counts. */
#include "validate.h"

#include <stdio.h>
#include <string.h>

/* s as XML text or attribute value: cleaned (report_clean: nothing XML
 * 1.0 cannot hold) and the five entities */
static void xml_put(FILE *out, const char *s)
{
	char buf[4 * 1024];

	report_clean(buf, sizeof buf, s);
	for (s = buf; *s; s++) {
		switch (*s) {
		case '&': fputs("&amp;", out); break;
		case '<': fputs("&lt;", out); break;
		case '>': fputs("&gt;", out); break;
		case '"': fputs("&quot;", out); break;
		case '\'': fputs("&apos;", out); break;
		default: fputc(*s, out);
		}
	}
}

/* name (size bytes): the case's name, from cleaned parts (so two names
 * that differ stay different once cleaned), made unique in the suite by
 * " (2)", " (3)" ... (seen: the names so far) */
static void case_name(char *name, size_t size, const cJSON *f, cJSON *seen)
{
	char part[1024];
	const cJSON *seq = cJSON_GetObjectItemCaseSensitive(f, "seq"),
		    *line = cJSON_GetObjectItemCaseSensitive(f, "line"),
		    *col = cJSON_GetObjectItemCaseSensitive(f, "column");
	const char *ptr = report_str(f, "pointer");
	size_t n, base;
	long k;

	report_clean(name, size, report_str(f, "code"));
	n = strlen(name);
	if (report_str(f, "id")) {
		report_clean(part, sizeof part, report_str(f, "id"));
		n += (size_t)snprintf(name + n, size - n, " session %s", part);
	}
	if (n < size && cJSON_IsNumber(seq))
		n += (size_t)snprintf(name + n, size - n, " seq %.0f", seq->valuedouble);
	if (n < size && ptr && *ptr) {
		report_clean(part, sizeof part, ptr);
		n += (size_t)snprintf(name + n, size - n, " at %s", part);
	}
	if (n < size && cJSON_IsNumber(line))
		n += (size_t)snprintf(name + n, size - n, " line %.0f", line->valuedouble);
	if (n < size && cJSON_IsNumber(col))
		n += (size_t)snprintf(name + n, size - n, " column %.0f", col->valuedouble);
	if (n >= size - 16) /* room for the suffix */
		n = size - 16, name[n] = '\0';
	base = n;
	for (k = 2; cJSON_GetObjectItemCaseSensitive(seen, name); k++)
		snprintf(name + base, size - base, " (%ld)", k);
	cJSON_AddTrueToObject(seen, name);
}

static void write_case(struct report *r, FILE *out, const cJSON *suite, const cJSON *f, cJSON *seen)
{
	char name[1024];
	int fail = report_fails(r, f);

	case_name(name, sizeof name, f, seen);
	fputs("    <testcase classname=\"sess-validate.", out);
	xml_put(out, r->check);
	fputc('.', out);
	xml_put(out, suite->string);
	fputs("\" name=\"", out);
	xml_put(out, name);
	fputs("\">\n", out);
	if (fail) {
		fputs("      <failure type=\"", out);
		xml_put(out, report_str(f, "severity"));
		fputs("\" message=\"", out);
		xml_put(out, report_str(f, "message"));
		fputs("\">", out);
	} else {
		fputs("      <system-out>", out);
		xml_put(out, report_str(f, "severity"));
		fputs(": ", out);
	}
	xml_put(out, report_str(f, "message"));
	if (report_str(f, "fix")) {
		fputs("\nfix: ", out);
		xml_put(out, report_str(f, "fix"));
	}
	fprintf(out, "</%s>\n    </testcase>\n", fail ? "failure" : "system-out");
}

void report_write_junit(struct report *r)
{
	FILE *out = r->a->out.f;
	const cJSON *suite, *f;
	long tests = 0, failures = 0;

	cJSON_ArrayForEach(suite, r->suites) {
		int n = cJSON_GetArraySize(suite) + (r->aborted && !strcmp(suite->string, r->check));
		tests += n ? n : 1;
		cJSON_ArrayForEach(f, suite)
			failures += report_fails(r, f);
	}
	fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n", out);
	fputs("<testsuites name=\"sess-validate ", out);
	xml_put(out, r->check);
	fprintf(out, "\" tests=\"%ld\" failures=\"%ld\" errors=\"%d\">\n", tests, failures, r->aborted ? 1 : 0);
	cJSON_ArrayForEach(suite, r->suites) {
		int aborted = r->aborted && !strcmp(suite->string, r->check);
		long st = cJSON_GetArraySize(suite) + aborted, sf = 0;
		cJSON *seen = cJSON_CreateObject();

		cJSON_ArrayForEach(f, suite)
			sf += report_fails(r, f);
		fputs("  <testsuite name=\"", out);
		xml_put(out, suite->string);
		fprintf(out, "\" tests=\"%ld\" failures=\"%ld\" errors=\"%d\" skipped=\"0\"", st ? st : 1, sf, aborted);
		if (!strcmp(r->check, "config") && strcmp(suite->string, "<stdin>")) {
			fputs(" file=\"", out);
			xml_put(out, report_path(suite->string));
			fputc('"', out);
		}
		fputs(">\n", out);
		if (!st) {
			fputs("    <testcase classname=\"sess-validate.", out);
			xml_put(out, r->check);
			fputs("\" name=\"", out);
			xml_put(out, suite->string);
			fputs(": clean\"/>\n", out);
		}
		cJSON_ArrayForEach(f, suite)
			write_case(r, out, suite, f, seen);
		if (aborted) {
			fputs("    <testcase classname=\"sess-validate.", out);
			xml_put(out, r->check);
			fputs("\" name=\"", out);
			xml_put(out, r->check);
			fputs(": not checked to the end\">\n      <error type=\"stopped\" message=\"", out);
			xml_put(out, r->aborted);
			fputs("\">", out);
			xml_put(out, r->aborted);
			fputs("</error>\n    </testcase>\n", out);
		}
		cJSON_Delete(seen);
		fputs("  </testsuite>\n", out);
	}
	fputs("</testsuites>\n", out);
}
