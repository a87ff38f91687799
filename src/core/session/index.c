#include "core/session/index.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/model/keys.h"
#include "core/base/schema.h"

/* Upkeep replies carry tag 0: a pipeline's reader can tell them apart. */
#define TAG 0

int sess_index_created(struct sess_pipe *p, const struct sess_config *cfg,
		       const char *id, const char *agent, long long now,
		       long long expiry, struct sess_err *err)
{
	char idx[SESS_KEY_MAX], akey[SESS_KEY_MAX], reg[SESS_KEY_MAX],
		stats[SESS_KEY_MAX], layout[SESS_KEY_MAX];

	sess_key_index(idx, cfg->prefix);
	sess_key_agent(akey, cfg->prefix, agent);
	sess_key_agents(reg, cfg->prefix);
	sess_key_stats(stats, cfg->prefix);
	sess_key_layout(layout, cfg->prefix);
	if (sess_pipe_cmdf(p, TAG, err, "ZADD %s %lld %s", idx, expiry, id) ||
	    sess_pipe_cmdf(p, TAG, err, "ZADD %s %lld %s", akey, expiry, id) ||
	    sess_pipe_cmdf(p, TAG, err, "ZADD %s %lld %s", reg, now, agent) ||
	    sess_pipe_cmdf(p, TAG, err, "HINCRBY %s " SESS_S_STAT_SESSIONS " 1", stats) ||
	    sess_pipe_cmdf(p, TAG, err, "SET %s " SESS_S_LAYOUT " NX", layout))
		return -1;
	return 0;
}

int sess_index_joined(struct sess_pipe *p, const struct sess_config *cfg,
		      const char *id, const char *agent, long long now,
		      long long expiry, struct sess_err *err)
{
	char idx[SESS_KEY_MAX], akey[SESS_KEY_MAX], reg[SESS_KEY_MAX];

	sess_key_index(idx, cfg->prefix);
	sess_key_agent(akey, cfg->prefix, agent);
	sess_key_agents(reg, cfg->prefix);
	if (sess_pipe_cmdf(p, TAG, err, "ZADD %s XX %lld %s", idx, expiry, id) ||
	    sess_pipe_cmdf(p, TAG, err, "ZADD %s %lld %s", akey, expiry, id) ||
	    sess_pipe_cmdf(p, TAG, err, "ZADD %s %lld %s", reg, now, agent))
		return -1;
	return 0;
}

int sess_index_left(struct sess_pipe *p, const struct sess_config *cfg,
		    const char *id, const char *agent, long long expiry,
		    struct sess_err *err)
{
	char idx[SESS_KEY_MAX], akey[SESS_KEY_MAX];

	sess_key_index(idx, cfg->prefix);
	sess_key_agent(akey, cfg->prefix, agent);
	if (sess_pipe_cmdf(p, TAG, err, "ZADD %s XX %lld %s", idx, expiry, id) ||
	    sess_pipe_cmdf(p, TAG, err, "ZREM %s %s", akey, id))
		return -1;
	return 0;
}

int sess_index_touched(struct sess_pipe *p, const struct sess_config *cfg,
		       const char *id, long long expiry, struct sess_err *err)
{
	char idx[SESS_KEY_MAX];

	sess_key_index(idx, cfg->prefix);
	return sess_pipe_cmdf(p, TAG, err, "ZADD %s %lld %s", idx, expiry, id);
}

int sess_index_present(struct sess_pipe *p, const struct sess_config *cfg,
		       const char *id, long long expiry, struct sess_err *err)
{
	char idx[SESS_KEY_MAX];

	sess_key_index(idx, cfg->prefix);
	return sess_pipe_cmdf(p, TAG, err, "ZADD %s NX %lld %s", idx, expiry, id);
}

int sess_index_completed(struct sess_pipe *p, const struct sess_config *cfg,
			 struct sess_err *err)
{
	char stats[SESS_KEY_MAX];

	sess_key_stats(stats, cfg->prefix);
	return sess_pipe_cmdf(p, TAG, err, "HINCRBY %s " SESS_S_STAT_COMPLETED " 1", stats);
}

int sess_index_deleted(struct sess_pipe *p, const struct sess_config *cfg,
		       const char *id, const char *const *agents, size_t nagents,
		       struct sess_err *err)
{
	char idx[SESS_KEY_MAX], stats[SESS_KEY_MAX], akey[SESS_KEY_MAX];
	size_t i;

