/* sync.c - sync, sync --cutover and unfence: keep a target following a
 * source until stopped, then end the move cleanly.
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
 */
#include "copy.h"
#include "upkeep.h"

#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sess-migrate/fence.h"
#include "core/model/ids.h"
#include "core/session/index.h"
#include "sess-migrate/msync.h"
#include "core/base/schema.h"

/* ---- a set of session ids (the dirty ones, the --ids plan) ---- */

struct idset {
	char **slot;     /* NULL empty, TOMB removed */
	long long *when; /* when it was marked (ms) */
	size_t cap, n, used;
};
static char tomb_[1];
#define TOMB tomb_

static size_t idhash(const char *s)
{
	size_t h = 5381;

	while (*s)
		h = h * 33 + (unsigned char)*s++;
	return h;
}

static void idset_free(struct idset *s)
{
	size_t i;

	for (i = 0; i < s->cap; i++)
		if (s->slot[i] && s->slot[i] != TOMB)
			free(s->slot[i]);
	free(s->slot);
	free(s->when);
	memset(s, 0, sizeof *s);
}

static long idset_find(const struct idset *s, const char *id)
{
	size_t i;

	if (!s->cap)
		return -1;
	for (i = idhash(id) & (s->cap - 1); s->slot[i]; i = (i + 1) & (s->cap - 1))
		if (s->slot[i] != TOMB && !strcmp(s->slot[i], id))
			return (long)i;
	return -1;
}

static int idset_add(struct idset *s, const char *id, long long when);

static int idset_grow(struct idset *s)
{
	struct idset t = {0};
	size_t i;

	t.cap = s->cap ? s->cap * 2 : 1024;
	if (!(t.slot = calloc(t.cap, sizeof *t.slot)) || !(t.when = calloc(t.cap, sizeof *t.when))) {
		free(t.slot);
		return -1;
	}
	for (i = 0; i < s->cap; i++)
		if (s->slot[i] && s->slot[i] != TOMB) {
			idset_add(&t, s->slot[i], s->when[i]);
			free(s->slot[i]);
			s->slot[i] = NULL;
		}
	idset_free(s);
	*s = t;
	return 0;
}

/* Add id (kept with its first mark's time); 1 if new, 0 if there, -1 OOM. */
static int idset_add(struct idset *s, const char *id, long long when)
{
	size_t i;

	if (idset_find(s, id) >= 0)
		return 0;
	if ((s->used + 1) * 2 > s->cap && idset_grow(s))
		return -1;
	for (i = idhash(id) & (s->cap - 1); s->slot[i] && s->slot[i] != TOMB; i = (i + 1) & (s->cap - 1))
		;
	if (!s->slot[i])
		s->used++;
	if (!(s->slot[i] = strdup(id)))
		return -1;
	s->when[i] = when;
	s->n++;
	return 1;
}

/* Take up to max ids out (the caller frees them). */
static int idset_take(struct idset *s, char **ids, int max)
{
	size_t i;
	int k = 0;

	for (i = 0; i < s->cap && k < max; i++)
		if (s->slot[i] && s->slot[i] != TOMB) {
			ids[k++] = s->slot[i];
			s->slot[i] = TOMB;
			s->n--;
		}
	if (s->n == 0 && s->cap) { /* all tombstones: start clean */
		memset(s->slot, 0, s->cap * sizeof *s->slot);
		s->used = 0;
	}
	return k;
}

static long long idset_oldest(const struct idset *s)
{
	long long o = 0;
	size_t i;

	for (i = 0; i < s->cap; i++)
		if (s->slot[i] && s->slot[i] != TOMB && (!o || s->when[i] < o))
			o = s->when[i];
	return o;
}

/* ---- the sync ---- */

struct sync {
	struct cli_app *a;
	struct mig_opts *o;
	struct mig_run run;
	struct mig_side sub;     /* the source again, subscribed */
	int want_keyspace;       /* ask the source for keyspace events */
	int keyspace;            /* keyspace events on */
	int keyspace_warned;
	struct idset dirty, plan;
	int use_plan;
	long appended, removed, equal, events;
	long long last_lag, last_pass;
	const char *phase;
	struct sess_err err;     /* the failure that stopped a step */
};

