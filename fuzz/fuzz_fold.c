/* fuzz_fold.c - stored event and history texts as the fold reads them
 * (src/core/fold.c, jscan.c, integrity.c): what `sess-replay verify`,
 * `sess-replay play` and `sess-validate sessions` do with a session's
 * records, without the server. One input line is one stored text:
 *
 *   {"s":...      an event: member check, fold, decode, format
 *   #{...}        a stored checkpoint (the checkpoints hash), under its "n"
 *   @{...}        the checkpoint a trimmed log starts from (first line)
 *   %{...}        the meta hash (string values), checked at the end
 *   anything else a history record: fold; a checkpoint record is checked
 *                 against the stored checkpoint, and its body rebuilt
 *
 * At the end the chain, the checkpoints and the meta are checked
 * (sess_integrity_finish, sess_integrity_meta) and the state printed,
 * snapshotted and restored (what a saved replay keeps per block).
 */
#include <stdio.h>

#include <cjson/cJSON.h>

#include "core/model/event.h"
#include "core/history/fold.h"
#include "core/history/integrity.h"
#include "fuzz.h"

static void finding(const char *code, long long seq, const char *msg, void *arg)
{
	(void)code;
	(void)seq;
	(void)msg;
	(*(long *)arg)++;
}

static void event_line(struct sess_fold *f, const char *text, size_t len, long *n)
{
	struct sess_err err;
	struct sess_text out = {0};
	struct sess_fold_ev ev;
	cJSON *d;

	if (sess_fold_scan(text, len, &ev, &err) == 0) {
		sess_integrity_member_ev(f, &ev, finding, n);
		sess_fold_event_ev(f, &ev, text, len, &err);
	}
	sess_integrity_member(f, text, len, finding, n);
	if ((d = sess_event_decode(text, len, f->id, &err)))
		cJSON_Delete(d);
	sess_event_format(text, len, NULL, NULL, &out, &err);
	free(out.p);
}

static void record_line(struct sess_fold *f, const char *text, size_t len, cJSON *cps, long *n)
{
	struct sess_err err;
	char before[SESS_SHA1_HEX];
	long long cp = sess_fold_checkpoint_n(text);
	cJSON *body = NULL;

	memcpy(before, f->chain, sizeof before);
	if (cp >= 0)
		body = sess_integrity_checkpoint_body(f, before, text, len);
	if (sess_fold_record(f, text, len, &err) == 0 && cp >= 0 && f->known)
		sess_integrity_checkpoint(f, before, cp, cps, finding, n);
	cJSON_Delete(body);
}

static void meta_check(const struct sess_fold *f, const cJSON *meta, long *n)
{
	const char *fields[64], *values[64];
	const cJSON *it;
	size_t k = 0;

	cJSON_ArrayForEach(it, meta)
		if (k < 64 && cJSON_IsString(it)) {
			fields[k] = it->string;
			values[k++] = it->valuestring;
		}
	sess_integrity_meta(f, fields, values, k, finding, n);
}

static void finish(struct sess_fold *f, cJSON *cps, const cJSON *meta, long *n)
{
	struct sess_err err;
	struct sess_fold g;
	char digest[SESS_SHA1_HEX];
	cJSON *snap;

	sess_integrity_finish(f, f->chain, "session", cps, -1, finding, n);
	if (meta)
		meta_check(f, meta, n);
	sess_fold_digest(f, digest);
	cJSON_Delete(sess_fold_json(f));
	if ((snap = sess_fold_snapshot(f))) {
		/* through text, as a block stores it */
		char *t = cJSON_PrintUnformatted(snap);
		cJSON_Delete(snap);
		snap = t ? cJSON_Parse(t) : NULL;
		cJSON_free(t);
		if (snap) { /* restore initialises g whatever happens */
			sess_fold_restore(&g, snap, 1, &err);
			sess_fold_free(&g);
		}
		cJSON_Delete(snap);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *p = data, *end = data + size;
	struct sess_fold f;
	struct sess_err err;
	cJSON *cps = cJSON_CreateObject(), *meta = NULL, *o;
	long n = 0, lineno = 0;
	char *line;
	size_t len;

	if (!cps)
		return 0;
	sess_fold_init(&f, "s-1", 1);
	while (fuzz_line(&p, end, &line, &len) > 0) {
		lineno++;
		if (line[0] == '#' || line[0] == '@' || line[0] == '%') {
			o = cJSON_ParseWithLength(line + 1, len - 1);
			if (line[0] == '#' && cJSON_IsObject(o)) {
				char key[32];
				snprintf(key, sizeof key, "%.0f",
					 cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(o, "n")));
				cJSON_AddItemToObject(cps, key, o);
				o = NULL;
			} else if (line[0] == '@' && lineno == 1 && o) {
				sess_fold_from_checkpoint(&f, o, &err);
			} else if (line[0] == '%' && !meta) {
				meta = o;
				o = NULL;
			}
			cJSON_Delete(o);
		} else if (!strncmp(line, "{\"s\"", 4)) {
			event_line(&f, line, len, &n);
		} else {
			record_line(&f, line, len, cps, &n);
		}
		free(line);
	}
	finish(&f, cps, meta, &n);
	sess_fold_free(&f);
	cJSON_Delete(cps);
	cJSON_Delete(meta);
	return 0;
}
