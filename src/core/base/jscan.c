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

static int is_ws(char c)
{
	return c == ' ' || c == '\n' || c == '\t' || c == '\r';
}

/* p at a JSON value: the end of it (one past: the delimiter after it,
 * or end), or NULL if malformed. A value is one token, a string, object
 * or array, followed only by whitespace before the delimiter, as in JSON
 * ("a" "b", {} 1, 1 2 and 1 "b" are no value; a scalar token's own bytes
 * are the caller's to judge: 1x and tru come back, for whole() or
 * scalar_ok to refuse). */
static const char *skip_value(const char *p, const char *end)
{
	int depth = 0;

	if (p < end && cls[(unsigned char)*p] == C_PLAIN) {
		/* a number or a literal: its bytes to the first whitespace,
		 * colon or delimiter, then only whitespace ("a"::1 and 1:2 are
		 * no member) */
		while (p < end && cls[(unsigned char)*p] == C_PLAIN && !is_ws(*p) && *p != ':')
			p++;
		while (p < end && is_ws(*p))
			p++;
		return p >= end || *p == ',' || *p == '}' || *p == ']' ? p : NULL;
	}
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
		if (depth == 0) {
			while (p < end && is_ws(*p))
				p++;
			return p >= end || *p == ',' || *p == '}' || *p == ']' ? p : NULL;
		}
	}
	return NULL;
}

/* Next member of the object whose text continues at *pp (just after its
 * '{', or just after the comma that ended the member before): key (raw,
 * its quotes skipped) and value span, trimmed of whitespace. Returns 1
 * with *pp past the member and its comma; 0 at the object's '}' (*pp at
 * it); -1 where JSON has no object: a comma not between two members
 * ({,"a":1} {"a":1,,"b":2} {"a":1,}), a key that is no string, a member
 * with no value or not followed by ',' or '}', a value (a string,
 * object, array or scalar token) followed by more than whitespace ("a"
 * "b", 1 2). (Commas once passed as whitespace here: every reader read
 * texts cJSON refuses, and two tools showed two records.) */
static int next_member(const char **pp, const char *end, const char **key, size_t *klen,
		       const char **val, const char **vend)
{
	const char *p = *pp, *e;

	/* JSON's whitespace may stand around every token: the emit script
	 * stores the text a client gave as cjson accepted it, and a reader
	 * that read less than cjson would see another record */
	while (p < end && is_ws(*p))
		p++;
	if (p < end && *p == '}') {
		if ((*pp)[-1] == ',')
			return -1; /* a comma before the end */
		*pp = p;
		return 0;
	}
	if (p >= end || *p != '"')
		return -1;
	*key = ++p;
	while (p < end && *p != '"')
		p += *p == '\\' ? 2 : 1;
	if (p >= end)
		return -1;
	*klen = (size_t)(p - *key);
	p++;
	while (p < end && is_ws(*p))
		p++;
	if (p >= end || *p != ':')
		return -1;
	p++;
	while (p < end && is_ws(*p))
		p++;
	*val = p;
	if (!(p = skip_value(p, end)))
		return -1;
	for (e = p; e > *val && is_ws(e[-1]); e--)
		;
	if (e == *val)
		return -1; /* no value: {"a":} {"a":,"b":1} */
	*vend = e;
	if (p < end && *p == ',')
		p++;
	else if (p >= end || *p != '}')
		return -1;
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
	while (p < end && is_ws(*p))
		p++;
	return p;
}

/* The keys seen so far, one table for the whole text: a key is
 * (object, decoded bytes), objects numbered as they are entered, so a
 * member is checked against the keys before it in its own object in
 * O(1) and the whole check is linear in the text (a member once was
 * checked by re-reading every member before it). Keys without a
 * backslash are their own decoded bytes and stay in the text; escaped
 * ones are decoded into dec (at most as long as the text). */
struct dslot {
	const char *k; /* NULL: free */
	size_t n;
	unsigned long obj;
	unsigned h;
};

