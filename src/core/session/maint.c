#include "core/session/maint.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/base/schema.h"
#include "core/model/ids.h"
#include "core/model/keys.h"
#include "core/redis/pipe.h"
#include "core/redis/reply.h"
#include "core/redis/scripts.h"
#include "core/session/tags.h"
#include "core/session/view.h"

/* Redis's largest expiry time we write for a key without a TTL. */
#define NO_EXPIRY ((long long)SESS_S_NO_EXPIRY)

/* One page of a sorted set's members: ZRANGE, or with max (an exclusive
 * score bound, "(N") ZRANGEBYSCORE -inf max. Returns 1 with *page (an
 * array, caller frees), 0 when there are no more, -1 on error. */
static int zpage(struct sess_ctx *s, const char *key, const char *max, long offset,
		 redisReply **page, struct sess_err *err)
{
	long n = s->cfg->cleanup_batch;
	redisReply *r;

	if (max)
		r = sess_conn_cmdf(s->conn, err, "ZRANGEBYSCORE %s -inf %s LIMIT %ld %ld",
				   key, max, offset, n);
	else
		r = sess_conn_cmdf(s->conn, err, "ZRANGE %s %ld %ld", key, offset, offset + n - 1);
	if (!r)
		return -1;
	if (r->type != REDIS_REPLY_ARRAY) {
		freeReplyObject(r);
		return sess_reply_bad(err, "ZRANGE");
	}
	if (r->elements == 0) {
		freeReplyObject(r);
		return 0;
	}
	*page = r;
	return 1;
}

/* Prune one sorted-set index whose scores are expiry times: entries past
 * their expiry whose session is gone are removed; entries whose session
 * still lives (the index drifted) get their real expiry back. Either way
 * an entry handled leaves the range read, so the next page starts where
 * this one did, past the entries left as they were. */
static int prune_index(struct sess_ctx *s, const char *key, int dry,
		       long *pruned, long *rescored, struct sess_err *err)
{
	char now[24], mk[SESS_KEY_MAX];
	long long t = sess_now_ms();
	long offset = 0;
	int more;

	snprintf(now, sizeof now, "(%lld", t);
	for (;;) {
		struct sess_pipe p;
		redisReply *ids = NULL;
		size_t i;
		long kept = 0;
		int rc = 0, refused = 0;

		if ((more = zpage(s, key, now, offset, &ids, err)) <= 0)
			return more;
		sess_pipe_init(&p, s->conn);
		for (i = 0; i < ids->elements && !rc; i++) {
			sess_key_meta(mk, s->cfg->prefix, ids->element[i]->str);
			rc = sess_pipe_cmdf(&p, (long)i, err, "PTTL %s", mk);
		}
		for (i = 0; i < ids->elements && !rc; i++) {
			redisReply *r;
			if ((rc = sess_pipe_next(&p, &r, NULL, err)))
				break;
			if (r->type == REDIS_REPLY_INTEGER && r->integer == -2) {
				(*pruned)++;
				if (!dry)
					rc = sess_pipe_cmdf(&p, -1, err, "ZREM %s %s", key, ids->element[i]->str);
			} else if (r->type == REDIS_REPLY_INTEGER) {
				long long exp = r->integer > 0 ? t + r->integer : NO_EXPIRY;
				(*rescored)++;
				if (!dry)
					rc = sess_pipe_cmdf(&p, -1, err, "ZADD %s %lld %s", key, exp,
							    ids->element[i]->str);
			} else if (r->type == REDIS_REPLY_ERROR) {
				/* refused (the ACL, ...): said, never taken for "kept" */
				if (!refused++)
					sess_conn_reply_error(s->conn, r, err);
			} else {
				kept++;
			}
			freeReplyObject(r);
		}
		/* the ZREMs and ZADDs, queued behind the PTTLs */
		if (!rc && refused) {
			struct sess_err e2;
			sess_pipe_run(&p, &e2);
			rc = -1;
		} else if (!rc) {
			rc = sess_pipe_run(&p, err);
		}
		sess_pipe_free(&p);
		offset += dry ? (long)ids->elements : kept;
		freeReplyObject(ids);
		if (rc)
			return -1;
		sess_progress(s, "maintenance: expired index entries", *pruned + *rescored, -1);
	}
}

static int prune_agents(struct sess_ctx *s, const char *tag, int dry, long *pruned,
			long *rescored, long *agents_dropped, struct sess_err *err)
{
	char reg[SESS_KEY_MAX], akey[SESS_KEY_MAX];
	long offset = 0;
	int more;

	sess_key_agents(reg, s->cfg->prefix, tag);
	for (;;) {
		redisReply *agents = NULL;
		size_t i;
		int rc = 0;

		if ((more = zpage(s, reg, NULL, offset, &agents, err)) <= 0)
			return more;
		for (i = 0; i < agents->elements && !rc; i++) {
			redisReply *n;
			sess_key_agent(akey, s->cfg->prefix, tag, agents->element[i]->str);
			if ((rc = prune_index(s, akey, dry, pruned, rescored, err)))
				break;
			if (!(n = sess_conn_cmdf(s->conn, err, "ZCARD %s", akey))) {
				rc = -1;
				break;
			}
			offset++;
			if (n->type == REDIS_REPLY_INTEGER && n->integer == 0) {
				(*agents_dropped)++;
				if (!dry) {
					redisReply *z = sess_conn_cmdf(s->conn, err, "ZREM %s %s", reg,
								       agents->element[i]->str);
					if (z)
						freeReplyObject(z);
					else
						rc = -1;
					offset--;
				}
			}
			freeReplyObject(n);
		}
		freeReplyObject(agents);
		if (rc)
			return -1;
	}
}

