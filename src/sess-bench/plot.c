/* plot.c - the .hgrm text and the SVG plot of plot.h. Numbers are
 * printed with fixed precision through stdio in the C locale (no
 * setlocale in sesskit), so the same input gives the same bytes. */
#define _GNU_SOURCE /* open_memstream (POSIX 2008) */
#include "sess-bench/plot.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- .hgrm ---- */

struct rows_out {
	FILE *f;
};

static void hgrm_row(const struct sess_hist_row *r, void *arg)
{
	struct rows_out *o = arg;
	double p = r->pct / 100.0;

	if (r->pct < 100.0)
		fprintf(o->f, "%12.3f %12f %12llu %12.2f\n", (double)r->value / 1e6, p,
			(unsigned long long)r->total, 1.0 / (1.0 - p));
	else /* 1/(1-1): HdrHistogram_c prints inf */
		fprintf(o->f, "%12.3f %12f %12llu %12s\n", (double)r->value / 1e6, p,
			(unsigned long long)r->total, "inf");
}

/* hist.h's buckets are HdrHistogram's with 128 sub-buckets (64 values of
 * width 1, then 64 sub-buckets an octave); covering values up to 2^64
 * takes 58 such buckets. */
#define HGRM_BUCKETS (64 - SESS_HIST_SUB_BITS)
#define HGRM_SUBBUCKETS (2 * SESS_HIST_SUB)

char *sb_hgrm_text(const struct sess_hist *h)
{
	struct rows_out o;
	char *buf = NULL;
	size_t len = 0;

	if (!(o.f = open_memstream(&buf, &len)))
		return NULL;
	fprintf(o.f, "%12s %12s %12s %12s\n\n", "Value", "Percentile", "TotalCount", "1/(1-Percentile)");
	sess_hist_rows(h, SB_HGRM_TICKS, hgrm_row, &o);
	fprintf(o.f, "#[Mean    = %12.3f, StdDeviation   = %12.3f]\n", sess_hist_mean(h) / 1e6,
		sess_hist_stddev(h) / 1e6);
	fprintf(o.f, "#[Max     = %12.3f, Total count    = %12llu]\n",
		(double)(h->count ? h->max : 0) / 1e6, (unsigned long long)h->count);
	fprintf(o.f, "#[Buckets = %12d, SubBuckets     = %12d]\n", HGRM_BUCKETS, HGRM_SUBBUCKETS);
	if (ferror(o.f)) {
		fclose(o.f);
		free(buf);
		return NULL;
	}
	if (fclose(o.f)) {
		free(buf);
		return NULL;
	}
	return buf;
}

/* ---- series ---- */

static void series_row(const struct sess_hist_row *r, void *arg)
{
	struct sb_series *s = arg;

	if (s->n >= sizeof s->x / sizeof s->x[0])
		return;
	s->x[s->n] = r->pct < 100.0 ? log10(1.0 / (1.0 - r->pct / 100.0)) : 0;
	s->y[s->n] = (double)r->value / 1e6;
	s->n++;
}

int sb_series_hist(struct sb_series *s, const struct sess_hist *h)
{
	double last;

	s->n = 0;
	if (!h->count)
		return -1;
	sess_hist_rows(h, SB_HGRM_TICKS, series_row, s);
	/* the 100% row: at the rank of the largest value */
	last = log10((double)h->count);
	if (s->n > 1 && last < s->x[s->n - 2])
		last = s->x[s->n - 2];
	s->x[s->n - 1] = last;
	return 0;
}

int sb_series_summary(struct sb_series *s, const cJSON *op)
{
	static const struct { const char *key; double x; } pts[] = {
		{"p50", 0.30102999566398120}, {"p90", 1}, {"p99", 2}, {"p999", 3}};
	const cJSON *lat = cJSON_GetObjectItemCaseSensitive(op, "latencyMs");
	const cJSON *cnt = cJSON_GetObjectItemCaseSensitive(op, "count");
	const cJSON *max = cJSON_GetObjectItemCaseSensitive(lat, "max");
	double top = cJSON_IsNumber(cnt) && cnt->valuedouble > 1 ? log10(cnt->valuedouble) : 0;
	size_t i;

	s->n = 0;
	for (i = 0; i < sizeof pts / sizeof pts[0]; i++) {
		const cJSON *v = cJSON_GetObjectItemCaseSensitive(lat, pts[i].key);
		if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble) || v->valuedouble < 0 || pts[i].x >= top)
			continue;
		s->x[s->n] = pts[i].x;
		s->y[s->n] = v->valuedouble;
		s->n++;
	}
	if (cJSON_IsNumber(max) && isfinite(max->valuedouble) && max->valuedouble >= 0) {
		s->x[s->n] = s->n && top < s->x[s->n - 1] ? s->x[s->n - 1] : top;
		s->y[s->n] = max->valuedouble;
		s->n++;
	}
	return s->n ? 0 : -1;
}

