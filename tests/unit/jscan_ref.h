/* jscan_ref.h - the duplicate-key check of src/core/base/jscan.c as it
 * was before it was made linear (commit a183fd4: each member re-read
 * every member before it), kept verbatim as the oracle of test_jscan's
 * differential test. Included by test_jscan.c only. */
#ifndef SESS_JSCAN_REF_H
#define SESS_JSCAN_REF_H

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
	const char *p = *pp, *e;

	/* JSON's whitespace may stand around every token: the emit script
	 * stores the text a client gave as cjson accepted it, and a reader
	 * that read less than cjson would see another record */
	while (p < end && (*p == ' ' || *p == ',' || *p == '\n' || *p == '\t' || *p == '\r'))
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
	if (p < end && *p != ':')
		while (p < end && (*p == ' ' || *p == '\n' || *p == '\t' || *p == '\r'))
			p++;
	if (p >= end || *p != ':')
		return -1;
	p++;
	while (p < end && (*p == ' ' || *p == '\n' || *p == '\t' || *p == '\r'))
		p++;
	*val = p;
	if (!(p = skip_value(p, end)))
		return -1;
	for (e = p; e > *val && (e[-1] == ' ' || e[-1] == '\n' || e[-1] == '\t' || e[-1] == '\r'); e--)
		;
	*vend = e;
	*pp = p;
	return 1;
}

/* ---- duplicate keys ----
 * cJSON keeps every member and finds the first of a name, Lua's cjson
 * keeps the last: a stored text naming a key twice in one object reads
 * differently in two tools, so it is damaged. Keys compare as decoded
 * (a "\u0061" is an "a"). */

static int hex4(const char *p, const char *end, unsigned *out)
{
	unsigned x = 0;
	int i;

	if (end - p < 4)
		return -1;
	for (i = 0; i < 4; i++) {
		unsigned c = (unsigned char)p[i], d;
		if (c >= '0' && c <= '9')
			d = c - '0';
		else if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f')
			d = (c | 0x20) - 'a' + 10;
		else
			return -1;
		x = x * 16 + d;
	}
	*out = x;
	return 0;
}

/* The next byte of a key's decoded UTF-8 at *p (raw key text up to end):
 * buf holds the rest of a multi-byte escape. -1 at the end or on a bad
 * escape (then the key compares as raw text, which is no worse). */
struct kit {
	const char *p, *end;
	unsigned char buf[4];
	int nbuf, at;
};

