/* index.c - see index.h */
#include "core/session/index.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/model/keys.h"
#include "core/base/schema.h"

/* Upkeep replies carry tag 0: a pipeline's reader can tell them apart. */
#define TAG 0

/* Session id's tag on p's server (sess_conn_cluster asked before). */
static const char *tag_of(const struct sess_pipe *p, const char *id)
{
	return sess_key_tag(id, p->conn && p->conn->cl != NULL);
}

int sess_index_joined(struct sess_pipe *p, const struct sess_config *cfg,
		      const char *id, const char *agent, long long now,
		      long long expiry, struct sess_err *err)
{
	char idx[SESS_KEY_MAX], akey[SESS_KEY_MAX], reg[SESS_KEY_MAX];
	const char *tag = tag_of(p, id);

	sess_key_index(idx, cfg->prefix, tag);
	sess_key_agent(akey, cfg->prefix, tag, agent);
	sess_key_agents(reg, cfg->prefix, tag);
	if (sess_pipe_cmdf(p, TAG, err, "ZADD %s XX %lld %s", idx, expiry, id) ||
	    sess_pipe_cmdf(p, TAG, err, "ZADD %s %lld %s", akey, expiry, id) ||
	    sess_pipe_cmdf(p, TAG, err, "ZADD %s %lld %s", reg, now, agent))
		return -1;
	return 0;
}

int sess_index_touched(struct sess_pipe *p, const struct sess_config *cfg,
		       const char *id, long long expiry, struct sess_err *err)
{
	char idx[SESS_KEY_MAX];

	sess_key_index(idx, cfg->prefix, tag_of(p, id));
	return sess_pipe_cmdf(p, TAG, err, "ZADD %s %lld %s", idx, expiry, id);
}

int sess_index_present(struct sess_pipe *p, const struct sess_config *cfg,
		       const char *id, long long expiry, struct sess_err *err)
{
	char idx[SESS_KEY_MAX];

	sess_key_index(idx, cfg->prefix, tag_of(p, id));
	return sess_pipe_cmdf(p, TAG, err, "ZADD %s NX %lld %s", idx, expiry, id);
}

int sess_index_deleted(struct sess_pipe *p, const struct sess_config *cfg,
		       const char *id, const char *const *agents, size_t nagents,
		       struct sess_err *err)
{
	char idx[SESS_KEY_MAX], stats[SESS_KEY_MAX], akey[SESS_KEY_MAX];
	const char *tag = tag_of(p, id);
	size_t i;

	sess_key_index(idx, cfg->prefix, tag);
	sess_key_stats(stats, cfg->prefix, tag);
	if (sess_pipe_cmdf(p, TAG, err, "ZREM %s %s", idx, id) ||
	    sess_pipe_cmdf(p, TAG, err, "HINCRBY %s " SESS_S_STAT_DELETED " 1", stats))
		return -1;
	for (i = 0; i < nagents; i++) {
		sess_key_agent(akey, cfg->prefix, tag, agents[i]);
		if (sess_pipe_cmdf(p, TAG, err, "ZREM %s %s", akey, id))
			return -1;
	}
	return 0;
}

/* ---- many arrivals at once ---- */

#define ARRIVALS_ZADD_MAX 1024 /* members per ZADD */

void sess_arrivals_init(struct sess_arrivals *a, const struct sess_config *cfg)
{
	memset(a, 0, sizeof *a);
	a->cfg = cfg;
}

static void arrivals_clear(struct sess_arrivals *a)
{
	size_t i;

	for (i = 0; i < a->n; i++) {
		free(a->v[i].member);
		free(a->v[i].agent);
		free(a->v[i].sid);
	}
	a->n = 0;
	a->sessions = 0;
	for (i = 0; i < a->ntypes; i++)
		free(a->types[i].type);
	a->ntypes = 0;
}

