/* cmd_sessions.c - integrity of stored sessions.
 *
 * A page of sessions is read per round trip: for each, in one MULTI (one
 * instant), its meta hash, the first FAST_MAX events and history records,
 * its checkpoints and the PTTL of each of its keys, then its index entry.
 * The records are folded here (fold.h) and checked by integrity.h, the
 * checks sess-replay verify makes too. A session longer than that, or
 * trimmed, is streamed on its own afterwards (log.h), so memory stays
 * bounded by the page whatever the sessions hold. --all walks the keys of
 * the prefix with SCAN (the one way to find keys that belong to no
 * session) and the index with ZSCAN.
 */
#include "validate.h"

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

#define FAST_MAX 1000   /* records read in the paged pass */
#define SKEW_MS 5000    /* TTLs of one session further apart than this */
#define NREAD 9         /* commands in one session's MULTI */

struct run {
	struct cli_app *a;
	struct report *r;
	const struct sessions_opts *o;
	long long now;
	long sessions;
	/* --all: what the live sessions add up to, for the counters */
	long long live, completed, events;
	cJSON *types;
	/* ids of a page, and those to stream after it */
	char (*ids)[SESS_ID_MAX + 1];
	size_t nids;
	char (*slow)[SESS_ID_MAX + 1];
	size_t nslow;
	int explicit_ids;   /* ids were named: a missing one is a finding */
};

/* One session being checked. */
struct one {
	struct run *v;
	const char *id;
	struct sess_fold f;
	char chain_before[SESS_SHA1_HEX];
	cJSON *cps;
	long long max_cp;            /* the highest checkpoint number stored */
	int broken;
	long found;
	struct sess_log_head *head;  /* streamed: where the records start */
	int started;
};

/* ---- findings and repairs ---- */

struct code_info {
	const char *code;
	enum sess_sev sev;
	const char *fix;
};

static const struct code_info codes[] = {
	{"seq_gap", SESS_SEV_ERROR, "the log lost or repeated events; restore the session from an export or backup"},
	{"corrupt_record", SESS_SEV_ERROR, "a record is not what sesskit writes; restore the session from an export or backup"},
	{"no_history", SESS_SEV_ERROR, "the history lacks its create record; restore the session, or delete it"},
	{"not_member", SESS_SEV_ERROR, "an event came from an agent that was not a member; find the writer that bypassed the scripts"},
	{"checkpoint_missing", SESS_SEV_ERROR, "a checkpoint was deleted; take a new one (sessctl checkpoint)"},
	{"checkpoint_mismatch", SESS_SEV_ERROR, "the checkpoint disagrees with the log; take a new one and distrust this one"},
	{"checkpoint_orphan", SESS_SEV_ERROR, "a checkpoint no record took was written from outside sesskit; remove it with HDEL"},
	{"chain_mismatch", SESS_SEV_ERROR, "a record was edited, removed or inserted; restore the session from an export or backup"},
	{"state_mismatch", SESS_SEV_ERROR, "sess-validate sessions --repair sets the state the events imply"},
	{"seq_mismatch", SESS_SEV_ERROR, "meta's seq and the log disagree; restore the session from an export or backup"},
	{"creator_mismatch", SESS_SEV_ERROR, "meta's creator was changed from outside sesskit; restore it from the create record"},
	{"members_mismatch", SESS_SEV_ERROR, "meta's members disagree with the joins and leaves; restore the session"},
	{"agents_count", SESS_SEV_ERROR, "sess-validate sessions --repair sets the count of the listed members"},
	{"cps_count", SESS_SEV_ERROR, "sess-validate sessions --repair raises the counter to what the history took (never lowers it)"},
	{"no_ttl", SESS_SEV_ERROR, "sess-validate sessions --repair gives the key the session's TTL"},
	{"ttl_skew", SESS_SEV_WARNING, "sess-validate sessions --repair gives every key the longest TTL among them"},
	{"repair_refused", SESS_SEV_ERROR, "the history does not verify, so nothing is derived from it; restore the session from an export or backup"},
	{"index_missing", SESS_SEV_ERROR, "sess-validate sessions --repair (or sessctl maintenance) adds it"},
	{"index_orphan", SESS_SEV_ERROR, "sess-validate sessions --repair (or sessctl maintenance) removes it"},
	{"orphan_key", SESS_SEV_WARNING, "inspect it, then DEL it: no session owns it (repair does not delete data)"},
	{"unknown_key", SESS_SEV_WARNING, "a key with the prefix that sesskit does not write; move other data to another prefix"},
	{"stats_drift", SESS_SEV_WARNING, "sess-validate sessions --all --repair raises the counter to what is stored"},
	{"layout", SESS_SEV_ERROR, "run sessctl upgrade (layout 1), or use the sesskit that wrote it"},
	{"not_found", SESS_SEV_ERROR, "check the id: the session never existed, expired or was deleted"},
};

static const struct code_info *code_of(const char *code)
{
	static const struct code_info other = {NULL, SESS_SEV_ERROR, "inspect the session with sess-replay verify"};
	size_t i;

	for (i = 0; i < sizeof codes / sizeof codes[0]; i++)
		if (!strcmp(codes[i].code, code))
			return &codes[i];
	return &other;
}

