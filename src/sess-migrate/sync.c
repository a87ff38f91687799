/* sync.c - the sync engine (sync and sync --cutover, cmd_sync.c; resume
 * of a sync task): keep a target following a source until stopped, then
 * end the move cleanly.
 *
 * No gap between snapshot and live phase: the listener subscribes (the
 * sessions' notify channels, and the meta keys' keyspace events when the
 * source allows enabling them) BEFORE the snapshot pass walks the
 * selection; a change during or after the walk marks its session dirty,
 * and a dirty session is looked at again. Notifications only say where to
 * look: the channel's NAME gives the session id (never the payload, whose
 * format is not ours to depend on), and the session step (core/msync.h)
 * reads both sides' logs from the target's state. A periodic
 * reconciliation pass (and one after every reconnect, when pub/sub may
 * have dropped messages) compares chain heads over the selection, and
 * walks the sessions this task brought to catch deletions that no
 * notification announced.
 *
 * The task (core/mtask.h, kind "sync") holds the selection, so
 * `sess-migrate resume TASK` runs the same steps again; they are keyed on
 * the target's state, so nothing equal is copied again. Its done hash
 * marks the sessions the sync brought (value "y"): only those are removed
 * from the target when the source loses them.
 *
 * The engine is in three files (sync.h says what they share): this one
 * (its run, its passes, lag lines, drain and cutover), sync_step.c
 * (one batch of ids brought to the source's state) and sync_conn.c (the
 * listener and reconnects); the dirty set is syncset.c.
 */
#include "sync.h"

#include <stdlib.h>
#include <string.h>

#include "sess-migrate/fence.h"
#include "sess-migrate/cluster_side.h"
#include "core/model/ids.h"
#include "core/model/syncbeat.h"

/* ---- passes and lag ---- */

/* The heartbeat of a --rate wait (mig_meter.waiting), of an index
 * walk's pages without an id (mig_sel.waiting), of the --ids input as it
 * is read (mig_sel_load_plan's tick) or of the cutover's fence
 * walk (sess_fence_set's tick): a failure leaves the
 * sync's error as it was (the beat after the batch tries again and says
 * it). */
static void beat_waiting(void *arg)
{
	struct sync *s = arg;
	struct sess_err keep = s->err;

	if (sync_beat(s, 0))
		s->err = keep;
}

/* Compare chain heads over the selection and sync what differs; then the
 * sessions this task brought that the source lost. *changed counts the
 * sessions that were not equal. */
