/* check_ops.c - two operator numbers of the sessions component: the
 * broken sessions (a bounded read of the live sessions' states) and the
 * lag of sess-migrate sync tasks held on this server (what each sync last
 * wrote into its task's hash).
 *
 * Why a read and not a counter: a broken session leaves the broken state
 * by a script (emit, complete, delete) or by expiring, and an expiry runs
 * no script, so a counter kept by the scripts (layout 3's companion
 * stats) would count expired sessions as broken forever. The read is of
 * the index's live entries (PREFIX:#{TAG}:index, score: the expiry) and
 * each one's meta state, at most HEALTH_STATE_SCAN of them, pipelined: the
 * count is exact when every live session was read (the scanned metric
 * equals the active one) and a lower bound when not. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/base/schema.h"
#include "core/model/ids.h"
#include "core/model/keys.h"
#include "core/model/syncbeat.h"
#include "core/redis/pipe.h"
#include "core/session/tags.h"
#include "sess-health/check.h"
#include "sess-health/probe.h"

#define PAGE 1000 /* index entries a ZRANGEBYSCORE reads */
#define CHUNK 256 /* tags whose first page one pipeline asks for */

/* A state reply of page_states counted into arg (scanned, broken). */
static int state_one(const redisReply *r, void *arg, struct sess_conn *c, struct sess_err *err)
{
	long long *counts = arg;

	(void)c;
	(void)err;
	/* a meta gone since the index was read: drift, not a session */
	if (r->type == REDIS_REPLY_STRING) {
		counts[0]++;
		counts[1] += !strcmp(r->str, SESS_S_BROKEN);
	}
	return 0;
}

/* Count the broken states among the meta keys of the first n entries of
 * one page of index entries (a ZRANGEBYSCORE reply). */
static int page_states(struct sess_ctx *s, const redisReply *m, size_t n, long long *scanned,
		       long long *broken, struct sess_err *err)
{
	long long counts[2] = {0, 0};
	int rc = sess_probe_each_meta(s, m, n, -1, "HGET", SESS_S_F_STATE, state_one, counts, err);

	*scanned += counts[0];
	*broken += counts[1];
	return rc;
}

static int is_list(const redisReply *m, struct sess_conn *c, struct sess_err *err)
{
	if (m->type == REDIS_REPLY_ARRAY)
		return 0;
	if (m->type == REDIS_REPLY_ERROR)
		return sess_conn_reply_error(c, m, err);
	return sess_err_set(err, SESS_E_INTERNAL, "bad_reply", "ZRANGEBYSCORE gave no list");
}

/* The live entries of one tag's index past its first page (off of them
 * read), a page at a time, while *read < limit. */
static int more_pages(struct sess_ctx *s, const char *idx, long long now, long long off,
		      long long limit, long long *read, long long *scanned, long long *broken,
		      struct sess_err *err)
{
	for (;;) {
		long long want = limit - *read < PAGE ? limit - *read : PAGE;
		redisReply *m;
		int rc;
		if (want <= 0)
			return 0;
		if (!(m = sess_conn_cmdf(s->conn, err, "ZRANGEBYSCORE %s (%lld +inf LIMIT %lld %lld", idx, now, off, want)))
			return -1;
		if (is_list(m, s->conn, err)) {
			freeReplyObject(m);
			return -1;
		}
		*read += (long long)m->elements;
		off += (long long)m->elements;
		rc = page_states(s, m, m->elements, scanned, broken, err);
		if (rc || (long long)m->elements < want) {
			freeReplyObject(m);
			return rc;
		}
		freeReplyObject(m);
	}
}

int health_probe_broken(struct sess_ctx *s, long long limit, long long *entries,
			long long *scanned, long long *broken, struct sess_err *err)
{
	char idx[SESS_KEY_MAX];
	const char **tags = NULL;
	redisReply *m[CHUNK];
	struct sess_pipe p;
	long long now = sess_now_ms(), read = 0;
	int ntags, i, k, nq, rc = -1;

	*entries = *scanned = *broken = 0;
	if (sess_tags_used(s, &tags, &ntags, err))
		return -1;
	/* the first page of CHUNK tags' indexes in one pipeline (a cluster
	 * may use all 16384: one round trip each would be seconds), then
	 * their states; a tag with more than a page goes on alone */
	for (i = 0; i < ntags && read < limit; i += CHUNK) {
		nq = ntags - i < CHUNK ? ntags - i : CHUNK;
		memset(m, 0, sizeof m);
		sess_pipe_init(&p, s->conn);
		for (k = 0; k < nq; k++) {
			sess_key_index(idx, s->cfg->prefix, tags[i + k]);
			if (sess_pipe_cmdf(&p, 0, err, "ZRANGEBYSCORE %s (%lld +inf LIMIT 0 %d", idx, now, PAGE))
				goto chunk_failed;
		}
		for (k = 0; k < nq; k++)
			if (sess_pipe_next(&p, &m[k], NULL, err) || is_list(m[k], s->conn, err))
				goto chunk_failed;
		sess_pipe_free(&p);
		for (k = 0; k < nq && read < limit; k++) {
			size_t take = (size_t)(limit - read) < m[k]->elements ? (size_t)(limit - read) : m[k]->elements;
			read += (long long)take;
			if (page_states(s, m[k], take, scanned, broken, err))
				goto chunk_done;
			if (m[k]->elements == PAGE && take == PAGE) {
				sess_key_index(idx, s->cfg->prefix, tags[i + k]);
				if (more_pages(s, idx, now, PAGE, limit, &read, scanned, broken, err))
					goto chunk_done;
			}
		}
		for (k = 0; k < nq; k++)
			freeReplyObject(m[k]);
	}
	rc = 0;
	goto done;
chunk_failed:
	sess_pipe_drain(&p, SESS_PIPE_ALL, NULL);
	sess_pipe_free(&p);
chunk_done:
	for (k = 0; k < CHUNK; k++)
		if (m[k])
			freeReplyObject(m[k]);
done:
	*entries = read;
	free(tags);
	return rc;
}

