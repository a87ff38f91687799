#include "core/history/fold.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/base/jscan.h"
#include "core/base/schema.h"

void sess_fold_init(struct sess_fold *f, const char *id, int chained)
{
	memset(f, 0, sizeof *f);
	snprintf(f->id, sizeof f->id, "%s", id ? id : "");
	f->chained = chained;
}

void sess_fold_free(struct sess_fold *f)
{
	free(f->agents);
	free(f->metadata);
	f->agents = NULL;
	f->metadata = NULL;
	f->nagents = f->cap = 0;
}

static int chain_link(struct sess_fold *f, const char *text, size_t len, struct sess_err *err)
{
	if (f->chained && sess_sha1_link(f->chain, text, len, f->chain))
		return sess_err_set(err, SESS_E_INTERNAL, NULL,
				    "libcrypto gave no SHA-1 for the hash chain (out of memory, or an OpenSSL configuration without SHA-1)");
	return 0;
}

int sess_fold_event(struct sess_fold *f, const char *text, size_t len,
		    struct sess_err *err)
{
	struct sess_fold_ev ev;

	if (sess_fold_scan(text, len, &ev, err))
		return -1;
	return sess_fold_event_ev(f, &ev, text, len, err);
}

int sess_fold_event_ev(struct sess_fold *f, const struct sess_fold_ev *evp,
		       const char *text, size_t len, struct sess_err *err)
{
	struct sess_fold_ev ev = *evp;

	if (f->events == 0 && !f->known && f->seq == 0 && ev.seq > 1) {
		/* a trimmed log folded without its checkpoint: start there */
		f->base = f->seq = ev.seq - 1;
	}
	if (ev.seq != f->seq + 1)
		return sess_err_set(err, SESS_E_DATA, "seq_gap",
				    "event seq %lld follows seq %lld; the log has a gap or a repeat",
				    ev.seq, f->seq);
	f->seq = ev.seq;
	f->updated = ev.ts;
	if (ev.to && ev.to_len < sizeof f->state) {
		memcpy(f->state, ev.to, ev.to_len);
		f->state[ev.to_len] = '\0';
	}
	f->events++;
	/* events before a history starts (an upgraded session's) are not
	 * chained: the chain begins at the upgrade record */
	if (f->known)
		return chain_link(f, text, len, err);
	return 0;
}

static int agent_find(const struct sess_fold *f, const char *id)
{
	size_t i;

	for (i = 0; i < f->nagents; i++)
		if (!strcmp(f->agents[i].id, id))
			return (int)i;
	return -1;
}

int sess_fold_has_agent(const struct sess_fold *f, const char *id, size_t len)
{
	size_t i;

	for (i = 0; i < f->nagents; i++)
		if (strlen(f->agents[i].id) == len && !memcmp(f->agents[i].id, id, len))
			return 1;
	return 0;
}

static int agent_add(struct sess_fold *f, const char *id, long long joined, struct sess_err *err)
{
	if (agent_find(f, id) >= 0)
		return 0;
	if (f->nagents == f->cap) {
		/* 4 first: 4 x 144 bytes is a small request to malloc; 8 made
		 * it a large one, which consolidates every freed small chunk
		 * first (a twentieth of an import's CPU, once per session) */
		size_t cap = f->cap ? 2 * f->cap : 4;
		struct sess_fold_agent *a = realloc(f->agents, cap * sizeof *a);
		if (!a)
			return sess_err_set(err, SESS_E_INTERNAL, NULL, "out of memory");
		f->agents = a;
		f->cap = cap;
	}
	snprintf(f->agents[f->nagents].id, sizeof f->agents[0].id, "%s", id);
	f->agents[f->nagents++].joined = joined;
	return 0;
}

static void agent_del(struct sess_fold *f, const char *id)
{
	int i = agent_find(f, id);

	if (i < 0)
		return;
	memmove(&f->agents[i], &f->agents[i + 1], (f->nagents - (size_t)i - 1) * sizeof f->agents[0]);
	f->nagents--;
}

