/* log.h - reading a session's event log: the one paged reader (events,
 * get --events, events --follow, and replay build on it) and the live
 * messages the emit script publishes.
 *
 * The log is the truth; pub/sub is a hint. Anything that must not miss an
 * event reads the log from a known seq.
 */
#ifndef SESS_LOG_H
#define SESS_LOG_H

#include <cjson/cJSON.h>
#include <hiredis/hiredis.h>

#include "core/session/ctx.h"
#include "core/model/event.h"

#define SESS_LOG_PAGE 500 /* events read per round trip */
#define SESS_LOG_REPLAY_PAGE 1000 /* the same when replaying a whole log */

/* One stored event's exact text; return 0 to go on, 1 to stop, -1 to fail
 * (the caller's err is set). */
typedef int (*sess_raw_fn)(const char *text, size_t len, void *arg);

/* Events with from <= seq <= to (to 0 = the last), at most limit (0 = all),
 * as stored, page events a round trip. *last_seq gets the session's last
 * seq. */
int sess_log_raw(struct sess_ctx *s, const char *id, long long from, long long to,
		 long long limit, long page, sess_raw_fn each, void *arg,
		 long long *last_seq, struct sess_err *err);

/* A session's whole history as stored, in the order it was made: each
 * event (SESS_REC_EVENT) and each lifecycle record (SESS_REC_HISTORY),
 * exact texts (NUL-terminated: len bytes then a NUL), as sesskit-layout(7)
 * defines the order (an event with seq N, then the records at N). fn
 * returns 0 to go on, non-zero to stop. */
#define SESS_REC_EVENT 'E'
#define SESS_REC_HISTORY 'H'
typedef int (*sess_record_fn)(int kind, const char *text, size_t len, void *arg);

struct sess_log_head {
	long long seq, base;          /* the last seq and the trim base, read */
	char chain[41];               /* the chain head covering exactly that */
	long long pttl;               /* ms, -1 none */
	long long hlen;               /* history records then */
	cJSON *start;                 /* a trimmed log: the checkpoint the
				       * records start after (owned), else NULL */
};

/* Read at one instant where the log ends (seq, chain head, history length,
 * in a MULTI), then stream the records up to there: writes made meanwhile
 * are not included, so the chain head read covers exactly what was given.
 * A log trimmed before its first events starts at the earliest
 * checkpoint covering the first event kept (head->start: fold from it,
 * then its own history record comes first).
 * Release head with sess_log_head_free. */
int sess_log_records(struct sess_ctx *s, const char *id, struct sess_log_head *head,
		     sess_record_fn fn, void *arg, struct sess_err *err);
/* The same with flags: SESS_LOG_EVENTS gives the events alone (the
 * history list is not read: for readers that would skip its records). */
#define SESS_LOG_EVENTS 1
int sess_log_records_opt(struct sess_ctx *s, const char *id, struct sess_log_head *head,
			 int flags, sess_record_fn fn, void *arg, struct sess_err *err);
void sess_log_head_free(struct sess_log_head *h);
/* sess_log_records for a log the caller read whole in one MULTI (many
 * sessions in one pipeline, sess-replay verify --all): meta the reply of
 * HMGET META v seq base chain, hlen LLEN HISTORY, pttl PTTL META, hist
 * LRANGE HISTORY 0 -1, events LRANGE EVENTS 0 N with at least seq of its
 * events (all of them when fewer than SESS_LOG_REPLAY_PAGE). The same
 * records in the same order; an untrimmed log only (base 0: a trimmed one
 * needs its covering checkpoint, sess_log_records reads it). The replies
 * are borrowed. */
int sess_log_records_read(const char *id, const redisReply *meta, const redisReply *hlen,
			  const redisReply *pttl, const redisReply *hist, const redisReply *events,
			  struct sess_log_head *head, sess_record_fn fn, void *arg, struct sess_err *err);

/* Events with from <= seq <= to (to 0 = the last), at most limit (0 = no
 * limit), read in pages so memory stays flat; each goes to each() in the
 * seeds' shape with "sessionId". *last_seq (may be NULL) gets the
 * session's last seq. Events trimmed away (before the session's first
 * retained seq) are skipped. */
int sess_log_events(struct sess_ctx *s, const char *id, long from, long to,
		    long limit, sess_each_fn each, void *arg, long *last_seq,
		    struct sess_err *err);

/* The first seq the log still holds (base + 1: maintenance trims the
 * oldest events away); 1 for a log never trimmed or a session that is
 * gone. 0, or -1 with err. */
int sess_log_first(struct sess_ctx *s, const char *id, long *first, struct sess_err *err);

/* A pub/sub reply on a session channel: ["message", chan, payload],
 * ["smessage", chan, payload] (a cluster's, listen.h) or
 * ["pmessage", pattern, chan, payload], payload "ID\nEVENT[\nEVENT]..." as
 * the emit script publishes it (one message per call, its stored events in
 * order). Each event goes to each() in the seeds' shape with "sessionId"
 * (borrowed, as sess_each_fn says); each() returning non-zero stops
 * the walk and is returned. A reply that is no message (subscribe
 * confirmations, sess-health's probe message, see probe.h) gives nothing
 * and 0; a malformed one -1 with err, after the events before the damage
 * went to each(). */
int sess_log_message(const redisReply *r, sess_each_fn each, void *arg,
		     struct sess_err *err);

#endif
