#include "core/redis/conn.h"

#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static struct timeval ms_tv(int ms)
{
	struct timeval tv;

	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	return tv;
}

/* Where the user named the server, for the fix in a message. */
static const char *url_flag(const struct sess_conn *c)
{
	return c->cfg->url_flag[0] ? c->cfg->url_flag : "REDIS_URL or --url";
}

int sess_conn_io_error(const struct sess_conn *c, struct sess_err *err)
{
	const char *e = c->ctx ? c->ctx->errstr : "cannot allocate a connection";
	const char *flag = url_flag(c);
	char how[64];

	if (c->cfg->url_flag[0])
		snprintf(how, sizeof how, "check %s", flag);
	else
		snprintf(how, sizeof how, "set REDIS_URL%s or --url", c->cfg->unix_path[0] ? "=unix:///path" : "");

	if (strstr(e, "refused"))
		return sess_err_set(err, SESS_E_UNAVAILABLE, "unavailable",
				    "cannot connect to %s: connection refused; is redis-server running? %s",
				    c->where, how);
	if (strstr(e, "No such file"))
		return sess_err_set(err, SESS_E_UNAVAILABLE, "unavailable",
				    "cannot connect to %s: no such socket; is redis-server running? %s",
				    c->where, how);
	if (strstr(e, "timed out") || strstr(e, "temporarily unavailable"))
		return sess_err_set(err, SESS_E_TEMP, "timeout",
				    "%s did not answer in time (connect %d ms, command %d ms); check the server or raise --timeout",
				    c->where, c->cfg->connect_timeout_ms, c->cfg->command_timeout_ms);
	if (strstr(e, "Name or service") || strstr(e, "not known") || strstr(e, "resolve"))
		return sess_err_set(err, SESS_E_UNAVAILABLE, "unavailable",
				    "cannot connect to %s: unknown host; check the host name in %s",
				    c->where, flag);
	if (strstr(e, "closed") || strstr(e, "reset") || strstr(e, "EOF") || strstr(e, "Broken pipe"))
		return sess_err_set(err, SESS_E_UNAVAILABLE, "unavailable",
				    "%s closed the connection (%s); is the server restarting or at maxclients?",
				    c->where, e);
	return sess_err_set(err, SESS_E_UNAVAILABLE, "unavailable",
			    "cannot talk to %s: %s; %s", c->where, e, how);
}

int sess_conn_reply_error(const struct sess_conn *c, const redisReply *r,
			  struct sess_err *err)
{
	const char *s = r->str ? r->str : "";
	static const char abort_cause[] = "EXECABORT Transaction discarded because of: ";

