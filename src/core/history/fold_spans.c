/* fold_spans.c - the fold's readers of stored texts by their spans
 * (core/base/jscan.h), without a cJSON tree: fold_spans.h. */
#include "core/history/fold_spans.h"

#include <string.h>


#include "core/base/jscan.h"
#include "core/base/schema.h"

int sess_fold_damaged(struct sess_err *err, const char *what, const char *text, size_t len)
{
	return sess_err_set(err, SESS_E_DATA, "corrupt_record",
			    "a stored %s is damaged (\"%.*s\"); the session's data is not what sesskit wrote",
			    what, (int)(len > 60 ? 60 : len), text);
}

/* A stored text that names a key twice in one object: cJSON and this
 * scan read the first, Lua's cjson the last (two tools, two records). */
int sess_fold_twice(struct sess_err *err, const char *what, const char *text, size_t len)
{
	return sess_err_set(err, SESS_E_DATA, "corrupt_record",
			    "a stored %s names a key twice in one object, or holds a value that is no JSON (\"%.*s\"); readers would disagree on it, so it is damaged",
			    what, (int)(len > 60 ? 60 : len), text);
}

/* One top-level member of an event into *ev (have: the bits of s, ts,
 * t and a seen). 0, or 1 when its value is damaged. */
static int take_member(struct sess_fold_ev *ev, const char *k, size_t kl,
		       const char *v, const char *ve, int *have)
{
	if (kl == 1 && k[0] == 's') {
		if (sess_jscan_whole(v, ve, &ev->seq))
			return 1;
		*have |= 1;
	} else if (kl == 2 && k[0] == 't' && k[1] == 's') {
		if (sess_jscan_whole(v, ve, &ev->ts))
			return 1;
		*have |= 2;
	} else if (kl == 1 && k[0] == 't') {
		if (sess_jscan_str(v, ve, &ev->type, &ev->type_len))
			return 1;
		*have |= 4;
	} else if (kl == 1 && k[0] == 'a') {
		if (sess_jscan_str(v, ve, &ev->actor, &ev->actor_len))
			return 1;
		*have |= 8;
	} else if (kl == 1 && k[0] == 'c') {
		ev->c = v;
		ev->c_end = ve;
	} else if (kl == 2 && k[0] == 's' && k[1] == 't') {
		struct sess_jscan in;
		const char *k2, *v2, *ve2;
		size_t kl2;
		ev->st = v;
		ev->st_end = ve;
		ev->st_first = !ev->c;
		if (*v != '{')
			return 0;
		if (sess_jscan_init(&in, v, (size_t)(ve - v)))
			return 1;
		while (sess_jscan_next(&in, &k2, &kl2, &v2, &ve2) == 1)
			if (sess_jscan_is(k2, kl2, "to") &&
			    sess_jscan_str(v2, ve2, &ev->to, &ev->to_len))
				return 1;
	}
	return 0;
}

/* The event read with its duplicate-key check in the same pass, for
 * what every event is (top-level keys without escapes, a few of them):
 * each key against the ones before it, each value checked as
 * sess_jscan_dup checks it. 0 only when scan_slow would give 0 and the
 * same *ev; 1 for anything else (damage, a duplicate, an escaped key,
 * many keys), which scan_slow then decides and names. */
static int scan_slow(const char *text, size_t len, struct sess_fold_ev *ev,
		     struct sess_err *err);

