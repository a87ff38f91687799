/* sessions_check.c - one stored session checked: its records folded and
 * checked by integrity.h, its keys' TTLs and index entry; its reads for a
 * page's pipeline, or (long or trimmed) streamed (sessions.h). */
#include "sessions.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "core/model/ids.h"
#include "core/session/index.h"
#include "core/history/integrity.h"
#include "core/model/json.h"
#include "core/model/keys.h"
#include "core/redis/pipe.h"
#include "core/redis/reply.h"
#include "core/base/schema.h"

/* ---- one session's records ---- */

/* A fold that failed for our own reason (SESS_E_INTERNAL: libcrypto gave
 * no SHA-1) says nothing of the session: the run stops (exit 70). */
static int internal(struct one *s, const struct sess_err *err)
{
	if (err->cls != SESS_E_INTERNAL)
		return 0;
	if (!s->v->fatal)
		s->v->a->err = *err;
	s->v->fatal = 1;
	s->broken = 1;
	return 1;
}

/* The checkpoint named n (as "%lld" writes it) among those no record
 * took yet: its pair's index, or -1. The first of the name, as a search
 * of the hash as an object finds it; where the last one found was is
 * tried first (a hash read whole keeps its checkpoints in order). */
static long cp_find(struct one *s, long long n)
{
	char key[24];
	size_t i;

	snprintf(key, sizeof key, "%lld", n);
	i = s->cp_next;
	if (!s->cp_nul && i < s->ncp && !s->v->cpseen[i] && s->cph->element[2 * i]->str &&
	    !strcmp(s->cph->element[2 * i]->str, key)) {
		s->cp_next = i + 1;
		return (long)i;
	}
	for (i = 0; i < s->ncp; i++)
		if (!s->v->cpseen[i] && s->cph->element[2 * i]->str && !strcmp(s->cph->element[2 * i]->str, key)) {
			s->cp_next = i + 1;
			return (long)i;
		}
	return -1;
}

static void on_record(struct one *s, int kind, const char *text, size_t len)
{
	struct sess_err err;
	long long cp;

	if (s->broken)
		return;
	if (kind == SESS_REC_EVENT) {
		/* scanned once for the member check, the fold and the counts */
		struct sess_fold_ev ev;
		int bad = sess_fold_scan(text, len, &ev, &err);
		if (!bad) {
			s->found += sess_integrity_member_ev(&s->f, &ev, vs_ifinding, s);
			bad = sess_fold_event_ev(&s->f, &ev, text, len, &err);
		}
		if (bad && internal(s, &err))
			return;
		if (bad) {
			vs_ifinding(err.kind[0] ? err.kind : "corrupt_record", s->f.seq + 1, err.msg, s);
			s->broken = 1;
			return;
		}
		if (s->v->types) {
			char type[SESS_S_TYPE_MAX + 1];
			size_t tl = ev.type_len > SESS_S_TYPE_MAX ? SESS_S_TYPE_MAX : ev.type_len;
			cJSON *n;
			memcpy(type, ev.type, tl);
			type[tl] = '\0';
			if ((n = cJSON_GetObjectItemCaseSensitive(s->v->types, type)))
				cJSON_SetNumberValue(n, n->valuedouble + 1);
			else
				cJSON_AddNumberToObject(s->v->types, type, 1);
		}
		return;
	}
	memcpy(s->chain_before, s->f.chain, sizeof s->chain_before);
	if (sess_fold_record(&s->f, text, len, &err)) {
		if (internal(s, &err))
			return;
		vs_ifinding(err.kind[0] ? err.kind : "corrupt_record", s->f.seq, err.msg, s);
		s->broken = 1;
		return;
	}
	if (s->f.known && (cp = sess_fold_checkpoint_n(text)) >= 0) {
		long i = cp_find(s, cp);
		const redisReply *t = i >= 0 ? s->cph->element[2 * i + 1] : NULL;
		sess_integrity_checkpoint_text(&s->f, s->chain_before, cp, t ? t->str : NULL, t ? t->len : 0,
					       vs_ifinding, s);
		if (i >= 0)
			s->v->cpseen[i] = 1;
	}
}

/* A trimmed log starts from the checkpoint covering its first event
 * (known once sess_log_records read the head). */