static int pass(struct sync *s, long *changed)
{
	char **ids;
	long page = s->run.batch;
	int n, i, rc = -1, ntags = 0, ti;
	char cursor[32] = "0";
	const char **tags = NULL;
	struct sess_mtask t;

	if (!(ids = calloc((size_t)(page > 1000 ? page : 1000), sizeof *ids)))
		return sess_err_set(&s->err, SESS_E_INTERNAL, NULL, "out of memory");
	mig_sel_free(&s->run.sel);
	mig_sel_init(&s->run.sel, s->o, s->run.src->cfg.prefix, page);
	s->run.sel.second_pass = 1; /* one walk: notifications cover the rest */
	s->run.sel.plan_key = s->run.task.plan;
	s->run.sel.waiting = beat_waiting; /* a long walk beats too */
	s->run.sel.waiting_arg = s;
	for (;;) {
		struct sess_conn *c = s->run.sel.kind == SEL_PLAN ? &s->run.dst->conn : &s->run.src->conn;
		if (cli_stop_signal())
			goto done;
		if ((n = mig_sel_next(&s->run.sel, c, ids, (int)page, &s->err)) < 0)
			goto out;
		if (n == 0)
			break;
		rc = sync_ids(s, ids, n, changed, 1);
		for (i = 0; i < n; i++)
			free(ids[i]);
		if (rc)
			goto out;
		rc = -1;
		mig_meter_tick(&s->run.meter, "syncing", n);
		if (sync_beat(s, 0))
			goto out;
	}
	/* deletions no notification announced: the task's own sessions (on
	 * a cluster target, each slot's marks) */
	if (sess_mtask_tags(&s->run.dst->conn, &s->run.task, &tags, &ntags, &s->err))
		goto out;
	for (ti = 0; ti < ntags && !cli_stop_signal(); ti++) {
		sess_mtask_at(&s->run.task, tags[ti], &t);
		snprintf(cursor, sizeof cursor, "0");
		do {
			redisReply *r = sess_conn_cmdf(&s->run.dst->conn, &s->err, "HSCAN %s %s COUNT 500",
						       t.done, cursor);
			size_t j;
			if (!r)
				goto out;
			if (r->type != REDIS_REPLY_ARRAY || r->elements != 2) {
				freeReplyObject(r);
				sess_err_set(&s->err, SESS_E_INTERNAL, NULL, "unexpected reply to HSCAN");
				goto out;
			}
			snprintf(cursor, sizeof cursor, "%s", r->element[0]->str);
			/* a reply may hold more than 1000 marks (a done hash kept
			 * as a listpack comes whole): each 1000 in turn, none cut */
			for (j = 0, rc = 0; !rc && j + 1 < r->element[1]->elements;) {
				for (n = 0; j + 1 < r->element[1]->elements && n < 1000; j += 2) {
					const char *id = r->element[1]->element[j]->str;
					if (id[0] != '#' && !(ids[n++] = strdup(id))) {
						n--;
						rc = sess_err_set(&s->err, SESS_E_INTERNAL, NULL, "out of memory");
						break;
					}
				}
				/* sync_ids removes the ones the source lost (and syncs
				 * the others, equal unless a notification is pending) */
				if (!rc && n)
					rc = sync_ids(s, ids, n, changed, 0);
				for (i = 0; i < n; i++)
					free(ids[i]);
			}
			freeReplyObject(r);
			if (rc || (rc = sync_beat(s, 0)))
				goto out;
			rc = -1;
		} while (strcmp(cursor, "0") != 0 && !cli_stop_signal());
	}
done:
	rc = 0;
	s->last_pass = sess_now_ms();
out:
	free(tags);
	free(ids);
	return rc;
}

/* The heartbeat now, saying the next comes within every ms. */
static int write_beat(struct sync *s, long every, struct sess_err *err)
{
	long long now = sess_now_ms();
	redisReply *r;

	r = sess_conn_cmdf(&s->run.dst->conn, err,
			   "HSET %s " SESS_MTASK_F_BEAT_AT " %lld " SESS_MTASK_F_BEAT_EVERY " %ld",
			   s->run.task.key, now, every);
	if (!r)
		return -1;
	freeReplyObject(r);
	s->last_beat = now;
	return 0;
}

int sync_beat(struct sync *s, int force)
{
	if (!force && sess_now_ms() - s->last_beat < s->every / 2)
		return 0;
	return write_beat(s, s->every, &s->err);
}

/* run.blocking: before a WAIT that may block longer than the period (a
 * long redis.waitTimeout), a heartbeat whose period covers it (beatEvery
 * raised by the wait: the next beat comes within it), so the readers'
 * one rule (3 x beatEvery) holds through it; after it, the period put
 * back. That one failing (the target full, gone) fails nothing: the
 * raised period stays until the next beat (sync_beat), due by the last
 * one's time, which puts it back or fails as itself. */
static int beat_blocking(void *arg, long ms, struct sess_err *err)
{
	struct sync *s = arg;

	if (ms > 0) {
		if (ms <= s->every)
			return 0;
		s->raised = 1;
		return write_beat(s, s->every + ms, err);
	}
	if (!s->raised)
		return 0;
	s->raised = 0;
	return write_beat(s, s->every, err);
}

/* The lag into the task's hash (keys.h, SESS_MTASK_F_LAG_*), where
 * sess-health reads it, with the heartbeat: one HSET on the target. */
