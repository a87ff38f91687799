#include "core/base/jscan.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>


/* What skip_value stops at: every other byte is skipped in a tight loop
 * (play and the fold run this over every member of every event). */
enum { C_PLAIN, C_QUOTE, C_OPEN, C_CLOSE, C_COMMA };
static const unsigned char cls[256] = {
	['"'] = C_QUOTE, ['{'] = C_OPEN, ['['] = C_OPEN, ['}'] = C_CLOSE, [']'] = C_CLOSE,
	[','] = C_COMMA,
};

/* p at a JSON value: the end of it (one past), or NULL if malformed. */
static const char *skip_value(const char *p, const char *end)
{
	int depth = 0;

	while (p < end) {
		switch (cls[(unsigned char)*p]) {
		case C_PLAIN:
			p++;
			continue; /* inside a number or a literal, or between tokens */
		case C_QUOTE:
			/* to the closing quote: one not escaped by an odd run of
			 * backslashes before it */
			for (p++;;) {
				const char *q = memchr(p, '"', (size_t)(end - p)), *b;
				if (!q)
					return NULL;
				for (b = q; b > p && b[-1] == '\\'; b--)
					;
				p = q + 1;
				if ((q - b) % 2 == 0)
					break;
			}
			break;
		case C_OPEN:
			depth++;
			p++;
			break;
		case C_CLOSE:
			if (depth == 0)
				return p; /* the end of the enclosing object */
			depth--;
			p++;
			break;
		default: /* C_COMMA */
			if (depth == 0)
				return p;
			p++;
			continue;
		}
		if (depth == 0 && (p >= end || *p == ',' || *p == '}' || *p == ']'))
			return p;
	}
	return NULL;
}

/* Next member of the object whose members start at *pp: key (raw, in
 * quotes skipped) and value span. Returns 1, 0 at the end, -1 malformed. */
static int next_member(const char **pp, const char *end, const char **key, size_t *klen,
		       const char **val, const char **vend)
{
	const char *p = *pp;

	while (p < end && (*p == ' ' || *p == ','))
		p++;
	if (p < end && *p == '}')
		return 0;
	if (p >= end || *p != '"')
		return -1;
	*key = ++p;
	while (p < end && *p != '"')
		p += *p == '\\' ? 2 : 1;
	if (p >= end)
		return -1;
	*klen = (size_t)(p - *key);
	p++;
	if (p >= end || *p != ':')
		return -1;
	*val = ++p;
	if (!(p = skip_value(p, end)))
		return -1;
	*vend = p;
	*pp = p;
	return 1;
}

/* Compared byte by byte, stopping at the first difference: callers try
 * a key against several names, and most differ in their first byte (a
 * strlen of each name first cost more than the whole match). */
static int is_key(const char *k, size_t n, const char *want)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (want[i] == '\0' || want[i] != k[i])
			return 0;
	return want[n] == '\0';
}

/* Digits only, an optional minus, within a long long (checked as it
 * goes): strtoll's locale handling cost more than the fold of an event. */
static int whole(const char *v, const char *vend, long long *out)
{
	unsigned long long x = 0, lim;
	int neg = v < vend && *v == '-';
	const char *p = v + neg;

	if (p >= vend)
		return -1;
	lim = neg ? (unsigned long long)LLONG_MAX + 1 : (unsigned long long)LLONG_MAX;
	for (; p < vend; p++) {
		unsigned d = (unsigned)(*p - '0');
		if (d > 9 || x > (lim - d) / 10)
			return -1;
		x = x * 10 + d;
	}
	*out = neg ? (long long)(0 - x) : (long long)x;
	return 0;
}

/* A JSON string value's raw contents (between the quotes). */
static int str(const char *v, const char *vend, const char **s, size_t *n)
{
	if (vend - v < 2 || *v != '"' || vend[-1] != '"')
		return -1;
	*s = v + 1;
	*n = (size_t)(vend - v - 2);
	return 0;
}

int sess_jscan_init(struct sess_jscan *s, const char *text, size_t len)
{
	if (len < 2 || text[0] != '{')
		return -1;
	s->p = text + 1;
	s->end = text + len;
	return 0;
}

int sess_jscan_next(struct sess_jscan *s, const char **key, size_t *klen,
		    const char **v, const char **vend)
{
	return next_member(&s->p, s->end, key, klen, v, vend);
}

int sess_jscan_is(const char *key, size_t klen, const char *want)
{
	return is_key(key, klen, want);
}

int sess_jscan_whole(const char *v, const char *vend, long long *out)
{
	return whole(v, vend, out);
}

int sess_jscan_str(const char *v, const char *vend, const char **s, size_t *n)
{
	return str(v, vend, s, n);
}