static int wanted(struct sync *s, const char *id)
{
	if (s->o->match && fnmatch(s->o->match, id, 0) != 0)
		return 0;
	return !s->use_plan || idset_find(&s->plan, id) >= 0;
}

static void line(struct sync *s, const char *id, const char *status, long events)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddStringToObject(o, "id", id);
	cJSON_AddStringToObject(o, "status", status);
	if (events >= 0)
		cJSON_AddNumberToObject(o, "events", (double)events);
	cli_out_json(&s->a->out, o);
	cJSON_Delete(o);
}

/* Mark ids as brought by this task (removed from the target only if so). */
static int mark(struct sync *s, char **ids, int n, const char *op)
{
	const char **argv;
	size_t *lens;
	redisReply *r;
	int i, k = 2;

	if (n == 0)
		return 0;
	argv = malloc((size_t)(2 * n + 2) * sizeof *argv);
	lens = malloc((size_t)(2 * n + 2) * sizeof *lens);
	if (!argv || !lens) {
		free(argv);
		free(lens);
		return sess_err_set(&s->err, SESS_E_INTERNAL, NULL, "out of memory");
	}
	argv[0] = op;
	argv[1] = s->run.task.done;
	for (i = 0; i < n; i++) {
		argv[k++] = ids[i];
		if (!strcmp(op, "HSET"))
			argv[k++] = "y";
	}
	for (i = 0; i < k; i++)
		lens[i] = strlen(argv[i]);
	r = sess_conn_cmd(&s->run.dst->conn, &s->err, k, argv, lens);
	free(argv);
	free(lens);
	if (!r)
		return -1;
	freeReplyObject(r);
	return 0;
}

/* Both sides' heads of ids. */
static int heads(struct sync *s, char **ids, int n, struct sess_msync_head *hs,
		 struct sess_msync_head *hd)
{
	struct mig_side *side[2] = {s->run.src, s->run.dst};
	struct sess_msync_head *out[2] = {hs, hd};
	int k, i;

	for (k = 0; k < 2; k++) {
		struct sess_pipe p;
		sess_pipe_init(&p, &side[k]->conn);
		for (i = 0; i < n; i++)
			if (sess_msync_head_queue(&p, side[k]->cfg.prefix, ids[i], &s->err))
				goto fail;
		for (i = 0; i < n; i++)
			if (sess_msync_head_take(&p, &out[k][i], &s->err))
				goto fail;
		sess_pipe_free(&p);
		continue;
fail:
		sess_pipe_free(&p);
		return -1;
	}
	return 0;
}

