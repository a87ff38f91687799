#include "core/session/checkpoint.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/model/json.h"
#include "core/model/keys.h"
#include "core/model/limits.h"
#include "core/redis/pipe.h"
#include "core/redis/reply.h"
#include "core/base/schema.h"
#include "core/redis/scripts.h"

int sess_checkpoint(struct sess_ctx *s, const char *id, const char *reason,
		    cJSON **out, struct sess_err *err)
{
	struct sess_keys k;
	const char *args[1];
	redisReply *r;
	cJSON *o;

	if (sess_key_check_id(id, "session id", err) ||
	    sess_check_reason(reason ? reason : "manual", "checkpoint reason", err))
		return -1;
	sess_keys_init(&k, s->cfg->prefix, id);
	args[0] = reason ? reason : "manual";
	r = sess_script_call(s->conn, SESS_LUA_CHECKPOINT, SESS_NKEYS, k.v, 1, args, err);
	if (!r)
		return -1;
	if (!(o = sess_reply_obj(err))) {
		freeReplyObject(r);
		return -1;
	}
	cJSON_AddStringToObject(o, "id", id);
	cJSON_AddNumberToObject(o, "checkpoint", (double)sess_reply_int(r, 0));
	cJSON_AddNumberToObject(o, "seq", (double)sess_reply_int(r, 1));
	cJSON_AddNumberToObject(o, "timestamp", (double)sess_reply_int(r, 2));
	cJSON_AddStringToObject(o, "reason", args[0]);
	freeReplyObject(r);
	*out = o;
	return 0;
}

static cJSON *checkpoint_json(const char *id, const char *text, size_t len,
			      struct sess_err *err)
{
	cJSON *cp = sess_json_parse_stored(text, len);

	if (!cp || !cJSON_IsObject(cp)) {
		cJSON_Delete(cp);
		sess_err_set(err, SESS_E_DATA, "corrupt_checkpoint",
			     "a stored checkpoint of %s is not valid JSON or names a key twice; the session's data is damaged", id);
		return NULL;
	}
	cJSON_AddStringToObject(cp, "sessionId", id);
	return cp;
}

/* Checkpoint hash fields are their numbers; list them in that order. */
struct cp_pair {
	long long n;
	const redisReply *body;
};

static int cmp_cp(const void *a, const void *b)
{
	const struct cp_pair *x = a, *y = b;
	return (x->n > y->n) - (x->n < y->n);
}

int sess_checkpoints(struct sess_ctx *s, const char *id, sess_each_fn each,
		     void *arg, struct sess_err *err)
{
	struct sess_keys k;
	struct sess_pipe p;
	redisReply *ex = NULL, *h = NULL;
	struct cp_pair *pairs = NULL;
	size_t i, n;
	int rc = -1;

	if (sess_key_check_id(id, "session id", err))
		return -1;
	sess_keys_init(&k, s->cfg->prefix, id);
	sess_pipe_init(&p, s->conn);
	if (sess_pipe_cmdf(&p, 0, err, "EXISTS %s", k.meta) ||
	    sess_pipe_cmdf(&p, 0, err, "HGETALL %s", k.cps) ||
	    sess_pipe_next(&p, &ex, NULL, err) || sess_pipe_next(&p, &h, NULL, err))
		goto done;
	if (ex->type == REDIS_REPLY_ERROR || h->type == REDIS_REPLY_ERROR) { /* refused (the ACL, ...) */
		sess_conn_reply_error(s->conn, ex->type == REDIS_REPLY_ERROR ? ex : h, err);
		goto done;
	}
	if (ex->type != REDIS_REPLY_INTEGER || h->type != REDIS_REPLY_ARRAY) {
		sess_reply_bad(err, "HGETALL");
		goto done;
	}
	if (ex->integer == 0) {
		sess_err_set(err, SESS_E_NEGATIVE, "not_found",
			     "session %s not found (it never existed, expired or was deleted)", id);
		goto done;
	}
	n = h->elements / 2;
	pairs = calloc(n ? n : 1, sizeof *pairs);
	if (!pairs) {
		sess_err_set(err, SESS_E_INTERNAL, NULL, "out of memory");
		goto done;
	}
	for (i = 0; i < n; i++) {
		pairs[i].n = strtoll(h->element[2 * i]->str, NULL, 10);
		pairs[i].body = h->element[2 * i + 1];
	}
	qsort(pairs, n, sizeof *pairs, cmp_cp);
	for (i = 0; i < n; i++) {
		cJSON *cp = checkpoint_json(id, pairs[i].body->str, pairs[i].body->len, err);
		int stop;
		if (!cp)
			goto done;
		stop = each(cp, arg);
		cJSON_Delete(cp);
		if (stop)
			break;
	}
	rc = 0;
done:
	sess_pipe_free(&p);
	free(pairs);
	if (ex)
		freeReplyObject(ex);
	if (h)
		freeReplyObject(h);
	return rc;
}

int sess_checkpoint_show(struct sess_ctx *s, const char *id, long number,
			 cJSON **out, struct sess_err *err)
{
	struct sess_keys k;
	char num[24];
	redisReply *r;
	cJSON *cp;

	if (sess_key_check_id(id, "session id", err))
		return -1;
	sess_keys_init(&k, s->cfg->prefix, id);
	snprintf(num, sizeof num, "%ld", number);
	r = sess_conn_cmdf(s->conn, err, "HGET %s %s", k.cps, num);
	if (!r)
		return -1;
	if (r->type != REDIS_REPLY_STRING) {
		freeReplyObject(r);
		return sess_err_set(err, SESS_E_NEGATIVE, "not_found",
				    "session %s has no checkpoint %ld; list its checkpoints to see which it has",
				    id, number);
	}
	cp = checkpoint_json(id, r->str, r->len, err);
	freeReplyObject(r);
	if (!cp)
		return -1;
	*out = cp;
	return 0;
}
