/* jscan.h - reading one level of a JSON object's text without building a
 * tree: the members' keys and the spans of their values. For the hot
 * paths that read sesskit's own stored records (folding, playing), where
 * cJSON's allocations cost more than the work. Text that is not a well
 * formed object is reported, not trusted. Pure module: no I/O. */
#ifndef SESS_JSCAN_H
#define SESS_JSCAN_H

#include <stddef.h>

struct sess_jscan {
	const char *p, *end;
};

/* Start at the object text holds (text must begin with '{'). -1 if not. */
int sess_jscan_init(struct sess_jscan *s, const char *text, size_t len);

/* The next member: key (raw, between its quotes) and value span [v, vend)
 * (whitespace trimmed). Returns 1, 0 after the last member, -1 on text
 * that is no JSON object at this level: a comma not between two members
 * ({,"a":1} {"a":1,,"b":2} {"a":1,}), a key that is no string, a member
 * with no value ({"a":}), a value (a string, object, array or scalar
 * token) followed by more than whitespace ("a" "b", "a"b, {} 1, 1 2,
 * 1 "b"). What cJSON refuses there, this refuses; a value's own insides
 * (a scalar token's bytes, a nested object's members) are its reader's to
 * check (sess_jscan_whole, sess_jscan_str, sess_jscan_dup_member). After
 * 0, s->p is at the object's closing '}'. */
int sess_jscan_next(struct sess_jscan *s, const char **key, size_t *klen,
		    const char **v, const char **vend);

/* 1 when key (klen bytes) is want. */
int sess_jscan_is(const char *key, size_t klen, const char *want);

/* A whole number value; -1 if it is not one. */
int sess_jscan_whole(const char *v, const char *vend, long long *out);

/* A string value's raw contents (between its quotes); -1 if not a string. */
int sess_jscan_str(const char *v, const char *vend, const char **s, size_t *n);

/* 1 when an object in the JSON value text holds (at any depth) names a
 * key twice (keys compared as decoded: "a" and "\u0061" are one), 0 when
 * none does, -1 when the text is malformed (a scalar JSON does not write
 * as such, as 0x10, +1, 01 or inf, included). cJSON finds the first of two
 * members of a name and Lua's cjson keeps the last, so a stored text with
 * a duplicate key is damaged: two tools would show two different records. */
int sess_jscan_dup(const char *text, size_t len);

/* A top-level member's value, v..vend as sess_jscan_next gives it,
 * checked as sess_jscan_dup checks it inside its object (same answers,
 * the same depth limit): for a caller that walks the members itself and
 * compares their keys. */
int sess_jscan_dup_member(const char *v, const char *vend);

/* The raw keys one object's walk has met, for a reader that walks the
 * members itself and takes only keys without escapes (raw bytes then are
 * the decoded key): start zeroed; sess_jscan_key_new is 1 when k (kl
 * bytes) is new (kept: k must outlive the walk), 0 when it was met before
 * or max keys are kept already (at most SESS_JSCAN_KEYS): either way the
 * caller leaves the text to its slower, complete reader. */
#define SESS_JSCAN_KEYS 24
struct sess_jscan_keys {
	const char *k[SESS_JSCAN_KEYS];
	size_t len[SESS_JSCAN_KEYS];
	size_t n;
};
int sess_jscan_key_new(struct sess_jscan_keys *m, const char *k, size_t kl, size_t max);

#endif
