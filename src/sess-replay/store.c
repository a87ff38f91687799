/* store.c - what sess-replay's commands on saved replays share: the
 * checkpoint checks save and import make before they write, the write
 * (store), a replay's summary, and replays that cannot be read while
 * listing (list, cleanup, stats). */
#include <stdio.h>

#include "core/history/integrity.h"
#include "core/model/json.h"
#include "core/model/keys.h"
#include "core/redis/reply.h"
#include "sess-replay/saved.h"
#include "replay.h"

static void cp_finding(const char *code, long long seq, const char *msg, void *p)
{
	struct cp_check *c = p;

	(void)code;
	(void)seq;
	if (!c->findings++)
		snprintf(c->first, sizeof c->first, "%s", msg);
}

/* A replay keeps no checkpoint bodies (they are rebuilt from its records,
 * see sess_integrity_checkpoint_body), so what it is made from must hold
 * the very ones its records imply: before checkpoint record text is
 * encoded, the given checkpoint must be the fold so far (e's fold, whose
 * chain is the chain before the record). A difference is counted, never
 * saved over. */
void cp_check_record(struct cp_check *c, const struct sess_fold *f, int kind,
		     const char *text, size_t len)
{
	long long n;
	char key[24];
	cJSON *cp;

	if (kind != SESS_REC_HISTORY || !f->known || (n = sess_fold_checkpoint_n(text)) < 0)
		return;
	snprintf(key, sizeof key, "%lld", n);
	/* the map is in number order and each one checked leaves it: the one
	 * looked up is first, unless it was taken after the map was read */
	if (c->live_id && !cJSON_GetObjectItemCaseSensitive(c->cps, key)) {
		/* read once the records are (never while they are streamed: the
		 * connection has their pages in flight) */
		if ((cp = sess_integrity_checkpoint_body(f, f->chain, text, len))) {
			if (!c->late)
				c->late = cJSON_CreateObject();
			cJSON_AddItemToObject(c->late, key, cp);
		}
		return;
	}
	sess_integrity_checkpoint(f, f->chain, n, c->cps, cp_finding, c);
}

/* The checkpoints taken after the map was read: each stored one must be
 * the one its record implied. 0, or -1 with a->err (the server). */
static int cp_check_late(struct cli_app *a, struct cp_check *c)
{
	struct sess_keys k;
	cJSON *it;
	int rc = 0;

	if (!c->late)
		return 0;
	sess_keys_init(&k, a->cfg.prefix, c->live_id);
	cJSON_ArrayForEach(it, c->late) {
		redisReply *r = sess_conn_cmdf(&a->conn, &a->err, "HGET %s %s", k.cps, it->string);
		cJSON *stored;
		char msg[160];
		if (!r) {
			rc = -1;
			break;
		}
		stored = r->type == REDIS_REPLY_STRING ? sess_json_parse_stored(r->str, r->len) : NULL;
		if (r->type == REDIS_REPLY_STRING && !stored) {
			snprintf(msg, sizeof msg, "stored checkpoint %s is not a JSON object, or names a key twice", it->string);
			cp_finding("corrupt_record", -1, msg, c);
		} else if (!cJSON_Compare(stored, it, 1)) {
			snprintf(msg, sizeof msg, "checkpoint %s is %s", it->string,
				 stored ? "not the state folded up to its record" : "not stored, though its record is");
			cp_finding(stored ? "checkpoint_mismatch" : "checkpoint_missing", -1, msg, c);
		}
		freeReplyObject(r);
		cJSON_Delete(stored);
	}
	cJSON_Delete(c->late);
	c->late = NULL;
	return rc;
}

/* After the last record: a given checkpoint no record took (one before a
 * trimmed history's start is not in it, and fine). 0, or -1 with err. */
int cp_check_end(struct cli_app *a, struct cp_check *c, const struct sess_fold *f,
			const cJSON *start, const char *id, const char *what, const char *lost)
{
	const cJSON *start_seq = cJSON_GetObjectItemCaseSensitive(start, "seq");
	cJSON *it = c->cps ? c->cps->child : NULL, *next;

	if (cp_check_late(a, c))
		return -1;

	/* one taken after the records were read is not this history's */
	for (; it; it = next) {
		next = it->next;
		if (cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(it, "seq")) > (double)f->seq)
			cJSON_DeleteItemFromObjectCaseSensitive(c->cps, it->string);
	}
	sess_integrity_finish(f, f->chain, what, c->cps,
			      sess_json_ll(start_seq, -1), cp_finding, c);
	if (!c->findings)
		return 0;
	return sess_err_set(&a->err, SESS_E_DATA, "checkpoint_mismatch",
			    "%s: %s (%ld finding%s); run 'sess-replay verify %s' (%s)", id, c->first,
			    c->findings, c->findings == 1 ? "" : "s", id, lost);
}

cJSON *replay_summary(const cJSON *meta)
{
	cJSON *o = cJSON_CreateObject();
	static const char *const keys[] = {"id", "savedAt", "state", "firstSeq", "lastSeq", "events",
					   "records", "blocks", "rawBytes", "storedBytes", "chain", NULL};
	double raw, stored;
	size_t i;

	for (i = 0; keys[i]; i++) {
		const cJSON *v = cJSON_GetObjectItemCaseSensitive(meta, keys[i]);
		if (v)
			cJSON_AddItemToObject(o, keys[i], cJSON_Duplicate(v, 1));
	}
	raw = cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(meta, "rawBytes"));
	stored = cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(meta, "storedBytes"));
	if (raw > 0)
		cJSON_AddNumberToObject(o, "ratio", (double)(long long)(stored / raw * 10000 + 0.5) / 10000);
	return o;
}

/* Store e's records (encoded by the caller) as replay id. */
int store(struct cli_app *a, const char *id, struct sess_replay_enc *enc, cJSON **out)
{
	redisReply *t;
	long long now;
	cJSON *meta;
	int rc;

	if (sess_replay_enc_finish(enc, &a->err))
		return -1;
	if (!(t = sess_conn_cmdf(&a->conn, &a->err, "TIME")))
		return -1;
	now = sess_reply_int(t, 0) * 1000 + sess_reply_int(t, 1) / 1000;
	freeReplyObject(t);
	if (!(meta = sess_replay_enc_meta(enc, now)))
		return sess_err_set(&a->err, SESS_E_INTERNAL, NULL, "out of memory");
	rc = sess_replay_store(&a->ctx, id, enc, meta, &a->err);
	if (!rc)
		*out = replay_summary(meta);
	cJSON_Delete(meta);
	return rc;
}

int bad_replay(const char *id, const struct sess_err *err, void *p)
{
	struct bad_st *b = p;

	cli_warn(b->a->prog, "saved replay %s skipped: %s", id, err->msg);
	if (!b->n++ || err->cls == SESS_E_DATA)
		b->cls = err->cls;
	return 0;
}

int bad_end(struct bad_st *b)
{
	if (!b->n)
		return 0;
	sess_err_set(&b->a->err, (enum sess_class)b->cls, "unreadable_replays",
		     "%ld saved replay%s could not be read (named above); 'sess-replay verify --all --saved' says more",
		     b->n, b->n == 1 ? "" : "s");
	return cli_app_fail(b->a);
}
