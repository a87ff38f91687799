/* scripts.h - the Lua scripts that change sessions atomically on the server.
 *
 * Sources live in src/core/lua/NAME.lua and are embedded at build time with
 * their SHA1, so a call is EVALSHA; on NOSCRIPT (a fresh or flushed server)
 * the script is loaded and the call retried once.
 */
#ifndef SESS_SCRIPTS_H
#define SESS_SCRIPTS_H

#include "core/redis/conn.h"

/* enum sess_script: SESS_LUA_CREATE, ... one per file in Makefile.am's
 * SESS_LUA_FILES, in that order, then SESS_LUA_COUNT. Adding a script is
 * adding its file to that list. */
#include "core/lua_gen.h"

const char *sess_script_sha(enum sess_script s);
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

/* SCRIPT LOAD every script (before a pipeline, so NOSCRIPT cannot occur
 * in the middle of it unless the server is flushed meanwhile). */
int sess_script_load_all(struct sess_conn *c, struct sess_err *err);

/* 1 if r is a NOSCRIPT error reply. */
int sess_script_is_noscript(const redisReply *r);

/* Map a script's error reply ("SESSNOTFOUND ...") to err; other error
 * replies go through sess_conn_reply_error. "SESSBADARG ..." (a script
 * refused an argument or a damaged meta field, before writing anything)
 * is SESS_E_DATA, kind "bad_argument". */
int sess_script_error(const struct sess_conn *c, const redisReply *r,
		      struct sess_err *err);

#endif