/* The new ends of the sessions idx[] (TAIL); stale ones go to whole[]. */
static int tails(struct sync *s, char **ids, const int *idx, int n,
		 const struct sess_msync_head *hd, char **whole, int *nwhole)
{
	struct sess_snap *snaps = calloc((size_t)n, sizeof *snaps);
	struct sess_pipe p;
	char stats[SESS_KEY_MAX];
	int i, rc = -1, sent = 0;
	size_t k;

	if (!snaps)
		return sess_err_set(&s->err, SESS_E_INTERNAL, NULL, "out of memory");
	sess_pipe_init(&p, &s->run.src->conn);
	for (i = 0; i < n; i++) {
		sess_snap_init(&snaps[i], ids[idx[i]], 's');
		if (sess_msync_tail_queue(&p, s->run.src->cfg.prefix, ids[idx[i]], &hd[idx[i]], &s->err))
			goto out;
	}
	for (i = 0; i < n; i++)
		if (sess_snap_take(&p, &snaps[i], &s->err))
			goto out;
	sess_pipe_free(&p);
	sess_pipe_init(&p, &s->run.dst->conn);
	for (i = 0; i < n; i++) {
		if (!snaps[i].present)
			continue; /* gone meanwhile: its notification says so */
		if (sess_msync_tail_put(&p, s->run.dst->cfg.prefix, &snaps[i], &hd[idx[i]], i, &s->err))
			goto out;
		sent++;
	}
	sess_key_stats(stats, s->run.dst->cfg.prefix);
	for (; sent > 0; sent--) {
		redisReply *r;
		long tag, ev = 0;
		char st[16];
		struct sess_err e;
		if (sess_pipe_next(&p, &r, &tag, &s->err))
			goto out;
		sess_err_clear(&e);
		if (sess_msync_tail_status(&p, r, st, &ev, &e)) {
			freeReplyObject(r);
			if (e.cls != SESS_E_DATA) {
				s->err = e;
				goto out;
			}
			mig_report(&s->run, snaps[tag].id, MIG_FAILED, &e);
			continue;
		}
		freeReplyObject(r);
		if (!strcmp(st, "appended")) {
			s->appended++;
			s->events += ev;
			line(s, snaps[tag].id, "appended", ev);
			/* the global indexes follow (expiry, members, event count,
			 * the events by type: the tail's events are those appended) */
			if (sess_snap_index(&p, &s->run.dst->cfg, &snaps[tag], 0, &s->err) ||
			    (ev && sess_pipe_cmdf(&p, -1, &s->err, "HINCRBY %s " SESS_S_STAT_EVENTS " %ld",
						  stats, ev)) ||
			    (ev && mig_snap_count_types(&snaps[tag], &s->err)))
				goto out;
			for (k = 0; ev && k + 1 < snaps[tag].types.n; k += 2)
				if (sess_pipe_cmdf(&p, -1, &s->err, "HINCRBY %s " SESS_S_STAT_TYPE_PREFIX "%s %s", stats,
						   snaps[tag].types.v[k], snaps[tag].types.v[k + 1]))
					goto out;
		} else if (!strcmp(st, "stale")) {
			whole[(*nwhole)++] = ids[idx[tag]]; /* the caller's, alive after snaps */
		}
	}
	/* the index upkeep's replies (tags 0 and -1) */
	while (sess_pipe_pending(&p)) {
		redisReply *r;
		if (sess_pipe_next(&p, &r, NULL, &s->err))
			goto out;
		freeReplyObject(r);
	}
	rc = 0;
out:
	sess_pipe_free(&p);
	for (i = 0; i < n; i++)
		sess_snap_free(&snaps[i]);
	free(snaps);
	return rc;
}

/* Copy ids whole (mode sync: replace, no backups). */
static int wholes(struct sync *s, char **ids, int n)
{
	struct sess_snap *snaps;
	int *ok, i, rc = -1, k = 0;
	char **arrived;

	if (n == 0)
		return 0;
	snaps = calloc((size_t)n, sizeof *snaps);
	ok = calloc((size_t)n, sizeof *ok);
	arrived = calloc((size_t)n, sizeof *arrived);
	if (!snaps || !ok || !arrived) {
		sess_err_set(&s->err, SESS_E_INTERNAL, NULL, "out of memory");
		goto out;
	}
	if (mig_read_batch(&s->run, ids, n, snaps, ok, &s->err))
		goto out;
	for (i = 0; i < n; i++)
		if (ok[i] && (!snaps[i].present ||
			      (snaps[i].expire_at && snaps[i].expire_at <= snaps[i].now)))
			ok[i] = 0; /* gone meanwhile: its notification says so */
	if (mig_write_batch(&s->run, snaps, n, ok, &s->err))
		goto out;
	for (i = 0; i < n; i++)
		if (ok[i] == 2)
			arrived[k++] = ids[i];
	rc = mark(s, arrived, k, "HSET");
out:
	if (snaps)
		for (i = 0; i < n; i++)
			sess_snap_free(&snaps[i]);
	free(snaps);
	free(ok);
	free(arrived);
	return rc;
}

/* Bring ids on the target to the source's state. changed (may be NULL)
 * counts the sessions that were not equal. */
