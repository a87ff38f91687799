/* json.h - strict parsing of JSON text that users give.
 *
 * cJSON_Parse stops after the first value and ignores what follows, so
 * '{"a":1} garbage' would pass; sess_json_parse refuses anything but one
 * value and whitespace. Pure module: no I/O.
 */
#ifndef SESS_JSON_H
#define SESS_JSON_H

#include <cjson/cJSON.h>

#include "err.h"

/* The value text holds, or NULL when it is not exactly one JSON value.
 * Caller frees with cJSON_Delete. */
cJSON *sess_json_parse(const char *text);

/* After a failed sess_json_parse: the text near the problem (never NULL;
 * points into the text given, valid while it is). */
const char *sess_json_near(void);

/* The whole number JSON value v holds, in [min, max] (both within
 * +-SESS_SEQ_MAX, so exact as doubles): a number without a fraction; 1.5,
 * "100", true and 1e400 are refused. what names the value in the message
 * ("\"ttl\""), which gives the range. SESS_E_DATA, kind "bad_input". */
int sess_json_long(const cJSON *v, long min, long max, const char *what,
		   long *out, struct sess_err *err);

#endif
