#include "scripts.h"

#include <stdio.h>
#include <string.h>

#define LUA(name) extern const char sess_lua_##name##_sha[], sess_lua_##name##_src[];
LUA(create) LUA(join) LUA(leave) LUA(emit) LUA(checkpoint) LUA(complete)
LUA(touch) LUA(delete) LUA(events) LUA(trim)
#undef LUA

static const struct {
	const char *sha;
	const char *src;
} scripts[SESS_LUA_COUNT] = {
#define ENTRY(id, name) [id] = {sess_lua_##name##_sha, sess_lua_##name##_src}
	ENTRY(SESS_LUA_CREATE, create),
	ENTRY(SESS_LUA_JOIN, join),
	ENTRY(SESS_LUA_LEAVE, leave),
	ENTRY(SESS_LUA_EMIT, emit),
	ENTRY(SESS_LUA_CHECKPOINT, checkpoint),
	ENTRY(SESS_LUA_COMPLETE, complete),
	ENTRY(SESS_LUA_TOUCH, touch),
	ENTRY(SESS_LUA_DELETE, delete),
	ENTRY(SESS_LUA_EVENTS, events),
	ENTRY(SESS_LUA_TRIM, trim),
#undef ENTRY
};

const char *sess_script_sha(enum sess_script s) { return scripts[s].sha; }

int sess_script_argv(enum sess_script s, int nkeys, const char **keys,
		     int nargs, const char **args, const char **argv,
		     size_t *lens, char numkeys_buf[8])
{
	int i, argc = 0;

	snprintf(numkeys_buf, 8, "%d", nkeys);
	argv[argc++] = "EVALSHA";
	argv[argc++] = scripts[s].sha;
	argv[argc++] = numkeys_buf;
	for (i = 0; i < nkeys; i++)
		argv[argc++] = keys[i];
	for (i = 0; i < nargs; i++)
		argv[argc++] = args[i];
	for (i = 0; i < argc; i++)
		lens[i] = strlen(argv[i]);
	return argc;
}

int sess_script_is_noscript(const redisReply *r)
{
	return r && r->type == REDIS_REPLY_ERROR && r->str &&
	       !strncmp(r->str, "NOSCRIPT", 8);
}

static int load_one(struct sess_conn *c, enum sess_script s, struct sess_err *err)
{
	redisReply *r = sess_conn_cmdf(c, err, "SCRIPT LOAD %s", scripts[s].src);

	if (!r)
		return -1;
	freeReplyObject(r);
	return 0;
}

int sess_script_load_all(struct sess_conn *c, struct sess_err *err)
{
	int s;

	for (s = 0; s < SESS_LUA_COUNT; s++)
		if (load_one(c, (enum sess_script)s, err))
			return -1;
	return 0;
}

/* The message after the error word, or the whole string. */
static const char *tail(const char *s)
{
	const char *sp = strchr(s, ' ');
	return sp ? sp + 1 : s;
}

int sess_script_error(const struct sess_conn *c, const redisReply *r,
		      struct sess_err *err)
{
	const char *s = r->str ? r->str : "";

	/* Redis 7 may prefix script errors with the script's location. */
	if (!strncmp(s, "SESSNOTFOUND", 12))
		return sess_err_set(err, SESS_E_NEGATIVE, "not_found",
				    "session not found (it never existed, expired or was deleted); see 'sessctl list'");
	if (!strncmp(s, "SESSEXISTS", 10))
		return sess_err_set(err, SESS_E_NEGATIVE, "exists",
				    "%s; pick another --id or leave it out to get a new one", tail(s));
	if (!strncmp(s, "SESSCOMPLETED", 13))
		return sess_err_set(err, SESS_E_NEGATIVE, "completed", "%s", tail(s));
	if (!strncmp(s, "SESSNOTMEMBER", 13))
		return sess_err_set(err, SESS_E_NEGATIVE, "not_member", "%s", tail(s));
	if (!strncmp(s, "SESSSTATE", 9))
		return sess_err_set(err, SESS_E_NEGATIVE, "state_mismatch",
				    "%s; check the session's state with 'sessctl get'", tail(s));
	/* the script checked its arguments and refused them before writing
	 * anything: a caller's bug, or a damaged session (the message names
	 * the argument or stored field) */
	if (!strncmp(s, "SESSBADARG", 10))
		return sess_err_set(err, SESS_E_DATA, "bad_argument", "%s", tail(s));
	if (!strncmp(s, "SESSLAYOUT", 10))
		return sess_err_set(err, SESS_E_CONFIG, "unknown_layout",
				    "%s, which this sesskit (layout %s) does not know; upgrade sesskit",
				    tail(s), "1");
	return sess_conn_reply_error(c, r, err);
}

redisReply *sess_script_call_argv(struct sess_conn *c, enum sess_script s,
				  int argc, const char **argv, const size_t *lens,
				  struct sess_err *err)
{
	redisReply *r = NULL;
	int attempt;

	for (attempt = 0; attempt < 2; attempt++) {
		r = redisCommandArgv(c->ctx, argc, argv, lens);
		if (!r)
			return sess_conn_io_error(c, err), NULL;
		if (!sess_script_is_noscript(r) || attempt == 1)
			break;
		freeReplyObject(r);
		if (load_one(c, s, err))
			return NULL;
	}
	if (r->type == REDIS_REPLY_ERROR) {
		sess_script_error(c, r, err);
		freeReplyObject(r);
		return NULL;
	}
	return r;
}

redisReply *sess_script_call(struct sess_conn *c, enum sess_script s,
			     int nkeys, const char **keys, int nargs,
			     const char **args, struct sess_err *err)
{
	const char *argv[SESS_SCRIPT_MAXARGS + 3];
	size_t lens[SESS_SCRIPT_MAXARGS + 3];
	char nk[8];
	int argc;

	if (nkeys + nargs > SESS_SCRIPT_MAXARGS)
		return sess_err_set(err, SESS_E_INTERNAL, NULL, "too many script arguments"), NULL;
	argc = sess_script_argv(s, nkeys, keys, nargs, args, argv, lens, nk);
	return sess_script_call_argv(c, s, argc, argv, lens, err);
}