static int keep_lag(struct sync *s, double secs, long long behind, int estimate)
{
	char sec[32];
	long long now = sess_now_ms();
	redisReply *r;

	/* (hiredis formats integers only: the seconds as text) */
	snprintf(sec, sizeof sec, "%.3f", secs);
	r = sess_conn_cmdf(&s->run.dst->conn, &s->err,
			   "HSET %s " SESS_MTASK_F_LAG_AT " %lld " SESS_MTASK_F_LAG_SECONDS " %s "
			   SESS_MTASK_F_LAG_PENDING " %lld " SESS_MTASK_F_LAG_EVENTS " %lld "
			   SESS_MTASK_F_LAG_ESTIMATE " %d " SESS_MTASK_F_BEAT_AT " %lld "
			   SESS_MTASK_F_BEAT_EVERY " %ld",
			   s->run.task.key, now, sec, (long long)s->dirty.n, behind, estimate, now, s->every);
	if (!r)
		return -1;
	freeReplyObject(r);
	s->last_beat = now;
	return 0;
}

/* A sync going on with its task: the last run's lag is not this one's
 * (its snapshot pass writes no lag line), so sess-health shows none
 * until the first (its failure is that of the next write). */
static void forget_lag(struct sync *s)
{
	redisReply *r = sess_conn_cmdf(&s->run.dst->conn, NULL,
				       "HDEL %s " SESS_MTASK_F_LAG_AT " " SESS_MTASK_F_LAG_SECONDS " "
				       SESS_MTASK_F_LAG_PENDING " " SESS_MTASK_F_LAG_EVENTS " "
				       SESS_MTASK_F_LAG_ESTIMATE, s->run.task.key);
	if (r)
		freeReplyObject(r);
}

static int lag(struct sync *s)
{
	cJSON *o = cJSON_CreateObject();
	long long oldest = mig_syncset_oldest(&s->dirty), behind = 0;
	int n = 0, i, estimate = 0;
	double secs;

	/* the events the target lacks in the pending sessions (the first
	 * 1000 of them; more: a lower bound, "estimate") */
	if (s->dirty.n) {
		char *ids[1000];
		struct sess_msync_head hs[1000], hd[1000];
		n = mig_syncset_peek(&s->dirty, ids, 1000);
		estimate = s->dirty.n > (size_t)n;
		if (sync_heads(s, ids, n, hs, hd)) {
			cJSON_Delete(o);
			return -1;
		}
		for (i = 0; i < n; i++)
			if (hs[i].present && hs[i].seq > (hd[i].present ? hd[i].seq : hs[i].base))
				behind += hs[i].seq - (hd[i].present ? hd[i].seq : hs[i].base);
	}
	secs = oldest ? (double)(sess_now_ms() - oldest) / 1000.0 : 0.0;
	cJSON_AddBoolToObject(o, "lag", 1);
	cJSON_AddStringToObject(o, "phase", s->phase);
	cJSON_AddNumberToObject(o, "pending", (double)s->dirty.n);
	cJSON_AddNumberToObject(o, "eventsBehind", (double)behind);
	if (estimate)
		cJSON_AddBoolToObject(o, "estimate", 1);
	cJSON_AddNumberToObject(o, "secondsBehind", secs);
	cJSON_AddNumberToObject(o, "copied", (double)(s->run.count[MIG_COPIED] + s->run.count[MIG_REPLACED]));
	cJSON_AddNumberToObject(o, "appended", (double)s->appended);
	cJSON_AddNumberToObject(o, "removed", (double)s->removed);
	cJSON_AddBoolToObject(o, "keyspaceEvents", s->keyspace);
	cJSON_AddNumberToObject(o, "at", (double)sess_now_ms());
	cli_out_json(&s->a->out, o);
	cli_out_flush(&s->a->out);
	cJSON_Delete(o);
	s->last_lag = sess_now_ms();
	return keep_lag(s, secs, behind, estimate);
}

/* ---- the command ---- */

static cJSON *summary(struct sync *s)
{
	cJSON *o = mig_summary(&s->run);

	cJSON_AddNumberToObject(o, "appended", (double)s->appended);
	cJSON_AddNumberToObject(o, "appendedEvents", (double)s->events);
	cJSON_AddNumberToObject(o, "removed", (double)s->removed);
	return o;
}

