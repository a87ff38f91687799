/* line.c - an export line read into a session without a JSON tree: the
 * plain lines export writes (import's hot path). Anything this reader is
 * not sure of (an escape other than \" \\ \/ \b \f \n \r \t, a control
 * byte, a member it does not know or twice, a number that is not a plain
 * whole one, a wrong type, bytes that are not UTF-8, ...) makes it give
 * up, and the line is read the slow way (sess_json_parse_err and
 * sess_snap_from_json_take), which finds and words what is wrong: a line
 * this reader takes is one the slow way takes, into the same session. */
#include "sess-migrate/line.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/base/schema.h"
#include "core/base/utf8.h"
#include "core/model/keys.h"

/* The line at p; its strings decoded to w, in the snap's block: no
 * string decodes (with its NUL) to more than its quotes and text took in
 * the line, so w never passes p's offset in a block as long as the line
 * (plus one). */
struct rd {
	const char *p, *end;
	char *w;
};

static void ws(struct rd *r)
{
	while (r->p < r->end && (*r->p == ' ' || *r->p == '\t' || *r->p == '\n' || *r->p == '\r'))
		r->p++;
}

static int lit(struct rd *r, char c)
{
	ws(r);
	if (r->p >= r->end || *r->p != c)
		return 0;
	r->p++;
	return 1;
}

/* A string at r->p decoded (as cJSON decodes it) into the block, NUL-
 * terminated (*out, *n bytes), in one pass. -1: not a plain string
 * (give up; what was written to the block is never read). */
static int str(struct rd *r, char **out, size_t *n)
{
	const char *q;
	char *w = r->w;
	size_t len;

	ws(r);
	if (r->p >= r->end || *r->p != '"')
		return -1;
	for (q = r->p + 1; q < r->end;) {
		unsigned char c = (unsigned char)*q;
		if (c >= 0x20 && c < 0x80 && c != '\\' && c != '"') {
			*w++ = (char)c;
			q++;
		} else if (c == '"') {
			break;
		} else if (c == '\\') {
			if (q + 1 >= r->end)
				return -1;
			switch (q[1]) {
			case '"': case '\\': case '/': *w++ = q[1]; break;
			case 'b': *w++ = '\b'; break;
			case 'f': *w++ = '\f'; break;
			case 'n': *w++ = '\n'; break;
			case 'r': *w++ = '\r'; break;
			case 't': *w++ = '\t'; break;
			default: return -1;
			}
			q += 2;
		} else if (c < 0x20 || !(len = sess_utf8_seq(q, (size_t)(r->end - q)))) {
			return -1;
		} else {
			memcpy(w, q, len);
			w += len;
			q += len;
		}
	}
	if (q >= r->end)
		return -1;
	*w = '\0';
	*out = r->w;
	*n = (size_t)(w - r->w);
	r->w = w + 1;
	r->p = q + 1;
	return 0;
}

/* An array of strings, or (pairs) an object of string members, into v. */
static int strings(struct rd *r, struct sess_strv *v, int pairs)
{
	char *x;
	size_t n;

	v->borrowed = 1;
	if (!lit(r, pairs ? '{' : '['))
		return -1;
	if (lit(r, pairs ? '}' : ']'))
		return 0;
	do {
		if (str(r, &x, &n) || sess_strv_adopt(v, x, n))
			return -1;
		if (pairs && (!lit(r, ':') || str(r, &x, &n) || sess_strv_adopt(v, x, n)))
			return -1;
	} while (lit(r, ','));
	return lit(r, pairs ? '}' : ']') ? 0 : -1;
}

/* A whole number as JSON writes it, at most 15 digits (a double holds it
 * exactly, as cJSON reads it); neg: a minus allowed. */