static void start(struct one *s)
{
	struct sess_err err;

	if (s->started)
		return;
	s->started = 1;
	if (s->head && s->head->start && sess_fold_from_checkpoint(&s->f, s->head->start, &err)) {
		if (internal(s, &err))
			return;
		vs_ifinding(err.kind[0] ? err.kind : "checkpoint_mismatch", -1, err.msg, s);
		s->broken = 1;
	}
}

static int rec_cb(int kind, const char *text, size_t len, void *p)
{
	start(p);
	on_record(p, kind, text, len);
	return 0;
}

static long long at_of(const redisReply *r)
{
	return sess_fold_record_at(r->str, strlen(r->str));
}

/* The checkpoints hash (HGETALL) kept as read, none seen yet; max_cp:
 * the highest number among its fields (damaged bodies too: a counter set
 * below it would make the next checkpoint overwrite one). -1 when out of
 * memory (the run stops). */
static int cps_read(struct one *s, const redisReply *h)
{
	struct run *v = s->v;
	size_t i;

	s->cph = h;
	s->ncp = h && h->type == REDIS_REPLY_ARRAY ? h->elements / 2 : 0;
	s->max_cp = 0;
	if (s->ncp > v->cpseen_cap) {
		unsigned char *b = realloc(v->cpseen, s->ncp);
		if (!b) {
			s->ncp = 0;
			return -1;
		}
		v->cpseen = b;
		v->cpseen_cap = s->ncp;
	}
	if (s->ncp)
		memset(v->cpseen, 0, s->ncp);
	for (i = 0; i < s->ncp; i++) {
		const redisReply *k = h->element[2 * i];
		long long n = k->str ? strtoll(k->str, NULL, 10) : 0;
		if (n > s->max_cp)
			s->max_cp = n;
		if (k->str && strlen(k->str) != k->len)
			s->cp_nul = 1;
	}
	return 0;
}

/* The checkpoints no record took, as number -> object (damaged: null),
 * for sess_integrity_finish; NULL when there are none. */
static cJSON *cps_left(const struct one *s)
{
	cJSON *map = NULL;
	size_t i;

	for (i = 0; i < s->ncp; i++) {
		const redisReply *k = s->cph->element[2 * i], *t = s->cph->element[2 * i + 1];
		cJSON *cp;
		if (s->v->cpseen[i] || !k->str)
			continue;
		if (!map && !(map = cJSON_CreateObject()))
			return NULL;
		cp = sess_json_parse_stored(t->str, t->len);
		cJSON_AddItemToObject(map, k->str, cp ? cp : cJSON_CreateNull());
	}
	return map;
}

const char *vs_hget(const redisReply *h, const char *name)
{
	size_t i;

	for (i = 0; h && h->type == REDIS_REPLY_ARRAY && i + 1 < h->elements; i += 2)
		if (h->element[i]->type == REDIS_REPLY_STRING && !strcmp(h->element[i]->str, name))
			return h->element[i + 1]->str;
	return NULL;
}

/* What the page read (or the stream's own read) gives about the keys. */
struct keyinfo {
	const redisReply *meta;      /* HGETALL */
	long long pttl[SESS_NKEYS];  /* meta, events, checkpoints, eventids, history */
	int indexed;
};

/* The checks after the records: chain, checkpoints no record took, meta
 * against the fold, TTLs, the index; and their repairs. */
