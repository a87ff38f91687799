/* anchor.c - a point's state, checked: the records up to it folded
 * with their chain on to where the chain is anchored; the fold at a point
 * that state, diff and fork share (fold_upto), and its agents' names. */
#include <stdio.h>
#include <string.h>

#include "core/model/json.h"
#include "core/model/keys.h"
#include "replay.h"

struct anchor_st {
	struct cli_app *a;
	struct source *src;
	char chain[SESS_SHA1_HEX]; /* the chain before the record in hand */
	int started, anchored;
	long long cp, seq;         /* the checkpoint anchored at, its seq */
};

/* After each record is folded. Past the mark (a live session), the first
 * checkpoint record ends it: its stored checkpoint's chain digest must be
 * the chain before the record. */
static int anchor_one(int kind, const char *text, size_t len, struct sess_fold *f, void *p)
{
	struct anchor_st *st = p;
	long long n;

	(void)len;
	if (!st->started) {
		const cJSON *start = st->src->saved
			? cJSON_GetObjectItemCaseSensitive(st->src->meta, "start") : st->src->head.start;
		const char *ch = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(start, "ch"));
		snprintf(st->chain, sizeof st->chain, "%s", ch ? ch : "");
		st->started = 1;
	}
	if (!st->src->saved && st->src->marked && kind == SESS_REC_HISTORY &&
	    (n = sess_fold_checkpoint_n(text)) >= 0) {
		/* compared once the stream has stopped: the connection has the
		 * log's pages in flight now */
		st->anchored = 1;
		st->cp = n;
		st->seq = f->seq;
		return 1;
	}
	memcpy(st->chain, f->chain, sizeof st->chain);
	return 0;
}

int fold_anchored(struct cli_app *a, struct source *src, const struct point *at,
		  struct sess_fold *snap)
{
	struct anchor_st st;
	struct sess_fold f;
	const char *head;
	int rc;

	memset(&st, 0, sizeof st);
	st.a = a;
	st.src = src;
	sess_fold_init(snap, src->id, 1);
	src->mark = at;
	/* from the start (a saved replay's first block: each snapshot after
	 * it checked against the fold) */
	rc = source_fold(a, src, &f, SRC_FOLD | SRC_CHAIN, 0, NULL, anchor_one, &st);
	src->mark = NULL;
	if (!rc && st.anchored) {
		/* its stored chain digest must be the chain before its record */
		struct sess_keys k;
		redisReply *r;
		cJSON *cp = NULL;
		const char *ch;
		sess_keys_init(&k, a->cfg.prefix, src->id);
		if (!(r = sess_conn_cmdf(&a->conn, &a->err, "HGET %s %lld", k.cps, st.cp))) {
			rc = -1;
		} else {
			int stored = r->type == REDIS_REPLY_STRING;
			cp = stored ? sess_json_parse_stored(r->str, r->len) : NULL;
			freeReplyObject(r);
			ch = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(cp, "ch"));
			if (stored && !cJSON_IsObject(cp))
				rc = sess_err_set(&a->err, SESS_E_DATA, "corrupt_record",
						  "stored checkpoint %lld of %s is not a JSON object, or names a key twice: it is damaged; run 'sess-replay verify %s'",
						  st.cp, src->id, src->id);
			else if (!ch || strcmp(ch, st.chain))
				rc = sess_err_set(&a->err, SESS_E_DATA, "chain_mismatch",
						  "the records of %s up to checkpoint %lld (seq %lld) do not fold to the chain digest it holds: a record was changed; run 'sess-replay verify %s'",
						  src->id, st.cp, st.seq, src->id);
			cJSON_Delete(cp);
		}
	}
	if (!rc && !st.anchored) {
		/* to the end: the stored head anchors it */
		head = src->saved ? cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(src->meta, "chain"))
				  : src->head.chain;
		if (!head || strcmp(head, f.chain))
			rc = sess_err_set(&a->err, SESS_E_DATA, "chain_mismatch",
					  "the records of %s do not fold to its stored chain head: a record was changed, removed or inserted; run 'sess-replay verify %s'",
					  src->id, src->id);
	}
	if (!rc) {
		if (!src->marked) { /* the point is at or past the end */
			src->marked = sess_fold_snapshot(&f);
			src->given_at_mark = src->given;
		}
		sess_fold_free(snap);
		rc = src->marked ? sess_fold_restore(snap, src->marked, 1, &a->err)
				 : sess_err_set(&a->err, SESS_E_INTERNAL, NULL, "out of memory");
		src->given = src->given_at_mark;
	}
	sess_fold_free(&f);
	return rc ? -1 : 0;
}

/* The fold of src at point at (chain kept when proof). Returns 0 with
 * st->snap set (free it), or -1 with a->err. */
int fold_upto(struct cli_app *a, struct source *src, struct upto_st *st, int proof)
{
	/* a live session's records are checked on to its next checkpoint
	 * (few records), a saved replay's with --proof from its first block
	 * to its head; without, from the snapshot before the point (one
	 * block decoded: verify checks the snapshots) */
	int rc = !src->saved || proof
		? fold_anchored(a, src, &st->at, &st->snap)
		: source_fold(a, src, &st->snap, SRC_FOLD, st->at.is_time ? 0 : st->at.v, &st->at, NULL, NULL);

	if (!rc && src->given == 0)
		/* even the first record is past the point: before the history
		 * (a trimmed log's starts at its checkpoint) */
		rc = sess_err_set(&a->err, SESS_E_NEGATIVE, "before_history",
				  "the point is before the history of %s begins%s", src->id,
				  st->snap.base ? " (its log was trimmed; see 'sess-replay play')" : "");
	if (rc)
		sess_fold_free(&st->snap);
	return rc;
}

cJSON *agent_names(const struct sess_fold *f)
{
	cJSON *a = cJSON_CreateArray();
	size_t i;

	for (i = 0; i < f->nagents; i++)
		cJSON_AddItemToArray(a, cJSON_CreateString(f->agents[i].id));
	return a;
}
