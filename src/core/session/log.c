#include "core/session/log.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>

#include <stdlib.h>

#include "core/base/jscan.h"
#include "core/history/fold.h"
#include "core/model/json.h"
#include "core/model/keys.h"
#include "core/redis/pipe.h"
#include "core/base/schema.h"
#include "core/model/layout.h"
#include "core/redis/reply.h"
#include "core/redis/scripts.h"

int sess_log_raw(struct sess_ctx *s, const char *id, long long from, long long to,
		 long long limit, long page, sess_raw_fn each, void *arg,
		 long long *last_seq, struct sess_err *err)
{
	char a0[24], a1[24], a2[24];
	struct sess_keys k;
	const char *args[3] = {a0, a1, a2};
	long long emitted = 0, next = from < 1 ? 1 : from;

	if (sess_key_check_id(id, "session id", err))
		return -1;
	sess_keys_init(&k, s->cfg->prefix, id);
	for (;;) {
		long long want = page > 0 ? page : SESS_LOG_PAGE;
		redisReply *r;
		size_t i, items;
		long long last, base;

		if (limit > 0 && limit - emitted < want)
			want = limit - emitted;
		snprintf(a0, sizeof a0, "%lld", next);
		snprintf(a1, sizeof a1, "%lld", to);
		snprintf(a2, sizeof a2, "%lld", want);
		r = sess_script_call(s->conn, SESS_LUA_EVENTS, 2, k.v, 3, args, err);
		if (!r)
			return -1;
		if (r->type != REDIS_REPLY_ARRAY || r->elements < 2) {
			freeReplyObject(r);
			return sess_reply_bad(err, "events");
		}
		last = sess_reply_int(r, 1);
		base = sess_reply_int(r, 0);
		items = r->elements - 2;
		if (last_seq)
			*last_seq = last;
		for (i = 2; i < r->elements; i++) {
			int rc = each(r->element[i]->str, r->element[i]->len, arg);
			if (rc) {
				freeReplyObject(r);
				return rc < 0 ? -1 : 0;
			}
			emitted++;
		}
		freeReplyObject(r);
		if (items == 0)
			return 0;
		if (next <= base)
			next = base + 1;
		next += (long long)items;
		if (next > last || (to > 0 && next > to) || (limit > 0 && emitted >= limit))
			return 0;
	}
}

struct decode_st {
	const char *id;
	sess_each_fn each;
	void *arg;
	struct sess_err *err;
};

static int decode_each(const char *text, size_t len, void *p)
{
	struct decode_st *d = p;
	cJSON *ev = sess_event_decode(text, len, d->id, d->err);
	int stop;

	if (!ev)
		return -1;
	stop = d->each(ev, d->arg);
	cJSON_Delete(ev);
	return stop ? 1 : 0;
}

int sess_log_events(struct sess_ctx *s, const char *id, long from, long to,
		    long limit, sess_each_fn each, void *arg, long *last_seq,
		    struct sess_err *err)
{
	struct decode_st d = {id, each, arg, err};
	long long last = 0;
	int rc = sess_log_raw(s, id, from, to, limit, SESS_LOG_PAGE, decode_each, &d, &last, err);

	if (last_seq)
		*last_seq = (long)last;
	return rc;
}

int sess_log_first(struct sess_ctx *s, const char *id, long *first, struct sess_err *err)
{
	char mk[SESS_KEY_MAX];
	redisReply *r;

	sess_key_meta(mk, s->cfg->prefix, id);
	if (!(r = sess_conn_cmdf(s->conn, err, "HGET %s " SESS_S_F_BASE, mk)))
		return -1;
	*first = r->type == REDIS_REPLY_STRING ? atol(r->str) + 1 : 1;
	freeReplyObject(r);
	return 0;
}

void sess_log_head_free(struct sess_log_head *h)
{
	cJSON_Delete(h->start);
	h->start = NULL;
}

/* The earliest checkpoint at or past seq (a trimmed log's start), or NULL. */
static cJSON *covering_checkpoint(struct sess_ctx *s, const struct sess_keys *k, long long seq,
				  struct sess_err *err)
{
	redisReply *h = sess_conn_cmdf(s->conn, err, "HVALS %s", k->cps);
	cJSON *best = NULL;
	size_t i;

