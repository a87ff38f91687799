/* plot.h - latency pictures from a histogram (hist.h): HdrHistogram's
 * percentile-distribution text (.hgrm) and an SVG plot of latency by
 * percentile. Pure: text in memory, no files, no clock, no locale (the
 * same histograms give the same bytes); pictures.c writes them.
 */
#ifndef SB_PLOT_H
#define SB_PLOT_H

#include <stddef.h>

#include <cjson/cJSON.h>

#include "sess-bench/hist.h"

/* Rows per halving of the distance to 100%: HdrHistogram's default. */
#define SB_HGRM_TICKS 5

/* h as HdrHistogram's outputPercentileDistribution writes it (the
 * "classic" format of HdrHistogram_c's hdr_percentiles_print): the
 * header "Value Percentile TotalCount 1/(1-Percentile)" and a blank
 * line, a row per sess_hist_rows row (value in milliseconds, 3
 * decimals; percentile as a fraction; the count; 1/(1-percentile), "inf"
 * on the last row), then the #[Mean ..], #[Max .., Total count ..],
 * #[Buckets .., SubBuckets ..] footer (Buckets and SubBuckets describe
 * hist.h's layout as HdrHistogram's: 58 buckets of 128 sub-buckets).
 * Malloc'd text (the caller frees), NULL out of memory. */
char *sb_hgrm_text(const struct sess_hist *h);

/* One line of the plot: points (x, y) with x = log10(1/(1-p)) (0 is
 * percentile 0, 1 is 90%, 2 is 99% ...) and y in milliseconds. */
struct sb_series {
	char label[160];
	int color;     /* index into the palette, any int */
	int dashed;    /* a baseline: dashed, with a dot per point */
	size_t n;
	double x[1100], y[1100];
};

/* The run's line from h: every sess_hist_rows row; the last (100%) at
 * x = log10(count), the rank of the largest value (or right of the row
 * before it). 0, or -1 when h is empty. */
int sb_series_hist(struct sb_series *s, const struct sess_hist *h);
/* A baseline's line from a sess-bench summary's ops.OP object: its
 * latencyMs p50, p90, p99, p999 (those below its count's rank) and max
 * at log10(count). 0, or -1 when op has no such numbers. */
int sb_series_summary(struct sb_series *s, const cJSON *op);

/* The SVG document (UTF-8, 800x480): title, axes with labelled ticks
 * (x: 0%, 90%, 99%, 99.9% ... as far as the data goes; y: latency ms
 * from 0), a legend, the series. Text is XML-escaped; invalid UTF-8 and
 * control characters become U+FFFD. Malloc'd (the caller frees), NULL
 * out of memory. */
char *sb_plot_svg(const char *title, const struct sb_series *s, int n);

#define SB_SVG_WIDTH 800
#define SB_SVG_HEIGHT 480

#endif
