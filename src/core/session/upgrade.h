/* upgrade.h - in-place upgrade of stored data from the previous layout
 * (1) to this one (sesskit-layout(7), UPGRADE). Safe to run again and to
 * interrupt: each session is upgraded by one script, atomically, and one
 * already upgraded is left alone; the layout marker changes last. */
#ifndef SESS_UPGRADE_H
#define SESS_UPGRADE_H

#include "core/session/ctx.h"

struct sess_upgrade_opts {
	int dry_run;   /* count what would be done, change nothing */
};

/* Every session of the prefix is found with SCAN (sessions missing from
 * the index too), in pages of cleanupBatchSize. *report (the caller's):
 * {"dryRun","scanned","upgraded" (or "pending" with dry_run),"current",
 * "gone","layoutBefore","layout"}; *pending gets how many sessions and
 * markers still need it after this run (0 when done). */
int sess_upgrade(struct sess_ctx *s, const struct sess_upgrade_opts *o,
		 cJSON **report, long *pending, struct sess_err *err);

#endif
