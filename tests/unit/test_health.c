/* Unit tests of sess-health's pure core modules: Nagios ranges (range.h),
 * INFO parsing and latency statistics (probe.h), --watch's sparklines
 * (spark.h), a sync task's state by its heartbeat (syncbeat.h). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/base/err.h"
#include "sess-health/probe.h"
#include "sess-health/spark.h"
#include "core/model/range.h"
#include "core/model/syncbeat.h"
#include "tap.h"

static int alerts(const char *spec, double v)
{
	struct sess_range r;
	struct sess_err e;

	if (sess_range_parse(spec, "t", &r, &e))
		return -1;
	return sess_range_alert(&r, v);
}

static void test_ranges(void)
{
	struct sess_range r;
	struct sess_err e;

	/* "10": OK inside 0..10 */
	ok(alerts("10", 5) == 0, "10: 5 is fine");
	ok(alerts("10", 10) == 0, "10: 10 is fine (bounds inclusive)");
	ok(alerts("10", 10.5) == 1, "10: 10.5 alerts");
	ok(alerts("10", -1) == 1, "10: -1 alerts (below 0)");
	ok(alerts("10:", 9.9) == 1, "10: (open end): 9.9 alerts");
	ok(alerts("10:", 1e9) == 0, "10: (open end): 1e9 is fine");
	ok(alerts("~:10", -1e9) == 0, "~:10: -1e9 is fine");
	ok(alerts("~:10", 11) == 1, "~:10: 11 alerts");
	ok(alerts("10:20", 15) == 0, "10:20: 15 is fine");
	ok(alerts("10:20", 9) == 1 && alerts("10:20", 21) == 1, "10:20: outside alerts");
	ok(alerts("@10:20", 15) == 1, "@10:20: inside alerts");
	ok(alerts("@10:20", 10) == 1 && alerts("@10:20", 20) == 1, "@10:20: the bounds alert");
	ok(alerts("@10:20", 21) == 0, "@10:20: outside is fine");
	ok(alerts("0.5", 0.6) == 1 && alerts("-5:-1", -3) == 0, "decimals and negatives");
	ok(sess_range_parse("", "t", &r, &e) == 0 && !r.set && sess_range_alert(&r, 1e9) == 0,
	   "empty: no threshold, never alerts");
	ok(sess_range_parse(NULL, "t", &r, &e) == 0 && !r.set, "NULL: no threshold");
	ok(sess_range_parse("10:20", "t", &r, &e) == 0 && !strcmp(r.text, "10:20"), "the text is kept");
	ok(sess_range_parse("abc", "latency", &r, &e) == -1 && e.cls == SESS_E_USAGE &&
	   strstr(e.msg, "latency") && strstr(e.msg, "Nagios range syntax"),
	   "a word is refused, naming the threshold and the syntax");
	ok(sess_range_parse("20:10", "t", &r, &e) == -1 && strstr(e.msg, "START <= END"), "start above end is refused");
	ok(sess_range_parse("inf", "t", &r, &e) == -1, "inf is not a number here");
	ok(sess_range_parse("0x10", "t", &r, &e) == -1, "hex is refused");
	ok(sess_range_parse("1:2:3", "t", &r, &e) == -1, "two colons are refused");
	ok(sess_range_parse("@", "t", &r, &e) == -1, "a lone @ is refused");
	ok(sess_range_parse("~", "t", &r, &e) == -1, "a lone ~ is refused");
	ok(sess_range_parse(":", "t", &r, &e) == -1, "a lone colon is refused");
	ok(sess_range_parse("10 ", "t", &r, &e) == -1, "trailing space is refused");
}

static void test_info(void)
{
	const char *text = "# Server\r\nredis_version:7.0.15\r\nrole:master\r\n\r\n# Memory\r\n"
			   "used_memory:1048576\r\nmem_fragmentation_ratio:1.25\r\n"
			   "slave0:ip=127.0.0.1,port=6380,state=online,offset=42,lag=3\r\n"
			   "empty:\r\n";
	struct sess_info in;
	struct sess_err e;
	double v = 0;

	ok(sess_info_parse(text, strlen(text), &in, &e) == 0, "INFO parses");
	is_str(sess_info_get(&in, "redis_version"), "7.0.15", "a string field (CRLF stripped)");
	ok(sess_info_num(&in, "used_memory", &v) == 0 && v == 1048576, "a number field");
	ok(sess_info_num(&in, "mem_fragmentation_ratio", &v) == 0 && fabs(v - 1.25) < 1e-9, "a decimal field");
	ok(sess_info_num(&in, "role", &v) == -1, "a word is not a number");
	ok(sess_info_num(&in, "nope", &v) == -1 && sess_info_get(&in, "nope") == NULL, "a missing field");
	ok(sess_info_num(&in, "empty", &v) == -1, "an empty value is not a number");
	ok(sess_info_get(&in, "# Server") == NULL && in.n == 6, "section headers are skipped");
	ok(sess_info_sub(sess_info_get(&in, "slave0"), "lag", &v) == 0 && v == 3, "a sub-field (slaveN lag)");
	ok(sess_info_sub(sess_info_get(&in, "slave0"), "offset", &v) == 0 && v == 42, "another sub-field");
	ok(sess_info_sub(sess_info_get(&in, "slave0"), "lagx", &v) == -1, "a sub-field is matched whole");
	sess_info_free(&in);
	ok(sess_info_parse("", 0, &in, &e) == 0 && in.n == 0, "empty INFO");
	sess_info_free(&in);
}

