/* hist.h - latency histograms: log-linear buckets, percentiles, merge.
 *
 * Why our own: Debian has no HdrHistogram package, and a benchmark needs
 * only this much of it. Values (nanoseconds, by convention) fall in
 * buckets that are linear within each power of two: 2^SESS_HIST_SUB_BITS
 * sub-buckets per octave, so any recorded value is reported within
 * 1/2^SESS_HIST_SUB_BITS (about 1.6%) of itself, from 0 up to 2^63, in a
 * fixed array: recording is an index computation and an increment, no
 * allocation, so a load generator can record every reply. Histograms of
 * several threads merge by adding counts. The exact min, max and sum are
 * kept besides.
 *
 * Pure: no I/O, no globals, no locking (each thread keeps its own and the
 * owner merges them).
 */
#ifndef SESS_HIST_H
#define SESS_HIST_H

#include <stdint.h>

#define SESS_HIST_SUB_BITS 6
#define SESS_HIST_SUB (1 << SESS_HIST_SUB_BITS)
/* octaves above the first linear range, up to 2^64 */
#define SESS_HIST_BUCKETS ((64 - SESS_HIST_SUB_BITS + 1) * SESS_HIST_SUB)

struct sess_hist {
	uint64_t count, sum, min, max;
	uint64_t b[SESS_HIST_BUCKETS];
};

void sess_hist_init(struct sess_hist *h);
void sess_hist_record(struct sess_hist *h, uint64_t v);
/* dst += src */
void sess_hist_merge(struct sess_hist *dst, const struct sess_hist *src);
/* The value at percentile p (0 < p <= 100): the smallest bucket value
 * with at least p% of the values at or below it, never above max; 0 when
 * the histogram is empty. p = 100 is max. */
uint64_t sess_hist_percentile(const struct sess_hist *h, double p);
double sess_hist_mean(const struct sess_hist *h);
/* The standard deviation around the exact mean, each value taken as the
 * middle of its bucket (as HdrHistogram does); 0 when empty. */
double sess_hist_stddev(const struct sess_hist *h);

/* The percentile distribution as HdrHistogram's percentile iterator
 * (outputPercentileDistribution) steps through it: from percentile 0,
 * ticks rows per halving of the distance to 100% (HdrHistogram's
 * default is 5), each row the value of the bucket that reaches the
 * percentile and the count at or below it; the last row is percentile
 * 100 with the whole count. Values are the bucket's highest value, kept
 * within [min, max] as sess_hist_percentile keeps them, so the rows and
 * the summary's percentiles agree. fn is called once a row, in order of
 * percentile (never decreasing) and value (never decreasing); nothing is
 * called for an empty histogram. Returns the rows given. */
struct sess_hist_row {
	uint64_t value;  /* ns */
	double pct;      /* 0..100 */
	uint64_t total;  /* values at or below value */
};
int sess_hist_rows(const struct sess_hist *h, int ticks,
		   void (*fn)(const struct sess_hist_row *row, void *arg), void *arg);

/* The bucket of v, and the highest value that bucket holds (exposed for
 * the unit tests). */
int sess_hist_bucket(uint64_t v);
uint64_t sess_hist_bucket_top(int i);

#endif