static const char *sget(const cJSON *o, const char *k)
{
	return cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, k));
}

/* A number, or def; one out of range (1e300) does not convert: taken as
 * absent. */
static long long num(const cJSON *v, long long def)
{
	return cJSON_IsNumber(v) && v->valuedouble >= -(double)SESS_S_SEQ_MAX &&
			       v->valuedouble <= (double)SESS_S_SEQ_MAX
		       ? (long long)v->valuedouble : def;
}

static long long nget(const cJSON *o, const char *k, long long def)
{
	return num(cJSON_GetObjectItemCaseSensitive(o, k), def);
}

/* A record's whole-number field k into *out: 0 if absent (*out as it
 * was) or a whole number in 0..2^53-1; -1 for anything else (1e300, 0.5,
 * -1, "5"), which is damage: never a default. */
static int wnum(const cJSON *v, long long *out)
{
	if (!v)
		return 0;
	if (!cJSON_IsNumber(v) || !(v->valuedouble >= 0 && v->valuedouble <= (double)SESS_S_SEQ_MAX) ||
	    (double)(long long)v->valuedouble != v->valuedouble)
		return -1;
	*out = (long long)v->valuedouble;
	return 0;
}

static int set_metadata(struct sess_fold *f, const cJSON *m, struct sess_err *err)
{
	free(f->metadata);
	f->metadata = NULL;
	if (!m)
		return 0;
	if (!(f->metadata = cJSON_PrintUnformatted(m)))
		return sess_err_set(err, SESS_E_INTERNAL, NULL, "out of memory");
	return 0;
}

/* The members of a record's or checkpoint's "agents" array. */
static int set_agents(struct sess_fold *f, const cJSON *arr, long long joined, struct sess_err *err)
{
	const cJSON *it;

	f->nagents = 0;
	cJSON_ArrayForEach(it, arr)
		if (cJSON_IsString(it) && agent_add(f, it->valuestring, joined, err))
			return -1;
	return 0;
}

/* The members sess_fold_record reads, found in one pass over a record's
 * members (the first of a name, as cJSON_GetObjectItemCaseSensitive
 * would) rather than one search by strcmp per name: every history
 * record passes here. All NULL for anything but an object. */
struct rec_fields {
	const cJSON *k, *at, *ts, *created, *ttl, *base, *n, *a, *state, *creator, *agents, *m;
};

static void rec_pick(const cJSON *r, struct rec_fields *f)
{
	const cJSON *it;

	memset(f, 0, sizeof *f);
	for (it = cJSON_IsObject(r) ? r->child : NULL; it && it->string; it = it->next) {
		const char *k = it->string;
		const cJSON **slot = NULL;
		switch (k[0]) {
		case 'k':
			slot = !k[1] ? &f->k : NULL;
			break;
		case 'a':
			slot = !k[1] ? &f->a : !strcmp(k, "at") ? &f->at : !strcmp(k, "agents") ? &f->agents : NULL;
			break;
		case 't':
			slot = !strcmp(k, "ts") ? &f->ts : !strcmp(k, "ttl") ? &f->ttl : NULL;
			break;
		case 'c':
			slot = !strcmp(k, "created") ? &f->created : !strcmp(k, "creator") ? &f->creator : NULL;
			break;
		case 'b':
			slot = !strcmp(k, "base") ? &f->base : NULL;
			break;
		case 'n':
			slot = !k[1] ? &f->n : NULL;
			break;
		case 's':
			slot = !strcmp(k, "state") ? &f->state : NULL;
			break;
		case 'm':
			slot = !k[1] ? &f->m : NULL;
			break;
		}
		if (slot && !*slot)
			*slot = it;
	}
}

/* The record applied to f (vals read by sess_fold_rec_spans or the tree). */
static int rec_apply(struct sess_fold *f, const struct sess_fold_rec *V, const char *text, size_t len,
		     struct sess_err *err)
{
	const char *k = V->k, *a = V->a;
	long long ts = V->ts, at = V->at, created = V->created, ttl = V->ttl, base = V->base, n = V->n;
	int rc = 0;

