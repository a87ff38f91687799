/* source.c - a history's source (a live session or a saved replay),
 * folded record by record; points in it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/history/integrity.h"
#include "core/base/jscan.h"
#include "core/model/json.h"
#include "core/model/keys.h"
#include "core/model/when.h"
#include "core/model/ids.h"
#include "core/redis/pipe.h"
#include "core/redis/reply.h"
#include "core/base/schema.h"
#include "sess-replay/saved.h"
#include "replay.h"

int point_parse(const char *s, const char *what, struct point *p, struct sess_err *err)
{
	memset(p, 0, sizeof *p);
	if (s[0] && strspn(s, "0123456789") == strlen(s) && strlen(s) < 17) {
		p->v = strtoll(s, NULL, 10);
		return 0;
	}
	/* any other TIME (sesskit(7)): RFC 3339, @MS, an age, now */
	if (sess_time_parse(s, sess_now_ms(), 0, what, &p->v, NULL))
		return sess_err_set(err, SESS_E_USAGE, NULL,
				    "%s takes a seq (a whole number) or a time: an RFC 3339 time such as 2026-11-23T14:02:00Z, @MS (ms since the epoch), an age such as 2h, or now; not \"%s\"",
				    what, s);
	p->is_time = 1;
	return 0;
}

int point_covers(const struct point *p, long long pos, long long ts)
{
	return p->is_time ? ts <= p->v : pos <= p->v;
}

int source_open(struct cli_app *a, const char *id, int saved, struct source *src)
{
	int live;

	memset(src, 0, sizeof *src);
	if (sess_key_check_id(id, "session or replay id", &a->err))
		return -1;
	snprintf(src->id, sizeof src->id, "%s", id);
	if (!saved) {
		struct sess_keys k;
		redisReply *r;
		sess_keys_init(&k, a->cfg.prefix, id);
		if (!(r = sess_conn_cmdf(&a->conn, &a->err, "EXISTS %s", k.meta)))
			return -1;
		live = r->type == REDIS_REPLY_INTEGER && r->integer > 0;
		freeReplyObject(r);
		if (live)
			return 0;
	}
	src->saved = 1; /* (also on failure: what was read) */
	if (!(src->meta = sess_replay_meta(&a->ctx, id, &a->err))) {
		if (a->err.cls == SESS_E_NEGATIVE)
			sess_err_set(&a->err, SESS_E_NEGATIVE, "not_found",
				     saved ? "no saved replay %s; 'sess-replay list' shows them"
					   : "no session %s and no saved replay of it (it never existed, or expired unsaved)",
				     id);
		return -1;
	}
	return 0;
}

void source_close(struct source *src)
{
	cJSON_Delete(src->marked);
	src->marked = NULL;
	sess_log_head_free(&src->head);
	cJSON_Delete(src->meta);
	src->meta = NULL;
}

int record_member(const char *text, size_t len, const char *key, const char **v, const char **vend)
{
	struct sess_jscan js;
	const char *k, *a, *b;
	size_t kl;
	int r, found = 0;

	if (sess_jscan_init(&js, text, len))
		return -1;
	while ((r = sess_jscan_next(&js, &k, &kl, &a, &b)) == 1)
		if (sess_jscan_is(k, kl, key)) {
			if (found++)
				return -1; /* twice: which one is meant is not ours to guess */
			*v = a;
			*vend = b;
		}
	return r < 0 ? -1 : found;
}

int record_str(const char *text, size_t len, const char *key, const char **s, size_t *n)
{
	const char *v, *vend;
	int r = record_member(text, len, key, &v, &vend);

	if (r <= 0)
		return r;
	return sess_jscan_str(v, vend, s, n) ? -1 : 1;
}

