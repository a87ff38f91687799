#include "core/history/integrity.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/base/jscan.h"
#include "core/model/json.h"
#include "core/base/schema.h"

static void say(sess_integrity_fn fn, void *arg, const char *code, long long seq, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
static void say(sess_integrity_fn fn, void *arg, const char *code, long long seq, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	fn(code, seq, msg, arg);
}

static int cmp_name(const void *x, const void *y)
{
	return strcmp(*(const char *const *)x, *(const char *const *)y);
}

/* The members' names, sorted, as a JSON array (how a checkpoint lists them). */
static cJSON *sorted_names(const struct sess_fold *f)
{
	cJSON *a = cJSON_CreateArray();
	const char **ids = f->nagents ? malloc(f->nagents * sizeof *ids) : NULL;
	size_t i;

	for (i = 0; ids && i < f->nagents; i++)
		ids[i] = f->agents[i].id;
	if (ids)
		qsort(ids, f->nagents, sizeof *ids, cmp_name);
	for (i = 0; ids && i < f->nagents; i++)
		cJSON_AddItemToArray(a, cJSON_CreateString(ids[i]));
	free(ids);
	return a;
}

/* Whether a checkpoint's "agents" (a) is the members' names sorted,
 * without building and printing both (every checkpoint passes here): an
 * array of as many strings as members, strictly ascending (so distinct),
 * each a member's name. 0 is "not shown equal": the caller compares the
 * printed forms, which decide. */
static int same_names(const struct sess_fold *f, const cJSON *a)
{
	const cJSON *it;
	const char *prev = NULL;
	size_t n = 0, i;

	if (!cJSON_IsArray(a) || f->nagents > 64)
		return 0;
	for (it = a->child; it; it = it->next, n++) {
		if (n >= f->nagents || !cJSON_IsString(it) || (prev && strcmp(prev, it->valuestring) >= 0))
			return 0;
		for (i = 0; i < f->nagents && strcmp(f->agents[i].id, it->valuestring); i++)
			;
		if (i == f->nagents)
			return 0;
		prev = it->valuestring;
	}
	return n == f->nagents;
}

/* The members a checkpoint's checks read, found in one pass over its
 * members (the first of a name, as cJSON_GetObjectItemCaseSensitive
 * would; a stored checkpoint naming one twice is refused before) rather
 * than one search by strcmp per name. */
struct cp_fields {
	const cJSON *sd, *ch, *agents, *state, *seq, *created, *ttl, *creator, *metadata;
};

static void cp_pick(const cJSON *cp, struct cp_fields *f)
{
	const cJSON *it;

	memset(f, 0, sizeof *f);
	for (it = cJSON_IsObject(cp) ? cp->child : NULL; it && it->string; it = it->next) {
		const char *k = it->string;
		const cJSON **slot = NULL;
		switch (k[0]) {
		case 's':
			slot = !strcmp(k, "sd") ? &f->sd : !strcmp(k, "state") ? &f->state : !strcmp(k, "seq") ? &f->seq : NULL;
			break;
		case 'c':
			slot = !strcmp(k, "ch") ? &f->ch : !strcmp(k, "created") ? &f->created
							 : !strcmp(k, "creator") ? &f->creator : NULL;
			break;
		case 'a':
			slot = !strcmp(k, "agents") ? &f->agents : NULL;
			break;
		case 't':
			slot = !strcmp(k, "ttl") ? &f->ttl : NULL;
			break;
		case 'm':
			slot = !strcmp(k, "metadata") ? &f->metadata : NULL;
			break;
		}
		if (slot && !*slot)
			*slot = it;
	}
}

/* Stored checkpoint n (cp: its tree, or anything else when its text
 * could not be read) against the fold: the one implementation of the
 * checkpoint's checks, for the tree and the text entry points alike. */
static long check_cp(const struct sess_fold *before, const char *chain_before, long long n,
		     const cJSON *cp, sess_integrity_fn fn, void *arg)
{
	char sd[SESS_SHA1_HEX];
	const cJSON *v;
	struct cp_fields F;
	cJSON *agents;
	char *got, *want;
	long found = 0;

	if (!cJSON_IsObject(cp)) { /* the reader could not take its text */
		say(fn, arg, "corrupt_record", before->seq,
		    "stored checkpoint %lld is not a JSON object, or names a key twice", n);
		return 1;
	}
	cp_pick(cp, &F);
	sess_fold_digest(before, sd);
	v = F.sd;
	if (!cJSON_IsString(v) || strcmp(v->valuestring, sd)) {
		say(fn, arg, "checkpoint_mismatch", before->seq,
		    "checkpoint %lld does not hold the state folded up to seq %lld (state digest %s, stored %s)",
		    n, before->seq, sd, cJSON_IsString(v) ? v->valuestring : "none");
		found++;
	}
	v = F.ch;
	if (!cJSON_IsString(v) || strcmp(v->valuestring, chain_before)) {
		say(fn, arg, "chain_mismatch", before->seq,
		    "checkpoint %lld's chain digest is not the chain of the records before it", n);
		found++;
	}
	/* the plain fields too, so a finding names what differs (a
	 * checkpoint lists its agents sorted) */
	v = F.agents;
	if (!same_names(before, v)) { /* printed only to tell what differs */
		agents = sorted_names(before);
		got = cJSON_PrintUnformatted(agents);
		want = cJSON_PrintUnformatted(v);
		if (!got || !want || strcmp(got, want)) {
			say(fn, arg, "checkpoint_mismatch", before->seq, "checkpoint %lld lists agents %s; the history has %s",
			    n, want ? want : "none", got ? got : "none");
			found++;
		}
		cJSON_free(got);
		cJSON_free(want);
		cJSON_Delete(agents);
	}
	v = F.state;
	if (!cJSON_IsString(v) || strcmp(v->valuestring, before->state)) {
		say(fn, arg, "checkpoint_mismatch", before->seq, "checkpoint %lld holds state %s; the history has %s",
		    n, cJSON_IsString(v) ? v->valuestring : "none", before->state);
		found++;
	}
	/* and the rest of what it holds: a saved replay rebuilds checkpoints
	 * from the fold, so nothing a checkpoint says may differ from it */
	{
		static const char *const nums[] = {"seq", "created", "ttl"};
		const long long want_n[] = {before->seq, before->created, before->ttl};
		const cJSON *got_n[] = {F.seq, F.created, F.ttl};
		cJSON *md = before->metadata ? cJSON_Parse(before->metadata) : NULL;
		size_t i;
		for (i = 0; i < 3; i++) {
			v = got_n[i];
			if (!cJSON_IsNumber(v) || v->valuedouble != (double)want_n[i]) { /* 1e300 does not convert */
				say(fn, arg, "checkpoint_mismatch", before->seq,
				    "checkpoint %lld holds %s %.0f; the history has %lld", n, nums[i],
				    cJSON_IsNumber(v) ? v->valuedouble : -1.0, want_n[i]);
				found++;
			}
		}
		v = F.creator;
		if (!cJSON_IsString(v) || strcmp(v->valuestring, before->creator)) {
			say(fn, arg, "checkpoint_mismatch", before->seq, "checkpoint %lld names creator %s; the history has %s",
			    n, cJSON_IsString(v) ? v->valuestring : "none", before->creator);
			found++;
		}
		v = F.metadata;
		if (!(md ? v && cJSON_Compare(md, v, 1) : !v)) {
			say(fn, arg, "checkpoint_mismatch", before->seq,
			    "checkpoint %lld holds other metadata than the history's", n);
			found++;
		}
		cJSON_Delete(md);
	}
	return found;
}

static long missing(const struct sess_fold *before, long long n, sess_integrity_fn fn, void *arg)
{
	say(fn, arg, "checkpoint_missing", before->seq, "the history records checkpoint %lld, which is not stored", n);
	return 1;
}

long sess_integrity_checkpoint(const struct sess_fold *before, const char *chain_before, long long n,
			       cJSON *cps, sess_integrity_fn fn, void *arg)
{
	char key[24];
	const cJSON *cp;
	long found;

	snprintf(key, sizeof key, "%lld", n);
	if (!(cp = cJSON_GetObjectItemCaseSensitive(cps, key)))
		return missing(before, n, fn, arg);
	found = check_cp(before, chain_before, n, cp, fn, arg);
	cJSON_DeleteItemFromObjectCaseSensitive(cps, key); /* seen */
	return found;
}

/* A string member's raw contents are want (no escape can be in them:
 * cp_fast refuses a text with a backslash). */
static int span_is(const char *v, const char *ve, const char *want)
{
	const char *s;
	size_t n;

	return !sess_jscan_str(v, ve, &s, &n) && strlen(want) == n && !memcmp(s, want, n);
}

/* The agents array's span lists the members' names sorted, as same_names
 * decides it for the tree: strings only, strictly ascending, each a
 * member, as many as members (at most 64). */
static int span_names(const struct sess_fold *f, const char *p, const char *ve)
{
	const char *prev = NULL, *q;
	size_t prevn = 0, n = 0, len;

	if (f->nagents > 64 || p >= ve || *p++ != '[')
		return 0;
	for (;;) {
		while (p < ve && strchr(" \t\r\n", *p))
			p++;
		if (p < ve && *p == ']' && n == 0 && p + 1 == ve)
			break;
		if (p >= ve || *p != '"' || !(q = memchr(p + 1, '"', (size_t)(ve - p - 1))))
			return 0;
		len = (size_t)(q - p - 1);
		if (n >= f->nagents || !sess_fold_has_agent(f, p + 1, len))
			return 0;
		if (prev) { /* strcmp(prev, this) < 0, as for NUL-free strings */
			int c = memcmp(prev, p + 1, prevn < len ? prevn : len);
			if (c > 0 || (c == 0 && prevn >= len))
				return 0;
		}
		prev = p + 1;
		prevn = len;
		n++;
		for (p = q + 1; p < ve && strchr(" \t\r\n", *p); p++)
			;
		if (p < ve && *p == ',') {
			p++;
			continue;
		}
		if (p + 1 == ve && *p == ']')
			break;
		return 0;
	}
	return n == f->nagents;
}

/* 0 when checkpoint text (its exact stored bytes) is shown, from its
 * spans, to hold all that check_cp compares and equal to it: a flat
 * object (scalars, the agents array; metadata byte for byte the fold's),
 * with no escape, no NUL, each key once, nothing after it; cJSON then
 * reads it as an object with the same values and check_cp would find
 * nothing. 1 for anything else: check_cp decides and names it. */
static int cp_fast(const struct sess_fold *before, const char *chain_before, const char *text, size_t len)
{
	enum { SD, CH, AGENTS, STATE, SEQ, CREATED, TTL, CREATOR, METADATA, NF };
	static const char *const names[NF] = {"sd", "ch", "agents", "state", "seq", "created", "ttl", "creator", "metadata"};
	const char *vs[NF] = {NULL}, *ves[NF] = {NULL}, *k, *v, *ve;
	struct sess_jscan_keys met = {0};
	size_t kl, i, j;
	char sd[SESS_SHA1_HEX];
	struct sess_jscan js;
	long long x;
	int r;

	if (memchr(text, '\\', len) || memchr(text, '\0', len) || sess_jscan_init(&js, text, len))
		return 1;
	while ((r = sess_jscan_next(&js, &k, &kl, &v, &ve)) == 1) {
		/* cJSON before 1.7.16 (configure takes 1.7) reads a number of 64
		 * bytes and more as no JSON, later ones read it: the tree decides */
		if (v == ve || (*v != '"' && *v != '{' && *v != '[' && ve - v >= 64) ||
		    !sess_jscan_key_new(&met, k, kl, SESS_JSCAN_KEYS))
			return 1;
		for (j = 0; j < NF && !sess_jscan_is(k, kl, names[j]); j++)
			;
		if (j == NF && (*v == '{' || *v == '['))
			return 1; /* nested members: the tree decides */
		if (j == METADATA) {
			size_t nest = 0;
			for (i = 0; v + i < ve; i++)
				nest += v[i] == '{' || v[i] == '[';
			if (nest > 32)
				return 1;
		}
		if (sess_jscan_dup_member(v, ve))
			return 1;
		if (j < NF) {
			vs[j] = v;
			ves[j] = ve;
		}
	}
	if (r == 0)
		for (js.p++; js.p < js.end && strchr(" \t\r\n", *js.p); js.p++)
			;
	if (r < 0 || js.p != js.end)
		return 1;
	for (j = 0; j < NF; j++)
		if (!vs[j] && j != METADATA)
			return 1;
	sess_fold_digest(before, sd);
	if (!span_is(vs[SD], ves[SD], sd) || !span_is(vs[CH], ves[CH], chain_before) ||
	    !span_names(before, vs[AGENTS], ves[AGENTS]) || !span_is(vs[STATE], ves[STATE], before->state) ||
	    !span_is(vs[CREATOR], ves[CREATOR], before->creator))
		return 1;
	if (sess_jscan_whole(vs[SEQ], ves[SEQ], &x) || x != before->seq ||
	    sess_jscan_whole(vs[CREATED], ves[CREATED], &x) || x != before->created ||
	    sess_jscan_whole(vs[TTL], ves[TTL], &x) || x != before->ttl)
		return 1;
	if (before->metadata ? !vs[METADATA] || strlen(before->metadata) != (size_t)(ves[METADATA] - vs[METADATA]) ||
				       memcmp(before->metadata, vs[METADATA], strlen(before->metadata))
			     : vs[METADATA] != NULL)
		return 1;
	return 0;
}

long sess_integrity_checkpoint_text(const struct sess_fold *before, const char *chain_before, long long n,
				    const char *text, size_t len, sess_integrity_fn fn, void *arg)
{
	cJSON *cp;
	long found;

	if (!text)
		return missing(before, n, fn, arg);
	if (!cp_fast(before, chain_before, text, len))
		return 0;
	cp = sess_json_parse_stored(text, len);
	found = check_cp(before, chain_before, n, cp, fn, arg);
	cJSON_Delete(cp);
	return found;
}

cJSON *sess_integrity_checkpoint_body(const struct sess_fold *f, const char *chain_before,
				      const char *rec, size_t len)
{
	cJSON *r = sess_json_parse_stored(rec, len), *o = NULL, *meta = NULL;
	const cJSON *n, *at, *ts, *why, *sd;

	if (!r || !cJSON_IsString(cJSON_GetObjectItemCaseSensitive(r, "k")) ||
	    strcmp(cJSON_GetObjectItemCaseSensitive(r, "k")->valuestring, "checkpoint"))
		goto done;
	n = cJSON_GetObjectItemCaseSensitive(r, "n");
	at = cJSON_GetObjectItemCaseSensitive(r, "at");
	ts = cJSON_GetObjectItemCaseSensitive(r, "ts");
	why = cJSON_GetObjectItemCaseSensitive(r, "r");
	sd = cJSON_GetObjectItemCaseSensitive(r, "sd");
	if (!cJSON_IsNumber(n) || !cJSON_IsNumber(at) || !cJSON_IsNumber(ts) || !cJSON_IsString(why) ||
	    !cJSON_IsString(sd) || (f->metadata && !(meta = cJSON_Parse(f->metadata))) || !(o = cJSON_CreateObject()))
		goto done;
	cJSON_AddNumberToObject(o, "id", n->valuedouble);
	cJSON_AddNumberToObject(o, "seq", at->valuedouble);
	cJSON_AddNumberToObject(o, "timestamp", ts->valuedouble);
	cJSON_AddStringToObject(o, "reason", why->valuestring);
	cJSON_AddStringToObject(o, "state", f->state);
	cJSON_AddNumberToObject(o, "created", (double)f->created);
	cJSON_AddStringToObject(o, "creator", f->creator);
	cJSON_AddNumberToObject(o, "ttl", (double)f->ttl);
	cJSON_AddStringToObject(o, "ch", chain_before);
	cJSON_AddStringToObject(o, "sd", sd->valuestring);
	cJSON_AddItemToObject(o, "agents", sorted_names(f));
	if (meta) {
		cJSON_AddItemToObject(o, "metadata", meta);
		meta = NULL;
	}
done:
	cJSON_Delete(meta);
	cJSON_Delete(r);
	return o;
}

long sess_integrity_finish(const struct sess_fold *f, const char *head, const char *what,
			   cJSON *cps, long long start_seq, sess_integrity_fn fn, void *arg)
{
	const cJSON *it;
	long found = 0;

	if (!head || strcmp(head, f->chain)) {
		say(fn, arg, "chain_mismatch", f->seq,
		    "the records fold to chain %s but the %s holds %s: a record was edited, removed or inserted",
		    f->chain, what, head ? head : "none");
		found++;
	}
	/* checkpoints no record points at (a trimmed log's are before its
	 * start, and fine) */
	cJSON_ArrayForEach(it, cps) {
		double s = cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(it, "seq"));
		if (s >= (double)f->base + 1 && f->known && !(start_seq >= 0 && s <= (double)start_seq)) {
			say(fn, arg, "checkpoint_orphan", (long long)s,
			    "checkpoint %s is stored but no history record took it", it->string);
			found++;
		}
	}
	return found;
}

