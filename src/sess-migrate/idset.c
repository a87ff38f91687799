/* idset.c - the ids an input held, with the line each was first on
 * (an open-addressing hash set; strings owned). */
#include "idset.h"

#include <stdlib.h>
#include <string.h>

static size_t id_hash(const char *s)
{
	size_t h = 1469598103934665603ULL;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h;
}

long mig_idset_add(struct mig_idset *s, const char *id, long line)
{
	size_t i;

	if (2 * (s->n + 1) > s->cap) {
		struct mig_idset b = {0};
		b.cap = s->cap ? 2 * s->cap : 1024;
		if (!(b.id = calloc(b.cap, sizeof *b.id)) || !(b.line = calloc(b.cap, sizeof *b.line))) {
			free(b.id);
			return -1;
		}
		for (i = 0; i < s->cap; i++) {
			size_t j;
			if (!s->id[i])
				continue;
			for (j = id_hash(s->id[i]) % b.cap; b.id[j]; j = (j + 1) % b.cap)
				;
			b.id[j] = s->id[i];
			b.line[j] = s->line[i];
		}
		free(s->id);
		free(s->line);
		b.n = s->n;
		*s = b;
	}
	for (i = id_hash(id) % s->cap; s->id[i]; i = (i + 1) % s->cap)
		if (!strcmp(s->id[i], id))
			return s->line[i];
	if (!(s->id[i] = strdup(id)))
		return -1;
	s->line[i] = line;
	s->n++;
	return 0;
}

void mig_idset_free(struct mig_idset *s)
{
	size_t i;

	for (i = 0; i < s->cap; i++)
		free(s->id[i]);
	free(s->id);
	free(s->line);
	memset(s, 0, sizeof *s);
}

