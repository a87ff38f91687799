/* whole.c - a live session written whole (contract in whole.h). */
#include "core/session/whole.h"

#include <stdio.h>
#include <string.h>

#include "core/base/schema.h"
#include "core/base/sha1.h"
#include "core/redis/reply.h"
#include "core/session/log.h"

int sess_whole_begin(struct sess_whole *s, const struct sess_config *cfg, const char *id,
		     struct sess_err *err)
{
	redisReply *r;

	memset(s, 0, sizeof *s);
	s->w.st.fd = -1;
	s->cfg = cfg;
	snprintf(s->id, sizeof s->id, "%s", id);
	sess_keys_init(&s->k, cfg->prefix, id);
	if (sess_conn_open(&s->w, cfg, err))
		return -1;
	s->open = 1;
	/* the companions' tag, known before the MULTI they ride in */
	if (sess_conn_cluster(&s->w, err) < 0)
		return -1;
	sess_pipe_init(&s->p, &s->w);
	sess_arrivals_init(&s->ar, cfg);
	sess_arrivals_about(&s->ar, s->id);
	/* all or nothing, and never over a session that exists (one
	 * created meanwhile trips the WATCH) */
	if (!(r = sess_conn_cmdf(&s->w, err, "WATCH %s", s->k.meta)))
		return -1;
	freeReplyObject(r);
	if (!(r = sess_conn_cmdf(&s->w, err, "EXISTS %s", s->k.meta)))
		return -1;
	if (r->integer > 0) {
		freeReplyObject(r);
		return sess_err_set(err, SESS_E_NEGATIVE, "exists",
				    "a session %s exists already; pick another --id or leave it out", id);
	}
	freeReplyObject(r);
	if (!(r = sess_conn_cmdf(&s->w, err, "TIME")))
		return -1;
	s->now = sess_reply_int(r, 0) * 1000 + sess_reply_int(r, 1) / 1000;
	freeReplyObject(r);
	s->multi = 1;
	return sess_pipe_cmdf(&s->p, 0, err, "MULTI");
}

int sess_whole_record(struct sess_whole *s, int kind, const char *text, size_t len,
		      const char *type, size_t type_len, const char *eid, long long seq,
		      struct sess_err *err)
{
	char t[SESS_S_TYPE_MAX + 1];

	if (sess_pipe_cmdf(&s->p, 0, err, "RPUSH %s %b",
			   kind == SESS_REC_EVENT ? s->k.events : s->k.history, text, len))
		return -1;
	if (kind != SESS_REC_EVENT)
		return 0;
	s->events++;
	/* counted as an emit counts it: events and type:TYPE */
	if (type_len && type_len <= SESS_S_TYPE_MAX) {
		memcpy(t, type, type_len);
		t[type_len] = '\0';
		if (sess_arrivals_type(&s->ar, t, 1, err))
			return -1;
	}
	if (eid && sess_pipe_cmdf(&s->p, 0, err, "HSET %s %s %lld", s->k.dedup, eid, seq))
		return -1;
	return 0;
}

int sess_whole_checkpoint(struct sess_whole *s, const char *cpid, const char *body,
			  struct sess_err *err)
{
	return sess_pipe_cmdf(&s->p, 0, err, "HSET %s %s %s", s->k.cps, cpid, body);
}

/* The meta, the own record, the TTLs and the stats, queued. */
/* The index entries, as for a new session. */
static int index_it(struct sess_whole *s, const struct sess_fold *snap, struct sess_err *err)
{
	long long expiry = s->now + snap->ttl * 1000;
	size_t i;

	if (sess_arrivals_created(&s->ar, s->id, snap->creator, s->now, expiry, err))
		return -1;
	for (i = 0; i < snap->nagents; i++)
		if (strcmp(snap->agents[i].id, snap->creator) &&
		    sess_arrivals_joined(&s->ar, s->id, snap->agents[i].id, s->now, expiry, err))
			return -1;
	return 0;
}

