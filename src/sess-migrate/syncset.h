/* syncset.h - a set of session ids for sync (syncset.c): the dirty ones
 * (with when each was first marked, for the lag's secondsBehind) and the
 * --ids plan. An open-addressing hash set with tombstones, so ids can be
 * taken out in batches while notifications add more.
 *
 * Ownership: the set owns a copy of every id it holds (add copies);
 * mig_syncset_take hands the taken ids' ownership to the caller;
 * mig_syncset_peek lends pointers that stay valid until the next add, take
 * or free. Start from a zeroed set; mig_syncset_free frees it all and
 * leaves it zeroed (reusable). */
#ifndef SESS_MIGRATE_SYNCSET_H
#define SESS_MIGRATE_SYNCSET_H

#include <stddef.h>

struct mig_syncset {
	char **slot;     /* NULL empty, a tombstone when removed */
	long long *when; /* when it was marked (ms) */
	size_t cap, n, used;
};

void mig_syncset_free(struct mig_syncset *s);
/* 1 if id is in the set. */
int mig_syncset_has(const struct mig_syncset *s, const char *id);
/* Add id (kept with its first mark's time); 1 if new, 0 if there, -1 OOM. */
int mig_syncset_add(struct mig_syncset *s, const char *id, long long when);
/* Take up to max ids out into ids[] (the caller frees them); their count. */
int mig_syncset_take(struct mig_syncset *s, char **ids, int max);
/* Up to max ids, left in the set, into ids[] (borrowed); their count. */
int mig_syncset_peek(const struct mig_syncset *s, char **ids, int max);
/* The earliest mark time of the ids held, 0 when empty. */
long long mig_syncset_oldest(const struct mig_syncset *s);

#endif
