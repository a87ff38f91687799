/* cluster_side.c - see cluster_side.h */
#include "cluster_side.h"

#include <stdlib.h>
#include <string.h>

#include "core/redis/pipe.h"

const char *mig_tag(struct sess_conn *c, const char *id)
{
	return sess_key_tag(id, c->cl != NULL);
}

/* (for grouping a batch by slot tag: the tags are static strings) */
struct tagged {
	const char *tag;
	int at;
};

static int tagged_cmp(const void *x, const void *y)
{
	const struct tagged *a = x, *b = y;
	int c = strcmp(a->tag, b->tag);

	return c ? c : a->at - b->at;
}

/* The task keys of tag into out at *at (a packed buffer; NULL: only
 * counts), *at moved past them. */
static void pack_keys(const struct sess_mtask *task, const char *tag, char *buf, size_t *at,
		      struct sess_put_task *out)
{
	struct sess_mtask t;
	const char *k[3];
	int j;

	sess_mtask_at(task, tag, &t);
	k[0] = t.done;
	k[1] = t.backup;
	k[2] = t.upkeep;
	for (j = 0; j < 3; j++) {
		size_t len = strlen(k[j]) + 1;
		if (buf) {
			memcpy(buf + *at, k[j], len);
			if (j == 0)
				out->done = buf + *at;
			else if (j == 1)
				out->backup = buf + *at;
			else
				out->upkeep = buf + *at;
		}
		*at += len;
	}
}

int mig_put_groups(struct mig_run *run, const struct sess_snap *snaps, const int *ok, int n,
		   int *grp, struct sess_put_task **tasks, struct sess_err *err)
{
	struct tagged *t;
	size_t len = 0, at;
	char *buf;
	int i, k = 0, g = 0;

	*tasks = NULL;
	if (!run->dst->conn.cl) {
		for (i = 0; i < n; i++)
			grp[i] = ok[i] ? 1 : 0;
		pack_keys(&run->task, NULL, NULL, &len, NULL);
		if (!(*tasks = malloc(sizeof **tasks + len)))
			return sess_err_set(err, SESS_E_INTERNAL, NULL, "out of memory");
		at = 0;
		pack_keys(&run->task, NULL, (char *)(*tasks + 1), &at, *tasks);
		return 0;
	}
	/* a cluster: one group per slot tag, in the tags' order */
	if (!(t = malloc(((size_t)n + 1) * sizeof *t)))
		return sess_err_set(err, SESS_E_INTERNAL, NULL, "out of memory");
	for (i = 0; i < n; i++) {
		grp[i] = 0;
		if (ok[i]) {
			t[k].tag = mig_tag(&run->dst->conn, snaps[i].id);
			t[k++].at = i;
		}
	}
	qsort(t, (size_t)k, sizeof *t, tagged_cmp);
	for (i = 0; i < k; i++)
		if (i == 0 || strcmp(t[i].tag, t[i - 1].tag)) {
			g++;
			pack_keys(&run->task, t[i].tag, NULL, &len, NULL);
		}
	if (!(*tasks = malloc((size_t)g * sizeof **tasks + len + 1))) {
		free(t);
		return sess_err_set(err, SESS_E_INTERNAL, NULL, "out of memory");
	}
	buf = (char *)(*tasks + g);
	for (i = 0, g = 0, at = 0; i < k; i++) {
		if (i == 0 || strcmp(t[i].tag, t[i - 1].tag))
			pack_keys(&run->task, t[i].tag, buf, &at, &(*tasks)[g++]);
		grp[t[i].at] = g;
	}
	free(t);
	return 0;
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