static void say(struct run *v, const char *id, const char *code, long long seq, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
static void say(struct run *v, const char *id, const char *code, long long seq, const char *fmt, ...)
{
	const struct code_info *ci = code_of(code);
	struct sess_finding f;
	struct sess_err e;
	char full[64], msg[SESS_ERR_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	sess_err_set(&e, SESS_E_DATA, NULL, "%s", msg); /* one clean line */
	snprintf(full, sizeof full, "session.%s", code);
	memset(&f, 0, sizeof f);
	f.id = id;
	f.seq = seq;
	f.sev = ci->sev;
	f.code = full;
	f.message = e.msg;
	f.fix = ci->fix;
	report_finding(&f, v->r);
}

static void ifinding(const char *code, long long seq, const char *msg, void *p)
{
	struct one *s = p;

	s->found++;
	say(s->v, s->id, code, seq, "%s", msg);
}

/* A repair: {"repair": what, "id", "key", "command": [...], ...}; kept
 * until the page's replies are in, then reported and (unless --dry-run)
 * run by run_repairs. */
static cJSON *pending;

static cJSON *repair(const char *what, const char *id, const char *key, int argc, ...)
{
	cJSON *c = cJSON_CreateObject(), *cmd;
	va_list ap;
	int i;

	cJSON_AddStringToObject(c, "repair", what);
	if (id)
		cJSON_AddStringToObject(c, "id", id);
	if (key)
		cJSON_AddStringToObject(c, "key", key);
	cmd = cJSON_AddArrayToObject(c, "command");
	va_start(ap, argc);
	for (i = 0; i < argc; i++)
		cJSON_AddItemToArray(cmd, cJSON_CreateString(va_arg(ap, const char *)));
	va_end(ap);
	if (!pending)
		pending = cJSON_CreateArray();
	cJSON_AddItemToArray(pending, c);
	return c;
}

static int run_repairs(struct run *v)
{
	cJSON *c;

	if (!pending)
		return 0;
	cJSON_ArrayForEach(c, pending) {
		const cJSON *cmd = cJSON_GetObjectItemCaseSensitive(c, "command"), *it;
		const char *argv[8];
		size_t lens[8];
		int argc = 0;
		redisReply *r;
		cJSON_AddBoolToObject(c, "dryRun", v->o->dry_run);
		if (!v->o->dry_run) {
			cJSON_ArrayForEach(it, cmd) {
				if (argc < 8) {
					argv[argc] = it->valuestring;
					lens[argc++] = strlen(it->valuestring);
				}
			}
			if (!(r = sess_conn_cmd(&v->a->conn, &v->a->err, argc, argv, lens))) {
				cJSON_Delete(pending);
				pending = NULL;
				return -1;
			}
			if (r->type == REDIS_REPLY_ERROR) {
				sess_conn_reply_error(&v->a->conn, r, &v->a->err);
				freeReplyObject(r);
				cJSON_Delete(pending);
				pending = NULL;
				return -1;
			}
			freeReplyObject(r);
		}
		report_change(v->r, c);
	}
	cJSON_Delete(pending);
	pending = NULL;
	return 0;
}

/* ---- one session's records ---- */

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
			s->found += sess_integrity_member_ev(&s->f, &ev, ifinding, s);
			bad = sess_fold_event_ev(&s->f, &ev, text, len, &err);
		}
		if (bad) {
			ifinding(err.kind[0] ? err.kind : "corrupt_record", s->f.seq + 1, err.msg, s);
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
		ifinding(err.kind[0] ? err.kind : "corrupt_record", s->f.seq, err.msg, s);
		s->broken = 1;
		return;
	}
	if (s->f.known && (cp = sess_fold_checkpoint_n(text)) >= 0)
		sess_integrity_checkpoint(&s->f, s->chain_before, cp, s->cps, ifinding, s);
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
		ifinding(err.kind[0] ? err.kind : "checkpoint_mismatch", -1, err.msg, s);
		s->broken = 1;
	}
}

static int rec_cb(int kind, const char *text, size_t len, void *p)
{
	start(p);
	on_record(p, kind, text, len);
	return 0;
}

static long long at_of(const char *text)
{
	return sess_fold_record_at(text, strlen(text));
}

/* The checkpoints hash (HGETALL) as number -> object; *max: the highest
 * number among its fields (damaged bodies too: a counter set below it
 * would make the next checkpoint overwrite one). */
static cJSON *cps_map(const redisReply *h, long long *max)
{
	cJSON *map = cJSON_CreateObject();
	size_t i;

	*max = 0;
	for (i = 0; h && h->type == REDIS_REPLY_ARRAY && i + 1 < h->elements; i += 2) {
		long long n = h->element[i]->str ? strtoll(h->element[i]->str, NULL, 10) : 0;
		if (n > *max)
			*max = n;
		cJSON *cp = sess_json_parse_stored(h->element[i + 1]->str, h->element[i + 1]->len);
		/* damaged: null, which the checkpoint check reports as such */
		cJSON_AddItemToObject(map, h->element[i]->str, cp ? cp : cJSON_CreateNull());
	}
	return map;
}

