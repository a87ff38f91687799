#define _GNU_SOURCE /* strptime, timegm */
#include "sess-migrate/legacy.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/model/event.h"
#include "core/model/json.h"
#include "core/model/keys.h"
#include "core/base/schema.h"
#include "core/base/sha1.h"

int sess_legacy_queue(struct sess_pipe *p, const char *id, struct sess_err *err)
{
	if (sess_pipe_cmdf(p, 1, err, "MULTI") || sess_pipe_cmdf(p, 1, err, "TIME") ||
	    sess_pipe_cmdf(p, 1, err, "HGETALL session:%s", id) ||
	    sess_pipe_cmdf(p, 1, err, "ZRANGE events:%s 0 -1 WITHSCORES", id) ||
	    sess_pipe_cmdf(p, 1, err, "SMEMBERS agents:%s", id) ||
	    sess_pipe_cmdf(p, 1, err, "PTTL session:%s", id) || sess_pipe_cmdf(p, 1, err, "EXEC"))
		return -1;
	return 0;
}

/* A time the TypeScript system wrote: ms since the epoch (number or
 * digits) or an ISO 8601 text (Date.toISOString). -1 if neither. */
static long long parse_time(const char *s)
{
	struct tm tm;
	char *end;
	long long n;
	int ms = 0;

	if (!s || !*s)
		return -1;
	n = strtoll(s, &end, 10);
	if (!*end)
		return n;
	memset(&tm, 0, sizeof tm);
	if (!(end = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm)))
		return -1;
	if (*end == '.') {
		int d = 0;
		for (end++; *end >= '0' && *end <= '9'; end++, d++)
			if (d < 3)
				ms = ms * 10 + (*end - '0');
		for (; d < 3; d++)
			ms *= 10;
	}
	if (*end && strcmp(end, "Z"))
		return -1;
	return (long long)timegm(&tm) * 1000 + ms;
}

