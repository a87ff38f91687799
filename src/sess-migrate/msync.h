/* msync.h - live sync of one session from a source to a target, from the
 * target's own state (sess-migrate sync; the loop around it, with its
 * notifications, lag and reconnects, is the binary's).
 *
 * The log is the truth: whatever told the caller to look at a session (a
 * notification, a reconciliation pass), it reads both sides' heads (meta
 * v, h, seq, base and the history's length), and the chain head h decides
 * (sesskit-layout(7): equal heads, equal history):
 *   equal heads and seq        nothing to do (a resumed sync re-copies
 *                              nothing that is there and equal)
 *   the target behind          TAIL: only the events after the target's
 *                              seq and the history records after its last
 *                              one travel (plus the small hashes: meta and
 *                              checkpoints whole, the new event ids); the
 *                              migtail script checks that they extend the
 *                              target's chain to exactly the source's head
 *                              before it writes, else answers "stale"
 *   anything else              WHOLE: the session is copied all or nothing
 *                              (dump.h, migput in mode sync)
 *   gone from the source       REMOVE from the target (deleted or expired)
 * Every step is idempotent and keyed on the target's state, so a sync
 * killed at any instant resumes by running the same steps again.
 */
#ifndef SESS_MSYNC_H
#define SESS_MSYNC_H

#include "core/model/config.h"
#include "sess-migrate/dump.h"
#include "core/redis/pipe.h"

struct sess_msync_head {
	int present;          /* the meta hash exists */
	char v[16];           /* layout version */
	char h[48];           /* chain head, "" when none */
	long long seq, base;
	long long hlen;       /* the history list's length */
	long long pttl;       /* the meta key's PTTL (ms; -1 none, -2 gone) */
};

/* Queue the head read of session id on p (three commands); take it with
 * sess_msync_head_take, in order. */
int sess_msync_head_queue(struct sess_pipe *p, const char *prefix, const char *id,
			  struct sess_err *err);
int sess_msync_head_take(struct sess_pipe *p, struct sess_msync_head *h,
			 struct sess_err *err);

enum sess_msync_act {
	SESS_MSYNC_EQUAL,
	SESS_MSYNC_TAIL,
	SESS_MSYNC_WHOLE,
	SESS_MSYNC_REMOVE,
	SESS_MSYNC_ABSENT     /* on neither side */
};
enum sess_msync_act sess_msync_decide(const struct sess_msync_head *src,
				      const struct sess_msync_head *dst);

/* Queue, on the source, the read of what follows dst (one MULTI/EXEC):
 * take it with sess_snap_take into a snapshot initialised with form 's';
 * its events and history parts then hold only the new entries. */
int sess_msync_tail_queue(struct sess_pipe *p, const char *prefix, const char *id,
			  const struct sess_msync_head *dst, struct sess_err *err);

/* Queue migtail on the target: s (from the tail read) after dst. */
int sess_msync_tail_put(struct sess_pipe *p, const char *prefix,
			const struct sess_snap *s, const struct sess_msync_head *dst,
			long tag, struct sess_err *err);
/* migtail's reply: "appended", "stale" or "expired" into status (16
 * bytes) and the events appended into *events; -1 with err on an error
 * reply. */
int sess_msync_tail_status(struct sess_pipe *p, const redisReply *r, char status[16],
			   long *events, struct sess_err *err);

/* Remove session id from the target c: its keys and its index entries. */
int sess_msync_remove(struct sess_conn *c, const struct sess_config *cfg,
		      const char *id, struct sess_err *err);

/* Ask the server c to publish keyspace events for the session keys'
 * changes, deletions and expiries: adds K, g, h, x to what
 * notify-keyspace-events already holds (never takes one away). -1 with
 * err when the server refuses (CONFIG renamed or denied by ACL). */
int sess_msync_keyspace(struct sess_conn *c, struct sess_err *err);

#endif