static const char *hget(const redisReply *h, const char *name)
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
	char num[32], exp[32];
	long history_found;

	sess_keys_init(&k, v->a->cfg.prefix, s->id);
	if (!s->broken) {
		sess_integrity_finish(&s->f, head, "session", s->cps, start_seq, ifinding, s);
		history_found = s->found; /* the log, history, chain, checkpoints */
		for (i = 0; m->type == REDIS_REPLY_ARRAY && i + 1 < m->elements && n < 256; i += 2, n++) {
			fields[n] = m->element[i]->str;
			values[n] = m->element[i + 1]->str;
		}
		if (n < 256)
			sess_integrity_meta(&s->f, fields, values, n, ifinding, s);
		/* the derived fields a repair may set: what the history implies,
		 * only when all of it verified (a state taken from an event
		 * the chain does not cover could complete a live session) */
		if (v->o->repair && s->f.known && history_found > 0 && s->found > history_found) {
			s->found++;
			say(v, s->id, "repair_refused", -1,
			    "meta's derived fields are not repaired: the session's history has %ld finding%s of its own",
			    history_found, history_found == 1 ? "" : "s");
		} else if (v->o->repair && s->f.known) {
			const char *st = hget(m, SESS_S_F_STATE), *cps = hget(m, SESS_S_F_CPS), *ag = hget(m, SESS_S_F_AGENTS);
			long long cps_want = s->f.cps > s->max_cp ? s->f.cps : s->max_cp;
			size_t members = 0;
			for (i = 0; i < n; i++)
				members += !strncmp(fields[i], SESS_S_F_AGENT_PREFIX, SESS_S_F_AGENT_PREFIX_LEN);
			if (!st || strcmp(st, s->f.state))
				repair("state", s->id, k.meta, 4, "HSET", k.meta, SESS_S_F_STATE, s->f.state);
			/* raised only: below a stored checkpoint's number, the next
			 * checkpoint would overwrite it */
			snprintf(num, sizeof num, "%lld", cps_want);
			if (!cps || strtoll(cps, NULL, 10) < cps_want)
				repair("cps", s->id, k.meta, 4, "HSET", k.meta, SESS_S_F_CPS, num);
			snprintf(num, sizeof num, "%zu", members);
			if (!ag || strcmp(ag, num))
				repair("agents", s->id, k.meta, 4, "HSET", k.meta, SESS_S_F_AGENTS, num);
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
		const char *t = hget(m, SESS_S_F_TTL);
		ref = t ? strtoll(t, NULL, 10) * 1000 : 0;
	}
	snprintf(num, sizeof num, "%lld", ref);
	for (i = 0; i < SESS_NKEYS; i++) {
		if (ki->pttl[i] != -1)
			continue;
		s->found++;
		say(v, s->id, "no_ttl", -1, "%s has no TTL: it will never expire (the leak session stores report)",
		    k.v[i]);
		if (v->o->repair && ref > 0)
			repair("ttl", s->id, k.v[i], 3, "PEXPIRE", k.v[i], num);
	}
	if (lo >= 0 && hi - lo > SKEW_MS) {
		s->found++;
		say(v, s->id, "ttl_skew", -1, "the TTLs of the session's keys differ by %lld ms (%lld to %lld); they expire together",
		    hi - lo, lo, hi);
		for (i = 0; v->o->repair && ref > 0 && i < SESS_NKEYS; i++)
			if (ki->pttl[i] >= 0 && ki->pttl[i] < ref - SKEW_MS)
				repair("ttl", s->id, k.v[i], 3, "PEXPIRE", k.v[i], num);
	}
	if (!ki->indexed) {
		char idx[SESS_KEY_MAX];
		s->found++;
		say(v, s->id, "index_missing", -1, "the session is not in the index: list and maintenance cannot see it");
		sess_key_index(idx, v->a->cfg.prefix);
		snprintf(exp, sizeof exp, "%lld", v->now + (ref > 0 ? ref : 0));
		if (v->o->repair)
			repair("index_add", s->id, idx, 4, "ZADD", idx, exp, s->id);
	}
	if (v->types) {
		const char *st = hget(m, SESS_S_F_STATE), *sq = hget(m, SESS_S_F_SEQ);
		v->live++;
		v->completed += st && !strcmp(st, SESS_S_COMPLETED);
		v->events += sq ? strtoll(sq, NULL, 10) : 0;
	}
}

/* cps: the checkpoints hash (HGETALL), read here. */
static void one_init(struct one *s, struct run *v, const char *id, const redisReply *cps)
{
	memset(s, 0, sizeof *s);
	s->v = v;
	s->id = id;
	s->cps = cps_map(cps, &s->max_cp);
	sess_fold_init(&s->f, id, 1);
}

static void one_free(struct one *s)
{
	sess_fold_free(&s->f);
	cJSON_Delete(s->cps);
}

/* A session read whole in the page: fold its events and records in the
 * order they were made (an event with seq N, then the records at N). */
