#include "core/session/upgrade.h"

#include <stdio.h>
#include <string.h>

#include "core/model/keys.h"
#include "core/model/slot.h"
#include "core/redis/pipe.h"
#include "core/redis/reply.h"
#include "core/redis/scan.h"
#include "core/base/schema.h"
#include "core/redis/scripts.h"
#include "core/session/view.h"

struct counts {
	long scanned, upgraded, current, gone, old;
};

/* The session id in "PREFIX:{ID}:meta" (into id), or -1. */
static int id_of(const char *key, char *id, size_t n)
{
	const char *a = strchr(key, '{'), *b = a ? strchr(a, '}') : NULL;

	if (!a || !b || (size_t)(b - a - 1) >= n || b == a + 1)
		return -1;
	memcpy(id, a + 1, (size_t)(b - a - 1));
	id[b - a - 1] = '\0';
	return sess_key_check_id(id, "session id", NULL);
}

/* One SCAN page: the version of each session (dry) or the upgrade script
 * on each, pipelined. */
static int page(struct sess_ctx *s, const redisReply *keys, int dry, struct counts *c,
		struct sess_err *err)
{
	char id[SESS_ID_MAX + 1], nk[8];
	struct sess_pipe p;
	size_t i;
	int rc = 0;

	sess_pipe_init(&p, s->conn);
	for (i = 0; i < keys->elements && !rc; i++) {
		struct sess_keys k;
		const char *argv[SESS_SCRIPT_MAXARGS + 3];
		size_t lens[SESS_SCRIPT_MAXARGS + 3];
		int argc;

		if (id_of(keys->element[i]->str, id, sizeof id))
			continue; /* not a session's meta key: not ours to change */
		c->scanned++;
		sess_keys_init(&k, s->cfg->prefix, id);
		if (dry) {
			rc = sess_pipe_cmdf(&p, 0, err, "HGET %s " SESS_S_F_VERSION, k.meta);
			continue;
		}
		sess_keys_tag(&k, s->cfg->prefix, sess_key_tag(id, s->conn->cl != NULL));
		argc = sess_script_argv(SESS_LUA_UPGRADE, SESS_NKEYS_ALL, k.v, 0, NULL, argv, lens, nk);
		rc = sess_pipe_argv(&p, SESS_LUA_UPGRADE, 0, argc, argv, lens, err);
	}
	while (sess_pipe_pending(&p)) {
		redisReply *r;
		if (sess_pipe_next(&p, &r, NULL, rc ? NULL : err)) {
			rc = -1;
			break;
		}
		if (rc) {
			freeReplyObject(r);
			continue;
		}
		if (r->type == REDIS_REPLY_NIL || (r->type == REDIS_REPLY_ERROR && r->str &&
						   !strncmp(r->str, "SESSNOTFOUND", 12)))
			c->gone++; /* expired meanwhile */
		else if (r->type == REDIS_REPLY_ERROR)
			rc = sess_script_error(s->conn, r, err);
		else if (dry && r->type == REDIS_REPLY_STRING &&
			 (!strcmp(r->str, SESS_S_LAYOUT_PREV) || !strcmp(r->str, SESS_S_LAYOUT_OLD)))
			c->old++;
		else if (dry && r->type == REDIS_REPLY_STRING && !strcmp(r->str, SESS_S_LAYOUT))
			c->current++;
		else if (dry)
			rc = sess_layout_ok(r->type == REDIS_REPLY_STRING ? r->str : "?", err);
		else if (sess_reply_int(r, 0) == 1)
			c->upgraded++;
		else
			c->current++;
		freeReplyObject(r);
	}
	sess_pipe_free(&p);
	return rc;
}

/* Layout 2's global key named by suffix (agent: an agent's index) merged
 * into the companion of its own slot (the one tag on a standalone server),
 * in one MULTI, and removed: a sorted set by ZUNIONSTORE (the higher
 * score of a member both hold wins), the stats hash by HINCRBY of each
 * counter, the fence by RENAME. Nothing when it does not exist. */
