/* test_line: import's tree-less reader of export lines (src/sess-migrate/
 * line.c) against the slow way it stands in for (sess_json_parse_err,
 * then sess_snap_from_json_take): on fixed and a few thousand generated
 * lines (escapes, UTF-8, members missing, twice, of the wrong type or
 * unknown, numbers in every form, whitespace, random damage), every line
 * the reader takes must be one the slow way takes, into the same session
 * (id, expiry, clock, meta, the five parts byte for byte). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/model/json.h"
#include "sess-migrate/dump.h"
#include "sess-migrate/line.h"
#include "tap.h"

static unsigned long long rs = 0x2545f4914f6cdd1dull;

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

static void put(struct buf *b, const char *s)
{
	size_t n = strlen(s);

	if (b->n + n + 1 > b->cap) {
		b->cap = 2 * (b->n + n + 1);
		if (!(b->p = realloc(b->p, b->cap)))
			abort();
	}
	memcpy(b->p + b->n, s, n + 1);
	b->n += n;
}

static void ws(struct buf *b)
{
	static const char *const w[] = {"", "", "", " ", " ", "\n", "\t", "\r\n  "};
	put(b, w[rn(8)]);
}

static int strv_same(const struct sess_strv *a, const struct sess_strv *b)
{
	size_t i;

	if (a->n != b->n)
		return 0;
	for (i = 0; i < a->n; i++)
		if (a->len[i] != b->len[i] || memcmp(a->v[i], b->v[i], a->len[i]) || a->v[i][a->len[i]])
			return 0;
	return 1;
}

static int snap_same(const struct sess_snap *a, const struct sess_snap *b)
{
	int i;

	if (strcmp(a->id, b->id) || a->present != b->present || a->form != b->form || a->now != b->now ||
	    a->expire_at != b->expire_at || !strv_same(&a->meta, &b->meta) || a->typed != b->typed)
		return 0;
	for (i = 0; i < SESS_NKEYS; i++)
		if (!strv_same(&a->part[i], &b->part[i]))
			return 0;
	return 1;
}

static long taken, left, wrong;

/* The reader on line: when it takes it, the slow way must take it into
 * the same session. */
static void one(const char *line)
{
	struct sess_snap fast, slow;
	struct sess_err err;
	cJSON *j;
	int same;

	if (!mig_line_read(&fast, line, strlen(line))) {
		left++;
		return;
	}
	taken++;
	memset(&slow, 0, sizeof slow);
	memset(&err, 0, sizeof err);
	j = sess_json_parse_err(line, NULL, NULL, &err);
	same = j && sess_snap_from_json_take(&slow, j, &err) == 0 && snap_same(&fast, &slow);
	if (!same && wrong++ < 5)
		printf("#   taken, but the slow way %s: %.300s\n", j ? err.msg : "cannot parse it", line);
	cJSON_Delete(j);
	sess_snap_free(&fast);
	sess_snap_free(&slow);
}

/* strings: plain, with every escape, UTF-8, and what the reader leaves
 * to the slow way (\u, a control byte, bytes that are not UTF-8) */
static const char *const strs[] = {
	"\"x\"", "\"\"", "\"a b\"", "\"{\\\"s\\\":1,\\\"t\\\":\\\"m\\\"}\"", "\"q\\\\\\\"\"", "\"\\/\\b\\f\\n\\r\\t\"",
	"\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\"", "\"\\u00e9\"", "\"\\u0000\"", "\"\x01\"", "\"\xff\"",
	"\"\\q\"", "\"\xc3\"", "1", "null", "[]", "{}", "\"\\\""};
#define NSTRS (sizeof strs / sizeof strs[0])

static const char *str(void)
{
	return strs[rn(30) ? rn(7) : rn(NSTRS)];
}

static void list(struct buf *b, int pairs)
{
	unsigned n = rn(4), i;

	put(b, pairs ? "{" : "[");
	for (i = 0; i < n; i++) {
		if (i)
			put(b, ",");
		ws(b);
		if (pairs) {
			put(b, rn(3) ? (const char *[]){"\"f\"", "\"agent:a1\"", "\"\""}[rn(3)] : str());
			ws(b);
			put(b, ":");
			ws(b);
		}
		put(b, str());
		ws(b);
	}
	put(b, pairs ? "}" : "]");
}

static void meta(struct buf *b)
{
	static const char *const need[] = {"\"v\":\"3\"", "\"state\":\"working\"", "\"seq\":\"10\""};
	static const char *const odd[] = {"\"v\":\"2\"", "\"v\":3", "\"x\":\"\\n\"", "\"state\":\"\"",
					  "\"v\":\"3\"", "\"h\":\"\xc3\xa9\"", "\"\\u0076\":\"3\""};
	unsigned i;

	put(b, "{");
	for (i = 0; i < 3; i++) {
		if (i)
			put(b, ",");
		ws(b);
		put(b, rn(30) ? need[i] : odd[rn(sizeof odd / sizeof odd[0])]);
		ws(b);
	}
	if (rn(2)) {
		put(b, ",");
		put(b, rn(3) ? "\"agent:a1\":\"17\"" : odd[rn(sizeof odd / sizeof odd[0])]);
	}
	put(b, "}");
}

