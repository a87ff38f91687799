/* timeline.c - sess-replay timeline's pictures: what cmd_timeline.c
 * gathered, put into buckets (the window cut into equal slices of time),
 * drawn as SVG (here) or text (timeline_text.c). Deterministic: integers and fixed formats only,
 * times in UTC, nothing from the clock or the locale. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/base/utf8.h"
#include "timeline.h"

/* ---- buckets ---- */


static void *zalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size);

	if (!p) {
		fputs("sess-replay: out of memory\n", stderr);
		exit(70);
	}
	return p;
}

static long long *filled(size_t n)
{
	long long *p = zalloc(n, sizeof *p);
	size_t i;

	for (i = 0; i < n; i++)
		p[i] = -1;
	return p;
}

/* The bucket of time ts in the window (clamped). */
static int bucket(const struct tl_grid *g, long long ts)
{
	const struct timeline *t = g->t;
	long long b;

	if (ts <= t->t0)
		return 0;
	if (ts >= t->t1)
		return g->nb - 1;
	b = (long long)((double)(ts - t->t0) * g->nb / (double)(t->t1 - t->t0));
	return b >= g->nb ? g->nb - 1 : (int)b;
}

static long long bstart(const struct tl_grid *g, int b)
{
	const struct timeline *t = g->t;

	return t->t0 + (long long)((double)(t->t1 - t->t0) * b / g->nb);
}

static int state_prio(const char *s)
{
	return !strcmp(s, "broken") ? 4 : !strcmp(s, "completed") ? 3 : !strcmp(s, "working") ? 2 : 1;
}

/* Membership [from, to] (clipped) into lane l's buckets. */
static void mark_span(struct tl_grid *g, size_t l, long long from, long long to)
{
	int b, b0 = bucket(g, from), b1 = bucket(g, to);

	for (b = b0; b <= b1; b++) {
		size_t k = l * (size_t)g->nb + (size_t)b;
		long long s = b == b0 ? from : bstart(g, b), e = b == b1 ? to : bstart(g, b + 1);
		if (g->mfrom[k] < 0 || s < g->mfrom[k])
			g->mfrom[k] = s;
		if (e > g->mto[k])
			g->mto[k] = e;
	}
}