int record_position(int kind, const char *text, size_t len, long long *pos, long long *ts,
		    struct sess_fold_ev *ev, struct sess_err *err)
{
	if (kind == SESS_REC_EVENT) {
		if (sess_fold_scan(text, len, ev, err))
			return -1;
		*pos = ev->seq;
		*ts = ev->ts;
		return 0;
	} else {
		/* our records are {"k":KIND,"at":N,"ts":T,...}: read at the top
		 * level (metadata may hold members of the same names) */
		const char *v, *vend;
		memset(ev, 0, sizeof *ev);
		if (record_member(text, len, "at", &v, &vend) != 1 || sess_jscan_whole(v, vend, pos) ||
		    record_member(text, len, "ts", &v, &vend) != 1 || sess_jscan_whole(v, vend, ts))
			return sess_err_set(err, SESS_E_DATA, "bad_record",
					    "a lifecycle record has no whole \"at\" and \"ts\" (or has one twice): %.80s",
					    text);
		return 0;
	}
}

struct fold_st {
	struct cli_app *a;
	struct source *src;
	struct sess_fold *f;
	int flags, started;
	const struct point *upto;
	source_fn fn;
	void *arg;
	source_fn pre;      /* before each record is folded, or NULL */
	int failed;
	int stopped;        /* by upto or fn: the rest was not read */
	long first_block;   /* a saved replay's, whose snapshot f starts from */
	long long nev;      /* events given */
};

static int fold_one_(int kind, const char *text, size_t len, struct fold_st *st);

static int fold_one(int kind, const char *text, size_t len, void *p)
{
	struct fold_st *st = p;
	int rc;

	if (kind == SESS_REC_EVENT)
		st->nev++;
	if ((rc = fold_one_(kind, text, len, st)) && !st->failed)
		st->stopped = 1;
	return rc;
}

/* Before each block of a saved replay after the first read: its snapshot
 * must be the fold of the records before it (a snapshot edited, with its
 * block's SHA-1 made again, would otherwise be believed by a point in
 * it). Without SRC_FOLD there is no fold to compare: nothing is derived
 * from the snapshot then either. */
static int snap_check(long block, const cJSON *snap, void *p)
{
	struct fold_st *st = p;
	cJSON *mine, *theirs;
	int same;

	if (block == st->first_block || !(st->flags & SRC_FOLD))
		return 0;
	mine = sess_fold_snapshot(st->f);
	theirs = cJSON_Duplicate(snap, 1);
	if (!mine || !theirs) {
		cJSON_Delete(mine);
		cJSON_Delete(theirs);
		return sess_err_set(&st->a->err, SESS_E_INTERNAL, NULL, "out of memory");
	}
	if (!(st->flags & SRC_CHAIN)) {
		/* not kept on this pass (the records' chain is checked by
		 * passes that keep it) */
		cJSON_DeleteItemFromObjectCaseSensitive(mine, "chain");
		cJSON_DeleteItemFromObjectCaseSensitive(theirs, "chain");
	}
	same = cJSON_Compare(mine, theirs, 1);
	cJSON_Delete(mine);
	cJSON_Delete(theirs);
	if (same)
		return 0;
	st->failed = 1;
	return sess_err_set(&st->a->err, SESS_E_DATA, "snapshot_mismatch",
			    "saved replay %s: the snapshot of block %ld is not the state its records before it fold to (seq %lld); it was changed after it was saved",
			    st->src->id, block, st->f->seq);
}

/* After a whole pass: the records given are all the source says it has.
 * A live log must reach the seq its meta holds (one cut short would
 * otherwise replay as a shorter, complete history); a saved replay must
 * give the counts and last seq its meta holds. */
static int end_check(struct fold_st *st)
{
	struct source *src = st->src;
	struct sess_err *err = &st->a->err;

	if (!src->saved) {
		long long from = src->head.start
			? (long long)cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(src->head.start, "seq")) : 0;
		if (st->nev != src->head.seq - from)
			return sess_err_set(err, SESS_E_DATA, "log_short",
					    "the log of %s holds %lld events after seq %lld, but its meta's seq is %lld: events are missing (see 'sess-replay verify %s')",
					    src->id, st->nev, from, src->head.seq, src->id);
		return 0;
	}
	if ((st->flags & SRC_FOLD)) {
		const cJSON *m = src->meta;
		double ev = cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(m, "events"));
		double rec = cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(m, "records"));
		double last = cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(m, "lastSeq"));
		if (ev != (double)st->f->events || rec != (double)(st->f->events + st->f->records) ||
		    last != (double)st->f->seq)
			return sess_err_set(err, SESS_E_DATA, "corrupt_replay",
					    "saved replay %s gives %lld events and %lld records to seq %lld, but its meta says %.0f, %.0f and %.0f; it was changed after it was saved",
					    src->id, st->f->events, st->f->events + st->f->records, st->f->seq, ev, rec, last);
	}
	return 0;
}