static void test_latency(void)
{
	double ms[100];
	struct sess_latency l;
	int i;

	for (i = 0; i < 100; i++)
		ms[i] = 100 - i; /* 100..1, unsorted */
	sess_latency_of(ms, 100, &l);
	ok(l.n == 100 && l.p50 == 50 && l.p99 == 99 && l.max == 100, "p50/p99/max of 1..100 (nearest rank)");
	ms[0] = 7;
	sess_latency_of(ms, 1, &l);
	ok(l.p50 == 7 && l.p99 == 7 && l.max == 7, "one sample is every percentile");
	ms[0] = 1; ms[1] = 2; ms[2] = 30;
	sess_latency_of(ms, 3, &l);
	ok(l.p50 == 2 && l.p99 == 30 && l.max == 30, "three samples");
	sess_latency_of(ms, 0, &l);
	ok(l.n == 0 && l.max == 0, "no samples");
}

static void test_spark(void)
{
	struct spark s;
	char buf[SPARK_MAX * 3 + 1], small[8];
	double max;
	int i;

	memset(&s, 0, sizeof s);
	spark_render(&s, 10, 1, buf, sizeof buf, &max);
	ok(!strcmp(buf, "") && isnan(max), "nothing pushed: empty, no max");
	for (i = 0; i <= 7; i++)
		spark_push(&s, i);
	spark_render(&s, 10, 1, buf, sizeof buf, &max);
	is_str(buf, "\u2581\u2582\u2583\u2584\u2585\u2586\u2587\u2588", "UTF-8: 0..7 is the eight blocks");
	ok(max == 7, "max is the largest value shown");
	spark_render(&s, 10, 0, buf, sizeof buf, NULL);
	is_str(buf, "_.-:=+*#", "ASCII: the ramp");
	spark_push(&s, NAN);
	spark_push(&s, 14);
	spark_render(&s, 4, 0, buf, sizeof buf, &max);
	is_str(buf, ":= #", "the last width values, a gap is a space, scaled to the largest shown");
	ok(max == 14 && spark_last(&s) == 14, "last and max");
	spark_render(&s, 10, 1, small, sizeof small, NULL);
	ok(strlen(small) == 6, "a short buffer is cut at a character (%zu bytes)", strlen(small));
	for (i = 0; i < 3 * SPARK_MAX; i++)
		spark_push(&s, 0);
	spark_render(&s, SPARK_MAX, 0, buf, sizeof buf, &max);
	ok(s.n == SPARK_MAX && strspn(buf, "_") == SPARK_MAX && max == 0,
	   "at most SPARK_MAX kept; all 0 is all lowest");
	setenv("LC_ALL", "", 1);
	setenv("LC_CTYPE", "en_US.UTF-8", 1);
	setenv("LANG", "C", 1);
	ok(spark_utf8_env() == 1, "LC_CTYPE's UTF-8 when LC_ALL is empty");
	setenv("LC_ALL", "C", 1);
	ok(spark_utf8_env() == 0, "LC_ALL=C wins: ASCII");
	setenv("LC_ALL", "C.utf8", 1);
	ok(spark_utf8_env() == 1, "C.utf8 is UTF-8");
	unsetenv("LC_ALL");
	unsetenv("LC_CTYPE");
	unsetenv("LANG");
	ok(spark_utf8_env() == 0, "nothing set: ASCII");
}

static void test_syncbeat(void)
{
	const long long now = 1000000000000LL;

	ok(sess_sync_beat_bound(1000) == 10000, "1 s interval: the 10 s floor");
	ok(sess_sync_beat_bound(5000) == 15000, "5 s: 3 x");
	ok(sess_sync_beat_bound(60000) == 180000, "60 s: 3 x");
	ok(sess_sync_beat_bound(NAN) == 15000 && sess_sync_beat_bound(0) == 15000 &&
	   sess_sync_beat_bound(-5) == 15000, "no or a bad interval: the default 5 s's bound");
	ok(!strcmp(sess_sync_state("running", (double)(now - 10000), 1000, now), "running"),
	   "a heartbeat at the bound: running");
	ok(!strcmp(sess_sync_state("running", (double)(now - 10001), 1000, now), "stale"),
	   "past the bound: stale");
	ok(!strcmp(sess_sync_state("running", (double)(now + 30000), 1000, now), "running"),
	   "from the reader's future (clocks differ): running");
	ok(!strcmp(sess_sync_state("running", NAN, 1000, now), "unknown"), "no heartbeat: unknown");
	ok(!strcmp(sess_sync_state("interrupted", (double)(now - 99999999), 1000, now), "interrupted"),
	   "not marked running: its status, whatever the heartbeat");
	ok(!strcmp(sess_sync_state(NULL, NAN, NAN, now), ""), "no status: empty");
}

int main(void)
{
	test_ranges();
	test_info();
	test_latency();
	test_spark();
	test_syncbeat();
	return done_testing();
}