static const char *num(void)
{
	static const char *const nums[] = {"1796464089246", "0", "3599938", "-1", "12", "999999999999999",
					   "1e3", "1.5", "01", "-0", "9007199254740993", "1234567890123456",
					   "\"5\"", "null", "-", "1E2", "2.0", "99999999999999999999",
					   "-9223372036854775809"};
	return nums[rn(15) ? rn(4) : rn(sizeof nums / sizeof nums[0])];
}

static void line(struct buf *b)
{
	static const char *const ids[] = {"\"b1\"", "\"s-2_x.y\"", "\"\"", "\"a b\"", "\"\\u0062\"", "7",
					  "\"b\\/1\"", "\"\xc3\xa9\""};
	static const char *const names[] = {"id", "layout", "at", "expireAt", "pttl", "meta", "events",
					    "history", "checkpoints", "eventids"};
	unsigned order[12], n = 0, i;

	/* the members in export's order, now and then one missing, twice,
	 * unknown, or shuffled */
	for (i = 0; i < 10; i++)
		if (rn(40))
			order[n++] = i;
	if (!rn(10))
		order[n++] = rn(10);
	if (!rn(12))
		order[n++] = 10;
	if (!rn(6))
		for (i = 0; i + 1 < n; i++) {
			unsigned k = i + rn(n - i), t = order[i];
			order[i] = order[k];
			order[k] = t;
		}
	put(b, "{");
	for (i = 0; i < n; i++) {
		unsigned m = order[i];
		if (i)
			put(b, ",");
		ws(b);
		put(b, "\"");
		put(b, m == 10 ? "other" : names[m]);
		put(b, "\"");
		ws(b);
		put(b, ":");
		ws(b);
		switch (m) {
		case 0: put(b, rn(8) ? ids[rn(2)] : ids[rn(sizeof ids / sizeof ids[0])]); break;
		case 1: put(b, rn(8) ? "\"3\"" : (const char *[]){"\"2\"", "3", "null", "\"\""}[rn(4)]); break;
		case 2: case 3: case 4: put(b, num()); break;
		case 5: rn(25) ? meta(b) : list(b, rn(2)); break;
		case 6: case 7: rn(25) ? list(b, 0) : list(b, 1); break;
		case 8: case 9: rn(25) ? list(b, 1) : list(b, 0); break;
		default: put(b, str());
		}
		ws(b);
	}
	put(b, "}");
	if (!rn(20))
		put(b, rn(2) ? "x" : "}");
}

int main(void)
{
	struct buf b = {0};
	long i;

	one("{\"id\": \"b0\", \"layout\": \"3\", \"at\": 1796464089246, \"expireAt\": 1796467689184, \"pttl\": 3599938, "
	    "\"meta\": {\"v\": \"3\", \"state\": \"working\", \"seq\": \"1\", \"agent:a1\": \"1796464089184\"}, "
	    "\"events\": [\"{\\\"s\\\":1,\\\"ts\\\":1796464089190,\\\"t\\\":\\\"modified\\\",\\\"a\\\":\\\"a1\\\"}\"], "
	    "\"history\": [\"{\\\"k\\\":\\\"create\\\",\\\"at\\\":0}\"], \"checkpoints\": {\"1\": \"{}\"}, \"eventids\": {}}");
	ok(taken == 1 && !wrong, "an export line as export writes it is read directly, as the slow way reads it");
	one("{\"id\":\"b0\",\"meta\":{\"v\":\"3\",\"state\":\"working\",\"seq\":\"1\"},\"events\":[\"\\u0041\"]}");
	ok(taken == 1 && left == 1, "a \\u escape is left to the slow way");
	/* (more digits than a long long holds: given up before they overflow
	 * it, which UBSan, the CI's sanitizer build, stops on) */
	one("{\"id\":\"b0\",\"at\":99999999999999999999,\"pttl\":-9223372036854775809,"
	    "\"meta\":{\"v\":\"3\",\"state\":\"working\",\"seq\":\"1\"}}");
	one("{\"id\":\"b0\",\"expireAt\":9223372036854775808,\"meta\":{\"v\":\"3\",\"state\":\"working\",\"seq\":\"1\"}}");
	ok(taken == 1 && left == 3 && !wrong, "numbers past a long long are left to the slow way");
	for (i = 0; i < 20000; i++) {
		b.n = 0;
		line(&b);
		if (!rn(12) && b.n > 1) {
			/* damage: a byte dropped or the line cut */
			size_t at = rn((unsigned)b.n);
			if (rn(2))
				memmove(b.p + at, b.p + at + 1, b.n - at);
			else
				b.p[at] = '\0';
			b.n = strlen(b.p);
		}
		one(b.p);
	}
	ok(!wrong, "20000 generated lines: each one the reader takes, the slow way takes into the same session");
	ok(taken > 3000 && left > 3000, "lines taken directly: %ld, left to the slow way: %ld", taken, left);
	free(b.p);
	return done_testing();
}
