/* upkeep.h - a task's global upkeep on the target, exact across kills
 * (upkeep.c). */
#ifndef SESS_MIGRATE_UPKEEP_H
#define SESS_MIGRATE_UPKEEP_H

#include "core/base/err.h"

/* (copy.h has them whole; upkeep is below copy, which calls it) */
struct mig_run;
struct sess_pipe;
struct sess_snap;

/* Queue on p, as one MULTI, the upkeep of snaps[i] where arrived[i] (put
 * by migput: copied or replaced, s->types from its reply) and their
 * removal from the task's upkeep set; nothing when none arrived. The
 * caller takes the replies (sess_pipe_run). */
int mig_upkeep_send(struct mig_run *run, struct sess_pipe *p, struct sess_snap *snaps,
		    int n, const int *arrived, struct sess_err *err);

/* s's events (part[1], form 's') by type into s->types, as migput's
 * reply gives them (a damaged event counts nothing). */
int mig_snap_count_types(struct sess_snap *s, struct sess_err *err);

/* After n more sessions were put, before their upkeep: the test hook
 * SESSKIT_FAULT_EXIT_AFTER_PUTS (upkeep.c). */
void mig_fault_after_puts(long n);

/* Complete the upkeep of the sessions a killed run put but did not
 * upkeep (the task's upkeep set), reading each from the target; *done
 * gets how many were indexed. Nothing may be in flight on run->dst. */
int mig_upkeep_pending(struct mig_run *run, long *done, struct sess_err *err);

#endif
