#include "core/session/stats.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/model/ids.h"
#include "core/model/keys.h"
#include "core/redis/pipe.h"
#include "core/redis/reply.h"
#include "core/base/schema.h"
#include "core/session/view.h"

#define TYPE_PREFIX_LEN (sizeof SESS_S_STAT_TYPE_PREFIX - 1)

int sess_stats(struct sess_ctx *s, cJSON **out, struct sess_err *err)
{
	char stats[SESS_KEY_MAX], idx[SESS_KEY_MAX], layout[SESS_KEY_MAX], now[24];
	redisReply *h = NULL, *act = NULL, *all = NULL, *lay = NULL;
	struct sess_pipe p;
	cJSON *o = NULL, *types;
	double sessions = 0, events = 0;
	size_t i;
	int rc = -1;

	sess_key_stats(stats, s->cfg->prefix);
	sess_key_index(idx, s->cfg->prefix);
	sess_key_layout(layout, s->cfg->prefix);
	snprintf(now, sizeof now, "%lld", sess_now_ms());
	sess_pipe_init(&p, s->conn);
	if (sess_pipe_cmdf(&p, 0, err, "HGETALL %s", stats) ||
	    sess_pipe_cmdf(&p, 0, err, "ZCOUNT %s %s +inf", idx, now) ||
	    sess_pipe_cmdf(&p, 0, err, "ZCARD %s", idx) ||
	    sess_pipe_cmdf(&p, 0, err, "GET %s", layout) ||
	    sess_pipe_next(&p, &h, NULL, err) || sess_pipe_next(&p, &act, NULL, err) ||
	    sess_pipe_next(&p, &all, NULL, err) || sess_pipe_next(&p, &lay, NULL, err))
		goto done;
	if (h->type != REDIS_REPLY_ARRAY || act->type != REDIS_REPLY_INTEGER ||
	    all->type != REDIS_REPLY_INTEGER) {
		const redisReply *e = h->type == REDIS_REPLY_ERROR ? h : act->type == REDIS_REPLY_ERROR ? act
				    : all->type == REDIS_REPLY_ERROR ? all : NULL;
		if (e) /* refused (the ACL, ...): said as such */
			sess_conn_reply_error(s->conn, e, err);
		else
			sess_reply_bad(err, "stats");
		goto done;
	}
	if (sess_layout_ok(lay->type == REDIS_REPLY_STRING ? lay->str : NULL, err))
		goto done;
	if (!(o = sess_reply_obj(err)))
		goto done;
	cJSON_AddNumberToObject(o, "activeSessions", (double)act->integer);
	cJSON_AddNumberToObject(o, "indexedSessions", (double)all->integer);
	types = cJSON_CreateObject();
	for (i = 0; i + 1 < h->elements; i += 2) {
		const char *f = h->element[i]->str;
		double v = strtod(h->element[i + 1]->str, NULL);
		if (!strncmp(f, SESS_S_STAT_TYPE_PREFIX, TYPE_PREFIX_LEN))
			cJSON_AddNumberToObject(types, f + TYPE_PREFIX_LEN, v);
		else if (!strcmp(f, SESS_S_STAT_SESSIONS))
			sessions = v;
		else if (!strcmp(f, SESS_S_STAT_EVENTS))
			events = v;
		else if (!strcmp(f, SESS_S_STAT_COMPLETED))
			cJSON_AddNumberToObject(o, "completedSessions", v);
		else if (!strcmp(f, SESS_S_STAT_DELETED))
			cJSON_AddNumberToObject(o, "deletedSessions", v);
	}
	cJSON_AddNumberToObject(o, "totalSessions", sessions);
	cJSON_AddNumberToObject(o, "totalEvents", events);
	cJSON_AddNumberToObject(o, "averageEventsPerSession",
				sessions > 0 ? (double)(long long)(events / sessions * 100 + 0.5) / 100 : 0);
	cJSON_AddItemToObject(o, "eventsByType", types);
	*out = o;
	rc = 0;
done:
	sess_pipe_free(&p);
	if (h) freeReplyObject(h);
	if (act) freeReplyObject(act);
	if (all) freeReplyObject(all);
	if (lay) freeReplyObject(lay);
	return rc;
}
