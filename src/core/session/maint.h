/* maint.h - maintenance: the repair side of the index upkeep (index.h) and
 * the log trim. Safe to run at any time and from cron; every step reads in
 * pages of cleanupBatchSize. */
#ifndef SESS_MAINT_H
#define SESS_MAINT_H

#include "core/session/ctx.h"

struct sess_maint_opts {
	int dry_run;   /* count what would be done, change nothing */
	int no_trim;   /* only prune indexes */
};

/* Prune index entries of expired sessions, give drifted ones their real
 * expiry back, clean agent indexes and the agent registry, and trim logs
 * to maxEventsPerSession (a checkpoint first keeps them replayable).
 * *report is the caller's. */
int sess_maintenance(struct sess_ctx *s, const struct sess_maint_opts *o,
		     cJSON **report, struct sess_err *err);

#endif