static void check_fast(struct run *v, const char *id, const redisReply *x, const redisReply *z)
{
	const redisReply *ev = x->element[1], *hist = x->element[2];
	struct keyinfo ki;
	struct one s;
	size_t i, h = 0;

	one_init(&s, v, id, x->element[3]);
	for (i = 0; i < ev->elements; i++) {
		long long seq = strtoll(ev->element[i]->str + (ev->element[i]->len > 5 ? 5 : 0), NULL, 10);
		while (h < hist->elements && at_of(hist->element[h]->str) < seq) {
			on_record(&s, SESS_REC_HISTORY, hist->element[h]->str, hist->element[h]->len);
			h++;
		}
		on_record(&s, SESS_REC_EVENT, ev->element[i]->str, ev->element[i]->len);
	}
	for (; h < hist->elements; h++)
		on_record(&s, SESS_REC_HISTORY, hist->element[h]->str, hist->element[h]->len);
	ki.meta = x->element[0];
	for (i = 0; i < SESS_NKEYS; i++)
		ki.pttl[i] = x->element[4 + i]->type == REDIS_REPLY_INTEGER ? x->element[4 + i]->integer : -2;
	ki.indexed = z->type != REDIS_REPLY_NIL;
	finish(&s, &ki, hget(x->element[0], SESS_S_F_CHAIN), -1);
	one_free(&s);
}

/* Queue one session's reads on p: in one MULTI (one instant) its meta,
 * records, checkpoints and the PTTL of each key, then its index entry.
 * Built from argument vectors: formatting 13 commands a session with
 * printf-style formats cost more than reading their replies. */
static int send_reads(struct run *v, struct sess_pipe *p, const char *id, struct sess_err *err)
{
	static const char *const pttl[SESS_NKEYS] = {"PTTL", "PTTL", "PTTL", "PTTL", "PTTL"};
	struct sess_keys k;
	char idx[SESS_KEY_MAX], most[24];
	const char *argv[4];
	size_t lens[4];
	int i;

#define CMD(n, ...) \
	do { \
		const char *a_[] = {__VA_ARGS__}; \
		int j_; \
		for (j_ = 0; j_ < (n); j_++) { \
			argv[j_] = a_[j_]; \
			lens[j_] = strlen(a_[j_]); \
		} \
		if (sess_pipe_argv(p, -1, 0, (n), argv, lens, err)) \
			return -1; \
	} while (0)
	sess_keys_init(&k, v->a->cfg.prefix, id);
	sess_key_index(idx, v->a->cfg.prefix);
	snprintf(most, sizeof most, "%d", FAST_MAX - 1);
	CMD(1, "MULTI");
	CMD(2, "HGETALL", k.meta);
	CMD(4, "LRANGE", k.events, "0", most);
	CMD(4, "LRANGE", k.history, "0", most);
	CMD(2, "HGETALL", k.cps);
	for (i = 0; i < SESS_NKEYS; i++)
		CMD(2, pttl[i], k.v[i]);
	CMD(1, "EXEC");
	CMD(3, "ZSCORE", idx, id);
#undef CMD
	return 0;
}

/* A long or trimmed session: streamed on its own (log.h). */
static int check_slow(struct run *v, const char *id)
{
	struct sess_log_head head;
	struct sess_keys k;
	struct sess_pipe p;
	struct keyinfo ki;
	struct one s;
	redisReply *cps, *x = NULL, *z = NULL, *r;
	char idx[SESS_KEY_MAX];
	size_t i;
	int rc = -1;

	sess_keys_init(&k, v->a->cfg.prefix, id);
	if (!(cps = sess_conn_cmdf(&v->a->conn, &v->a->err, "HGETALL %s", k.cps)))
		return -1;
	one_init(&s, v, id, cps);
	freeReplyObject(cps);
	s.head = &head;
	if (sess_log_records(&v->a->ctx, id, &head, rec_cb, &s, &v->a->err)) {
		if (v->a->err.cls == SESS_E_NEGATIVE) { /* gone meanwhile */
			one_free(&s);
			return 0;
		}
		if (v->a->err.cls == SESS_E_DATA) {
			ifinding(v->a->err.kind[0] ? v->a->err.kind : "corrupt_record", -1, v->a->err.msg, &s);
			s.broken = 1;
		} else {
			one_free(&s);
			return -1;
		}
	}
	start(&s); /* a log with no record after its start */
	sess_pipe_init(&p, &v->a->conn);
	sess_key_index(idx, v->a->cfg.prefix);
	if (sess_pipe_cmdf(&p, 0, &v->a->err, "MULTI") || sess_pipe_cmdf(&p, 0, &v->a->err, "HGETALL %s", k.meta) ||
	    sess_pipe_cmdf(&p, 0, &v->a->err, "PTTL %s", k.meta) || sess_pipe_cmdf(&p, 0, &v->a->err, "PTTL %s", k.events) ||
	    sess_pipe_cmdf(&p, 0, &v->a->err, "PTTL %s", k.cps) || sess_pipe_cmdf(&p, 0, &v->a->err, "PTTL %s", k.dedup) ||
	    sess_pipe_cmdf(&p, 0, &v->a->err, "PTTL %s", k.history) || sess_pipe_cmdf(&p, 0, &v->a->err, "EXEC") ||
	    sess_pipe_cmdf(&p, 0, &v->a->err, "ZSCORE %s %s", idx, id))
		goto done;
	while (sess_pipe_pending(&p) > 2) {
		if (sess_pipe_next(&p, &r, NULL, &v->a->err))
			goto done;
		freeReplyObject(r);
	}
	if (sess_pipe_next(&p, &x, NULL, &v->a->err) || sess_pipe_next(&p, &z, NULL, &v->a->err))
		goto done;
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
	if (hget(ki.meta, SESS_S_F_SEQ) &&
	    strtoll(hget(ki.meta, SESS_S_F_SEQ), NULL, 10) != head.seq)
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
	return rc;
}

