/* conn_error.c - a connection's failures and the server's error replies
 * turned into a struct sess_err that names the problem and the fix (see
 * conn.h: sess_conn_io_error, sess_conn_reply_error). */
#include "core/redis/conn.h"

#include <stdio.h>
#include <string.h>

#include "core/redis/conn_acl.h"
#include "core/redis/conn_tls.h"

/* Where the user named the server, for the fix in a message. */
static const char *url_flag(const struct sess_conn *c)
{
	return c->cfg && c->cfg->url_flag[0] ? c->cfg->url_flag : "REDIS_URL or --url";
}

int sess_conn_io_error(const struct sess_conn *c, struct sess_err *err)
{
	enum sess_io_fail f = c->fail;
	const char *e = c->errstr;
	const char *flag = url_flag(c);
	char how[64];

	if (sess_conn_tls_error(f, c->where, e, err))
		return -1;
	if (f == SESS_IO_OK && !c->st.ops) {
		f = SESS_IO_NOTCONN;
		e = "not connected";
	}
	if (c->cfg && c->cfg->url_flag[0])
		snprintf(how, sizeof how, "check %s", flag);
	else
		snprintf(how, sizeof how, "set REDIS_URL%s or --url",
			 c->cfg && c->cfg->unix_path[0] ? "=unix:///path" : "");

	switch (f) {
	case SESS_IO_REFUSED:
		return sess_err_set(err, SESS_E_UNAVAILABLE, "unavailable",
				    "cannot connect to %s: connection refused; is redis-server running? %s",
				    c->where, how);
	case SESS_IO_NOSOCK:
		return sess_err_set(err, SESS_E_UNAVAILABLE, "unavailable",
				    "cannot connect to %s: no such socket; is redis-server running? %s",
				    c->where, how);
	case SESS_IO_TIMEOUT:
		return sess_err_set(err, SESS_E_TEMP, "timeout",
				    "%s did not answer in time (connect %d ms, command %d ms); check the server or raise --timeout",
				    c->where, c->cfg ? c->cfg->connect_timeout_ms : 0,
				    c->cfg ? c->cfg->command_timeout_ms : 0);
	case SESS_IO_RESOLVE:
		return sess_err_set(err, SESS_E_UNAVAILABLE, "unavailable",
				    "cannot connect to %s: unknown host; check the host name in %s",
				    c->where, flag);
	case SESS_IO_CLOSED:
		/* a TLS port drops plain text without a word */
		if (!c->ep.tls && !c->answered && !c->ep.unix_path[0])
			return sess_err_set(err, SESS_E_UNAVAILABLE, "unavailable",
					    "%s closed the connection before answering (%s): is it a TLS port? add --tls (or use rediss://); else is the server restarting or at maxclients?",
					    c->where, e);
		return sess_err_set(err, SESS_E_UNAVAILABLE, "unavailable",
				    "%s closed the connection (%s); is the server restarting or at maxclients?",
				    c->where, e);
	case SESS_IO_NOMEM:
		return sess_err_set(err, SESS_E_INTERNAL, NULL, "talking to %s: out of memory", c->where);
	default:
		return sess_err_set(err, SESS_E_UNAVAILABLE, "unavailable",
				    "cannot talk to %s: %s; %s", c->where, e[0] ? e : "unknown failure", how);
	}
}

int sess_conn_reply_error(const struct sess_conn *c, const redisReply *r,
			  struct sess_err *err)
{
	const char *s = r->str ? r->str : "";
	static const char abort_cause[] = "EXECABORT Transaction discarded because of: ";