struct dset {
	struct dslot *t;
	size_t cap, used;
	unsigned long nobj;
	size_t text_len;
	char *dec;
	size_t dec_used, dec_cap;
	struct dslot inl[32];
	char dinl[256];
};

static unsigned key_hash(const char *k, size_t n, unsigned long obj)
{
	unsigned h = 2166136261u ^ (unsigned)(obj * 2654435761u);
	size_t i;

	for (i = 0; i < n; i++)
		h = (h ^ (unsigned char)k[i]) * 16777619u;
	return h;
}

/* Room for one more slot (the table at most half full). -1 when out of
 * memory. */
static int dset_room(struct dset *d)
{
	struct dslot *t;
	size_t cap, i, j;

	if (2 * (d->used + 1) <= d->cap)
		return 0;
	if (!d->cap) { /* first used: the table in d */
		memset(d->inl, 0, sizeof d->inl);
		d->t = d->inl;
		d->cap = sizeof d->inl / sizeof d->inl[0];
		return 0;
	}
	cap = 2 * d->cap;
	if (cap / 2 != d->cap || !(t = calloc(cap, sizeof *t)))
		return -1;
	for (i = 0; i < d->cap; i++) {
		if (!d->t[i].k)
			continue;
		for (j = d->t[i].h & (cap - 1); t[j].k; j = (j + 1) & (cap - 1))
			;
		t[j] = d->t[i];
	}
	if (d->t != d->inl)
		free(d->t);
	d->t = t;
	d->cap = cap;
	return 0;
}

/* The key's decoded bytes: the raw text when it has no escape, else
 * decoded as same_key decodes (kit_next) into dec. -1 when out of
 * memory. */
static int dset_decode(struct dset *d, const char *k, size_t kl, const char **out, size_t *n)
{
	struct kit x = {k, k + kl, {0}, 0, 0};
	char *w;
	int c;

	if (!memchr(k, '\\', kl)) {
		*out = k;
		*n = kl;
		return 0;
	}
	if (!d->dec) {
		if (d->text_len <= sizeof d->dinl) {
			d->dec = d->dinl;
			d->dec_cap = sizeof d->dinl;
		} else if (!(d->dec = malloc(d->text_len))) {
			return -1;
		} else {
			d->dec_cap = d->text_len;
		}
	}
	/* a key's decoded bytes are never more than its raw ones, and the
	 * keys of a text never more than the text */
	if (d->dec_cap - d->dec_used < kl)
		return -1;
	w = d->dec + d->dec_used;
	while ((c = kit_next(&x)) >= 0)
		*w++ = (char)c;
	*out = d->dec + d->dec_used;
	*n = (size_t)(w - *out);
	d->dec_used += *n;
	return 0;
}

/* Decoded key dk (dn bytes) of object obj: 1 when the object named it
 * before, 0 when it is new (and now known), -1 when out of memory
 * (nothing known of it). */
static int dset_put(struct dset *d, unsigned long obj, const char *dk, size_t dn)
{
	size_t j;
	unsigned h;

	if (dset_room(d))
		return -1;
	h = key_hash(dk, dn, obj);
	for (j = h & (d->cap - 1); d->t[j].k; j = (j + 1) & (d->cap - 1))
		if (d->t[j].h == h && d->t[j].obj == obj && d->t[j].n == dn && !memcmp(d->t[j].k, dk, dn))
			return 1;
	d->t[j].k = dk;
	d->t[j].n = dn;
	d->t[j].obj = obj;
	d->t[j].h = h;
	d->used++;
	return 0;
}

static int dup_in(struct dset *d, const char *v, const char *vend, int depth);

/* The object whose text starts at v ('{'): 1 if it or an object inside
 * it names a key twice. Its first FEW keys are compared with each other
 * directly (most objects are that small), the rest through the set.
 * Out of memory, a member is checked against each key before it by
 * re-reading them (slower, the same answer). */