void check_broken(struct run *r, struct sess_ctx *ctx, long long active)
{
	struct sess_err e;
	long long entries, scanned, broken;

	memset(&e, 0, sizeof e);
	if (health_probe_broken(ctx, HEALTH_STATE_SCAN, &entries, &scanned, &broken, &e)) {
		check_add(r, C_SESSIONS, "broken", H_UNKNOWN, NULL, NULL, "%s", e.msg);
		return;
	}
	/* the bound stopped the read (a meta gone since its index entry was
	 * read is no session read, but no reason to say exact either) */
	if (entries >= HEALTH_STATE_SCAN && entries < active)
		check_add(r, C_SESSIONS, "broken", H_OK, cJSON_CreateNumber((double)broken), NULL,
			  "at least: the states of the first %lld of %lld live sessions were read", scanned, active);
	else
		check_add(r, C_SESSIONS, "broken", H_OK, cJSON_CreateNumber((double)broken), NULL, NULL);
	check_prom(r, "sess_sessions_broken", "gauge",
		   "Live sessions in state broken, among those read (all when sess_sessions_state_scanned equals sess_sessions_active).",
		   NULL, (double)broken);
	check_prom(r, "sess_sessions_state_scanned", "gauge",
		   "Live sessions whose state was read for sess_sessions_broken (at most 10000 a check).", NULL,
		   (double)scanned);
}

/* ---- sess-migrate sync tasks ---- */

#define TASKS_MAX 100 /* the newest tasks of the registry looked at */

static double num_at(const redisReply *r, size_t i)
{
	char *end;
	double v;

	if (i >= r->elements || r->element[i]->type != REDIS_REPLY_STRING)
		return NAN;
	v = strtod(r->element[i]->str, &end);
	return *end ? NAN : v;
}

static const char *str_at(const redisReply *r, size_t i)
{
	return i < r->elements && r->element[i]->type == REDIS_REPLY_STRING ? r->element[i]->str : "";
}

/* One task's hash fields (an HMGET reply: kind, status, the lag's, then
 * the heartbeat's). */
