/* reply.h - reading hiredis replies and building result objects, for the
 * core's operation modules. Pure: no I/O. */
#ifndef SESS_REPLY_H
#define SESS_REPLY_H

#include <cjson/cJSON.h>
#include <hiredis/hiredis.h>

#include "core/base/err.h"

/* Element i of an array reply as a number (integer or decimal string);
 * 0 when r is not an array, i is past its end or the element is neither. */
long long sess_reply_int(const redisReply *r, size_t i);

/* Element i of an array reply as a string (borrowed from r), or NULL. */
const char *sess_reply_str(const redisReply *r, size_t i);

/* Set err for a reply of the wrong shape to what (a command or script
 * name) and return -1. */
int sess_reply_bad(struct sess_err *err, const char *what);

/* A new empty object, or NULL with err set (out of memory). */
cJSON *sess_reply_obj(struct sess_err *err);

/* Add name: the number in decimal text v (nothing when v is NULL). */
void sess_reply_add_num(cJSON *o, const char *name, const char *v);

#endif
