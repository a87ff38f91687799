/* strset.h - a set of byte strings (exact: length and bytes; NUL bytes
 * allowed), for a walk that must remember what it met (sess-validate
 * --all: the sessions whose meta key a SCAN returned). Open addressing,
 * FNV-1a; it owns copies of what is added. Pure module: no I/O. */
#ifndef SESS_STRSET_H
#define SESS_STRSET_H

#include <stddef.h>

struct sess_strset {
	struct sess_strset_item **slot; /* cap slots, NULL empty (owned) */
	size_t cap, n;
	size_t max; /* 0 no bound; else add refuses (returns 2) at max */
};

/* Start from a zeroed struct; set max to bound its memory. */

/* 1 added (a copy kept), 0 already there, 2 not added (the set holds max
 * strings), -1 out of memory (the set is unchanged and still usable). */
int sess_strset_add(struct sess_strset *s, const char *k, size_t len);

/* 1 when k (len bytes) is in the set. */
int sess_strset_has(const struct sess_strset *s, const char *k, size_t len);

/* Frees every copy and the table; the set is zeroed (max kept). */
void sess_strset_free(struct sess_strset *s);

#endif
