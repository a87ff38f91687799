/* syncset.c - a set of session ids for sync (contract in syncset.h). */
#include "syncset.h"

#include <stdlib.h>
#include <string.h>

static char tomb_[1];
#define TOMB tomb_

static size_t idhash(const char *s)
{
	size_t h = 5381;

	while (*s)
		h = h * 33 + (unsigned char)*s++;
	return h;
}

void mig_syncset_free(struct mig_syncset *s)
{
	size_t i;

	for (i = 0; i < s->cap; i++)
		if (s->slot[i] && s->slot[i] != TOMB)
			free(s->slot[i]);
	free(s->slot);
	free(s->when);
	memset(s, 0, sizeof *s);
}

static long idset_find(const struct mig_syncset *s, const char *id)
{
	size_t i;

	if (!s->cap)
		return -1;
	for (i = idhash(id) & (s->cap - 1); s->slot[i]; i = (i + 1) & (s->cap - 1))
		if (s->slot[i] != TOMB && !strcmp(s->slot[i], id))
			return (long)i;
	return -1;
}

int mig_syncset_has(const struct mig_syncset *s, const char *id)
{
	return idset_find(s, id) >= 0;
}

static int idset_grow(struct mig_syncset *s)
{
	struct mig_syncset t = {0};
	size_t i;

	t.cap = s->cap ? s->cap * 2 : 1024;
	if (!(t.slot = calloc(t.cap, sizeof *t.slot)) || !(t.when = calloc(t.cap, sizeof *t.when))) {
		free(t.slot);
		return -1;
	}
	for (i = 0; i < s->cap; i++)
		if (s->slot[i] && s->slot[i] != TOMB) {
			mig_syncset_add(&t, s->slot[i], s->when[i]);
			free(s->slot[i]);
			s->slot[i] = NULL;
		}
	mig_syncset_free(s);
	*s = t;
	return 0;
}

int mig_syncset_add(struct mig_syncset *s, const char *id, long long when)
{
	size_t i;

	if (idset_find(s, id) >= 0)
		return 0;
	if ((s->used + 1) * 2 > s->cap && idset_grow(s))
		return -1;
	for (i = idhash(id) & (s->cap - 1); s->slot[i] && s->slot[i] != TOMB; i = (i + 1) & (s->cap - 1))
		;
	if (!s->slot[i])
		s->used++;
	if (!(s->slot[i] = strdup(id)))
		return -1;
	s->when[i] = when;
	s->n++;
	return 1;
}

int mig_syncset_take(struct mig_syncset *s, char **ids, int max)
{
	size_t i;
	int k = 0;

	for (i = 0; i < s->cap && k < max; i++)
		if (s->slot[i] && s->slot[i] != TOMB) {
			ids[k++] = s->slot[i];
			s->slot[i] = TOMB;
			s->n--;
		}
	if (s->n == 0 && s->cap) { /* all tombstones: start clean */
		memset(s->slot, 0, s->cap * sizeof *s->slot);
		s->used = 0;
	}
	return k;
}

long long mig_syncset_oldest(const struct mig_syncset *s)
{
	long long o = 0;
	size_t i;

	for (i = 0; i < s->cap; i++)
		if (s->slot[i] && s->slot[i] != TOMB && (!o || s->when[i] < o))
			o = s->when[i];
	return o;
}

int mig_syncset_peek(const struct mig_syncset *s, char **ids, int max)
{
	size_t i;
	int k = 0;

	for (i = 0; i < s->cap && k < max; i++)
		if (s->slot[i] && s->slot[i] != TOMB)
			ids[k++] = s->slot[i];
	return k;
}
