/* Unit tests of core/model/when: the one reading of durations and times
 * (sesskit(7), "Times and durations"). */
#include <stdio.h>
#include <string.h>

#include "core/model/when.h"
#include "tap.h"

static long long dur(const char *s, long long unit)
{
	long long ms = -7;
	struct sess_err e;

	return sess_duration_parse(s, unit, "--x", &ms, &e) ? -1 : ms;
}

static long long tim(const char *s, int bare)
{
	long long ms = -7;
	struct sess_err e;

	return sess_time_parse(s, 1000000000000LL, bare, "--x", &ms, &e) ? -1 : ms;
}

static void test_durations(void)
{
	struct sess_err e;
	long long ms;
	char buf[32];

	ok(dur("250ms", 1000) == 250, "250ms");
	ok(dur("30s", 1) == 30000 && dur("90m", 1) == 5400000 && dur("2h", 1) == 7200000 &&
	   dur("7d", 1) == 604800000, "s, m, h, d");
	ok(dur("1h30m", 1) == 5400000 && dur("1d2h3m4s5ms", 1) == 93784005, "units in a row");
	ok(dur("3600", 1000) == 3600000 && dur("500", 1) == 500 && dur("2", 86400000) == 172800000,
	   "a bare number counts the option's unit");
	ok(dur("0", 1000) == 0 && dur("0s", 1) == 0, "zero");
	ok(dur("", 1) == -1 && dur("s", 1) == -1 && dur("-1s", 1) == -1 && dur("1.5s", 1) == -1,
	   "empty, unit alone, negative, fraction: refused");
	ok(dur("1m1h", 1) == -1 && dur("1s1s", 1) == -1 && dur("1ms1s", 1) == -1,
	   "units out of order or twice: refused");
	ok(dur("10x", 1) == -1 && dur("10 s", 1) == -1 && dur("1h30", 1) == -1,
	   "an unknown unit, a space, a bare number after a unit: refused");
	ok(dur("1s", 0) == 1000 && dur("5", 0) == -1, "no bare unit: a number alone is refused");
	ok(dur("99999999999999999999s", 1) == -1 && dur("9223372036854775807d", 1) == -1,
	   "overflow refused");
	ok(sess_duration_parse("1y", 1000, "--ttl", &ms, &e) == -1 && e.cls == SESS_E_USAGE &&
	   strstr(e.msg, "--ttl takes a duration") && strstr(e.msg, "'1y'"),
	   "the message names the option, the forms and the value");
	sess_duration_format(5400000, buf, sizeof buf);
	is_str(buf, "1h30m", "format 1h30m");
	sess_duration_format(86400250, buf, sizeof buf);
	is_str(buf, "1d250ms", "format 1d250ms");
	sess_duration_format(0, buf, sizeof buf);
	is_str(buf, "0s", "format 0s");
}

static void test_times(void)
{
	struct sess_err e;
	long long ms;

	ok(tim("2026-01-02T03:04:05Z", 0) == 1767323045000LL, "RFC 3339, Z");
	ok(tim("2026-01-02 03:04:05Z", 0) == 1767323045000LL, "a space for the T");
	ok(tim("2026-01-02T03:04:05.25Z", 0) == 1767323045250LL, "a fraction: ms");
	ok(tim("2026-01-02T04:04:05+01:00", 0) == 1767323045000LL &&
	   tim("2026-01-02T02:04:05-01:00", 0) == 1767323045000LL, "offsets");
	ok(tim("2026-01-02T03:04:05", 0) == -1 && tim("2026-01-02T03:04:05+1:00", 0) == -1 &&
	   tim("2026-01-02T03:04:05.Z", 0) == -1 && tim("2026-01-02T03:04:05Zx", 0) == -1,
	   "no zone, a short offset, an empty fraction, trailing text: refused");
	ok(tim("@1767323045000", 0) == 1767323045000LL, "@MS: epoch milliseconds");
	ok(tim("1767323045000", 1) == 1767323045000LL && tim("1767323045000", 0) == -1,
	   "a bare number: epoch ms only where the option says so");
	ok(tim("2h", 0) == 1000000000000LL - 7200000 && tim("2h ago", 0) == 1000000000000LL - 7200000 &&
	   tim("1d12h", 0) == 1000000000000LL - 129600000, "an age counts back from now");
	ok(tim("now", 0) == 1000000000000LL, "now");
	ok(tim("@", 0) == -1 && tim("@12x", 0) == -1 && tim("", 1) == -1 && tim("ago", 0) == -1 &&
	   tim("2h  ago", 0) == -1, "malformed: refused");
	ok(tim("100000d", 0) == -1, "an age before the epoch: refused");
	ok(sess_time_parse("yesterday", 0, 1, "--since", &ms, &e) == -1 && e.cls == SESS_E_USAGE &&
	   strstr(e.msg, "--since takes a time") && strstr(e.msg, "'yesterday'"),
	   "the message names the option and the forms");
}

int main(void)
{
	test_durations();
	test_times();
	return done_testing();
}
