#include "core/redis/reply.h"

#include <stdlib.h>
#include <string.h>

long long sess_reply_int(const redisReply *r, size_t i)
{
	const redisReply *e;

	if (!r || r->type != REDIS_REPLY_ARRAY || i >= r->elements)
		return 0;
	e = r->element[i];
	if (e->type == REDIS_REPLY_INTEGER)
		return e->integer;
	if (e->type == REDIS_REPLY_STRING)
		return strtoll(e->str, NULL, 10);
	return 0;
}

const char *sess_reply_str(const redisReply *r, size_t i)
{
	if (!r || r->type != REDIS_REPLY_ARRAY || i >= r->elements ||
	    r->element[i]->type != REDIS_REPLY_STRING)
		return NULL;
	return r->element[i]->str;
}

int sess_reply_bad(struct sess_err *err, const char *what)
{
	return sess_err_set(err, SESS_E_INTERNAL, "bad_reply",
			    "unexpected reply from Redis to %s; is this a Redis server?", what);
}

cJSON *sess_reply_obj(struct sess_err *err)
{
	cJSON *o = cJSON_CreateObject();

	if (!o)
		sess_err_set(err, SESS_E_INTERNAL, NULL, "out of memory");
	return o;
}

void sess_reply_add_num(cJSON *o, const char *name, const char *v)
{
	if (v)
		cJSON_AddNumberToObject(o, name, strtod(v, NULL));
}
