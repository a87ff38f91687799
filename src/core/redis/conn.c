#include "core/redis/conn.h"

#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/redis/conn_acl.h"
#include "core/redis/conn_tls.h"

#define READ_CHUNK 16384    /* bytes per read (hiredis reads as much) */
#define OBUF_MIN 16384

/* Record the first failure; later ones are its consequences. -1. */
static int set_fail(struct sess_conn *c, enum sess_io_fail f, const char *what)
{
	if (c->fail == SESS_IO_OK) {
		c->fail = f;
		snprintf(c->errstr, sizeof c->errstr, "%s", what);
	}
	return -1;
}

static int stream_fail(struct sess_conn *c)
{
	return set_fail(c, c->st.fail != SESS_IO_OK ? c->st.fail : SESS_IO_OTHER, c->st.errstr);
}

static int hello(struct sess_conn *c, struct sess_err *err)
{
	const struct sess_config *cfg = c->cfg;
	redisReply *r;
	char db[16];

	if (cfg->password[0]) {
		if (cfg->username[0])
			r = sess_conn_cmdf(c, err, "AUTH %s %s", cfg->username, cfg->password);
		else
			r = sess_conn_cmdf(c, err, "AUTH %s", cfg->password);
		if (!r)
			return -1;
		freeReplyObject(r);
	}
	if (cfg->db != 0) {
		snprintf(db, sizeof db, "%d", cfg->db);
		r = sess_conn_cmdf(c, err, "SELECT %s", db);
		if (!r)
			return -1;
		freeReplyObject(r);
	}
	return 0;
}

redisReply *sess_reply_error_new(const char *msg)
{
	redisReader *rd = redisReaderCreate();
	void *r = NULL;
	char *line;
	size_t n = strlen(msg);

	if (!rd || !(line = malloc(n + 3))) {
		if (rd)
			redisReaderFree(rd);
		return NULL;
	}
	line[0] = '-';
	memcpy(line + 1, msg, n);
	memcpy(line + 1 + n, "\r\n", 2);
	if (redisReaderFeed(rd, line, n + 3) != REDIS_OK || redisReaderGetReply(rd, &r) != REDIS_OK)
		r = NULL;
	free(line);
	redisReaderFree(rd);
	return r;
}

/* ---- the output buffer ---- */

/* Room for n more bytes at obuf + olen; 0, or -1 (out of memory). */
static int reserve(struct sess_conn *c, size_t n)
{
	size_t cap;
	char *b;

	if (c->opos == c->olen)
		c->opos = c->olen = 0;
	if (c->olen + n <= c->ocap)
		return 0;
	if (c->opos) {
		memmove(c->obuf, c->obuf + c->opos, c->olen - c->opos);
		c->olen -= c->opos;
		c->opos = 0;
		if (c->olen + n <= c->ocap)
			return 0;
	}
	cap = c->ocap ? c->ocap : OBUF_MIN;
	while (cap < c->olen + n)
		cap *= 2;
	if (!(b = realloc(c->obuf, cap)))
		return set_fail(c, SESS_IO_NOMEM, "out of memory");
	c->obuf = b;
	c->ocap = cap;
	return 0;
}

/* 0 when c may do I/O, else -1 with err. */
static int usable(struct sess_conn *c, struct sess_err *err)
{
	if (c->st.ops && c->fail == SESS_IO_OK)
		return 0;
	return sess_conn_io_error(c, err);
}

int sess_conn_append_raw(struct sess_conn *c, const char *cmd, size_t len,
			 struct sess_err *err)
{
	if (c->cl)
		return sess_cluster_append_raw(c, cmd, len, err);
	if (usable(c, err))
		return -1;
	if (reserve(c, len))
		return sess_conn_io_error(c, err);
	memcpy(c->obuf + c->olen, cmd, len);
	c->olen += len;
	c->owed++;
	return 0;
}

