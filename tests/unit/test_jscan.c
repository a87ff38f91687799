/* test_jscan: the duplicate-key check (sess_jscan_dup, src/core/base/
 * jscan.c) against the check as it was before it was made linear
 * (jscan_ref.h, the old code verbatim), on fixed cases and on a few
 * thousand generated texts: nested objects and arrays, keys written
 * raw and escaped every way JSON allows (\u0061 is "a", surrogate
 * pairs, \u0000, lone surrogates, bad escapes), objects of 1,000
 * members, duplicates at depth, and the same texts damaged by random
 * edits. Both must give the same answer (1, 0 or -1) on every text.
 * And the stored event's check that trusts that scan (sess_event_check_
 * stored_scanned: a plain "c" taken without a parse) against the one
 * that parses every "c" (sess_event_check_stored_text): the same answer
 * and message on generated events. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "core/base/jscan.h"
#include "core/history/fold.h"
#include "core/model/event.h"
#include "jscan_ref.h"
#include "tap.h"

static unsigned long long rs = 0x9e3779b97f4a7c15ull;

static unsigned rn(unsigned n)
{
	rs ^= rs << 13;
	rs ^= rs >> 7;
	rs ^= rs << 17;
	return (unsigned)((rs >> 11) % n);
}

struct buf {
	char *p;
	size_t n, cap;
};

static void put(struct buf *b, const char *s, size_t n)
{
	if (b->n + n + 1 > b->cap) {
		b->cap = 2 * (b->n + n + 1);
		if (!(b->p = realloc(b->p, b->cap)))
			abort();
	}
	memcpy(b->p + b->n, s, n);
	b->n += n;
	b->p[b->n] = '\0';
}

static void puts_(struct buf *b, const char *s)
{
	put(b, s, strlen(s));
}

static void ws(struct buf *b)
{
	static const char *const w[] = {"", "", "", " ", "\n", "\t ", "\r\n"};
	puts_(b, w[rn(7)]);
}

/* A key's units: each one decoded character, written any of the ways
 * JSON (or the old check's reading of a bad escape) gives it. Few units,
 * so keys collide often. */
static const char *const units[][4] = {
	{"a", "\\u0061", "\\u0061", NULL},
	{"j", "\\u006a", "\\u006A", NULL},
	{"\\\"", "\\u0022", NULL},
	{"\\\\", "\\u005c", "\\u005C", NULL},
	{"/", "\\/", "\\u002f", NULL},
	{"\\n", "\\u000a", "\\u000A", NULL},
	{"\\t", "\\u0009", NULL},
	{"\\b", "\\u0008", NULL},
	{"\\u0000", "\\u0000", NULL},
	{"\xc3\xa9", "\\u00e9", "\\u00E9", NULL},
	{"\xe2\x82\xac", "\\u20ac", "\\u20AC", NULL},
	{"\xf0\x9f\x98\x80", "\\ud83d\\ude00", "\\uD83D\\uDE00", NULL},
	{"\xed\xa0\xbd", "\\ud83d", NULL},              /* a lone high surrogate */
	{"\xed\xb8\x80", "\\ude00", NULL},              /* a lone low one */
	{"q", "\\q", NULL},                             /* a bad escape: read as q */
	{"\\uZZ12", "\\uZZ12", NULL},                   /* a bad \u: read raw */
};
#define NUNITS (sizeof units / sizeof units[0])

static void key(struct buf *b)
{
	unsigned n = rn(4), i;

	puts_(b, "\"");
	for (i = 0; i < n; i++) {
		const char *const *u = units[rn(rn(3) ? 3 : NUNITS)];
		unsigned ways = 0;
		while (ways < 4 && u[ways])
			ways++;
		puts_(b, u[rn(ways)]);
	}
	puts_(b, "\"");
}

static void value(struct buf *b, int depth);

static void object(struct buf *b, int depth)
{
	unsigned n = rn(8) ? rn(7) : rn(24), i;

	puts_(b, "{");
	ws(b);
	for (i = 0; i < n; i++) {
		if (i) {
			puts_(b, ",");
			ws(b);
		}
		key(b);
		ws(b);
		puts_(b, ":");
		ws(b);
		value(b, depth + 1);
		ws(b);
	}
	puts_(b, "}");
}