static int fold_one_(int kind, const char *text, size_t len, struct fold_st *st)
{
	int rc;

	if (!st->started) {
		/* a live log trimmed before its first events starts from the
		 * checkpoint covering it (known only once the head is read) */
		st->started = 1;
		if (!st->src->saved && st->src->head.start &&
		    sess_fold_from_checkpoint(st->f, st->src->head.start, &st->a->err))
			return st->failed = 1;
	}
	if (st->src->mark && !st->src->marked) {
		/* the fold at the mark: taken before the first record past it */
		long long pos, ts;
		struct sess_fold_ev ev;
		if (record_position(kind, text, len, &pos, &ts, &ev, &st->a->err))
			return st->failed = 1;
		if (!point_covers(st->src->mark, pos, ts)) {
			if (!(st->src->marked = sess_fold_snapshot(st->f)))
				return st->failed = 1, sess_err_set(&st->a->err, SESS_E_INTERNAL, NULL, "out of memory");
			st->src->given_at_mark = st->src->given;
		}
	}
	if (st->upto) {
		long long pos, ts;
		struct sess_fold_ev ev;
		if (record_position(kind, text, len, &pos, &ts, &ev, &st->a->err))
			return st->failed = 1;
		if (!point_covers(st->upto, pos, ts))
			return 1; /* records only go forward */
		if (st->pre && st->pre(kind, text, len, st->f, st->arg))
			return st->failed = 1;
		if ((st->flags & SRC_FOLD) && kind == SESS_REC_EVENT) {
			/* scanned once: fold what was read */
			if (sess_fold_event_ev(st->f, &ev, text, len, &st->a->err))
				return st->failed = 1;
			st->src->given++;
			return st->fn ? st->fn(kind, text, len, st->f, st->arg) : 0;
		}
	}
	if (!st->upto && st->pre && st->pre(kind, text, len, st->f, st->arg))
		return st->failed = 1;
	if (st->flags & SRC_FOLD) {
		rc = kind == SESS_REC_EVENT ? sess_fold_event(st->f, text, len, &st->a->err)
					    : sess_fold_record(st->f, text, len, &st->a->err);
		if (rc)
			return st->failed = 1;
	}
	st->src->given++;
	return st->fn ? st->fn(kind, text, len, st->f, st->arg) : 0;
}

int source_fold(struct cli_app *a, struct source *src, struct sess_fold *f, int flags,
		long long from_seq, const struct point *upto, source_fn fn, void *arg)
{
	return source_fold_pre(a, src, f, flags, from_seq, upto, NULL, fn, arg);
}