void tl_grid_make(struct tl_grid *g, const struct timeline *t, int nb)
{
	size_t i, j, n;

	memset(g, 0, sizeof *g);
	g->t = t;
	g->nb = nb;
	g->lane = zalloc(t->nactors, sizeof *g->lane);
	/* the actors seen in the window, in order; past TL_LANES_MAX in one */
	for (i = 0; i < t->nactors; i++) {
		const struct tl_actor *ac = &t->actors[i];
		int seen = ac->events > 0;
		for (j = 0; j < ac->nspans && !seen; j++)
			seen = (ac->spans[j].to < 0 || ac->spans[j].to >= t->t0) && ac->spans[j].from <= t->t1 &&
			       !(ac->spans[j].to >= 0 && ac->spans[j].to == t->t0 && ac->spans[j].from < t->t0);
		g->lane[i] = -1;
		if (!seen)
			continue;
		if (g->nlanes < TL_LANES_MAX) {
			g->lane[i] = (int)g->nlanes++;
		} else {
			g->lane[i] = TL_LANES_MAX;
			g->others++;
		}
	}
	if (g->others)
		g->nlanes++;
	n = g->nlanes * (size_t)nb;
	g->count = zalloc(n, sizeof *g->count);
	g->mfrom = filled(n);
	g->mto = filled(n);
	g->jts = filled(n);
	g->lts = filled(n);
	for (i = 0; i < t->nactors; i++) {
		const struct tl_actor *ac = &t->actors[i];
		size_t l = (size_t)g->lane[i];
		if (g->lane[i] < 0)
			continue;
		for (j = 0; j < ac->nspans; j++) {
			const struct tl_span *s = &ac->spans[j];
			long long from = s->from < t->t0 ? t->t0 : s->from;
			long long to = s->to < 0 || s->to > t->t1 ? t->t1 : s->to;
			size_t k;
			if (to < t->t0 || from > t->t1)
				continue;
			mark_span(g, l, from, to);
			if (s->joined && s->from >= t->t0) {
				k = l * (size_t)nb + (size_t)bucket(g, s->from);
				if (g->jts[k] < 0 || s->from < g->jts[k])
					g->jts[k] = s->from;
			}
			if (s->end == TL_END_LEAVE && s->to >= t->t0 && s->to <= t->t1) {
				k = l * (size_t)nb + (size_t)bucket(g, s->to);
				if (s->to > g->lts[k])
					g->lts[k] = s->to;
			}
		}
	}
	for (i = 0; i < t->nevents; i++) {
		int l = g->lane[t->events[i].actor];
		long long *c;
		if (l < 0)
			continue;
		c = &g->count[(size_t)l * (size_t)nb + (size_t)bucket(g, t->events[i].ts)];
		if (++*c > g->maxcount)
			g->maxcount = *c;
	}
	g->sprio = zalloc((size_t)nb, sizeof *g->sprio);
	g->sname = zalloc((size_t)nb, sizeof *g->sname);
	g->sfrom = filled((size_t)nb);
	g->sto = filled((size_t)nb);
	for (i = 0; i < t->nstates; i++) {
		const struct tl_state *s = &t->states[i];
		long long from = s->from < t->t0 ? t->t0 : s->from;
		long long to = s->to < 0 || s->to > t->t1 ? t->t1 : s->to;
		int b, b0, b1, p = state_prio(s->name);
		if (to < t->t0 || from > t->t1 || (s->to >= 0 && s->to <= t->t0 && s->from < t->t0))
			continue;
		b0 = bucket(g, from);
		b1 = bucket(g, to);
		/* an interval ends where the next starts: that bucket is the
		 * next one's unless this one is all it has */
		if (b1 > b0 && to == bstart(g, b1) && s->to >= 0)
			b1--;
		for (b = b0; b <= b1; b++) {
			long long bs = b == b0 ? from : bstart(g, b), be = b == b1 ? to : bstart(g, b + 1);
			if (p > g->sprio[b]) {
				g->sprio[b] = p;
				g->sname[b] = s->name;
				g->sfrom[b] = bs;
				g->sto[b] = be;
			} else if (p == g->sprio[b] && !strcmp(g->sname[b], s->name)) {
				if (bs < g->sfrom[b])
					g->sfrom[b] = bs;
				if (be > g->sto[b])
					g->sto[b] = be;
			}
		}
	}
	g->cpn = zalloc((size_t)nb, sizeof *g->cpn);
	g->cpfirst = zalloc((size_t)nb, sizeof *g->cpfirst);
	for (i = 0; i < t->ncps; i++) {
		int b = bucket(g, t->cps[i].ts);
		if (!g->cpn[b]++)
			g->cpfirst[b] = i;
	}
}

void tl_grid_free(struct tl_grid *g)
{
	free(g->lane);
	free(g->count);
	free(g->mfrom);
	free(g->mto);
	free(g->jts);
	free(g->lts);
	free(g->sprio);
	free(g->sname);
	free(g->sfrom);
	free(g->sto);
	free(g->cpn);
	free(g->cpfirst);
}

/* ---- times ---- */

void timeline_time(long long ms, char *buf, size_t n)
{
	time_t s = (time_t)(ms >= 0 ? ms / 1000 : (ms - 999) / 1000);
	struct tm tm;

	gmtime_r(&s, &tm);
	snprintf(buf, n, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
		 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)(ms - (long long)s * 1000));
}

/* A tick's label: as much of the time as the step needs. */
void tl_tick_label(long long ms, long long step, char *buf, size_t n)
{
	char full[32];

	timeline_time(ms, full, sizeof full);
	if (step < 1000)
		snprintf(buf, n, "%.12s", full + 11);  /* HH:MM:SS.mmm */
	else if (step < 60000)
		snprintf(buf, n, "%.8s", full + 11);   /* HH:MM:SS */
	else if (step < 86400000)
		snprintf(buf, n, "%.5s", full + 11);   /* HH:MM */
	else
		snprintf(buf, n, "%.5s", full + 5);    /* MM-DD */
}

