/* range.h - Nagios threshold ranges (the monitoring-plugins guidelines'
 * syntax), so thresholds mean in sess-health what they mean in every other
 * check an operator runs:
 *
 *   10      alert when v < 0 or v > 10      (the OK range is 0..10)
 *   10:     alert when v < 10               (10..infinity)
 *   ~:10    alert when v > 10               (-infinity..10)
 *   10:20   alert when v < 10 or v > 20
 *   @10:20  alert when 10 <= v <= 20        (@ inverts: alert inside)
 *
 * Bounds are decimal numbers (a sign and a fraction are allowed). Pure: no
 * I/O, no allocation.
 */
#ifndef SESS_RANGE_H
#define SESS_RANGE_H

#include <stddef.h>

#include "core/base/err.h"

#define SESS_RANGE_TEXT_MAX 48

struct sess_range {
	int set;              /* 0: no threshold, never alerts */
	double lo, hi;
	int lo_inf, hi_inf;   /* the bound is -inf / +inf */
	int inside;           /* '@': alert inside the range */
	char text[SESS_RANGE_TEXT_MAX]; /* as given, for perfdata and messages */
};

/* Parse s into r. NULL or "" leaves r unset (no threshold). A bad range is
 * SESS_E_USAGE, kind "bad_threshold", with a message naming what (the
 * threshold's name) and the syntax. */
int sess_range_parse(const char *s, const char *what, struct sess_range *r,
		     struct sess_err *err);

/* 1 when v raises an alert under r, 0 otherwise (always 0 when unset). */
int sess_range_alert(const struct sess_range *r, double v);

#endif
