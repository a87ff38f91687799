/* table.c - list-shaped results as a table for people or TSV for awk
 * (cli.h, "Tables"). The rows are the JSON objects the command prints;
 * its table spec names the columns. */
#include "cli/cli.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/base/utf8.h"

#define COL_MAX 32  /* columns in a spec */
#define CELL_MAX 40 /* a table cell's width, in characters */

struct col {
	char path[64];   /* "changeInfo.operation" */
	char head[32];   /* its header */
	int time;        /* epoch ms shown as a local time in a table */
};

/* Parse "id state seq agentCount:agents updated@" into cols. */
static int cols_of(const char *spec, struct col *c, int max)
{
	int n = 0;

	while (*spec && n < max) {
		size_t len = strcspn(spec, " "), pl;
		char tok[128], *colon, *at;
		snprintf(tok, sizeof tok, "%.*s", (int)len, spec);
		spec += len;
		spec += strspn(spec, " ");
		if (!tok[0])
			continue;
		memset(&c[n], 0, sizeof c[n]);
		colon = strchr(tok, ':');
		if (colon)
			*colon++ = 0;
		pl = strlen(tok);
		at = pl && tok[pl - 1] == '@' ? &tok[pl - 1] : NULL;
		if (at) {
			*at = 0;
			c[n].time = 1;
		}
		snprintf(c[n].path, sizeof c[n].path, "%.63s", tok);
		snprintf(c[n].head, sizeof c[n].head, "%.31s", colon ? colon : tok);
		n++;
	}
	return n;
}

static const cJSON *at_path(const cJSON *v, const char *path)
{
	char part[64];

	while (v && *path) {
		size_t n = strcspn(path, ".");
		snprintf(part, sizeof part, "%.*s", (int)n, path);
		v = cJSON_GetObjectItemCaseSensitive(v, part);
		path += n;
		path += *path == '.';
	}
	return v;
}

/* The cell's text (malloc'd): scalars as they read, arrays of scalars
 * joined with commas, objects as compact JSON; missing: "". Times in a
 * table: "2026-12-05 03:40:12" in local time. */
