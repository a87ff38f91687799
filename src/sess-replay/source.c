/* source.c - a history's source (a live session or a saved replay),
 * folded record by record; points in it. */
#define _GNU_SOURCE /* timegm */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/integrity.h"
#include "core/keys.h"
#include "core/replay.h"
#include "replay.h"

int point_parse(const char *s, const char *what, struct point *p, struct sess_err *err)
{
	struct tm tm;
	const char *rest;
	long long ms = 0;
	int frac = 0, digits = 0;

	memset(p, 0, sizeof *p);
	if (s[0] && strspn(s, "0123456789") == strlen(s) && strlen(s) < 17) {
		p->v = strtoll(s, NULL, 10);
		return 0;
	}
	memset(&tm, 0, sizeof tm);
	if (!(rest = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm)) &&
	    !(rest = strptime(s, "%Y-%m-%d %H:%M:%S", &tm)))
		goto bad;
	if (*rest == '.') {
		for (rest++; *rest >= '0' && *rest <= '9'; rest++, digits++)
			if (digits < 3)
				frac = frac * 10 + (*rest - '0');
		while (digits < 3 && digits++ >= 0)
			frac *= 10;
	}
	ms = (long long)timegm(&tm) * 1000 + frac;
	if (*rest == 'Z' || *rest == 'z') {
		rest++;
	} else if (*rest == '+' || *rest == '-') {
		int hh, mm;
		/* exactly HH:MM: sscanf alone takes "+1:2", and the 6 bytes
		 * skipped below then went past the end of the text */
		if (strspn(rest + 1, "0123456789") != 2 || rest[3] != ':' ||
		    strspn(rest + 4, "0123456789") < 2 || sscanf(rest + 1, "%2d:%2d", &hh, &mm) != 2)
			goto bad;
		ms -= (*rest == '+' ? 1 : -1) * (long long)(hh * 60 + mm) * 60000;
		rest += 6;
	} else {
		goto bad;
	}
	if (*rest)
		goto bad;
	p->is_time = 1;
	p->v = ms;
	return 0;
bad:
	return sess_err_set(err, SESS_E_USAGE, NULL,
			    "%s takes a seq (a whole number) or an RFC 3339 time such as 2026-11-23T14:02:00Z, not \"%s\"",
			    what, s);
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
	if (!(src->meta = sess_replay_meta(&a->ctx, id, &a->err))) {
		if (a->err.cls == SESS_E_NEGATIVE)
			sess_err_set(&a->err, SESS_E_NEGATIVE, "not_found",
				     saved ? "no saved replay %s; 'sess-replay list' shows them"
					   : "no session %s and no saved replay of it (it never existed, or expired unsaved)",
				     id);
		return -1;
	}
	src->saved = 1;
	return 0;
}

void source_close(struct source *src)
{
	sess_log_head_free(&src->head);
	cJSON_Delete(src->meta);
	src->meta = NULL;
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
		/* our records begin {"k":KIND,"at":N,"ts":T */
		const char *at = strstr(text, "\"at\":"), *t = strstr(text, "\"ts\":");
		memset(ev, 0, sizeof *ev);
		*pos = at ? strtoll(at + 5, NULL, 10) : 0;
		*ts = t ? strtoll(t + 5, NULL, 10) : 0;
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
	int failed;
};

static int fold_one(int kind, const char *text, size_t len, void *p)
{
	struct fold_st *st = p;
	int rc;

	if (!st->started) {
		/* a live log trimmed before its first events starts from the
		 * checkpoint covering it (known only once the head is read) */
		st->started = 1;
		if (!st->src->saved && st->src->head.start &&
		    sess_fold_from_checkpoint(st->f, st->src->head.start, &st->a->err))
			return st->failed = 1;
	}
	if (st->upto) {
		long long pos, ts;
		struct sess_fold_ev ev;
		if (record_position(kind, text, len, &pos, &ts, &ev, &st->a->err))
			return st->failed = 1;
		if (!point_covers(st->upto, pos, ts))
			return 1; /* records only go forward */
		if ((st->flags & SRC_FOLD) && kind == SESS_REC_EVENT) {
			/* scanned once: fold what was read */
			if (sess_fold_event_ev(st->f, &ev, text, len, &st->a->err))
				return st->failed = 1;
			st->src->given++;
			return st->fn ? st->fn(kind, text, len, st->f, st->arg) : 0;
		}
	}
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
	struct fold_st st = {a, src, f, flags, 0, upto, fn, arg, 0};
	int rc, chained = (flags & SRC_CHAIN) != 0;

	/* f is always initialised: callers free it whatever happens */
	src->given = 0;
	sess_fold_init(f, src->id, chained);
	if (!src->saved) {
		sess_log_head_free(&src->head); /* a second pass reads afresh */
		rc = sess_log_records_opt(&a->ctx, src->id, &src->head,
					  (flags & SRC_EVENTS) && !(flags & SRC_FOLD) ? SESS_LOG_EVENTS : 0,
					  fold_one, &st, &a->err);
		/* a log with no record at all still has its start */
		if (!rc && !st.started && src->head.start)
			rc = sess_fold_from_checkpoint(f, src->head.start, &a->err);
	} else {
		cJSON *snap = NULL;
		long block = 0;
		if (sess_replay_start(&a->ctx, src->id, from_seq, &block, &snap, &a->err))
			return -1;
		sess_fold_free(f);
		rc = sess_fold_restore(f, snap, chained, &a->err);
		cJSON_Delete(snap);
		st.started = 1;
		if (!rc)
			rc = sess_replay_records(&a->ctx, src->id, block, fold_one, &st, &a->err);
	}
	return rc || st.failed ? -1 : 0;
}

struct derive_st {
	cJSON *map;
	int started;
	const cJSON *start;        /* a trimmed history's first checkpoint */
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
		const char *ch = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(st->start, "ch"));
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

static int by_id(const void *x, const void *y)
{
	double a = cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(*(cJSON *const *)x, "id"));
	double b = cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(*(cJSON *const *)y, "id"));

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

cJSON *source_checkpoints(struct cli_app *a, struct source *src)
{
	struct derive_st st;
	struct sess_fold f;
	cJSON *map = cJSON_CreateObject();

	if (!map) {
		sess_err_set(&a->err, SESS_E_INTERNAL, NULL, "out of memory");
		return NULL;
	}
	if (!src->saved) {
		struct sess_keys k;
		redisReply *h;
		size_t i;
		sess_keys_init(&k, a->cfg.prefix, src->id);
		if (!(h = sess_conn_cmdf(&a->conn, &a->err, "HGETALL %s", k.cps))) {
			cJSON_Delete(map);
			return NULL;
		}
		for (i = 0; h->type == REDIS_REPLY_ARRAY && i + 1 < h->elements; i += 2) {
			cJSON *cp = cJSON_ParseWithLength(h->element[i + 1]->str, h->element[i + 1]->len);
			if (cp)
				cJSON_AddItemToObject(map, h->element[i]->str, cp);
		}
		freeReplyObject(h);
		order_by_id(map);
		return map;
	}
	/* a trimmed history's start checkpoint is kept whole in the meta */
	memset(&st, 0, sizeof st);
	st.map = map;
	st.start = cJSON_GetObjectItemCaseSensitive(src->meta, "start");
	if (st.start) {
		char key[24];
		snprintf(key, sizeof key, "%.0f", cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(st.start, "id")));
		cJSON_AddItemToObject(map, key, cJSON_Duplicate(st.start, 1));
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