static int sync_ids(struct sync *s, char **ids, int n, long *changed, int mark_all)
{
	struct sess_msync_head *hs = calloc((size_t)n, sizeof *hs), *hd = calloc((size_t)n, sizeof *hd);
	int *tail = calloc((size_t)n, sizeof *tail);
	char **whole = calloc((size_t)n, sizeof *whole), **gone = calloc((size_t)n, sizeof *gone);
	char **both = calloc((size_t)n, sizeof *both);
	int i, nt = 0, nw = 0, ng = 0, rc = -1;

	if (!hs || !hd || !tail || !whole || !gone || !both) {
		sess_err_set(&s->err, SESS_E_INTERNAL, NULL, "out of memory");
		goto out;
	}
	if (heads(s, ids, n, hs, hd))
		goto out;
	for (i = 0; i < n; i++) {
		enum sess_msync_act act = sess_msync_decide(&hs[i], &hd[i]);
		if (act != SESS_MSYNC_EQUAL && act != SESS_MSYNC_ABSENT && changed)
			(*changed)++;
		switch (act) {
		case SESS_MSYNC_EQUAL:
			s->equal++;
			break;
		case SESS_MSYNC_TAIL:
			tail[nt++] = i;
			break;
		case SESS_MSYNC_WHOLE:
			/* --state picks the sessions to start following */
			if (!s->o->state || hd[i].present || s->run.legacy)
				whole[nw++] = ids[i];
			else
				goto state;
			break;
		case SESS_MSYNC_REMOVE:
			gone[ng++] = ids[i];
			break;
		default:
			break;
		}
		continue;
state:
		{
			/* a new session: follow it if its state is selected */
			char meta[SESS_KEY_MAX];
			redisReply *r;
			sess_key_meta(meta, s->run.src->cfg.prefix, ids[i]);
			if (!(r = sess_conn_cmdf(&s->run.src->conn, &s->err, "HGET %s " SESS_S_F_STATE, meta)))
				goto out;
			if (r->type == REDIS_REPLY_STRING && !strcmp(r->str, s->o->state))
				whole[nw++] = ids[i];
			freeReplyObject(r);
		}
	}
	if (nt && tails(s, ids, tail, nt, hd, whole, &nw))
		goto out;
	if (wholes(s, whole, nw))
		goto out;
	if (mark_all) {
		/* a pass: what the source has and the target holds is this
		 * task's to follow, even if an earlier copy brought it */
		int k = 0;
		struct sess_pipe p;
		long long now = sess_now_ms();
		for (i = 0; i < n; i++)
			if (hs[i].present && hd[i].present)
				both[k++] = ids[i];
		if (mark(s, both, k, "HSET"))
			goto out;
		/* and indexed there (a kill between a session's arrival and
		 * its index entry left it out) */
		sess_pipe_init(&p, &s->run.dst->conn);
		for (i = 0; i < n; i++)
			if (hs[i].present && hd[i].present && hd[i].pttl > 0 &&
			    sess_index_present(&p, &s->run.dst->cfg, ids[i], now + hd[i].pttl, &s->err)) {
				sess_pipe_free(&p);
				goto out;
			}
		k = sess_pipe_run(&p, &s->err);
		sess_pipe_free(&p);
		if (k)
			goto out;
	}
	if (ng) {
		/* only what this task brought leaves the target */
		const char **argv = malloc((size_t)(ng + 2) * sizeof *argv);
		size_t *lens = malloc((size_t)(ng + 2) * sizeof *lens);
		redisReply *r = NULL;
		if (argv && lens) {
			argv[0] = "HMGET";
			argv[1] = s->run.task.done;
			lens[0] = 5;
			lens[1] = strlen(argv[1]);
			for (i = 0; i < ng; i++) {
				argv[i + 2] = gone[i];
				lens[i + 2] = strlen(gone[i]);
			}
			r = sess_conn_cmd(&s->run.dst->conn, &s->err, ng + 2, argv, lens);
		} else {
			sess_err_set(&s->err, SESS_E_INTERNAL, NULL, "out of memory");
		}
		free(argv);
		free(lens);
		if (!r)
			goto out;
		for (i = 0; i < ng; i++) {
			if (r->element[i]->type != REDIS_REPLY_STRING)
				continue;
			if (sess_msync_remove(&s->run.dst->conn, &s->run.dst->cfg, gone[i], &s->err) ||
			    mark(s, &gone[i], 1, "HDEL")) {
				freeReplyObject(r);
				goto out;
			}
			s->removed++;
			line(s, gone[i], "removed", -1);
		}
		freeReplyObject(r);
	}
	rc = 0;
out:
	free(hs);
	free(hd);
	free(tail);
	free(whole);
	free(gone);
	free(both);
	return rc;
}

/* ---- the listener ---- */

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

