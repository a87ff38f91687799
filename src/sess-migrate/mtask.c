#include "sess-migrate/mtask.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/model/ids.h"
#include "core/model/slot.h"
#include "core/model/syncbeat.h"
#include "core/redis/pipe.h"

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
	snprintf(t->prefix, sizeof t->prefix, "%s", prefix);
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
	int n = cJSON_GetArraySize(info), argc = 2, rc = 0;
	const char **argv = calloc((size_t)n * 2 + 2, sizeof *argv);
	char (*num)[32] = calloc((size_t)n + 1, sizeof *num);

	if (!argv || !num) {
		rc = sess_err_set(err, SESS_E_INTERNAL, NULL, "out of memory");
		goto out;
	}
	if (!(r = sess_conn_cmdf(c, err, "ZADD %s NX %lld %s", t->reg, now, t->name))) {
		rc = -1;
		goto out;
	}
	if (r->integer == 0) {
		freeReplyObject(r);
		rc = sess_err_set(err, SESS_E_USAGE, "task_exists",
				  "a task named %s exists on the target; continue it with 'sess-migrate resume %s' or pick another --task",
				  t->name, t->name);
		goto out;
	}
	freeReplyObject(r);
	/* the whole description in one HSET: a task is never seen half
	 * written (a sync's status and first heartbeat together) */
	argv[0] = "HSET";
	argv[1] = t->key;
	cJSON_ArrayForEach(e, info) {
		const char *v = cJSON_GetStringValue(e);
		if (cJSON_IsNumber(e)) {
			snprintf(num[argc / 2], sizeof num[0], "%.0f", e->valuedouble);
			v = num[argc / 2];
		}
		if (!v)
			continue;
		argv[argc++] = e->string;
		argv[argc++] = v;
	}
	if (argc == 2)
		goto out;
	if (!(r = sess_conn_call(c, err, argc, argv, NULL))) {
		rc = -1;
		goto out;
	}
	if (r->type == REDIS_REPLY_ERROR)
		rc = sess_conn_reply_error(c, r, err);
	freeReplyObject(r);
out:
	free(argv);
	free(num);
	return rc;
}

static long long field_ll(const redisReply *r, const char *f)
{
	size_t i;

	for (i = 0; i + 1 < r->elements; i += 2)
		if (!strcmp(r->element[i]->str, f))
			return strtoll(r->element[i + 1]->str, NULL, 10);
	return 0;
}

void sess_mtask_at(const struct sess_mtask *t, const char *tag, struct sess_mtask *out)
{
	*out = *t;
	if (!tag)
		return;
	sess_key_migrate_at(out->done, t->prefix, tag, t->name, "done");
	sess_key_migrate_at(out->backup, t->prefix, tag, t->name, "backup");
	sess_key_migrate_at(out->upkeep, t->prefix, tag, t->name, "upkeep");
}

void sess_mtask_for(struct sess_conn *c, const struct sess_mtask *t, const char *id,
		    struct sess_mtask *out)
{
	sess_mtask_at(t, c->cl ? sess_key_tag(id, 1) : NULL, out);
}

int sess_mtask_tags(struct sess_conn *c, const struct sess_mtask *t, const char ***tags,
		    int *n, struct sess_err *err)
{
	struct sess_pipe p;
	int i, rc = 0;

	*n = 0;
	if (!(*tags = malloc((c->cl ? SESS_SLOTS : 1) * sizeof **tags)))
		return sess_err_set(err, SESS_E_INTERNAL, NULL, "out of memory");
	if (!c->cl) {
		(*tags)[(*n)++] = NULL;
		return 0;
	}
	sess_pipe_init(&p, c);
	for (i = 0; i < SESS_SLOTS && !rc; i++) {
		struct sess_mtask at;
		sess_mtask_at(t, sess_slot_tag(i), &at);
		rc = sess_pipe_cmdf(&p, i, err, "EXISTS %s %s %s", at.done, at.backup, at.upkeep);
	}
	while (!rc && sess_pipe_pending(&p)) {
		redisReply *r;
		long slot;
		if ((rc = sess_pipe_next(&p, &r, &slot, err)))
			break;
		if (r->type == REDIS_REPLY_INTEGER && r->integer > 0)
			(*tags)[(*n)++] = sess_slot_tag((int)slot);
		else if (r->type == REDIS_REPLY_ERROR)
			rc = sess_conn_reply_error(c, r, err);
		freeReplyObject(r);
	}
	if (rc)
		sess_pipe_drain(&p, SESS_PIPE_ALL, NULL);
	sess_pipe_free(&p);
	if (rc) {
		free(*tags);
		*tags = NULL;
		*n = 0;
	}
	return rc;
}