static void value(struct buf *b, int depth)
{
	static const char *const scalars[] = {
		"0", "-1", "12.5e-3", "1E+2", "true", "false", "null", "\"x\"", "\"\\\"}{,\"", "\"\\\\\"",
		"\"\\u0000\"", "\"a\\\\\\\"b\"", "[]", "{}",
		/* what JSON does not write (the old check: -1) */
		"01", "+1", "0x10", "inf", "1.", "-", ".5", "1e", "tru", "nul"};
	unsigned r = depth > 6 ? 0 : rn(14), i, n;

	if (r < 8) {
		/* mostly well formed scalars, now and then a bad one */
		puts_(b, scalars[rn(rn(10) ? 14 : (unsigned)(sizeof scalars / sizeof scalars[0]))]);
	} else if (r < 11) {
		object(b, depth);
	} else {
		puts_(b, "[");
		ws(b);
		for (i = 0, n = rn(4); i < n; i++) {
			if (i) {
				puts_(b, ",");
				ws(b);
			}
			value(b, depth + 1);
			ws(b);
		}
		puts_(b, "]");
	}
}

/* An object of n members with distinct keys k0..k(n-1), each key
 * written raw or escaped; dup: a last member repeating an earlier key
 * (escaped another way); nested: the long object inside two others. */
static void long_object(struct buf *b, int n, int dup, int nested)
{
	char k[64];
	int i;

	if (nested)
		puts_(b, "{\"x\":[1,{\"y\":");
	puts_(b, "{");
	for (i = 0; i < n; i++) {
		if (rn(2))
			snprintf(k, sizeof k, "%s\"k%d\":%d", i ? "," : "", i, i);
		else
			snprintf(k, sizeof k, "%s\"\\u006b%d\":{\"k%d\":%d}", i ? "," : "", i, i, i);
		puts_(b, k);
	}
	if (dup) {
		snprintf(k, sizeof k, ",\"\\u006B%d\":0", (int)rn((unsigned)n));
		puts_(b, k);
	}
	puts_(b, "}");
	if (nested)
		puts_(b, "}],\"z\":0}");
}

/* Random edits: a byte dropped, one of JSON's own inserted, the text cut. */
static void damage(struct buf *b)
{
	static const char ins[] = "{}[],:\"\\ a0u";
	unsigned edits = 1 + rn(3), e;

	for (e = 0; e < edits && b->n > 1; e++) {
		size_t at = rn((unsigned)b->n);
		switch (rn(3)) {
		case 0:
			memmove(b->p + at, b->p + at + 1, b->n - at);
			b->n--;
			break;
		case 1:
			put(b, "", 1); /* room for one more */
			b->n--;
			memmove(b->p + at + 1, b->p + at, b->n - at + 1);
			b->p[at] = ins[rn(sizeof ins - 1)];
			b->n++;
			break;
		default:
			b->n = at;
			b->p[at] = '\0';
		}
	}
}

static int counts[3];
static long mismatches;

/* new and old agree on the text (n bytes: it may hold NUL bytes) */
/* 1 when cJSON takes text (n bytes) as one JSON value and nothing more */
static int cjson_takes(const char *text, size_t n)
{
	const char *end = NULL;
	cJSON *j = cJSON_ParseWithLengthOpts(text, n, &end, 0);

	cJSON_Delete(j);
	while (j && end < text + n && (*end == ' ' || *end == '\t' || *end == '\n' || *end == '\r'))
		end++;
	return j && end == text + n;
}

/* The new check against the old (jscan_ref.h): the same answer, or -1
 * (malformed) on a text cJSON refuses, which the old one read past: a
 * comma not between members, a string followed by more (the scanner is
 * strict there now; stricter counts how often that decided) */
static long stricter;
static int agree(const char *text, size_t n)
{
	int got = sess_jscan_dup(text, n), want = ref_jscan_dup(text, n);

	counts[want + 1]++;
	if (got == -1 && want != -1 && !cjson_takes(text, n)) {
		stricter++;
		return 1;
	}
	if (got != want && mismatches++ < 5)
		printf("#   %d, the old check %d, on (%zu bytes) %.*s\n", got, want, n, n > 300 ? 300 : (int)n, text);
	return got == want;
}

static void fixed(const char *text, int want, const char *name)
{
	int got = sess_jscan_dup(text, strlen(text));

	ok(got == want && agree(text, strlen(text)), "%s: %d", name, want);
	if (got != want)
		printf("#   got %d\n", got);
}

/* A "c" from parts emit writes and parts it does not (an empty e, an
 * escape, a NUL byte, a number among the ids, an unknown member, a
 * member twice or missing), with JSON's whitespace about, now and then
 * damaged. */