/* The command in the wire format, malloc'ed, or NULL. */
static char *format_argv(int argc, const char **argv, const size_t *lens, size_t *len)
{
	char *cmd = malloc(sess_cmd_format_max(argc, argv, lens));

	if (cmd)
		*len = sess_cmd_format(cmd, argc, argv, lens);
	return cmd;
}

int sess_conn_append(struct sess_conn *c, int argc, const char **argv,
		     const size_t *lens, struct sess_err *err)
{
	if (c->cl) {
		size_t len;
		char *cmd = format_argv(argc, argv, lens, &len);
		int rc;
		if (!cmd)
			return sess_err_set(err, SESS_E_INTERNAL, NULL, "out of memory");
		rc = sess_cluster_append_raw(c, cmd, len, err);
		free(cmd);
		return rc;
	}
	if (usable(c, err))
		return -1;
	if (reserve(c, sess_cmd_format_max(argc, argv, lens)))
		return sess_conn_io_error(c, err);
	c->olen += sess_cmd_format(c->obuf + c->olen, argc, argv, lens);
	c->owed++;
	return 0;
}

static int appendv(struct sess_conn *c, struct sess_err *err, const char *fmt, va_list ap)
{
	char *cmd = NULL;
	int len, rc;

	if (!c->cl && usable(c, err))
		return -1;
	if ((len = redisvFormatCommand(&cmd, fmt, ap)) < 0)
		return sess_err_set(err, SESS_E_INTERNAL, NULL, "cannot format a command: out of memory or a bad format");
	rc = sess_conn_append_raw(c, cmd, (size_t)len, err);
	free(cmd);
	return rc;
}

int sess_conn_appendf(struct sess_conn *c, struct sess_err *err, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = appendv(c, err, fmt, ap);
	va_end(ap);
	return rc;
}

/* ---- I/O steps (never blocking) ---- */

/* Write what the stream takes: 1 all written, 0 it would block (*want:
 * the poll events), -1 failed. */
static int write_some(struct sess_conn *c, short *want)
{
	while (c->opos < c->olen) {
		ssize_t n = c->st.ops->write(&c->st, c->obuf + c->opos, c->olen - c->opos);
		if (n > 0) {
			c->opos += (size_t)n;
			continue;
		}
		if (n == SESS_IO_WANT_WRITE || n == SESS_IO_WANT_READ) {
			*want = n == SESS_IO_WANT_WRITE ? POLLOUT : POLLIN;
			return 0;
		}
		return stream_fail(c);
	}
	c->opos = c->olen = 0;
	return 1;
}

/* Read once from the stream into the reader: 1 read something, 0 it
 * would block (*want: the poll events), -1 failed (end of stream too). */
static int read_some(struct sess_conn *c, short *want)
{
	char buf[READ_CHUNK];
	ssize_t n = c->st.ops->read(&c->st, buf, sizeof buf);

	if (n > 0) {
		/* a TLS record (alert, handshake) where a reply begins */
		if (!c->ep.tls && (buf[0] == 0x15 || buf[0] == 0x16) && c->reader->pos == c->reader->len)
			return set_fail(c, SESS_IO_TLS_PLAIN, "TLS record");
		c->answered = 1;
		if (redisReaderFeed(c->reader, buf, (size_t)n) != REDIS_OK)
			return set_fail(c, SESS_IO_PROTOCOL, c->reader->errstr);
		return 1;
	}
	if (n == 0)
		return set_fail(c, SESS_IO_CLOSED, "Server closed the connection");
	if (n == SESS_IO_WANT_READ || n == SESS_IO_WANT_WRITE) {
		*want = n == SESS_IO_WANT_READ ? POLLIN : POLLOUT;
		return 0;
	}
	return stream_fail(c);
}