static void finish(struct one *s, const struct keyinfo *ki, const char *head, long long start_seq)
{
	struct run *v = s->v;
	struct sess_keys k;
	const redisReply *m = ki->meta;
	const char *fields[256], *values[256];
	size_t n = 0, i;
	long long lo = -1, hi = -1, ref = ki->pttl[0];
	char num[32];
	struct sess_cmd rc;
	long history_found;
	int keyed = 0;

	if (!s->broken) {
		cJSON *left = cps_left(s);
		sess_integrity_finish(&s->f, head, "session", left, start_seq, vs_ifinding, s);
		cJSON_Delete(left);
		history_found = s->found; /* the log, history, chain, checkpoints */
		for (i = 0; m->type == REDIS_REPLY_ARRAY && i + 1 < m->elements && n < 256; i += 2, n++) {
			fields[n] = m->element[i]->str;
			values[n] = m->element[i + 1]->str;
		}
		if (n < 256)
			sess_integrity_meta(&s->f, fields, values, n, vs_ifinding, s);
		/* the derived fields a repair may set: what the history implies,
		 * only when all of it verified (a state taken from an event
		 * the chain does not cover could complete a live session) */
		if (v->o->repair && s->f.known && history_found > 0 && s->found > history_found) {
			s->found++;
			vs_say(v, s->id, "repair_refused", -1,
			    "meta's derived fields are not repaired: the session's history has %ld finding%s of its own",
			    history_found, history_found == 1 ? "" : "s");
		} else if (v->o->repair && s->f.known) {
			const char *st = vs_hget(m, SESS_S_F_STATE), *cps = vs_hget(m, SESS_S_F_CPS), *ag = vs_hget(m, SESS_S_F_AGENTS);
			long long cps_want = s->f.cps > s->max_cp ? s->f.cps : s->max_cp;
			size_t members = 0;
			for (i = 0; i < n; i++)
				members += !strncmp(fields[i], SESS_S_F_AGENT_PREFIX, SESS_S_F_AGENT_PREFIX_LEN);
			if (!st || strcmp(st, s->f.state))
				vs_repair("state", s->id, sess_repair_meta(&rc, v->a->cfg.prefix, s->id, SESS_S_F_STATE, s->f.state));
			/* raised only: below a stored checkpoint's number, the next
			 * checkpoint would overwrite it */
			snprintf(num, sizeof num, "%lld", cps_want);
			if (!cps || strtoll(cps, NULL, 10) < cps_want)
				vs_repair("cps", s->id, sess_repair_meta(&rc, v->a->cfg.prefix, s->id, SESS_S_F_CPS, num));
			snprintf(num, sizeof num, "%zu", members);
			if (!ag || strcmp(ag, num))
				vs_repair("agents", s->id, sess_repair_meta(&rc, v->a->cfg.prefix, s->id, SESS_S_F_AGENTS, num));
		}
	}
	/* TTLs: every key has one, all about the same. A repair gives a
	 * key the longest TTL among them (the session's own ttl when none
	 * has one): it never shortens a live session's life */
	for (i = 0; i < SESS_NKEYS; i++) {
		long long t = ki->pttl[i];
		if (t < 0)
			continue;
		if (lo < 0 || t < lo)
			lo = t;
		if (t > hi)
			hi = t;
	}
	if (hi > 0) {
		ref = hi;
	} else {
		const char *t = vs_hget(m, SESS_S_F_TTL);
		ref = t ? strtoll(t, NULL, 10) * 1000 : 0;
	}
	snprintf(num, sizeof num, "%lld", ref);
	for (i = 0; i < SESS_NKEYS; i++) {
		if (ki->pttl[i] != -1)
			continue;
		if (!keyed++) /* the key names, for a finding or a repair only */
			sess_keys_init(&k, v->a->cfg.prefix, s->id);
		s->found++;
		vs_say(v, s->id, "no_ttl", -1, "%s has no TTL: it will never expire (the leak session stores report)",
		    k.v[i]);
		if (v->o->repair && ref > 0)
			vs_repair("ttl", s->id, sess_repair_ttl(&rc, k.v[i], ref));
	}
	if (lo >= 0 && hi - lo > SKEW_MS) {
		s->found++;
		vs_say(v, s->id, "ttl_skew", -1, "the TTLs of the session's keys differ by %lld ms (%lld to %lld); they expire together",
		    hi - lo, lo, hi);
		for (i = 0; v->o->repair && ref > 0 && i < SESS_NKEYS; i++)
			if (ki->pttl[i] >= 0 && ki->pttl[i] < ref - SKEW_MS) {
				if (!keyed++)
					sess_keys_init(&k, v->a->cfg.prefix, s->id);
				vs_repair("ttl", s->id, sess_repair_ttl(&rc, k.v[i], ref));
			}
	}
	if (!ki->indexed) {
		s->found++;
		vs_say(v, s->id, "index_missing", -1, "the session is not in the index: list and maintenance cannot see it");
		if (v->o->repair)
			vs_repair("index_add", s->id,
				  sess_repair_index_add(&rc, v->a->cfg.prefix, sess_key_tag(s->id, v->a->conn.cl != NULL),
							s->id, v->now + (ref > 0 ? ref : 0)));
	}
	if (v->types) {
		const char *st = vs_hget(m, SESS_S_F_STATE), *sq = vs_hget(m, SESS_S_F_SEQ);
		v->live++;
		v->completed += st && !strcmp(st, SESS_S_COMPLETED);
		v->events += sq ? strtoll(sq, NULL, 10) : 0;
	}
}