enum { FEW = 8 };
static int dup_object(struct dset *d, const char *v, const char *vend, int depth)
{
	const char *p = v + 1, *k, *val, *ve, *fk[FEW], *dk;
	unsigned long obj = d->nobj++;
	size_t kl, fn[FEW], dn;
	int r, n = 0, slow = 0, i;

	while ((r = next_member(&p, vend, &k, &kl, &val, &ve)) == 1) {
		int dd = -1;
		if (slow || dset_decode(d, k, kl, &dk, &dn)) {
			/* out of memory: dd stays -1 */
		} else if (n < FEW) {
			for (dd = 0, i = 0; i < n && !dd; i++)
				dd = fn[i] == dn && !memcmp(fk[i], dk, dn);
			fk[n] = dk;
			fn[n] = dn;
		} else {
			for (i = 0, dd = 0; n == FEW && i < FEW && dd == 0; i++)
				dd = dset_put(d, obj, fk[i], fn[i]); /* (distinct: 0 or -1) */
			if (dd == 0)
				dd = dset_put(d, obj, dk, dn);
		}
		if (dd == 1)
			return 1;
		if (dd < 0) {
			const char *q = v + 1, *k2, *v2, *ve2;
			size_t kl2;
			slow = 1;
			for (i = 0; i < n && next_member(&q, vend, &k2, &kl2, &v2, &ve2) == 1; i++)
				if (same_key(k, kl, k2, kl2))
					return 1;
		}
		n++;
		if ((dd = dup_in(d, val, ve, depth + 1)) != 0)
			return dd;
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

static int dup_in(struct dset *d, const char *v, const char *vend, int depth)
{
	const char *p, *e;
	int r;

	v = skip_ws(v, vend);
	for (e = vend; e > v && is_ws(e[-1]); e--)
		;
	if (v >= vend || (*v != '{' && *v != '['))
		return scalar_ok(v, e) ? 0 : -1;
	if (depth > 1000)
		return -1;
	if (*v == '{')
		return dup_object(d, v, vend, depth);
	/* an array: each element */
	for (p = skip_ws(v + 1, vend); p < vend && *p != ']';) {
		e = skip_value(p, vend);
		if (!e)
			return -1;
		if ((r = dup_in(d, p, e, depth + 1)) != 0)
			return r;
		p = skip_ws(e, vend);
		if (p < vend && *p == ',' && (p = skip_ws(p + 1, vend)) < vend && *p == ']')
			return -1; /* [1,] */
	}
	return 0;
}

static int dup_from(const char *text, size_t len, int depth)
{
	struct dset d;
	int r;

	d.t = NULL;
	d.cap = 0;
	d.used = 0;
	d.nobj = 0;
	d.text_len = len;
	d.dec = NULL;
	d.dec_used = d.dec_cap = 0;
	r = dup_in(&d, text, text + len, depth);
	if (d.t != d.inl)
		free(d.t); /* (NULL when no object grew past FEW) */
	if (d.dec != d.dinl)
		free(d.dec);
	return r;
}

int sess_jscan_dup(const char *text, size_t len)
{
	return dup_from(text, len, 0);
}

int sess_jscan_dup_member(const char *v, const char *vend)
{
	/* a scalar, as most are: no table needed */
	if (v < vend && *v != '{' && *v != '[')
		return dup_in(NULL, v, vend, 1);
	return dup_from(v, (size_t)(vend - v), 1);
}

int sess_jscan_key_new(struct sess_jscan_keys *m, const char *k, size_t kl, size_t max)
{
	size_t i;

	if (max > SESS_JSCAN_KEYS)
		max = SESS_JSCAN_KEYS;
	if (m->n >= max)
		return 0;
	for (i = 0; i < m->n; i++)
		if (m->len[i] == kl && !memcmp(m->k[i], k, kl))
			return 0;
	m->k[m->n] = k;
	m->len[m->n++] = kl;
	return 1;
}