	sess_key_index(idx, cfg->prefix);
	sess_key_stats(stats, cfg->prefix);
	if (sess_pipe_cmdf(p, TAG, err, "ZREM %s %s", idx, id) ||
	    sess_pipe_cmdf(p, TAG, err, "HINCRBY %s " SESS_S_STAT_DELETED " 1", stats))
		return -1;
	for (i = 0; i < nagents; i++) {
		sess_key_agent(akey, cfg->prefix, agents[i]);
		if (sess_pipe_cmdf(p, TAG, err, "ZREM %s %s", akey, id))
			return -1;
	}
	return 0;
}

/* The counters for n events of type. */
static int count(struct sess_pipe *p, const struct sess_config *cfg,
		 const char *type, long n, struct sess_err *err)
{
	char stats[SESS_KEY_MAX];

	sess_key_stats(stats, cfg->prefix);
	if (type)
		return sess_pipe_cmdf(p, TAG, err, "HINCRBY %s " SESS_S_STAT_TYPE_PREFIX "%s %ld",
				      stats, type, n);
	return sess_pipe_cmdf(p, TAG, err, "HINCRBY %s " SESS_S_STAT_EVENTS " %ld", stats, n);
}

int sess_index_emitted(struct sess_pipe *p, const struct sess_config *cfg,
		       const char *id, const char *type, long n, long long expiry,
		       struct sess_err *err)
{
	char idx[SESS_KEY_MAX];

	sess_key_index(idx, cfg->prefix);
	if (count(p, cfg, NULL, n, err) || count(p, cfg, type, n, err) ||
	    sess_pipe_cmdf(p, TAG, err, "ZADD %s XX %lld %s", idx, expiry, id))
		return -1;
	return 0;
}

void sess_upkeep_init(struct sess_upkeep *u, const struct sess_config *cfg)
{
	memset(u, 0, sizeof *u);
	u->cfg = cfg;
}

static int flush_index(struct sess_upkeep *u, struct sess_pipe *p, struct sess_err *err)
{
	char idx[SESS_KEY_MAX];

	if (!u->last_id[0])
		return 0;
	sess_key_index(idx, u->cfg->prefix);
	if (sess_pipe_cmdf(p, TAG, err, "ZADD %s XX %lld %s", idx, u->last_expiry, u->last_id))
		return -1;
	u->last_id[0] = '\0';
	return 0;
}

static int flush_stats(struct sess_upkeep *u, struct sess_pipe *p, struct sess_err *err)
{
	int i;

	if (u->events && count(p, u->cfg, NULL, u->events, err))
		return -1;
	for (i = 0; i < u->ntypes; i++)
		if (count(p, u->cfg, u->types[i].type, u->types[i].n, err))
			return -1;
	u->events = 0;
	u->ntypes = 0;
	return 0;
}

int sess_upkeep_emitted(struct sess_upkeep *u, struct sess_pipe *p,
			const char *id, const char *type, long long expiry,
			struct sess_err *err)
{
	int i;

	if (u->last_id[0] && strcmp(u->last_id, id) && flush_index(u, p, err))
		return -1;
	snprintf(u->last_id, sizeof u->last_id, "%s", id);
	u->last_expiry = expiry;
	u->events++;
	for (i = 0; i < u->ntypes; i++)
		if (!strcmp(u->types[i].type, type))
			break;
	if (i == u->ntypes) {
		if (u->ntypes == SESS_UPKEEP_TYPES && flush_stats(u, p, err))
			return -1;
		i = u->ntypes++;
		snprintf(u->types[i].type, sizeof u->types[i].type, "%s", type);
		u->types[i].n = 0;
	}
	u->types[i].n++;
	if (u->events >= SESS_UPKEEP_EVERY)
		return flush_stats(u, p, err);
	return 0;
}

int sess_upkeep_flush(struct sess_upkeep *u, struct sess_pipe *p,
		      struct sess_err *err)
{
	if (flush_index(u, p, err) || flush_stats(u, p, err))
		return -1;
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
	}
	a->n = 0;
	a->sessions = a->events = a->completed = 0;
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

