/* cluster_side.c - see cluster_side.h */
#include "cluster_side.h"

#include <stdlib.h>
#include <string.h>

#include "core/redis/pipe.h"

const char *mig_tag(struct sess_conn *c, const char *id)
{
	return sess_key_tag(id, c->cl != NULL);
}

int mig_put(struct mig_run *run, struct sess_pipe *p, const struct sess_snap *s, long tag,
	    struct sess_err *err)
{
	struct sess_mtask t;

	sess_mtask_for(&run->dst->conn, &run->task, s->id, &t);
	return sess_snap_put(p, run->dst->cfg.prefix, s, run->mode, t.done, t.backup, t.upkeep,
			     tag, err);
}

int mig_marks(struct mig_run *run, char **ids, int n, char *marked, struct sess_err *err)
{
	struct sess_conn *c = &run->dst->conn;
	struct sess_pipe p;
	int i, rc = 0;

	if (!c->cl) {
		struct sess_argv av;
		redisReply *r;
		sess_argv_init(&av);
		sess_argv_add(&av, "HMGET");
		sess_argv_add(&av, run->task.done);
		for (i = 0; i < n; i++)
			sess_argv_add(&av, ids[i]);
		r = sess_argv_cmd(c, &av, err);
		sess_argv_free(&av);
		if (!r)
			return -1;
		if (r->type != REDIS_REPLY_ARRAY || r->elements != (size_t)n) {
			freeReplyObject(r);
			return sess_err_set(err, SESS_E_INTERNAL, NULL, "unexpected reply to HMGET");
		}
		for (i = 0; i < n; i++)
			marked[i] = r->element[i]->type == REDIS_REPLY_STRING;
		freeReplyObject(r);
		return 0;
	}
	sess_pipe_init(&p, c);
	for (i = 0; i < n && !rc; i++) {
		struct sess_mtask t;
		sess_mtask_for(c, &run->task, ids[i], &t);
		rc = sess_pipe_cmdf(&p, i, err, "HGET %s %s", t.done, ids[i]);
	}
	while (!rc && sess_pipe_pending(&p)) {
		redisReply *r;
		long at;
		if ((rc = sess_pipe_next(&p, &r, &at, err)))
			break;
		if (r->type == REDIS_REPLY_ERROR)
			rc = sess_conn_reply_error(c, r, err);
		else if (at >= 0 && at < n)
			marked[at] = r->type == REDIS_REPLY_STRING;
		freeReplyObject(r);
	}
	if (rc)
		sess_pipe_drain(&p, SESS_PIPE_ALL, NULL);
	sess_pipe_free(&p);
	return rc;
}

int mig_marks_set(struct mig_run *run, char **ids, int n, const char *v, struct sess_err *err)
{
	struct sess_conn *c = &run->dst->conn;
	struct sess_pipe p;
	int i, rc = 0;

	if (n == 0)
		return 0;
	if (!c->cl) {
		struct sess_argv av;
		redisReply *r;
		sess_argv_init(&av);
		sess_argv_add(&av, v ? "HSET" : "HDEL");
		sess_argv_add(&av, run->task.done);
		for (i = 0; i < n; i++) {
			sess_argv_add(&av, ids[i]);
			if (v)
				sess_argv_add(&av, v);
		}
		r = sess_argv_cmd(c, &av, err);
		sess_argv_free(&av);
		if (!r)
			return -1;
		freeReplyObject(r);
		return 0;
	}
	sess_pipe_init(&p, c);
	for (i = 0; i < n && !rc; i++) {
		struct sess_mtask t;
		sess_mtask_for(c, &run->task, ids[i], &t);
		rc = v ? sess_pipe_cmdf(&p, 0, err, "HSET %s %s %s", t.done, ids[i], v)
		       : sess_pipe_cmdf(&p, 0, err, "HDEL %s %s", t.done, ids[i]);
	}
	if (!rc)
		rc = sess_pipe_run(&p, err);
	sess_pipe_drain(&p, SESS_PIPE_ALL, NULL);
	sess_pipe_free(&p);
	return rc;
}
