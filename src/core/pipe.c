#include "pipe.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#define RELOAD_TRIES 3

void sess_pipe_init(struct sess_pipe *p, struct sess_conn *conn)
{
	memset(p, 0, sizeof *p);
	p->conn = conn;
}

static struct sess_pipe_ent *at(const struct sess_pipe *p, size_t i)
{
	return &p->q[(p->head + i) % p->cap];
}

static void drop(struct sess_pipe_ent *e)
{
	free(e->cmd);
	if (e->reply)
		freeReplyObject(e->reply);
	memset(e, 0, sizeof *e);
}

void sess_pipe_free(struct sess_pipe *p)
{
	while (p->n) {
		drop(at(p, 0));
		p->head = (p->head + 1) % p->cap;
		p->n--;
	}
	free(p->q);
	p->q = NULL;
	p->cap = p->head = 0;
}

/* Queue cmd (taking it) and send it. */
static int push(struct sess_pipe *p, char *cmd, int len, int s, long tag,
		struct sess_err *err)
{
	struct sess_pipe_ent *e;

	if (len < 0)
		return sess_err_set(err, SESS_E_INTERNAL, NULL, "out of memory");
	if (p->n == p->cap) {
		size_t cap = p->cap ? 2 * p->cap : 64, i;
		struct sess_pipe_ent *q = calloc(cap, sizeof *q);
		if (!q) {
			free(cmd);
			return sess_err_set(err, SESS_E_INTERNAL, NULL, "out of memory");
		}
		for (i = 0; i < p->n; i++)
			q[i] = *at(p, i);
		free(p->q);
		p->q = q;
		p->cap = cap;
		p->head = 0;
	}
	if (sess_conn_append_raw(p->conn, cmd, (size_t)len, err)) {
		free(cmd);
		return -1;
	}
	e = at(p, p->n++);
	e->cmd = cmd;
	e->len = (size_t)len;
	e->script = s;
	e->tag = tag;
	e->reply = NULL;
	return 0;
}

int sess_pipe_argv(struct sess_pipe *p, int s, long tag, int argc,
		   const char **argv, const size_t *lens, struct sess_err *err)
{
	char *cmd = NULL;
	int len = redisFormatCommandArgv(&cmd, argc, argv, lens);

	return push(p, cmd, len, s, tag, err);
}

int sess_pipe_cmdf(struct sess_pipe *p, long tag, struct sess_err *err,
		   const char *fmt, ...)
{
	char *cmd = NULL;
	va_list ap;
	int len;

	va_start(ap, fmt);
	len = redisvFormatCommand(&cmd, fmt, ap);
	va_end(ap);
	return push(p, cmd, len, -1, tag, err);
}

size_t sess_pipe_pending(const struct sess_pipe *p)
{
	return p->n;
}

static int refused(const struct sess_pipe_ent *e)
{
	return e->script >= 0 && sess_script_is_noscript(e->reply);
}

/* The server lost the scripts: read every reply in flight, load the
 * scripts, send the refused commands again in order; a few times, in case
 * the server is flushed again meanwhile. */
static int reload(struct sess_pipe *p, struct sess_err *err)
{
	size_t i;
	int try, again = 1;

	for (try = 0; try < RELOAD_TRIES && again; try++) {
		for (i = 0; i < p->n; i++)
			if (!at(p, i)->reply && sess_conn_read(p->conn, &at(p, i)->reply, err))
				return -1;
		again = 0;
		for (i = 0; i < p->n && !again; i++)
			again = refused(at(p, i));
		if (!again)
			return 0;
		if (sess_script_load_all(p->conn, err))
			return -1;
		for (i = 0; i < p->n; i++) {
			struct sess_pipe_ent *e = at(p, i);
			if (!refused(e))
				continue;
			freeReplyObject(e->reply);
			e->reply = NULL;
			if (sess_conn_append_raw(p->conn, e->cmd, e->len, err))
				return -1;
		}
	}
	/* the last round's replies: whatever they are, they are the truth */
	for (i = 0; i < p->n; i++)
		if (!at(p, i)->reply && sess_conn_read(p->conn, &at(p, i)->reply, err))
			return -1;
	return 0;
}

int sess_pipe_next(struct sess_pipe *p, redisReply **r, long *tag,
		   struct sess_err *err)
{
	struct sess_pipe_ent *e;

	*r = NULL;
	if (!p->n)
		return sess_err_set(err, SESS_E_INTERNAL, NULL, "no reply is owed");
	e = at(p, 0);
	if (!e->reply) {
		if (sess_conn_read(p->conn, &e->reply, err))
			return -1;
		if (refused(e) && reload(p, err))
			return -1;
	}
	*r = e->reply;
	if (tag)
		*tag = e->tag;
	e->reply = NULL;
	drop(e);
	p->head = (p->head + 1) % p->cap;
	p->n--;
	return 0;
}

int sess_pipe_run(struct sess_pipe *p, struct sess_err *err)
{
	int rc = 0;

	while (p->n) {
		redisReply *r;
		if (sess_pipe_next(p, &r, NULL, err))
			return -1;
		if (r->type == REDIS_REPLY_ERROR && rc == 0)
			rc = sess_script_error(p->conn, r, err);
		freeReplyObject(r);
	}
	return rc;
}