static void change(struct buf *b)
{
	static const char *const keys[] = {"\"e\"", "\"i\"", "\"o\"", "\"e\"", "\"i\"", "\"o\"",
					   "\"x\"", "\"\\u0065\"", "\"\"", "\"ee\""};
	static const char *const strs[] = {"\"function\"", "\"a b\"", "\"\"", "\"x\\\"y\"", "\"\\u00e9\"",
					   "\"\\u0000\"", "1", "null", "[]", "{}", "\"\xc3\xa9\""};
	static const char *const ids[] = {"[]", "[\"src/app.ts\"]", "[\"a\",\"b\"]", "[ \"a\" ,\n\"b\" ]",
					  "[\"a\",1]", "[\"a\\\"\"]", "\"a\"", "[null]", "{}", "[\"\"]"};
	unsigned n = rn(6) ? 3 : rn(5), i;

	puts_(b, "{");
	for (i = 0; i < n; i++) {
		const char *k = rn(4) ? keys[i % 3] : keys[rn(sizeof keys / sizeof keys[0])];
		if (i)
			puts_(b, ",");
		ws(b);
		puts_(b, k);
		ws(b);
		puts_(b, ":");
		ws(b);
		if (!strcmp(k, "\"i\""))
			puts_(b, rn(4) ? ids[rn(3)] : ids[rn(sizeof ids / sizeof ids[0])]);
		else
			puts_(b, rn(4) ? strs[rn(2)] : strs[rn(sizeof strs / sizeof strs[0])]);
		ws(b);
	}
	puts_(b, "}");
	if (!rn(8))
		damage(b);
}

/* the event checks agree on text (their answer and message): the one
 * that parses, the one that trusts the scan, and the one on the spans
 * sess_fold_scan found (when it takes the text) */
static int events_agree(const char *text, size_t n, int *rc)
{
	struct sess_err a, b, c;
	struct sess_fold_ev ev;
	int ra, rb, rc3;

	memset(&a, 0, sizeof a);
	memset(&b, 0, sizeof b);
	memset(&c, 0, sizeof c);
	ra = sess_event_check_stored_text(text, n, &a);
	rb = sess_event_check_stored_scanned(text, n, &b);
	*rc = ra;
	if (sess_fold_scan(text, n, &ev, &c) == 0) {
		memset(&c, 0, sizeof c);
		rc3 = sess_event_check_stored_spans(ev.c, ev.c_end, ev.st, ev.st_end, ev.st_first, &c);
	} else {
		rc3 = rb; /* (not a text the spans' check is for) */
		c = b;
	}
	if (ra == rb && ra == rc3 &&
	    (ra == 0 || (!strcmp(a.msg, b.msg) && !strcmp(a.kind, b.kind) && !strcmp(a.msg, c.msg))))
		return 1;
	if (mismatches++ < 5)
		printf("#   parsed %d \"%s\", scanned %d \"%s\", spans %d \"%s\", on %.*s\n", ra, ra ? a.msg : "",
		       rb, rb ? b.msg : "", rc3, rc3 ? c.msg : "", (int)n, text);
	return 0;
}