/* ---- pages of sessions ---- */

/* Check the sessions in v->ids: one pipeline, then the long ones. */
static int check_page(struct run *v)
{
	struct sess_pipe p;
	size_t i, j;
	int rc = -1;

	if (!v->nids)
		return 0;
	v->nslow = 0;
	sess_pipe_init(&p, &v->a->conn);
	/* on the wire as they are made: the server reads while we format */
	for (i = 0; i < v->nids; i++)
		if (send_reads(v, &p, v->ids[i], &v->a->err) ||
		    (i % 16 == 15 && sess_pipe_send(&p, &v->a->err)))
			goto done;
	v->now = sess_now_ms();
	for (i = 0; i < v->nids; i++) {
		redisReply *x = NULL, *z = NULL, *r;
		for (j = 0; j < NREAD + 1; j++) { /* +OK and QUEUED */
			if (sess_pipe_next(&p, &r, NULL, &v->a->err))
				goto done;
			freeReplyObject(r);
		}
		if (sess_pipe_next(&p, &x, NULL, &v->a->err))
			goto done;
		if (sess_pipe_next(&p, &z, NULL, &v->a->err)) {
			freeReplyObject(x);
			goto done;
		}
		if (x->type != REDIS_REPLY_ARRAY || x->elements != NREAD) {
			if (x->type == REDIS_REPLY_ERROR)
				sess_conn_reply_error(&v->a->conn, x, &v->a->err);
			else
				sess_reply_bad(&v->a->err, "EXEC");
			freeReplyObject(x);
			freeReplyObject(z);
			goto done;
		}
		v->sessions++;
		if (x->element[0]->type != REDIS_REPLY_ARRAY || x->element[0]->elements == 0) {
			if (v->explicit_ids)
				say(v, v->ids[i], "not_found", -1, "session %s not found (it never existed, expired or was deleted)",
				    v->ids[i]);
			else
				v->sessions--; /* gone since the scan saw it */
		} else {
			const char *ver = hget(x->element[0], SESS_S_F_VERSION), *base = hget(x->element[0], SESS_S_F_BASE);
			if (!ver || strcmp(ver, SESS_S_LAYOUT))
				say(v, v->ids[i], "layout", -1, "the session has layout %s; this sesskit reads layout %s",
				    ver ? ver : "none", SESS_S_LAYOUT);
			else if ((base && strtoll(base, NULL, 10) > 0) || x->element[1]->elements >= FAST_MAX ||
				 x->element[2]->elements >= FAST_MAX)
				memcpy(v->slow[v->nslow++], v->ids[i], sizeof v->slow[0]);
			else
				check_fast(v, v->ids[i], x, z);
		}
		freeReplyObject(x);
		freeReplyObject(z);
		if (v->a->out.closed)
			break;
	}
	rc = 0;
done:
	if (rc == 0 && sess_pipe_pending(&p)) {
		/* the reader went away mid-page: drop the rest */
		redisReply *r;
		while (sess_pipe_pending(&p) && !sess_pipe_next(&p, &r, NULL, &v->a->err))
			freeReplyObject(r);
	}
	sess_pipe_free(&p);
	for (i = 0; rc == 0 && i < v->nslow; i++)
		if (check_slow(v, v->slow[i]))
			rc = -1;
	v->nids = 0;
	if (rc == 0 && run_repairs(v))
		rc = -1;
	return rc;
}

static int add_id(struct run *v, const char *id, size_t len)
{
	if (len == 0 || len > SESS_ID_MAX)
		return 0;
	memcpy(v->ids[v->nids], id, len);
	v->ids[v->nids++][len] = '\0';
	if (v->nids >= (size_t)v->o->page)
		return check_page(v);
	return 0;
}

/* ---- --all: the keys of the prefix, the index, the counters ---- */

static int is_session_suffix(const char *s)
{
	return !strcmp(s, SESS_S_KEY_META) || !strcmp(s, SESS_S_KEY_EVENTS) || !strcmp(s, SESS_S_KEY_CHECKPOINTS) ||
	       !strcmp(s, SESS_S_KEY_EVENTIDS) || !strcmp(s, SESS_S_KEY_HISTORY);
}