static int load_plan(struct sync *s)
{
	redisReply *r = sess_conn_cmdf(&s->run.dst->conn, &s->err, "LRANGE %s 0 -1", s->run.task.plan);
	size_t i;

	if (!r)
		return -1;
	for (i = 0; r->type == REDIS_REPLY_ARRAY && i < r->elements; i++)
		if (mig_syncset_add(&s->plan, r->element[i]->str, 0) < 0) {
			freeReplyObject(r);
			return sess_err_set(&s->err, SESS_E_INTERNAL, NULL, "out of memory");
		}
	freeReplyObject(r);
	s->use_plan = 1;
	return 0;
}

/* Take dirty sessions and sync them until none is left (a batch at a
 * time), or for at most max_ms: under a write load that keeps refilling
 * the set, the caller still gets to print lag lines and run passes. */
static int drain(struct sync *s, long max_ms)
{
	char **ids = calloc((size_t)s->run.batch, sizeof *ids);
	long long until = sess_now_ms() + max_ms;
	int n, i, rc = 0;

	if (!ids)
		return sess_err_set(&s->err, SESS_E_INTERNAL, NULL, "out of memory");
	while (!rc && s->dirty.n && !cli_stop_signal() && sess_now_ms() < until) {
		n = mig_syncset_take(&s->dirty, ids, (int)s->run.batch);
		rc = sync_ids(s, ids, n, NULL, 0);
		/* a failed batch stays dirty for after the reconnect */
		for (i = 0; i < n; i++) {
			if (rc)
				mig_syncset_add(&s->dirty, ids[i], sess_now_ms());
			free(ids[i]);
		}
		if (!rc && s->a->out.closed)
			break;
		if (!rc)
			rc = sync_listen(s, 0);
		if (!rc)
			rc = sync_beat(s, 0);
	}
	free(ids);
	return rc;
}

/* The cutover: fence, drain, a pass that finds nothing to do, verify. */
static int cutover(struct sync *s)
{
	long n = 0, changed, rounds = 0;
	cJSON *o;

	s->phase = "cutover";
	/* (a big source's walk beats as it goes) */
	if (sess_fence_set(&s->run.src->conn, s->run.src->cfg.prefix, s->run.dst->desc, &n,
			   beat_waiting, s, &s->err))
		return -1;
	o = cJSON_CreateObject();
	cJSON_AddBoolToObject(o, "fenced", 1);
	cJSON_AddStringToObject(o, "movedTo", s->run.dst->desc);
	cJSON_AddNumberToObject(o, "sessions", (double)n);
	cli_out_json(&s->a->out, o);
	cJSON_Delete(o);
	/* writes are refused from here on, so a pass that changes nothing
	 * leaves nothing behind (expiries run on both sides alike) */
	do {
		changed = 0;
		if (sync_listen(s, 0) || drain(s, 1000) || pass(s, &changed))
			return -1;
		if (cli_stop_signal())
			return 0;
		/* nothing can be written any more, so only sessions that keep
		 * failing (their lines say why) keep a pass busy this long */
		if (++rounds > 50 && changed)
			return sess_err_set(&s->err, SESS_E_NEGATIVE, "lag",
					    "the lag did not reach zero: %ld sessions still differ after 50 passes (see their 'failed' lines); the source stays fenced: fix them and run sync --cutover again, or 'sess-migrate unfence'",
					    changed);
	} while (changed || s->dirty.n);
	s->phase = "done";
	return lag(s);
}

/* A sync that stopped before its run began: its task marked failed, not
 * left running (without a heartbeat, read as alive). */
static void start_failed(struct sync *s)
{
	struct sess_err e;

	sess_mtask_set(&s->run.dst->conn, &s->run.task, "status", "failed", &e);
}

