/* sync_conn.c - sess-migrate sync's connections: the listener that marks
 * sessions dirty from the source's notifications, and the (re)opening of
 * both sides and the listener. Contract in sync.h. */
#include "sync.h"

#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ---- the listener ---- */

/* 1 if id is in the selection (--match, the --ids plan). */
static int wanted(struct sync *s, const char *id)
{
	if (s->o->match && fnmatch(s->o->match, id, 0) != 0)
		return 0;
	return !s->use_plan || mig_syncset_has(&s->plan, id);
}

static int subscribe(struct sync *s)
{
	char pat[SESS_KEY_MAX + 32];
	int want = 1, got = 0;
	redisReply *r;
	struct sess_err e;

	sess_key_channel_pattern(pat, s->sub.cfg.prefix);
	if (sess_conn_appendf(&s->sub.conn, &s->err, "PSUBSCRIBE %s", pat))
		return -1;
	if (s->keyspace) {
		sess_key_keyspace_pattern(pat, s->sub.cfg.prefix, s->sub.cfg.db);
		if (sess_conn_appendf(&s->sub.conn, &s->err, "PSUBSCRIBE %s", pat))
			return -1;
		want = 2;
	}
	/* subscribed for sure before the snapshot starts */
	while (got < want) {
		sess_err_clear(&e);
		if (sess_conn_read(&s->sub.conn, &r, &s->err))
			return -1;
		if (r->type == REDIS_REPLY_ERROR) {
			sess_conn_reply_error(&s->sub.conn, r, &s->err);
			freeReplyObject(r);
			return -1;
		}
		if (r->type == REDIS_REPLY_ARRAY && r->elements >= 1 &&
		    r->element[0]->type == REDIS_REPLY_STRING && !strcmp(r->element[0]->str, "psubscribe"))
			got++;
		freeReplyObject(r);
	}
	return 0;
}

/* A cluster source: the emits SPUBLISH on their slot's channel (listen.h)
 * a message "ID\nEVENT...": the id before the first newline. */
static int listen_cluster(struct sync *s, int timeout_ms)
{
	int i;

	for (i = 0; i < 10000; i++) {
		redisReply *r = NULL, *p;
		char id[SESS_ID_MAX + 1];
		const char *nl;
		size_t len;
		int got = sess_listen_wait(&s->lis, i ? 0 : timeout_ms, &r, &s->err);
		if (got < 0)
			return -1;
		if (got == 0)
			return 0;
		p = r->elements == 3 ? r->element[2] : NULL;
		if (p && p->type == REDIS_REPLY_STRING) {
			nl = memchr(p->str, '\n', p->len);
			len = nl ? (size_t)(nl - p->str) : p->len;
			if (len >= 1 && len <= SESS_ID_MAX) {
				struct sess_err e;
				memcpy(id, p->str, len);
				id[len] = '\0';
				if (sess_key_check_id(id, "id", &e) == 0 && wanted(s, id) &&
				    mig_syncset_add(&s->dirty, id, sess_now_ms()) < 0) {
					freeReplyObject(r);
					return sess_err_set(&s->err, SESS_E_INTERNAL, NULL, "out of memory");
				}
			}
		}
		freeReplyObject(r);
	}
	return 0;
}

/* Messages waiting (up to timeout_ms for the first): their sessions
 * become dirty. Only the channel's name is read (a cluster's: the
 * message's id). */
int sync_listen(struct sync *s, int timeout_ms)
{
	int i;

	if (s->lis_open)
		return listen_cluster(s, timeout_ms);
	if (!s->sub.open && s->run.src->conn.cl) {
		/* a cluster source whose SSUBSCRIBE was refused: the passes
		 * find changes */
		struct timespec ts = {timeout_ms / 1000, (timeout_ms % 1000) * 1000000L};
		nanosleep(&ts, NULL);
		return 0;
	}
	for (i = 0; i < 10000; i++) {
		redisReply *r;
		char id[SESS_ID_MAX + 1];
		int got = sess_conn_wait(&s->sub.conn, i ? 0 : timeout_ms, &r, &s->err);
		if (got < 0)
			return -1;
		if (got == 0)
			return 0;
		if (r->type == REDIS_REPLY_ARRAY && r->elements == 4 &&
		    r->element[0]->type == REDIS_REPLY_STRING && !strcmp(r->element[0]->str, "pmessage") &&
		    r->element[2]->type == REDIS_REPLY_STRING &&
		    !sess_key_channel_id(r->element[2]->str, s->sub.cfg.prefix, id) && wanted(s, id) &&
		    mig_syncset_add(&s->dirty, id, sess_now_ms()) < 0) {
			freeReplyObject(r);
			return sess_err_set(&s->err, SESS_E_INTERNAL, NULL, "out of memory");
		}
		freeReplyObject(r);
	}
	return 0;
}

