/* fold.h - a session's state as a pure fold of its records: the events
 * and the lifecycle records of the history list (sesskit-layout(7)),
 * applied in the order they were made. This is what sess-replay plays,
 * rebuilds at any point and verifies, and what validates stored sessions.
 *
 * A struct sess_fold is a plain state plus the hash chain over what was
 * folded; it owns its agent list and metadata (sess_fold_free). It checks
 * what it folds: seq contiguous, records of a known kind, a chain that
 * matches the stored head when asked. Pure module: no I/O.
 */
#ifndef SESS_FOLD_H
#define SESS_FOLD_H

#include <cjson/cJSON.h>
#include <stddef.h>

#include "core/base/err.h"
#include "core/model/event.h"
#include "core/model/keys.h"
#include "core/base/sha1.h"
#include "core/history/fold_spans.h"

struct sess_fold_agent {
	char id[SESS_ID_MAX + 1];
	long long joined;  /* ms */
};

struct sess_fold {
	char id[SESS_ID_MAX + 1];
	int known;               /* a create or upgrade record was folded */
	char state[SESS_STATE_MAX + 1];
	long long seq;           /* the last event folded (or the base) */
	long long base;          /* the first event folded is base + 1 */
	long long created, updated, ttl;
	char creator[SESS_ID_MAX + 1];
	char *metadata;          /* JSON text as stored, or NULL; owned */
	struct sess_fold_agent *agents;  /* in join order; owned */
	size_t nagents, cap;
	long long cps;           /* checkpoints taken */
	long long events, records;       /* folded so far */
	int chained;             /* keep the chain (verify); off: faster */
	char chain[SESS_SHA1_HEX];       /* the chain head after the last record */
	int completed_at_set;
	long long completed_at;  /* ms the session was completed, or 0 */
};

void sess_fold_init(struct sess_fold *f, const char *id, int chained);
void sess_fold_free(struct sess_fold *f);

/* Fold one stored event (its exact stored text). Its seq must follow the
 * last one (a gap or a repeat is an error naming both); the state follows
 * its transition. */
int sess_fold_event(struct sess_fold *f, const char *text, size_t len,
		    struct sess_err *err);

/* The same for an event already scanned by sess_fold_scan (ev from it). */
int sess_fold_event_ev(struct sess_fold *f, const struct sess_fold_ev *ev,
		       const char *text, size_t len, struct sess_err *err);

/* Fold one history record (its exact stored text). */
int sess_fold_record(struct sess_fold *f, const char *text, size_t len,
		     struct sess_err *err);

/* Start from a stored checkpoint (JSON object as the checkpoints hash
 * holds it): its state, members, seq and chain (ch, the head before the
 * checkpoint's own record, which is to be folded next). For logs trimmed
 * before their first events. */
int sess_fold_from_checkpoint(struct sess_fold *f, const cJSON *cp,
			      struct sess_err *err);

/* Is agent id (len bytes, as an event's raw "a") a member now? */
int sess_fold_has_agent(const struct sess_fold *f, const char *id, size_t len);

/* The state digest (sd) the scripts store with a checkpoint ("" when
 * libcrypto gave no SHA-1: sha1.h). */
void sess_fold_digest(const struct sess_fold *f, char out[SESS_SHA1_HEX]);

/* The session as `sessctl get` shows it (id, state, creator, seq,
 * created, updated, ttl, checkpoints, firstSeq, agents [{id, joined}],
 * metadata). NULL when out of memory; the caller owns it. */
cJSON *sess_fold_json(const struct sess_fold *f);

/* The whole fold state as JSON (what a saved replay keeps at the start of
 * each block), and back: restore initialises f. */
cJSON *sess_fold_snapshot(const struct sess_fold *f);
int sess_fold_restore(struct sess_fold *f, const cJSON *snap, int chained,
		      struct sess_err *err);

#endif