int mig_sync_main(struct cli_app *a, struct mig_opts *o, int resume)
{
	struct mig_side src = {0}, dst = {0};
	struct sync s;
	long interval = (o->interval > 0 ? o->interval : 5) * 1000;
	long every = (o->reconcile > 0 ? o->reconcile : 60) * 1000;
	int rc;
	long changed = 0;

	memset(&s, 0, sizeof s);
	s.every = interval;
	s.a = a;
	s.o = o;
	s.phase = "snapshot";
	s.run.a = a;
	s.run.src = &src;
	s.run.dst = &dst;
	s.run.mode = SESS_PUT_SYNC;
	s.run.legacy = 0;
	if ((rc = mig_open_side(a, &src, o->from, "--from")) ||
	    (rc = mig_open_side(a, &dst, o->to, "--to")))
		goto out;
	/* a cluster source: its emits are heard on every slot's channel
	 * (sync_open_all), but it has no keyspace events here (they stay on
	 * each node, and PSUBSCRIBE has no sharded form): what no emit
	 * announces (joins, leaves, deletes) is found by a pass every
	 * --interval */
	if (src.conn.cl) {
		every = interval;
		cli_warn(a->prog, "the source is a Redis Cluster: events are heard on its masters; other changes (joins, leaves, deletes) are found by a pass every %ld s (--interval)",
			 interval / 1000);
	}
	s.run.batch = o->batch > 0 ? o->batch : a->cfg.cleanup_batch > 0 ? a->cfg.cleanup_batch : 100;
	if (sess_mtask_init(&s.run.task, dst.cfg.prefix, o->task, &a->err)) {
		rc = cli_app_fail(a);
		goto out;
	}
	if (!resume && o->task) {
		/* sync is idempotent: a sync task of that name goes on (sync
		 * --cutover --task NAME after a plain sync of that task) */
		cJSON *t = NULL;
		struct sess_err e;
		if (sess_mtask_load(&dst.conn, &s.run.task, &t, &e) == 0) {
			const char *k = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(t, "kind"));
			resume = k && !strcmp(k, "sync");
			cJSON_Delete(t);
		}
	}
	if (resume) {
		/* running again with a heartbeat in the same write (a kill
		 * right after it is stale, not alive on an old one) */
		redisReply *r = sess_conn_cmdf(&dst.conn, &a->err,
					       "HSET %s status running " SESS_MTASK_F_BEAT_AT " %lld "
					       SESS_MTASK_F_BEAT_EVERY " %ld",
					       s.run.task.key, sess_now_ms(), s.every);
		if (r)
			freeReplyObject(r);
		forget_lag(&s);
	} else {
		/* a heartbeat from its creation: killed before its first beat,
		 * it is stale, not "unknown" for good */
		cJSON *info = mig_task_info(o, &s.run, "sync");
		cJSON_AddNumberToObject(info, SESS_MTASK_F_BEAT_AT, (double)sess_now_ms());
		cJSON_AddNumberToObject(info, SESS_MTASK_F_BEAT_EVERY, (double)s.every);
		rc = sess_mtask_create(&dst.conn, &s.run.task, info, &a->err);
		cJSON_Delete(info);
		if (rc) {
			rc = cli_app_fail(a);
			goto out;
		}
		if (o->ids) {
			long n;
			/* (a long or slow --ids input beats as it comes) */
			if ((rc = mig_sel_load_plan(a, o, &dst.conn, s.run.task.plan, &n, beat_waiting, &s)) &&
			    rc != 65) {
				start_failed(&s);
				goto out;
			}
		}
	}
	/* alive from the start (the snapshot pass beats as it goes) */
	if (sync_beat(&s, 1) || (o->ids && load_plan(&s))) {
		a->err = s.err;
		rc = cli_app_fail(a);
		start_failed(&s);
		goto out;
	}
	mig_pick_method(&s.run, o->method);
	s.want_keyspace = !o->no_keyspace;
	/* a side through Sentinel: its failover heard at once */
	sess_switch_open(&s.sw_src, &src.cfg);
	sess_switch_open(&s.sw_dst, &dst.cfg);
	cli_catch_stop_signals();
	s.run.meter.start_ms = sess_now_ms();
	s.run.meter.rate = o->rate; /* a weak target is not knocked over */
	s.run.meter.waiting = beat_waiting; /* ... and beats while it waits */
	s.run.meter.waiting_arg = &s;
	s.run.blocking = beat_blocking; /* ... and through a long WAIT */
	s.run.blocking_arg = &s;
	/* listen first, then the snapshot: no change can fall in between */
	if (sync_open_all(&s) && (!sync_transient(&s.err) || sync_reconnect(&s)))
		goto failed;
	while (pass(&s, &changed)) {
		if (!sync_transient(&s.err) || sync_reconnect(&s))
			goto failed;
	}
	mig_meter_end();
	s.phase = "live";
	if (lag(&s))
		goto retry_or_fail;
	for (;;) {
		long long now;
		int switched;
		if (cli_stop_signal() || a->out.closed)
			break;
		if (o->cutover) {
			if (drain(&s, interval) || cutover(&s))
				goto retry_or_fail;
			if (cli_stop_signal())
				break;
			sess_mtask_set(&dst.conn, &s.run.task, "status", "cutover", &a->err);
			cli_print(a, summary(&s));
			rc = mig_verify_run(a, o, &src, &dst);
			goto out;
		}
		switched = sess_switch_poll(&s.sw_src) | sess_switch_poll(&s.sw_dst) << 1;
		if (switched) {
			sess_err_set(&s.err, SESS_E_TEMP, "failover", "the sentinels switched the primary of the %s",
				     switched == 3 ? "source and the target" : switched == 2 ? "target" : "source");
			goto retry_or_fail;
		}
		if (sync_listen(&s, s.dirty.n ? 0 : 200) || drain(&s, interval) || sync_beat(&s, 0))
			goto retry_or_fail;
		now = sess_now_ms();
		if (now - s.last_pass >= every && pass(&s, NULL))
			goto retry_or_fail;
		if (now - s.last_lag >= interval && lag(&s))
			goto retry_or_fail;
		continue;
retry_or_fail:
		if (!sync_transient(&s.err) || sync_reconnect(&s))
			goto failed;
		/* pub/sub may have dropped messages while we were away */
		if (pass(&s, NULL))
			goto retry_or_fail;
	}
	/* stopped: the batch in flight is done; say how to go on */
	sess_mtask_set(&dst.conn, &s.run.task, "status", "interrupted", &a->err);
	mig_meter_end();
	cli_print(a, summary(&s));
	fprintf(stderr, "%s: stopped after the batch in flight; nothing is lost: continue with 'sess-migrate resume %s --to %s'\n",
		a->prog, s.run.task.name, dst.desc);
	rc = a->out.closed && !cli_stop_signal() ? 0 : cli_signal_exit();
	goto out;
failed:
	if (cli_stop_signal()) {
		/* its task says so (stopped while reconnecting: the target
		 * opened again for it), not running without a heartbeat */
		struct sess_err e;
		if (sess_conn_is_open(&dst.conn) ||
		    (sess_conn_open(&dst.conn, &dst.cfg, &e) == 0 && sess_conn_cluster(&dst.conn, &e) >= 0))
			sess_mtask_set(&dst.conn, &s.run.task, "status", "interrupted", &e);
		mig_meter_end();
		cli_print(a, summary(&s));
		fprintf(stderr, "%s: stopped; nothing is lost: continue with 'sess-migrate resume %s --to %s'\n",
			a->prog, s.run.task.name, dst.desc);
		rc = cli_signal_exit();
		goto out;
	}
	rc = mig_stop(&s.run, &s.err);
out:
	mig_sel_free(&s.run.sel);
	mig_syncset_free(&s.dirty);
	mig_syncset_free(&s.plan);
	sess_switch_close(&s.sw_src);
	sess_switch_close(&s.sw_dst);
	cJSON_Delete(s.pending);
	mig_close_side(&s.sub);
	sync_unlisten(&s);
	mig_close_side(&src);
	mig_close_side(&dst);
	return rc;
}