static int arrive(struct sess_arrivals *a, int key, const char *agent,
		  long long score, const char *member, struct sess_err *err)
{
	struct sess_arrival *e;

	if (a->n == a->cap) {
		size_t cap = a->cap ? a->cap * 2 : 64;
		struct sess_arrival *v = realloc(a->v, cap * sizeof *v);
		if (!v)
			return sess_err_set(err, SESS_E_INTERNAL, NULL, "out of memory");
		a->v = v;
		a->cap = cap;
	}
	e = &a->v[a->n];
	e->key = key;
	e->score = score;
	e->order = a->n;
	e->member = strdup(member);
	e->agent = agent ? strdup(agent) : NULL;
	if (!e->member || (agent && !e->agent)) {
		free(e->member);
		free(e->agent);
		return sess_err_set(err, SESS_E_INTERNAL, NULL, "out of memory");
	}
	a->n++;
	return 0;
}

int sess_arrivals_touched(struct sess_arrivals *a, const char *id,
			  long long expiry, struct sess_err *err)
{
	return arrive(a, 0, NULL, expiry, id, err);
}

int sess_arrivals_joined(struct sess_arrivals *a, const char *id, const char *agent,
			 long long when, long long expiry, struct sess_err *err)
{
	/* sess_index_joined's "ZADD index XX" is the touched entry again */
	return arrive(a, 1, agent, expiry, id, err) || arrive(a, 2, NULL, when, agent, err) ? -1 : 0;
}

int sess_arrivals_created(struct sess_arrivals *a, const char *id, const char *agent,
			  long long now, long long expiry, struct sess_err *err)
{
	if (sess_arrivals_touched(a, id, expiry, err) ||
	    arrive(a, 1, agent, expiry, id, err) || arrive(a, 2, NULL, now, agent, err))
		return -1;
	a->sessions++;
	return 0;
}

void sess_arrivals_count(struct sess_arrivals *a, long long events, int completed)
{
	a->events += events;
	a->completed += completed != 0;
}

int sess_arrivals_type(struct sess_arrivals *a, const char *type, long long n,
		       struct sess_err *err)
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
				return sess_err_set(err, SESS_E_INTERNAL, NULL, "out of memory");
			a->types = v;
			a->captypes = cap;
		}
		if (!(a->types[i].type = strdup(type)))
			return sess_err_set(err, SESS_E_INTERNAL, NULL, "out of memory");
		a->types[i].n = 0;
		a->ntypes++;
	}
	a->types[i].n += n;
	return 0;
}

static int arrival_cmp_key(const struct sess_arrival *a, const struct sess_arrival *b)
{
	int c = a->key - b->key;

	if (!c && a->key == 1)
		c = strcmp(a->agent, b->agent);
	return c;
}

/* by index key, then as added (qsort is not stable; order is) */
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
		return sess_err_set(err, SESS_E_INTERNAL, NULL, "out of memory");
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
	char key[SESS_KEY_MAX], stats[SESS_KEY_MAX];
	size_t i, j;
	int rc = 0;

	if (a->n > 1)
		qsort(a->v, a->n, sizeof *a->v, arrival_cmp);
	for (i = 0; i < a->n && !rc; i = j) {
		for (j = i + 1; j < a->n && !arrival_cmp_key(&a->v[i], &a->v[j]); j++)
			;
		if (a->v[i].key == 0)
			sess_key_index(key, a->cfg->prefix);
		else if (a->v[i].key == 1)
			sess_key_agent(key, a->cfg->prefix, a->v[i].agent);
		else
			sess_key_agents(key, a->cfg->prefix);
		rc = zadd_run(p, key, &a->v[i], j - i, err);
	}
	sess_key_stats(stats, a->cfg->prefix);
	if (!rc && a->sessions)
		rc = sess_pipe_cmdf(p, TAG, err, "HINCRBY %s " SESS_S_STAT_SESSIONS " %lld", stats, a->sessions);
	if (!rc && a->sessions) {
		sess_key_layout(key, a->cfg->prefix);
		rc = sess_pipe_cmdf(p, TAG, err, "SET %s " SESS_S_LAYOUT " NX", key);
	}
	if (!rc && a->completed)
		rc = sess_pipe_cmdf(p, TAG, err, "HINCRBY %s " SESS_S_STAT_COMPLETED " %lld", stats, a->completed);
	if (!rc && a->events)
		rc = sess_pipe_cmdf(p, TAG, err, "HINCRBY %s " SESS_S_STAT_EVENTS " %lld", stats, a->events);
	for (i = 0; !rc && i < a->ntypes; i++)
		if (a->types[i].n)
			rc = sess_pipe_cmdf(p, TAG, err, "HINCRBY %s " SESS_S_STAT_TYPE_PREFIX "%s %lld", stats,
					    a->types[i].type, a->types[i].n);
	arrivals_clear(a);
	return rc;
}