	/* a refusal at EXEC time (out of memory, a replica, a permission)
	 * comes wrapped: the cause decides, as if it came alone; a command
	 * refused while queued (a permission) is the cause of "previous
	 * errors" */
	if (!strncmp(s, abort_cause, sizeof abort_cause - 1) && s[sizeof abort_cause - 1])
		s += sizeof abort_cause - 1;
	else if (!strncmp(s, "EXECABORT", 9) && c->last_err[0])
		s = c->last_err;
	/* MULTI itself refused: EXEC finds no transaction */
	else if (strstr(s, "EXEC without MULTI") && !strncmp(c->last_err, "NOPERM", 6))
		s = c->last_err;
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
	if ((!strncmp(s, "WRONGPASS", 9) || strstr(s, "invalid password") ||
	     strstr(s, "invalid username-password")) && c->cfg && c->cfg->password_from[0])
		return sess_err_set(err, SESS_E_AUTH, "auth",
				    "%s refused the user name or password; check the password given by %s, and the user name if one is set",
				    c->where, c->cfg->password_from);
	if (!strncmp(s, "WRONGPASS", 9) || strstr(s, "invalid password") ||
	    strstr(s, "invalid username-password"))
		return sess_err_set(err, SESS_E_AUTH, "auth",
				    "%s refused the user name or password; check REDIS_USERNAME and REDIS_PASSWORD",
				    c->where);
	if (!strncmp(s, "NOPERM", 6) || strstr(s, "The user executing the script can't"))
		return sess_conn_noperm(c->where, c->cfg, s, err);
	if (strstr(s, "AUTH <password> called without any password configured") ||
	    strstr(s, "without any password configured"))
		return sess_err_set(err, SESS_E_AUTH, "auth",
				    "%s has no password set but one was given; drop the password (--password, --password-file, REDIS_PASSWORD, the URL's)",
				    c->where);
	if (strstr(s, "DB index is out of range") || strstr(s, "invalid DB index"))
		return sess_err_set(err, SESS_E_CONFIG, "bad_db",
				    "%s has no database %d; pick one the server has (see its 'databases' setting)",
				    c->where, c->cfg->db);
	if (strstr(s, "max number of clients reached"))
		return sess_err_set(err, SESS_E_TEMP, "maxclients",
				    "%s has as many clients as its maxclients allows; try again later, or raise maxclients",
				    c->where);
	if (!strncmp(s, "MISCONF", 7))
		return sess_err_set(err, SESS_E_TEMP, "misconf",
				    "%s refuses writes: it cannot save its snapshot (%s); fix its disk or save settings",
				    c->where, s);
	if (!strncmp(s, "MASTERDOWN", 10))
		return sess_err_set(err, SESS_E_TEMP, "masterdown",
				    "%s is a replica whose link to its primary is down; try again, or point %s at the primary",
				    c->where, c->cfg->url_flag[0] ? c->cfg->url_flag : "--url");
	if (!strncmp(s, "NOREPLICAS", 10))
		return sess_err_set(err, SESS_E_TEMP, "noreplicas",
				    "%s has too few good replicas to take writes (min-replicas-to-write); try again later",
				    c->where);
	if (!strncmp(s, "READONLY", 8))
		return sess_err_set(err, SESS_E_UNAVAILABLE, "readonly",
				    "%s is a read-only replica; point %s at the primary", c->where,
				    c->cfg->url_flag[0] ? c->cfg->url_flag : "--url");
	if (!strncmp(s, "CROSSSLOT", 9))
		return sess_err_set(err, SESS_E_CONFIG, "crossslot",
				    "%s is a Redis Cluster node and refused a command whose keys live in different hash slots (CROSSSLOT): this command's keys do not share a {hash tag} in this key layout; run it on a standalone server (see sesskit-layout(7))",
				    c->where);
	if (!strncmp(s, "CLUSTERDOWN", 11))
		return sess_err_set(err, SESS_E_TEMP, "clusterdown",
				    "CLUSTERDOWN on %s: the cluster is down or has uncovered slots (%s); check `redis-cli -p PORT cluster info` and retry",
				    c->where, s);
	/* a cluster conn follows redirections, but not inside a transaction
	 * (its commands are queued on one node): a slot moving meanwhile */
	if (c->cl && (!strncmp(s, "MOVED ", 6) || !strncmp(s, "ASK ", 4)))
		return sess_err_set(err, SESS_E_TEMP, "moved",
				    "%s: the slot of a transaction's keys moved to another node while it was queued (%s: the cluster is resharding); nothing of it was written: try again",
				    c->where, s);
	if (!strncmp(s, "MOVED ", 6) || !strncmp(s, "ASK ", 4))
		return sess_err_set(err, SESS_E_CONFIG, "cluster",
				    "%s is a Redis Cluster node and the key lives on another node (%s); set redis.cluster=yes (REDIS_CLUSTER=yes) so sesskit follows the cluster's slots",
				    c->where, s);
	if (strstr(s, "SELECT is not allowed in cluster mode"))
		return sess_err_set(err, SESS_E_CONFIG, "cluster_db",
				    "%s is a Redis Cluster node, and a cluster has only database 0; drop the /%d from the URL (or REDIS_DB)",
				    c->where, c->cfg->db);
	if (!strncmp(s, "OOM", 3))
		return sess_err_set(err, SESS_E_TEMP, "oom",
				    "%s is out of memory (maxmemory reached); free memory or raise maxmemory",
				    c->where);
	return sess_err_set(err, SESS_E_INTERNAL, "redis_error", "%s answered: %s",
			    c->where, s);
}
