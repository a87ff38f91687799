/* test_hist - the latency histogram (src/sess-bench/hist.c): buckets, error
 * bound, percentiles, merge; and its pictures (plot.c): the percentile
 * rows HdrHistogram's iterator gives, the .hgrm text, the SVG. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include "sess-bench/hist.h"
#include "sess-bench/plot.h"
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

struct rows {
	int n, bad;
	struct sess_hist_row r[2000];
};

static void take_row(const struct sess_hist_row *row, void *arg)
{
	struct rows *rs = arg;

	if (rs->n && (row->pct < rs->r[rs->n - 1].pct || row->value < rs->r[rs->n - 1].value ||
		      row->total < rs->r[rs->n - 1].total))
		rs->bad++;
	if (rs->n < 2000)
		rs->r[rs->n++] = *row;
}

static void test_rows(void)
{
	struct sess_hist *h = malloc(sizeof *h);
	struct rows *rs = calloc(1, sizeof *rs);
	uint64_t v;
	int i, at50 = -1;

	sess_hist_init(h);
	ok(sess_hist_rows(h, 5, take_row, rs) == 0 && rs->n == 0, "empty: no rows");
	for (v = 1; v <= 100000; v++)
		sess_hist_record(h, v * 1000);
	ok(sess_hist_rows(h, 5, take_row, rs) == rs->n && rs->n > 30, "rows: %d", rs->n);
	ok(!rs->bad, "percentile, value and count never decrease");
	ok(rs->r[0].pct == 0 && near(rs->r[0].value, h->min) && rs->r[0].total == 1,
	   "the first row is 0%%, min's bucket, 1");
	ok(rs->r[rs->n - 1].pct == 100 && rs->r[rs->n - 1].value == h->max &&
	   rs->r[rs->n - 1].total == h->count, "the last row is 100%%, max, the whole count");
	/* HdrHistogram's steps: 5 a halving, 10%% apart below 50%%, then 5%% */
	ok(fabs(rs->r[1].pct - 10) < 1e-9 && fabs(rs->r[5].pct - 50) < 1e-9 &&
	   fabs(rs->r[6].pct - 55) < 1e-9 && fabs(rs->r[11].pct - 77.5) < 1e-9,
	   "percentiles step as HdrHistogram's iterator: %g %g %g %g", rs->r[1].pct, rs->r[5].pct,
	   rs->r[6].pct, rs->r[11].pct);
	for (i = 0; i < rs->n; i++)
		if (rs->r[i].pct == 50)
			at50 = i;
	ok(at50 >= 0 && rs->r[at50].value == sess_hist_percentile(h, 50),
	   "the 50%% row's value is the summary's p50");
	ok(fabs(sess_hist_stddev(h) / 1e6 - 28.8675) < 0.5, "stddev of 1..100 ms: %.3f ms",
	   sess_hist_stddev(h) / 1e6);
	rs->n = 0;
	sess_hist_init(h);
	sess_hist_record(h, 5000);
	ok(sess_hist_rows(h, 5, take_row, rs) == 2 && rs->r[0].pct == 0 && rs->r[1].pct == 100 &&
	   rs->r[1].value == 5000 && rs->r[1].total == 1, "one value: 0%% and 100%%");
	free(rs);
	free(h);
}

