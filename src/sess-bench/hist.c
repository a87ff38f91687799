#include "sess-bench/hist.h"

#include <math.h>
#include <string.h>

void sess_hist_init(struct sess_hist *h)
{
	memset(h, 0, sizeof *h);
	h->min = UINT64_MAX;
}

/* Values below SUB get one bucket each; above, octave k (the value's top
 * bit at SUB_BITS - 1 + k) is split in SUB equal parts, addressed by the
 * SUB_BITS bits below the top one. */
int sess_hist_bucket(uint64_t v)
{
	int top;

	if (v < SESS_HIST_SUB)
		return (int)v;
	top = 63 - __builtin_clzll(v); /* >= SUB_BITS */
	return (top - SESS_HIST_SUB_BITS + 1) * SESS_HIST_SUB +
	       (int)((v >> (top - SESS_HIST_SUB_BITS)) & (SESS_HIST_SUB - 1));
}

uint64_t sess_hist_bucket_top(int i)
{
	int oct = i / SESS_HIST_SUB, sub = i % SESS_HIST_SUB, shift;
	uint64_t lo;

	if (oct == 0)
		return (uint64_t)i;
	shift = oct - 1; /* width of one sub-bucket is 2^shift */
	lo = ((uint64_t)(SESS_HIST_SUB + sub)) << shift;
	return lo + (((uint64_t)1 << shift) - 1);
}

void sess_hist_record(struct sess_hist *h, uint64_t v)
{
	h->b[sess_hist_bucket(v)]++;
	h->count++;
	h->sum += v;
	if (v < h->min)
		h->min = v;
	if (v > h->max)
		h->max = v;
}

void sess_hist_merge(struct sess_hist *dst, const struct sess_hist *src)
{
	int i;

	if (!src->count)
		return;
	for (i = 0; i < SESS_HIST_BUCKETS; i++)
		dst->b[i] += src->b[i];
	dst->count += src->count;
	dst->sum += src->sum;
	if (src->min < dst->min)
		dst->min = src->min;
	if (src->max > dst->max)
		dst->max = src->max;
}

uint64_t sess_hist_percentile(const struct sess_hist *h, double p)
{
	uint64_t want, seen = 0, top;
	int i;

	if (!h->count)
		return 0;
	if (p >= 100)
		return h->max;
	/* the rank of the value at p%, rounded up, at least 1 */
	want = (uint64_t)((p / 100.0) * (double)h->count);
	if ((double)want < (p / 100.0) * (double)h->count)
		want++;
	if (want < 1)
		want = 1;
	for (i = 0; i < SESS_HIST_BUCKETS; i++) {
		seen += h->b[i];
		if (seen >= want) {
			top = sess_hist_bucket_top(i);
			if (top > h->max)
				top = h->max;
			if (top < h->min)
				top = h->min;
			return top;
		}
	}
	return h->max;
}

double sess_hist_mean(const struct sess_hist *h)
{
	return h->count ? (double)h->sum / (double)h->count : 0;
}

double sess_hist_stddev(const struct sess_hist *h)
{
	double mean = sess_hist_mean(h), sq = 0;
	uint64_t lo = 0;
	int i;

	if (!h->count)
		return 0;
	for (i = 0; i < SESS_HIST_BUCKETS; i++) {
		uint64_t top = sess_hist_bucket_top(i);
		if (h->b[i]) {
			double d = ((double)lo + (double)(top - lo) / 2.0) - mean;
			sq += (double)h->b[i] * d * d;
		}
		lo = top + 1;
	}
	return sqrt(sq / (double)h->count);
}

static uint64_t clamp(const struct sess_hist *h, uint64_t v)
{
	return v > h->max ? h->max : v < h->min ? h->min : v;
}

/* HdrHistogram's percentile iterator: a row when the count so far reaches
 * the next percentile to report; the step to the next one halves each
 * time the distance to 100% does (ticks steps per halving). */
int sess_hist_rows(const struct sess_hist *h, int ticks,
		   void (*fn)(const struct sess_hist_row *row, void *arg), void *arg)
{
	struct sess_hist_row row;
	double to = 0;
	uint64_t seen = 0;
	int i, n = 0;

	if (!h->count)
		return 0;
	if (ticks < 1)
		ticks = 1;
	for (i = 0; i < SESS_HIST_BUCKETS; i++) {
		double cur;
		if (!h->b[i])
			continue;
		seen += h->b[i];
		cur = 100.0 * (double)seen / (double)h->count;
		row.value = clamp(h, sess_hist_bucket_top(i));
		row.total = seen;
		while (to <= cur) {
			long long halves = (long long)(log(100.0 / (100.0 - to)) / log(2.0)) + 1;
			row.pct = to;
			fn(&row, arg);
			n++;
			to += 100.0 / ((double)ticks * pow(2.0, (double)halves));
			if (seen >= h->count)
				break; /* the last bucket gives one row, then 100% */
		}
		if (seen >= h->count)
			break;
	}
	row.value = h->max;
	row.pct = 100.0;
	row.total = h->count;
	fn(&row, arg);
	return n + 1;
}