/* A reply the reader holds: 1 with *out, 0 none, -1 not RESP. */
static int take(struct sess_conn *c, redisReply **out)
{
	void *r = NULL;

	*out = NULL;
	if (redisReaderGetReply(c->reader, &r) != REDIS_OK)
		return set_fail(c, SESS_IO_PROTOCOL, c->reader->errstr);
	*out = r;
	/* an error reply is kept: EXEC's "previous errors" names no cause */
	if (r && (*out)->type == REDIS_REPLY_ERROR && (*out)->str && strncmp((*out)->str, "EXECABORT", 9) &&
	    !strstr((*out)->str, "EXEC without MULTI"))
		snprintf(c->last_err, sizeof c->last_err, "%s", (*out)->str);
	/* through Sentinel, a primary turned replica (READONLY) or a server
	 * reloading (LOADING) is left: the next use or reopen asks the
	 * sentinels again */
	if (r && c->cfg && c->cfg->sentinels[0] && (*out)->type == REDIS_REPLY_ERROR &&
	    (*out)->str && (!strncmp((*out)->str, "READONLY", 8) || !strncmp((*out)->str, "LOADING", 7)))
		set_fail(c, SESS_IO_CLOSED, "the server is no longer the primary (READONLY or LOADING)");
	return r != NULL;
}

/* Wait for want up to timeout_ms: 1 ready, 0 timed out (or a signal when
 * intr), -1 failed. */
static int await(struct sess_conn *c, short want, int timeout_ms, int intr)
{
	int n = sess_stream_poll(&c->st, want, timeout_ms, intr);

	if (n < 0)
		return stream_fail(c);
	return n > 0;
}

/* ---- blocking ---- */

/* Write everything queued, waiting up to the command timeout each time
 * the socket is full; replies that arrive meanwhile are read into the
 * reader, so neither side can wait on the other. */
static int flush_all(struct sess_conn *c)
{
	for (;;) {
		short want = 0;
		int n = write_some(c, &want);
		if (n)
			return n < 0 ? -1 : 0;
		n = sess_stream_poll(&c->st, (short)(want | POLLIN), c->cfg->command_timeout_ms, 0);
		if (n < 0)
			return stream_fail(c);
		if (n == 0)
			return set_fail(c, SESS_IO_TIMEOUT, "timed out writing");
		if ((n & (POLLIN | POLLHUP | POLLERR)) && !(want & POLLIN) &&
		    read_some(c, &want) < 0)
			return -1;
	}
}

/* The next reply, waiting up to the command timeout for each read. */
static int read_reply(struct sess_conn *c, redisReply **out)
{
	int n;

	if ((n = take(c, out)))
		return n < 0 ? -1 : 0;
	if (flush_all(c))
		return -1;
	for (;;) {
		short want = 0;
		if ((n = take(c, out)))
			return n < 0 ? -1 : 0;
		if ((n = read_some(c, &want)) < 0)
			return -1;
		if (n > 0)
			continue;
		if ((n = await(c, want, c->cfg->command_timeout_ms, 0)) < 0)
			return -1;
		if (n == 0)
			return set_fail(c, SESS_IO_TIMEOUT, "timed out reading");
	}
}

int sess_conn_send(struct sess_conn *c, struct sess_err *err)
{
	if (c->cl)
		return sess_cluster_send(c, err);
	if (usable(c, err))
		return -1;
	if (flush_all(c))
		return sess_conn_io_error(c, err);
	return 0;
}

int sess_conn_read(struct sess_conn *c, redisReply **out, struct sess_err *err)
{
	*out = NULL;
	if (c->cl)
		return sess_cluster_read(c, out, err);
	if (usable(c, err))
		return -1;
	if (read_reply(c, out))
		return sess_conn_io_error(c, err);
	if (c->owed)
		c->owed--;
	return 0;
}

/* One command in the wire format, its reply whatever it is. On a conn
 * with nothing else in flight, a cluster's redirection makes it a cluster
 * conn (redis.cluster auto) and the command goes where it belongs. */