int source_fold_pre(struct cli_app *a, struct source *src, struct sess_fold *f, int flags,
		    long long from_seq, const struct point *upto, source_fn pre, source_fn fn, void *arg)
{
	struct fold_st st = {a, src, f, flags, 0, upto, fn, arg, pre, 0, 0, 0, 0};
	int rc, chained = (flags & SRC_CHAIN) != 0;

	/* f is always initialised: callers free it whatever happens */
	src->given = 0;
	cJSON_Delete(src->marked);
	src->marked = NULL;
	sess_fold_init(f, src->id, chained);
	if (!src->saved) {
		sess_log_head_free(&src->head); /* a second pass reads afresh */
		if (src->pre && !((flags & SRC_EVENTS) && !(flags & SRC_FOLD))) {
			const redisReply *x = src->pre;
			rc = sess_log_records_read(src->id, x->element[0], x->element[1], x->element[2], x->element[3],
						   x->element[4], &src->head, fold_one, &st, &a->err);
		} else {
			rc = sess_log_records_opt(&a->ctx, src->id, &src->head,
						  (flags & SRC_EVENTS) && !(flags & SRC_FOLD) ? SESS_LOG_EVENTS : 0,
						  fold_one, &st, &a->err);
		}
		/* a log with no record at all still has its start */
		if (!rc && !st.started && src->head.start)
			rc = sess_fold_from_checkpoint(f, src->head.start, &a->err);
		if (!rc && !st.failed && !st.stopped)
			rc = end_check(&st);
	} else {
		cJSON *snap = NULL;
		long block = 0;
		if (sess_replay_start(&a->ctx, src->id, from_seq, &block, &snap, &a->err))
			return -1;
		sess_fold_free(f);
		rc = sess_fold_restore(f, snap, chained, &a->err);
		cJSON_Delete(snap);
		st.started = 1;
		st.first_block = block;
		if (!rc)
			rc = sess_replay_records(&a->ctx, src->id, block, snap_check, fold_one, &st, &a->err);
		if (rc > 0)
			rc = 0; /* stopped: st says why */
		if (!rc && !st.failed && !st.stopped)
			rc = end_check(&st);
	}
	return rc || st.failed ? -1 : 0;
}

int source_check_log(struct cli_app *a, struct source *src)
{
	struct sess_keys k;
	struct sess_pipe p;
	redisReply *r;
	long long seq, base, len;
	int rc = 0;

	if (src->saved)
		return 0;
	if (src->pre) { /* read in the same instant as the log */
		seq = sess_reply_int(src->pre->element[0], 1);
		base = sess_reply_int(src->pre->element[0], 2);
		len = src->pre->element[6]->integer;
		goto compare;
	}
	sess_keys_init(&k, a->cfg.prefix, src->id);
	/* one instant: a live session's emits meanwhile move all three. One
	 * pipeline, so on a cluster the MULTI goes whole to the node of its
	 * keys (a MULTI sent alone would go to the seed) */
	sess_pipe_init(&p, &a->conn);
	r = NULL;
	if (sess_pipe_cmdf(&p, 0, &a->err, "MULTI") ||
	    sess_pipe_cmdf(&p, 0, &a->err, "HMGET %s " SESS_S_F_SEQ " " SESS_S_F_BASE, k.meta) ||
	    sess_pipe_cmdf(&p, 0, &a->err, "LLEN %s", k.events) ||
	    sess_pipe_cmdf(&p, 0, &a->err, "EXEC") ||
	    sess_pipe_drain(&p, sess_pipe_pending(&p) - 1, &a->err) || /* +OK, QUEUED */
	    sess_pipe_next(&p, &r, NULL, &a->err)) {
		sess_pipe_free(&p);
		if (r)
			freeReplyObject(r);
		return -1;
	}
	sess_pipe_free(&p);
	if (r->type != REDIS_REPLY_ARRAY || r->elements != 2 || r->element[0]->type != REDIS_REPLY_ARRAY ||
	    r->element[0]->elements != 2 || r->element[1]->type != REDIS_REPLY_INTEGER) {
		freeReplyObject(r);
		return sess_err_set(&a->err, SESS_E_TEMP, NULL, "reading where the log of %s ends failed; run again",
				    src->id);
	}
	seq = sess_reply_int(r->element[0], 0);
	base = sess_reply_int(r->element[0], 1);
	len = r->element[1]->integer;
	freeReplyObject(r);
compare:
	if (len > seq - base)
		rc = sess_err_set(&a->err, SESS_E_DATA, "log_extra",
				  "the log of %s holds %lld events past its meta's seq %lld (added outside sesskit: no script wrote them)",
				  src->id, len - (seq - base), seq);
	return rc;
}

struct derive_st {
	cJSON *map;
	int started;
	const struct source *src;  /* its start: a trimmed history's first checkpoint */
	char chain[SESS_SHA1_HEX]; /* the chain before the record in hand */
};

/* After each record is folded: a checkpoint record changes nothing its
 * checkpoint holds but the chain, so the fold after it with the chain
 * from before it is the fold the checkpoint was taken from. */