	if (!h)
		return NULL;
	for (i = 0; h->type == REDIS_REPLY_ARRAY && i < h->elements; i++) {
		cJSON *cp = sess_json_parse_stored(h->element[i]->str, h->element[i]->len);
		const cJSON *cs = cJSON_GetObjectItemCaseSensitive(cp, "seq");
		const cJSON *bs = best ? cJSON_GetObjectItemCaseSensitive(best, "seq") : NULL;
		if (cJSON_IsNumber(cs) && cs->valuedouble >= (double)seq &&
		    (!best || cs->valuedouble < bs->valuedouble)) {
			cJSON_Delete(best);
			best = cp;
		} else {
			cJSON_Delete(cp);
		}
	}
	freeReplyObject(h);
	if (!best)
		sess_err_set(err, SESS_E_DATA, "no_checkpoint",
			     "the log was trimmed before seq %lld and no checkpoint covers it; the history before is gone",
			     seq + 1);
	return best;
}

struct merge_st {
	sess_record_fn fn;
	void *arg;
	redisReply *hist;
	size_t hi;         /* next history record */
	long long skip_to; /* events up to this seq are before the start */
	int stop;
	int damaged;       /* the log has a gap: given as it is, once checked */
	long long next_at; /* hist->element[hi]'s at, LLONG_MIN: not read yet */
};

static long long at_of(const redisReply *e)
{
	return e->str ? sess_fold_record_at(e->str, e->len) : -1;
}

/* A stored event's seq, read by its structure: the member "s" as a whole
 * number; -1 if there is none (a damaged text: the fold names it). The
 * emit writes "s" first, so a text that opens {"s":DIGITS followed by ','
 * or '}' is read there without a scan (inline: it runs for every event
 * read, where strtoll's locale handling cost a tenth of play); any other
 * text (its members in another order, a number that is not plain digits)
 * is walked member by member, so an event is never dropped from a play or
 * a verify for the order of its members. -1 when no seq can be read: the
 * callers take the event at its place in the list. */
static long long seq_of(const char *text, size_t len)
{
	struct sess_jscan js;
	const char *k, *v, *ve;
	size_t kl, i = 5;
	long long v10 = 0;

	if (len > 6 && !memcmp(text, "{\"s\":", 5) && text[i] >= '0' && text[i] <= '9') {
		for (; i < len && text[i] >= '0' && text[i] <= '9'; i++) {
			if (v10 > (LLONG_MAX - (text[i] - '0')) / 10)
				return -1; /* no seq is that long: a damaged text */
			v10 = v10 * 10 + (text[i] - '0');
		}
		if (i < len && (text[i] == ',' || text[i] == '}') && (text[5] != '0' || i == 6))
			return v10;
	}
	if (sess_jscan_init(&js, text, len))
		return -1;
	while (sess_jscan_next(&js, &k, &kl, &v, &ve) == 1)
		if (sess_jscan_is(k, kl, "s"))
			return sess_jscan_whole(v, ve, &v10) || v10 < 0 ? -1 : v10;
	return -1;
}

/* History records that come before event seq (at < seq). */
static int flush_history(struct merge_st *m, long long before)
{
	while (m->hi < m->hist->elements) {
		const redisReply *e = m->hist->element[m->hi];
		/* the next record's at, read once (an event per call asks) */
		if (m->next_at == LLONG_MIN)
			m->next_at = at_of(e);
		if (before >= 0 && m->next_at >= before)
			break;
		m->hi++;
		m->next_at = LLONG_MIN;
		if (m->fn(SESS_REC_HISTORY, e->str, e->len, m->arg))
			return m->stop = 1;
	}
	return 0;
}

static int merge_event(const char *text, size_t len, long long seq, struct merge_st *m)
{
	if (seq <= m->skip_to)
		return 0;
	if (flush_history(m, seq))
		return 1;
	if (m->fn(SESS_REC_EVENT, text, len, m->arg))
		return m->stop = 1;
	return 0;
}

/* The events from seq `from` to head->seq as stored: LRANGE pages of the
 * events list by position (seq - base - 1), a few pages in flight so the
 * server works on the next while this one is handled. The positions come
 * from the head read in the same instant; a trim meanwhile shifts them,
 * which the first seq of a page shows: then it stops, asking for a rerun. */