static int queue_meta(struct sess_whole *s, const struct sess_fold *snap, const char *own,
		      long long lastcp, char *chain, struct sess_err *err)
{
	long long ttl_ms = snap->ttl * 1000;
	size_t i;

	if (sess_sha1_link(snap->chain, own, strlen(own), chain))
		return sess_err_set(err, SESS_E_INTERNAL, NULL,
				    "libcrypto gave no SHA-1 for the hash chain (out of memory, or an OpenSSL configuration without SHA-1)");
	if (sess_pipe_cmdf(&s->p, 0, err, "RPUSH %s %s", s->k.history, own) ||
	    sess_pipe_cmdf(&s->p, 0, err,
			   "HSET %s " SESS_S_F_VERSION " " SESS_S_LAYOUT " " SESS_S_F_STATE " %s "
			   SESS_S_F_CREATED " %lld " SESS_S_F_UPDATED " %lld " SESS_S_F_SEQ " %lld "
			   SESS_S_F_BASE " 0 " SESS_S_F_TTL " %lld " SESS_S_F_AGENTS " %lu "
			   SESS_S_F_CREATOR " %s " SESS_S_F_CPS " %lld " SESS_S_F_LASTCP " %lld "
			   SESS_S_F_REF " %lld " SESS_S_F_CHAIN " %s",
			   s->k.meta, snap->state, snap->created, s->now, snap->seq, snap->ttl,
			   (unsigned long)snap->nagents, snap->creator, snap->cps, lastcp, s->now, chain))
		return -1;
	for (i = 0; i < snap->nagents; i++)
		if (sess_pipe_cmdf(&s->p, 0, err, "HSET %s " SESS_S_F_AGENT_PREFIX "%s %lld", s->k.meta,
				   snap->agents[i].id, snap->agents[i].joined ? snap->agents[i].joined : s->now))
			return -1;
	if (snap->metadata &&
	    sess_pipe_cmdf(&s->p, 0, err, "HSET %s " SESS_S_F_METADATA " %s", s->k.meta, snap->metadata))
		return -1;
	for (i = 0; i < SESS_NKEYS; i++)
		if (sess_pipe_cmdf(&s->p, 0, err, "PEXPIRE %s %lld", s->k.v[i], ttl_ms))
			return -1;
	/* its companions in the same MULTI (layout 3: one slot): the index
	 * entries, as for a new session, and its events counted in the stats
	 * (events, type:*, and a completed session as completed) */
	if (index_it(s, snap, err) ||
	    sess_arrivals_count(&s->ar, s->events, !strcmp(snap->state, SESS_S_COMPLETED), err))
		return -1;
	return sess_arrivals_flush(&s->ar, &s->p, err);
}

int sess_whole_commit(struct sess_whole *s, const struct sess_fold *snap, const char *own,
		      long long lastcp, char *chain_out, struct sess_err *err)
{
	redisReply *x = NULL;
	int rc;

	if (queue_meta(s, snap, own, lastcp, chain_out, err) || sess_pipe_cmdf(&s->p, 0, err, "EXEC")) {
		sess_whole_abort(s);
		return -1;
	}
	/* +OK and QUEUED, then EXEC's: nil when the WATCH tripped */
	rc = sess_pipe_drain(&s->p, sess_pipe_pending(&s->p) - 1, err) ||
	     sess_pipe_next(&s->p, &x, NULL, err) ? -1 : 0;
	if (!rc && x && x->type == REDIS_REPLY_ERROR) /* EXECABORT: a command refused (the ACL) */
		rc = sess_conn_reply_error(&s->w, x, err);
	else if (!rc && (!x || x->type != REDIS_REPLY_ARRAY))
		rc = sess_err_set(err, SESS_E_NEGATIVE, "exists",
				  "a session %s was created meanwhile; nothing was written", s->id);
	if (x)
		freeReplyObject(x);
	sess_pipe_free(&s->p);
	sess_conn_close(&s->w);
	sess_arrivals_free(&s->ar);
	s->open = 0;
	return rc ? -1 : 0;
}

void sess_whole_abort(struct sess_whole *s)
{
	redisReply *r;

	if (!s->open)
		return;
	/* nothing is applied without EXEC: what was queued is dropped (and
	 * the WATCH ends with the connection) */
	if (s->multi) {
		sess_pipe_drain(&s->p, SESS_PIPE_ALL, NULL);
		if (sess_conn_ok(&s->w) && (r = sess_conn_cmdf(&s->w, NULL, "DISCARD")))
			freeReplyObject(r);
	}
	sess_pipe_free(&s->p);
	sess_conn_close(&s->w);
	sess_arrivals_free(&s->ar);
	s->open = 0;
}
