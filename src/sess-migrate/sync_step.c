/* sync_step.c - one step of sess-migrate sync: bring a batch of ids on the
 * target to the source's state from both sides' chain heads (msync.h
 * decides: equal, tail, whole copy or removal). Contract in sync.h. */
#include "sync.h"
#include "cluster_side.h"
#include "upkeep.h"

#include <stdlib.h>
#include <string.h>

#include "core/session/index.h"
#include "core/base/schema.h"

/* A line about one session, kept until its step is known to hold on the
 * target (lines_flush). */
static void line(struct sync *s, const char *id, const char *status, long events)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddStringToObject(o, "id", id);
	cJSON_AddStringToObject(o, "status", status);
	if (events >= 0)
		cJSON_AddNumberToObject(o, "events", (double)events);
	if (!s->pending)
		s->pending = cJSON_CreateArray();
	cJSON_AddItemToArray(s->pending, o);
}

/* The step's lines, printed once the target's replicas acknowledged it
 * (WAIT, when durable writes are on: through Sentinel by default). Not
 * acknowledged: nothing printed, -1 with s->err (not_durable, temporary:
 * the sync reconnects and its pass brings on what a failover lost). */
static int lines_flush(struct sync *s, int ok)
{
	cJSON *o;
	int rc = 0;

	if (!s->pending)
		return 0;
	if (ok && cJSON_GetArraySize(s->pending) > 0 && mig_durable_wait(&s->run, &s->err))
		rc = -1;
	/* counted as printed: the summary and lag lines agree with the lines
	 * (a step not confirmed is brought again by the pass, and counted
	 * then if it still differs) */
	if (ok && rc == 0)
		cJSON_ArrayForEach(o, s->pending) {
			const char *st = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, "status"));
			const cJSON *ev = cJSON_GetObjectItemCaseSensitive(o, "events");
			if (st && !strcmp(st, "appended")) {
				s->appended++;
				s->events += (long)cJSON_GetNumberValue(ev);
			} else if (st && !strcmp(st, "removed")) {
				s->removed++;
			}
			cli_out_json(&s->a->out, o);
		}
	cJSON_Delete(s->pending);
	s->pending = NULL;
	return rc;
}

/* Mark ids as brought by this task (removed from the target only if so):
 * op HSET, or HDEL to forget them. */
static int mark(struct sync *s, char **ids, int n, const char *op)
{
	return mig_marks_set(&s->run, ids, n, !strcmp(op, "HSET") ? "y" : NULL, &s->err);
}

/* Both sides' heads of ids. */
int sync_heads(struct sync *s, char **ids, int n, struct sess_msync_head *hs,
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
	struct sess_arrivals ar; /* the stats of the events appended (core) */
	int i, rc = -1, sent = 0;
	size_t k;

	if (!snaps)
		return sess_err_set(&s->err, SESS_E_INTERNAL, NULL, "out of memory");
	sess_arrivals_init(&ar, &s->run.dst->cfg);
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
			line(s, snaps[tag].id, "appended", ev);
			/* the global indexes follow (expiry, members, event count,
			 * the events by type: the tail's events are those appended) */
			if (sess_snap_index(&p, &s->run.dst->cfg, &snaps[tag], 0, &s->err) ||
			    (ev && mig_snap_count_types(&snaps[tag], &s->err)))
				goto out;
			sess_arrivals_about(&ar, snaps[tag].id);
			if (sess_arrivals_count(&ar, ev, 0, &s->err))
				goto out;
			for (k = 0; ev && k + 1 < snaps[tag].types.n; k += 2)
				if (sess_arrivals_type(&ar, snaps[tag].types.v[k],
						       strtoll(snaps[tag].types.v[k + 1], NULL, 10), &s->err))
					goto out;
		} else if (!strcmp(st, "stale")) {
			whole[(*nwhole)++] = ids[idx[tag]]; /* the caller's, alive after snaps */
		}
	}
	/* the counters, then the index upkeep's replies (tags 0 and -1) */
	if (sess_arrivals_flush(&ar, &p, &s->err) || sess_pipe_drain(&p, SESS_PIPE_ALL, &s->err))
		goto out;
	rc = 0;
out:
	sess_arrivals_free(&ar);
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
int sync_ids(struct sync *s, char **ids, int n, long *changed, int mark_all)
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
	if (sync_heads(s, ids, n, hs, hd))
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
		char *marked = calloc((size_t)ng, 1);
		if (!marked) {
			sess_err_set(&s->err, SESS_E_INTERNAL, NULL, "out of memory");
			goto out;
		}
		if (mig_marks(&s->run, gone, ng, marked, &s->err)) {
			free(marked);
			goto out;
		}
		for (i = 0; i < ng; i++) {
			if (!marked[i])
				continue;
			if (sess_msync_remove(&s->run.dst->conn, &s->run.dst->cfg, gone[i], &s->err) ||
			    mark(s, &gone[i], 1, "HDEL")) {
				free(marked);
				goto out;
			}
			line(s, gone[i], "removed", -1);
		}
		free(marked);
	}
	rc = 0;
out:
	/* a step that failed prints nothing of itself: its sessions are
	 * looked at again after the reconnect */
	if (lines_flush(s, rc == 0))
		rc = -1;
	free(hs);
	free(hd);
	free(tail);
	free(whole);
	free(gone);
	free(both);
	return rc;
}