static int kit_next(struct kit *k)
{
	unsigned cp, lo;

	if (k->at < k->nbuf)
		return k->buf[k->at++];
	if (k->p >= k->end)
		return -1;
	if (*k->p != '\\')
		return (unsigned char)*k->p++;
	if (k->end - k->p < 2)
		return (unsigned char)*k->p++;
	switch (k->p[1]) {
	case 'b': k->p += 2; return '\b';
	case 'f': k->p += 2; return '\f';
	case 'n': k->p += 2; return '\n';
	case 'r': k->p += 2; return '\r';
	case 't': k->p += 2; return '\t';
	case 'u': break;
	default: k->p += 2; return (unsigned char)k->p[-1]; /* \" \\ \/ */
	}
	if (hex4(k->p + 2, k->end, &cp))
		return (unsigned char)*k->p++;
	k->p += 6;
	if (cp >= 0xd800 && cp < 0xdc00 && k->end - k->p >= 6 && k->p[0] == '\\' &&
	    k->p[1] == 'u' && !hex4(k->p + 2, k->end, &lo) && lo >= 0xdc00 && lo < 0xe000) {
		cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
		k->p += 6;
	}
	k->at = 0;
	if (cp < 0x80) {
		k->nbuf = 0;
		return (int)cp;
	}
	if (cp < 0x800) {
		k->buf[0] = (unsigned char)(0xc0 | (cp >> 6));
		k->buf[1] = (unsigned char)(0x80 | (cp & 0x3f));
		k->nbuf = 2;
	} else if (cp < 0x10000) {
		k->buf[0] = (unsigned char)(0xe0 | (cp >> 12));
		k->buf[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
		k->buf[2] = (unsigned char)(0x80 | (cp & 0x3f));
		k->nbuf = 3;
	} else {
		k->buf[0] = (unsigned char)(0xf0 | (cp >> 18));
		k->buf[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3f));
		k->buf[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
		k->buf[3] = (unsigned char)(0x80 | (cp & 0x3f));
		k->nbuf = 4;
	}
	k->at = 1;
	return k->buf[0];
}

static int same_key(const char *a, size_t an, const char *b, size_t bn)
{
	struct kit x = {a, a + an, {0}, 0, 0}, y = {b, b + bn, {0}, 0, 0};
	int c;

	if (!memchr(a, '\\', an) && !memchr(b, '\\', bn))
		return an == bn && !memcmp(a, b, an);
	do {
		c = kit_next(&x);
		if (c != kit_next(&y))
			return 0;
	} while (c >= 0);
	return 1;
}

static const char *skip_ws(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
		p++;
	return p;
}

static int dup_in(const char *v, const char *vend, int depth);

/* The object whose text starts at v ('{'): 1 if it or an object inside
 * it names a key twice. */
static int dup_object(const char *v, const char *vend, int depth)
{
	const char *p = v + 1, *k, *val, *ve;
	size_t kl;
	int r, n = 0;

	while ((r = next_member(&p, vend, &k, &kl, &val, &ve)) == 1) {
		const char *q = v + 1, *k2, *v2, *ve2;
		size_t kl2;
		int i, d;
		/* against each key before it (objects are small; a text
		 * made to be large costs time, not a wrong answer) */
		for (i = 0; i < n && next_member(&q, vend, &k2, &kl2, &v2, &ve2) == 1; i++)
			if (same_key(k, kl, k2, kl2))
				return 1;
		n++;
		if ((d = dup_in(val, ve, depth + 1)) != 0)
			return d;
		p = skip_ws(p, vend);
	}
	return r < 0 ? -1 : 0;
}

/* A scalar as JSON writes it: a string (skip_value found its end), a
 * literal, or a decimal number (Lua's cjson also took 0x10, inf, +1, 01,
 * which cJSON refuses: a reader would see another record, or none). */
static int scalar_ok(const char *v, const char *vend)
{
	size_t n = (size_t)(vend - v);
	const char *p = v;

	if (n == 0)
		return 0;
	if (*v == '"')
		return 1;
	if ((n == 4 && (!memcmp(v, "true", 4) || !memcmp(v, "null", 4))) || (n == 5 && !memcmp(v, "false", 5)))
		return 1;
	if (*p == '-')
		p++;
	if (p >= vend || *p < '0' || *p > '9' || (*p == '0' && p + 1 < vend && p[1] >= '0' && p[1] <= '9'))
		return 0;
	while (p < vend && *p >= '0' && *p <= '9')
		p++;
	if (p < vend && *p == '.') {
		if (++p >= vend || *p < '0' || *p > '9')
			return 0;
		while (p < vend && *p >= '0' && *p <= '9')
			p++;
	}
	if (p < vend && (*p == 'e' || *p == 'E')) {
		p++;
		if (p < vend && (*p == '+' || *p == '-'))
			p++;
		if (p >= vend || *p < '0' || *p > '9')
			return 0;
		while (p < vend && *p >= '0' && *p <= '9')
			p++;
	}
	return p == vend;
}

static int dup_in(const char *v, const char *vend, int depth)
{
	const char *p, *e;
	int d;

	v = skip_ws(v, vend);
	for (e = vend; e > v && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\n' || e[-1] == '\r'); e--)
		;
	if (v >= vend || (*v != '{' && *v != '['))
		return scalar_ok(v, e) ? 0 : -1;
	if (depth > 1000)
		return -1;
	if (*v == '{')
		return dup_object(v, vend, depth);
	/* an array: each element */
	for (p = skip_ws(v + 1, vend); p < vend && *p != ']';) {
		e = skip_value(p, vend);
		if (!e)
			return -1;
		if ((d = dup_in(p, e, depth + 1)) != 0)
			return d;
		p = skip_ws(e, vend);
		if (p < vend && *p == ',')
			p = skip_ws(p + 1, vend);
	}
	return 0;
}

static int ref_jscan_dup(const char *text, size_t len)
{
	return dup_in(text, text + len, 0);
}

#endif
