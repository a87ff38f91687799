/* idset.h - the ids one input (an import file, an --ids list) held, with
 * the line each was first on: a second line of one id is an error record,
 * never a silent drop or a second count (idset.c). */
#ifndef SESS_MIGRATE_IDSET_H
#define SESS_MIGRATE_IDSET_H

#include <stddef.h>

struct mig_idset {
	char **id;
	long *line;
	size_t n, cap;
};

/* 0 when id is new (added with its line), else the line it was first on;
 * -1 when out of memory. Start from a zeroed set. */
long mig_idset_add(struct mig_idset *s, const char *id, long line);
void mig_idset_free(struct mig_idset *s);

#endif