enum { FAST_KEYS = 16 };
static int scan_fast(const char *text, size_t len, struct sess_fold_ev *ev)
{
	struct sess_jscan js;
	struct sess_jscan_keys met = {0};
	const char *k, *v, *ve;
	size_t kl;
	int r, have = 0;

	memset(ev, 0, sizeof *ev);
	if (sess_jscan_init(&js, text, len))
		return 1;
	while ((r = sess_jscan_next(&js, &k, &kl, &v, &ve)) == 1) {
		if (memchr(k, '\\', kl) || !sess_jscan_key_new(&met, k, kl, FAST_KEYS))
			return 1;
		if (sess_jscan_dup_member(v, ve))
			return 1;
		if (take_member(ev, k, kl, v, ve, &have))
			return 1;
	}
	if (r == 0)
		for (js.p++; js.p < js.end && *js.p && strchr(" \t\r\n", *js.p); js.p++)
			;
	return r < 0 || js.p != js.end || have != 15 || ev->seq < 0 || ev->seq > SESS_S_SEQ_MAX || ev->ts < 0 ||
	       ev->ts > SESS_S_SEQ_MAX;
}

int sess_fold_scan(const char *text, size_t len, struct sess_fold_ev *ev,
		   struct sess_err *err)
{
	return scan_fast(text, len, ev) ? scan_slow(text, len, ev, err) : 0;
}

/* The event read as two passes: the duplicate-key check of the whole
 * text, then its members (what scan_fast gives when it can). */
static int scan_slow(const char *text, size_t len, struct sess_fold_ev *ev,
		     struct sess_err *err)
{
	struct sess_jscan js;
	const char *k, *v, *ve;
	size_t kl;
	int r, have = 0;

	memset(ev, 0, sizeof *ev);
	if (sess_jscan_init(&js, text, len))
		return sess_fold_damaged(err, "event", text, len);
	if ((r = sess_jscan_dup(text, len)) != 0) {
		/* no object at its own level ({"s":2,,"t":...}): damaged, as
		 * cJSON says, not a key twice or a value */
		struct sess_jscan top = js;
		if (r < 0)
			while ((r = sess_jscan_next(&top, &k, &kl, &v, &ve)) == 1)
				;
		return r < 0 ? sess_fold_damaged(err, "event", text, len) : sess_fold_twice(err, "event", text, len);
	}
	/* keys told apart by length and first bytes: every event passes here */
	while ((r = sess_jscan_next(&js, &k, &kl, &v, &ve)) == 1) {
		if (take_member(ev, k, kl, v, ve, &have))
			return sess_fold_damaged(err, "event", text, len);
	}
	/* seq and ms as the server writes them: the fold and a replay's
	 * encoder add to and subtract them (no overflow at the long long ends);
	 * nothing but whitespace after the closing brace */
	if (r == 0)
		for (js.p++; js.p < js.end && *js.p && strchr(" \t\r\n", *js.p); js.p++)
			;
	if (r < 0 || js.p != js.end || have != 15 || ev->seq < 0 || ev->seq > SESS_S_SEQ_MAX || ev->ts < 0 ||
	    ev->ts > SESS_S_SEQ_MAX)
		return sess_fold_damaged(err, "event", text, len);
	return 0;
}

/* A record's whole number read from its span as wnum reads cJSON's:
 * 0 and *out, or 1 when the fast reader cannot say (sess_fold_rec_spans gives up). */
static int span_wnum(const char *v, const char *ve, long long *out)
{
	long long x;

	if (sess_jscan_whole(v, ve, &x) || x < 0 || x > SESS_S_SEQ_MAX)
		return 1;
	*out = x;
	return 0;
}

/* A string member's raw contents into buf (cap bytes with the NUL): 0, or
 * 1 when it is no string or too long. */
static int span_str(const char *v, const char *ve, char *buf, size_t cap)
{
	const char *s;
	size_t n;

	if (sess_jscan_str(v, ve, &s, &n) || n >= cap)
		return 1;
	memcpy(buf, s, n);
	buf[n] = '\0';
	return 0;
}

/* The record read from its spans, for what every record is (a flat
 * object of scalars with no escape and no NUL anywhere, each key once,
 * of a kind other than upgrade, without "m"): 0 only when cJSON reads the
 * same text as an object with the same values and the duplicate-key check
 * passes, so sess_fold_record's tree reader would give the same *V; 1 for
 * anything else, which the tree reader then decides and names. k and a
 * point into kbuf and abuf. */
