/* wbatch.c - a batch's writes on the target in three steps (wbatch.h):
 * its puts (put.c), their replies with the index upkeep queued, the
 * upkeep's replies; a line printed is what the target keeps. */
#include "wbatch.h"
#include "cluster_side.h"
#include "migrate.h"
#include "upkeep.h"

#include <stdlib.h>
#include <string.h>

#include "core/redis/sentinel.h"

int mig_wb_init(struct mig_wb *b, int cap, int with_ids, struct sess_err *err)
{
	memset(b, 0, sizeof *b);
	b->cap = cap;
	if ((with_ids && !(b->ids = calloc((size_t)cap, sizeof *b->ids))) ||
	    !(b->snaps = calloc((size_t)cap, sizeof *b->snaps)) ||
	    !(b->ok = calloc((size_t)cap, sizeof *b->ok)) ||
	    !(b->done = calloc((size_t)cap, sizeof *b->done)) ||
	    !(b->arrived = calloc((size_t)cap, sizeof *b->arrived)) ||
	    !(b->grp = calloc((size_t)cap, sizeof *b->grp)))
		return sess_err_set(err, SESS_E_INTERNAL, NULL, "out of memory");
	return 0;
}

void mig_wb_clear(struct mig_wb *b)
{
	int i;

	for (i = 0; i < b->n; i++) {
		if (b->ids) {
			free(b->ids[i]);
			b->ids[i] = NULL;
		}
		sess_snap_free(&b->snaps[i]);
	}
	b->n = 0;
	b->owed = 0;
}

void mig_wb_free(struct mig_wb *b)
{
	if (b->snaps)
		mig_wb_clear(b);
	free(b->ids);
	free(b->snaps);
	free(b->ok);
	free(b->done);
	free(b->arrived);
	free(b->grp);
	memset(b, 0, sizeof *b);
}

int mig_wb_send(struct mig_run *run, struct mig_wb *b, struct sess_pipe *p, struct sess_err *err)
{
	struct sess_put_task *tasks;
	int i, rc;

	for (i = 0; i < b->n; i++) {
		b->done[i] = -1;
		b->arrived[i] = 0;
		b->ok[i] = b->ok[i] ? 1 : 0;
	}
	b->owed = 0;
	/* one migput call a put; on a cluster target, a put per slot (its
	 * keys and its slot's task keys: cluster_side.c) */
	if (mig_put_groups(run, b->snaps, b->ok, b->n, b->grp, &tasks, err))
		return -1;
	rc = sess_snaps_put(p, run->dst->cfg.prefix, b->snaps, b->grp, b->n, run->mode, tasks, err) ||
	     sess_pipe_send(p, err) ? -1 : 0;
	free(tasks);
	return rc;
}

static int status_of(const char *s)
{
	static const char *const names[] = {"copied", "replaced", "skipped", "conflict", "expired",
					    "missing", "failed", "done"};
	int i;

	for (i = 0; i < MIG_NSTATUS; i++)
		if (!strcmp(s, names[i]))
			return i;
	return MIG_FAILED;
}