/* ---- SVG ---- */

static const char *const palette[] = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e",
				      "#9467bd", "#8c564b", "#e377c2", "#17becf"};
#define NPAL ((int)(sizeof palette / sizeof palette[0]))

/* the plot area */
#define PL 76.0
#define PR (SB_SVG_WIDTH - 40.0)
#define PT 48.0
#define PB (SB_SVG_HEIGHT - 64.0)

/* s as XML character data: markup characters as entities, control
 * characters and invalid UTF-8 as U+FFFD. */
static void esc(FILE *f, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	while (*p) {
		int n = 0, i;
		unsigned c = *p;
		if (c < 0x80) {
			if (c == '&')
				fputs("&amp;", f);
			else if (c == '<')
				fputs("&lt;", f);
			else if (c == '>')
				fputs("&gt;", f);
			else if (c == '"')
				fputs("&quot;", f);
			else if (c == '\'')
				fputs("&#39;", f);
			else if (c < 0x20 || c == 0x7f)
				fputs("\xef\xbf\xbd", f);
			else
				fputc((int)c, f);
			p++;
			continue;
		}
		/* a whole, shortest-form sequence of a scalar value, or U+FFFD */
		if (c >= 0xc2 && c <= 0xdf)
			n = 2;
		else if (c >= 0xe0 && c <= 0xef)
			n = 3;
		else if (c >= 0xf0 && c <= 0xf4)
			n = 4;
		for (i = 1; i < n; i++)
			if ((p[i] & 0xc0) != 0x80)
				n = 0;
		if (n == 3 && ((c == 0xe0 && p[1] < 0xa0) || (c == 0xed && p[1] >= 0xa0)))
			n = 0;
		if (n == 4 && ((c == 0xf0 && p[1] < 0x90) || (c == 0xf4 && p[1] >= 0x90)))
			n = 0;
		if (!n) {
			fputs("\xef\xbf\xbd", f);
			p++;
			continue;
		}
		fwrite(p, 1, (size_t)n, f);
		p += n;
	}
}

/* A step of 1, 2, 2.5 or 5 times a power of ten giving about 5 ticks up
 * to max; *decimals to print it with. */
static double nice_step(double max, int *decimals)
{
	double raw = max / 5.0, mag = pow(10.0, floor(log10(raw))), f = raw / mag, step;
	int d;

	step = f <= 1 ? 1 : f <= 2 ? 2 : f <= 2.5 ? 2.5 : f <= 5 ? 5 : 10;
	step *= mag;
	d = (int)ceil(-log10(step) - 1e-9);
	if (step / pow(10.0, -d) - floor(step / pow(10.0, -d) + 1e-9) > 1e-6)
		d++; /* 0.25 */
	*decimals = d < 0 ? 0 : d > 6 ? 6 : d;
	return step;
}

/* "0%", "90%", "99%", "99.9%" ... for x = log10(1/(1-p)) = k */
static void pct_label(char *buf, size_t n, int k)
{
	size_t i = 0;

	if (k == 0) {
		snprintf(buf, n, "0%%");
		return;
	}
	if (k == 1) {
		snprintf(buf, n, "90%%");
		return;
	}
	i = (size_t)snprintf(buf, n, "99");
	if (k > 2 && i + 1 < n)
		buf[i++] = '.';
	for (; k > 2 && i + 2 < n; k--)
		buf[i++] = '9';
	buf[i++] = '%';
	buf[i] = '\0';
}

