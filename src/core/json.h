/* json.h - strict parsing of JSON text that users give.
 *
 * cJSON_Parse stops after the first value and ignores what follows, so
 * '{"a":1} garbage' would pass; sess_json_parse refuses anything but one
 * value and whitespace. Pure module: no I/O.
 */
#ifndef SESS_JSON_H
#define SESS_JSON_H

#include <cjson/cJSON.h>

/* The value text holds, or NULL when it is not exactly one JSON value.
 * Caller frees with cJSON_Delete. */
cJSON *sess_json_parse(const char *text);

/* After a failed sess_json_parse: the text near the problem (never NULL;
 * points into the text given, valid while it is). */
const char *sess_json_near(void);

#endif
