/* scripts.h - the Lua scripts that change sessions atomically on the server.
 *
 * Sources live in src/core/lua/NAME.lua and are embedded at build time
 * (tools/embed-lua) two ways:
 * - as one Redis Functions library (Redis 7+), sesskit_HASH, loaded once
 *   per node with FUNCTION LOAD; a call is FCALL skHASH_NAME. The prelude's
 *   definitions are made once, at load. HASH is of the library's text, so
 *   two sesskit versions run side by side on one server.
 * - as one script per file (constants, prelude, script) with its SHA1; a
 *   call is EVALSHA.
 * Which, per connection (c->scripts, setting redis.scripts): "functions",
 * "eval", or "auto": FCALL until the server says it cannot (FCALL unknown:
 * Redis 6; NOPERM for FCALL or, when the library is missing, for FUNCTION
 * LOAD: the user's ACL), then EVALSHA on that connection.
 * Every caller builds the EVALSHA form (sess_script_argv: EVALSHA sha
 * numkeys keys... args...); FCALL has the same shape, so the call and the
 * pipeline (pipe.c) put FCALL and the function's name in its first two
 * places when the connection calls functions (sess_script_word).
 * A server that lost them (flushed, restarted, a new cluster node, a
 * failover to an empty node) answers NOSCRIPT, or "Function not found":
 * the library is loaded again on every master (or the script run by
 * EVAL with its source, which caches it on the node of its keys) and the
 * call sent again, once, in single calls and in pipelines.
 */
#ifndef SESS_SCRIPTS_H
#define SESS_SCRIPTS_H

#include "core/redis/conn.h"

/* enum sess_script: SESS_LUA_CREATE, ... one per file in Makefile.am's
 * SESS_LUA_FILES, in that order, then SESS_LUA_COUNT. Adding a script is
 * adding its file to that list. */
#include "core/lua_gen.h"

const char *sess_script_sha(enum sess_script s);
/* The script's function name in the library (skHASH_NAME). */
const char *sess_script_fn(enum sess_script s);

enum sess_script_mode {
	SESS_SCRIPTS_UNKNOWN = 0, /* auto, nothing refused yet: FCALL */
	SESS_SCRIPTS_FCALL,
	SESS_SCRIPTS_EVAL,
};

/* How c calls scripts now: SESS_SCRIPTS_FCALL or SESS_SCRIPTS_EVAL. */
enum sess_script_mode sess_script_mode(const struct sess_conn *c);

/* When c calls functions and argv[0] is "EVALSHA": argv[0] = "FCALL" and
 * argv[1] = the function of s (lens too, when not NULL). */
void sess_script_word(const struct sess_conn *c, enum sess_script s,
		      const char **argv, size_t *lens);
/* The script's whole text as Redis gets it (constants, prelude, script). */
const char *sess_script_source(enum sess_script s);

/* The most arguments (keys + args) any session script takes. */
#define SESS_SCRIPT_MAXARGS 20

/* Fill argv/lens for EVALSHA sha nkeys keys... args...; argv and lens must
 * hold 3 + nkeys + nargs entries (<= SESS_SCRIPT_MAXARGS + 3). Returns argc.
 * Strings are borrowed. */
int sess_script_argv(enum sess_script s, int nkeys, const char **keys,
		     int nargs, const char **args, const char **argv,
		     size_t *lens, char numkeys_buf[8]);

/* EVALSHA, loading the script on NOSCRIPT. Returns the reply (caller frees)
 * or NULL with err set; error replies from the script are mapped to
 * session errors (not found, completed, not a member, ...). */
redisReply *sess_script_call(struct sess_conn *c, enum sess_script s,
			     int nkeys, const char **keys, int nargs,
			     const char **args, struct sess_err *err);

/* The same for a command already built with sess_script_argv. */
redisReply *sess_script_call_argv(struct sess_conn *c, enum sess_script s,
				  int argc, const char **argv, const size_t *lens,
				  struct sess_err *err);

/* Before a pipeline (so that nothing needs loading in the middle of it
 * unless the server is flushed meanwhile): decide how c calls scripts and
 * load what that needs on every master: the library (FUNCTION LOAD; one
 * already there is kept), or, on the EVALSHA path, every script (SCRIPT
 * LOAD). -1 with err when the connection fails or redis.scripts is
 * "functions" and the server refuses them (78: no FUNCTION; 77: ACL). */
int sess_script_prepare(struct sess_conn *c, struct sess_err *err);

/* SCRIPT LOAD every script on every master, and c calls scripts by
 * EVALSHA from now on: for callers that build EVALSHA commands and send
 * them themselves (sess-migrate). */
int sess_script_load_all(struct sess_conn *c, struct sess_err *err);

/* 1 if r is a NOSCRIPT error reply. */
int sess_script_is_noscript(const redisReply *r);

/* 1 if r refuses an FCALL for what the EVALSHA path would not: the
 * function is missing ("Function not found"), FCALL is an unknown command
 * (Redis 6) or refused by the ACL. */
int sess_script_is_fn_refusal(const redisReply *r);

/* After FCALL was refused with r (sess_script_is_fn_refusal; nothing is
 * in flight on c): load the library on every master when it is missing,
 * else (or when that load is refused) switch c to EVALSHA. Returns
 * SESS_SCRIPTS_FCALL (send the FCALL again), SESS_SCRIPTS_EVAL (send it
 * as EVAL of the script's source), or -1 with err (the connection failed,
 * or redis.scripts is "functions" and the server refuses them). */
int sess_script_fn_recover(struct sess_conn *c, const redisReply *r,
			   struct sess_err *err);

/* Map a script's error reply ("SESSNOTFOUND ...") to err; other error
 * replies go through sess_conn_reply_error. "SESSBADARG ..." (a script
 * refused an argument or a damaged meta field, before writing anything)
 * is SESS_E_DATA, kind "bad_argument". */
int sess_script_error(const struct sess_conn *c, const redisReply *r,
		      struct sess_err *err);

#endif
