/* test_hist - the latency histogram (src/sess-bench/hist.c): buckets, error
 * bound, percentiles, merge. */
#include <stdint.h>
#include <stdlib.h>

#include "sess-bench/hist.h"
#include "tap.h"

static void test_buckets(void)
{
	uint64_t v, top;
	int i, bad = 0, prev = -1;

	for (v = 0; v < SESS_HIST_SUB; v++)
		bad += sess_hist_bucket(v) != (int)v || sess_hist_bucket_top((int)v) != v;
	ok(!bad, "values below %d have a bucket each", SESS_HIST_SUB);
	/* buckets rise with values, each value lies within its bucket and the
	 * bucket is narrow: top - v < v / 64 */
	for (v = 1; v < ((uint64_t)1 << 40); v = v * 3 / 2 + 1) {
		i = sess_hist_bucket(v);
		top = sess_hist_bucket_top(i);
		if (i < prev || top < v || (double)(top - v) > (double)v / SESS_HIST_SUB ||
		    (i > 0 && sess_hist_bucket_top(i - 1) >= v))
			bad++;
		prev = i;
	}
	ok(!bad, "buckets are ordered, contain their values, within 1/%d", SESS_HIST_SUB);
	i = sess_hist_bucket(UINT64_MAX);
	ok(i == SESS_HIST_BUCKETS - 1, "the largest value has the last bucket (%d)", i);
	ok(sess_hist_bucket_top(i) == UINT64_MAX, "and it reaches 2^64 - 1");
}

static int near(uint64_t got, uint64_t want)
{
	double d = (double)got - (double)want;
	return (d < 0 ? -d : d) <= (double)want / SESS_HIST_SUB + 1;
}

static void test_percentiles(void)
{
	struct sess_hist *h = malloc(sizeof *h), *a = malloc(sizeof *a), *b = malloc(sizeof *b);
	uint64_t v;

	sess_hist_init(h);
	ok(sess_hist_percentile(h, 50) == 0 && h->count == 0, "empty: 0");
	for (v = 1; v <= 100000; v++)
		sess_hist_record(h, v * 1000); /* 1 us .. 100 ms */
	ok(h->count == 100000 && h->min == 1000 && h->max == 100000000, "count, min, max exact");
	ok(near(sess_hist_percentile(h, 50), 50000000), "p50 %llu ~ 50 ms",
	   (unsigned long long)sess_hist_percentile(h, 50));
	ok(near(sess_hist_percentile(h, 90), 90000000), "p90");
	ok(near(sess_hist_percentile(h, 99), 99000000), "p99");
	ok(near(sess_hist_percentile(h, 99.9), 99900000), "p99.9");
	ok(sess_hist_percentile(h, 100) == 100000000, "p100 is max");
	ok(sess_hist_percentile(h, 99.9999) <= h->max, "never above max");
	ok((uint64_t)sess_hist_mean(h) == 50000500, "mean exact");

	/* one value: every percentile is that value */
	sess_hist_init(a);
	sess_hist_record(a, 12345);
	ok(sess_hist_percentile(a, 1) == 12345 && sess_hist_percentile(a, 99.9) == 12345,
	   "one value: every percentile is it");

	/* merge = recording everything in one */
	sess_hist_init(a);
	sess_hist_init(b);
	for (v = 1; v <= 100000; v++)
		sess_hist_record(v % 2 ? a : b, v * 1000);
	sess_hist_merge(a, b);
	ok(a->count == h->count && a->sum == h->sum && a->min == h->min && a->max == h->max &&
	   !memcmp(a->b, h->b, sizeof a->b), "merging two halves equals the whole");
	sess_hist_init(b);
	sess_hist_merge(a, b);
	ok(a->count == h->count && a->min == h->min, "merging an empty one changes nothing");
	sess_hist_init(b);
	sess_hist_merge(b, h);
	ok(b->min == h->min && b->max == h->max, "merging into an empty one takes min and max");
	free(h);
	free(a);
	free(b);
}

int main(void)
{
	test_buckets();
	test_percentiles();
	return done_testing();
}