	/* a refusal at EXEC time (out of memory, a replica, a permission)
	 * comes wrapped: the cause decides, as if it came alone */
	if (!strncmp(s, abort_cause, sizeof abort_cause - 1) && s[sizeof abort_cause - 1])
		s += sizeof abort_cause - 1;
	if (!strncmp(s, "LOADING", 7))
		return sess_err_set(err, SESS_E_TEMP, "loading",
				    "%s is loading its dataset; try again in a moment", c->where);
	if (!strncmp(s, "BUSY", 4))
		return sess_err_set(err, SESS_E_TEMP, "busy",
				    "%s is busy running a script; try again later or SCRIPT KILL it", c->where);
	if (!strncmp(s, "TRYAGAIN", 8))
		return sess_err_set(err, SESS_E_TEMP, "tryagain",
				    "%s asks to try again (%s)", c->where, s);
	if (!strncmp(s, "NOAUTH", 6))
		return sess_err_set(err, SESS_E_AUTH, "auth",
				    "%s needs a password; set REDIS_PASSWORD, --password-file or --askpass",
				    c->where);
	if (!strncmp(s, "WRONGPASS", 9) || strstr(s, "invalid password") ||
	    strstr(s, "invalid username-password"))
		return sess_err_set(err, SESS_E_AUTH, "auth",
				    "%s refused the user name or password; check REDIS_USERNAME and REDIS_PASSWORD",
				    c->where);
	if (!strncmp(s, "NOPERM", 6))
		return sess_err_set(err, SESS_E_AUTH, "permission",
				    "%s: this user lacks a permission (%s); grant it with ACL SETUSER",
				    c->where, s);
	if (strstr(s, "AUTH <password> called without any password configured") ||
	    strstr(s, "without any password configured"))
		return sess_err_set(err, SESS_E_AUTH, "auth",
				    "%s has no password set but one was given; drop REDIS_PASSWORD",
				    c->where);
	if (strstr(s, "DB index is out of range") || strstr(s, "invalid DB index"))
		return sess_err_set(err, SESS_E_CONFIG, "bad_db",
				    "%s has no database %d; pick one the server has (see its 'databases' setting)",
				    c->where, c->cfg->db);
	if (!strncmp(s, "READONLY", 8))
		return sess_err_set(err, SESS_E_UNAVAILABLE, "readonly",
				    "%s is a read-only replica; point %s at the primary", c->where,
				    c->cfg->url_flag[0] ? c->cfg->url_flag : "--url");
	if (!strncmp(s, "OOM", 3))
		return sess_err_set(err, SESS_E_TEMP, "oom",
				    "%s is out of memory (maxmemory reached); free memory or raise maxmemory",
				    c->where);
	return sess_err_set(err, SESS_E_INTERNAL, "redis_error", "%s answered: %s",
			    c->where, s);
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

int sess_conn_open(struct sess_conn *c, const struct sess_config *cfg,
		   struct sess_err *err)
{
	memset(c, 0, sizeof *c);
	c->cfg = cfg;
	sess_config_describe(cfg, c->where, sizeof c->where);
	/* No TLS code exists yet: refuse rather than talk plain text to a
	 * server the user asked to reach over TLS. */
	if (cfg->tls)
		return sess_err_set(err, SESS_E_CONFIG, "no_tls",
				    "rediss:// asks for TLS, but this build has no TLS (it needs hiredis >= 1.0 with SSL); use redis:// through a TLS tunnel such as stunnel");
	if (cfg->unix_path[0])
		c->ctx = redisConnectUnixWithTimeout(cfg->unix_path, ms_tv(cfg->connect_timeout_ms));
	else
		c->ctx = redisConnectWithTimeout(cfg->host, cfg->port, ms_tv(cfg->connect_timeout_ms));
	if (!c->ctx || c->ctx->err) {
		sess_conn_io_error(c, err);
		sess_conn_close(c);
		return -1;
	}
	if (redisSetTimeout(c->ctx, ms_tv(cfg->command_timeout_ms)) != REDIS_OK) {
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

void sess_conn_close(struct sess_conn *c)
{
	if (c->ctx)
		redisFree(c->ctx);
	c->ctx = NULL;
}

static redisReply *checked(struct sess_conn *c, redisReply *r, struct sess_err *err)
{
	if (!r) {
		sess_conn_io_error(c, err);
		return NULL;
	}
	if (r->type == REDIS_REPLY_ERROR) {
		sess_conn_reply_error(c, r, err);
		freeReplyObject(r);
		return NULL;
	}
	return r;
}

redisReply *sess_conn_cmd(struct sess_conn *c, struct sess_err *err, int argc,
			  const char **argv, const size_t *lens)
{
	if (!c->ctx)
		return sess_err_set(err, SESS_E_INTERNAL, NULL, "not connected"), NULL;
	return checked(c, redisCommandArgv(c->ctx, argc, argv, lens), err);
}

redisReply *sess_conn_cmdf(struct sess_conn *c, struct sess_err *err,
			   const char *fmt, ...)
{
	va_list ap;
	redisReply *r;

	if (!c->ctx)
		return sess_err_set(err, SESS_E_INTERNAL, NULL, "not connected"), NULL;
	va_start(ap, fmt);
	r = redisvCommand(c->ctx, fmt, ap);
	va_end(ap);
	return checked(c, r, err);
}

int sess_conn_append(struct sess_conn *c, int argc, const char **argv,
		     const size_t *lens, struct sess_err *err)
{
	if (redisAppendCommandArgv(c->ctx, argc, argv, lens) != REDIS_OK)
		return sess_conn_io_error(c, err);
	return 0;
}

int sess_conn_append_raw(struct sess_conn *c, const char *cmd, size_t len,
			 struct sess_err *err)
{
	if (redisAppendFormattedCommand(c->ctx, cmd, len) != REDIS_OK)
		return sess_conn_io_error(c, err);
	return 0;
}

int sess_conn_send(struct sess_conn *c, struct sess_err *err)
{
	int done = 0;

	/* the socket blocks, so this returns once the kernel holds it all;
	 * the server reads while it works, so this cannot wait on us */
	while (!done)
		if (redisBufferWrite(c->ctx, &done) != REDIS_OK)
			return sess_conn_io_error(c, err);
	return 0;
}

int sess_conn_read(struct sess_conn *c, redisReply **out, struct sess_err *err)
{
	void *r = NULL;

	if (redisGetReply(c->ctx, &r) != REDIS_OK || !r) {
		*out = NULL;
		return sess_conn_io_error(c, err);
	}
	*out = r;
	return 0;
}

int sess_conn_wait(struct sess_conn *c, int timeout_ms, redisReply **out,
		   struct sess_err *err)
{
	void *r = NULL;
	struct pollfd p;
	int n;

	*out = NULL;
	/* a reply may already sit in hiredis' buffer */
	if (redisGetReplyFromReader(c->ctx, &r) != REDIS_OK)
		return sess_conn_io_error(c, err);
	if (r) {
		*out = r;
		return 1;
	}
	/* flush anything queued (SUBSCRIBE and friends) */
	while (c->ctx->obuf && c->ctx->obuf[0]) {
		int done = 0;
		if (redisBufferWrite(c->ctx, &done) != REDIS_OK)
			return sess_conn_io_error(c, err);
		if (done)
			break;
	}
	p.fd = c->ctx->fd;
	p.events = POLLIN;
	p.revents = 0;
	n = poll(&p, 1, timeout_ms);
	if (n < 0 && errno == EINTR)
		return 0;
	if (n < 0)
		return sess_err_set(err, SESS_E_UNAVAILABLE, "unavailable", "waiting on %s: %s",
				    c->where, strerror(errno));
	if (n == 0)
		return 0;
	if (redisBufferRead(c->ctx) != REDIS_OK)
		return sess_conn_io_error(c, err);
	if (redisGetReplyFromReader(c->ctx, &r) != REDIS_OK)
		return sess_conn_io_error(c, err);
	*out = r;
	return r ? 1 : 0;
}