static int derive_one(int kind, const char *text, size_t len, struct sess_fold *f, void *p)
{
	struct derive_st *st = p;
	cJSON *cp;

	if (!st->started) {
		/* a live log's start is known once its head is read: now */
		const cJSON *start = st->src->saved ? cJSON_GetObjectItemCaseSensitive(st->src->meta, "start")
						    : st->src->head.start;
		const char *ch = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(start, "ch"));
		snprintf(st->chain, sizeof st->chain, "%s", ch ? ch : "");
		st->started = 1;
	}
	if (kind == SESS_REC_HISTORY && f->known &&
	    (cp = sess_integrity_checkpoint_body(f, st->chain, text, len))) {
		char key[24];
		snprintf(key, sizeof key, "%.0f", cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(cp, "id")));
		cJSON_DeleteItemFromObjectCaseSensitive(st->map, key);
		cJSON_AddItemToObject(st->map, key, cp);
	}
	memcpy(st->chain, f->chain, sizeof st->chain);
	return 0;
}

/* by the field's number (a damaged checkpoint, null, has no "id") */
static int by_id(const void *x, const void *y)
{
	long long a = strtoll((*(cJSON *const *)x)->string, NULL, 10);
	long long b = strtoll((*(cJSON *const *)y)->string, NULL, 10);

	return (a > b) - (a < b);
}

/* The items of map in number order, relinked in place: records take
 * checkpoints in that order, so each one looked up is then the first
 * (a cJSON object is searched front to back: 10,000 checkpoints looked
 * up in hash order cost seconds). */
static void order_by_id(cJSON *map)
{
	cJSON *it, **items;
	size_t n = 0, i;

	cJSON_ArrayForEach(it, map)
		n++;
	if (n < 2 || !(items = malloc(n * sizeof *items)))
		return;
	n = 0;
	cJSON_ArrayForEach(it, map)
		items[n++] = it;
	qsort(items, n, sizeof *items, by_id);
	for (i = 0; i < n; i++) {
		items[i]->prev = i ? items[i - 1] : items[n - 1]; /* cJSON: head's prev is the tail */
		items[i]->next = i + 1 < n ? items[i + 1] : NULL;
	}
	map->child = items[0];
	free(items);
}

static cJSON *derive(struct cli_app *a, struct source *src, cJSON *map);

/* The checkpoints of an HGETALL reply into map: number -> object. */
static void add_checkpoints(cJSON *map, const redisReply *h)
{
	size_t i;

	for (i = 0; h->type == REDIS_REPLY_ARRAY && i + 1 < h->elements; i += 2) {
		cJSON *cp = sess_json_parse_stored(h->element[i + 1]->str, h->element[i + 1]->len);
		/* damaged (no JSON, a key twice): null, which the
		 * checkpoint check reports as corrupt_record */
		cJSON_AddItemToObject(map, h->element[i]->str, cp ? cp : cJSON_CreateNull());
	}
}

int source_send_reads(struct cli_app *a, struct sess_pipe *p, const char *id, struct sess_err *err)
{
	struct sess_keys k;
	char most[24];

	sess_keys_init(&k, a->cfg.prefix, id);
	snprintf(most, sizeof most, "%d", SOURCE_READ_MAX - 1);
	return sess_pipe_strs(p, 0, err, 1, "MULTI") ||
	       sess_pipe_strs(p, 0, err, 6, "HMGET", k.meta, SESS_S_F_VERSION, SESS_S_F_SEQ, SESS_S_F_BASE,
			      SESS_S_F_CHAIN) ||
	       sess_pipe_strs(p, 0, err, 2, "LLEN", k.history) || sess_pipe_strs(p, 0, err, 2, "PTTL", k.meta) ||
	       sess_pipe_strs(p, 0, err, 4, "LRANGE", k.history, "0", most) ||
	       sess_pipe_strs(p, 0, err, 4, "LRANGE", k.events, "0", most) ||
	       sess_pipe_strs(p, 0, err, 2, "HGETALL", k.cps) || sess_pipe_strs(p, 0, err, 2, "LLEN", k.events) ||
	       sess_pipe_strs(p, 0, err, 1, "EXEC")
		       ? -1
		       : 0;
}

