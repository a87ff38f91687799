/* fuzz_spans.c - a differential of the fold's span readers against its
 * cJSON tree readers (src/core/history/fold_spans.c, integrity.c): a
 * history record or a stored checkpoint read from its spans must give
 * exactly what the tree gives, on any input. The input is one stored
 * text:
 *
 *   #{...}        a stored checkpoint (checkpoint 1 of a fixed fold: a1
 *                 created it with metadata, a2 joined): its findings from
 *                 the text (sess_integrity_checkpoint_text) and from its
 *                 tree (sess_integrity_checkpoint) must be the same
 *   anything else a history record, folded after a create record and
 *                 into an empty fold, as given and with 17 members put in
 *                 front of its own (more than the span reader takes, so
 *                 the tree reads it): the same outcome (error kind, or the
 *                 same session) both ways
 *
 * A difference aborts (the finding); see fuzz/README.md.
 */
#include <stdio.h>

#include <cjson/cJSON.h>

#include "core/history/fold.h"
#include "core/history/integrity.h"
#include "core/model/json.h"
#include "fuzz.h"

static const char CREATE[] = "{\"k\":\"create\",\"at\":0,\"ts\":1000,\"a\":\"a1\",\"ttl\":600,\"m\":{\"x\":1,\"y\":\"z/w\"}}";
static const char JOIN[] = "{\"k\":\"join\",\"at\":0,\"ts\":1001,\"a\":\"a2\"}";
static const char CH[] = "fdfabab84146f08e07147049307f4d95cfd9c8d6";

/* What a fold came to, as text: the error kind, or the session. */
static char *outcome(const char *pre, const char *text, size_t len)
{
	struct sess_fold f;
	struct sess_err err;
	char *out, head[160];
	cJSON *j;
	int rc;

	memset(&err, 0, sizeof err);
	sess_fold_init(&f, "s1", 0);
	if (pre && sess_fold_record(&f, pre, strlen(pre), &err))
		abort();
	rc = sess_fold_record(&f, text, len, &err);
	snprintf(head, sizeof head, "%d %d %s %lld %lld %lld %lld|", rc, (int)err.cls, rc ? err.kind : "",
		 f.records, f.base, f.completed_at, f.updated);
	j = rc ? NULL : sess_fold_json(&f);
	{
		char *body = j ? cJSON_PrintUnformatted(j) : NULL;
		size_t n = strlen(head) + (body ? strlen(body) : 0) + 1;
		if ((out = malloc(n)))
			snprintf(out, n, "%s%s", head, body ? body : "");
		cJSON_free(body);
	}
	cJSON_Delete(j);
	sess_fold_free(&f);
	return out;
}

/* The text names a member the forced copy adds ("zq#"). */
static int names_zq(const char *text, size_t len)
{
	size_t i;

	for (i = 0; i + 3 <= len; i++)
		if (text[i] == 'z' && text[i + 1] == 'q' && text[i + 2] == '#')
			return 1;
	return 0;
}

static void record(const char *text, size_t len)
{
	static const char *const pres[] = {CREATE, NULL};
	char *forced, *a, *b;
	size_t i, n, flen;
	int k;

	if (len == 0 || text[0] != '{' || names_zq(text, len))
		return;
	/* {"zq#0#":0,...,"zq#16#":0, then the record's own members */
	flen = len + 17 * 16 + 1;
	if (!(forced = malloc(flen)))
		return;
	n = 0;
	forced[n++] = '{';
	for (k = 0; k < 17; k++)
		n += (size_t)snprintf(forced + n, flen - n, "\"zq#%d#\":0,", k);
	memcpy(forced + n, text + 1, len - 1);
	n += len - 1;
	for (i = 0; i < sizeof pres / sizeof pres[0]; i++) {
		a = outcome(pres[i], text, len);
		b = outcome(pres[i], forced, n);
		if (a && b && strcmp(a, b)) {
			fprintf(stderr, "span and tree readers differ on a record:\n  text:  %.*s\n  spans: %s\n  tree:  %s\n",
				(int)len, text, a, b);
			abort();
		}
		free(a);
		free(b);
	}
	free(forced);
}

struct got {
	char list[4096];
};

static void collect(const char *code, long long seq, const char *msg, void *arg)
{
	struct got *g = arg;
	size_t n = strlen(g->list);

	snprintf(g->list + n, sizeof g->list - n, "%s %lld %s\n", code, seq, msg);
}

static void checkpoint(const char *text, size_t len)
{
	struct sess_fold f;
	struct sess_err err;
	struct got g1, g2;
	cJSON *cps, *cp;

	sess_fold_init(&f, "s1", 0);
	if (sess_fold_record(&f, CREATE, strlen(CREATE), &err) || sess_fold_record(&f, JOIN, strlen(JOIN), &err))
		abort();
	g1.list[0] = g2.list[0] = '\0';
	sess_integrity_checkpoint_text(&f, CH, 1, text, len, collect, &g1);
	if ((cps = cJSON_CreateObject())) {
		cp = sess_json_parse_stored(text, len);
		cJSON_AddItemToObject(cps, "1", cp ? cp : cJSON_CreateNull());
		sess_integrity_checkpoint(&f, CH, 1, cps, collect, &g2);
		cJSON_Delete(cps);
		if (strcmp(g1.list, g2.list)) {
			fprintf(stderr, "span and tree readers differ on a checkpoint:\n  text:  %.*s\n  spans: %s  tree:  %s",
				(int)len, text, g1.list, g2.list);
			abort();
		}
	}
	sess_fold_free(&f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	if (!s)
		return 0;
	if (size)
		memcpy(s, data, size);
	s[size] = '\0';
	if (size && s[0] == '#')
		checkpoint(s + 1, size - 1);
	else
		record(s, size);
	free(s);
	return 0;
}