/* The round step that cuts span into at most max ticks. */
long long tl_tick_step(long long span, int max)
{
	static const long long steps[] = {
		1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000, 15000, 30000,
		60000, 120000, 300000, 600000, 900000, 1800000, 3600000, 7200000, 10800000,
		21600000, 43200000, 86400000, 172800000, 604800000, 2592000000LL, 31536000000LL};
	size_t i;

	for (i = 0; i < sizeof steps / sizeof steps[0] - 1; i++)
		if (span / steps[i] <= max)
			return steps[i];
	return steps[i] * (span / (steps[i] * max) + 1);
}

void tl_duration(long long ms, char *buf, size_t n)
{
	if (ms < 60000)
		snprintf(buf, n, "%lld.%03lld s", ms / 1000, ms % 1000);
	else if (ms < 3600000)
		snprintf(buf, n, "%lld min %lld s", ms / 60000, ms / 1000 % 60);
	else if (ms < 86400000)
		snprintf(buf, n, "%lld h %lld min", ms / 3600000, ms / 60000 % 60);
	else
		snprintf(buf, n, "%lld d %lld h", ms / 86400000, ms / 3600000 % 24);
}

/* ---- SVG ---- */

#define SVG_W 1030
#define SVG_X0 180      /* the plot's left edge: names before it */
#define SVG_PW 800      /* the plot's width */
#define SVG_LANE 22
#define SVG_TOP 84      /* the first lane */
#define SVG_NAME_MAX 24 /* characters of a name shown (all in its tooltip) */

/* s as XML character data or attribute text: markup characters as
 * entities, what XML 1.0 cannot hold (control characters, invalid UTF-8,
 * U+FFFE/U+FFFF) as U+FFFD; at most max characters (then "…"). */
static void xml_text(FILE *f, const char *s, size_t max)
{
	size_t n = strlen(s), i = 0, chars = 0, l;

	while (i < n) {
		unsigned char c = (unsigned char)s[i];
		if (chars++ == max) {
			fputs("\xe2\x80\xa6", f);
			return;
		}
		l = sess_utf8_seq(s + i, n - i);
		if (!l || c < 0x20 || c == 0x7f || (l == 3 && !memcmp(s + i, "\xef\xbf", 2) &&
						  ((unsigned char)s[i + 2] & 0xfe) == 0xbe)) {
			fputs("\xef\xbf\xbd", f);
			i += l ? l : 1;
			continue;
		}
		switch (c) {
		case '&': fputs("&amp;", f); break;
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '"': fputs("&quot;", f); break;
		case '\'': fputs("&apos;", f); break;
		default: fwrite(s + i, 1, l, f);
		}
		i += l;
	}
}

static int tx(const struct timeline *t, long long ms)
{
	return SVG_X0 + (int)((double)(ms - t->t0) * SVG_PW / (double)(t->t1 - t->t0) + 0.5);
}

static const char *band_class(int prio)
{
	static const char *const c[] = {"", "so", "sw", "sc", "sb"};

	return c[prio];
}

struct type_ct {
	unsigned type;
	long long n;
};

static int type_ct_cmp(const void *x, const void *y)
{
	const struct type_ct *a = x, *b = y;

	if (a->n != b->n)
		return a->n > b->n ? -1 : 1;
	return a->type < b->type ? -1 : a->type > b->type;
}

/* The tooltip of lane l's bucket b: one event's type, actor, time and
 * seq, or the count and the most frequent types. */
static int uint_cmp(const void *x, const void *y)
{
	unsigned a = *(const unsigned *)x, b = *(const unsigned *)y;

	return a < b ? -1 : a > b;
}

