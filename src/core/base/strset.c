#include "core/base/strset.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct sess_strset_item {
	uint64_t h;
	size_t len;
	char s[];
};

static uint64_t hash_of(const char *k, size_t len)
{
	uint64_t h = 14695981039346656037ULL;
	size_t i;

	for (i = 0; i < len; i++) {
		h ^= (unsigned char)k[i];
		h *= 1099511628211ULL;
	}
	return h;
}

/* The slot of k, or of the empty slot where it would go. */
static size_t find(const struct sess_strset *s, const char *k, size_t len, uint64_t h)
{
	size_t i = (size_t)h & (s->cap - 1);

	while (s->slot[i] && !(s->slot[i]->h == h && s->slot[i]->len == len && !memcmp(s->slot[i]->s, k, len)))
		i = (i + 1) & (s->cap - 1);
	return i;
}

static int grow(struct sess_strset *s)
{
	size_t cap = s->cap ? s->cap * 2 : 64, i;
	struct sess_strset_item **old = s->slot, **slot = calloc(cap, sizeof *slot);
	size_t oldcap = s->cap;

	if (!slot)
		return -1;
	s->slot = slot;
	s->cap = cap;
	for (i = 0; i < oldcap; i++)
		if (old[i])
			s->slot[find(s, old[i]->s, old[i]->len, old[i]->h)] = old[i];
	free(old);
	return 0;
}

int sess_strset_add(struct sess_strset *s, const char *k, size_t len)
{
	uint64_t h = hash_of(k, len);
	struct sess_strset_item *it;
	size_t i;

	if (s->cap && s->slot[find(s, k, len, h)])
		return 0;
	if (s->max && s->n >= s->max)
		return 2;
	/* at most half full: probes stay short */
	if ((s->n + 1) * 2 > s->cap && grow(s))
		return -1;
	if (!(it = malloc(sizeof *it + len + 1)))
		return -1;
	it->h = h;
	it->len = len;
	memcpy(it->s, k, len);
	it->s[len] = '\0';
	i = find(s, k, len, h);
	s->slot[i] = it;
	s->n++;
	return 1;
}

int sess_strset_has(const struct sess_strset *s, const char *k, size_t len)
{
	return s->cap && s->slot[find(s, k, len, hash_of(k, len))] != NULL;
}

void sess_strset_free(struct sess_strset *s)
{
	size_t i, max = s->max;

	for (i = 0; i < s->cap; i++)
		free(s->slot[i]);
	free(s->slot);
	memset(s, 0, sizeof *s);
	s->max = max;
}