int sess_fold_rec_spans(const char *text, size_t len, struct sess_fold_rec *V, char *kbuf, size_t kcap,
			char *abuf, size_t acap)
{
	struct sess_jscan js;
	struct sess_jscan_keys met = {0};
	const char *k, *v, *ve;
	size_t kl;
	int r;

	memset(V, 0, sizeof *V);
	V->at = V->ts = V->created = V->ttl = V->base = V->n = -1;
	if (memchr(text, '\\', len) || memchr(text, '\0', len) || sess_jscan_init(&js, text, len))
		return 1;
	while ((r = sess_jscan_next(&js, &k, &kl, &v, &ve)) == 1) {
		long long *num = NULL;
		/* cJSON before 1.7.16 (configure takes 1.7) reads a number of 64
		 * bytes and more as no JSON, later ones read it: the tree decides */
		if (v == ve || *v == '{' || *v == '[' || (*v != '"' && ve - v >= 64) ||
		    !sess_jscan_key_new(&met, k, kl, FAST_KEYS))
			return 1;
		if (sess_jscan_dup_member(v, ve))
			return 1;
		if (sess_jscan_is(k, kl, "k")) {
			if (span_str(v, ve, kbuf, kcap))
				return 1;
			V->k = kbuf;
		} else if (sess_jscan_is(k, kl, "a")) {
			if (span_str(v, ve, abuf, acap))
				return 1;
			V->a = abuf;
		} else if (sess_jscan_is(k, kl, "at")) {
			num = &V->at;
		} else if (sess_jscan_is(k, kl, "ts")) {
			num = &V->ts;
		} else if (sess_jscan_is(k, kl, "created")) {
			num = &V->created;
		} else if (sess_jscan_is(k, kl, "ttl")) {
			num = &V->ttl;
		} else if (sess_jscan_is(k, kl, "base")) {
			num = &V->base;
		} else if (sess_jscan_is(k, kl, "n")) {
			num = &V->n;
		} else if (sess_jscan_is(k, kl, "m") || sess_jscan_is(k, kl, "state") ||
			   sess_jscan_is(k, kl, "creator") || sess_jscan_is(k, kl, "agents")) {
			return 1; /* read as the tree reads them */
		}
		if (num && span_wnum(v, ve, num))
			return 1;
	}
	if (r == 0)
		for (js.p++; js.p < js.end && strchr(" \t\r\n", *js.p); js.p++)
			;
	return r < 0 || js.p != js.end || !V->k || V->at < 0 || V->ts < 0 || !strcmp(V->k, "upgrade");
}

long long sess_fold_checkpoint_n(const char *rec)
{
	struct sess_jscan js;
	const char *k, *v, *ve, *s;
	size_t kl, sl;
	long long n = -1;
	int r, is_cp = 0;

	/* the record's own top-level members, never text inside a value (a
	 * create record's metadata may hold "k":"checkpoint" and "n":7) */
	if (sess_jscan_init(&js, rec, strlen(rec)))
		return -1;
	while ((r = sess_jscan_next(&js, &k, &kl, &v, &ve)) == 1) {
		if (sess_jscan_is(k, kl, "k"))
			is_cp = !sess_jscan_str(v, ve, &s, &sl) && sl == 10 && !memcmp(s, "checkpoint", 10);
		else if (sess_jscan_is(k, kl, "n") && sess_jscan_whole(v, ve, &n))
			n = -1;
	}
	return r == 0 && is_cp && n >= 0 ? n : -1;
}

long long sess_fold_record_at(const char *rec, size_t len)
{
	struct sess_jscan js;
	const char *k, *v, *ve;
	size_t kl;
	long long at;

	if (!rec || sess_jscan_init(&js, rec, len))
		return -1;
	while (sess_jscan_next(&js, &k, &kl, &v, &ve) == 1)
		if (sess_jscan_is(k, kl, "at"))
			return sess_jscan_whole(v, ve, &at) || at < 0 ? -1 : at;
	return -1;
}
