/* Unit tests of core/model/slot: CRC16, the hash tag rules, and the
 * generated slot tag table (every slot, shortest then first tag). */
#include <stdio.h>
#include <string.h>

#include "core/base/schema.h"
#include "core/model/slot.h"
#include "tap.h"

#define SLOT(lit) sess_slot_of_key(lit, sizeof lit - 1)

static void test_crc(void)
{
	/* the spec's example, and CLUSTER KEYSLOT's documented ones */
	ok(sess_slot_crc16("123456789", 9) == 0x31C3, "CRC16 of 123456789 is 0x31C3");
	ok(SLOT("123456789") == (0x31C3 & 16383), "its slot is 0x31C3 mod 16384");
	ok(SLOT("somekey") == 11058, "somekey: slot 11058");
	ok(SLOT("foo{hash_tag}") == 2515, "foo{hash_tag}: slot 2515 (the tag's)");
	ok(SLOT("hash_tag") == 2515, "hash_tag: the same slot");
	ok(sess_slot_crc16("", 0) == 0 && SLOT("") == 0, "the empty key: slot 0");
}

static void test_tag_rules(void)
{
	/* each rule checked against a slot it must differ from */
	ok(SLOT("{user1000}.following") == SLOT("{user1000}.followers") &&
	   SLOT("{user1000}.following") == SLOT("user1000") &&
	   SLOT("user1000.following") != SLOT("user1000.followers"),
	   "{user1000}.following and .followers share user1000's slot");
	ok(SLOT("foo{}{bar}") == (int)(sess_slot_crc16("foo{}{bar}", 10) % 16384) &&
	   SLOT("foo{}{bar}") != SLOT("bar"), "foo{}{bar}: an empty tag hashes the whole key");
	ok(SLOT("foo{{bar}}zap") == (int)(sess_slot_crc16("{bar", 4) % 16384) &&
	   SLOT("foo{{bar}}zap") != SLOT("bar"), "foo{{bar}}zap: the tag is {bar");
	ok(SLOT("foo{bar}{zap}") == SLOT("bar") && SLOT("bar") != SLOT("zap"),
	   "foo{bar}{zap}: the first tag, bar");
	ok(SLOT("foo{bar") == (int)(sess_slot_crc16("foo{bar", 7) % 16384) &&
	   SLOT("foo{bar") != SLOT("bar"), "foo{bar: no closing brace, the whole key");
	ok(SLOT("foo}{bar}") == SLOT("bar"), "foo}{bar}: a '}' before the '{' does not count");
}

/* Advance idx (len digits over the alphabet) to the next string in
 * lexicographic order and write it to t; 0 once past the last. */
static int next_string(int *idx, size_t len, char *t, int first)
{
	static const char abc[] = SESS_SLOT_TAG_ALPHABET;
	size_t i;

	if (!first) {
		for (i = len; i-- > 0 && ++idx[i] == (int)sizeof abc - 1;)
			idx[i] = 0;
		if (i == (size_t)-1)
			return 0;
	}
	for (i = 0; i < len; i++)
		t[i] = abc[idx[i]];
	t[len] = '\0';
	return 1;
}

/* Is some string of s's length, before s in lexicographic order, in slot? */
static int earlier_in_slot(const char *s, int slot)
{
	int idx[SESS_SLOT_TAG_MAX] = {0}, first = 1;
	size_t len = strlen(s);
	char t[SESS_SLOT_TAG_MAX + 1];

	while (next_string(idx, len, t, first) && strcmp(t, s)) {
		first = 0;
		if (sess_slot_of_key(t, len) == slot && strcmp(t, SESS_S_TAG_ONE))
			return 1;
	}
	return 0;
}

/* The table's shape, and each tag against {tag} hashing. */
static void test_table_shape(int *hist)
{
	static const char abc[] = SESS_SLOT_TAG_ALPHABET;
	char key[SESS_SLOT_TAG_MAX + 8];
	int s, bad = 0, badc = 0, notok = 0;

	for (s = 0; s < SESS_SLOTS; s++) {
		const char *t = sess_slot_tag(s);
		size_t n = t ? strlen(t) : 0;

		if (!t || n < 1 || n > SESS_SLOT_TAG_MAX || strspn(t, abc) != n) {
			if (bad++ < 3)
				printf("# slot %d: tag \"%s\" malformed\n", s, t ? t : "(null)");
			continue;
		}
		hist[n]++;
		snprintf(key, sizeof key, "{%s}", t);
		if (sess_slot_of_key(key, strlen(key)) != s && badc++ < 3)
			printf("# slot %d: {%s} hashes to %d\n", s, t, sess_slot_of_key(key, strlen(key)));
		notok += !sess_slot_tag_ok(t);
	}
	ok(!bad, "every slot has a tag of 1..%d characters of [0-9a-z]", SESS_SLOT_TAG_MAX);
	ok(!badc, "for every slot s, {tag(s)} hashes to s");
	ok(!notok, "sess_slot_tag_ok accepts every table tag");
}

