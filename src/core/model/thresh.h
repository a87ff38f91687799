/* thresh.h - sess-health's thresholds: the metric names, their default
 * ranges and the lists that set them ("NAME=RANGE,NAME=RANGE", from
 * --warn/--crit and the config's health.warn/health.crit). One rule for
 * sess-health, which applies them, and sess-validate config, which checks
 * a file's before any check runs. Pure module: no I/O.
 */
#ifndef SESS_THRESH_H
#define SESS_THRESH_H

#include "core/base/err.h"
#include "core/model/range.h"

/* The metrics, in sess-health's order (enum health_metric). */
#define SESS_THRESH_METRICS 14

/* Metric m's name (latency, pubsub, ...), NULL out of range. */
const char *sess_thresh_name(int m);

/* Set warn and crit (SESS_THRESH_METRICS each) to the defaults
 * (sess-health(1), THRESHOLDS). */
void sess_thresh_defaults(struct sess_range *warn, struct sess_range *crit);

/* Apply list to ranges (one side: side is "warning" or "critical",
 * source names where the list came from: "--warn", "config health.warn").
 * An empty RANGE removes a threshold; NULL or "" changes nothing. A bad
 * list is SESS_E_USAGE, kind "bad_threshold", naming the item and the
 * fix; ranges may then be partly set. */
int sess_thresh_apply(struct sess_range *ranges, const char *list, const char *side,
		      const char *source, struct sess_err *err);

#endif
