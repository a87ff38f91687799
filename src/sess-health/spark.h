/* spark.h - sparklines for sess-health check --watch on a terminal: the
 * last values of a measure as one line of block characters.
 *
 * Pure: no I/O; the locale is read from the environment only by
 * spark_utf8_env (no setlocale).
 */
#ifndef SESS_HEALTH_SPARK_H
#define SESS_HEALTH_SPARK_H

#include <stddef.h>

#define SPARK_MAX 120

/* The last SPARK_MAX values, oldest first; NAN is a gap (not measured). */
struct spark {
	double v[SPARK_MAX];
	int n;
};

void spark_push(struct spark *s, double v);
/* The last value pushed, NAN when none or a gap. */
double spark_last(const struct spark *s);
/* The last width values (fewer when fewer were pushed) as a sparkline
 * into buf (n bytes, always terminated; a line that does not fit is
 * cut at a character): with utf8 the blocks U+2581..U+2588 (▁ .. █),
 * else the ASCII ramp "_.-:=+*#"; a gap is a space. Heights scale from
 * 0 to the largest value shown (a value of 0 is the lowest block, all
 * values 0 are all lowest). *max gets that largest value (NAN when there
 * is none). */
void spark_render(const struct spark *s, int width, int utf8, char *buf, size_t n, double *max);
/* 1 when the locale the environment names for characters (LC_ALL, else
 * LC_CTYPE, else LANG: the first set and not empty) is UTF-8. */
int spark_utf8_env(void);

#endif