static void mark_title(FILE *f, const struct tl_grid *g, size_t l, int b, struct type_ct *ct,
		       unsigned *ty, const size_t *first)
{
	const struct timeline *t = g->t;
	long long want = g->count[l * (size_t)g->nb + (size_t)b];
	size_t i, n = 0, k, nct = 0;
	char a[32], z[32];

	/* its events (want of them, from the first on): their types */
	for (i = first[l * (size_t)g->nb + (size_t)b]; i < t->nevents && (long long)n < want; i++) {
		const struct tl_event *e = &t->events[i];
		if (g->lane[e->actor] != (int)l || bucket(g, e->ts) != b)
			continue;
		if (!n)
			timeline_time(e->ts, a, sizeof a);
		timeline_time(e->ts, z, sizeof z);
		if (want == 1) {
			xml_text(f, t->types[e->type], (size_t)-1);
			fputs(" by ", f);
			xml_text(f, t->actors[e->actor].name, (size_t)-1);
			fprintf(f, " at %s (seq %lld)", a, e->seq);
			return;
		}
		ty[n++] = e->type;
	}
	/* counted by type, the most frequent first (then by first seen) */
	qsort(ty, n, sizeof *ty, uint_cmp);
	for (i = 0; i < n; nct++) {
		k = i;
		while (i < n && ty[i] == ty[k])
			i++;
		ct[nct].type = ty[k];
		ct[nct].n = (long long)(i - k);
	}
	qsort(ct, nct, sizeof *ct, type_ct_cmp);
	fprintf(f, "%zu events, %s to %s:", n, a, z);
	for (k = 0; k < nct && k < 4; k++) {
		fputs(k ? ", " : " ", f);
		xml_text(f, t->types[ct[k].type], (size_t)-1);
		fprintf(f, " %lld", ct[k].n);
	}
	if (k < nct)
		fputs(", ...", f);
}

