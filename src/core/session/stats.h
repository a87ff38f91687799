/* stats.h - the session system's counters: sessions active and indexed,
 * totals, events by type (from the stats hash the index upkeep keeps). */
#ifndef SESS_STATS_H
#define SESS_STATS_H

#include "core/session/ctx.h"

int sess_stats(struct sess_ctx *s, cJSON **out, struct sess_err *err);

#endif