/* Messages waiting (up to timeout_ms for the first): their sessions
 * become dirty. Only the channel's name is read. */
static int listen_sub(struct sync *s, int timeout_ms)
{
	int i;

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
		    idset_add(&s->dirty, id, sess_now_ms()) < 0) {
			freeReplyObject(r);
			return sess_err_set(&s->err, SESS_E_INTERNAL, NULL, "out of memory");
		}
		freeReplyObject(r);
	}
	return 0;
}

/* ---- passes and lag ---- */

/* Compare chain heads over the selection and sync what differs; then the
 * sessions this task brought that the source lost. *changed counts the
 * sessions that were not equal. */
static int pass(struct sync *s, long *changed)
{
	char **ids;
	long page = s->run.batch;
	int n, i, rc = -1;
	char cursor[32] = "0";

	if (!(ids = calloc((size_t)(page > 1000 ? page : 1000), sizeof *ids)))
		return sess_err_set(&s->err, SESS_E_INTERNAL, NULL, "out of memory");
	mig_sel_init(&s->run.sel, s->o, s->run.src->cfg.prefix, page);
	s->run.sel.second_pass = 1; /* one walk: notifications cover the rest */
	s->run.sel.plan_key = s->run.task.plan;
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
	}
	/* deletions no notification announced: the task's own sessions */
	do {
		redisReply *r = sess_conn_cmdf(&s->run.dst->conn, &s->err, "HSCAN %s %s COUNT 500",
					       s->run.task.done, cursor);
		size_t j;
		if (!r)
			goto out;
		if (r->type != REDIS_REPLY_ARRAY || r->elements != 2) {
			freeReplyObject(r);
			sess_err_set(&s->err, SESS_E_INTERNAL, NULL, "unexpected reply to HSCAN");
			goto out;
		}
		snprintf(cursor, sizeof cursor, "%s", r->element[0]->str);
		for (n = 0, j = 0; j + 1 < r->element[1]->elements && n < 1000; j += 2) {
			const char *id = r->element[1]->element[j]->str;
			if (id[0] != '#')
				ids[n++] = strdup(id);
		}
		freeReplyObject(r);
		/* sync_ids removes the ones the source lost (and syncs the
		 * others, which are equal unless a notification is pending) */
		rc = n ? sync_ids(s, ids, n, changed, 0) : 0;
		for (i = 0; i < n; i++)
			free(ids[i]);
		if (rc)
			goto out;
		rc = -1;
	} while (strcmp(cursor, "0") != 0 && !cli_stop_signal());
done:
	rc = 0;
	s->last_pass = sess_now_ms();
out:
	free(ids);
	return rc;
}

static int lag(struct sync *s)
{
	cJSON *o = cJSON_CreateObject();
	long long oldest = idset_oldest(&s->dirty), behind = 0;
	int n = 0, i, estimate = 0;

	/* the events the target lacks in the pending sessions (the first
	 * 1000 of them; more: a lower bound, "estimate") */
	if (s->dirty.n) {
		char *ids[1000];
		struct sess_msync_head hs[1000], hd[1000];
		size_t k;
		for (k = 0; k < s->dirty.cap && n < 1000; k++)
			if (s->dirty.slot[k] && s->dirty.slot[k] != TOMB)
				ids[n++] = s->dirty.slot[k];
		estimate = s->dirty.n > (size_t)n;
		if (heads(s, ids, n, hs, hd)) {
			cJSON_Delete(o);
			return -1;
		}
		for (i = 0; i < n; i++)
			if (hs[i].present && hs[i].seq > (hd[i].present ? hd[i].seq : hs[i].base))
				behind += hs[i].seq - (hd[i].present ? hd[i].seq : hs[i].base);
	}
	cJSON_AddBoolToObject(o, "lag", 1);
	cJSON_AddStringToObject(o, "phase", s->phase);
	cJSON_AddNumberToObject(o, "pending", (double)s->dirty.n);
	cJSON_AddNumberToObject(o, "eventsBehind", (double)behind);
	if (estimate)
		cJSON_AddBoolToObject(o, "estimate", 1);
	cJSON_AddNumberToObject(o, "secondsBehind", oldest ? (double)(sess_now_ms() - oldest) / 1000.0 : 0.0);
	cJSON_AddNumberToObject(o, "copied", (double)(s->run.count[MIG_COPIED] + s->run.count[MIG_REPLACED]));
	cJSON_AddNumberToObject(o, "appended", (double)s->appended);
	cJSON_AddNumberToObject(o, "removed", (double)s->removed);
	cJSON_AddBoolToObject(o, "keyspaceEvents", s->keyspace);
	cJSON_AddNumberToObject(o, "at", (double)sess_now_ms());
	cli_out_json(&s->a->out, o);
	cli_out_flush(&s->a->out);
	cJSON_Delete(o);
	s->last_lag = sess_now_ms();
	return 0;
}

