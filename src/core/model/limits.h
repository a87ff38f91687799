/* limits.h - the ranges of the values users give, defined once.
 *
 * Flags, batch fields, config settings and the core functions all check
 * against these, so a value one way of asking refuses is refused by every
 * other. The numbers live in schema.h, from which the Lua scripts get the
 * same ranges (generated at build time) to check them again on the server.
 */
#ifndef SESS_LIMITS_H
#define SESS_LIMITS_H

#include "core/base/err.h"
#include "core/base/schema.h"

#define SESS_TTL_MIN ((long)SESS_S_TTL_MIN)         /* seconds */
#define SESS_TTL_MAX ((long)SESS_S_TTL_MAX)         /* ten years, in seconds */
#define SESS_REASON_MAX SESS_S_REASON_MAX           /* a checkpoint's reason, bytes */
#define SESS_INTERVAL_MAX ((long)SESS_S_INTERVAL_MAX)     /* checkpointInterval */
#define SESS_MAX_EVENTS_MAX ((long)SESS_S_MAX_EVENTS_MAX) /* maxEventsPerSession */
/* seqs, counts and limits: 2^53 - 1, the largest whole number a JSON
 * reader (and Lua) holds exactly */
#define SESS_SEQ_MAX ((long)SESS_S_SEQ_MAX)
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
