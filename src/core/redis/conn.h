/* conn.h - one connection to Redis, the transport every tool uses for
 * every connection: commands, pipelines, pub/sub subscribers and
 * sess-bench's non-blocking engine. It connects, authenticates (with an
 * ACL user), selects the database, applies timeouts and turns every
 * failure into a struct sess_err that names the problem and the fix.
 *
 * Layers: a stream (stream.h: a non-blocking socket, TCP or unix; TLS in
 * stream_tls.h, opened from the config's tls_* settings by conn_tls.c)
 * carries the bytes; this file keeps the output buffer and
 * hiredis's reply reader (redisReader) and nothing else of hiredis: no
 * redisContext exists anywhere in sesskit, and nothing outside the
 * transport's files (stream.c, conn.c) touches the socket.
 * Blocking calls wait with poll() (connect timeout, command timeout).
 *
 * Where the next pieces go: Sentinel asks a sentinel for the primary and opens there
 * with sess_conn_open_at, and after a failover sess_conn_reopen (or
 * open_at the new primary); the cluster slot map keeps one conn per node
 * (open_at) and routes by slot, seeing MOVED/ASK as error replies
 * (sess_conn_read returns them; sess_conn_reply_error does not know them
 * yet).
 *
 * A struct sess_conn is owned by its caller: open it with sess_conn_open
 * and release it with sess_conn_close (also safe on a zeroed or closed
 * conn). Replies returned to the caller are theirs to free with
 * freeReplyObject. After a transport failure (a timeout included: replies
 * would no longer match their commands) the conn refuses all I/O with the
 * same error until it is closed or reopened.
 */
#ifndef SESS_CONN_H
#define SESS_CONN_H

#include <hiredis/hiredis.h>
#include <stdarg.h>
#include <stddef.h>

#include "core/model/config.h"
#include "core/base/err.h"
#include "core/redis/stream.h"

struct sess_conn {
	struct sess_stream st;         /* st.ops NULL: closed */
	redisReader *reader;           /* replies parsed from st */
	char *obuf;                    /* commands not written yet: [opos, olen) */
	size_t opos, olen, ocap;
	enum sess_io_fail fail;        /* the first transport failure; OK none */
	char errstr[320];              /* its detail */
	int answered;                  /* bytes came from the server */
	struct sess_endpoint ep;       /* where it connects (reopen goes there) */
	const struct sess_config *cfg; /* borrowed; must outlive the conn */
	char where[300];               /* "127.0.0.1:6379/0", for messages */
	char last_err[200];            /* the last error reply read (EXECABORT's cause) */
};

/* Connect, authenticate and select the database. On failure the conn is
 * left closed and err says why: unreachable (69; a plain/TLS mismatch
 * too), timeout (75), auth or a server certificate we do not trust (77),
 * bad db or unusable TLS files (78). */
int sess_conn_open(struct sess_conn *c, const struct sess_config *cfg,
		   struct sess_err *err);

/* The same to another endpoint with cfg's credentials, database and
 * timeouts (a Sentinel's primary, a cluster node); with cfg's TLS
 * settings when ep->tls (which the caller sets: cfg->tls ||
 * cfg->tls_enabled for a server of the same deployment). */
int sess_conn_open_at(struct sess_conn *c, const struct sess_config *cfg,
		      const struct sess_endpoint *ep, struct sess_err *err);

/* Through Sentinel (sentinel.c, sentinel.h): ask cfg's sentinels for the
 * primary, open there, check ROLE. sess_conn_open and sess_conn_reopen
 * call it when cfg->sentinels is set. */
int sess_conn_open_sentinel(struct sess_conn *c, const struct sess_config *cfg,
			    struct sess_err *err);

/* Close and connect again to the same endpoint (its name resolved again),
 * with AUTH and SELECT; what was queued or owed is dropped. Through
 * Sentinel: the sentinels are asked again (never the old address). */
int sess_conn_reopen(struct sess_conn *c, struct sess_err *err);

void sess_conn_close(struct sess_conn *c);

/* 1 when c is open and has not failed, else 0. */
int sess_conn_ok(const struct sess_conn *c);
/* 1 when c is open (failed or not): it must be closed before reuse. */
int sess_conn_is_open(const struct sess_conn *c);

/* ---- blocking: one command ---- */

/* Run one command. Returns the reply (caller frees) or NULL with err set; an
 * error reply is turned into err and freed. lens NULL: strlen of each. */
redisReply *sess_conn_cmd(struct sess_conn *c, struct sess_err *err, int argc,
			  const char **argv, const size_t *lens);