static int is_global(const char *rest)
{
	return !strcmp(rest, SESS_S_KEY_INDEX) || !strcmp(rest, SESS_S_KEY_STATS) ||
	       !strcmp(rest, SESS_S_KEY_LAYOUT) || !strcmp(rest, SESS_S_KEY_AGENTS) ||
	       !strcmp(rest, SESS_S_KEY_REPLAYS) || !strncmp(rest, SESS_S_KEY_AGENT ":", sizeof SESS_S_KEY_AGENT) ||
	       !strncmp(rest, SESS_S_KEY_REPLAY ":", sizeof SESS_S_KEY_REPLAY);
}

/* Which of the n meta keys are missing: their indexes into miss
 * (*nmiss of them). One EXISTS of all of them counts them; only when the
 * count falls short is each asked on its own (a pipeline). */
static int missing_metas(struct run *v, char (*meta)[SESS_KEY_MAX], size_t n,
			 size_t *miss, size_t *nmiss)
{
	struct sess_pipe p;
	const char **argv;
	size_t *lens, i;
	redisReply *r;
	long tag;
	int rc = -1, all;

	*nmiss = 0;
	if (!n)
		return 0;
	argv = malloc((n + 1) * sizeof *argv);
	lens = malloc((n + 1) * sizeof *lens);
	if (!argv || !lens) {
		free(argv);
		free(lens);
		return sess_err_set(&v->a->err, SESS_E_INTERNAL, NULL, "out of memory");
	}
	argv[0] = "EXISTS";
	lens[0] = 6;
	for (i = 0; i < n; i++) {
		argv[i + 1] = meta[i];
		lens[i + 1] = strlen(meta[i]);
	}
	sess_pipe_init(&p, &v->a->conn);
	if (sess_pipe_argv(&p, -1, -1, (int)n + 1, argv, lens, &v->a->err) ||
	    sess_pipe_next(&p, &r, NULL, &v->a->err))
		goto done;
	all = r->type == REDIS_REPLY_INTEGER && (size_t)r->integer == n;
	freeReplyObject(r);
	for (i = 0; !all && i < n; i++) {
		const char *one[2] = {"EXISTS", meta[i]};
		size_t onel[2] = {6, lens[i + 1]};
		if (sess_pipe_argv(&p, -1, (long)i, 2, one, onel, &v->a->err))
			goto done;
	}
	while (sess_pipe_pending(&p)) {
		if (sess_pipe_next(&p, &r, &tag, &v->a->err))
			goto done;
		if (r->type == REDIS_REPLY_INTEGER && r->integer == 0)
			miss[(*nmiss)++] = (size_t)tag;
		freeReplyObject(r);
	}
	rc = 0;
done:
	free(argv);
	free(lens);
	sess_pipe_free(&p);
	return rc;
}

/* Keys of one SCAN page: sessions (their meta keys) to check, keys of a
 * session whose meta is gone (missing_metas), keys sesskit does not
 * write. */
static int scan_page(struct run *v, const redisReply *keys, size_t plen)
{
	char (*meta)[SESS_KEY_MAX] = NULL;
	size_t *at = NULL, *miss = NULL, i, n = 0, nmiss;
	int rc = -1;

	if (keys->elements &&
	    (!(meta = malloc(keys->elements * sizeof *meta)) || !(at = malloc(keys->elements * sizeof *at)) ||
	     !(miss = malloc(keys->elements * sizeof *miss)))) {
		sess_err_set(&v->a->err, SESS_E_INTERNAL, NULL, "out of memory");
		goto done;
	}
	for (i = 0; i < keys->elements; i++) {
		const char *key = keys->element[i]->str, *rest = key + plen, *close;
		char id[SESS_ID_MAX + 1];
		if (keys->element[i]->len <= plen)
			continue;
		if (rest[0] == '{' && (close = strchr(rest, '}')) && close[1] == ':' &&
		    (size_t)(close - rest - 1) <= SESS_ID_MAX && is_session_suffix(close + 2)) {
			if (!strcmp(close + 2, SESS_S_KEY_META))
				continue; /* checked below */
			memcpy(id, rest + 1, (size_t)(close - rest - 1));
			id[close - rest - 1] = '\0';
			sess_key_meta(meta[n], v->a->cfg.prefix, id);
			at[n++] = i;
		} else if (!is_global(rest)) {
			say(v, NULL, "unknown_key", -1, "%s has the prefix but is no key sesskit writes", key);
		}
	}
	if (missing_metas(v, meta, n, miss, &nmiss))
		goto done;
	for (i = 0; i < nmiss; i++)
		say(v, NULL, "orphan_key", -1, "%s belongs to no session (its meta hash is gone)",
		    keys->element[at[miss[i]]]->str);
	for (i = 0; i < keys->elements; i++) {
		const char *rest = keys->element[i]->str + plen, *close;
		size_t kn = keys->element[i]->len;
		if (kn > plen + 6 && rest[0] == '{' && !strcmp(keys->element[i]->str + kn - 6, "}:" SESS_S_KEY_META) &&
		    (close = strchr(rest, '}')) && close == keys->element[i]->str + kn - 6 &&
		    add_id(v, rest + 1, (size_t)(close - rest - 1)))
			goto done;
	}
	rc = 0;
done:
	free(meta);
	free(at);
	free(miss);
	return rc;
}

