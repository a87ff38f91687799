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

int mig_upkeep_send(struct mig_run *run, struct sess_pipe *p, struct sess_snap *snaps,
		    int n, const int *arrived, struct sess_err *err)
{
	struct sess_arrivals ar;
	struct sess_argv av;
	int i, rc = -1;

	for (i = 0; i < n && !arrived[i]; i++)
		;
	if (i == n)
		return 0;
	sess_arrivals_init(&ar, &run->dst->cfg);
	sess_argv_init(&av);
	sess_argv_add(&av, "SREM");
	sess_argv_add(&av, run->task.upkeep);
	for (i = 0; i < n; i++) {
		if (!arrived[i])
			continue;
		if (sess_snap_arrive(&ar, &snaps[i], 1, err))
			goto out;
		sess_argv_add(&av, snaps[i].id);
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

int mig_upkeep_pending(struct mig_run *run, long *done, struct sess_err *err)
{
	char cursor[32] = "0";
	long page = run->batch > 0 ? run->batch : 100;

	*done = 0;
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
