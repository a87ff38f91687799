#include "core/redis/pipe.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

/* Room in the ring for one more entry. */
static int room(struct sess_pipe *p, struct sess_err *err)
{
	size_t cap, i;
	struct sess_pipe_ent *q;

	if (p->n < p->cap)
		return 0;
	cap = p->cap ? 2 * p->cap : 64;
	if (!(q = calloc(cap, sizeof *q)))
		return sess_err_set(err, SESS_E_INTERNAL, NULL, "out of memory");
	for (i = 0; i < p->n; i++)
		q[i] = *at(p, i);
	free(p->q);
	p->q = q;
	p->cap = cap;
	p->head = 0;
	return 0;
}

/* The entry of a command just put on the connection (cmd: its copy,
 * taken; NULL for a plain command, never sent again: reload sends
 * script calls only). Needs room(). */
static void queue(struct sess_pipe *p, char *cmd, size_t len, int s, long tag)
{
	struct sess_pipe_ent *e = at(p, p->n++);

	e->cmd = cmd;
	e->len = len;
	e->script = s;
	e->tag = tag;
	e->reply = NULL;
}

/* Queue cmd (taking it) and send it. */
static int push(struct sess_pipe *p, char *cmd, int len, int s, long tag,
		struct sess_err *err)
{
	if (len < 0)
		return sess_err_set(err, SESS_E_INTERNAL, NULL, "out of memory");
	if (room(p, err) || sess_conn_append_raw(p->conn, cmd, (size_t)len, err)) {
		free(cmd);
		return -1;
	}
	if (s < 0) {
		free(cmd);
		cmd = NULL;
	}
	queue(p, cmd, (size_t)len, s, tag);
	return 0;
}

int sess_pipe_format(char **out, int argc, const char **argv, const size_t *lens)
{
	size_t max = sess_cmd_format_max(argc, argv, lens);
	char *cmd;

	if (max > 0x7fffffff || !(cmd = malloc(max)))
		return -1;
	*out = cmd;
	return (int)sess_cmd_format(cmd, argc, argv, lens);
}

/* cmd, a script call in the wire format ("*N\r\n$7\r\nEVALSHA\r\n$40\r\n
 * SHA\r\n" and the rest), with its first two arguments replaced by w0
 * and w1 (FCALL and the function, or EVAL and the source). Returns the
 * new command (caller frees) and its length, or NULL. */
static char *re_head(const char *cmd, size_t len, const char *w0, const char *w1,
		     size_t *outlen)
{
	const char *p = cmd, *end = cmd + len, *rest;
	size_t w0len = strlen(w0), w1len = strlen(w1), head, n;
	char *out;
	int i;

	/* the count line, then two bulk strings to skip */
	if (!(p = memchr(p, '\n', (size_t)(end - p))))
		return NULL;
	head = (size_t)(++p - cmd);
	rest = p;
	for (i = 0; i < 2; i++) {
		long blen;
		if (rest >= end || *rest != '$')
			return NULL;
		blen = strtol(rest + 1, NULL, 10);
		if (!(rest = memchr(rest, '\n', (size_t)(end - rest))))
			return NULL;
		rest += 1 + blen + 2;
		if (rest > end)
			return NULL;
	}
	n = head + 2 * 24 + w0len + w1len + 4 + (size_t)(end - rest);
	if (!(out = malloc(n + 1)))
		return NULL;
	memcpy(out, cmd, head);
	n = head + (size_t)sprintf(out + head, "$%zu\r\n%s\r\n$%zu\r\n", w0len, w0, w1len);
	memcpy(out + n, w1, w1len);
	n += w1len;
	memcpy(out + n, "\r\n", 2);
	n += 2;
	memcpy(out + n, rest, (size_t)(end - rest));
	n += (size_t)(end - rest);
	*outlen = n;
	return out;
}