static int spread_global(struct sess_ctx *s, const char *from, int replays, long *moved,
			 struct sess_err *err);

static int move_global(struct sess_ctx *s, const char *suffix, const char *agent, long *moved,
		       struct sess_err *err)
{
	char from[SESS_KEY_MAX], to[SESS_KEY_MAX];
	const char *tag;
	struct sess_pipe p;
	redisReply *r, *h = NULL;
	int rc = 0;
	size_t i;

	sess_key_global(from, s->cfg->prefix, suffix, agent);
	/* the one tag, or on a cluster the tag of from's own slot: one MULTI */
	tag = s->conn->cl ? sess_slot_tag(sess_slot_of_key(from, strlen(from))) : SESS_S_TAG_ONE;
	if (!(r = sess_conn_cmdf(s->conn, err, "TYPE %s", from)))
		return -1;
	if (r->type != REDIS_REPLY_STATUS || !strcmp(r->str, "none")) {
		freeReplyObject(r);
		return 0;
	}
	freeReplyObject(r);
	/* on a cluster each session's entries belong to its own slot's
	 * companions: the index, the agents' indexes and the registry were
	 * written for every live session by its upgrade script (an entry of
	 * a session that is gone is dropped with them); each saved replay's
	 * entry goes to its own slot */
	if (s->conn->cl && (agent || strcmp(suffix, SESS_S_KEY_STATS)) && strcmp(suffix ? suffix : "", SESS_S_KEY_FENCE))
		return spread_global(s, from, !agent && !strcmp(suffix, SESS_S_KEY_REPLAYS), moved, err);
	if (agent)
		sess_key_agent(to, s->cfg->prefix, tag, agent);
	else if (!strcmp(suffix, SESS_S_KEY_INDEX))
		sess_key_index(to, s->cfg->prefix, tag);
	else if (!strcmp(suffix, SESS_S_KEY_AGENTS))
		sess_key_agents(to, s->cfg->prefix, tag);
	else if (!strcmp(suffix, SESS_S_KEY_REPLAYS))
		sess_key_replays(to, s->cfg->prefix, tag);
	else if (!strcmp(suffix, SESS_S_KEY_FENCE))
		sess_key_fence(to, s->cfg->prefix, tag);
	else
		sess_key_stats(to, s->cfg->prefix, tag);
	if (!agent && !strcmp(suffix, SESS_S_KEY_STATS) &&
	    !(h = sess_conn_cmdf(s->conn, err, "HGETALL %s", from)))
		return -1;
	sess_pipe_init(&p, s->conn);
	rc = sess_pipe_cmdf(&p, 0, err, "MULTI");
	if (h) {
		for (i = 0; !rc && h->type == REDIS_REPLY_ARRAY && i + 1 < h->elements; i += 2)
			rc = sess_pipe_cmdf(&p, 0, err, "HINCRBY %s %s %s", to, h->element[i]->str,
					    h->element[i + 1]->str);
		freeReplyObject(h);
		if (!rc)
			rc = sess_pipe_cmdf(&p, 0, err, "DEL %s", from);
	} else if (!agent && !strcmp(suffix, SESS_S_KEY_FENCE)) {
		rc = sess_pipe_cmdf(&p, 0, err, "RENAME %s %s", from, to);
	} else {
		rc = sess_pipe_cmdf(&p, 0, err, "ZUNIONSTORE %s 2 %s %s AGGREGATE MAX", to, to, from) ||
		     sess_pipe_cmdf(&p, 0, err, "DEL %s", from);
	}
	if (!rc)
		rc = sess_pipe_cmdf(&p, 0, err, "EXEC");
	while (!rc && sess_pipe_pending(&p)) {
		if ((rc = sess_pipe_next(&p, &r, NULL, err)))
			break;
		if (r->type == REDIS_REPLY_ERROR)
			rc = sess_conn_reply_error(s->conn, r, err);
		else if (!sess_pipe_pending(&p) && r->type != REDIS_REPLY_ARRAY)
			rc = sess_reply_bad(err, "EXEC");
		freeReplyObject(r);
	}
	if (rc)
		sess_pipe_drain(&p, SESS_PIPE_ALL, NULL);
	sess_pipe_free(&p);
	if (!rc)
		++*moved;
	return rc;
}