/* ---- connections ---- */

void sync_unlisten(struct sync *s)
{
	if (s->lis_open)
		sess_listen_close(&s->lis);
	s->lis_open = 0;
}

static void close_all(struct sync *s)
{
	mig_close_side(&s->sub);
	sync_unlisten(s);
	sess_conn_close(&s->run.src->conn);
	sess_conn_close(&s->run.dst->conn);
}

/* Keyspace events: deletions, expiries and lifecycle changes without a
 * publish; the notify channel and the passes work without them. */
static void keyspace_on(struct sync *s)
{
	struct sess_err e;

	sess_err_clear(&e);
	s->keyspace = sess_msync_keyspace(&s->sub.conn, &e) == 0;
	if (!s->keyspace && !s->keyspace_warned++)
		cli_warn(s->a->prog, "the source refused to enable keyspace notifications (%s); deletions and expiries are found by the reconciliation pass every %ld s (--reconcile)",
			 e.msg, s->o->reconcile > 0 ? s->o->reconcile : 60);
}

/* (Re)open what is closed: the two sides, then the listener. */
int sync_open_all(struct sync *s)
{
	if (!sess_conn_is_open(&s->run.src->conn) && sess_conn_open(&s->run.src->conn, &s->run.src->cfg, &s->err))
		return -1;
	if (!sess_conn_is_open(&s->run.dst->conn) && sess_conn_open(&s->run.dst->conn, &s->run.dst->cfg, &s->err))
		return -1;
	/* (reopened: which tags the companions take, asked again) */
	if (sess_conn_cluster(&s->run.src->conn, &s->err) < 0 ||
	    sess_conn_cluster(&s->run.dst->conn, &s->err) < 0)
		return -1;
	if (sess_script_load_all(&s->run.dst->conn, &s->err))
		return -1;
	if (s->run.src->conn.cl && !s->lis_open && !s->lis_refused) {
		/* every slot's channel, on each master (listen.h) */
		if (sess_listen_open(&s->lis, &s->run.src->conn, s->run.src->cfg.prefix, 0, NULL, &s->err) == 0) {
			s->lis_open = 1;
		} else if (sync_transient(&s->err)) {
			return -1;
		} else {
			/* NOPERM, or no SSUBSCRIBE (Redis before 7.0, whose
			 * scripts PUBLISH on a cluster): passes only */
			s->lis_refused = 1;
			cli_warn(s->a->prog, "the source refused to let sync listen on its masters (%s); changes are found by a pass every %ld s (--interval)",
				 s->err.msg, s->o->interval > 0 ? s->o->interval : 5);
			sess_err_clear(&s->err);
		}
	}
	if (!s->sub.open && !s->run.src->conn.cl) {
		s->sub.cfg = s->run.src->cfg;
		if (sess_conn_open(&s->sub.conn, &s->sub.cfg, &s->err))
			return -1;
		s->sub.open = 1;
		/* every time: a restarted source forgot the setting */
		if (s->want_keyspace)
			keyspace_on(s);
		if (subscribe(s))
			return -1;
	}
	return 0;
}

/* A failure worth retrying: a side went away or is busy. */
int sync_transient(const struct sess_err *e)
{
	return e->cls == SESS_E_UNAVAILABLE || e->cls == SESS_E_TEMP;
}

/* Reconnect with backoff (100 ms doubling to 5 s) until both sides and
 * the listener are back, or a stop signal. 0 when back. */
int sync_reconnect(struct sync *s)
{
	long delay = 100;

	cli_warn(s->a->prog, "%s; reconnecting (the missed changes are looked for after)", s->err.msg);
	for (;;) {
		struct timespec ts;
		close_all(s);
		if (cli_stop_signal())
			return -1;
		sess_err_clear(&s->err);
		if (sync_open_all(s) == 0)
			return 0;
		if (!sync_transient(&s->err))
			return -1;
		ts.tv_sec = delay / 1000;
		ts.tv_nsec = (delay % 1000) * 1000000L;
		nanosleep(&ts, NULL);
		delay = delay * 2 > 5000 ? 5000 : delay * 2;
	}
}

