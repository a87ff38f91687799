/* pipe.h - pipelines: many commands sent before their replies are read,
 * every append checked, and scripts the server lost reloaded in order.
 *
 * A server forgets its scripts on restart, failover or SCRIPT FLUSH, and
 * then answers EVALSHA with NOSCRIPT. In a pipeline, every EVALSHA after
 * that point is refused too. sess_pipe_next() handles it where it happens:
 * when the oldest reply is NOSCRIPT it reads every reply still in flight
 * (so no reply can be taken for another's), sends the refused commands
 * again in their original order as EVAL with the script's source (which
 * no further flush can refuse, and which puts the script back in the
 * server's cache) and reads theirs, so the caller sees each command's one
 * real reply, in order. A command refused with NOSCRIPT did not run, so
 * sending it again never applies it twice. (Only if another client loads
 * the scripts between two of our refused commands can a later one run
 * before an earlier one is re-sent; each reply still says what was
 * stored.) An FCALL refused because the function is missing ("Function
 * not found") is handled the same way: the library is loaded again, then
 * the refused FCALLs sent again in order; one refused because the server
 * or the user has no functions is sent again as EVAL, and the connection
 * takes the EVALSHA path from then on.
 *
 * Contract: while commands are in flight, the connection is the pipe's:
 * no other command may be sent on it. A struct sess_pipe owns copies of
 * its commands until their replies are taken; sess_pipe_free drops what is
 * left (the connection must then be closed if replies are still owed).
 */
#ifndef SESS_PIPE_H
#define SESS_PIPE_H

#include <stddef.h>

#include "core/redis/conn.h"
#include "core/redis/scripts.h"

struct sess_pipe_ent {
	char *cmd;            /* a script call in the wire format, owned (to
	                       * send again after a reload); NULL for a plain
	                       * command */
	size_t len;
	int script;           /* enum sess_script, or -1 for a plain command */
	long tag;             /* the caller's, returned with the reply */
	redisReply *reply;    /* read ahead during a reload, owned */
};

struct sess_pipe {
	struct sess_conn *conn;  /* borrowed, open */
	struct sess_pipe_ent *q; /* a ring, oldest at head */
	size_t cap, head, n;
};

void sess_pipe_init(struct sess_pipe *p, struct sess_conn *conn);
void sess_pipe_free(struct sess_pipe *p);

/* Send EVALSHA of script s (argv as sess_script_argv lays it out; FCALL
 * of its function when the connection calls functions: scripts.h), or a
 * plain command when s is -1. tag comes back with the reply. */
int sess_pipe_argv(struct sess_pipe *p, int s, long tag, int argc,
		   const char **argv, const size_t *lens, struct sess_err *err);

/* The command in the wire format into *out (caller frees), its length
 * returned, -1 when out of memory: the bytes redisFormatCommandArgv
 * makes (lens NULL: each argument's strlen), without its sprintf per
 * argument (a migration formats a dozen commands for every session it
 * copies). */
int sess_pipe_format(char **out, int argc, const char **argv, const size_t *lens);

/* Send a plain command, hiredis printf-style (%s, %b, %lld ...). */
int sess_pipe_cmdf(struct sess_pipe *p, long tag, struct sess_err *err,
		   const char *fmt, ...);

/* Send a plain command of n C-string arguments (the first its name): the
 * argument-vector form of sess_pipe_cmdf, without printf-style formatting
 * (a reader that queues a dozen commands a session). n <= SESS_PIPE_STRS_MAX;
 * the strings are copied into the wire format. */
#define SESS_PIPE_STRS_MAX 8
int sess_pipe_strs(struct sess_pipe *p, long tag, struct sess_err *err, int n, ...);

/* Put what was queued on the wire now, so the server works on it while
 * the caller prepares the next commands (sess_pipe_next does it when it
 * has to wait; calling this after each large command overlaps the two). */
int sess_pipe_send(struct sess_pipe *p, struct sess_err *err);

/* Commands sent whose replies were not taken yet. */
size_t sess_pipe_pending(const struct sess_pipe *p);

/* The oldest command's reply (the caller frees it) and its tag (may be
 * NULL). Error replies are returned as replies; -1 with err only when the
 * connection failed (then every reply still owed is lost). */
int sess_pipe_next(struct sess_pipe *p, redisReply **r, long *tag,
		   struct sess_err *err);

/* Whether the oldest command's reply can be taken without waiting:
 * reads what has arrived (never waits, except to send again what a
 * server that lost its scripts refused). 1 (sess_pipe_next then returns
 * at once), 0 not yet (always on a cluster conn, whose replies are read
 * through its router), -1 with err when the connection failed. */
int sess_pipe_ready(struct sess_pipe *p, struct sess_err *err);

/* Take every reply still owed; the first error reply is turned into err
 * and makes the result -1. */
int sess_pipe_run(struct sess_pipe *p, struct sess_err *err);

/* Take and free the next n replies (all of them when fewer are owed;
 * SESS_PIPE_ALL: every one), error replies alike: for replies nobody
 * reads (MULTI's +OK and QUEUED before the EXEC that says what happened,
 * the rest of a batch stopped early). 0, or -1 with err (may be NULL) when
 * the connection failed: then every reply still owed is lost. */
#define SESS_PIPE_ALL ((size_t)-1)
int sess_pipe_drain(struct sess_pipe *p, size_t n, struct sess_err *err);

/* ---- a command built argument by argument ---- */

/* For commands whose length is known only at run time (HMGET KEY ID...,
 * UNLINK KEY...). Ownership: the struct owns its arrays (v, len), freed by
 * sess_argv_free; the arguments are borrowed, each must stay alive and
 * unchanged until the command is sent (sending copies them into the wire
 * format). Start with sess_argv_init. An add that cannot grow the arrays
 * is remembered, and the command is then never sent: sess_argv_cmd and
 * sess_argv_pipe fail with "out of memory". */
struct sess_argv {
	const char **v;
	size_t *len;
	int n;
	size_t cap;
	int oom;
};
void sess_argv_init(struct sess_argv *a);
void sess_argv_free(struct sess_argv *a);
/* Append s (its strlen) / len bytes at s. */
void sess_argv_add(struct sess_argv *a, const char *s);
void sess_argv_addb(struct sess_argv *a, const char *s, size_t len);
/* Run it on c: as sess_conn_cmd (the reply, the caller frees; NULL with
 * err on failure or an error reply). */
redisReply *sess_argv_cmd(struct sess_conn *c, const struct sess_argv *a,
			  struct sess_err *err);
/* Send it on p: as sess_pipe_argv. */
int sess_argv_pipe(struct sess_pipe *p, int s, long tag, const struct sess_argv *a,
		   struct sess_err *err);

#endif