/* move_global on a cluster: from's members each to their own slot's
 * replays index (replays), or nowhere (the others: their sessions' own
 * upgrade wrote them); then from removed. */
static int spread_global(struct sess_ctx *s, const char *from, int replays, long *moved,
			 struct sess_err *err)
{
	char to[SESS_KEY_MAX];
	struct sess_pipe p;
	redisReply *r = NULL;
	size_t i;
	int rc = 0;

	sess_pipe_init(&p, s->conn);
	if (replays) {
		if (!(r = sess_conn_cmdf(s->conn, err, "ZRANGE %s 0 -1 WITHSCORES", from))) {
			sess_pipe_free(&p);
			return -1;
		}
		for (i = 0; !rc && r->type == REDIS_REPLY_ARRAY && i + 1 < r->elements; i += 2) {
			if (sess_key_check_id(r->element[i]->str, "replay id", NULL))
				continue;
			sess_key_replays(to, s->cfg->prefix, sess_key_tag(r->element[i]->str, 1));
			/* (GT adds a new member, and keeps a later save's score) */
			rc = sess_pipe_cmdf(&p, 0, err, "ZADD %s GT %s %s", to, r->element[i + 1]->str,
					    r->element[i]->str);
		}
		freeReplyObject(r);
	}
	if (!rc)
		rc = sess_pipe_cmdf(&p, 0, err, "DEL %s", from);
	while (!rc && sess_pipe_pending(&p)) {
		if ((rc = sess_pipe_next(&p, &r, NULL, err)))
			break;
		if (r->type == REDIS_REPLY_ERROR)
			rc = sess_conn_reply_error(s->conn, r, err);
		freeReplyObject(r);
	}
	if (rc)
		sess_pipe_drain(&p, SESS_PIPE_ALL, NULL);
	sess_pipe_free(&p);
	if (!rc)
		++*moved;
	return rc;
}

/* How many of layout 2's global keys are left (the index, registry,
 * counters, fence and replays' index; agents' indexes go with the
 * registry). */
static int globals_left(struct sess_ctx *s, long *n, struct sess_err *err)
{
	static const char *const sfx[] = {SESS_S_KEY_INDEX, SESS_S_KEY_STATS, SESS_S_KEY_FENCE,
					  SESS_S_KEY_REPLAYS, SESS_S_KEY_AGENTS};
	char key[SESS_KEY_MAX];
	redisReply *r;
	size_t i;

	*n = 0;
	for (i = 0; i < sizeof sfx / sizeof sfx[0]; i++) {
		sess_key_global(key, s->cfg->prefix, sfx[i], NULL);
		if (!(r = sess_conn_cmdf(s->conn, err, "EXISTS %s", key)))
			return -1;
		*n += r->type == REDIS_REPLY_INTEGER ? (long)r->integer : 0;
		freeReplyObject(r);
	}
	return 0;
}

/* Every global key of layout 2 into the companions: the index and the
 * registry's agents' indexes (the sessions' upgrade wrote their entries:
 * this keeps entries of sessions the SCAN did not see), the counters, the
 * fence and the saved replays' index. */
static int move_globals(struct sess_ctx *s, long *moved, struct sess_err *err)
{
	static const char *const sfx[] = {SESS_S_KEY_INDEX, SESS_S_KEY_STATS, SESS_S_KEY_FENCE,
					  SESS_S_KEY_REPLAYS};
	char reg[SESS_KEY_MAX];
	redisReply *r;
	size_t i;
	int rc = 0;

	for (i = 0; i < sizeof sfx / sizeof sfx[0]; i++)
		if (move_global(s, sfx[i], NULL, moved, err))
			return -1;
	sess_key_global(reg, s->cfg->prefix, SESS_S_KEY_AGENTS, NULL);
	if (!(r = sess_conn_cmdf(s->conn, err, "ZRANGE %s 0 -1", reg)))
		return -1;
	for (i = 0; !rc && r->type == REDIS_REPLY_ARRAY && i < r->elements; i++)
		if (sess_key_check_id(r->element[i]->str, "agent id", NULL) == 0)
			rc = move_global(s, NULL, r->element[i]->str, moved, err);
	freeReplyObject(r);
	return rc ? -1 : move_global(s, SESS_S_KEY_AGENTS, NULL, moved, err);
}