/* cps: the checkpoints hash (HGETALL), kept until one_free (which frees
 * it when own). -1 with v->a->err when out of memory. */
static int one_init(struct one *s, struct run *v, const char *id, const redisReply *cps, redisReply *own)
{
	memset(s, 0, sizeof *s);
	s->v = v;
	s->id = id;
	s->cph_own = own;
	sess_fold_init(&s->f, id, 1);
	if (cps_read(s, cps)) {
		if (!v->fatal)
			sess_err_set(&v->a->err, SESS_E_INTERNAL, NULL, "out of memory");
		v->fatal = 1;
		return -1;
	}
	return 0;
}

static void one_free(struct one *s)
{
	sess_fold_free(&s->f);
	if (s->cph_own)
		freeReplyObject(s->cph_own);
	s->cph_own = NULL;
}

/* A session read whole in the page: fold its events and records in the
 * order they were made (an event with seq N, then the records at N). */
void vs_check_fast(struct run *v, const char *id, const redisReply *x, const redisReply *z)
{
	const redisReply *ev = x->element[1], *hist = x->element[2];
	struct keyinfo ki;
	struct one s;
	size_t i, h = 0;
	long long hat;

	if (one_init(&s, v, id, x->element[3], NULL)) {
		one_free(&s);
		return;
	}
	/* the next record's "at", read once (not once per event before it) */
	hat = hist->elements ? at_of(hist->element[0]) : 0;
	for (i = 0; i < ev->elements; i++) {
		long long seq = strtoll(ev->element[i]->str + (ev->element[i]->len > 5 ? 5 : 0), NULL, 10);
		while (h < hist->elements && hat < seq) {
			on_record(&s, SESS_REC_HISTORY, hist->element[h]->str, hist->element[h]->len);
			h++;
			hat = h < hist->elements ? at_of(hist->element[h]) : 0;
		}
		on_record(&s, SESS_REC_EVENT, ev->element[i]->str, ev->element[i]->len);
	}
	for (; h < hist->elements; h++)
		on_record(&s, SESS_REC_HISTORY, hist->element[h]->str, hist->element[h]->len);
	ki.meta = x->element[0];
	for (i = 0; i < SESS_NKEYS; i++)
		ki.pttl[i] = x->element[4 + i]->type == REDIS_REPLY_INTEGER ? x->element[4 + i]->integer : -2;
	ki.indexed = z->type != REDIS_REPLY_NIL;
	finish(&s, &ki, vs_hget(x->element[0], SESS_S_F_CHAIN), -1);
	one_free(&s);
}

/* Queue one session's reads on p: in one MULTI (one instant) its meta,
 * records, checkpoints and the PTTL of each key, then its index entry.
 * Built from argument vectors: formatting 13 commands a session with
 * printf-style formats cost more than reading their replies. */
int vs_send_reads(struct run *v, struct sess_pipe *p, const char *id, struct sess_err *err)
{
	struct sess_keys k;
	char idx[SESS_KEY_MAX], most[24];
	int i;

	sess_keys_init(&k, v->a->cfg.prefix, id);
	sess_key_index(idx, v->a->cfg.prefix, sess_key_tag(id, v->a->conn.cl != NULL));
	snprintf(most, sizeof most, "%d", FAST_MAX - 1);
	if (sess_pipe_strs(p, 0, err, 1, "MULTI") || sess_pipe_strs(p, 0, err, 2, "HGETALL", k.meta) ||
	    sess_pipe_strs(p, 0, err, 4, "LRANGE", k.events, "0", most) ||
	    sess_pipe_strs(p, 0, err, 4, "LRANGE", k.history, "0", most) ||
	    sess_pipe_strs(p, 0, err, 2, "HGETALL", k.cps))
		return -1;
	for (i = 0; i < SESS_NKEYS; i++)
		if (sess_pipe_strs(p, 0, err, 2, "PTTL", k.v[i]))
			return -1;
	return sess_pipe_strs(p, 0, err, 1, "EXEC") || sess_pipe_strs(p, 0, err, 3, "ZSCORE", idx, id) ? -1 : 0;
}

