/* fuzz_migrate.c - a line of `sess-migrate import` input
 * (src/sess-migrate/io.c, mig_import_run): the strict JSON parse, then
 * the export line read back (sess_snap_from_json, the default layout) and
 * a legacy line converted (--layout legacy: legacy_line, static in io.c,
 * gathers its parts and calls sess_legacy_convert; that gathering is
 * repeated here, with its numbers converted without overflow). A read
 * snapshot is written out again (sess_snap_to_json) and compared with
 * itself (sess_snap_diff), as export and verify do. Each input line is
 * one import line. And import's tree-less reader (sess-migrate/line.c) on
 * the line as io.c gives it (NUL bytes kept, trailing blanks cut): a line
 * it takes must be one the slow way takes into the same session (a
 * difference aborts).
 */
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include <cjson/cJSON.h>

#include "sess-migrate/dump.h"
#include "core/model/json.h"
#include "core/model/keys.h"
#include "sess-migrate/legacy.h"
#include "sess-migrate/line.h"
#include "fuzz.h"

/* A JSON number as a long long, saturated (legacy_line casts). */
static long long to_ll(double d)
{
	if (isnan(d))
		return 0;
	if (d >= 9223372036854774784.0)
		return LLONG_MAX;
	if (d <= -9223372036854775808.0)
		return LLONG_MIN;
	return (long long)d;
}

static void export_line(const cJSON *j)
{
	struct sess_snap s;
	struct sess_err err;
	cJSON *o, *diff;

	memset(&s, 0, sizeof s);
	if (sess_snap_from_json(&s, j, &err) == 0) {
		sess_snap_meta_ll(&s, "seq", -1);
		if ((o = sess_snap_to_json(&s))) {
			struct sess_snap t;
			memset(&t, 0, sizeof t);
			if (sess_snap_from_json(&t, o, &err) == 0 && (diff = cJSON_CreateArray())) {
				sess_snap_diff(&s, &t, 1000, NULL, diff);
				cJSON_Delete(diff);
			}
			sess_snap_free(&t);
			cJSON_Delete(o);
		}
	}
	sess_snap_free(&s);
}

static void legacy_line(const cJSON *j, const struct sess_config *cfg)
{
	const char *id = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(j, "id"));
	const cJSON *h = cJSON_GetObjectItemCaseSensitive(j, "session"), *e;
	const cJSON *pt = cJSON_GetObjectItemCaseSensitive(j, "pttl");
	struct sess_strv hash = {0}, ev = {0}, ag = {0};
	struct sess_snap s;
	struct sess_err err;
	long long *scores;
	size_t n = 0;

	if (!id || sess_key_check_id(id, "session id", &err) || !cJSON_IsObject(h))
		return;
	sess_snap_init(&s, id, 's');
	cJSON_ArrayForEach(e, h) {
		char num[32];
		const char *v = cJSON_GetStringValue(e);
		if (cJSON_IsNumber(e)) {
			snprintf(num, sizeof num, "%.0f", e->valuedouble);
			v = num;
		}
		if (v) {
			sess_strv_push(&hash, e->string, strlen(e->string));
			sess_strv_push(&hash, v, strlen(v));
		}
	}
	scores = calloc((size_t)cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(j, "events")) + 1,
			sizeof *scores);
	if (!scores)
		goto out;
	cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(j, "events")) {
		const char *v = cJSON_GetStringValue(e);
		const cJSON *sc = cJSON_GetObjectItemCaseSensitive(e, "score");
		if (!v)
			v = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(e, "value"));
		if (!v)
			continue;
		scores[n] = cJSON_IsNumber(sc) ? to_ll(sc->valuedouble) : (long long)n + 1;
		n++;
		sess_strv_push(&ev, v, strlen(v));
	}
	cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(j, "agents"))
		if (cJSON_IsString(e))
			sess_strv_push(&ag, e->valuestring, strlen(e->valuestring));
	if (sess_legacy_convert(&s, &hash, &ev, scores, &ag, cJSON_IsNumber(pt) ? to_ll(pt->valuedouble) : -1,
				1700000000000LL, cfg, &err) == 0)
		cJSON_Delete(sess_snap_to_json(&s));
	free(scores);
out:
	sess_strv_free(&hash);
	sess_strv_free(&ev);
	sess_strv_free(&ag);
	sess_snap_free(&s);
}

/* io.c's order: the reader first; what it takes, the slow way must take
 * alike (id, clock, expiry, meta, the five parts byte for byte). */
static void line_read(const char *line, size_t len)
{
	struct sess_snap fast, slow;
	struct sess_err err;
	cJSON *j;
	int i, same;

	if (!mig_line_read(&fast, line, len))
		return;
	memset(&slow, 0, sizeof slow);
	j = sess_json_parse_err(line, NULL, NULL, &err);
	same = j && sess_snap_from_json_take(&slow, j, &err) == 0 && !strcmp(fast.id, slow.id) &&
	       fast.now == slow.now && fast.expire_at == slow.expire_at && fast.present == slow.present &&
	       fast.form == slow.form && sess_strv_eq(&fast.meta, &slow.meta);
	for (i = 0; same && i < SESS_NKEYS; i++)
		same = sess_strv_eq(&fast.part[i], &slow.part[i]);
	if (!same)
		abort(); /* the reader took a line the slow way reads otherwise */
	cJSON_Delete(j);
	sess_snap_free(&fast);
	sess_snap_free(&slow);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct sess_config cfg;
	static int init;
	const uint8_t *p = data, *end = data + size;
	struct sess_err err;
	char *line;
	size_t len;

	if (!init) {
		sess_config_defaults(&cfg);
		init = 1;
	}
	while (fuzz_line(&p, end, &line, &len) > 0) {
		cJSON *j;
		while (len > 0 && strchr("\r\n \t", line[len - 1]))
			line[--len] = '\0';
		if (len)
			line_read(line, len);
		len = strlen(line);
		if (len && (j = sess_json_parse_err(line, NULL, NULL, &err))) {
			export_line(j);
			legacy_line(j, &cfg);
			cJSON_Delete(j);
		}
		free(line);
	}
	return 0;
}