static int scan_keys(struct run *v)
{
	char pattern[SESS_KEY_MAX + 2], cursor[32] = "0";
	size_t plen = strlen(v->a->cfg.prefix) + 1;

	snprintf(pattern, sizeof pattern, "%s:*", v->a->cfg.prefix);
	do {
		redisReply *r = sess_conn_cmdf(&v->a->conn, &v->a->err, "SCAN %s MATCH %s COUNT 1000", cursor, pattern);
		int rc;
		if (!r)
			return -1;
		if (r->type != REDIS_REPLY_ARRAY || r->elements != 2 || r->element[1]->type != REDIS_REPLY_ARRAY) {
			freeReplyObject(r);
			return sess_reply_bad(&v->a->err, "SCAN");
		}
		snprintf(cursor, sizeof cursor, "%s", r->element[0]->str);
		rc = scan_page(v, r->element[1], plen);
		freeReplyObject(r);
		if (rc)
			return -1;
		if (cli_stop_signal() || v->a->out.closed)
			break;
	} while (strcmp(cursor, "0"));
	return check_page(v);
}

/* Index entries whose session is gone. */
static int scan_index(struct run *v)
{
	char idx[SESS_KEY_MAX], cursor[32] = "0";

	sess_key_index(idx, v->a->cfg.prefix);
	do {
		redisReply *r = sess_conn_cmdf(&v->a->conn, &v->a->err, "ZSCAN %s %s COUNT 500", idx, cursor), *m;
		char (*meta)[SESS_KEY_MAX] = NULL;
		size_t *at = NULL, *miss = NULL, i, n, nmiss = 0;
		int rc = 0;
		if (!r)
			return -1;
		if (r->type != REDIS_REPLY_ARRAY || r->elements != 2) {
			freeReplyObject(r);
			return sess_reply_bad(&v->a->err, "ZSCAN");
		}
		snprintf(cursor, sizeof cursor, "%s", r->element[0]->str);
		m = r->element[1];
		if (m->elements &&
		    (!(meta = malloc(m->elements * sizeof *meta)) || !(at = malloc(m->elements * sizeof *at)) ||
		     !(miss = malloc(m->elements * sizeof *miss))))
			rc = sess_err_set(&v->a->err, SESS_E_INTERNAL, NULL, "out of memory");
		for (i = 0, n = 0; i + 1 < m->elements && !rc; i += 2) {
			if (sess_key_check_id(m->element[i]->str, "session id", NULL)) {
				say(v, NULL, "index_orphan", -1, "the index holds \"%s\", which is no session id", m->element[i]->str);
				continue;
			}
			sess_key_meta(meta[n], v->a->cfg.prefix, m->element[i]->str);
			at[n++] = i;
		}
		if (!rc)
			rc = missing_metas(v, meta, n, miss, &nmiss);
		for (i = 0; !rc && i < nmiss; i++) {
			const char *id = m->element[at[miss[i]]]->str;
			say(v, id, "index_orphan", -1, "the index lists session %s, which does not exist", id);
			if (v->o->repair)
				repair("index_remove", id, idx, 3, "ZREM", idx, id);
		}
		free(meta);
		free(at);
		free(miss);
		meta = NULL;
		at = miss = NULL;
		if (!rc)
			rc = run_repairs(v);
		freeReplyObject(r);
		if (rc)
			return -1;
	} while (strcmp(cursor, "0"));
	return 0;
}

/* Counters that count less than the sessions stored hold. They count
 * what was ever made (expired sessions stay counted), so only a counter
 * below what is stored now is drift. */