/* Same with printf-style arguments (hiredis %s / %b formats). */
redisReply *sess_conn_cmdf(struct sess_conn *c, struct sess_err *err,
			   const char *fmt, ...);

/* Run one command and return its reply whatever it is, an error reply
 * included (the caller reads it); NULL with err set only when the
 * connection failed. */
redisReply *sess_conn_call(struct sess_conn *c, struct sess_err *err, int argc,
			   const char **argv, const size_t *lens);
redisReply *sess_conn_callf(struct sess_conn *c, struct sess_err *err,
			    const char *fmt, ...);
redisReply *sess_conn_callv(struct sess_conn *c, struct sess_err *err,
			    const char *fmt, va_list ap);

/* ---- pipelines (blocking reads) ---- */

/* Queue commands, then read their replies in order. Queueing never does
 * I/O; it fails only when out of memory or on a failed conn. */
int sess_conn_append(struct sess_conn *c, int argc, const char **argv,
		     const size_t *lens, struct sess_err *err);
int sess_conn_appendf(struct sess_conn *c, struct sess_err *err,
		      const char *fmt, ...);
/* Queue a command already in the wire format (sess_pipe_format,
 * redisFormatCommand*). */
int sess_conn_append_raw(struct sess_conn *c, const char *cmd, size_t len,
			 struct sess_err *err);
/* Write the queued commands now, without waiting for replies: the server
 * starts on them while the caller prepares more (a read flushes them
 * anyway, but only once the caller waits). Replies arriving meanwhile are
 * kept, so a large pipeline cannot deadlock. */
int sess_conn_send(struct sess_conn *c, struct sess_err *err);
/* Read the next reply, waiting up to the command timeout. An error
 * *reply* is returned as a reply (callers of pipelines decide per
 * command); only transport failures return -1. */
int sess_conn_read(struct sess_conn *c, redisReply **out, struct sess_err *err);

/* Wait up to timeout_ms for the next reply (pub/sub messages included),
 * writing what is queued first (SUBSCRIBE and friends). Returns 1 with
 * *out set (caller frees), 0 on timeout or when a signal interrupted the
 * wait, -1 with err set when the connection failed. */
int sess_conn_wait(struct sess_conn *c, int timeout_ms, redisReply **out,
		   struct sess_err *err);

/* ---- non-blocking: for poll loops over many conns ---- */

/* The fd to poll, -1 when closed. Poll it for sess_conn_events(c). */
int sess_conn_fd(const struct sess_conn *c);
/* POLLIN, plus POLLOUT while queued bytes wait for the socket. */
short sess_conn_events(const struct sess_conn *c);
/* 1 when the stream holds input the socket no longer shows (a TLS
 * record read whole): call sess_conn_fill without waiting for poll.
 * (Replies already parsed are sess_conn_take's: take until it says 0.) */
int sess_conn_buffered(const struct sess_conn *c);
/* Write what the socket takes now. 1 all written, 0 some left (poll for
 * POLLOUT), -1 with err when the connection failed. */
int sess_conn_flush(struct sess_conn *c, struct sess_err *err);
/* Read what has arrived, without waiting (call when poll says readable or
 * sess_conn_buffered). 0, or -1 with err (end of stream included). */
int sess_conn_fill(struct sess_conn *c, struct sess_err *err);
/* The next reply already read: 1 with *out (caller frees), 0 none yet,
 * -1 with err (not RESP). */
int sess_conn_take(struct sess_conn *c, redisReply **out, struct sess_err *err);

/* ---- the wire format ---- */

/* Bytes sess_cmd_format may write for this command (an upper bound). */
size_t sess_cmd_format_max(int argc, const char **argv, const size_t *lens);
/* The command in RESP (what redisFormatCommandArgv makes) at dst, which
 * holds sess_cmd_format_max bytes; returns its length. lens NULL:
 * strlen of each argument. */
size_t sess_cmd_format(char *dst, int argc, const char **argv, const size_t *lens);

/* ---- errors ---- */

/* Turn an error reply into err (class from its prefix: LOADING, BUSY and
 * TRYAGAIN are temporary, NOAUTH/WRONGPASS/NOPERM are auth, ...). A
 * permission refused (NOPERM, or the ACL refusing a command a sesskit
 * script calls) names the command, the user and the ACL SETUSER rule;
 * EXECABORT "previous errors" is mapped as the last error reply c read
 * (a command refused while queued). */
int sess_conn_reply_error(const struct sess_conn *c, const redisReply *r,
			  struct sess_err *err);

/* Turn the connection's transport failure into err. */
int sess_conn_io_error(const struct sess_conn *c, struct sess_err *err);

#endif
