#define _GNU_SOURCE /* timegm */
/* when.c - times and durations (when.h). */
#include "core/model/when.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static const struct {
	const char *name;
	long long ms;
} units[] = {{"d", SESS_MS_DAY}, {"h", SESS_MS_HOUR}, {"ms", 1}, {"m", SESS_MS_MINUTE},
	     {"s", SESS_MS_SECOND}};

/* The unit at *p (longest name first: "ms" before "m"): its rank in
 * largest-first order (d h m s ms = 0..4) and length; -1 if none. */
static int unit_at(const char *p, long long *ms, size_t *len)
{
	static const int rank[] = {0, 1, 4, 2, 3};
	size_t i;

	for (i = 0; i < sizeof units / sizeof units[0]; i++) {
		size_t l = strlen(units[i].name);
		if (!strncmp(p, units[i].name, l)) {
			*ms = units[i].ms;
			*len = l;
			return rank[i];
		}
	}
	return -1;
}

/* 1 and *ms if s is a duration with at least one unit, 0 if s is not
 * one, -1 if it overflows. A bare number is taken when bare_unit > 0. */
static int duration_of(const char *s, long long bare_unit, long long *ms)
{
	long long total = 0;
	int last = -1, any = 0;

	if (!*s)
		return 0;
	while (*s) {
		long long n = 0, u;
		size_t ul;
		int r;
		if (*s < '0' || *s > '9')
			return 0;
		for (; *s >= '0' && *s <= '9'; s++) {
			if (n > (LLONG_MAX - 9) / 10)
				return -1;
			n = n * 10 + (*s - '0');
		}
		if (!*s && !any && bare_unit > 0) {
			u = bare_unit;
		} else {
			if ((r = unit_at(s, &u, &ul)) < 0 || r <= last)
				return 0; /* no unit, or units out of order or twice */
			last = r;
			s += ul;
		}
		if (n > LLONG_MAX / u || total > LLONG_MAX - n * u)
			return -1;
		total += n * u;
		any = 1;
	}
	*ms = total;
	return 1;
}

int sess_duration_parse(const char *s, long long bare_unit_ms, const char *what,
			long long *ms, struct sess_err *err)
{
	int r = s ? duration_of(s, bare_unit_ms, ms) : 0;

	if (r == 1)
		return 0;
	if (r < 0)
		return sess_err_set(err, SESS_E_USAGE, NULL, "%s: '%s' is too long a duration", what, s);
	return sess_err_set(err, SESS_E_USAGE, NULL,
			    "%s takes a duration such as 250ms, 30s, 90m, 2h, 7d or 1h30m (a bare number is in the unit its help names), not '%s'",
			    what, s ? s : "");
}

/* RFC 3339 (a space for the T allowed); 0 and *ms, or -1. */
static int rfc3339(const char *s, long long *ms)
{
	struct tm tm;
	const char *rest;
	int frac = 0, digits = 0;
	long long v;

	memset(&tm, 0, sizeof tm);
	if (!(rest = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm)) &&
	    !(rest = strptime(s, "%Y-%m-%d %H:%M:%S", &tm)))
		return -1;
	if (*rest == '.') {
		for (rest++; *rest >= '0' && *rest <= '9'; rest++, digits++)
			if (digits < 3)
				frac = frac * 10 + (*rest - '0');
		if (!digits)
			return -1;
		for (; digits < 3; digits++)
			frac *= 10;
	}
	v = (long long)timegm(&tm) * 1000 + frac;
	if (*rest == 'Z' || *rest == 'z') {
		rest++;
	} else if (*rest == '+' || *rest == '-') {
		int hh, mm;
		/* exactly HH:MM */
		if (strspn(rest + 1, "0123456789") != 2 || rest[3] != ':' ||
		    strspn(rest + 4, "0123456789") != 2 || sscanf(rest + 1, "%2d:%2d", &hh, &mm) != 2 ||
		    hh > 23 || mm > 59)
			return -1;
		v -= (*rest == '+' ? 1 : -1) * (long long)(hh * 60 + mm) * 60000;
		rest += 6;
	} else {
		return -1;
	}
	if (*rest)
		return -1;
	*ms = v;
	return 0;
}

/* Whole digits only: 1 and *v, 0 if not, -1 on overflow. */
static int digits_of(const char *s, long long *v)
{
	long long n = 0;

	if (!*s || strspn(s, "0123456789") != strlen(s))
		return 0;
	for (; *s; s++) {
		if (n > (LLONG_MAX - 9) / 10)
			return -1;
		n = n * 10 + (*s - '0');
	}
	*v = n;
	return 1;
}

int sess_time_parse(const char *s, long long now_ms, int bare_ms, const char *what,
		    long long *ms, struct sess_err *err)
{
	char age[64];
	size_t l;
	long long d;

	if (!s)
		s = "";
	if (!strcmp(s, "now")) {
		*ms = now_ms;
		return 0;
	}
	if (s[0] == '@' && digits_of(s + 1, ms) == 1)
		return 0;
	if (bare_ms && digits_of(s, ms) == 1)
		return 0;
	if (!rfc3339(s, ms))
		return 0;
	/* an age: "2h" or "2h ago" */
	l = strlen(s);
	if (l > 4 && !strcmp(s + l - 4, " ago") && l - 4 < sizeof age) {
		memcpy(age, s, l - 4);
		age[l - 4] = 0;
	} else if (l < sizeof age) {
		memcpy(age, s, l + 1);
	} else {
		age[0] = 0;
	}
	if (duration_of(age, 0, &d) == 1 && d <= now_ms) {
		*ms = now_ms - d;
		return 0;
	}
	return sess_err_set(err, SESS_E_USAGE, NULL,
			    "%s takes a time: 2026-01-02T03:04:05Z, @MS (ms since the epoch%s), an age such as 90m or 2h ago, or now; not '%s'",
			    what, bare_ms ? "; a bare number too" : "", s);
}

void sess_duration_format(long long ms, char *buf, size_t n)
{
	static const struct {
		const char *name;
		long long ms;
	} order[] = {{"d", SESS_MS_DAY}, {"h", SESS_MS_HOUR}, {"m", SESS_MS_MINUTE},
		     {"s", SESS_MS_SECOND}, {"ms", 1}};
	size_t i, used = 0;

	if (n)
		buf[0] = 0;
	if (ms <= 0) {
		snprintf(buf, n, "0s");
		return;
	}
	for (i = 0; i < sizeof order / sizeof order[0] && ms; i++) {
		long long q = ms / order[i].ms;
		if (!q)
			continue;
		ms -= q * order[i].ms;
		if (used < n)
			used += (size_t)snprintf(buf + used, n - used, "%lld%s", q, order[i].name);
	}
}
