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

/* the finding's fingerprint, unique among those already given (seen);
 * -1 when libcrypto gives no SHA-1 (every fingerprint would be "": the
 * loop below would never find one unseen) */
static int fingerprint(const cJSON *f, cJSON *seen, char out[SESS_SHA1_HEX])
{
	struct sess_sha1 c, again;
	char n[32];
	long k;
	int bad;

	if (sess_sha1_init(&c))
		return -1;
	field(&c, report_str(f, "code"));
	field(&c, report_path(report_str(f, "file")));
	field(&c, report_str(f, "pointer"));
	field(&c, report_str(f, "id"));
	field(&c, report_str(f, "message"));
	bad = sess_sha1_copy(&again, &c) || sess_sha1_hex(&c, out) || !out[0];
	for (k = 2; !bad && cJSON_GetObjectItemCaseSensitive(seen, out); k++) {
		bad = sess_sha1_copy(&c, &again);
		snprintf(n, sizeof n, "#%ld", k);
		field(&c, n);
		bad = bad || sess_sha1_hex(&c, out) || !out[0];
	}
	sess_sha1_free(&again);
	sess_sha1_free(&c);
	if (bad)
		return -1;
	cJSON_AddTrueToObject(seen, out);
	return 0;
}

static const char *severity(const cJSON *f)
{
	const char *sev = report_str(f, "severity");

	return !strcmp(sev, "error") ? "major" : !strcmp(sev, "warning") ? "minor" : "info";
}

int report_write_codequality(struct report *r)
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
			if (fingerprint(f, seen, fp)) {
				cJSON_Delete(o);
				cJSON_Delete(seen);
				cJSON_Delete(doc);
				fprintf(stderr, "%s: no code-quality report: OpenSSL's libcrypto gives no SHA-1 for the fingerprints (check OPENSSL_CONF and its providers)\n",
					r->a->prog);
				return 70;
			}
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
	return 0;
}
