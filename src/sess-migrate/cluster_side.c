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

int mig_sync_refuse_cluster(struct cli_app *a, struct mig_side *src, struct mig_side *dst)
{
	const char *what = src && src->conn.cl ? "--from" : dst && dst->conn.cl ? "--to" : NULL;

	if (!what)
		return 0;
	sess_err_set(&a->err, SESS_E_CONFIG, "cluster",
		     "%s is a Redis Cluster: sess-migrate sync does not follow a cluster yet (its listener has no sharded form); move the data with 'sess-migrate copy', then 'resume' the task for what changed since",
		     what);
	return cli_app_fail(a);
}