int source_reads_whole(const redisReply *x)
{
	const redisReply *m;
	long long seq, hlen;
	int i;

	if (x->type != REDIS_REPLY_ARRAY || x->elements != SOURCE_NREAD)
		return 0;
	m = x->element[0];
	if (m->type != REDIS_REPLY_ARRAY || m->elements != 4 || !sess_reply_str(m, 0) ||
	    strcmp(sess_reply_str(m, 0), SESS_S_LAYOUT))
		return 0;
	for (i = 1; i < SOURCE_NREAD; i++)
		if (x->element[i]->type != (i == 3 || i == 4 || i == 5 ? REDIS_REPLY_ARRAY : REDIS_REPLY_INTEGER))
			return 0;
	seq = sess_reply_int(m, 1);
	hlen = x->element[1]->integer;
	return sess_reply_int(m, 2) == 0 && seq >= 0 && seq <= SOURCE_READ_MAX && hlen >= 0 &&
	       hlen <= SOURCE_READ_MAX && (long long)x->element[3]->elements == hlen;
}

cJSON *source_checkpoints_implied(struct cli_app *a, struct source *src)
{
	cJSON *map = cJSON_CreateObject();

	if (!map) {
		sess_err_set(&a->err, SESS_E_INTERNAL, NULL, "out of memory");
		return NULL;
	}
	return derive(a, src, map);
}

cJSON *source_checkpoints(struct cli_app *a, struct source *src)
{
	cJSON *map = cJSON_CreateObject();

	if (!map) {
		sess_err_set(&a->err, SESS_E_INTERNAL, NULL, "out of memory");
		return NULL;
	}
	if (!src->saved) {
		struct sess_keys k;
		redisReply *h;
		sess_keys_init(&k, a->cfg.prefix, src->id);
		if (src->pre) /* read ahead; a copy so that it is freed below as ours */
			h = NULL;
		else if (!(h = sess_conn_cmdf(&a->conn, &a->err, "HGETALL %s", k.cps))) {
			cJSON_Delete(map);
			return NULL;
		}
		if (!h) {
			add_checkpoints(map, src->pre->element[5]);
			order_by_id(map);
			return map;
		}
		add_checkpoints(map, h);
		freeReplyObject(h);
		order_by_id(map);
		return map;
	}
	return derive(a, src, map);
}

/* map (consumed) with the checkpoints src's records imply, by one pass. */
static cJSON *derive(struct cli_app *a, struct source *src, cJSON *map)
{
	struct derive_st st;
	struct sess_fold f;
	const cJSON *start = cJSON_GetObjectItemCaseSensitive(src->meta, "start");

	/* a trimmed history's start checkpoint is kept whole in the meta */
	memset(&st, 0, sizeof st);
	st.map = map;
	st.src = src;
	if (src->saved && start) {
		char key[24];
		snprintf(key, sizeof key, "%.0f", cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(start, "id")));
		cJSON_AddItemToObject(map, key, cJSON_Duplicate(start, 1));
	}
	if (source_fold(a, src, &f, SRC_FOLD | SRC_CHAIN, 0, NULL, derive_one, &st)) {
		sess_fold_free(&f);
		cJSON_Delete(map);
		return NULL;
	}
	sess_fold_free(&f);
	return map;
}

cJSON *checkpoints_in_order(cJSON *map)
{
	cJSON *arr = cJSON_CreateArray(), *it, **items;
	size_t n = 0, i;

	cJSON_ArrayForEach(it, map)
		n++;
	if (!arr || !(items = malloc((n ? n : 1) * sizeof *items))) {
		cJSON_Delete(arr);
		return NULL;
	}
	n = 0;
	while (map && map->child) {
		it = map->child;
		cJSON_DetachItemViaPointer(map, it);
		items[n++] = it;
	}
	qsort(items, n, sizeof *items, by_id);
	for (i = 0; i < n; i++)
		cJSON_AddItemToArray(arr, items[i]);
	free(items);
	return arr;
}