int sess_upgrade(struct sess_ctx *s, const struct sess_upgrade_opts *o,
		 cJSON **report, long *pending, struct sess_err *err)
{
	char layout[SESS_KEY_MAX], match[SESS_KEY_MAX + 8], before[16] = "";
	struct counts c = {0, 0, 0, 0, 0};
	struct sess_scan it;
	const redisReply *keys;
	redisReply *r;
	int more;
	cJSON *out;
	int marker_old;
	long moved = 0, left = 0;

	sess_key_layout(layout, s->cfg->prefix);
	if (!(r = sess_conn_cmdf(s->conn, err, "GET %s", layout)))
		return -1;
	if (r->type == REDIS_REPLY_STRING)
		snprintf(before, sizeof before, "%s", r->str);
	freeReplyObject(r);
	marker_old = !strcmp(before, SESS_S_LAYOUT_PREV) || !strcmp(before, SESS_S_LAYOUT_OLD);
	/* the companions' tag (a cluster's slots, or the one) */
	if (sess_conn_cluster(s->conn, err) < 0)
		return -1;
	if (before[0] && !marker_old && sess_layout_ok(before, err))
		return -1;
	sess_key_meta_pattern(match, s->cfg->prefix);
	sess_scan_init(&it, s->conn, "SCAN", NULL, match, s->cfg->cleanup_batch);
	while ((more = sess_scan_next(&it, &keys, err)) == 1) {
		if (page(s, keys, o->dry_run, &c, err)) {
			more = -1;
			break;
		}
		sess_progress(s, "upgrade: sessions scanned", c.scanned, -1);
	}
	sess_progress(s, "upgrade", -1, -1);
	sess_scan_free(&it);
	if (more < 0)
		return -1;
	/* then the global keys of layout 2, and the marker last: tools that
	 * check it see the new layout only once every session has it */
	/* (whatever the marker says: data of layout 2 may have none) */
	if (!o->dry_run && move_globals(s, &moved, err))
		return -1;
	if (o->dry_run && globals_left(s, &left, err))
		return -1;
	if (!o->dry_run && (marker_old || (!before[0] && c.scanned))) {
		if (!(r = sess_conn_cmdf(s->conn, err, "SET %s " SESS_S_LAYOUT, layout)))
			return -1;
		freeReplyObject(r);
	}
	*pending = o->dry_run ? c.old + (marker_old ? 1 : 0) + left : 0;
	if (!(out = sess_reply_obj(err)))
		return -1;
	cJSON_AddBoolToObject(out, "dryRun", o->dry_run);
	cJSON_AddNumberToObject(out, "scanned", (double)c.scanned);
	if (o->dry_run)
		cJSON_AddNumberToObject(out, "pending", (double)c.old);
	if (o->dry_run)
		cJSON_AddNumberToObject(out, "globalKeys", (double)left);
	else
		cJSON_AddNumberToObject(out, "upgraded", (double)c.upgraded);
	cJSON_AddNumberToObject(out, "current", (double)c.current);
	cJSON_AddNumberToObject(out, "gone", (double)c.gone);
	if (!o->dry_run)
		cJSON_AddNumberToObject(out, "movedKeys", (double)moved);
	cJSON_AddStringToObject(out, "layoutBefore", before[0] ? before : "none");
	cJSON_AddStringToObject(out, "layout", !o->dry_run && (marker_old || (!before[0] && c.scanned))
			       ? SESS_S_LAYOUT : before[0] ? before : "none");
	*report = out;
	return 0;
}
