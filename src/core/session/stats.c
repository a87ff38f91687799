#include "core/session/stats.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/model/ids.h"
#include "core/model/keys.h"
#include "core/redis/pipe.h"
#include "core/redis/reply.h"
#include "core/base/schema.h"
#include "core/session/tags.h"
#include "core/session/view.h"

#define TYPE_PREFIX_LEN (sizeof SESS_S_STAT_TYPE_PREFIX - 1)

/* What every tag in use holds, summed: the stats hash's counters, the
 * index entries not expired and all of them. */
struct sums {
	cJSON *types;
	double sessions, events, completed, deleted;
	long long active, indexed;
};

static void add_hash(struct sums *t, const redisReply *h)
{
	size_t i;

	for (i = 0; i + 1 < h->elements; i += 2) {
		const char *f = h->element[i]->str;
		double v = strtod(h->element[i + 1]->str, NULL);
		if (!strncmp(f, SESS_S_STAT_TYPE_PREFIX, TYPE_PREFIX_LEN)) {
			cJSON *was = cJSON_GetObjectItemCaseSensitive(t->types, f + TYPE_PREFIX_LEN);
			if (was)
				cJSON_SetNumberValue(was, was->valuedouble + v);
			else
				cJSON_AddNumberToObject(t->types, f + TYPE_PREFIX_LEN, v);
		} else if (!strcmp(f, SESS_S_STAT_SESSIONS)) {
			t->sessions += v;
		} else if (!strcmp(f, SESS_S_STAT_EVENTS)) {
			t->events += v;
		} else if (!strcmp(f, SESS_S_STAT_COMPLETED)) {
			t->completed += v;
		} else if (!strcmp(f, SESS_S_STAT_DELETED)) {
			t->deleted += v;
		}
	}
}

/* The three replies of one tag (HGETALL, ZCOUNT, ZCARD) into t. */
static int add_tag(struct sess_ctx *s, struct sess_pipe *p, struct sums *t, struct sess_err *err)
{
	redisReply *r[3] = {NULL, NULL, NULL};
	int i, rc = 0;

	for (i = 0; i < 3; i++)
		if (sess_pipe_next(p, &r[i], NULL, err)) {
			rc = -1;
			break;
		}
	if (!rc && (r[0]->type != REDIS_REPLY_ARRAY || r[1]->type != REDIS_REPLY_INTEGER ||
		    r[2]->type != REDIS_REPLY_INTEGER)) {
		const redisReply *e = NULL;
		for (i = 0; i < 3 && !e; i++)
			if (r[i]->type == REDIS_REPLY_ERROR)
				e = r[i];
		if (e) /* refused (the ACL, ...): said as such */
			rc = sess_conn_reply_error(s->conn, e, err);
		else
			rc = sess_reply_bad(err, "stats");
	}
	if (!rc) {
		add_hash(t, r[0]);
		t->active += r[1]->integer;
		t->indexed += r[2]->integer;
	}
	for (i = 0; i < 3; i++)
		if (r[i])
			freeReplyObject(r[i]);
	return rc;
}

int sess_stats(struct sess_ctx *s, cJSON **out, struct sess_err *err)
{
	char stats[SESS_KEY_MAX], idx[SESS_KEY_MAX], layout[SESS_KEY_MAX], now[24];
	struct sums t = {NULL, 0, 0, 0, 0, 0, 0};
	redisReply *lay = NULL;
	struct sess_pipe p;
	const char **tags = NULL;
	cJSON *o = NULL;
	int ntags, i, rc = -1;

	if (sess_tags_used(s, &tags, &ntags, err))
		return -1;
	if (!(t.types = cJSON_CreateObject())) {
		free(tags);
		return sess_err_set(err, SESS_E_INTERNAL, NULL, "out of memory");
	}
	snprintf(now, sizeof now, "%lld", sess_now_ms());
	/* one round trip: the layout marker, then each tag's three reads */
	sess_key_layout(layout, s->cfg->prefix);
	sess_pipe_init(&p, s->conn);
	if (sess_pipe_cmdf(&p, 0, err, "GET %s", layout))
		goto done;
	for (i = 0; i < ntags; i++) {
		sess_key_stats(stats, s->cfg->prefix, tags[i]);
		sess_key_index(idx, s->cfg->prefix, tags[i]);
		if (sess_pipe_cmdf(&p, 0, err, "HGETALL %s", stats) ||
		    sess_pipe_cmdf(&p, 0, err, "ZCOUNT %s %s +inf", idx, now) ||
		    sess_pipe_cmdf(&p, 0, err, "ZCARD %s", idx))
			goto done;
	}
	if (sess_pipe_next(&p, &lay, NULL, err) ||
	    sess_layout_ok(lay->type == REDIS_REPLY_STRING ? lay->str : NULL, err))
		goto done;
	for (i = 0; i < ntags; i++)
		if (add_tag(s, &p, &t, err))
			goto done;
	if (!(o = sess_reply_obj(err)))
		goto done;
	cJSON_AddNumberToObject(o, "activeSessions", (double)t.active);
	cJSON_AddNumberToObject(o, "indexedSessions", (double)t.indexed);
	if (t.completed)
		cJSON_AddNumberToObject(o, "completedSessions", t.completed);
	if (t.deleted)
		cJSON_AddNumberToObject(o, "deletedSessions", t.deleted);
	cJSON_AddNumberToObject(o, "totalSessions", t.sessions);
	cJSON_AddNumberToObject(o, "totalEvents", t.events);
	cJSON_AddNumberToObject(o, "averageEventsPerSession",
				t.sessions > 0 ? (double)(long long)(t.events / t.sessions * 100 + 0.5) / 100 : 0);
	cJSON_AddItemToObject(o, "eventsByType", t.types);
	t.types = NULL;
	*out = o;
	rc = 0;
done:
	if (rc)
		sess_pipe_drain(&p, SESS_PIPE_ALL, NULL);
	sess_pipe_free(&p);
	cJSON_Delete(t.types);
	free(tags);
	if (lay)
		freeReplyObject(lay);
	return rc;
}