static int read_events(struct sess_ctx *s, const struct sess_keys *k,
		       const struct sess_log_head *head, long long from,
		       struct merge_st *m, struct sess_err *err)
{
	enum { AHEAD = 4 };
	const long long page = SESS_LOG_REPLAY_PAGE;
	long long next = from, expect = from;
	redisReply *held[AHEAD];
	size_t nheld = 0, hi = 0;
	struct sess_pipe p;
	int rc = 0;

	sess_pipe_init(&p, s->conn);
	while (!rc && !m->stop && (next <= head->seq || sess_pipe_pending(&p) || hi < nheld)) {
		redisReply *r;
		size_t i;

		if (hi == nheld)
			nheld = hi = 0; /* the held pages are done */
		while (!nheld && next <= head->seq && sess_pipe_pending(&p) < AHEAD) {
			long long last = next + page - 1 > head->seq ? head->seq : next + page - 1;
			if ((rc = sess_pipe_cmdf(&p, 0, err, "LRANGE %s %lld %lld", k->events,
						 next - head->base - 1, last - head->base - 1)))
				break;
			next = last + 1;
		}
		if (rc)
			break;
		if (hi < nheld) {
			r = held[hi++];
		} else if (!sess_pipe_pending(&p)) {
			break;
		} else if ((rc = sess_pipe_next(&p, &r, NULL, err))) {
			break;
		}
		if (r->type != REDIS_REPLY_ARRAY) {
			rc = r->type == REDIS_REPLY_ERROR ? sess_conn_reply_error(s->conn, r, err)
							  : sess_reply_bad(err, "LRANGE");
			freeReplyObject(r);
			break;
		}
		for (i = 0; i < r->elements && !m->stop && !rc; i++) {
			const redisReply *e = r->element[i];
			long long seq;
			if (e->type != REDIS_REPLY_STRING)
				continue;
			/* a seq that cannot be read: the event at its place in
			 * the list (the fold names its damage; dropped here, it
			 * read as a gap) */
			if ((seq = seq_of(e->str, e->len)) < 0)
				seq = expect;
			if (seq != expect && !m->damaged) {
				/* moved by a trim meanwhile (the base changed), or a
				 * damaged log (it did not: the fold then names the
				 * gap); the pages in flight are held to ask */
				redisReply *b;
				long long base;
				while (sess_pipe_pending(&p) && nheld < AHEAD &&
				       !(rc = sess_pipe_next(&p, &held[nheld], NULL, err)))
					nheld++;
				if (rc)
					break;
				b = sess_conn_cmdf(s->conn, err, "HGET %s " SESS_S_F_BASE, k->meta);
				base = b && b->type == REDIS_REPLY_STRING ? strtoll(b->str, NULL, 10) : -1;
				if (b)
					freeReplyObject(b);
				if (base != head->base) {
					rc = sess_err_set(err, SESS_E_TEMP, "log_moved",
							  "the log of this session was trimmed while it was read; run again");
					break;
				}
				m->damaged = 1;
			}
			expect = seq + 1;
			merge_event(e->str, e->len, seq, m);
		}
		freeReplyObject(r);
	}
	while (hi < nheld)
		freeReplyObject(held[hi++]);
	/* stopped early: the pages still owed are read and dropped */
	sess_pipe_drain(&p, SESS_PIPE_ALL, NULL);
	sess_pipe_free(&p);
	return rc;
}

int sess_log_records_read(const char *id, const redisReply *meta, const redisReply *hlen,
			  const redisReply *pttl, const redisReply *hist, const redisReply *events,
			  struct sess_log_head *head, sess_record_fn fn, void *arg, struct sess_err *err)
{
	struct merge_st m = {fn, arg, (redisReply *)hist, 0, 0, 0, 0, LLONG_MIN};
	long long expect = 1, n, i;

