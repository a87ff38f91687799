/* upkeep.c - a batch's global upkeep on the target (index entries, agent
 * indexes, registry, counters) written in one transaction with the
 * removal of its sessions from the task's upkeep set, and the completion,
 * on resume or rollback, of the upkeep a killed run left pending.
 *
 * migput puts a session and adds it to PREFIX:migrate:TASK:upkeep in one
 * step; the upkeep and the set's SREM are one MULTI. So at any instant
 * each session the task put is either upkept or in the set, never both:
 * completing the set's upkeep neither misses an index entry nor counts a
 * session twice. */
#include "upkeep.h"
#include "cluster_side.h"
#include "migrate.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/base/schema.h"

/* A test hook, not a feature: SESSKIT_FAULT_EXIT_AFTER_PUTS=N makes the
 * tool exit at once (as kill -9 would) when N sessions were put, after
 * their puts and before their batch's index upkeep: the one instant where
 * a crash leaves sessions stored but not yet indexed (tests/sess-migrate_faults.bats). */
void mig_fault_after_puts(long n)
{
	static long total, limit = -1;

	if (limit == -1) {
		const char *e = getenv("SESSKIT_FAULT_EXIT_AFTER_PUTS");
		limit = e && *e ? strtol(e, NULL, 10) : 0;
	}
	total += n;
	if (limit > 0 && total >= limit)
		_exit(137);
}

/* One MULTI: the upkeep of snaps[at[0..k-1]] and their SREM from upkeep. */
static int upkeep_txn(struct mig_run *run, struct sess_pipe *p, struct sess_snap *snaps,
		      const int *at, int k, const char *upkeep, struct sess_err *err)
{
	struct sess_arrivals ar;
	struct sess_argv av;
	int i, rc = -1;

	sess_arrivals_init(&ar, &run->dst->cfg);
	sess_argv_init(&av);
	sess_argv_add(&av, "SREM");
	sess_argv_add(&av, upkeep);
	for (i = 0; i < k; i++) {
		if (sess_snap_arrive(&ar, &snaps[at[i]], 1, err))
			goto out;
		sess_argv_add(&av, snaps[at[i]].id);
	}
	if (sess_pipe_cmdf(p, 0, err, "MULTI") || sess_arrivals_flush(&ar, p, err) ||
	    sess_argv_pipe(p, -1, 0, &av, err) || sess_pipe_cmdf(p, 0, err, "EXEC"))
		goto out;
	rc = 0;
out:
	sess_argv_free(&av);
	sess_arrivals_free(&ar);
	return rc;
}

/* (for grouping a batch by slot tag: the tags are static strings) */
struct tagged {
	const char *tag;
	int at;
};

static int tagged_cmp(const void *x, const void *y)
{
	const struct tagged *a = x, *b = y;
	int c = strcmp(a->tag, b->tag);

	return c ? c : a->at - b->at;
}

int mig_upkeep_send(struct mig_run *run, struct sess_pipe *p, struct sess_snap *snaps,
		    int n, const int *arrived, struct sess_err *err)
{
	struct tagged *t;
	int *at, i, j, k = 0, rc = 0;
	char marker[SESS_KEY_MAX];

	if (!(at = malloc(((size_t)n + 1) * sizeof *at)) || !(t = malloc(((size_t)n + 1) * sizeof *t))) {
		free(at);
		return sess_err_set(err, SESS_E_INTERNAL, NULL, "out of memory");
	}
	for (i = 0; i < n; i++)
		if (arrived[i]) {
			t[k].tag = mig_tag(&run->dst->conn, snaps[i].id);
			t[k++].at = i;
		}
	if (k == 0)
		goto out;
	if (!run->dst->conn.cl) {
		for (i = 0; i < k; i++)
			at[i] = t[i].at;
		rc = upkeep_txn(run, p, snaps, at, k, run->task.upkeep, err);
		goto out;
	}
	/* a cluster: a transaction is one slot's, so one per slot tag (each
	 * session's companions and the task's upkeep set share its slot);
	 * the layout marker (in no slot) outside them, as create sets it */
	sess_key_layout(marker, run->dst->cfg.prefix);
	rc = sess_pipe_cmdf(p, 0, err, "SET %s " SESS_S_LAYOUT " NX", marker);
	qsort(t, (size_t)k, sizeof *t, tagged_cmp);
	for (i = 0; i < k && !rc; i = j) {
		struct sess_mtask task;
		int m = 0;
		for (j = i; j < k && !strcmp(t[j].tag, t[i].tag); j++)
			at[m++] = t[j].at;
		sess_mtask_at(&run->task, t[i].tag, &task);
		rc = upkeep_txn(run, p, snaps, at, m, task.upkeep, err);
	}
out:
	free(at);
	free(t);
	return rc;
}