static int check_stats(struct run *v)
{
	char key[SESS_KEY_MAX], num[32];
	redisReply *h;
	const cJSON *t;

	sess_key_stats(key, v->a->cfg.prefix);
	if (!(h = sess_conn_cmdf(&v->a->conn, &v->a->err, "HGETALL %s", key)))
		return -1;
	{
		const char *s = hget(h, SESS_S_STAT_SESSIONS), *d = hget(h, SESS_S_STAT_DELETED);
		const char *c = hget(h, SESS_S_STAT_COMPLETED), *e = hget(h, SESS_S_STAT_EVENTS);
		long long sv = s ? strtoll(s, NULL, 10) : 0, dv = d ? strtoll(d, NULL, 10) : 0;
		long long cv = c ? strtoll(c, NULL, 10) : 0, ev = e ? strtoll(e, NULL, 10) : 0;
		if (sv - dv < v->live) {
			say(v, NULL, "stats_drift", -1, "%s counts %lld sessions made and %lld deleted, but %lld are stored",
			    key, sv, dv, v->live);
			snprintf(num, sizeof num, "%lld", v->live - (sv - dv));
			if (v->o->repair)
				repair("stats", NULL, key, 4, "HINCRBY", key, SESS_S_STAT_SESSIONS, num);
		}
		if (cv < v->completed) {
			say(v, NULL, "stats_drift", -1, "%s counts %lld completed sessions, but %lld are stored", key, cv,
			    v->completed);
			snprintf(num, sizeof num, "%lld", v->completed - cv);
			if (v->o->repair)
				repair("stats", NULL, key, 4, "HINCRBY", key, SESS_S_STAT_COMPLETED, num);
		}
		if (ev < v->events) {
			say(v, NULL, "stats_drift", -1, "%s counts %lld events, but the stored sessions hold %lld", key, ev,
			    v->events);
			snprintf(num, sizeof num, "%lld", v->events - ev);
			if (v->o->repair)
				repair("stats", NULL, key, 4, "HINCRBY", key, SESS_S_STAT_EVENTS, num);
		}
	}
	cJSON_ArrayForEach(t, v->types) {
		char field[SESS_S_TYPE_MAX + 8];
		const char *c;
		long long have;
		snprintf(field, sizeof field, SESS_S_STAT_TYPE_PREFIX "%s", t->string);
		c = hget(h, field);
		have = c ? strtoll(c, NULL, 10) : 0;
		if (have < (long long)t->valuedouble) {
			say(v, NULL, "stats_drift", -1, "%s counts %lld events of type %s, but the stored sessions hold %.0f", key,
			    have, t->string, t->valuedouble);
			snprintf(num, sizeof num, "%lld", (long long)t->valuedouble - have);
			if (v->o->repair)
				repair("stats", NULL, key, 4, "HINCRBY", key, field, num);
		}
	}
	freeReplyObject(h);
	return run_repairs(v);
}

/* ---- ids from stdin: JSON lines ({"id":...} or "id") or bare words ---- */

static int read_ids(struct run *v, FILE *in)
{
	char line[4096];

	while (fgets(line, sizeof line, in)) {
		char *s = line, *e;
		line[strcspn(line, "\r\n")] = '\0';
		while (*s == ' ' || *s == '\t')
			s++;
		if (*s == '{' || *s == '"') {
			cJSON *j = cJSON_Parse(s);
			const char *id = cJSON_IsString(j) ? j->valuestring
				       : cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(j, "id"));
			int rc = 0;
			if (id && !sess_key_check_id(id, "session id", &v->a->err))
				rc = add_id(v, id, strlen(id));
			else if (id || !j)
				say(v, id ? id : NULL, "not_found", -1, "\"%.60s\" is no session id", s);
			cJSON_Delete(j);
			if (rc)
				return -1;
			continue;
		}
		for (e = s + strlen(s); e > s && (e[-1] == ' ' || e[-1] == '\t');)
			*--e = '\0';
		if (!*s)
			continue;
		if (sess_key_check_id(s, "session id", &v->a->err)) {
			say(v, NULL, "not_found", -1, "%s", v->a->err.msg);
			continue;
		}
		if (add_id(v, s, strlen(s)))
			return -1;
	}
	return 0;
}

int cmd_sessions(struct cli_app *a, void *opts, int argc, char **argv)
{
	struct sessions_opts *o = opts;
	struct report r;
	struct run v;
	int rc, i;

	if (o->all == (argc > 0))
		return cli_usage_error(a, "give session ids (- reads them from stdin), or --all");
	if (o->dry_run && !o->repair)
		return cli_usage_error(a, "--dry-run goes with --repair");
	if ((rc = report_init(&r, a, o->format, o->strict, "sessions")))
		return rc;
	for (i = 0; i < argc; i++)
		if (strcmp(argv[i], "-") && sess_key_check_id(argv[i], "session id", &a->err))
			return cli_usage_error(a, "%s", a->err.msg);
	if ((rc = cli_connect(a)))
		return rc;
	/* the layout marker: refuse a database of another layout at once */
	if (sess_check_layout(&a->ctx, &a->err))
		return cli_app_fail(a);
	memset(&v, 0, sizeof v);
	v.a = a;
	v.r = &r;
	v.o = o;
	v.explicit_ids = !o->all;
	v.ids = malloc((size_t)o->page * sizeof *v.ids);
	v.slow = malloc((size_t)o->page * sizeof *v.slow);
	if (!v.ids || !v.slow) {
		free(v.ids);
		free(v.slow);
		return sess_err_set(&a->err, SESS_E_INTERNAL, NULL, "out of memory"), cli_app_fail(a);
	}
	cli_catch_stop_signals();
	rc = 0;
	if (o->all) {
		v.types = cJSON_CreateObject();
		rc = scan_keys(&v);
		if (!rc && !cli_stop_signal())
			rc = scan_index(&v);
		if (!rc && !cli_stop_signal())
			rc = check_stats(&v);
	} else {
		for (i = 0; !rc && i < argc; i++)
			rc = !strcmp(argv[i], "-") ? read_ids(&v, stdin) : add_id(&v, argv[i], strlen(argv[i]));
		if (!rc)
			rc = check_page(&v);
	}
	cJSON_Delete(v.types);
	free(v.ids);
	free(v.slow);
	if (rc) {
		report_end(&r);
		return cli_app_fail(a);
	}
	rc = report_end(&r);
	if (cli_stop_signal())
		return cli_signal_exit();
	return rc;
}