long sess_integrity_member(const struct sess_fold *f, const char *text, size_t len,
			   sess_integrity_fn fn, void *arg)
{
	struct sess_fold_ev ev;

	if (!f->known || sess_fold_scan(text, len, &ev, NULL))
		return 0; /* a damaged event is the fold's finding */
	return sess_integrity_member_ev(f, &ev, fn, arg);
}

long sess_integrity_member_ev(const struct sess_fold *f, const struct sess_fold_ev *ev,
			      sess_integrity_fn fn, void *arg)
{
	if (!f->known || sess_fold_has_agent(f, ev->actor, ev->actor_len))
		return 0;
	say(fn, arg, "not_member", ev->seq, "event %lld was emitted by %.*s, who was not a member then", ev->seq,
	    (int)(ev->actor_len > 128 ? 128 : ev->actor_len), ev->actor);
	return 1;
}

/* 1 when the meta's metadata text and the fold's hold the same JSON
 * object (read by structure: key order and spacing aside), or neither
 * has one; a text that is no object, or a key named twice, is never
 * the same. */
static int metadata_same(const char *stored, const char *folded)
{
	struct sess_err e;
	cJSON *a, *b;
	int same;

	if (!stored || !folded)
		return !stored && !folded;
	a = sess_json_parse_err(stored, "metadata", NULL, &e);
	b = sess_json_parse_err(folded, "metadata", NULL, &e);
	same = a && b && cJSON_IsObject(a) && cJSON_Compare(a, b, 1);
	cJSON_Delete(a);
	cJSON_Delete(b);
	return same;
}

