#include "index.h"

#include <stdio.h>
#include <string.h>

#include "keys.h"
#include "schema.h"

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
