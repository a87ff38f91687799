/* limits.h - the ranges of the values users give, defined once.
 *
 * Flags, batch fields, config settings and the core functions all check
 * against these, so a value one way of asking refuses is refused by every
 * other. The Lua scripts check the same ranges again on the server (their
 * copy is in src/core/lua/prelude.lua; test_core checks that it agrees).
 */
#ifndef SESS_LIMITS_H
#define SESS_LIMITS_H

#include "err.h"

#define SESS_TTL_MIN 1L           /* seconds */
#define SESS_TTL_MAX 315360000L   /* ten years, in seconds */
#define SESS_REASON_MAX 64        /* a checkpoint's reason, bytes */
#define SESS_INTERVAL_MAX 100000000L      /* checkpointInterval, events */
#define SESS_MAX_EVENTS_MAX 1000000000L   /* maxEventsPerSession */
/* seqs, counts and limits: 2^53 - 1, the largest whole number a JSON
 * reader (and Lua) holds exactly */
#define SESS_SEQ_MAX 9007199254740991L
/* JSON users give nests at most this deep (cJSON gives up at 1000 without
 * saying why; printing and Lua's cjson recurse too) */
#define SESS_JSON_DEPTH_MAX 100

/* A TTL in seconds, SESS_TTL_MIN..SESS_TTL_MAX. what names the value in
 * the message ("--ttl", "\"ttl\""). SESS_E_DATA, kind "bad_ttl". */
int sess_check_ttl(long ttl, const char *what, struct sess_err *err);

/* A checkpoint's reason: 1..SESS_REASON_MAX bytes of UTF-8 without control
 * characters. SESS_E_DATA, kind "bad_input". */
int sess_check_reason(const char *reason, const char *what,
		      struct sess_err *err);

#endif