void timeline_svg(const struct timeline *t, FILE *f)
{
	struct tl_grid g;
	struct type_ct *ct;
	unsigned *ty;
	size_t l, i, *first;
	int b, h, y, cpy, legy, lines;
	long long step, tk;
	char a[32], z[32], d[48], lab[32];

	tl_grid_make(&g, t, TL_SVG_BUCKETS);
	ct = zalloc((size_t)g.maxcount, sizeof *ct);
	ty = zalloc((size_t)g.maxcount, sizeof *ty);
	/* each lane's bucket's first event: where mark_title starts looking */
	first = zalloc(g.nlanes * (size_t)g.nb, sizeof *first);
	for (i = 0; i < g.nlanes * (size_t)g.nb; i++)
		first[i] = t->nevents;
	for (i = t->nevents; i-- > 0;) {
		int ln = g.lane[t->events[i].actor];
		if (ln >= 0)
			first[(size_t)ln * (size_t)g.nb + (size_t)bucket(&g, t->events[i].ts)] = i;
	}
	cpy = SVG_TOP + (int)g.nlanes * SVG_LANE + 6;
	legy = cpy + 36;
	h = legy + 26;
	timeline_time(t->t0, a, sizeof a);
	timeline_time(t->t1, z, sizeof z);
	tl_duration(t->t1 - t->t0, d, sizeof d);
	fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		   "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" "
		   "font-family=\"DejaVu Sans, Helvetica, Arial, sans-serif\" font-size=\"11\">\n",
		SVG_W, h, SVG_W, h);
	fputs("<title>timeline of ", f);
	xml_text(f, t->id, (size_t)-1);
	fputs(t->verified ? "</title>\n" : " (NOT VERIFIED)</title>\n", f);
	fputs("<style>.sw{fill:#43a047}.sb{fill:#e53935}.sc{fill:#757575}.so{fill:#f9a825}"
	      ".bw{fill:#43a047;opacity:.12}.bb{fill:#e53935;opacity:.18}.bc{fill:#757575;opacity:.12}.bo{fill:#f9a825;opacity:.15}"
	      ".ln{fill:#90a4ae}.ev{fill:#1565c0}.jn{fill:#2e7d32}.lv{fill:#6d4c41}.cp{fill:#6a1b9a}"
	      ".cl{stroke:#6a1b9a;stroke-width:1;stroke-dasharray:2 3;opacity:.5}"
	      ".gr{stroke:#cfd8dc;stroke-width:1}.tk{stroke:#455a64;stroke-width:1}"
	      ".nm{fill:#263238}.ax{fill:#455a64}.bad{fill:#c62828;font-weight:bold}</style>\n", f);
	fprintf(f, "<rect width=\"%d\" height=\"%d\" fill=\"#ffffff\"/>\n", SVG_W, h);
	/* the title */
	fprintf(f, "<text x=\"10\" y=\"20\" font-size=\"14\"%s>", t->verified ? "" : " class=\"bad\"");
	xml_text(f, t->id, (size_t)-1);
	fprintf(f, " (%s): %s to %s (%s), %zu events, %zu checkpoints", t->saved ? "saved replay" : "live",
		a, z, d, t->nevents, t->ncps);
	if (t->start_cp >= 0)
		fprintf(f, ", history from checkpoint %lld (trimmed)", t->start_cp);
	if (t->verified) {
		fputs(", verified</text>\n", f);
	} else {
		fputs(", NOT VERIFIED</text>\n<text x=\"10\" y=\"36\" class=\"bad\">NOT VERIFIED: ", f);
		xml_text(f, t->why, 150);
		fputs("</text>\n", f);
	}
	/* the time axis: grid lines, ticks, labels */
	step = tl_tick_step(t->t1 - t->t0, 8);
	for (tk = (t->t0 / step + (t->t0 % step > 0)) * step; tk <= t->t1; tk += step) {
		int x = tx(t, tk);
		tl_tick_label(tk, step, lab, sizeof lab);
		fprintf(f, "<line class=\"gr\" x1=\"%d\" y1=\"56\" x2=\"%d\" y2=\"%d\"/>"
			   "<line class=\"tk\" x1=\"%d\" y1=\"50\" x2=\"%d\" y2=\"56\"/>"
			   "<text class=\"ax\" x=\"%d\" y=\"47\" text-anchor=\"middle\">%s</text>\n",
			x, x, cpy + 14, x, x, x, lab);
	}
	fprintf(f, "<line class=\"tk\" x1=\"%d\" y1=\"56\" x2=\"%d\" y2=\"56\"/>\n", SVG_X0, SVG_X0 + SVG_PW);
	/* the state: a strip and bands behind the lanes */
	fputs("<text class=\"nm\" x=\"10\" y=\"72\">state</text>\n", f);
	for (b = 0; b < g.nb;) {
		int e = b, x0, x1;
		if (!g.sprio[b]) {
			b++;
			continue;
		}
		while (e + 1 < g.nb && g.sprio[e + 1] == g.sprio[b] && !strcmp(g.sname[e + 1], g.sname[b]))
			e++;
		x0 = tx(t, g.sfrom[b]);
		x1 = tx(t, g.sto[e]);
		if (x1 - x0 < 3) { /* a moment (a completion at the end) stays visible */
			if (x0 + 3 > SVG_X0 + SVG_PW)
				x0 = x1 - 3;
			else
				x1 = x0 + 3;
		}
		timeline_time(g.sfrom[b], a, sizeof a);
		timeline_time(g.sto[e], z, sizeof z);
		fprintf(f, "<rect class=\"b%s\" x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\"/>", band_class(g.sprio[b]) + 1,
			x0, SVG_TOP - 2, x1 - x0, (int)g.nlanes * SVG_LANE + 2);
		fprintf(f, "<rect class=\"%s\" x=\"%d\" y=\"62\" width=\"%d\" height=\"14\"><title>", band_class(g.sprio[b]),
			x0, x1 - x0);
		xml_text(f, g.sname[b], (size_t)-1);
		fprintf(f, ": %s to %s</title></rect>\n", a, z);
		b = e + 1;
	}
	/* the lanes */
	for (l = 0; l < g.nlanes; l++) {
		size_t row = l * (size_t)g.nb;
		y = SVG_TOP + (int)l * SVG_LANE;
		fprintf(f, "<text class=\"nm\" x=\"10\" y=\"%d\">", y + 15);
		if (g.others && l == g.nlanes - 1) {
			fprintf(f, "%zu more actors</text>\n", g.others);
		} else {
			for (i = 0; g.lane[i] != (int)l; i++)
				;
			xml_text(f, t->actors[i].name, SVG_NAME_MAX);
			fputs("<title>", f);
			xml_text(f, t->actors[i].name, (size_t)-1);
			fputs("</title></text>\n", f);
		}
		for (b = 0; b < g.nb;) {
			int e = b, x0, x1;
			if (g.mfrom[row + (size_t)b] < 0) {
				b++;
				continue;
			}
			while (e + 1 < g.nb && g.mfrom[row + (size_t)e + 1] >= 0)
				e++;
			x0 = tx(t, g.mfrom[row + (size_t)b]);
			x1 = tx(t, g.mto[row + (size_t)e]);
			fprintf(f, "<rect class=\"ln\" x=\"%d\" y=\"%d\" width=\"%d\" height=\"4\"/>\n", x0, y + 9,
				x1 > x0 ? x1 - x0 : 1);
			b = e + 1;
		}
		for (b = 0; b < g.nb; b++) {
			size_t k = row + (size_t)b;
			if (g.jts[k] >= 0) {
				int x = tx(t, g.jts[k]);
				timeline_time(g.jts[k], a, sizeof a);
				fprintf(f, "<path class=\"jn\" d=\"M%d %dl6 5l-6 5z\"><title>joined at %s</title></path>\n",
					x, y + 6, a);
			}
			if (g.lts[k] >= 0) {
				int x = tx(t, g.lts[k]);
				timeline_time(g.lts[k], a, sizeof a);
				fprintf(f, "<path class=\"lv\" d=\"M%d %dl-6 5l6 5z\"><title>left at %s</title></path>\n",
					x, y + 6, a);
			}
			if (g.count[k]) {
				int bh = 4 + (int)(14.0 * (double)g.count[k] / (double)g.maxcount + 0.5);
				int x = SVG_X0 + b * SVG_PW / g.nb;
				if (g.count[k] == 1)
					x = tx(t, t->events[first[k]].ts) - 1;
				if (x > SVG_X0 + SVG_PW - 3)
					x = SVG_X0 + SVG_PW - 3;
				fprintf(f, "<rect class=\"ev\" x=\"%d\" y=\"%d\" width=\"3\" height=\"%d\"><title>", x,
					y + 11 - bh / 2, bh);
				mark_title(f, &g, l, b, ct, ty, first);
				fputs("</title></rect>\n", f);
			}
		}
	}
	/* the checkpoints */
	fprintf(f, "<text class=\"nm\" x=\"10\" y=\"%d\">checkpoints</text>\n", cpy + 11);
	for (b = 0, i = 0; b < g.nb; b++)
		i += g.cpn[b] > 0;
	lines = i <= 40; /* a line across the lanes while they are few */
	for (b = 0; b < g.nb; b++) {
		const struct tl_cp *c;
		int x;
		if (!g.cpn[b])
			continue;
		c = &t->cps[g.cpfirst[b]];
		x = tx(t, c->ts);
		timeline_time(c->ts, a, sizeof a);
		if (lines)
			fprintf(f, "<line class=\"cl\" x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\"/>", x, SVG_TOP, x, cpy);
		fprintf(f, "<path class=\"cp\" d=\"M%d %dl5 6l-5 6l-5 -6z\"><title>", x, cpy + 1);
		if (g.cpn[b] == 1)
			fprintf(f, "checkpoint %lld (seq %lld) at %s", c->n, c->seq, a);
		else
			fprintf(f, "%lld checkpoints from %lld (seq %lld) at %s", g.cpn[b], c->n, c->seq, a);
		fputs("</title></path>\n", f);
	}
	/* the legend */
	fprintf(f, "<g transform=\"translate(10 %d)\">"
		   "<rect class=\"sw\" x=\"0\" y=\"0\" width=\"14\" height=\"10\"/><text x=\"18\" y=\"9\">working</text>"
		   "<rect class=\"sb\" x=\"80\" y=\"0\" width=\"14\" height=\"10\"/><text x=\"98\" y=\"9\">broken</text>"
		   "<rect class=\"sc\" x=\"155\" y=\"0\" width=\"14\" height=\"10\"/><text x=\"173\" y=\"9\">completed</text>"
		   "<rect class=\"ln\" x=\"250\" y=\"3\" width=\"20\" height=\"4\"/><text x=\"274\" y=\"9\">member</text>"
		   "<path class=\"jn\" d=\"M335 0l6 5l-6 5z\"/><text x=\"345\" y=\"9\">joined</text>"
		   "<path class=\"lv\" d=\"M405 0l-6 5l6 5z\"/><text x=\"409\" y=\"9\">left</text>"
		   "<rect class=\"ev\" x=\"450\" y=\"-2\" width=\"3\" height=\"14\"/>"
		   "<text x=\"457\" y=\"9\">events (taller: more in %d ms)</text>"
		   "<path class=\"cp\" d=\"M680 -1l5 6l-5 6l-5 -6z\"/><text x=\"690\" y=\"9\">checkpoint</text>"
		   "</g>\n</svg>\n",
		legy, (int)((t->t1 - t->t0 + g.nb - 1) / g.nb));
	free(first);
	free(ct);
	free(ty);
	tl_grid_free(&g);
}
