/* json.h - strict parsing of JSON text that users give.
 *
 * Every JSON text users give (flags, batch lines, ids on stdin, config
 * files) goes through sess_json_parse_err, which takes exactly one value
 * and whitespace (cJSON_Parse stops after the first value and ignores what
 * follows, so '{"a":1} garbage' would pass), and only valid UTF-8 without
 * \u0000 in strings (cJSON would copy bad bytes, and cut a string at
 * \u0000), nested at most SESS_JSON_DEPTH_MAX deep. Pure module: no I/O.
 */
#ifndef SESS_JSON_H
#define SESS_JSON_H

#include <cjson/cJSON.h>

#include "core/base/err.h"

/* The value text holds, or NULL with err (SESS_E_DATA, kind "bad_json")
 * saying why: "WHAT is not valid UTF-8 at byte N", "WHAT holds a \u0000
 * (NUL character) at byte N; ...", "WHAT is nested too deeply (limit N)"
 * or "WHAT is not valid JSON (near \"...\")" followed by "; HINT" when
 * hint is given (a syntax error is where a hint helps). what names the
 * text ("metadata", "--event", the config file's path); with NULL the
 * message has no subject ("not valid UTF-8 at byte N"). Bytes count from
 * 1. Caller frees with cJSON_Delete. */
cJSON *sess_json_parse_err(const char *text, const char *what,
			   const char *hint, struct sess_err *err);

/* Where a parse failed: the byte offset (from 0) of the offending byte
 * and its 1-based line and column (columns count bytes). */
struct sess_json_pos {
	size_t offset;
	long line, col;
};

/* sess_json_parse_err that also says where it failed (pos is zeroed on
 * success). For files, where an editor wants the line. */
cJSON *sess_json_parse_pos(const char *text, const char *what, const char *hint,
			   struct sess_json_pos *pos, struct sess_err *err);

/* The line and column of byte offset off of text. */
void sess_json_line_col(const char *text, size_t off, long *line, long *col);

/* A text sesskit stored (an event, a history record, a checkpoint, a
 * session's metadata), parsed as it is read back: NULL when it is not
 * valid JSON or when an object in it names a key twice (sess_jscan_dup:
 * two readers would see two different records; the text is damaged).
 * Caller frees with cJSON_Delete. */
cJSON *sess_json_parse_stored(const char *text, size_t len);

/* The first key an object in v (at any depth) names twice, or NULL when
 * none does. cJSON keeps both members and finds the first, the server's
 * Lua the last: what sesskit sends to be stored names each key once (the
 * scripts refuse it otherwise). Points into v. */
const char *sess_json_dup_key(const cJSON *v);

/* The same without the reason. */
cJSON *sess_json_parse(const char *text);

/* After sess_json_parse failed on a syntax error: the text near the
 * problem (never NULL; points into the text given, valid while it is). */
const char *sess_json_near(void);

/* The whole number JSON value v holds, in [min, max] (both within
 * +-SESS_SEQ_MAX, so exact as doubles): a number without a fraction; 1.5,
 * "100", true and 1e400 are refused. what names the value in the message
 * ("\"ttl\""), which gives the range. SESS_E_DATA, kind "bad_input". */
int sess_json_long(const cJSON *v, long min, long max, const char *what,
		   long *out, struct sess_err *err);

/* What kind of JSON value v is, for messages: "a string", "a number",
 * "a boolean", "null", "an array", "an object". */
const char *sess_json_type_name(const cJSON *v);

/* v's number as a long long when it is a number within +-2^53 (what a
 * JSON number holds exactly), else dflt: stored or given numbers are never
 * converted out of range (undefined behaviour in C). */
static inline long long sess_json_ll(const cJSON *v, long long dflt)
{
	if (!cJSON_IsNumber(v) ||
	    !(v->valuedouble >= -9007199254740992.0 && v->valuedouble <= 9007199254740992.0))
		return dflt;
	return (long long)v->valuedouble;
}

#endif