	if (at != f->seq && strcmp(k, "create") != 0)
		return sess_err_set(err, SESS_E_DATA, "seq_gap",
				    "a %s record at seq %lld comes after seq %lld; history and log disagree (an event is missing or extra)",
				    k, at, f->seq);
	if (!strcmp(k, "create") || !strcmp(k, "upgrade")) {
		int up = k[0] == 'u';
		f->known = 1;
		snprintf(f->state, sizeof f->state, "%s", up ? (V->state ? V->state : "") : SESS_S_WORKING);
		snprintf(f->creator, sizeof f->creator, "%s", up ? (V->creator ? V->creator : "") : (a ? a : ""));
		f->created = up ? (created < 0 ? 0 : created) : ts;
		f->ttl = ttl < 0 ? 0 : ttl;
		if (!up) {
			f->updated = ts;
			f->nagents = 0;
			if (a)
				rc = agent_add(f, a, ts, err);
		} else {
			if (base >= 0)
				f->base = base;
			rc = set_agents(f, V->agents, 0, err);
		}
		if (!rc)
			rc = set_metadata(f, V->m, err);
		if (up)
			f->chain[0] = '\0'; /* the chain starts here */
	} else if (!f->known) {
		rc = sess_err_set(err, SESS_E_DATA, "no_history",
				  "a %s record comes before the session's create or upgrade record", k);
	} else if (!strcmp(k, "join") && a) {
		rc = agent_add(f, a, ts, err);
		f->updated = ts;
	} else if (!strcmp(k, "leave") && a) {
		agent_del(f, a);
		f->updated = ts;
	} else if (!strcmp(k, "complete")) {
		snprintf(f->state, sizeof f->state, "%s", SESS_S_COMPLETED);
		f->updated = ts;
		f->completed_at = ts;
	} else if (!strcmp(k, "touch")) {
		if (ttl >= 0)
			f->ttl = ttl;
	} else if (!strcmp(k, "checkpoint")) {
		f->cps = n < 0 ? f->cps + 1 : n;
	} else if (!strcmp(k, "trim")) {
		/* the log's first events are gone; the state is unchanged */
	} else if (!strcmp(k, "fork")) {
		/* a fork's first own record: where it came from; no change */
	} else {
		rc = sess_fold_damaged(err, "history record of an unknown kind", text, len);
	}
	if (rc)
		return -1;
	f->records++;
	return chain_link(f, text, len, err);
}

int sess_fold_record(struct sess_fold *f, const char *text, size_t len,
		     struct sess_err *err)
{
	char kbuf[32], abuf[SESS_ID_MAX + 1];
	struct rec_fields F;
	struct sess_fold_rec V;
	cJSON *r;
	int rc;

	if (!sess_fold_rec_spans(text, len, &V, kbuf, sizeof kbuf, abuf, sizeof abuf))
		return rec_apply(f, &V, text, len, err);
	r = cJSON_ParseWithLength(text, len);
	rec_pick(r, &F);
	if (r && sess_jscan_dup(text, len) != 0) {
		cJSON_Delete(r);
		return sess_fold_twice(err, "history record", text, len);
	}
	/* at and ts required; every whole number read checked before any is
	 * applied (-1: absent) */
	memset(&V, 0, sizeof V);
	V.at = V.ts = V.created = V.ttl = V.base = V.n = -1;
	V.k = cJSON_GetStringValue(F.k);
	if (!cJSON_IsObject(r) || !V.k || wnum(F.at, &V.at) || wnum(F.ts, &V.ts) || V.at < 0 ||
	    V.ts < 0 || wnum(F.created, &V.created) || wnum(F.ttl, &V.ttl) ||
	    wnum(F.base, &V.base) || wnum(F.n, &V.n)) {
		cJSON_Delete(r);
		return sess_fold_damaged(err, "history record", text, len);
	}
	V.a = cJSON_GetStringValue(F.a);
	V.state = cJSON_GetStringValue(F.state);
	V.creator = cJSON_GetStringValue(F.creator);
	V.agents = F.agents;
	V.m = F.m;
	rc = rec_apply(f, &V, text, len, err);
	cJSON_Delete(r); /* V's strings point into it */
	return rc;
}

