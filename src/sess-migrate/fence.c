#include "sess-migrate/fence.h"

#include <stdio.h>
#include <string.h>

#include "core/model/keys.h"
#include "core/model/slot.h"
#include "core/redis/pipe.h"
#include "core/redis/reply.h"
#include "core/redis/scan.h"
#include "core/redis/scripts.h"

/* Run fence.lua with value on every session's meta key (one SCAN page a
 * pipeline), calling tick (may be NULL) after each page. */
static int each_session(struct sess_conn *c, const char *prefix, const char *value,
			long *n, void (*tick)(void *), void *arg, struct sess_err *err)
{
	char match[SESS_KEY_MAX];
	struct sess_scan it;
	const redisReply *keys;
	long count = 0;
	int more;

	sess_key_meta_pattern(match, prefix);
	if (sess_script_load_all(c, err))
		return -1;
	sess_scan_init(&it, c, "SCAN", NULL, match, 500);
	while ((more = sess_scan_next(&it, &keys, err)) == 1) {
		struct sess_pipe p;
		size_t i;
		int rc = 0;

		sess_pipe_init(&p, c);
		for (i = 0; i < keys->elements && !rc; i++) {
			const char *argv[5] = {"EVALSHA", sess_script_sha(SESS_LUA_FENCE), "1",
					       keys->element[i]->str, value};
			size_t lens[5];
			int j;
			for (j = 0; j < 5; j++)
				lens[j] = strlen(argv[j]);
			rc = sess_pipe_argv(&p, SESS_LUA_FENCE, 0, 5, argv, lens, err);
		}
		while (!rc && sess_pipe_pending(&p)) {
			redisReply *x;
			if ((rc = sess_pipe_next(&p, &x, NULL, err)))
				break;
			if (x->type == REDIS_REPLY_ERROR)
				rc = sess_script_error(c, x, err);
			else if (x->type == REDIS_REPLY_INTEGER && x->integer == 1)
				count++;
			freeReplyObject(x);
		}
		sess_pipe_free(&p);
		if (rc) {
			sess_scan_free(&it);
			return -1;
		}
		if (tick)
			tick(arg);
	}
	sess_scan_free(&it);
	if (more < 0)
		return -1;
	if (n)
		*n = count;
	return 0;
}

/* On a cluster the fence is per slot (layout 3: each slot's create
 * script reads its own, PREFIX:#{TAG}:fence): cmd on every slot's, one
 * pipeline routed per master; value NULL for DEL. tick (may be NULL)
 * after each 1024. */
static int each_slot(struct sess_conn *c, const char *prefix, const char *value,
		     void (*tick)(void *), void *arg, struct sess_err *err)
{
	char key[SESS_KEY_MAX];
	struct sess_pipe p;
	int i, rc = 0;

	sess_pipe_init(&p, c);
	for (i = 0; i < SESS_SLOTS && !rc; i++) {
		sess_key_fence(key, prefix, sess_slot_tag(i));
		rc = value ? sess_pipe_cmdf(&p, 0, err, "SET %s %s", key, value)
			   : sess_pipe_cmdf(&p, 0, err, "DEL %s", key);
		if (!rc && sess_pipe_pending(&p) >= 1024 && !(rc = sess_pipe_run(&p, err)) && tick)
			tick(arg);
	}
	if (!rc)
		rc = sess_pipe_run(&p, err);
	sess_pipe_drain(&p, SESS_PIPE_ALL, NULL);
	sess_pipe_free(&p);
	return rc;
}

int sess_fence_set(struct sess_conn *c, const char *prefix, const char *where,
		   long *n, void (*tick)(void *arg), void *arg, struct sess_err *err)
{
	char key[SESS_KEY_MAX];
	redisReply *r;

	if (!where[0] || strlen(where) > 512)
		return sess_err_set(err, SESS_E_USAGE, NULL,
				    "the fence's target description must be 1 to 512 bytes");
	if (c->cl) {
		if (each_slot(c, prefix, where, tick, arg, err))
			return -1;
		return each_session(c, prefix, where, n, tick, arg, err);
	}
	sess_key_fence(key, prefix, SESS_S_TAG_ONE);
	if (!(r = sess_conn_cmdf(c, err, "SET %s %s", key, where)))
		return -1;
	freeReplyObject(r);
	return each_session(c, prefix, where, n, tick, arg, err);
}

int sess_fence_lift(struct sess_conn *c, const char *prefix, long *n,
		    struct sess_err *err)
{
	char key[SESS_KEY_MAX];
	redisReply *r;

	if (c->cl) {
		if (each_slot(c, prefix, NULL, NULL, NULL, err))
			return -1;
		return each_session(c, prefix, "", n, NULL, NULL, err);
	}
	sess_key_fence(key, prefix, SESS_S_TAG_ONE);
	if (!(r = sess_conn_cmdf(c, err, "DEL %s", key)))
		return -1;
	freeReplyObject(r);
	return each_session(c, prefix, "", n, NULL, NULL, err);
}

int sess_fence_get(struct sess_conn *c, const char *prefix, char *buf,
		   size_t size, struct sess_err *err)
{
	char key[SESS_KEY_MAX];
	redisReply *r;

	/* (a cluster's fence is in every slot: slot 0's says) */
	sess_key_fence(key, prefix, c->cl ? sess_slot_tag(0) : SESS_S_TAG_ONE);
	if (!(r = sess_conn_cmdf(c, err, "GET %s", key)))
		return -1;
	snprintf(buf, size, "%s", r->type == REDIS_REPLY_STRING ? r->str : "");
	freeReplyObject(r);
	return 0;
}