	memset(head, 0, sizeof *head);
	if (!sess_reply_str(meta, 0))
		return sess_err_set(err, SESS_E_NEGATIVE, "not_found",
				    "session %s not found (it never existed, expired or was deleted)", id);
	if (sess_layout_ok(sess_reply_str(meta, 0), err))
		return -1;
	head->seq = sess_reply_int(meta, 1);
	head->base = sess_reply_int(meta, 2);
	snprintf(head->chain, sizeof head->chain, "%s", sess_reply_str(meta, 3) ? sess_reply_str(meta, 3) : "");
	head->pttl = pttl->type == REDIS_REPLY_INTEGER ? pttl->integer : -1;
	head->hlen = hlen->type == REDIS_REPLY_INTEGER ? hlen->integer : 0;
	if (head->base != 0 || hist->type != REDIS_REPLY_ARRAY || events->type != REDIS_REPLY_ARRAY ||
	    (long long)hist->elements != head->hlen ||
	    (head->seq > 0 && (long long)events->elements < head->seq && events->elements >= SESS_LOG_REPLAY_PAGE))
		return sess_err_set(err, SESS_E_INTERNAL, NULL, "sess_log_records_read: a log it does not hold whole");
	/* as read_events gives them: the first seq positions (those past it
	 * are the log's extra, found by whoever compares the lengths) */
	n = head->seq > 0 ? head->seq : 0;
	for (i = 0; i < n && i < (long long)events->elements && !m.stop; i++) {
		const redisReply *e = events->element[i];
		long long seq;
		if (e->type != REDIS_REPLY_STRING)
			continue;
		if ((seq = seq_of(e->str, e->len)) < 0)
			seq = expect; /* unreadable: at its place (read_events) */
		/* read in one instant with the head: no trim can have moved it,
		 * so a seq out of place is damage (the fold names the gap) */
		if (seq != expect)
			m.damaged = 1;
		expect = seq + 1;
		merge_event(e->str, e->len, seq, &m);
	}
	if (!m.stop)
		flush_history(&m, -1);
	return 0;
}

int sess_log_records(struct sess_ctx *s, const char *id, struct sess_log_head *head,
		     sess_record_fn fn, void *arg, struct sess_err *err)
{
	return sess_log_records_opt(s, id, head, 0, fn, arg, err);
}