int sess_fold_from_checkpoint(struct sess_fold *f, const cJSON *cp, struct sess_err *err)
{
	const char *state = sget(cp, "state"), *ch = sget(cp, "ch"), *creator = sget(cp, "creator");

	if (!state || !cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(cp, "seq")) || !creator)
		return sess_err_set(err, SESS_E_DATA, "corrupt_checkpoint",
				    "a stored checkpoint lacks its state, seq or creator");
	f->known = 1;
	snprintf(f->state, sizeof f->state, "%s", state);
	snprintf(f->creator, sizeof f->creator, "%s", creator);
	f->seq = f->base = nget(cp, "seq", 0);
	f->created = nget(cp, "created", 0);
	f->updated = nget(cp, "timestamp", 0);
	f->ttl = nget(cp, "ttl", 0);
	/* the checkpoint's own record comes next: cps is one before it */
	f->cps = nget(cp, "id", 1) - 1;
	snprintf(f->chain, sizeof f->chain, "%s", ch ? ch : "");
	if (set_agents(f, cJSON_GetObjectItemCaseSensitive(cp, "agents"), 0, err))
		return -1;
	return set_metadata(f, cJSON_GetObjectItemCaseSensitive(cp, "metadata"), err);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

void sess_fold_digest(const struct sess_fold *f, char out[SESS_SHA1_HEX])
{
	/* the digest's input in one buffer, hashed in one call on the
	 * thread's kept context (every checkpoint checked passes here):
	 * on the stack for a few members, else allocated */
	enum { FEW_AGENTS = 16 };
	const char *few[FEW_AGENTS], **names = f->nagents <= FEW_AGENTS ? few : malloc(f->nagents * sizeof *names);
	char stack[FEW_AGENTS * (SESS_ID_MAX + 1) + 2 * SESS_ID_MAX + 128], *buf = stack, *p;
	size_t i, cap = sizeof stack;

	if (f->nagents > FEW_AGENTS) {
		cap = f->nagents * (SESS_ID_MAX + 1) + 2 * SESS_ID_MAX + 128;
		buf = names ? malloc(cap) : NULL;
	}
	if (!names || !buf) { /* out of memory: a digest no stored one equals */
		out[0] = '\0';
		goto done;
	}
	p = buf + snprintf(buf, cap, "%s\n%lld\n%s\n%lld\n%lld\n", f->state, f->seq, f->creator, f->created, f->ttl);
	for (i = 0; i < f->nagents; i++)
		names[i] = f->agents[i].id;
	qsort(names, f->nagents, sizeof *names, cmp_str);
	for (i = 0; i < f->nagents; i++) {
		size_t n = strlen(names[i]);
		if (i)
			*p++ = ',';
		memcpy(p, names[i], n);
		p += n;
	}
	sess_sha1_hex_of(buf, (size_t)(p - buf), out);
done:
	if (names != few)
		free(names);
	if (buf != stack)
		free(buf);
}

cJSON *sess_fold_json(const struct sess_fold *f)
{
	cJSON *o = cJSON_CreateObject(), *agents;
	size_t i;

	if (!o)
		return NULL;
	cJSON_AddStringToObject(o, "id", f->id);
	cJSON_AddStringToObject(o, "state", f->known ? f->state : "unknown");
	cJSON_AddNumberToObject(o, "seq", (double)f->seq);
	if (f->known) {
		cJSON_AddNumberToObject(o, "created", (double)f->created);
		cJSON_AddNumberToObject(o, "updated", (double)f->updated);
		cJSON_AddNumberToObject(o, "ttl", (double)f->ttl);
		cJSON_AddStringToObject(o, "creator", f->creator);
	}
	cJSON_AddNumberToObject(o, "checkpoints", (double)f->cps);
	cJSON_AddNumberToObject(o, "firstSeq", (double)(f->base + 1));
	agents = cJSON_AddArrayToObject(o, "agents");
	for (i = 0; agents && i < f->nagents; i++) {
		cJSON *a = cJSON_CreateObject();
		cJSON_AddStringToObject(a, "id", f->agents[i].id);
		if (f->agents[i].joined)
			cJSON_AddNumberToObject(a, "joined", (double)f->agents[i].joined);
		cJSON_AddItemToArray(agents, a);
	}
	if (f->metadata) {
		cJSON *m = cJSON_Parse(f->metadata);
		if (m)
			cJSON_AddItemToObject(o, "metadata", m);
	}
	return o;
}