/* A long or trimmed session: streamed on its own (log.h). */
int vs_check_slow(struct run *v, const char *id)
{
	struct sess_log_head head;
	struct sess_keys k;
	struct sess_pipe p;
	struct keyinfo ki;
	struct one s;
	redisReply *cps, *x = NULL, *z = NULL;
	char idx[SESS_KEY_MAX];
	size_t i;
	int rc = -1;

	sess_keys_init(&k, v->a->cfg.prefix, id);
	if (!(cps = sess_conn_cmdf(&v->a->conn, &v->a->err, "HGETALL %s", k.cps)))
		return -1;
	if (one_init(&s, v, id, cps, cps)) {
		one_free(&s);
		return -1;
	}
	s.head = &head;
	if (sess_log_records(&v->a->ctx, id, &head, rec_cb, &s, &v->a->err)) {
		if (v->a->err.cls == SESS_E_NEGATIVE) { /* gone meanwhile */
			one_free(&s);
			return 0;
		}
		if (v->a->err.cls == SESS_E_DATA) {
			vs_ifinding(v->a->err.kind[0] ? v->a->err.kind : "corrupt_record", -1, v->a->err.msg, &s);
			s.broken = 1;
		} else {
			one_free(&s);
			return -1;
		}
	}
	start(&s); /* a log with no record after its start */
	sess_pipe_init(&p, &v->a->conn);
	sess_key_index(idx, v->a->cfg.prefix, sess_key_tag(id, v->a->conn.cl != NULL));
	if (sess_pipe_cmdf(&p, 0, &v->a->err, "MULTI") || sess_pipe_cmdf(&p, 0, &v->a->err, "HGETALL %s", k.meta) ||
	    sess_pipe_cmdf(&p, 0, &v->a->err, "PTTL %s", k.meta) || sess_pipe_cmdf(&p, 0, &v->a->err, "PTTL %s", k.events) ||
	    sess_pipe_cmdf(&p, 0, &v->a->err, "PTTL %s", k.cps) || sess_pipe_cmdf(&p, 0, &v->a->err, "PTTL %s", k.dedup) ||
	    sess_pipe_cmdf(&p, 0, &v->a->err, "PTTL %s", k.history) || sess_pipe_cmdf(&p, 0, &v->a->err, "EXEC") ||
	    sess_pipe_cmdf(&p, 0, &v->a->err, "ZSCORE %s %s", idx, id))
		goto done;
	if (sess_pipe_drain(&p, sess_pipe_pending(&p) - 2, &v->a->err) || /* +OK, QUEUED */
	    sess_pipe_next(&p, &x, NULL, &v->a->err) || sess_pipe_next(&p, &z, NULL, &v->a->err))
		goto done;
	if (x->type == REDIS_REPLY_ERROR || z->type == REDIS_REPLY_ERROR) { /* refused (the ACL, ...) */
		sess_conn_reply_error(&v->a->conn, x->type == REDIS_REPLY_ERROR ? x : z, &v->a->err);
		goto done;
	}
	if (x->type != REDIS_REPLY_ARRAY || x->elements != 6) {
		sess_reply_bad(&v->a->err, "EXEC");
		goto done;
	}
	ki.meta = x->element[0];
	for (i = 0; i < SESS_NKEYS; i++)
		ki.pttl[i] = x->element[1 + i]->type == REDIS_REPLY_INTEGER ? x->element[1 + i]->integer : -2;
	ki.indexed = z->type != REDIS_REPLY_NIL;
	/* the meta changed since the records were read: compare what
	 * cannot have changed only */
	if (vs_hget(ki.meta, SESS_S_F_SEQ) &&
	    strtoll(vs_hget(ki.meta, SESS_S_F_SEQ), NULL, 10) != head.seq)
		s.broken = 1;
	finish(&s, &ki, head.chain,
	       head.start ? (long long)cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(head.start, "seq")) : -1);
	rc = 0;
done:
	sess_pipe_free(&p);
	if (x)
		freeReplyObject(x);
	if (z)
		freeReplyObject(z);
	sess_log_head_free(&head);
	one_free(&s);
	return v->fatal ? -1 : rc;
}