static redisReply *call_raw(struct sess_conn *c, struct sess_err *err, const char *cmd, size_t len)
{
	int idle = !c->cl && c->owed == 0;
	redisReply *r, *o;
	int n;

	if (sess_conn_append_raw(c, cmd, len, err) || sess_conn_read(c, &r, err))
		return NULL;
	if (!idle || r->type != REDIS_REPLY_ERROR)
		return r;
	if ((n = sess_cluster_redirected(c, r, cmd, len, &o, err)) < 0)
		return NULL;
	return n ? o : r;
}

redisReply *sess_conn_call(struct sess_conn *c, struct sess_err *err, int argc,
			   const char **argv, const size_t *lens)
{
	redisReply *r;
	size_t len;
	char *cmd;

	if (!c->cl && usable(c, err))
		return NULL;
	if (!(cmd = format_argv(argc, argv, lens, &len)))
		return sess_err_set(err, SESS_E_INTERNAL, NULL, "out of memory"), NULL;
	r = call_raw(c, err, cmd, len);
	free(cmd);
	return r;
}

redisReply *sess_conn_callv(struct sess_conn *c, struct sess_err *err, const char *fmt, va_list ap)
{
	redisReply *r;
	char *cmd = NULL;
	int len;

	if (!c->cl && usable(c, err))
		return NULL;
	if ((len = redisvFormatCommand(&cmd, fmt, ap)) < 0)
		return sess_err_set(err, SESS_E_INTERNAL, NULL, "cannot format a command: out of memory or a bad format"), NULL;
	r = call_raw(c, err, cmd, (size_t)len);
	free(cmd);
	return r;
}

redisReply *sess_conn_callf(struct sess_conn *c, struct sess_err *err, const char *fmt, ...)
{
	va_list ap;
	redisReply *r;

	va_start(ap, fmt);
	r = sess_conn_callv(c, err, fmt, ap);
	va_end(ap);
	return r;
}

/* r, or NULL with err when it is an error reply (then freed). */
static redisReply *checked(struct sess_conn *c, redisReply *r, struct sess_err *err)
{
	if (r && r->type == REDIS_REPLY_ERROR) {
		sess_conn_reply_error(c, r, err);
		freeReplyObject(r);
		return NULL;
	}
	return r;
}

redisReply *sess_conn_cmd(struct sess_conn *c, struct sess_err *err, int argc,
			  const char **argv, const size_t *lens)
{
	if (!c->st.ops && !c->cl)
		return sess_err_set(err, SESS_E_INTERNAL, NULL, "not connected"), NULL;
	return checked(c, sess_conn_call(c, err, argc, argv, lens), err);
}

redisReply *sess_conn_cmdf(struct sess_conn *c, struct sess_err *err,
			   const char *fmt, ...)
{
	va_list ap;
	redisReply *r;

	if (!c->st.ops && !c->cl)
		return sess_err_set(err, SESS_E_INTERNAL, NULL, "not connected"), NULL;
	va_start(ap, fmt);
	r = sess_conn_callv(c, err, fmt, ap);
	va_end(ap);
	return checked(c, r, err);
}

int sess_conn_wait(struct sess_conn *c, int timeout_ms, redisReply **out,
		   struct sess_err *err)
{
	long long deadline = sess_stream_now_ms() + timeout_ms;
	int n;

