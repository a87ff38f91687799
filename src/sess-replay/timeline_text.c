/* timeline_text.c - sess-replay timeline's text picture: a row per
 * actor over a fixed axis of TL_TEXT_BUCKETS columns, ASCII or UTF-8. */
#include <string.h>

#include "core/base/utf8.h"
#include "timeline.h"

#define TXT_NAME 16

/* s in at most w columns: ASCII, or UTF-8 when utf8; what cannot be
 * shown as '?'; cut with '~' (or '…'). Returns the columns written. */
static int text_put(FILE *f, const char *s, int w, int utf8)
{
	size_t n = strlen(s), i = 0, l;
	int col = 0;

	while (i < n && col < w) {
		unsigned char c = (unsigned char)s[i];
		l = sess_utf8_seq(s + i, n - i);
		if (col == w - 1 && i + (l ? l : 1) < n) {
			fputs(utf8 ? "\xe2\x80\xa6" : "~", f);
			col++;
			break;
		}
		if (!l || c < 0x20 || c == 0x7f || (!utf8 && l > 1))
			fputc('?', f);
		else
			fwrite(s + i, 1, l, f);
		i += l ? l : 1;
		col++;
	}
	return col;
}

/* The same padded to w columns and one space. */
static void text_name(FILE *f, const char *s, int w, int utf8)
{
	int col;

	for (col = text_put(f, s, w, utf8); col < w + 1; col++)
		fputc(' ', f);
}

/* ANSI colours of the state row (priority 1 other .. 4 broken) */
static const char *const st_color[] = {"", "\033[33m", "\033[32m", "\033[90m", "\033[31;1m"};
#define C_OFF "\033[0m"

void timeline_text(const struct timeline *t, FILE *f, int utf8, int color)
{
	struct tl_grid g;
	char a[32], z[32], d[48], lab[32], axis[TL_TEXT_BUCKETS + 1], ticks[TL_TEXT_BUCKETS + 1];
	long long step, tk;
	size_t l, i;
	int b, nb = TL_TEXT_BUCKETS;
	const char *member = utf8 ? "\xe2\x94\x80" : "-", *join = utf8 ? "\xe2\x94\x9c" : "[",
		   *leave = utf8 ? "\xe2\x94\xa4" : "]", *cp = utf8 ? "\xe2\x96\xb2" : "^";
	/* states: working, broken, completed, other */
	const char *st_w = utf8 ? "\xe2\x96\x91" : "w", *st_b = utf8 ? "\xe2\x96\x88" : "B",
		   *st_c = utf8 ? "\xe2\x96\x92" : "C", *st_o = "?";

	tl_grid_make(&g, t, nb);
	timeline_time(t->t0, a, sizeof a);
	timeline_time(t->t1, z, sizeof z);
	tl_duration(t->t1 - t->t0, d, sizeof d);
	text_put(f, t->id, SESS_ID_MAX, utf8);
	fprintf(f, " (%s): %s to %s (%s), %zu events, %zu checkpoints", t->saved ? "saved replay" : "live",
		a, z, d, t->nevents, t->ncps);
	if (t->start_cp >= 0)
		fprintf(f, ", history from checkpoint %lld (trimmed)", t->start_cp);
	fprintf(f, ", %s%s%s\n", color ? (t->verified ? "\033[32m" : "\033[31;1m") : "",
		t->verified ? "verified" : "NOT VERIFIED", color ? C_OFF : "");
	if (!t->verified) {
		fputs(color ? "\033[31;1mNOT VERIFIED:" C_OFF " " : "NOT VERIFIED: ", f);
		text_put(f, t->why, 200, utf8);
		fputc('\n', f);
	}
	/* the axis: labels where they fit, ticks under them */
	memset(axis, ' ', sizeof axis);
	memset(ticks, ' ', sizeof ticks);
	step = tl_tick_step(t->t1 - t->t0, nb / 15);
	for (tk = (t->t0 / step + (t->t0 % step > 0)) * step; tk <= t->t1; tk += step) {
		int c = (int)((double)(tk - t->t0) * nb / (double)(t->t1 - t->t0));
		size_t ln;
		if (c >= nb)
			c = nb - 1;
		ticks[c] = '|';
		tl_tick_label(tk, step, lab, sizeof lab);
		ln = strlen(lab);
		/* at its tick, or ending at the axis' end; never over another */
		if ((size_t)c + ln > (size_t)nb)
			c = nb - (int)ln;
		if (c >= 0 && (c == 0 || axis[c - 1] == ' ')) {
			for (i = 0; i < ln && axis[c + (int)i] == ' '; i++)
				;
			if (i == ln)
				memcpy(axis + c, lab, ln);
		}
	}
	axis[nb] = ticks[nb] = '\0';
	fprintf(f, "%*s%s\n%*s%s\n", TXT_NAME + 1, "", axis, TXT_NAME + 1, "", ticks);
	text_name(f, "state", TXT_NAME, utf8);
	for (b = 0; b < nb; b++) {
		if (color && (b == 0 ? g.sprio[b] != 0 : g.sprio[b] != g.sprio[b - 1]))
			fputs(g.sprio[b] ? st_color[g.sprio[b]] : C_OFF, f);
		fputs(!g.sprio[b] ? " " : g.sprio[b] == 4 ? st_b : g.sprio[b] == 3 ? st_c : g.sprio[b] == 2 ? st_w : st_o, f);
	}
	fputs(color ? C_OFF "\n" : "\n", f);
	for (l = 0; l < g.nlanes; l++) {
		size_t row = l * (size_t)nb;
		if (g.others && l == g.nlanes - 1) {
			char buf[40];
			snprintf(buf, sizeof buf, "%zu more actors", g.others);
			text_name(f, buf, TXT_NAME, utf8);
		} else {
			for (i = 0; g.lane[i] != (int)l; i++)
				;
			text_name(f, t->actors[i].name, TXT_NAME, utf8);
		}
		for (b = 0; b < nb; b++) {
			size_t k = row + (size_t)b;
			if (g.count[k])
				fputc(g.count[k] > 9 ? '+' : (char)('0' + g.count[k]), f);
			else if (g.jts[k] >= 0)
				fputs(join, f);
			else if (g.lts[k] >= 0)
				fputs(leave, f);
			else
				fputs(g.mfrom[k] >= 0 ? member : " ", f);
		}
		fputc('\n', f);
	}
	text_name(f, "checkpoints", TXT_NAME, utf8);
	for (b = 0; b < nb; b++)
		fputs(g.cpn[b] ? cp : " ", f);
	fprintf(f, "\n%s working  %s broken  %s completed  %s joined  %s left  %s member  "
		   "1-9 events (+ more)  %s checkpoint; a column is %s\n",
		st_w, st_b, st_c, join, leave, member, cp,
		(tl_duration((t->t1 - t->t0 + nb - 1) / nb, d, sizeof d), d));
	tl_grid_free(&g);
}
