/* conn.h - one connection to Redis: connect, AUTH (with ACL user), SELECT,
 * timeouts, commands and pipelines, with every failure turned into a
 * struct sess_err that names the problem and the fix.
 *
 * A struct sess_conn is owned by its caller: open it with sess_conn_open and
 * release it with sess_conn_close. Replies returned to the caller are theirs
 * to free with freeReplyObject.
 */
#ifndef SESS_CONN_H
#define SESS_CONN_H

#include <hiredis/hiredis.h>
#include <stddef.h>

#include "core/model/config.h"
#include "core/base/err.h"

struct sess_conn {
	redisContext *ctx;
	const struct sess_config *cfg; /* borrowed; must outlive the conn */
	char where[300];               /* "127.0.0.1:6379/0", for messages */
};

/* Connect, authenticate and select the database. On failure the conn is
 * left closed (ctx NULL) and err says why: unreachable (69), timeout (75),
 * auth (77), bad db or TLS not built in (78). */
int sess_conn_open(struct sess_conn *c, const struct sess_config *cfg,
		   struct sess_err *err);

void sess_conn_close(struct sess_conn *c);

/* Run one command. Returns the reply (caller frees) or NULL with err set; an
 * error reply is turned into err and freed. */
redisReply *sess_conn_cmd(struct sess_conn *c, struct sess_err *err, int argc,
			  const char **argv, const size_t *lens);

/* Same with printf-style arguments (hiredis %s / %b formats). */
redisReply *sess_conn_cmdf(struct sess_conn *c, struct sess_err *err,
			   const char *fmt, ...);

/* Pipelining: queue commands, then read their replies in order. */
int sess_conn_append(struct sess_conn *c, int argc, const char **argv,
		     const size_t *lens, struct sess_err *err);
/* Queue a command already in the wire format (redisFormatCommand*). */
int sess_conn_append_raw(struct sess_conn *c, const char *cmd, size_t len,
			 struct sess_err *err);
/* Write the queued commands to the socket now, without reading: the
 * server starts on them while the caller prepares more (a read flushes
 * them anyway, but only once the caller waits). */
int sess_conn_send(struct sess_conn *c, struct sess_err *err);
/* Read the next reply. An error *reply* is returned as a reply (callers of
 * pipelines decide per command); only transport failures return -1. */
int sess_conn_read(struct sess_conn *c, redisReply **out, struct sess_err *err);

/* Wait up to timeout_ms for the next reply (pub/sub messages included).
 * Returns 1 with *out set (caller frees), 0 on timeout or when a signal
 * interrupted the wait, -1 with err set when the connection failed. */
int sess_conn_wait(struct sess_conn *c, int timeout_ms, redisReply **out,
		   struct sess_err *err);

/* Turn an error reply into err (class from its prefix: LOADING, BUSY and
 * TRYAGAIN are temporary, NOAUTH/WRONGPASS/NOPERM are auth, ...). */
int sess_conn_reply_error(const struct sess_conn *c, const redisReply *r,
			  struct sess_err *err);

/* Turn the context's transport error into err. */
int sess_conn_io_error(const struct sess_conn *c, struct sess_err *err);

#endif