cJSON *sess_fold_snapshot(const struct sess_fold *f)
{
	cJSON *o = cJSON_CreateObject(), *agents;
	size_t i;

	if (!o)
		return NULL;
	/* id, state and chain always; the rest only when not zero, which
	 * sess_fold_restore takes as the default (the first block of every
	 * replay holds the empty fold: a short session's replay is mostly
	 * that block) */
#define NUM(name, v) \
	do { \
		if (v) \
			cJSON_AddNumberToObject(o, name, (double)(v)); \
	} while (0)
	cJSON_AddStringToObject(o, "id", f->id);
	if (f->known)
		cJSON_AddBoolToObject(o, "known", 1);
	cJSON_AddStringToObject(o, "state", f->state);
	NUM("seq", f->seq);
	NUM("base", f->base);
	NUM("created", f->created);
	NUM("updated", f->updated);
	NUM("ttl", f->ttl);
	if (f->creator[0])
		cJSON_AddStringToObject(o, "creator", f->creator);
	NUM("cps", f->cps);
	NUM("events", f->events);
	NUM("records", f->records);
	NUM("completedAt", f->completed_at);
#undef NUM
	cJSON_AddStringToObject(o, "chain", f->chain);
	if (f->nagents) {
		agents = cJSON_AddArrayToObject(o, "agents");
		for (i = 0; agents && i < f->nagents; i++) {
			cJSON *a = cJSON_CreateArray();
			cJSON_AddItemToArray(a, cJSON_CreateString(f->agents[i].id));
			cJSON_AddItemToArray(a, cJSON_CreateNumber((double)f->agents[i].joined));
			cJSON_AddItemToArray(agents, a);
		}
	}
	if (f->metadata)
		cJSON_AddStringToObject(o, "metadata", f->metadata);
	return o;
}

int sess_fold_restore(struct sess_fold *f, const cJSON *snap, int chained,
		      struct sess_err *err)
{
	const cJSON *it;

	sess_fold_init(f, sget(snap, "id"), chained);
	if (!cJSON_IsObject(snap) || !sget(snap, "state") || !sget(snap, "chain"))
		return sess_err_set(err, SESS_E_DATA, "corrupt_replay",
				    "a replay block's snapshot is damaged");
	f->known = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(snap, "known"));
	snprintf(f->state, sizeof f->state, "%s", sget(snap, "state"));
	snprintf(f->creator, sizeof f->creator, "%s", sget(snap, "creator") ? sget(snap, "creator") : "");
	snprintf(f->chain, sizeof f->chain, "%s", sget(snap, "chain"));
	f->seq = nget(snap, "seq", 0);
	f->base = nget(snap, "base", 0);
	f->created = nget(snap, "created", 0);
	f->updated = nget(snap, "updated", 0);
	f->ttl = nget(snap, "ttl", 0);
	f->cps = nget(snap, "cps", 0);
	f->events = nget(snap, "events", 0);
	f->records = nget(snap, "records", 0);
	f->completed_at = nget(snap, "completedAt", 0);
	cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(snap, "agents")) {
		const cJSON *id = cJSON_GetArrayItem(it, 0);
		if (cJSON_IsString(id) && agent_add(f, id->valuestring, num(cJSON_GetArrayItem(it, 1), 0), err))
			return -1;
	}
	if (sget(snap, "metadata") && !(f->metadata = strdup(sget(snap, "metadata"))))
		return sess_err_set(err, SESS_E_INTERNAL, NULL, "out of memory");
	return 0;
}
