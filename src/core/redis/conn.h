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
 * Sentinel asks a sentinel for the primary and opens there with
 * sess_conn_open_at, and after a failover sess_conn_reopen (or open_at
 * the new primary). Redis Cluster (cluster.h): a conn may be a cluster
 * conn (c->cl set, per the "redis.cluster" setting), which keeps one conn
 * per node (open_at) and routes every command by its key's slot; the
 * blocking calls below work on it unchanged, the non-blocking ones do
 * not (see cluster.h).
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

struct sess_cluster;

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
	unsigned long owed;            /* commands queued or sent, replies not read */
	struct sess_cluster *cl;       /* non-NULL: a cluster conn (cluster.h) */
	char last_err[200];            /* the last error reply read (EXECABORT's cause) */
	int standalone;                /* found no cluster (sess_conn_cluster, sess_cluster_masters): not asked again until closed */
	int scripts;                   /* enum sess_script_mode (scripts.h); 0 until known */
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
 * Sentinel: the sentinels are asked again (never the old address). A
 * cluster conn whose seed does not answer opens at another master it
 * knew (which becomes its seed). */
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

/* ---- Redis Cluster: the routed calls (cluster.c, cluster_route.c;
 * cluster.h says how a cluster conn works) ---- */

/* After c's open or reopen: per cfg->cluster, the probe and attach. 0,
 * or -1 with err (c closed). */
int sess_cluster_on_open(struct sess_conn *c, struct sess_err *err);
/* Whether c's server is a cluster: 1 (c is then a cluster conn), 0 not
 * (asked once: INFO cluster under redis.cluster auto, remembered in c),
 * -1 err. What the companion keys' tag depends on (session/tags.h). */
int sess_conn_cluster(struct sess_conn *c, struct sess_err *err);
/* 1 while a cluster conn has not failed. */
int sess_cluster_ok(const struct sess_conn *c);
int sess_cluster_append_raw(struct sess_conn *c, const char *cmd, size_t len,
			    struct sess_err *err);
int sess_cluster_send(struct sess_conn *c, struct sess_err *err);
int sess_cluster_read(struct sess_conn *c, redisReply **out, struct sess_err *err);
int sess_cluster_wait(struct sess_conn *c, int timeout_ms, redisReply **out,
		      struct sess_err *err);
/* A single command on a conn not (yet) in cluster mode got reply r: when
 * it is a redirection and the settings allow, attach and run cmd through
 * the router; returns 1 with *out, 0 (r is the answer), -1 with err; r
 * is freed unless 0. */
int sess_cluster_redirected(struct sess_conn *c, redisReply *r, const char *cmd,
			    size_t len, redisReply **out, struct sess_err *err);
/* An error reply holding msg (one line), made by hiredis's reader so
 * freeReplyObject frees it; NULL when out of memory. */
redisReply *sess_reply_error_new(const char *msg);
/* The masters a cluster conn knows (its seed excluded), for a reopen
 * when the seed is gone: up to max into eps; returns how many. */
#define SESS_CLUSTER_REOPEN_MAX 16
int sess_cluster_endpoints(const struct sess_conn *c, struct sess_endpoint *eps, int max);
/* cfg's redis.clusterNodes as endpoints (up to max; TLS as cfg says);
 * returns how many. */
int sess_cluster_seeds(const struct sess_config *cfg, struct sess_endpoint *eps, int max);
/* c was a cluster conn and is open again (to its seed or another
 * master): a cluster conn again. 0, or -1 with err (c closed). */
int sess_cluster_reattach(struct sess_conn *c, struct sess_err *err);
/* Free c's cluster state (no-op when c->cl is NULL). */
void sess_cluster_free(struct sess_conn *c);

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