void sess_arrivals_free(struct sess_arrivals *a)
{
	arrivals_clear(a);
	free(a->v);
	a->v = NULL;
	a->cap = 0;
	free(a->types);
	a->types = NULL;
	a->captypes = 0;
}

static int oom(struct sess_err *err)
{
	return sess_err_set(err, SESS_E_INTERNAL, NULL, "out of memory");
}

/* An entry about session sid (NULL: the last named). */
static int arrive(struct sess_arrivals *a, int key, const char *agent, long long score,
		  const char *member, const char *sid, struct sess_err *err)
{
	struct sess_arrival *e;

	if (sid)
		snprintf(a->last, sizeof a->last, "%s", sid);
	if (a->n == a->cap) {
		size_t cap = a->cap ? a->cap * 2 : 64;
		struct sess_arrival *v = realloc(a->v, cap * sizeof *v);
		if (!v)
			return oom(err);
		a->v = v;
		a->cap = cap;
	}
	e = &a->v[a->n];
	memset(e, 0, sizeof *e);
	e->key = key;
	e->score = score;
	e->order = a->n;
	e->member = strdup(member);
	e->agent = agent ? strdup(agent) : NULL;
	e->sid = strdup(a->last);
	if (!e->member || (agent && !e->agent) || !e->sid) {
		free(e->member);
		free(e->agent);
		free(e->sid);
		return oom(err);
	}
	a->n++;
	return 0;
}

int sess_arrivals_touched(struct sess_arrivals *a, const char *id,
			  long long expiry, struct sess_err *err)
{
	return arrive(a, 0, NULL, expiry, id, id, err);
}

int sess_arrivals_joined(struct sess_arrivals *a, const char *id, const char *agent,
			 long long when, long long expiry, struct sess_err *err)
{
	/* sess_index_joined's "ZADD index XX" is the touched entry again */
	return arrive(a, 1, agent, expiry, id, id, err) ||
	       arrive(a, 2, NULL, when, agent, id, err) ? -1 : 0;
}

int sess_arrivals_created(struct sess_arrivals *a, const char *id, const char *agent,
			  long long now, long long expiry, struct sess_err *err)
{
	if (sess_arrivals_touched(a, id, expiry, err) ||
	    arrive(a, 1, agent, expiry, id, id, err) || arrive(a, 2, NULL, now, agent, id, err) ||
	    arrive(a, 3, NULL, 1, SESS_S_STAT_SESSIONS, id, err))
		return -1;
	a->sessions = 1;
	return 0;
}

void sess_arrivals_about(struct sess_arrivals *a, const char *id)
{
	snprintf(a->last, sizeof a->last, "%s", id);
}

int sess_arrivals_count(struct sess_arrivals *a, long long events, int completed,
			struct sess_err *err)
{
	if (events && arrive(a, 3, NULL, events, SESS_S_STAT_EVENTS, NULL, err))
		return -1;
	if (completed && arrive(a, 3, NULL, 1, SESS_S_STAT_COMPLETED, NULL, err))
		return -1;
	return 0;
}

/* The tally of types when no session is named (mig_snap_count_types). */
static int tally(struct sess_arrivals *a, const char *type, long long n, struct sess_err *err)
{
	size_t i;

	for (i = 0; i < a->ntypes; i++)
		if (!strcmp(a->types[i].type, type))
			break;
	if (i == a->ntypes) {
		if (a->ntypes == a->captypes) {
			size_t cap = a->captypes ? a->captypes * 2 : 16;
			void *v = realloc(a->types, cap * sizeof *a->types);
			if (!v)
				return oom(err);
			a->types = v;
			a->captypes = cap;
		}
		if (!(a->types[i].type = strdup(type)))
			return oom(err);
		a->types[i].n = 0;
		a->ntypes++;
	}
	a->types[i].n += n;
	return 0;
}

int sess_arrivals_type(struct sess_arrivals *a, const char *type, long long n,
		       struct sess_err *err)
{
	char field[SESS_KEY_MAX];