int sess_log_records_opt(struct sess_ctx *s, const char *id, struct sess_log_head *head,
			 int flags, sess_record_fn fn, void *arg, struct sess_err *err)
{
	struct sess_keys k;
	struct sess_pipe p;
	redisReply *meta = NULL, *hlen = NULL, *pttl = NULL, *hist = NULL, *ex = NULL;
	struct merge_st m = {fn, arg, NULL, 0, 0, 0, 0, LLONG_MIN};
	int rc = -1;

	memset(head, 0, sizeof *head);
	if (sess_key_check_id(id, "session id", err))
		return -1;
	sess_keys_init(&k, s->cfg->prefix, id);
	/* one instant: where the log and the history end, and the chain head
	 * that covers exactly that */
	sess_pipe_init(&p, s->conn);
	if (sess_pipe_cmdf(&p, 0, err, "MULTI") ||
	    sess_pipe_cmdf(&p, 0, err, "HMGET %s " SESS_S_F_VERSION " " SESS_S_F_SEQ " " SESS_S_F_BASE
			   " " SESS_S_F_CHAIN, k.meta) ||
	    sess_pipe_cmdf(&p, 0, err, "LLEN %s", k.history) ||
	    sess_pipe_cmdf(&p, 0, err, "PTTL %s", k.meta) ||
	    sess_pipe_cmdf(&p, 0, err, "EXEC"))
		goto done;
	if (sess_pipe_drain(&p, sess_pipe_pending(&p) - 1, err) || /* +OK, QUEUED */
	    sess_pipe_next(&p, &ex, NULL, err))
		goto done;
	if (ex->type != REDIS_REPLY_ARRAY || ex->elements != 3) {
		if (ex->type == REDIS_REPLY_ERROR)
			sess_conn_reply_error(s->conn, ex, err);
		else
			sess_reply_bad(err, "MULTI");
		goto done;
	}
	meta = ex->element[0];
	hlen = ex->element[1];
	pttl = ex->element[2];
	if (!sess_reply_str(meta, 0)) {
		sess_err_set(err, SESS_E_NEGATIVE, "not_found",
			     "session %s not found (it never existed, expired or was deleted)", id);
		goto done;
	}
	if (sess_layout_ok(sess_reply_str(meta, 0), err))
		goto done;
	head->seq = sess_reply_int(meta, 1);
	head->base = sess_reply_int(meta, 2);
	snprintf(head->chain, sizeof head->chain, "%s", sess_reply_str(meta, 3) ? sess_reply_str(meta, 3) : "");
	head->pttl = pttl->type == REDIS_REPLY_INTEGER ? pttl->integer : -1;
	head->hlen = hlen->type == REDIS_REPLY_INTEGER ? hlen->integer : 0;
	/* events alone: an empty range (1 0), so no record is merged in */
	if (!(hist = (flags & SESS_LOG_EVENTS)
			     ? sess_conn_cmdf(s->conn, err, "LRANGE %s 1 0", k.history)
			     : sess_conn_cmdf(s->conn, err, "LRANGE %s 0 %lld", k.history, head->hlen - 1)))
		goto done;
	if (hist->type != REDIS_REPLY_ARRAY) {
		sess_reply_bad(err, "LRANGE");
		goto done;
	}
	m.hist = hist;
	if (head->base > 0) {
		/* trimmed: start from the earliest checkpoint covering the first
		 * event kept, after its own record */
		const cJSON *cs, *cn;
		if (!(head->start = covering_checkpoint(s, &k, head->base, err)))
			goto done;
		cs = cJSON_GetObjectItemCaseSensitive(head->start, "seq");
		cn = cJSON_GetObjectItemCaseSensitive(head->start, "id");
		m.skip_to = sess_json_ll(cs, -1);
		/* the records before the checkpoint's own are folded into it;
		 * its own comes first (it extends the chain from its ch) */
		while (m.hi < hist->elements) {
			const redisReply *e = hist->element[m.hi];
			if (at_of(e) == m.skip_to && cJSON_IsNumber(cn) &&
			    sess_fold_checkpoint_n(e->str) == sess_json_ll(cn, -2))
				break;
			m.hi++;
		}
	}
	if (head->seq > m.skip_to && read_events(s, &k, head, m.skip_to + 1, &m, err))
		goto done;
	if (!m.stop)
		flush_history(&m, -1);
	rc = 0;
done:
	sess_pipe_free(&p);
	if (ex)
		freeReplyObject(ex);
	if (hist)
		freeReplyObject(hist);
	if (rc)
		sess_log_head_free(head);
	return rc;
}

int sess_log_message(const redisReply *r, sess_each_fn each, void *arg,
		     struct sess_err *err)
{
	const redisReply *payload;
	const char *nl, *p, *end;
	char id[SESS_ID_MAX + 1];
	size_t idlen;
	int rc;

	if (r->type != REDIS_REPLY_ARRAY || r->elements < 3 ||
	    r->element[0]->type != REDIS_REPLY_STRING)
		return 0;
	if (!strcmp(r->element[0]->str, "message") || !strcmp(r->element[0]->str, "smessage"))
		payload = r->element[2];
	else if (!strcmp(r->element[0]->str, "pmessage") && r->elements >= 4)
		payload = r->element[3];
	else
		return 0; /* subscribe confirmations */
	if (payload->type != REDIS_REPLY_STRING ||
	    !(nl = memchr(payload->str, '\n', payload->len)) ||
	    (idlen = (size_t)(nl - payload->str)) > SESS_ID_MAX)
		return sess_err_set(err, SESS_E_DATA, "bad_message",
				    "a message on %s is not \"ID\\nEVENT...\"",
				    r->element[r->elements - 2]->str);
	memcpy(id, payload->str, idlen);
	id[idlen] = '\0';
	if (!strcmp(id, SESS_PROBE_ID))
		return 0; /* sess-health's pub/sub probe, not an event */
	end = payload->str + payload->len;
	for (p = nl + 1; p <= end; p = nl + 1) {
		cJSON *ev;

		if (!(nl = memchr(p, '\n', (size_t)(end - p))))
			nl = end;
		if (!(ev = sess_event_decode(p, (size_t)(nl - p), id, err)))
			return -1;
		rc = each(ev, arg);
		cJSON_Delete(ev);
		if (rc)
			return rc;
	}
	return 0;
}