/* ---- connections ---- */

static void close_all(struct sync *s)
{
	mig_close_side(&s->sub);
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
static int open_all(struct sync *s)
{
	if (!sess_conn_is_open(&s->run.src->conn) && sess_conn_open(&s->run.src->conn, &s->run.src->cfg, &s->err))
		return -1;
	if (!sess_conn_is_open(&s->run.dst->conn) && sess_conn_open(&s->run.dst->conn, &s->run.dst->cfg, &s->err))
		return -1;
	if (sess_script_load_all(&s->run.dst->conn, &s->err))
		return -1;
	if (!s->sub.open) {
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
static int transient(const struct sess_err *e)
{
	return e->cls == SESS_E_UNAVAILABLE || e->cls == SESS_E_TEMP;
}

/* Reconnect with backoff (100 ms doubling to 5 s) until both sides and
 * the listener are back, or a stop signal. 0 when back. */
static int reconnect(struct sync *s)
{
	long delay = 100;

	cli_warn(s->a->prog, "%s; reconnecting (the missed changes are looked for after)", s->err.msg);
	for (;;) {
		struct timespec ts;
		close_all(s);
		if (cli_stop_signal())
			return -1;
		sess_err_clear(&s->err);
		if (open_all(s) == 0)
			return 0;
		if (!transient(&s->err))
			return -1;
		ts.tv_sec = delay / 1000;
		ts.tv_nsec = (delay % 1000) * 1000000L;
		nanosleep(&ts, NULL);
		delay = delay * 2 > 5000 ? 5000 : delay * 2;
	}
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
		if (idset_add(&s->plan, r->element[i]->str, 0) < 0) {
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
		n = idset_take(&s->dirty, ids, (int)s->run.batch);
		rc = sync_ids(s, ids, n, NULL, 0);
		/* a failed batch stays dirty for after the reconnect */
		for (i = 0; i < n; i++) {
			if (rc)
				idset_add(&s->dirty, ids[i], sess_now_ms());
			free(ids[i]);
		}
		if (!rc && s->a->out.closed)
			break;
		if (!rc)
			rc = listen_sub(s, 0);
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
	if (sess_fence_set(&s->run.src->conn, s->run.src->cfg.prefix, s->run.dst->desc, &n, &s->err))
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
		if (listen_sub(s, 0) || drain(s, 1000) || pass(s, &changed))
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

int mig_sync_main(struct cli_app *a, struct mig_opts *o, int resume)
{
	struct mig_side src = {0}, dst = {0};
	struct sync s;
	long interval = (o->interval > 0 ? o->interval : 5) * 1000;
	long every = (o->reconcile > 0 ? o->reconcile : 60) * 1000;
	int rc;
	long changed = 0;

	memset(&s, 0, sizeof s);
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
		sess_mtask_set(&dst.conn, &s.run.task, "status", "running", &a->err);
	} else {
		cJSON *info = mig_task_info(o, &s.run, "sync");
		rc = sess_mtask_create(&dst.conn, &s.run.task, info, &a->err);
		cJSON_Delete(info);
		if (rc) {
			rc = cli_app_fail(a);
			goto out;
		}
		if (o->ids) {
			long n;
			if ((rc = mig_sel_load_plan(a, o->ids, &dst.conn, s.run.task.plan, &n)) && rc != 65)
				goto out;
		}
	}
	if (o->ids && load_plan(&s)) {
		a->err = s.err;
		rc = cli_app_fail(a);
		goto out;
	}
	mig_pick_method(&s.run, o->method);
	s.want_keyspace = !o->no_keyspace;
	cli_catch_stop_signals();
	s.run.meter.start_ms = sess_now_ms();
	s.run.meter.rate = o->rate; /* a weak target is not knocked over */
	/* listen first, then the snapshot: no change can fall in between */
	if (open_all(&s) && (!transient(&s.err) || reconnect(&s)))
		goto failed;
	while (pass(&s, &changed)) {
		if (!transient(&s.err) || reconnect(&s))
			goto failed;
	}
	if (isatty(STDERR_FILENO))
		fputs("\r\033[K", stderr);
	s.phase = "live";
	if (lag(&s))
		goto retry_or_fail;
	for (;;) {
		long long now;
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
		if (listen_sub(&s, s.dirty.n ? 0 : 200) || drain(&s, interval))
			goto retry_or_fail;
		now = sess_now_ms();
		if (now - s.last_pass >= every && pass(&s, NULL))
			goto retry_or_fail;
		if (now - s.last_lag >= interval && lag(&s))
			goto retry_or_fail;
		continue;
retry_or_fail:
		if (!transient(&s.err) || reconnect(&s))
			goto failed;
		/* pub/sub may have dropped messages while we were away */
		if (pass(&s, NULL))
			goto retry_or_fail;
	}
	/* stopped: the batch in flight is done; say how to go on */
	sess_mtask_set(&dst.conn, &s.run.task, "status", "interrupted", &a->err);
	if (isatty(STDERR_FILENO))
		fputs("\r\033[K", stderr);
	cli_print(a, summary(&s));
	fprintf(stderr, "%s: stopped after the batch in flight; nothing is lost: continue with 'sess-migrate resume %s --to %s'\n",
		a->prog, s.run.task.name, dst.desc);
	rc = a->out.closed && !cli_stop_signal() ? 0 : cli_signal_exit();
	goto out;
failed:
	if (cli_stop_signal()) {
		cli_print(a, summary(&s));
		fprintf(stderr, "%s: stopped; nothing is lost: continue with 'sess-migrate resume %s --to %s'\n",
			a->prog, s.run.task.name, dst.desc);
		rc = cli_signal_exit();
		goto out;
	}
	rc = mig_stop(&s.run, &s.err);
out:
	idset_free(&s.dirty);
	idset_free(&s.plan);
	mig_close_side(&s.sub);
	mig_close_side(&src);
	mig_close_side(&dst);
	return rc;
}

int cmd_sync(struct cli_app *a, void *opts, int argc, char **argv)
{
	struct mig_opts *o = opts;
	int rc;

	(void)argc;
	(void)argv;
	if ((rc = mig_check_common(a, o)))
		return rc;
	/* --to: required in the table */
	if (!o->all && !o->since && !o->ids && !o->match && !o->state)
		return cli_usage_error(a, "say which sessions: --all, --since TIME, --ids FILE|-, --match GLOB or --state STATE");
	if (o->cutover && (!o->all || o->since || o->ids || o->match || o->state))
		return cli_usage_error(a, "--cutover moves everything (it fences the whole source): use it with --all alone");
	if (o->layout && strcmp(o->layout, SESS_S_LAYOUT))
		return cli_usage_error(a, "sync follows sesskit sessions only; copy the TypeScript layout with 'copy --from-layout legacy' first");
	return mig_sync_main(a, o, 0);
}

int cmd_unfence(struct cli_app *a, void *opts, int argc, char **argv)
{
	struct mig_opts *o = opts;
	struct mig_side src = {0};
	long n = 0;
	int rc;
	cJSON *out;

	(void)argc;
	(void)argv;
	if ((rc = mig_open_side(a, &src, o->from, "--from")))
		return rc;
	if (sess_fence_lift(&src.conn, src.cfg.prefix, &n, &a->err)) {
		rc = cli_app_fail(a);
	} else {
		out = cJSON_CreateObject();
		cJSON_AddBoolToObject(out, "unfenced", 1);
		cJSON_AddStringToObject(out, "server", src.desc);
		cJSON_AddNumberToObject(out, "sessions", (double)n);
		rc = cli_print(a, out);
	}
	mig_close_side(&src);
	return rc;
}