int mig_snap_count_types(struct sess_snap *s, struct sess_err *err)
{
	return sess_snap_types(s, (const char *const *)s->part[1].v, s->part[1].len, s->part[1].n, err);
}

/* One page of the upkeep set: read each session on the target, then its
 * upkeep and the SREM in one transaction. */
static int pending_page(struct mig_run *run, char **ids, int n, long *done, struct sess_err *err)
{
	struct sess_snap *snaps = calloc((size_t)n, sizeof *snaps);
	int *arrived = calloc((size_t)n, sizeof *arrived);
	struct sess_pipe p;
	int i, rc = -1;

	sess_pipe_init(&p, &run->dst->conn);
	if (!snaps || !arrived) {
		sess_err_set(err, SESS_E_INTERNAL, NULL, "out of memory");
		goto out;
	}
	for (i = 0; i < n; i++) {
		sess_snap_init(&snaps[i], ids[i], 's');
		if (sess_snap_queue(&p, run->dst->cfg.prefix, ids[i], 's', err))
			goto out;
	}
	for (i = 0; i < n; i++) {
		if (sess_snap_take(&p, &snaps[i], err))
			goto out;
		/* gone since (expired, deleted): nothing to index, only the
		 * set's entry to drop */
		arrived[i] = 1;
		if (snaps[i].present && mig_snap_count_types(&snaps[i], err))
			goto out;
	}
	for (i = 0; i < n; i++)
		if (!snaps[i].present) {
			/* the SREM alone: arrive() would index a session that is gone */
			arrived[i] = 0;
			if (sess_pipe_cmdf(&p, 0, err, "SREM %s %s", run->task.upkeep, ids[i]))
				goto out;
		} else {
			(*done)++;
		}
	if (mig_upkeep_send(run, &p, snaps, n, arrived, err) || sess_pipe_run(&p, err))
		goto out;
	rc = 0;
out:
	sess_pipe_drain(&p, SESS_PIPE_ALL, NULL);
	sess_pipe_free(&p);
	for (i = 0; snaps && i < n; i++)
		sess_snap_free(&snaps[i]);
	free(snaps);
	free(arrived);
	return rc;
}

/* The upkeep set of run->task (one slot's on a cluster). */
static int pending_set(struct mig_run *run, long *done, struct sess_err *err)
{
	char cursor[32] = "0";
	long page = run->batch > 0 ? run->batch : 100;

	do {
		redisReply *r = sess_conn_cmdf(&run->dst->conn, err, "SSCAN %s %s COUNT %ld",
					       run->task.upkeep, cursor, page);
		char **ids;
		size_t i;
		int n = 0, rc;
		if (!r)
			return -1;
		if (r->type != REDIS_REPLY_ARRAY || r->elements != 2) {
			freeReplyObject(r);
			return sess_err_set(err, SESS_E_INTERNAL, NULL, "unexpected reply to SSCAN");
		}
		snprintf(cursor, sizeof cursor, "%s", r->element[0]->str);
		if (!(ids = calloc(r->element[1]->elements + 1, sizeof *ids))) {
			freeReplyObject(r);
			return sess_err_set(err, SESS_E_INTERNAL, NULL, "out of memory");
		}
		for (i = 0; i < r->element[1]->elements; i++)
			ids[n++] = r->element[1]->element[i]->str;
		rc = n ? pending_page(run, ids, n, done, err) : 0;
		free(ids);
		freeReplyObject(r);
		if (rc)
			return -1;
	} while (strcmp(cursor, "0"));
	return 0;
}

int mig_upkeep_pending(struct mig_run *run, long *done, struct sess_err *err)
{
	struct sess_mtask all = run->task;
	const char **tags;
	int n, i, rc = 0;

	*done = 0;
	if (sess_mtask_tags(&run->dst->conn, &all, &tags, &n, err))
		return -1;
	for (i = 0; i < n && !rc; i++) {
		sess_mtask_at(&all, tags[i], &run->task);
		rc = pending_set(run, done, err);
	}
	run->task = all;
	free(tags);
	return rc;
}