int sess_pipe_argv(struct sess_pipe *p, int s, long tag, int argc,
		   const char **argv, const size_t *lens, struct sess_err *err)
{
	char *cmd = NULL, *fc;
	int len;
	size_t flen;

	/* a plain command: formatted straight into the connection's buffer,
	 * no copy of it made or kept */
	if (s < 0) {
		if (room(p, err) || sess_conn_append(p->conn, argc, argv, lens, err))
			return -1;
		queue(p, NULL, 0, s, tag);
		return 0;
	}
	len = sess_pipe_format(&cmd, argc, argv, lens);

	/* a connection that calls functions: FCALL and the function's name
	 * in place of EVALSHA and the SHA1 (the same shape) */
	if (len > 0 && s >= 0 && argc >= 3 && !strcmp(argv[0], "EVALSHA") &&
	    sess_script_mode(p->conn) == SESS_SCRIPTS_FCALL) {
		fc = re_head(cmd, (size_t)len, "FCALL", sess_script_fn((enum sess_script)s), &flen);
		free(cmd);
		cmd = fc;
		len = fc ? (int)flen : -1;
	}

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

int sess_pipe_strs(struct sess_pipe *p, long tag, struct sess_err *err, int n, ...)
{
	const char *argv[SESS_PIPE_STRS_MAX];
	size_t lens[SESS_PIPE_STRS_MAX];
	va_list ap;
	int i;

	if (n < 1 || n > SESS_PIPE_STRS_MAX)
		return sess_err_set(err, SESS_E_INTERNAL, NULL, "sess_pipe_strs: %d arguments", n);
	va_start(ap, n);
	for (i = 0; i < n; i++) {
		argv[i] = va_arg(ap, const char *);
		lens[i] = strlen(argv[i]);
	}
	va_end(ap);
	return sess_pipe_argv(p, -1, tag, n, argv, lens, err);
}

int sess_pipe_send(struct sess_pipe *p, struct sess_err *err)
{
	return sess_conn_send(p->conn, err);
}

size_t sess_pipe_pending(const struct sess_pipe *p)
{
	return p->n;
}

static int refused(const struct sess_pipe_ent *e)
{
	return e->script >= 0 && (sess_script_is_noscript(e->reply) ||
				  sess_script_is_fn_refusal(e->reply));
}

/* The server lost the scripts: read every reply in flight, then send the
 * refused commands again in order as EVAL with the script's source, which
 * no flush in between can refuse (and which puts the script back in the
 * server's cache for the EVALSHAs after them). FCALLs refused: the
 * function missing: the library is loaded (on every master: nothing is in
 * flight then) for the calls after them, and they are sent as EVAL too (a
 * FUNCTION FLUSH between the load and their arrival would refuse an FCALL
 * again); the server or the user without functions: the connection takes
 * the EVALSHA path and they are sent as EVAL. */
static int reload(struct sess_pipe *p, struct sess_err *err)
{
	int how = 0;
	size_t i;

	for (i = 0; i < p->n; i++)
		if (!at(p, i)->reply && sess_conn_read(p->conn, &at(p, i)->reply, err))
			return -1;
	for (i = 0; i < p->n && !how; i++) {
		struct sess_pipe_ent *e = at(p, i);
		if (refused(e) && sess_script_is_fn_refusal(e->reply) &&
		    (how = sess_script_fn_recover(p->conn, e->reply, err)) < 0)
			return -1;
	}
	for (i = 0; i < p->n; i++) {
		struct sess_pipe_ent *e = at(p, i);
		size_t len;
		char *cmd;

		if (!refused(e))
			continue;
		if (!(cmd = re_head(e->cmd, e->len, "EVAL",
				    sess_script_source((enum sess_script)e->script), &len)))
			return sess_err_set(err, SESS_E_INTERNAL, NULL,
					    "cannot send a script again: out of memory or a malformed command");
		freeReplyObject(e->reply);
		e->reply = NULL;
		free(e->cmd);
		e->cmd = cmd;
		e->len = len;
		if (sess_conn_append_raw(p->conn, e->cmd, e->len, err))
			return -1;
	}
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

int sess_pipe_ready(struct sess_pipe *p, struct sess_err *err)
{
	struct sess_pipe_ent *e;
	int n;

	if (!p->n)
		return 0;
	e = at(p, 0);
	if (e->reply)
		return 1;
	/* a cluster conn reads through its router, which waits */
	if (sess_conn_fd(p->conn) < 0)
		return 0;
	if ((n = sess_conn_take(p->conn, &e->reply, err)) == 0) {
		if (sess_conn_fill(p->conn, err))
			return -1;
		n = sess_conn_take(p->conn, &e->reply, err);
	}
	if (n <= 0)
		return n;
	if (refused(e) && reload(p, err))
		return -1;
	return 1;
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

int sess_pipe_drain(struct sess_pipe *p, size_t n, struct sess_err *err)
{
	redisReply *r;

	for (; n && p->n; n--) {
		if (sess_pipe_next(p, &r, NULL, err))
			return -1;
		freeReplyObject(r);
	}
	return 0;
}

void sess_argv_init(struct sess_argv *a)
{
	memset(a, 0, sizeof *a);
}

void sess_argv_free(struct sess_argv *a)
{
	free(a->v);
	free(a->len);
	memset(a, 0, sizeof *a);
}

void sess_argv_addb(struct sess_argv *a, const char *s, size_t len)
{
	if (a->oom)
		return;
	if ((size_t)a->n == a->cap) {
		size_t cap = a->cap ? 2 * a->cap : 16;
		const char **v = realloc(a->v, cap * sizeof *v);
		size_t *l;
		if (v)
			a->v = v;
		if (!v || !(l = realloc(a->len, cap * sizeof *l))) {
			a->oom = 1;
			return;
		}
		a->len = l;
		a->cap = cap;
	}
	a->v[a->n] = s;
	a->len[a->n++] = len;
}

void sess_argv_add(struct sess_argv *a, const char *s)
{
	sess_argv_addb(a, s, strlen(s));
}

redisReply *sess_argv_cmd(struct sess_conn *c, const struct sess_argv *a,
			  struct sess_err *err)
{
	if (a->oom || !a->n) {
		sess_err_set(err, SESS_E_INTERNAL, NULL, a->oom ? "out of memory" : "an empty command");
		return NULL;
	}
	return sess_conn_cmd(c, err, a->n, a->v, a->len);
}

int sess_argv_pipe(struct sess_pipe *p, int s, long tag, const struct sess_argv *a,
		   struct sess_err *err)
{
	if (a->oom || !a->n)
		return sess_err_set(err, SESS_E_INTERNAL, NULL, a->oom ? "out of memory" : "an empty command");
	return sess_pipe_argv(p, s, tag, a->n, a->v, a->len, err);
}