char *sb_plot_svg(const char *title, const struct sb_series *s, int n)
{
	char *buf = NULL, lab[32];
	size_t len = 0, j;
	double xmax = 0, ymax = 0, step, v;
	int i, k, dx, dec, nlab = 0;
	FILE *f;

	for (i = 0; i < n; i++)
		for (j = 0; j < s[i].n; j++) {
			if (s[i].x[j] > xmax)
				xmax = s[i].x[j];
			if (s[i].y[j] > ymax)
				ymax = s[i].y[j];
		}
	dx = (int)ceil(xmax - 1e-9);
	if (dx < 2)
		dx = 2;
	if (dx > 12)
		dx = 12;
	if (!(ymax > 0))
		ymax = 1;
	step = nice_step(ymax, &dec);
	ymax = ceil(ymax / step - 1e-9) * step;
	if (!(f = open_memstream(&buf, &len)))
		return NULL;
#define X(x) (PL + (double)(x) / dx * (PR - PL))
#define Y(y) (PB - (y) / ymax * (PB - PT))
	fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		   "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
		   "viewBox=\"0 0 %d %d\" font-family=\"DejaVu Sans, Helvetica, Arial, sans-serif\" font-size=\"12\">\n",
		SB_SVG_WIDTH, SB_SVG_HEIGHT, SB_SVG_WIDTH, SB_SVG_HEIGHT);
	fputs("<title>", f);
	esc(f, title);
	fputs("</title>\n", f);
	fprintf(f, "<rect x=\"0\" y=\"0\" width=\"%d\" height=\"%d\" fill=\"#ffffff\"/>\n", SB_SVG_WIDTH,
		SB_SVG_HEIGHT);
	fprintf(f, "<text x=\"%.1f\" y=\"28\" text-anchor=\"middle\" font-size=\"16\">", SB_SVG_WIDTH / 2.0);
	esc(f, title);
	fputs("</text>\n", f);
	/* grid and ticks: x at each power of ten, y at each step */
	fputs("<g stroke=\"#dddddd\" stroke-width=\"1\">\n", f);
	for (k = 0; k <= dx; k++)
		fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>\n", X(k), PT, X(k), PB);
	for (v = 0; v <= ymax + step / 2; v += step)
		fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>\n", PL, Y(v), PR, Y(v));
	fputs("</g>\n<g fill=\"#333333\">\n", f);
	for (k = 0; k <= dx; k++) {
		pct_label(lab, sizeof lab, k);
		fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%s</text>\n", X(k), PB + 18, lab);
	}
	for (v = 0; v <= ymax + step / 2; v += step)
		fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">%.*f</text>\n", PL - 6, Y(v) + 4, dec, v);
	fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">percentile</text>\n", (PL + PR) / 2,
		PB + 44);
	fprintf(f, "<text x=\"18\" y=\"%.1f\" text-anchor=\"middle\" transform=\"rotate(-90 18 %.1f)\">"
		   "latency (ms)</text>\n</g>\n", (PT + PB) / 2, (PT + PB) / 2);
	fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"none\" stroke=\"#333333\"/>\n",
		PL, PT, PR - PL, PB - PT);
	/* the lines, baselines first so the run is drawn over them */
	for (k = 1; k >= 0; k--)
		for (i = 0; i < n; i++) {
			const char *c = palette[((s[i].color % NPAL) + NPAL) % NPAL];
			if (s[i].dashed != k || !s[i].n)
				continue;
			fprintf(f, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"2\"%s points=\"", c,
				k ? " stroke-dasharray=\"7 4\"" : "");
			for (j = 0; j < s[i].n; j++)
				fprintf(f, "%s%.1f,%.1f", j ? " " : "", X(s[i].x[j]), Y(s[i].y[j]));
			fputs("\"/>\n", f);
			for (j = 0; k && j < s[i].n; j++)
				fprintf(f, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3\" fill=\"%s\"/>\n", X(s[i].x[j]),
					Y(s[i].y[j]), c);
		}
	/* the legend, top left inside the plot (latency rises to the right) */
	for (i = 0; i < n; i++)
		if (s[i].n) {
			size_t l = strlen(s[i].label);
			nlab = (int)l > nlab ? (int)l : nlab;
		}
	fprintf(f, "<g font-size=\"12\">\n<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" "
		   "fill=\"#ffffff\" fill-opacity=\"0.9\" stroke=\"#999999\"/>\n",
		PL + 10, PT + 10, 48.0 + 7.0 * nlab, 8.0 + 18.0 * n);
	for (i = 0; i < n; i++) {
		const char *c = palette[((s[i].color % NPAL) + NPAL) % NPAL];
		double y = PT + 10 + 4 + 18.0 * i + 9;
		fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" stroke-width=\"2\"%s/>\n",
			PL + 18, y, PL + 46, y, c, s[i].dashed ? " stroke-dasharray=\"7 4\"" : "");
		fprintf(f, "<text x=\"%.1f\" y=\"%.1f\">", PL + 52, y + 4);
		esc(f, s[i].label);
		fputs("</text>\n", f);
	}
	fputs("</g>\n</svg>\n", f);
#undef X
#undef Y
	if (ferror(f)) {
		fclose(f);
		free(buf);
		return NULL;
	}
	if (fclose(f)) {
		free(buf);
		return NULL;
	}
	return buf;
}