long sess_integrity_meta(const struct sess_fold *f, const char *const *fields,
			 const char *const *values, size_t n, sess_integrity_fn fn, void *arg)
{
	static const char *const names[] = {SESS_S_F_STATE, SESS_S_F_SEQ, SESS_S_F_CREATOR,
					     SESS_S_F_AGENTS, SESS_S_F_CPS, SESS_S_F_METADATA};
	const char *got[6] = {NULL};
	const char *state, *seq, *creator, *agents, *cps, *metadata;
	size_t i, j, members = 0;
	long found = 0;

	/* the six fields found in one pass (the first of a name, as a search
	 * per name found), a name compared only when its first byte is the
	 * field's: the meta has a dozen fields and more, one per member */
	for (i = 0; i < n; i++)
		for (j = 0; j < 6; j++)
			if (!got[j] && fields[i][0] == names[j][0] && !strcmp(fields[i], names[j])) {
				got[j] = values[i];
				break;
			}
	state = got[0];
	seq = got[1];
	creator = got[2];
	agents = got[3];
	cps = got[4];
	metadata = got[5];

	if (!f->known)
		return 0; /* nothing folded to compare with */
	if (!state || strcmp(state, f->state)) {
		say(fn, arg, "state_mismatch", f->seq, "meta says state %s; the events imply %s",
		    state ? state : "none", f->state);
		found++;
	}
	if (!seq || strtoll(seq, NULL, 10) != f->seq) {
		say(fn, arg, "seq_mismatch", f->seq, "meta says seq %s; the log ends at seq %lld",
		    seq ? seq : "none", f->seq);
		found++;
	}
	if (!creator || strcmp(creator, f->creator)) {
		say(fn, arg, "creator_mismatch", -1, "meta says creator %s; the history says %s",
		    creator ? creator : "none", f->creator);
		found++;
	}
	for (i = 0; i < n; i++) {
		if (strncmp(fields[i], SESS_S_F_AGENT_PREFIX, SESS_S_F_AGENT_PREFIX_LEN))
			continue;
		members++;
		if (!sess_fold_has_agent(f, fields[i] + SESS_S_F_AGENT_PREFIX_LEN,
					 strlen(fields[i] + SESS_S_F_AGENT_PREFIX_LEN))) {
			say(fn, arg, "members_mismatch", -1, "meta lists member %s, who the history says is not one",
			    fields[i] + SESS_S_F_AGENT_PREFIX_LEN);
			found++;
		}
	}
	if (members < f->nagents) {
		say(fn, arg, "members_mismatch", -1, "meta lists %zu members; the history has %zu", members, f->nagents);
		found++;
	}
	if (!agents || strtoll(agents, NULL, 10) != (long long)members) {
		say(fn, arg, "agents_count", -1, "meta's member count is %s; it lists %zu members",
		    agents ? agents : "none", members);
		found++;
	}
	if (!cps || strtoll(cps, NULL, 10) != f->cps) {
		say(fn, arg, "cps_count", -1, "meta's checkpoint counter is %s; the history took %lld",
		    cps ? cps : "none", f->cps);
		found++;
	}
	if (!metadata_same(metadata, f->metadata)) {
		say(fn, arg, "metadata_mismatch", -1,
		    "meta's metadata is %s; the history's create record says %s",
		    metadata ? "not the create record's" : "absent", f->metadata ? "an object" : "none");
		found++;
	}
	return found;
}
