#include "sess-health/spark.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

void spark_push(struct spark *s, double v)
{
	if (s->n == SPARK_MAX) {
		memmove(s->v, s->v + 1, (SPARK_MAX - 1) * sizeof s->v[0]);
		s->n--;
	}
	s->v[s->n++] = v;
}

double spark_last(const struct spark *s)
{
	return s->n ? s->v[s->n - 1] : NAN;
}

void spark_render(const struct spark *s, int width, int utf8, char *buf, size_t n, double *max)
{
	static const char *const blocks[8] = {"\xe2\x96\x81", "\xe2\x96\x82", "\xe2\x96\x83", "\xe2\x96\x84",
					      "\xe2\x96\x85", "\xe2\x96\x86", "\xe2\x96\x87", "\xe2\x96\x88"};
	static const char ascii[] = "_.-:=+*#";
	int from = s->n > width ? s->n - width : 0, i;
	double top = NAN;
	size_t len = 0;

	if (n)
		buf[0] = '\0';
	for (i = from; i < s->n; i++)
		if (!isnan(s->v[i]) && (isnan(top) || s->v[i] > top))
			top = s->v[i];
	if (max)
		*max = top;
	for (i = from; i < s->n && n; i++) {
		char one[4] = " ";
		const char *c = one;
		size_t cl;
		if (!isnan(s->v[i])) {
			int lvl = top > 0 && s->v[i] > 0 ? (int)lround(s->v[i] / top * 7.0) : 0;
			lvl = lvl < 0 ? 0 : lvl > 7 ? 7 : lvl;
			if (utf8)
				c = blocks[lvl];
			else
				one[0] = ascii[lvl];
		}
		cl = strlen(c);
		if (len + cl + 1 > n)
			break;
		memcpy(buf + len, c, cl + 1);
		len += cl;
	}
}

int spark_utf8_env(void)
{
	static const char *const vars[] = {"LC_ALL", "LC_CTYPE", "LANG"};
	const char *v = NULL, *dot;
	size_t i;

	for (i = 0; i < sizeof vars / sizeof vars[0]; i++)
		if ((v = getenv(vars[i])) && v[0])
			break;
	if (!v || !v[0] || !(dot = strchr(v, '.')))
		return 0;
	dot++;
	return !strncasecmp(dot, "UTF-8", 5) || !strncasecmp(dot, "utf8", 4);
}
