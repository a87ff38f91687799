/* whole.h - a live session written whole, in one transaction, from a
 * history the caller has read and verified (sess-replay fork): the only
 * path besides the create script that makes a session, so it lives here,
 * beside the scripts' callers, and no binary writes the layout itself.
 *
 * What it writes: the records as given (the new session's chain is the
 * source's up to its last record), the event ids of its events, the
 * checkpoints given, a last history record of its own (its origin, given
 * by the caller and chained here), the meta the fold of those records
 * gives (state, created, seq, ttl, creator, members and when they joined,
 * metadata, checkpoint counter, chain head), the TTL on every key, the
 * stats counted as the emits of its events counted them; after EXEC the
 * indexes, as for a session the create script made.
 *
 * Use: sess_whole_begin (opens its own connection: WATCH on the meta,
 * refused when the session exists, TIME, MULTI), then sess_whole_record
 * for each record in order and sess_whole_checkpoint for each checkpoint,
 * then sess_whole_commit or sess_whole_abort. Nothing is applied before
 * the commit's EXEC, and a session created meanwhile (WATCH) makes the
 * commit write nothing. The struct owns its connection, pipeline and
 * counters from begin until commit or abort, which release them (abort is
 * safe after a failed begin or commit). Errors through err: exists
 * (SESS_E_NEGATIVE), the server's (its class).
 */
#ifndef SESS_WHOLE_H
#define SESS_WHOLE_H

#include "core/history/fold.h"
#include "core/model/keys.h"
#include "core/redis/pipe.h"
#include "core/session/index.h"

struct sess_whole {
	const struct sess_config *cfg;
	struct sess_conn w;          /* WATCH, MULTI and EXEC on their own */
	struct sess_pipe p;
	struct sess_keys k;
	struct sess_arrivals ar;     /* the events' counters (stats) */
	char id[SESS_ID_MAX + 1];
	long long now;               /* the server's clock at begin (ms) */
	long long events;            /* events recorded */
	int open;                    /* begun, not yet committed or aborted */
	int multi;                   /* MULTI queued */
};

int sess_whole_begin(struct sess_whole *s, const struct sess_config *cfg, const char *id,
		     struct sess_err *err);

/* One record, copied as it is: an event (kind SESS_REC_EVENT, with its
 * type, type_len 0 for none, and its event id or NULL) or a history
 * record. */
int sess_whole_record(struct sess_whole *s, int kind, const char *text, size_t len,
		      const char *type, size_t type_len, const char *eid, long long seq,
		      struct sess_err *err);

/* Checkpoint cpid with its stored JSON body. */
int sess_whole_checkpoint(struct sess_whole *s, const char *cpid, const char *body,
			  struct sess_err *err);

/* Write the meta from snap (the fold of the records given), own (the
 * session's own last history record, chained after snap->chain; its
 * head is written to chain_out, SESS_SHA1_HEX bytes), the last
 * checkpoint's seq lastcp, the TTLs, the companions (index entries and
 * stats: layout 3, the session's slot); EXEC. -1 with err when nothing
 * was written. */
int sess_whole_commit(struct sess_whole *s, const struct sess_fold *snap, const char *own,
		      long long lastcp, char *chain_out, struct sess_err *err);

/* Drop what was queued (DISCARD) and release everything. */
void sess_whole_abort(struct sess_whole *s);

#endif