int main(void)
{
	struct buf b = {0};
	long i, bad;
	int d;

	fixed("{\"a\":1,\"b\":2}", 0, "distinct keys");
	fixed("{\"a\":1,\"a\":2}", 1, "a key twice");
	fixed("{\"a\":1,\"\\u0061\":2}", 1, "\"a\" and \"\\u0061\" are one key");
	fixed("{\"\\u00e9\":1,\"\xc3\xa9\":2}", 1, "an escaped and a raw e-acute are one key");
	fixed("{\"\\ud83d\\ude00\":1,\"\xf0\x9f\x98\x80\":2}", 1, "a surrogate pair and its UTF-8 are one key");
	fixed("{\"\\ud83d\":1,\"\\ude00\":2}", 0, "two lone surrogates are two keys");
	fixed("{\"\\u0000\":1,\"\\u0000\":2}", 1, "\\u0000 twice");
	fixed("{\"\\u0000a\":1,\"\\u0000b\":2}", 0, "keys that differ after a \\u0000");
	fixed("{\"a\":{\"b\":1},\"c\":{\"b\":2}}", 0, "one key in two objects");
	fixed("{\"a\":[{\"x\":1},{\"y\":[{\"z\":1,\"z\":2}]}]}", 1, "a duplicate at depth 5");
	fixed("{\"a\":1,\"a\":01}", 1, "a duplicate before a bad number");
	fixed("{\"a\":01,\"a\":1}", -1, "a bad number before a duplicate");
	fixed("{\"a\":{\"b\":1,\"b\":2},\"a\":3}", 1, "a nested duplicate before an outer one");
	fixed("{\"a\":1,\"b\":2", -1, "cut short");

	/* sess_jscan_next (the one member reader; its strict variant
	 * sess_jscan_next_plain is gone into it): every
	 * member of a well-formed object, and -1 where cJSON refuses the
	 * object's own level (a comma not between members, a string, object
	 * or array followed by more), escapes or not; each verdict is also
	 * cJSON's */
	{
		static const struct { const char *text; int want; } pl[] = {
			{"{\"a\":1,\"b\":\"x\" , \"c\":[1,2],\"d\":{\"e\":\"f\"}}", 0}, {"{}", 0}, {"{ }", 0},
			{"{ \"a\" : \"x\" }", 0}, {"{,\"a\":1}", -1}, {"{ ,\"a\":1}", -1}, {"{\"a\":1,,\"b\":2}", -1},
			{"{\"a\":1, ,\"b\":2}", -1}, {"{\"a\":1,}", -1}, {"{\"a\":1 ,}", -1}, {"{\"a\":1, }", -1},
			{"{\"a\":\"x\" \"y\"}", -1}, {"{\"a\":\"x\"y,\"b\":1}", -1}, {"{\"a\":\"x\" \"b\":1}", -1},
			{"{\"a\":\"\"\"\"}", -1}, {"{\"a\":\"x\\\"\" \"y\"}", -1}, {"{\"a\\\"\":\"x\\\\\" \"y\":1}", -1},
			{"{\"a\":\"x\\\"\",\"b\":\"\\\\\"}", 0}, {"{\"a\":{} 1}", -1}, {"{\"a\":[1] [2]}", -1},
			{"{\"a\":{\"b\":1}\n,\t\"c\":[]\r}", 0}, {"{\"a\" \"b\":1}", -1}, {"{\"a\":1 \"b\":2}", -1},
			{"{\"a\":1]", -1}, {"{\"a\":1", -1}, {"{1:2}", -1},
			/* a member with no value, a scalar followed by more than
			 * whitespace (a reader that skips the member's value took
			 * these once) */
			{"{\"a\":}", -1}, {"{\"a\": }", -1}, {"{\"a\":,\"b\":1}", -1}, {"{\"b\":1,\"a\":\t}", -1},
			{"{\"a\":1 2}", -1}, {"{\"a\":1 \"b\"}", -1}, {"{\"a\":1\"b\",\"c\":2}", -1},
			{"{\"a\":true false}", -1}, {"{\"a\":1{}}", -1}, {"{\"a\":null [1]}", -1}, {"{\"a\"::1}", -1}, {"{\"a\":1:2}", -1},
			{"{\"a\":-0 ,\"b\":1E5\t,\"c\":true\n}", 0}};
		size_t k;
		for (k = 0; k < sizeof pl / sizeof pl[0]; k++) {
			struct sess_jscan x;
			const char *k1, *v1, *e1, *t = pl[k].text;
			size_t l1;
			int r1;
			sess_jscan_init(&x, t, strlen(t));
			while ((r1 = sess_jscan_next(&x, &k1, &l1, &v1, &e1)) == 1)
				;
			ok(r1 == pl[k].want && (r1 < 0 || *x.p == '}') && cjson_takes(t, strlen(t)) == (r1 == 0),
			   "sess_jscan_next on %s: %d (want %d)", t, r1, pl[k].want);
		}
	}

	/* a member's value alone (sess_jscan_dup_member) gives what the
	 * check of its whole object gives: scalars, objects, the depth limit
	 * (a value 1000 arrays deep is within it, 1001 is not) */
	{
		static const char *const vals[] = {"1", "01", "-1.5e3", "1.", "0x10", "\"x\\\"y\"", "true", "tru",
						   "null", "{\"b\":1,\"b\":2}", "[1,{\"q\":1,\"q\":1}]", "{}", "[]", "{\"b\":01}"};
		int all = 1, deep;
		size_t k;
		for (k = 0; k < sizeof vals / sizeof vals[0]; k++) {
			const char *v = vals[k];
			b.n = 0;
			puts_(&b, "{\"a\":");
			puts_(&b, v);
			puts_(&b, "}");
			if (sess_jscan_dup_member(v, v + strlen(v)) != sess_jscan_dup(b.p, b.n)) {
				printf("#   member %s: %d, in its object %d\n", v, sess_jscan_dup_member(v, v + strlen(v)),
				       sess_jscan_dup(b.p, b.n));
				all = 0;
			}
		}
		for (deep = 1000; deep <= 1001; deep++) {
			int j, want = deep > 1000 ? -1 : 0;
			b.n = 0;
			puts_(&b, "{\"a\":");
			for (j = 0; j < deep; j++)
				puts_(&b, "[");
			for (j = 0; j < deep; j++)
				puts_(&b, "]");
			puts_(&b, "}");
			if (sess_jscan_dup(b.p, b.n) != want || sess_jscan_dup_member(b.p + 5, b.p + b.n - 1) != want) {
				printf("#   %d deep: %d, member %d\n", deep, sess_jscan_dup(b.p, b.n),
				       sess_jscan_dup_member(b.p + 5, b.p + b.n - 1));
				all = 0;
			}
		}
		ok(all, "a member's value alone checks as in its object (scalars, objects, the depth limit)");
	}

	/* a key again after each key of objects about FEW (8) members long:
	 * the first keys are compared directly, the rest through a set */
	{
		int size, again, k, all = 1;
		char m[32];
		for (size = 1; size <= 12; size++)
			for (again = 0; again <= size; again++) {
				b.n = 0;
				puts_(&b, "{");
				for (k = 0; k < size; k++) {
					snprintf(m, sizeof m, "%s\"k%d\":0", k ? "," : "", k);
					puts_(&b, m);
				}
				if (again < size) { /* escaped: \u006b is k */
					snprintf(m, sizeof m, ",\"\\u006b%d\":1", again);
					puts_(&b, m);
				}
				puts_(&b, "}");
				all &= sess_jscan_dup(b.p, b.n) == (again < size) && agree(b.p, b.n);
			}
		ok(all, "objects of 1 to 12 members, each key named again after the last");
	}

	/* nesting: 1,000 levels are read, more are malformed */
	for (d = 998; d <= 1002; d++) {
		int k;
		b.n = 0;
		for (k = 0; k < d; k++)
			puts_(&b, "[");
		puts_(&b, "{\"a\":1,\"a\":2}");
		for (k = 0; k < d; k++)
			puts_(&b, "]");
		ok(agree(b.p, b.n), "nesting %d deep", d);
	}

	bad = mismatches;
	for (i = 0; i < 4000; i++) {
		b.n = 0;
		object(&b, 0);
		agree(b.p, b.n);
	}
	ok(mismatches == bad, "4000 generated objects: both checks agree");
	bad = mismatches;
	for (i = 0; i < 3000; i++) {
		b.n = 0;
		object(&b, 0);
		damage(&b);
		agree(b.p, b.n);
	}
	ok(mismatches == bad, "3000 damaged objects: both checks agree");
	bad = mismatches;
	for (i = 0; i < 60; i++) {
		b.n = 0;
		long_object(&b, 1000, (int)(i % 3 == 0), (int)(i % 2));
		if (i % 5 == 4)
			damage(&b);
		agree(b.p, b.n);
	}
	ok(mismatches == bad, "60 objects of 1,000 members: both checks agree");
	/* events: only those the scan found sound (what sess_fold_scan
	 * passes on to the scanned check) */
	bad = mismatches;
	{
		int seen[2] = {0, 0}, rc;
		for (i = 0; i < 6000; i++) {
			static const char *const sts[] = {
				",\"st\":{\"from\":\"working\",\"to\":\"broken\"}", ",\"st\":{\"from\":\"working\",\"to\":\"nope\"}",
				",\"st\":\"broken\"", ",\"st\":{\"from\":\"working\"}", ",\"st\":{\"to\":\"broken\",\"from\":\"working\",\"x\":1}"};
			int st = rn(5) ? -1 : (int)rn(5), first = rn(2);
			b.n = 0;
			puts_(&b, "{\"s\":1,\"ts\":2,\"t\":\"modified\",\"a\":\"a1\"");
			if (st >= 0 && first)
				puts_(&b, sts[st]);
			puts_(&b, ",\"c\":");
			change(&b);
			if (st >= 0 && !first)
				puts_(&b, sts[st]);
			puts_(&b, "}");
			if (sess_jscan_dup(b.p, b.n) != 0)
				continue;
			events_agree(b.p, b.n, &rc);
			seen[rc != 0]++;
		}
		ok(mismatches == bad, "generated events: the parsing check, the scanned one and the one on fold_scan's spans agree");
		ok(seen[0] > 1000 && seen[1] > 1000, "events taken: %d, refused: %d", seen[0], seen[1]);
	}
	/* the inputs tell the checks apart: every answer occurs often */
	ok(counts[0] > 500 && counts[1] > 500 && counts[2] > 500,
	   "answers seen: %d malformed, %d without, %d with a duplicate", counts[0], counts[1], counts[2]);
	ok(stricter > 50, "texts cJSON refuses that the old check read past, now malformed: %ld", stricter);
	free(b.p);
	return done_testing();
}