static char *cell(const cJSON *v, int time, int table)
{
	char buf[64];

	if (!v || cJSON_IsNull(v))
		return strdup("");
	if (cJSON_IsString(v))
		return strdup(v->valuestring);
	if (cJSON_IsBool(v))
		return strdup(cJSON_IsTrue(v) ? "true" : "false");
	if (cJSON_IsNumber(v)) {
		double d = v->valuedouble;
		if (time && table && d > 0 && d < 1e15) {
			time_t t = (time_t)(d / 1000);
			struct tm tm;
			if (localtime_r(&t, &tm) && strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", &tm))
				return strdup(buf);
		}
		if (d == (double)(long long)d && d > -1e17 && d < 1e17)
			snprintf(buf, sizeof buf, "%lld", (long long)d);
		else
			snprintf(buf, sizeof buf, "%.6g", d);
		return strdup(buf);
	}
	if (cJSON_IsArray(v)) {
		const cJSON *it;
		size_t len = 0;
		char *out = NULL;
		int scalars = 1;
		cJSON_ArrayForEach(it, v) scalars &= !cJSON_IsObject(it) && !cJSON_IsArray(it);
		if (scalars) {
			out = calloc(1, 1);
			cJSON_ArrayForEach(it, v) {
				char *one = cell(it, 0, table), *grown;
				size_t ol = one ? strlen(one) : 0;
				if (!one || !out || !(grown = realloc(out, len + ol + 2))) {
					free(one);
					free(out);
					return NULL;
				}
				out = grown;
				if (len)
					out[len++] = ',';
				memcpy(out + len, one, ol + 1);
				len += ol;
				free(one);
			}
			return out;
		}
	}
	return cJSON_PrintUnformatted(v);
}

/* Characters of UTF-8 text s (its display width, near enough). */
static size_t chars(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		n += ((unsigned char)*s & 0xC0) != 0x80;
	return n;
}

/* Write s for a table cell: control characters as spaces, at most w
 * characters (the last "~" when cut), padded to w unless last. */
static void put_cell(FILE *f, const char *s, size_t w, int last)
{
	size_t n = 0, len = chars(s);
	int cut = len > w;

	for (; *s && n < w - (size_t)cut; s++) {
		unsigned char ch = (unsigned char)*s;
		if ((ch & 0xC0) != 0x80)
			n++;
		fputc(ch < 0x20 || ch == 0x7f ? ' ' : ch, f);
	}
	/* the rest of a character cut after its first byte */
	while (((unsigned char)*s & 0xC0) == 0x80)
		fputc(*s++, f);
	if (cut) {
		fputc('~', f);
		n++;
	}
	if (!last)
		for (; n < w; n++)
			fputc(' ', f);
}

/* TSV: a tab, newline, carriage return or backslash escaped as \t \n \r
 * \\ (what readers of linear TSV expect). */
static void put_tsv(FILE *f, const char *s)
{
	for (; *s; s++) {
		if (*s == '\t')
			fputs("\\t", f);
		else if (*s == '\n')
			fputs("\\n", f);
		else if (*s == '\r')
			fputs("\\r", f);
		else if (*s == '\\')
			fputs("\\\\", f);
		else
			fputc(*s, f);
	}
}

static void put_header_tsv(struct cli_out *o, const struct col *c, int n)
{
	int i;

	for (i = 0; i < n; i++) {
		if (i)
			fputc('\t', o->f);
		put_tsv(o->f, c[i].head);
	}
	fputc('\n', o->f);
}

int cli_table_row(struct cli_out *o, const cJSON *v)
{
	struct col c[COL_MAX];
	int n = cols_of(o->table, c, COL_MAX), i;
	const cJSON *ok = cJSON_GetObjectItemCaseSensitive(v, "ok");

	if (!cJSON_IsObject(v) || cJSON_IsFalse(ok))
		return -1; /* not a row (an error record): the caller prints it */
	if (!o->tsv) {
		if (!o->rows && !(o->rows = cJSON_CreateArray()))
			return -1;
		cJSON_AddItemToArray(o->rows, cJSON_Duplicate(v, 1));
		return 0;
	}
	if (o->closed)
		return 1;
	errno = 0;
	if (!o->header_done) {
		put_header_tsv(o, c, n);
		o->header_done = 1;
	}
	for (i = 0; i < n; i++) {
		char *s = cell(at_path(v, c[i].path), c[i].time, 0);
		if (i)
			fputc('\t', o->f);
		put_tsv(o->f, s ? s : "");
		free(s);
	}
	fputc('\n', o->f);
	return cli_out_line_done(o);
}

int cli_table_end(struct cli_out *o)
{
	struct col c[COL_MAX];
	int n, i, r, nrows, rc = 0;
	size_t w[COL_MAX];
	char ***cells;
	const cJSON *row;

	if (!o->table || o->tsv || !o->rows) {
		cJSON_Delete(o->rows);
		o->rows = NULL;
		return 0;
	}
	n = cols_of(o->table, c, COL_MAX);
	nrows = cJSON_GetArraySize(o->rows);
	cells = calloc((size_t)nrows + 1, sizeof *cells);
	for (i = 0; i < n; i++)
		w[i] = chars(c[i].head);
	r = 0;
	cJSON_ArrayForEach(row, o->rows) {
		if (!cells || !(cells[r] = calloc((size_t)n, sizeof **cells)))
			break;
		for (i = 0; i < n; i++) {
			size_t cw;
			cells[r][i] = cell(at_path(row, c[i].path), c[i].time, 1);
			cw = cells[r][i] ? chars(cells[r][i]) : 0;
			if (cw > w[i])
				w[i] = cw > CELL_MAX ? CELL_MAX : cw;
		}
		r++;
	}
	errno = 0;
	if (!o->closed) {
		if (o->color)
			fputs("\033[1m", o->f);
		for (i = 0; i < n; i++) {
			put_cell(o->f, c[i].head, w[i], i == n - 1);
			if (i < n - 1)
				fputs("  ", o->f);
		}
		if (o->color)
			fputs("\033[0m", o->f);
		fputc('\n', o->f);
		rc = cli_out_line_done(o);
	}
	for (r = 0; cells && r < nrows && cells[r]; r++) {
		for (i = 0; i < n && !rc; i++) {
			put_cell(o->f, cells[r][i] ? cells[r][i] : "", w[i], i == n - 1);
			if (i < n - 1)
				fputs("  ", o->f);
		}
		if (!rc) {
			fputc('\n', o->f);
			rc = cli_out_line_done(o);
			errno = 0;
		}
		for (i = 0; i < n; i++)
			free(cells[r][i]);
		free(cells[r]);
	}
	free(cells);
	cJSON_Delete(o->rows);
	o->rows = NULL;
	return rc;
}
