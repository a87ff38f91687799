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

#include "ctx.h"
#include "event.h"

#define SESS_LOG_PAGE 500 /* events read per round trip */

/* Events with from <= seq <= to (to 0 = the last), at most limit (0 = no
 * limit), read in pages so memory stays flat; each goes to each() in the
 * seeds' shape with "sessionId". *last_seq (may be NULL) gets the
 * session's last seq. Events trimmed away (before the session's first
 * retained seq) are skipped. */
int sess_log_events(struct sess_ctx *s, const char *id, long from, long to,
		    long limit, sess_each_fn each, void *arg, long *last_seq,
		    struct sess_err *err);

/* A pub/sub reply on a session channel: ["message", chan, payload] or
 * ["pmessage", pattern, chan, payload], payload "ID\nSTORED-EVENT" as the
 * emit script publishes it. *ev gets the event (caller frees), or NULL for
 * a reply that is no message (subscribe confirmations, sess-health's
 * probe message, see probe.h); -1 with err for a
 * malformed one. */
int sess_log_message(const redisReply *r, cJSON **ev, struct sess_err *err);

#endif
