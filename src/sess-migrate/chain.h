/* chain.h - an imported session's hash chain and checkpoints verified
 * before it is written (chain.c). */
#ifndef SESS_MIGRATE_CHAIN_H
#define SESS_MIGRATE_CHAIN_H

#include "sess-migrate/dump.h"

/* 0 when s (form 's', its meta with the chain head h) folds to exactly
 * its head and its checkpoints, and its meta's state, seq, creator and
 * members are what that history implies; else -1 with err (SESS_E_DATA: the first
 * finding's code, as sess-replay verify names them, and where). */
int mig_chain_check(const struct sess_snap *s, struct sess_err *err);
/* The same, and s's events counted by type into s->types as they are
 * folded (s->typed set) when every event is (none trimmed away). */
int mig_chain_check_types(struct sess_snap *s, struct sess_err *err);

#endif