static int whole(struct rd *r, int neg, long long *out)
{
	const char *d;
	long long x = 0;

	ws(r);
	if (neg && r->p < r->end && *r->p == '-')
		r->p++;
	else
		neg = 0;
	/* (the digits past 15 only counted: a long long overflows at 19) */
	for (d = r->p; r->p < r->end && *r->p >= '0' && *r->p <= '9'; r->p++)
		if (r->p - d < 15)
			x = x * 10 + (*r->p - '0');
	if (r->p == d || r->p - d > 15 || (*d == '0' && r->p - d > 1))
		return -1;
	/* what follows must end the number ("1.5", "1e3" are not plain) */
	if (r->p < r->end && (*r->p == '.' || *r->p == 'e' || *r->p == 'E'))
		return -1;
	*out = neg ? -x : x;
	return 0;
}

static const char *const names[] = {"id", "layout", "at", "expireAt", "pttl", "meta",
				    "events", "history", "checkpoints", "eventids"};

static int plain(struct sess_snap *s, struct rd *r)
{
	char *id = NULL, *layout = NULL;
	size_t n, i;
	long long at = -1, ea = -1, pt;
	unsigned seen = 0;
	int rc = -1;

	/* the members into s's parts first (the id is checked after) */
	if (!lit(r, '{'))
		return -1;
	do {
		const char *k;
		ws(r);
		if (r->p >= r->end || *r->p != '"')
			goto out;
		for (k = ++r->p; r->p < r->end && *r->p != '"' && *r->p != '\\'; r->p++)
			;
		if (r->p >= r->end || *r->p != '"')
			goto out;
		n = (size_t)(r->p++ - k);
		for (i = 0; i < sizeof names / sizeof names[0]; i++)
			if (strlen(names[i]) == n && !memcmp(names[i], k, n))
				break;
		if (i == sizeof names / sizeof names[0] || (seen & (1u << i)) || !lit(r, ':'))
			goto out;
		seen |= 1u << i;
		switch (i) {
		case 0: if (str(r, &id, &n)) goto out; break;
		case 1: if (str(r, &layout, &n)) goto out; break;
		case 2: if (whole(r, 0, &at)) goto out; break;
		case 3: if (whole(r, 0, &ea)) goto out; break;
		case 4: if (whole(r, 1, &pt)) goto out; break;
		case 5: if (strings(r, &s->part[0], 1)) goto out; break;
		case 6: if (strings(r, &s->part[1], 0)) goto out; break;
		case 7: if (strings(r, &s->part[4], 0)) goto out; break;
		case 8: if (strings(r, &s->part[2], 1)) goto out; break;
		default: if (strings(r, &s->part[3], 1)) goto out;
		}
	} while (lit(r, ','));
	if (!lit(r, '}'))
		goto out;
	ws(r);
	/* what sess_snap_from_json requires, else it words the refusal */
	if (r->p != r->end || !id || !(seen & (1u << 5)) || sess_key_check_id(id, "session id", NULL) ||
	    (layout && strcmp(layout, SESS_S_LAYOUT)) || at > SESS_S_SEQ_MAX || ea > SESS_S_SEQ_MAX)
		goto out;
	s->meta.borrowed = 1; /* the meta's pairs again, not copied */
	for (i = 0; i < s->part[0].n; i++)
		if (sess_strv_adopt(&s->meta, s->part[0].v[i], s->part[0].len[i]))
			goto out;
	if (!sess_snap_meta(s, SESS_S_F_VERSION) || strcmp(sess_snap_meta(s, SESS_S_F_VERSION), SESS_S_LAYOUT) ||
	    !sess_snap_meta(s, SESS_S_F_STATE) || !sess_snap_meta(s, SESS_S_F_SEQ))
		goto out;
	snprintf(s->id, sizeof s->id, "%s", id);
	s->form = 's';
	if (ea >= 0)
		s->expire_at = ea;
	if (at >= 0)
		s->now = at;
	s->present = 1;
	rc = 0;
out:
	return rc;
}

int mig_line_read(struct sess_snap *s, const char *line, size_t len)
{
	struct rd r = {line, line + len, NULL};

	memset(s, 0, sizeof *s);
	if (!(s->block = malloc(len + 1)))
		return 0;
	r.w = s->block;
	if (plain(s, &r) == 0)
		return 1;
	sess_snap_free(s);
	memset(s, 0, sizeof *s);
	return 0;
}