int mig_wb_take(struct mig_run *run, struct mig_wb *b, struct sess_pipe *p, struct sess_err *err)
{
	int n = b->n, i, k, rc = -1;
	long arrivals = 0;
	int *res = calloc((size_t)n + 1, sizeof *res);
	char (*st)[16] = calloc((size_t)n + 1, sizeof *st);
	struct sess_err *errs = calloc((size_t)n + 1, sizeof *errs);
	size_t before;

	if (!res || !st || !errs) {
		sess_err_set(err, SESS_E_INTERNAL, NULL, "out of memory");
		goto out;
	}
	/* the target itself failing (memory, read-only, auth) stops the
	 * task; a session's data refused is its own failure */
	if (sess_snaps_put_take(p, b->snaps, b->grp, n, res, st, errs, err))
		goto out;
	for (i = 0; i < n; i++) {
		struct sess_err e;
		if (!b->ok[i])
			continue;
		if (res[i] < 0) {
			b->ok[i] = 0;
			mig_report(run, b->snaps[i].id, MIG_FAILED, &errs[i]);
			continue;
		}
		k = status_of(st[i]);
		b->ok[i] = k == MIG_COPIED || k == MIG_REPLACED ? 2 : 0;
		if (k == MIG_CONFLICT) {
			sess_err_clear(&e);
			sess_err_set(&e, SESS_E_NEGATIVE, "conflict",
				     "session %s exists on the target; --conflict skip, replace or newer decides",
				     b->snaps[i].id);
			mig_report(run, b->snaps[i].id, k, &e);
		} else if (b->ok[i] == 2) {
			b->done[i] = k; /* reported once it is known to hold */
		} else {
			mig_report(run, b->snaps[i].id, k, NULL);
		}
	}
	for (i = 0; i < n; i++) {
		b->arrived[i] = b->ok[i] == 2;
		arrivals += b->arrived[i];
		/* the events by type: a payload's were counted at the read, an
		 * import's with its chain check; else its text is here */
		if (b->arrived[i] && !b->snaps[i].typed && mig_snap_count_types(&b->snaps[i], err))
			goto out;
	}
	mig_fault_after_puts(arrivals);
	/* the indexes on the target, for what arrived: one command per index
	 * key and counter for the whole batch, in one transaction with their
	 * removal from the task's upkeep set (upkeep.c) */
	before = sess_pipe_pending(p);
	if (mig_upkeep_send(run, p, b->snaps, n, b->arrived, err) || sess_pipe_send(p, err))
		goto out;
	b->owed = sess_pipe_pending(p) - before;
	rc = 0;
out:
	free(res);
	free(st);
	free(errs);
	return rc;
}

int mig_durable_wait(struct mig_run *run, struct sess_err *err)
{
	struct sess_conn *c = &run->dst->conn;
	struct sess_err after;
	long ms;
	int rc;

	if (!c->cfg || !sess_durable_on(c->cfg))
		return 0;
	/* as long as the server waits, or the client does (its command
	 * timeout ends a longer WAIT) */
	ms = c->cfg->wait_timeout_ms < c->cfg->command_timeout_ms ? c->cfg->wait_timeout_ms
								   : c->cfg->command_timeout_ms;
	if (run->blocking && run->blocking(run->blocking_arg, ms, err))
		return -1;
	rc = sess_durable_wait(c, err);
	/* (the call after it fails alone: what the WAIT confirmed stays
	 * confirmed, reported as such, and a WAIT that failed keeps its own
	 * error; sync's next beat tries again and says its own failure) */
	if (run->blocking)
		run->blocking(run->blocking_arg, 0, &after);
	return rc;
}

int mig_wb_settle(struct mig_run *run, struct mig_wb *b, struct sess_pipe *p, struct sess_err *err)
{
	int i, any = 0, rc = 0;

	/* the upkeep's replies: the first error says the target failed */
	for (; b->owed > 0; b->owed--) {
		redisReply *r;
		if (sess_pipe_next(p, &r, NULL, err))
			return -1;
		if (r->type == REDIS_REPLY_ERROR && !rc)
			rc = sess_conn_reply_error(p->conn, r, err);
		freeReplyObject(r);
	}
	if (rc)
		return -1;
	for (i = 0; i < b->n; i++)
		any |= b->arrived[i];
	if (any && mig_durable_wait(run, err)) {
		if (!strcmp(err->kind, "not_durable"))
			sess_err_prefix(err, "copied to the target's primary but not confirmed (a resume checks it again)");
		return -1;
	}
	for (i = 0; i < b->n; i++)
		if (b->done[i] >= 0) {
			mig_report(run, b->snaps[i].id, b->done[i], NULL);
			b->done[i] = -1;
		}
	return 0;
}

void mig_wb_fail(struct mig_run *run, struct mig_wb *b, const struct sess_err *err)
{
	struct sess_err e = *err;
	int i;

	if (strcmp(e.kind, "not_durable"))
		sess_err_prefix(&e, "written to the target's primary, not confirmed (a resume checks it again)");
	for (i = 0; i < b->n; i++)
		if (b->done[i] >= 0) {
			mig_report(run, b->snaps[i].id, MIG_FAILED, &e);
			b->done[i] = -1;
		}
}
