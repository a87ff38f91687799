#include "sess-migrate/mtask.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/model/ids.h"

int sess_mtask_init(struct sess_mtask *t, const char *prefix, const char *name,
		    struct sess_err *err)
{
	memset(t, 0, sizeof *t);
	if (name && *name) {
		if (sess_key_check_id(name, "task name", err)) {
			err->cls = SESS_E_USAGE;
			return -1;
		}
		snprintf(t->name, sizeof t->name, "%s", name);
	} else {
		time_t now = time(NULL);
		struct tm tm;
		gmtime_r(&now, &tm);
		snprintf(t->name, sizeof t->name, "mig-%04d%02d%02d-%02d%02d%02d-%04x",
			 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
			 tm.tm_sec, (unsigned)(getpid() ^ (unsigned)now) & 0xffff);
	}
	sess_key_migrate(t->key, prefix, t->name, NULL);
	sess_key_migrate(t->done, prefix, t->name, "done");
	sess_key_migrate(t->backup, prefix, t->name, "backup");
	sess_key_migrate(t->plan, prefix, t->name, "plan");
	sess_key_migrate(t->upkeep, prefix, t->name, "upkeep");
	sess_key_migrate(t->reg, prefix, NULL, NULL);
	return 0;
}

int sess_mtask_create(struct sess_conn *c, const struct sess_mtask *t,
		      const cJSON *info, struct sess_err *err)
{
	redisReply *r;
	const cJSON *e;
	long long now = sess_now_ms();

	if (!(r = sess_conn_cmdf(c, err, "ZADD %s NX %lld %s", t->reg, now, t->name)))
		return -1;
	if (r->integer == 0) {
		freeReplyObject(r);
		return sess_err_set(err, SESS_E_USAGE, "task_exists",
				    "a task named %s exists on the target; continue it with 'sess-migrate resume %s' or pick another --task",
				    t->name, t->name);
	}
	freeReplyObject(r);
	cJSON_ArrayForEach(e, info) {
		char num[32];
		const char *v = cJSON_GetStringValue(e);
		if (cJSON_IsNumber(e)) {
			snprintf(num, sizeof num, "%.0f", e->valuedouble);
			v = num;
		}
		if (!v)
			continue;
		if (!(r = sess_conn_cmdf(c, err, "HSET %s %s %s", t->key, e->string, v)))
			return -1;
		freeReplyObject(r);
	}
	return 0;
}

static long long field_ll(const redisReply *r, const char *f)
{
	size_t i;

	for (i = 0; i + 1 < r->elements; i += 2)
		if (!strcmp(r->element[i]->str, f))
			return strtoll(r->element[i + 1]->str, NULL, 10);
	return 0;
}

int sess_mtask_load(struct sess_conn *c, const struct sess_mtask *t,
		    cJSON **out, struct sess_err *err)
{
	redisReply *r, *d;
	cJSON *o;
	size_t i;

	*out = NULL;
	if (!(r = sess_conn_cmdf(c, err, "HGETALL %s", t->key)))
		return -1;
	if (r->type != REDIS_REPLY_ARRAY || r->elements == 0) {
		freeReplyObject(r);
		return sess_err_set(err, SESS_E_NEGATIVE, "no_task",
				    "no task %s on %s; 'sess-migrate tasks --to URL' lists them (the state lives on the target)",
				    t->name, c->where);
	}
	if (!(d = sess_conn_cmdf(c, err, "HMGET %s #c #r #s", t->done))) {
		freeReplyObject(r);
		return -1;
	}
	o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "task", t->name);
	for (i = 0; i + 1 < r->elements; i += 2) {
		const char *f = r->element[i]->str, *v = r->element[i + 1]->str;
		char *end;
		double n = strtod(v, &end);
		if (*v && !*end && strcmp(f, "from") && strcmp(f, "to") && strcmp(f, "task"))
			cJSON_AddNumberToObject(o, f, n);
		else
			cJSON_AddStringToObject(o, f, v);
	}
	cJSON_AddNumberToObject(o, "copied", (double)strtoll(d->element[0]->str ? d->element[0]->str : "0", NULL, 10));
	cJSON_AddNumberToObject(o, "replaced", (double)strtoll(d->element[1]->str ? d->element[1]->str : "0", NULL, 10));
	cJSON_AddNumberToObject(o, "skipped", (double)strtoll(d->element[2]->str ? d->element[2]->str : "0", NULL, 10));
	(void)field_ll;
	freeReplyObject(r);
	freeReplyObject(d);
	*out = o;
	return 0;
}

int sess_mtask_set(struct sess_conn *c, const struct sess_mtask *t,
		   const char *field, const char *value, struct sess_err *err)
{
	redisReply *r = sess_conn_cmdf(c, err, "HSET %s %s %s", t->key, field, value);

	if (!r)
		return -1;
	freeReplyObject(r);
	return 0;
}

int sess_mtask_add(struct sess_conn *c, const struct sess_mtask *t,
		   const char *field, long n, struct sess_err *err)
{
	redisReply *r;

	if (!n)
		return 0;
	if (!(r = sess_conn_cmdf(c, err, "HINCRBY %s %s %ld", t->key, field, n)))
		return -1;
	freeReplyObject(r);
	return 0;
}

int sess_mtask_forget(struct sess_conn *c, const struct sess_mtask *t,
		      struct sess_err *err)
{
	redisReply *r = sess_conn_cmdf(c, err, "DEL %s %s %s %s %s", t->key, t->done,
				       t->backup, t->plan, t->upkeep);

	if (!r)
		return -1;
	freeReplyObject(r);
	if (!(r = sess_conn_cmdf(c, err, "ZREM %s %s", t->reg, t->name)))
		return -1;
	freeReplyObject(r);
	return 0;
}