	if (!a->last[0])
		return tally(a, type, n, err);
	if (!n)
		return 0;
	snprintf(field, sizeof field, SESS_S_STAT_TYPE_PREFIX "%s", type);
	return arrive(a, 3, NULL, n, field, NULL, err);
}

static int arrival_cmp_key(const struct sess_arrival *a, const struct sess_arrival *b)
{
	int c = strcmp(a->tag, b->tag);

	if (!c)
		c = a->key - b->key;
	if (!c && a->key == 1)
		c = strcmp(a->agent, b->agent);
	if (!c && a->key == 3)
		c = strcmp(a->member, b->member);
	return c;
}

/* by tag and key, then as added (qsort is not stable; order is) */
static int arrival_cmp(const void *x, const void *y)
{
	const struct sess_arrival *a = x, *b = y;
	int c = arrival_cmp_key(a, b);

	if (c)
		return c;
	return a->order < b->order ? -1 : a->order > b->order;
}

static int zadd_run(struct sess_pipe *p, const char *key,
		    const struct sess_arrival *v, size_t n, struct sess_err *err)
{
	const char *argv[2 + 2 * ARRIVALS_ZADD_MAX];
	size_t lens[2 + 2 * ARRIVALS_ZADD_MAX], i;
	char (*num)[24] = malloc(ARRIVALS_ZADD_MAX * sizeof *num);
	int rc = 0;

	if (!num)
		return oom(err);
	while (n && !rc) {
		size_t k = n < ARRIVALS_ZADD_MAX ? n : ARRIVALS_ZADD_MAX, argc = 2;
		argv[0] = "ZADD";
		argv[1] = key;
		for (i = 0; i < k; i++) {
			lens[argc] = (size_t)snprintf(num[i], sizeof num[i], "%lld", v[i].score);
			argv[argc++] = num[i];
			argv[argc++] = v[i].member;
		}
		for (i = 0; i < argc; i++)
			if (i < 2 || i % 2)
				lens[i] = strlen(argv[i]);
		rc = sess_pipe_argv(p, -1, TAG, (int)argc, argv, lens, err);
		v += k;
		n -= k;
	}
	free(num);
	return rc;
}

int sess_arrivals_flush(struct sess_arrivals *a, struct sess_pipe *p,
			struct sess_err *err)
{
	char key[SESS_KEY_MAX];
	size_t i, j, k;
	int rc = 0;

	for (i = 0; i < a->n; i++)
		a->v[i].tag = tag_of(p, a->v[i].sid);
	if (a->n > 1)
		qsort(a->v, a->n, sizeof *a->v, arrival_cmp);
	for (i = 0; i < a->n && !rc; i = j) {
		long long sum = 0;
		for (j = i + 1; j < a->n && !arrival_cmp_key(&a->v[i], &a->v[j]); j++)
			;
		switch (a->v[i].key) {
		case 0:
			sess_key_index(key, a->cfg->prefix, a->v[i].tag);
			break;
		case 1:
			sess_key_agent(key, a->cfg->prefix, a->v[i].tag, a->v[i].agent);
			break;
		case 2:
			sess_key_agents(key, a->cfg->prefix, a->v[i].tag);
			break;
		default:
			for (k = i; k < j; k++)
				sum += a->v[k].score;
			sess_key_stats(key, a->cfg->prefix, a->v[i].tag);
			rc = sess_pipe_cmdf(p, TAG, err, "HINCRBY %s %s %lld", key, a->v[i].member, sum);
			continue;
		}
		rc = zadd_run(p, key, &a->v[i], j - i, err);
	}
	/* the marker is in no session's slot: on a cluster (where this may
	 * ride in a session's MULTI) create and upgrade set it */
	if (!rc && a->sessions && !(p->conn && p->conn->cl)) {
		sess_key_layout(key, a->cfg->prefix);
		rc = sess_pipe_cmdf(p, TAG, err, "SET %s " SESS_S_LAYOUT " NX", key);
	}
	arrivals_clear(a);
	return rc;
}
