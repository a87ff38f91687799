#include "core/model/range.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SYNTAX "use Nagios range syntax: 10, 10:, ~:10, 10:20 or @10:20"

/* A whole number token of s[0..n): strtod alone would take "inf", "nan"
 * and hex, none of which a threshold means. */
static int num(const char *s, size_t n, double *out)
{
	char buf[SESS_RANGE_TEXT_MAX], *end;
	size_t i;

	if (n == 0 || n >= sizeof buf)
		return -1;
	for (i = 0; i < n; i++)
		if (!strchr("0123456789.+-eE", s[i]))
			return -1;
	memcpy(buf, s, n);
	buf[n] = '\0';
	*out = strtod(buf, &end);
	return *end || !isfinite(*out) ? -1 : 0;
}

int sess_range_parse(const char *s, const char *what, struct sess_range *r,
		     struct sess_err *err)
{
	const char *p = s, *colon;
	size_t n;

	memset(r, 0, sizeof *r);
	if (!s || !*s)
		return 0;
	n = strlen(s);
	if (n >= sizeof r->text)
		return sess_err_set(err, SESS_E_USAGE, "bad_threshold",
				    "threshold %s is too long (%zu characters); %s", what, n, SYNTAX);
	memcpy(r->text, s, n + 1);
	if (*p == '@') {
		r->inside = 1;
		p++;
	}
	colon = strchr(p, ':');
	if (!colon) {
		/* "10": 0..10 */
		if (num(p, strlen(p), &r->hi))
			goto bad;
		r->lo = 0;
	} else {
		if (colon == p + 1 && *p == '~')
			r->lo_inf = 1;
		else if (num(p, (size_t)(colon - p), &r->lo))
			goto bad;
		if (!colon[1])
			r->hi_inf = 1;
		else if (num(colon + 1, strlen(colon + 1), &r->hi))
			goto bad;
	}
	if (!r->lo_inf && !r->hi_inf && r->lo > r->hi)
		return sess_err_set(err, SESS_E_USAGE, "bad_threshold",
				    "threshold %s \"%s\": the start is above the end; write START:END with START <= END",
				    what, s);
	r->set = 1;
	return 0;
bad:
	memset(r, 0, sizeof *r);
	return sess_err_set(err, SESS_E_USAGE, "bad_threshold",
			    "threshold %s \"%s\" is not a range; %s", what, s, SYNTAX);
}

int sess_range_alert(const struct sess_range *r, double v)
{
	int in;

	if (!r->set)
		return 0;
	in = (r->lo_inf || v >= r->lo) && (r->hi_inf || v <= r->hi);
	return r->inside ? in : !in;
}
