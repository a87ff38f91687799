/* report_sarif.c - config's kept findings as SARIF 2.1.0 (OASIS), the
 * format GitHub code scanning uploads: one run of the driver
 * sess-validate, a rule per finding code, a result per finding at its
 * file (a URI: relative to the checkout, %SRCROOT%, or file:// when
 * absolute), line and column (line 1 when the finding has none: a
 * missing file, its permissions). */
#include "validate.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sesskit-config.h"

#define SARIF_SCHEMA "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"

/* file as a URI reference: every byte but the unreserved ones and / as
 * %XX (a name's hostile bytes too, so the URI names the file exactly);
 * absolute paths as file:// URIs. The caller frees the result. */
static char *file_uri(const char *file)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t n = strlen(file);
	char *u = malloc(3 * n + 8), *p = u;

	if (!u)
		return NULL;
	if (file[0] == '/')
		p += sprintf(p, "file://");
	for (; *file; file++) {
		unsigned char c = (unsigned char)*file;
		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || strchr("-._~/", c)) {
			*p++ = (char)c;
		} else {
			*p++ = '%';
			*p++ = hex[c >> 4];
			*p++ = hex[c & 15];
		}
	}
	*p = '\0';
	return u;
}

static void add_clean(cJSON *o, const char *k, const char *s)
{
	char buf[4 * 1024];

	report_clean(buf, sizeof buf, s);
	cJSON_AddStringToObject(o, k, buf);
}

static const char *level(const cJSON *f)
{
	const char *sev = report_str(f, "severity");

	return !strcmp(sev, "error") ? "error" : !strcmp(sev, "warning") ? "warning" : "note";
}

/* the rule of code: its index in rules, added when new (index: code ->
 * index) */
static int rule_index(cJSON *rules, cJSON *index, const char *code)
{
	const cJSON *i = cJSON_GetObjectItemCaseSensitive(index, code);
	cJSON *rule;
	char text[256];

	if (i)
		return i->valueint;
	rule = cJSON_CreateObject();
	add_clean(rule, "id", code);
	snprintf(text, sizeof text, "sess-validate finding %s (sess-validate(1), FINDING CODES)", code);
	add_clean(cJSON_AddObjectToObject(rule, "shortDescription"), "text", text);
	cJSON_AddItemToArray(rules, rule);
	cJSON_AddNumberToObject(index, code, cJSON_GetArraySize(rules) - 1);
	return cJSON_GetArraySize(rules) - 1;
}

static cJSON *result(const cJSON *f, int rule)
{
	cJSON *res = cJSON_CreateObject(), *msg, *loc, *art, *reg;
	const cJSON *line = cJSON_GetObjectItemCaseSensitive(f, "line"),
		    *col = cJSON_GetObjectItemCaseSensitive(f, "column");
	const char *file = report_str(f, "file");
	char text[8 * 1024];
	char *uri;

	add_clean(res, "ruleId", report_str(f, "code"));
	cJSON_AddNumberToObject(res, "ruleIndex", rule);
	cJSON_AddStringToObject(res, "level", level(f));
	msg = cJSON_AddObjectToObject(res, "message");
	snprintf(text, sizeof text, "%s%s%s", report_str(f, "message"), report_str(f, "fix") ? " (fix: " : "",
		 report_str(f, "fix") ? report_str(f, "fix") : "");
	if (report_str(f, "fix") && strlen(text) + 1 < sizeof text)
		strcat(text, ")");
	add_clean(msg, "text", text);
	if (file && (uri = file_uri(report_path(file)))) {
		loc = cJSON_CreateObject();
		cJSON_AddItemToArray(cJSON_AddArrayToObject(res, "locations"), loc);
		art = cJSON_AddObjectToObject(cJSON_AddObjectToObject(loc, "physicalLocation"), "artifactLocation");
		cJSON_AddStringToObject(art, "uri", uri);
		if (uri[0] != 'f' || strncmp(uri, "file://", 7))
			cJSON_AddStringToObject(art, "uriBaseId", "%SRCROOT%");
		free(uri);
		reg = cJSON_AddObjectToObject(cJSON_GetObjectItemCaseSensitive(loc, "physicalLocation"), "region");
		cJSON_AddNumberToObject(reg, "startLine", cJSON_IsNumber(line) ? line->valuedouble : 1);
		if (cJSON_IsNumber(line) && cJSON_IsNumber(col))
			cJSON_AddNumberToObject(reg, "startColumn", col->valuedouble);
	}
	if (report_str(f, "pointer") && *report_str(f, "pointer"))
		add_clean(cJSON_AddObjectToObject(res, "properties"), "pointer", report_str(f, "pointer"));
	return res;
}

void report_write_sarif(struct report *r)
{
	cJSON *doc = cJSON_CreateObject(), *run, *driver, *rules, *results, *index = cJSON_CreateObject();
	const cJSON *suite, *f;
	char *s;

	cJSON_AddStringToObject(doc, "$schema", SARIF_SCHEMA);
	cJSON_AddStringToObject(doc, "version", "2.1.0");
	run = cJSON_CreateObject();
	cJSON_AddItemToArray(cJSON_AddArrayToObject(doc, "runs"), run);
	driver = cJSON_AddObjectToObject(cJSON_AddObjectToObject(run, "tool"), "driver");
	cJSON_AddStringToObject(driver, "name", "sess-validate");
	cJSON_AddStringToObject(driver, "version", PACKAGE_VERSION);
	rules = cJSON_AddArrayToObject(driver, "rules");
	results = cJSON_AddArrayToObject(run, "results");
	cJSON_ArrayForEach(suite, r->suites)
		cJSON_ArrayForEach(f, suite)
			cJSON_AddItemToArray(results, result(f, rule_index(rules, index, report_str(f, "code"))));
	cJSON_Delete(index);
	if ((s = cJSON_Print(doc))) {
		fputs(s, r->a->out.f);
		fputc('\n', r->a->out.f);
		cJSON_free(s);
	}
	cJSON_Delete(doc);
}