	*out = NULL;
	if (c->cl)
		return sess_cluster_wait(c, timeout_ms, out, err);
	if (usable(c, err))
		return -1;
	/* a reply may already sit in the reader */
	if ((n = take(c, out))) {
		if (n > 0 && c->owed)
			c->owed--;
		return n < 0 ? sess_conn_io_error(c, err) : 1;
	}
	/* flush anything queued (SUBSCRIBE and friends) */
	if (flush_all(c))
		return sess_conn_io_error(c, err);
	for (;;) {
		short want = 0;
		long long left;
		if ((n = read_some(c, &want)) < 0)
			return sess_conn_io_error(c, err);
		if (n > 0) {
			if ((n = take(c, out))) {
				if (n > 0 && c->owed)
					c->owed--;
				return n < 0 ? sess_conn_io_error(c, err) : 1;
			}
			continue; /* a part of a reply: read on */
		}
		left = deadline - sess_stream_now_ms();
		if (left <= 0)
			return 0;
		/* a signal ends the wait: the caller looks at its flags */
		if ((n = await(c, want, (int)left, 1)) < 0)
			return sess_conn_io_error(c, err);
		if (n == 0)
			return 0;
	}
}

/* ---- non-blocking ---- */

/* The non-blocking calls are not routed on a cluster conn (cluster.h). */
static int not_routed(const struct sess_conn *c, struct sess_err *err)
{
	return sess_err_set(err, SESS_E_INTERNAL, NULL,
			    "%s: a cluster connection has no one socket to poll; use each master's (sess_cluster_master)",
			    c->where);
}

int sess_conn_fd(const struct sess_conn *c)
{
	return c->st.ops ? c->st.fd : -1;
}

short sess_conn_events(const struct sess_conn *c)
{
	return (short)(POLLIN | (c->opos < c->olen ? POLLOUT : 0));
}

int sess_conn_buffered(const struct sess_conn *c)
{
	return c->st.ops && c->st.ops->pending(&c->st) > 0;
}

int sess_conn_flush(struct sess_conn *c, struct sess_err *err)
{
	short want = 0;
	int n;

	if (c->cl)
		return not_routed(c, err);
	if (usable(c, err))
		return -1;
	if ((n = write_some(c, &want)) < 0)
		return sess_conn_io_error(c, err);
	return n;
}

int sess_conn_fill(struct sess_conn *c, struct sess_err *err)
{
	short want = 0;
	int n;

	if (c->cl)
		return not_routed(c, err);
	if (usable(c, err))
		return -1;
	/* what the socket has now, and what the stream still holds */
	while ((n = read_some(c, &want)) > 0 && sess_conn_buffered(c))
		;
	return n < 0 ? sess_conn_io_error(c, err) : 0;
}

int sess_conn_take(struct sess_conn *c, redisReply **out, struct sess_err *err)
{
	int n;

	if (c->cl)
		return *out = NULL, not_routed(c, err);
	if (!c->reader)
		return *out = NULL, sess_conn_io_error(c, err);
	if ((n = take(c, out)) < 0)
		return sess_conn_io_error(c, err);
	if (n > 0 && c->owed)
		c->owed--;
	return n;
}

/* Connect c (cfg and ep set) and say hello; on failure c is closed. */
static int connect_ep(struct sess_conn *c, struct sess_err *err)
{
	c->fail = SESS_IO_OK;
	c->errstr[0] = '\0';
	c->opos = c->olen = 0;
	c->owed = 0;
	c->answered = 0;
	if (!(c->reader = redisReaderCreate())) {
		set_fail(c, SESS_IO_NOMEM, "out of memory");
		return sess_conn_io_error(c, err);
	}
	if (sess_conn_stream_open(&c->st, &c->ep, c->cfg)) {
		stream_fail(c);
		sess_conn_io_error(c, err);
		sess_conn_close(c);
		return -1;
	}
	if (hello(c, err)) {
		sess_conn_close(c);
		return -1;
	}
	return 0;
}

int sess_conn_open_at(struct sess_conn *c, const struct sess_config *cfg,
		      const struct sess_endpoint *ep, struct sess_err *err)
{
	struct sess_config *at = malloc(sizeof *at);

	memset(c, 0, sizeof *c);
	c->st.fd = -1;
	c->cfg = cfg;
	c->ep = *ep;
	if (!at)
		return sess_err_set(err, SESS_E_INTERNAL, NULL, "out of memory");
	/* the endpoint described as the config would describe it */
	*at = *cfg;
	memcpy(at->host, ep->host, sizeof at->host);
	memcpy(at->unix_path, ep->unix_path, sizeof at->unix_path);
	at->port = ep->port;
	sess_config_describe(at, c->where, sizeof c->where);
	free(at);
	return connect_ep(c, err);
}