static void test_hgrm(void)
{
	struct sess_hist *h = malloc(sizeof *h);
	char *t, *line, *save = NULL;
	int n = 0, rows = 0, footer = 0;
	uint64_t v;

	sess_hist_init(h);
	for (v = 1; v <= 1000; v++)
		sess_hist_record(h, v * 10000); /* 0.01 .. 10 ms */
	t = sb_hgrm_text(h);
	ok(t != NULL, "hgrm text");
	ok(t && !strncmp(t, "       Value   Percentile   TotalCount 1/(1-Percentile)\n\n", 57),
	   "HdrHistogram's header and blank line");
	for (line = t ? strtok_r(t, "\n", &save) : NULL; line; line = strtok_r(NULL, "\n", &save)) {
		double a, b, d;
		unsigned long long c;
		n++;
		if (sscanf(line, "%lf %lf %llu %lf", &a, &b, &c, &d) == 4 && strlen(line) == 51)
			rows++;
		else if (!strcmp(line, "       10.000     1.000000         1000          inf"))
			rows++;
		else if (line[0] == '#')
			footer++;
	}
	ok(n == rows + footer + 1 && footer == 3 && rows > 10, "rows of 4 columns, 12 wide; 3 footer lines (%d %d %d)",
	   n, rows, footer);
	free(t);
	t = sb_hgrm_text(h);
	ok(t && strstr(t, "\n#[Mean    =        5.005, StdDeviation   = ") &&
	   strstr(t, "\n#[Max     =       10.000, Total count    =         1000]\n"
		     "#[Buckets =           58, SubBuckets     =          128]\n"),
	   "the footer: mean, max, count, the layout");
	free(t);
	free(h);
}

static void test_svg(void)
{
	struct sess_hist *h = malloc(sizeof *h);
	struct sb_series *s = calloc(2, sizeof *s);
	cJSON *op = cJSON_Parse("{\"count\":5000,\"latencyMs\":{\"p50\":1,\"p90\":2,\"p99\":3,"
				"\"p999\":4,\"max\":9}}");
	char *a, *b;
	uint64_t v;

	sess_hist_init(h);
	for (v = 1; v <= 1000; v++)
		sess_hist_record(h, v * 10000);
	ok(sb_series_hist(&s[0], h) == 0 && s[0].x[0] == 0 && fabs(s[0].x[s[0].n - 1] - 3) < 1e-9 &&
	   s[0].y[s[0].n - 1] == 10, "the run's line ends at max, at x = log10(count)");
	ok(sb_series_summary(&s[1], op) == 0 && s[1].n == 5 && s[1].x[2] == 2 && s[1].y[4] == 9 &&
	   fabs(s[1].x[4] - log10(5000)) < 1e-9, "a baseline's line: p50 .. p999, max at its count");
	s[1].dashed = 1;
	snprintf(s[0].label, sizeof s[0].label, "emit <&> \"x\"");
	snprintf(s[1].label, sizeof s[1].label, "bad \xff\x01 \xe2\x82 end");
	a = sb_plot_svg("t < & >", s, 2);
	b = sb_plot_svg("t < & >", s, 2);
	ok(a && b && !strcmp(a, b), "the same data, the same bytes");
	ok(a && strstr(a, "<title>t &lt; &amp; &gt;</title>") && strstr(a, ">emit &lt;&amp;&gt; &quot;x&quot;</text>"),
	   "markup in text is escaped");
	ok(a && strstr(a, ">bad \xef\xbf\xbd\xef\xbf\xbd \xef\xbf\xbd\xef\xbf\xbd end</text>"),
	   "invalid UTF-8 and control characters become U+FFFD");
	ok(a && strstr(a, ">99.9%</text>") && strstr(a, ">0%</text>") && strstr(a, "stroke-dasharray"),
	   "percentile ticks; the baseline dashed");
	{
		/* the last tick's label, centred on the plot's right edge, fits
		 * in the picture even when it is 99.999% (7 px a character) */
		const char *t = a ? strstr(a, ">99.99%</text>") : NULL;
		double x = -1;
		while (t && t > a && strncmp(t, "<text x=\"", 9))
			t--;
		if (t && sscanf(t, "<text x=\"%lf\"", &x) == 1)
			ok(x + 3.5 * 7 <= SB_SVG_WIDTH - 2, "the last tick label fits (x %.1f)", x);
		else
			ok(0, "the last tick label is a <text x=...>");
	}
	free(a);
	free(b);
	cJSON_Delete(op);
	free(s);
	free(h);
}

int main(void)
{
	test_buckets();
	test_percentiles();
	test_rows();
	test_hgrm();
	test_svg();
	return done_testing();
}