/* The counts #c #r #s into sum[3]: t's own on a standalone server, the
 * sum of every slot's on a cluster. */
static int counts(struct sess_conn *c, const struct sess_mtask *t, long long sum[3],
		  struct sess_err *err)
{
	const char **tags;
	int n, i, k, rc = 0;
	struct sess_pipe p;

	sum[0] = sum[1] = sum[2] = 0;
	if (sess_mtask_tags(c, t, &tags, &n, err))
		return -1;
	sess_pipe_init(&p, c);
	for (i = 0; i < n && !rc; i++) {
		struct sess_mtask at;
		sess_mtask_at(t, tags[i], &at);
		rc = sess_pipe_cmdf(&p, i, err, "HMGET %s #c #r #s", at.done);
	}
	while (!rc && sess_pipe_pending(&p)) {
		redisReply *r;
		if ((rc = sess_pipe_next(&p, &r, NULL, err)))
			break;
		for (k = 0; k < 3 && r->type == REDIS_REPLY_ARRAY && (size_t)k < r->elements; k++)
			if (r->element[k]->type == REDIS_REPLY_STRING)
				sum[k] += strtoll(r->element[k]->str, NULL, 10);
		freeReplyObject(r);
	}
	if (rc)
		sess_pipe_drain(&p, SESS_PIPE_ALL, NULL);
	sess_pipe_free(&p);
	free(tags);
	return rc;
}

int sess_mtask_load(struct sess_conn *c, const struct sess_mtask *t,
		    cJSON **out, struct sess_err *err)
{
	redisReply *r;
	long long sum[3];
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
	if (counts(c, t, sum, err)) {
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
	cJSON_AddNumberToObject(o, "copied", (double)sum[0]);
	cJSON_AddNumberToObject(o, "replaced", (double)sum[1]);
	cJSON_AddNumberToObject(o, "skipped", (double)sum[2]);
	(void)field_ll;
	freeReplyObject(r);
	*out = o;
	return 0;
}

static double num_of(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);

	return cJSON_IsNumber(v) ? v->valuedouble : NAN;
}

void sess_mtask_add_state(cJSON *o, long long now_ms)
{
	const char *kind = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, "kind"));
	const char *status = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, "status"));
	double beat = num_of(o, SESS_MTASK_F_BEAT_AT), every = num_of(o, SESS_MTASK_F_BEAT_EVERY);
	const char *state;

	if (!kind || strcmp(kind, "sync"))
		return;
	state = sess_sync_state(status, beat, every, now_ms);
	cJSON_AddStringToObject(o, "state", state);
	if (!isnan(beat)) {
		cJSON_AddNumberToObject(o, "heartbeatAge", (double)(now_ms - (long long)beat) / 1000.0);
		cJSON_AddNumberToObject(o, "staleAfter", (double)sess_sync_beat_bound(every) / 1000.0);
	}
	if (!strcmp(state, "stale") && cJSON_GetObjectItemCaseSensitive(o, SESS_MTASK_F_LAG_AT))
		cJSON_AddBoolToObject(o, "lagStale", 1);
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
	if (c->cl) {
		const char **tags;
		int n, i;
		if (sess_mtask_tags(c, t, &tags, &n, err))
			return -1;
		for (i = 0; i < n; i++) {
			struct sess_mtask at;
			sess_mtask_at(t, tags[i], &at);
			if (!(r = sess_conn_cmdf(c, err, "DEL %s %s %s", at.done, at.backup, at.upkeep))) {
				free(tags);
				return -1;
			}
			freeReplyObject(r);
		}
		free(tags);
	}
	if (!(r = sess_conn_cmdf(c, err, "ZREM %s %s", t->reg, t->name)))
		return -1;
	freeReplyObject(r);
	return 0;
}