/* A standalone server's one companion tag is no slot's: the session
 * scripts tell a cluster from it (SPUBLISH or PUBLISH, prelude.lua), and
 * a standalone server's companions never pass for a slot's. */
static void test_tag_one(void)
{
	const char *t = SESS_S_TAG_ONE;
	int s, hits = 0;

	for (s = 0; s < SESS_SLOTS; s++)
		hits += !strcmp(sess_slot_tag(s), t);
	ok(hits == 0, "no slot's tag is the standalone tag \"%s\" (%d are)", t, hits);
	ok(!sess_slot_tag_ok(t), "sess_slot_tag_ok refuses \"%s\"", t);
	ok(sess_slot_tag_ok(sess_slot_tag(sess_slot_of_key(t, strlen(t)))),
	   "the slot \"%s\" hashes to has a tag of its own", t);
}

/* Shortest, then first: recomputed here for every string shorter than
 * SESS_SLOT_TAG_MAX; the longest tags sampled. */
static void test_table_order(void)
{
	static char want[SESS_SLOTS][SESS_SLOT_TAG_MAX + 1];
	int idx[SESS_SLOT_TAG_MAX], s, bad = 0, longest = 0, sampled = 0, first;
	char t[SESS_SLOT_TAG_MAX + 1];
	size_t len;

	for (len = 1; len < SESS_SLOT_TAG_MAX; len++)
		for (memset(idx, 0, sizeof idx), first = 1; next_string(idx, len, t, first); first = 0) {
			s = sess_slot_of_key(t, len);
			if (!want[s][0] && strcmp(t, SESS_S_TAG_ONE))
				memcpy(want[s], t, len + 1);
		}
	for (s = 0; s < SESS_SLOTS; s++) {
		const char *got = sess_slot_tag(s);
		if (want[s][0] ? strcmp(got, want[s]) != 0 : strlen(got) != SESS_SLOT_TAG_MAX) {
			if (bad++ < 3)
				printf("# slot %d: tag %s, want %s\n", s, got,
				       want[s][0] ? want[s] : "one of the longest");
		} else if (!want[s][0]) {
			longest++;
			if (sampled < 4 && longest % 20 == 1)
				bad += earlier_in_slot(got, s), sampled++;
		}
	}
	ok(!bad, "every tag is the shortest, then the first in ASCII order (%d longest, %d of them sampled)",
	   longest, sampled);
	ok(longest > 0, "SESS_SLOT_TAG_MAX (%d) is the longest tag, not more", SESS_SLOT_TAG_MAX);
}

static void test_table(void)
{
	int hist[SESS_SLOT_TAG_MAX + 1] = {0};

	test_table_shape(hist);
	test_table_order();
	printf("# tag lengths: 1: %d, 2: %d, 3: %d, 4: %d\n", hist[1], hist[2], hist[3], hist[4]);
	is_str(sess_slot_tag(0), "1bz", "slot 0's tag, as measured");
	ok(sess_slot_tag(-1) == NULL && sess_slot_tag(SESS_SLOTS) == NULL, "a slot out of range: NULL");
}

static void test_tag_ok(void)
{
	const char *t = sess_slot_tag(SLOT("a"));

	ok(sess_slot_tag_ok("a") == (strcmp(t, "a") == 0), "a one-character tag: ok when it is its slot's");
	ok(!sess_slot_tag_ok(NULL) && !sess_slot_tag_ok(""), "NULL and empty refused");
	ok(!sess_slot_tag_ok("{a}") && !sess_slot_tag_ok("A") && !sess_slot_tag_ok("abcde"),
	   "braces, capitals, too long refused");
	ok(strcmp(sess_slot_tag(SLOT("zzz")), "zzz") != 0 && !sess_slot_tag_ok("zzz"),
	   "zzz is not its slot's tag (a shorter or earlier one is)");
}

int main(void)
{
	test_crc();
	test_tag_rules();
	test_table();
	test_tag_one();
	test_tag_ok();
	return done_testing();
}