/* One trim script call (or, dry, what it would trim) per session of the
 * page, pipelined; a session that expired meanwhile is fine. */
static int trim_page(struct sess_ctx *s, const redisReply *ids, int dry,
		     long *sessions, long *events, long *scanned, struct sess_err *err)
{
	char max[24], mk[SESS_KEY_MAX], nk[8];
	struct sess_pipe p;
	size_t i;
	int rc = 0;

	snprintf(max, sizeof max, "%ld", s->cfg->max_events);
	sess_pipe_init(&p, s->conn);
	for (i = 0; i < ids->elements && !rc; i++) {
		struct sess_keys k;
		const char *argv[SESS_SCRIPT_MAXARGS + 3], *args[1] = {max};
		size_t lens[SESS_SCRIPT_MAXARGS + 3];
		int argc;

		if (dry) {
			sess_key_meta(mk, s->cfg->prefix, ids->element[i]->str);
			rc = sess_pipe_cmdf(&p, 0, err, "HMGET %s " SESS_S_F_SEQ " " SESS_S_F_BASE, mk);
			continue;
		}
		sess_keys_init(&k, s->cfg->prefix, ids->element[i]->str);
		argc = sess_script_argv(SESS_LUA_TRIM, SESS_NKEYS, k.v, 1, args, argv, lens, nk);
		rc = sess_pipe_argv(&p, SESS_LUA_TRIM, 0, argc, argv, lens, err);
	}
	while (!rc && sess_pipe_pending(&p)) {
		redisReply *r;
		if ((rc = sess_pipe_next(&p, &r, NULL, err)))
			break;
		(*scanned)++;
		if (r->type == REDIS_REPLY_ERROR && !(r->str && !strncmp(r->str, "SESSNOTFOUND", 12))) {
			rc = sess_script_error(s->conn, r, err);
		} else if (dry && r->type == REDIS_REPLY_ARRAY && sess_reply_str(r, 0)) {
			long ex = (long)(sess_reply_int(r, 0) - sess_reply_int(r, 1)) - s->cfg->max_events;
			if (ex > 0) {
				(*sessions)++;
				*events += ex;
			}
		} else if (!dry && r->type == REDIS_REPLY_ARRAY && sess_reply_int(r, 0) > 0) {
			(*sessions)++;
			*events += (long)sess_reply_int(r, 0);
		}
		freeReplyObject(r);
	}
	/* on an error, the replies still owed are read and dropped */
	if (rc)
		sess_pipe_drain(&p, SESS_PIPE_ALL, NULL);
	sess_pipe_free(&p);
	return rc;
}

static int trim_all(struct sess_ctx *s, const char *tag, int dry, long *sessions, long *events,
		    long *scanned, struct sess_err *err)
{
	char idx[SESS_KEY_MAX];
	long offset = 0;
	int more;

	if (s->cfg->max_events <= 0)
		return 0;
	sess_key_index(idx, s->cfg->prefix, tag);
	for (;;) {
		redisReply *ids = NULL;
		int rc;

		if ((more = zpage(s, idx, NULL, offset, &ids, err)) <= 0)
			return more;
		rc = trim_page(s, ids, dry, sessions, events, scanned, err);
		offset += (long)ids->elements;
		freeReplyObject(ids);
		if (rc)
			return -1;
		sess_progress(s, "maintenance: logs", *scanned, -1);
	}
}

int sess_maintenance(struct sess_ctx *s, const struct sess_maint_opts *o,
		     cJSON **report, struct sess_err *err)
{
	char idx[SESS_KEY_MAX];
	long pruned = 0, rescored = 0, apruned = 0, arescored = 0, adropped = 0;
	long tsess = 0, tevents = 0, scanned = 0;
	const char **tags;
	int ntags, i, rc = 0;
	cJSON *r;

	if (sess_check_layout(s, err) || sess_tags_used(s, &tags, &ntags, err))
		return -1;
	/* each tag's companions: the one set, or every slot's in use */
	for (i = 0; i < ntags && !rc; i++) {
		sess_key_index(idx, s->cfg->prefix, tags[i]);
		rc = prune_index(s, idx, o->dry_run, &pruned, &rescored, err) ||
		     prune_agents(s, tags[i], o->dry_run, &apruned, &arescored, &adropped, err) ||
		     (!o->no_trim && trim_all(s, tags[i], o->dry_run, &tsess, &tevents, &scanned, err));
	}
	free(tags);
	sess_progress(s, "maintenance", -1, -1);
	if (rc)
		return -1;
	if (!(r = sess_reply_obj(err)))
		return -1;
	cJSON_AddBoolToObject(r, "dryRun", o->dry_run);
	cJSON_AddNumberToObject(r, "prunedIndexEntries", (double)pruned);
	cJSON_AddNumberToObject(r, "repairedIndexEntries", (double)rescored);
	cJSON_AddNumberToObject(r, "prunedAgentEntries", (double)apruned);
	cJSON_AddNumberToObject(r, "repairedAgentEntries", (double)arescored);
	cJSON_AddNumberToObject(r, "droppedAgentIndexes", (double)adropped);
	cJSON_AddNumberToObject(r, "scannedSessions", (double)scanned);
	cJSON_AddNumberToObject(r, "trimmedSessions", (double)tsess);
	cJSON_AddNumberToObject(r, "trimmedEvents", (double)tevents);
	cJSON_AddNumberToObject(r, "maxEventsPerSession", (double)s->cfg->max_events);
	cJSON_AddNumberToObject(r, "batchSize", (double)s->cfg->cleanup_batch);
	*report = r;
	return 0;
}