static long long json_time(const cJSON *v)
{
	if (cJSON_IsNumber(v)) /* out of range (1e300) converts to nothing */
		return v->valuedouble >= 0 && v->valuedouble <= (double)SESS_S_SEQ_MAX ? (long long)v->valuedouble : -1;
	return parse_time(cJSON_GetStringValue(v));
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* One event in the full or compact shape -> our stored text. */
static char *convert_event(const char *text, long long score, long long *seq_out,
			   struct sess_err *err)
{
	cJSON *j = sess_json_parse_err(text, "event", NULL, err), *full = NULL, *c;
	struct sess_event ev;
	char *body = NULL, *out = NULL;
	long long seq, ts;
	const cJSON *x;

	if (!j)
		return NULL;
	if (!cJSON_IsObject(j)) {
		sess_err_set(err, SESS_E_DATA, "bad_event", "an event is not a JSON object");
		goto done;
	}
	full = cJSON_CreateObject();
	if ((x = cJSON_GetObjectItemCaseSensitive(j, "type")) || (x = cJSON_GetObjectItemCaseSensitive(j, "t")))
		cJSON_AddItemToObject(full, "type", cJSON_Duplicate(x, 1));
	if ((x = cJSON_GetObjectItemCaseSensitive(j, "actor")) || (x = cJSON_GetObjectItemCaseSensitive(j, "a")))
		cJSON_AddItemToObject(full, "actor", cJSON_Duplicate(x, 1));
	if ((x = cJSON_GetObjectItemCaseSensitive(j, "changeInfo"))) {
		cJSON_AddItemToObject(full, "changeInfo", cJSON_Duplicate(x, 1));
	} else if ((x = cJSON_GetObjectItemCaseSensitive(j, "c")) && cJSON_IsObject(x)) {
		const cJSON *y;
		c = cJSON_AddObjectToObject(full, "changeInfo");
		if ((y = cJSON_GetObjectItemCaseSensitive(x, "e")))
			cJSON_AddItemToObject(c, "elementType", cJSON_Duplicate(y, 1));
		if ((y = cJSON_GetObjectItemCaseSensitive(x, "i")))
			cJSON_AddItemToObject(c, "entityIds", cJSON_Duplicate(y, 1));
		if ((y = cJSON_GetObjectItemCaseSensitive(x, "o")))
			cJSON_AddItemToObject(c, "operation", cJSON_Duplicate(y, 1));
	}
	if ((x = cJSON_GetObjectItemCaseSensitive(j, "stateTransition")) || (x = cJSON_GetObjectItemCaseSensitive(j, "st")))
		cJSON_AddItemToObject(full, "stateTransition", cJSON_Duplicate(x, 1));
	if ((x = cJSON_GetObjectItemCaseSensitive(j, "impact")) || (x = cJSON_GetObjectItemCaseSensitive(j, "imp")))
		cJSON_AddItemToObject(full, "impact", cJSON_Duplicate(x, 1));
	x = cJSON_GetObjectItemCaseSensitive(j, "seq");
	if (!x)
		x = cJSON_GetObjectItemCaseSensitive(j, "s");
	if (cJSON_IsNumber(x) ? !(x->valuedouble >= 1 && x->valuedouble <= (double)SESS_S_SEQ_MAX)
			      : score < 1 || score > SESS_S_SEQ_MAX) {
		/* checked as a double: 1e300 does not convert, and a seq near
		 * the long long ends would overflow the contiguity sums */
		sess_err_set(err, SESS_E_DATA, "bad_event", "an event's seq (%.0f) is not a whole number from 1 to %lld",
			     cJSON_IsNumber(x) ? x->valuedouble : (double)score, (long long)SESS_S_SEQ_MAX);
		goto done;
	}
	seq = cJSON_IsNumber(x) ? (long long)x->valuedouble : score;
	x = cJSON_GetObjectItemCaseSensitive(j, "timestamp");
	if (!x)
		x = cJSON_GetObjectItemCaseSensitive(j, "ts");
	ts = json_time(x);
	if (ts < 0) {
		sess_err_set(err, SESS_E_DATA, "bad_event", "event %lld has no timestamp in ms or ISO 8601", seq);
		goto done;
	}
	sess_event_init(&ev);
	if (sess_event_from_json(&ev, full, err) || sess_event_validate(&ev, err) ||
	    !(body = sess_event_encode_body(&ev, err))) {
		sess_err_prefix(err, "event %lld", seq);
		sess_event_free(&ev);
		goto done;
	}
	sess_event_free(&ev);
	if ((out = malloc(strlen(body) + 64)))
		sprintf(out, "{\"s\":%lld,\"ts\":%lld,%s", seq, ts, body);
	*seq_out = seq;
done:
	free(body);
	cJSON_Delete(full);
	cJSON_Delete(j);
	return out;
}

static const char *pair(const struct sess_strv *h, const char *f)
{
	size_t i;

	for (i = 0; i + 1 < h->n; i += 2)
		if (!strcmp(h->v[i], f))
			return h->v[i + 1];
	return NULL;
}

static int add(struct sess_strv *v, const char *f, const char *val)
{
	return sess_strv_push(v, f, strlen(f)) || sess_strv_push(v, val, strlen(val));
}

static int addn(struct sess_strv *v, const char *f, long long n)
{
	char b[32];

	snprintf(b, sizeof b, "%lld", n);
	return add(v, f, b);
}

int sess_legacy_convert(struct sess_snap *s, const struct sess_strv *hash,
			const struct sess_strv *events, const long long *scores,
			const struct sess_strv *agents, long long pttl,
			long long now, const struct sess_config *cfg,
			struct sess_err *err)
{
	const char *state = pair(hash, "state");
	long long created = parse_time(pair(hash, "created")), updated = parse_time(pair(hash, "updated"));
	long long ttl, seq = 0, base = 0;
	char **members = NULL, *rec = NULL, chain[SESS_SHA1_HEX], creator[SESS_ID_MAX + 1] = "";
	size_t nm = 0, i, cap;
	cJSON *ids = NULL, *alist;
	const cJSON *e;
	int rc = -1;

	s->form = 's';
	s->present = 1;
	s->now = now;
	if (pttl > (long long)SESS_S_TTL_MAX * 1000) /* the TTL is capped below anyway */
		pttl = (long long)SESS_S_TTL_MAX * 1000;
	s->expire_at = pttl > 0 ? now + pttl : 0;
	if (!state || !sess_state_valid(state))
		return sess_err_set(err, SESS_E_DATA, "bad_legacy", "session %s: state %s is not working, broken or completed",
				    s->id, state ? state : "(none)");
	if (created < 0)
		created = now;
	if (updated < 0)
		updated = created;
	ttl = pttl > 0 ? (pttl + 999) / 1000 : cfg->default_ttl;
	if (ttl > SESS_S_TTL_MAX)
		ttl = SESS_S_TTL_MAX;
	/* members: the agents set and agentIds, sorted, each once; the
	 * creator is agentIds' first */
	cap = agents->n + 64;
	if (pair(hash, "agentIds")) {
		if (!(ids = sess_json_parse_err(pair(hash, "agentIds"), "agentIds", NULL, err)) || !cJSON_IsArray(ids)) {
			sess_err_set(err, SESS_E_DATA, "bad_legacy", "session %s: agentIds is not a JSON array", s->id);
			goto out;
		}
		cap += (size_t)cJSON_GetArraySize(ids);
	}
	members = calloc(cap, sizeof *members);
	cJSON_ArrayForEach(e, ids) {
		if (!cJSON_IsString(e))
			continue;
		if (!creator[0])
			snprintf(creator, sizeof creator, "%s", e->valuestring);
		members[nm++] = e->valuestring;
	}
	for (i = 0; i < agents->n; i++)
		members[nm++] = agents->v[i];
	qsort(members, nm, sizeof *members, cmp_str);
	{
		size_t k = 0;
		for (i = 0; i < nm; i++)
			if (k == 0 || strcmp(members[k - 1], members[i]))
				members[k++] = members[i];
		nm = k;
	}
	for (i = 0; i < nm; i++)
		if (sess_key_check_id(members[i], "agent id", err)) {
			sess_err_prefix(err, "session %s", s->id);
			goto out;
		}
	if (!creator[0] && nm)
		snprintf(creator, sizeof creator, "%s", members[0]);
	if (!creator[0])
		snprintf(creator, sizeof creator, "legacy");
	/* the events: contiguous seqs, as our list's positions require */
	for (i = 0; i < events->n; i++) {
		long long sq;
		char *t = convert_event(events->v[i], scores[i], &sq, err);
		if (!t) {
			sess_err_prefix(err, "session %s", s->id);
			goto out;
		}
		if (i == 0)
			base = sq - 1;
		if (sq != base + 1 + (long long)i || sq < 1) {
			free(t);
			sess_err_set(err, SESS_E_DATA, "bad_legacy",
				     "session %s: event seqs are not contiguous (seq %lld where %lld was due)", s->id,
				     sq, base + 1 + (long long)i);
			goto out;
		}
		seq = sq;
		if (sess_strv_push(&s->part[1], t, strlen(t))) {
			free(t);
			goto oom;
		}
		free(t);
	}
	/* the history: one upgrade record that starts the chain */
	alist = cJSON_CreateArray();
	for (i = 0; i < nm; i++)
		cJSON_AddItemToArray(alist, cJSON_CreateString(members[i]));
	{
		char *al = cJSON_PrintUnformatted(alist);
		cJSON_Delete(alist);
		if (!al || !(rec = malloc(strlen(al) + strlen(creator) + 256))) {
			free(al);
			goto oom;
		}
		sprintf(rec,
			"{\"k\":\"upgrade\",\"at\":%lld,\"ts\":%lld,\"from\":\"legacy\",\"state\":\"%s\",\"creator\":\"%s\",\"created\":%lld,\"ttl\":%lld,\"base\":%lld,\"agents\":%s}",
			seq, now, state, creator, created, ttl, base, al);
		free(al);
	}
	if (sess_sha1_link("", rec, strlen(rec), chain)) {
		sess_err_set(err, SESS_E_INTERNAL, NULL,
			     "OpenSSL's libcrypto gives no SHA-1 for the history's chain (check OPENSSL_CONF and its providers)");
		goto out;
	}
	if (sess_strv_push(&s->part[4], rec, strlen(rec)))
		goto oom;
	if (add(&s->part[0], SESS_S_F_VERSION, SESS_S_LAYOUT) || add(&s->part[0], SESS_S_F_STATE, state) ||
	    addn(&s->part[0], SESS_S_F_CREATED, created) || addn(&s->part[0], SESS_S_F_UPDATED, updated) ||
	    addn(&s->part[0], SESS_S_F_SEQ, seq) || addn(&s->part[0], SESS_S_F_BASE, base) ||
	    addn(&s->part[0], SESS_S_F_TTL, ttl) || addn(&s->part[0], SESS_S_F_AGENTS, (long long)nm) ||
	    add(&s->part[0], SESS_S_F_CREATOR, creator) || add(&s->part[0], SESS_S_F_CPS, "0") ||
	    add(&s->part[0], SESS_S_F_LASTCP, "0") || addn(&s->part[0], SESS_S_F_REF, now) ||
	    add(&s->part[0], SESS_S_F_CHAIN, chain))
		goto oom;
	for (i = 0; i < nm; i++) {
		char f[SESS_KEY_MAX];
		sess_key_agent_field(f, members[i]);
		if (addn(&s->part[0], f, created))
			goto oom;
	}
	for (i = 0; i < s->part[0].n; i++)
		if (sess_strv_push(&s->meta, s->part[0].v[i], s->part[0].len[i]))
			goto oom;
	rc = 0;
	goto out;
oom:
	sess_err_set(err, SESS_E_INTERNAL, NULL, "out of memory");
out:
	free(rec);
	free(members);
	cJSON_Delete(ids);
	return rc;
}

static int elems(struct sess_strv *v, const redisReply *r, size_t step)
{
	size_t i;

	if (r->type != REDIS_REPLY_ARRAY)
		return -1;
	for (i = 0; i < r->elements; i += step)
		if (r->element[i]->type != REDIS_REPLY_STRING ||
		    sess_strv_push(v, r->element[i]->str, r->element[i]->len))
			return -1;
	return 0;
}

int sess_legacy_take(struct sess_pipe *p, struct sess_snap *s,
		     const struct sess_config *cfg, struct sess_err *err)
{
	redisReply *r = NULL, *x;
	struct sess_strv hash = {0}, ev = {0}, ag = {0};
	long long *scores = NULL, now;
	int i, rc = -1;

	/* MULTI's +OK and five QUEUED, then EXEC's */
	if (sess_pipe_drain(p, 6, err) || sess_pipe_next(p, &r, NULL, err))
		return -1;
	if (r->type != REDIS_REPLY_ARRAY || r->elements != 5) {
		if (r->type == REDIS_REPLY_ERROR)
			sess_conn_reply_error(p->conn, r, err);
		else
			sess_err_set(err, SESS_E_INTERNAL, NULL, "unexpected reply to a legacy read");
		freeReplyObject(r);
		return -1;
	}
	for (i = 1; i < 4; i++)
		if (r->element[i]->type == REDIS_REPLY_ERROR) {
			sess_err_set(err, SESS_E_DATA, "bad_type",
				     "legacy session %s: its %s key holds a value of an unexpected type", s->id,
				     i == 1 ? "session:" : i == 2 ? "events:" : "agents:");
			goto out;
		}
	x = r->element[0];
	now = strtoll(x->element[0]->str, NULL, 10) * 1000 + strtoll(x->element[1]->str, NULL, 10) / 1000;
	s->now = now;
	if (elems(&hash, r->element[1], 1) || elems(&ev, r->element[2], 2) || elems(&ag, r->element[3], 1))
		goto oom;
	if (hash.n == 0) {
		s->present = 0;
		rc = 0;
		goto out;
	}
	scores = calloc(ev.n + 1, sizeof *scores);
	for (i = 0; i < (int)ev.n; i++)
		scores[i] = strtoll(r->element[2]->element[2 * i + 1]->str, NULL, 10);
	rc = sess_legacy_convert(s, &hash, &ev, scores, &ag, r->element[4]->integer, now, cfg, err);
	goto out;
oom:
	sess_err_set(err, SESS_E_INTERNAL, NULL, "out of memory");
out:
	free(scores);
	sess_strv_free(&hash);
	sess_strv_free(&ev);
	sess_strv_free(&ag);
	freeReplyObject(r);
	return rc;
}