static void sync_task(struct run *r, const char *name, const redisReply *h, cJSON *tasks, long long now)
{
	const char *kind = str_at(h, 0), *status = str_at(h, 1), *state;
	double at = num_at(h, 2), secs = num_at(h, 3), pending = num_at(h, 4), events = num_at(h, 5);
	double beat = num_at(h, 6), every = num_at(h, 7);
	char label[400];
	cJSON *o;

	/* a sync that ran and has not been ended by a cutover (a stopped,
	 * failed or killed one too: its lag only grows, and its timestamp
	 * says since when; resume continues it) */
	if (strcmp(kind, "sync") ||
	    (strcmp(status, "running") && strcmp(status, "interrupted") && strcmp(status, "failed")))
		return;
	/* marked running: alive while its heartbeat is within the bound; a
	 * killed one (nothing left to change its status) is stale, and a
	 * hash from before the heartbeat is unknown (taken as running, as
	 * its status says) */
	state = sess_sync_state(status, beat, every, now);
	o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "task", name);
	cJSON_AddStringToObject(o, "status", status);
	cJSON_AddStringToObject(o, "state", state);
	health_prom_label(label, sizeof label, "task", name);
	check_prom(r, "sess_sync_running", "gauge",
		   "1 for a sess-migrate sync task on this target running (marked running, its heartbeat within 3 x its interval, at least 10 s), 0 for one stopped, failed or stale (killed) before its cutover.",
		   label, !strcmp(state, "running") || !strcmp(state, "unknown"));
	if (!isnan(beat)) {
		check_prom(r, "sess_sync_heartbeat_timestamp_seconds", "gauge",
			   "When the sync last wrote its heartbeat (unix time; at least every --interval while it runs).",
			   label, beat / 1000);
		cJSON_AddNumberToObject(o, "heartbeatAt", beat);
		cJSON_AddNumberToObject(o, "heartbeatAge", (double)(now - (long long)beat) / 1000.0);
		cJSON_AddNumberToObject(o, "staleAfter", (double)sess_sync_beat_bound(every) / 1000.0);
	}
	if (!isnan(at)) { /* no lag line yet: the snapshot pass is on */
		check_prom(r, "sess_sync_lag_seconds", "gauge",
			   "How far the target was behind the source at the sync's last lag line (the oldest pending change's age).",
			   label, isnan(secs) ? 0 : secs);
		check_prom(r, "sess_sync_pending_sessions", "gauge",
			   "Sessions changed on the source and not yet synced, at the sync's last lag line.", label,
			   isnan(pending) ? 0 : pending);
		check_prom(r, "sess_sync_events_behind", "gauge",
			   "Events the target lacked in the pending sessions at the last lag line (a lower bound past 1000 sessions).",
			   label, isnan(events) ? 0 : events);
		check_prom(r, "sess_sync_lag_timestamp_seconds", "gauge",
			   "When the sync last measured its lag (unix time): old means the sync is not running.", label,
			   at / 1000);
		cJSON_AddNumberToObject(o, "secondsBehind", isnan(secs) ? 0 : secs);
		cJSON_AddNumberToObject(o, "pending", isnan(pending) ? 0 : pending);
		cJSON_AddNumberToObject(o, "eventsBehind", isnan(events) ? 0 : events);
		cJSON_AddNumberToObject(o, "at", at);
		/* the last numbers of a sync that is gone: not the lag now */
		if (!strcmp(state, "stale"))
			cJSON_AddBoolToObject(o, "lagStale", 1);
	}
	if (!strcmp(state, "stale"))
		cJSON_AddStringToObject(o, "note", "marked running but its heartbeat is older than staleAfter: the sync was killed, hangs or cannot reach this server; 'sess-migrate resume' continues it");
	else if (!strcmp(state, "unknown"))
		cJSON_AddStringToObject(o, "note", "no heartbeat (written by a sess-migrate from before it): whether it runs is not known");
	cJSON_AddItemToArray(tasks, o);
}

void check_sync(struct run *r, struct sess_ctx *ctx)
{
	char reg[SESS_KEY_MAX], key[SESS_KEY_MAX];
	struct sess_pipe p;
	struct sess_err e;
	redisReply *names, *h;
	cJSON *tasks = cJSON_CreateArray();
	long long now = sess_now_ms();
	size_t i;

	memset(&e, 0, sizeof e);
	sess_key_migrate(reg, ctx->cfg->prefix, NULL, NULL);
	if (!(names = sess_conn_cmdf(ctx->conn, &e, "ZRANGE %s -%d -1", reg, TASKS_MAX))) {
		cJSON_Delete(tasks);
		check_add(r, C_SESSIONS, "syncTasks", H_UNKNOWN, NULL, NULL, "%s", e.msg);
		return;
	}
	sess_pipe_init(&p, ctx->conn);
	for (i = 0; names->type == REDIS_REPLY_ARRAY && i < names->elements; i++) {
		const char *n = names->element[i]->str;
		if (!n || sess_key_check_id(n, "task name", NULL))
			continue;
		sess_key_migrate(key, ctx->cfg->prefix, n, NULL);
		if (sess_pipe_cmdf(&p, (long)i, &e, "HMGET %s kind status " SESS_MTASK_F_LAG_AT " "
				   SESS_MTASK_F_LAG_SECONDS " " SESS_MTASK_F_LAG_PENDING " "
				   SESS_MTASK_F_LAG_EVENTS " " SESS_MTASK_F_BEAT_AT " "
				   SESS_MTASK_F_BEAT_EVERY, key))
			goto fail;
	}
	while (sess_pipe_pending(&p)) {
		long t;
		if (sess_pipe_next(&p, &h, &t, &e))
			goto fail;
		if (h->type == REDIS_REPLY_ARRAY)
			sync_task(r, names->element[t]->str, h, tasks, now);
		freeReplyObject(h);
	}
	sess_pipe_free(&p);
	freeReplyObject(names);
	/* nothing at all when no sync task is here */
	if (cJSON_GetArraySize(tasks))
		check_add(r, C_SESSIONS, "syncTasks", H_OK, tasks, NULL, NULL);
	else
		cJSON_Delete(tasks);
	return;
fail:
	sess_pipe_drain(&p, SESS_PIPE_ALL, NULL);
	sess_pipe_free(&p);
	freeReplyObject(names);
	cJSON_Delete(tasks);
	check_add(r, C_SESSIONS, "syncTasks", H_UNKNOWN, NULL, NULL, "%s", e.msg);
}
