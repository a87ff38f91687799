/* wbatch.h - a batch of sessions being written to the target, in steps
 * that let the next batch's puts go out before this one's replies are
 * taken (copy.c keeps the target's pipeline full with them). */
#ifndef SESS_MIGRATE_WBATCH_H
#define SESS_MIGRATE_WBATCH_H

#include "sess-migrate/dump.h"

struct mig_run;

struct mig_wb {
	char **ids;             /* owned (copy's batches; NULL for import's) */
	struct sess_snap *snaps;
	int *ok;                /* 1 to write; 2 arrived (copied or replaced) */
	int *done;              /* MIG_COPIED or MIG_REPLACED, to report once
				 * confirmed; -1 none */
	int *arrived;
	int *grp;               /* each put's group, from its send to its
				 * take (mig_put_groups: one slot's on a
				 * cluster target) */
	int n, cap;
	size_t owed;            /* the upkeep's replies owed */
};

/* Room for cap sessions (ids too when with_ids). 0, -1 out of memory. */
int mig_wb_init(struct mig_wb *b, int cap, int with_ids, struct sess_err *err);
/* Free its sessions (and ids), n 0. */
void mig_wb_clear(struct mig_wb *b);
void mig_wb_free(struct mig_wb *b);

/* Queue (and put on the wire) the puts of the sessions whose ok[i] is set. */
int mig_wb_send(struct mig_run *run, struct mig_wb *b, struct sess_pipe *p, struct sess_err *err);
/* Take the puts' replies (the first replies owed on p must be theirs):
 * what is final is reported (failed, conflict, skipped, expired, done),
 * what arrived is kept to report once confirmed; then the batch's index
 * upkeep is queued (upkeep.c), its replies owed. -1 with err: the target
 * failed (mig_wb_fail reports what it wrote). */
int mig_wb_take(struct mig_run *run, struct mig_wb *b, struct sess_pipe *p, struct sess_err *err);
/* Take the upkeep's replies (the next owed on p), WAIT for the replicas
 * with durable writes on, then report the arrivals copied or replaced. */
int mig_wb_settle(struct mig_run *run, struct mig_wb *b, struct sess_pipe *p, struct sess_err *err);
/* After a failure: what the batch wrote but is not known to hold is
 * reported failed with err (a resume checks it again). */
void mig_wb_fail(struct mig_run *run, struct mig_wb *b, const struct sess_err *err);

#endif
