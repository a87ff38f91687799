/* fuzz_history.c - a history file as `sess-replay import` reads it
 * (src/sess-replay/cmd_import.c): a header line
 * {"sesskit":"history","id":...}, records ({"s":... events, {"k":...
 * lifecycle records) each folded and encoded by sess_replay_enc_add,
 * checkpoint lines kept to check, and an end line with the chain and the
 * count. cmd_import is a binary's function that reads a FILE and writes to
 * Redis; this is its loop over the same core calls (sess_json_parse,
 * sess_key_check_id, sess_replay_enc_init/add/finish/meta), then the
 * blocks made are read back and folded again as its import_check does.
 */
#include <stdio.h>

#include <cjson/cJSON.h>

#include "core/history/integrity.h"
#include "core/model/json.h"
#include "core/model/keys.h"
#include "sess-replay/saved.h"
#include "fuzz.h"

/* import makes blocks of SESS_REPLAY_INTERVAL records; small blocks here
 * (as `sess-replay save --interval 4` makes) so inputs cross blocks */
#define FUZZ_INTERVAL 4

struct recheck {
	struct sess_fold f;
	cJSON *cps;
	long findings;
	struct sess_err err;
};

static void finding(const char *code, long long seq, const char *msg, void *arg)
{
	(void)code;
	(void)seq;
	(void)msg;
	((struct recheck *)arg)->findings++;
}

static int recheck_one(int kind, const char *text, size_t len, void *p)
{
	struct recheck *r = p;
	long long n;

	if (kind == SESS_REC_HISTORY && r->f.known && (n = sess_fold_checkpoint_n(text)) >= 0)
		sess_integrity_checkpoint(&r->f, r->f.chain, n, r->cps, finding, r);
	return kind == SESS_REC_EVENT ? sess_fold_event(&r->f, text, len, &r->err) != 0
				      : sess_fold_record(&r->f, text, len, &r->err) != 0;
}

static void finish(struct sess_replay_enc *enc, cJSON *end, cJSON *cps, const char *id)
{
	struct sess_err err;
	struct recheck r;
	const char *chain = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(end, "chain"));
	double n = cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(end, "records"));
	size_t i;
	int rc = 0;

	if (cJSON_GetObjectItemCaseSensitive(end, "start"))
		return;
	if (n != (double)(enc->fold.events + enc->fold.records) || !chain || strcmp(chain, enc->fold.chain))
		return;
	if (sess_replay_enc_finish(enc, &err))
		return;
	cJSON_Delete(sess_replay_enc_meta(enc, 1700000000000LL));
	memset(&r, 0, sizeof r);
	r.cps = cps;
	sess_fold_init(&r.f, id, 1);
	for (i = 0; !rc && i < enc->nblocks; i++)
		rc = sess_replay_block_each(enc->blocks[i].data, enc->blocks[i].len, NULL, recheck_one, &r,
					    &r.err) != 0;
	if (!rc)
		sess_integrity_finish(&r.f, r.f.chain, "file", cps, -1, finding, &r);
	sess_fold_free(&r.f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *p = data, *end_p = data + size;
	struct sess_replay_enc enc;
	struct sess_err err;
	char id[SESS_ID_MAX + 1] = "", *line;
	size_t len;
	long lineno = 0;
	cJSON *end = NULL, *cps = cJSON_CreateObject();
	int started = 0, bad = 0;

	memset(&enc, 0, sizeof enc);
	while (!bad && fuzz_line(&p, end_p, &line, &len) > 0) {
		cJSON *j;
		lineno++;
		/* getline keeps a NUL; the C string stops at it */
		len = strlen(line);
		while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
			line[--len] = '\0';
		if (!len) {
			free(line);
			continue;
		}
		if (end) {
			bad = 1;
		} else if (lineno == 1) {
			cJSON *h = sess_json_parse(line);
			const char *hid = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(h, "id"));
			const char *kind = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(h, "sesskit"));
			if (!h || strcmp(kind ? kind : "", "history") || !hid)
				bad = 1;
			else
				snprintf(id, sizeof id, "%s", hid);
			cJSON_Delete(h);
			if (!bad && sess_key_check_id(id, "replay id", &err))
				bad = 1;
		} else if (!strncmp(line, "{\"s\":", 5) || !strncmp(line, "{\"k\":", 5)) {
			if (!started) {
				if (sess_replay_enc_init(&enc, id, FUZZ_INTERVAL, NULL, &err))
					bad = 1;
				started = 1;
			}
			if (!bad && sess_replay_enc_add(&enc, line[2] == 's' ? SESS_REC_EVENT : SESS_REC_HISTORY,
							line, len, &err))
				bad = 1;
		} else if (!(j = sess_json_parse(line))) {
			bad = 1;
		} else if (cJSON_GetObjectItemCaseSensitive(j, "checkpoint")) {
			cJSON *cp = cJSON_DetachItemFromObjectCaseSensitive(j, "checkpoint");
			char key[24];
			snprintf(key, sizeof key, "%.0f",
				 cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(cp, "id")));
			cJSON_AddItemToObject(cps, key, cp);
			cJSON_Delete(j);
		} else if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(j, "end"))) {
			end = j;
		} else {
			cJSON_Delete(j);
			bad = 1;
		}
		free(line);
	}
	if (!bad && id[0] && end && (started || sess_replay_enc_init(&enc, id, FUZZ_INTERVAL, NULL, &err) == 0))
		finish(&enc, end, cps, id);
	sess_replay_enc_free(&enc);
	cJSON_Delete(end);
	cJSON_Delete(cps);
	return 0;
}
