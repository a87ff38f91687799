/* report_codequality.c - config's kept findings as a GitLab code quality
 * report (a JSON array of Code Climate issues): description, check_name
 * (the finding code), severity, location.path and location.lines.begin
 * (1 when the finding has no line), and a fingerprint GitLab compares
 * between a merge request and its target: the SHA-1 of the code, the
 * path, the JSON pointer and the message (not the line, so an edit above
 * a finding does not make it new), with the number of the occurrence when
 * one finding is there twice; the same finding gives the same fingerprint
 * on every run, different ones differ. */
#include "validate.h"

#include <stdio.h>
#include <string.h>

#include "core/base/sha1.h"

static void add_clean(cJSON *o, const char *k, const char *s)
{
	char buf[4 * 1024];

	report_clean(buf, sizeof buf, s);
	cJSON_AddStringToObject(o, k, buf);
}

static void field(struct sess_sha1 *c, const char *s)
{
	if (s)
		sess_sha1_add(c, s, strlen(s));
	sess_sha1_add(c, "", 1); /* the NUL ends each field */
}

/* the finding's fingerprint, unique among those already given (seen) */
static void fingerprint(const cJSON *f, cJSON *seen, char out[SESS_SHA1_HEX])
{
	struct sess_sha1 c, again;
	char n[32];
	long k;

	sess_sha1_init(&c);
	field(&c, report_str(f, "code"));
	field(&c, report_path(report_str(f, "file")));
	field(&c, report_str(f, "pointer"));
	field(&c, report_str(f, "id"));
	field(&c, report_str(f, "message"));
	sess_sha1_copy(&again, &c);
	sess_sha1_hex(&c, out);
	for (k = 2; cJSON_GetObjectItemCaseSensitive(seen, out); k++) {
		sess_sha1_copy(&c, &again);
		snprintf(n, sizeof n, "#%ld", k);
		field(&c, n);
		sess_sha1_hex(&c, out);
	}
	sess_sha1_free(&again);
	cJSON_AddTrueToObject(seen, out);
}

static const char *severity(const cJSON *f)
{
	const char *sev = report_str(f, "severity");

	return !strcmp(sev, "error") ? "major" : !strcmp(sev, "warning") ? "minor" : "info";
}

void report_write_codequality(struct report *r)
{
	cJSON *doc = cJSON_CreateArray(), *seen = cJSON_CreateObject(), *o, *loc;
	const cJSON *suite, *f, *line;
	char fp[SESS_SHA1_HEX], text[8 * 1024];
	char *s;

	cJSON_ArrayForEach(suite, r->suites) {
		cJSON_ArrayForEach(f, suite) {
			o = cJSON_CreateObject();
			cJSON_AddStringToObject(o, "type", "issue");
			snprintf(text, sizeof text, "%s%s%s%s", report_str(f, "message"),
				 report_str(f, "fix") ? " (fix: " : "", report_str(f, "fix") ? report_str(f, "fix") : "",
				 report_str(f, "fix") ? ")" : "");
			add_clean(o, "description", text);
			add_clean(o, "check_name", report_str(f, "code"));
			fingerprint(f, seen, fp);
			cJSON_AddStringToObject(o, "fingerprint", fp);
			cJSON_AddStringToObject(o, "severity", severity(f));
			loc = cJSON_AddObjectToObject(o, "location");
			add_clean(loc, "path", report_path(report_str(f, "file") ? report_str(f, "file") : suite->string));
			line = cJSON_GetObjectItemCaseSensitive(f, "line");
			cJSON_AddNumberToObject(cJSON_AddObjectToObject(loc, "lines"), "begin",
						cJSON_IsNumber(line) ? line->valuedouble : 1);
			cJSON_AddItemToArray(doc, o);
		}
	}
	cJSON_Delete(seen);
	if ((s = cJSON_Print(doc))) {
		fputs(s, r->a->out.f);
		fputc('\n', r->a->out.f);
		cJSON_free(s);
	}
	cJSON_Delete(doc);
}