int sess_conn_open(struct sess_conn *c, const struct sess_config *cfg,
		   struct sess_err *err)
{
	if (cfg->sentinels[0])
		return sess_conn_open_sentinel(c, cfg, err);
	memset(c, 0, sizeof *c);
	c->st.fd = -1;
	c->cfg = cfg;
	memcpy(c->ep.host, cfg->host, sizeof c->ep.host);
	memcpy(c->ep.unix_path, cfg->unix_path, sizeof c->ep.unix_path);
	c->ep.port = cfg->port;
	c->ep.tls = cfg->tls || cfg->tls_enabled;
	sess_config_describe(cfg, c->where, sizeof c->where);
	if (!connect_ep(c, err))
		return sess_cluster_on_open(c, err);
	/* the node named is down: the cluster's other seeds */
	if (cfg->cluster_nodes[0] && strcmp(cfg->cluster, "no")) {
		struct sess_endpoint eps[SESS_CLUSTER_REOPEN_MAX], seed = c->ep;
		struct sess_err other;
		int n = sess_cluster_seeds(cfg, eps, SESS_CLUSTER_REOPEN_MAX), i;
		for (i = 0; i < n; i++) {
			c->ep = eps[i];
			if (!connect_ep(c, &other)) {
				snprintf(c->where, sizeof c->where, "%.200s:%d/%d", eps[i].host, eps[i].port, cfg->db);
				return sess_cluster_on_open(c, err);
			}
		}
		c->ep = seed;
	}
	return -1;
}

int sess_conn_reopen(struct sess_conn *c, struct sess_err *err)
{
	if (!c->cfg)
		return sess_err_set(err, SESS_E_INTERNAL, NULL, "reopening a connection never opened");
	struct sess_endpoint eps[SESS_CLUSTER_REOPEN_MAX];
	int n = c->cl ? sess_cluster_endpoints(c, eps, SESS_CLUSTER_REOPEN_MAX) : 0, i;
	struct sess_err other;

	sess_conn_close(c);
	if (c->cfg->sentinels[0])
		return sess_conn_open_sentinel(c, c->cfg, err);
	if (!connect_ep(c, err))
		return n ? sess_cluster_reattach(c, err) : sess_cluster_on_open(c, err);
	/* a cluster conn whose seed is gone: another master it knew */
	for (i = 0; i < n; i++) {
		struct sess_endpoint seed = c->ep;
		c->ep = eps[i];
		if (!connect_ep(c, &other)) {
			snprintf(c->where, sizeof c->where, "%.200s:%d/0", eps[i].host, eps[i].port);
			return sess_cluster_reattach(c, err);
		}
		c->ep = seed;
	}
	return -1;
}

void sess_conn_close(struct sess_conn *c)
{
	sess_cluster_free(c);
	c->owed = 0;
	c->scripts = 0; /* reopened: perhaps another server */
	c->standalone = 0;
	sess_stream_close(&c->st);
	if (c->reader)
		redisReaderFree(c->reader);
	c->reader = NULL;
	free(c->obuf);
	c->obuf = NULL;
	c->opos = c->olen = c->ocap = 0;
	c->fail = SESS_IO_OK;
	c->errstr[0] = '\0';
}

int sess_conn_ok(const struct sess_conn *c)
{
	if (c->cl)
		return sess_cluster_ok(c);
	return c->st.ops && c->fail == SESS_IO_OK;
}

int sess_conn_is_open(const struct sess_conn *c)
{
	return c->st.ops != NULL || c->cl != NULL;
}
