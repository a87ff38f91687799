/* cmd_server.c - a live Redis checked for this workload: version,
 * credentials, ACL per tool and mode (acl.c), eviction, persistence, keyspace notifications,
 * latency, layout, replication role. */
#include "validate.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sess-validate/acl.h"
#include "sess-validate/cfgcheck.h"
#include "core/model/keys.h"
#include "core/redis/sentinel.h"
#include "core/base/schema.h"

struct server_opts { REPORT_FIELDS; const char *env; int live_sync; long pings; };

static const struct cli_opt server_o[] = {
	FORMAT_OPTS(struct server_opts),
	CLI_STR_OLD("env", 'e', "ENV", "development, staging or production (default:\n"
		"                         the config's \"environment\", else development)",
		struct server_opts, env, "development staging production"),
	CLI_FLAG("live-sync", 0, "live sync is used: keyspace notifications must be on",
		 struct server_opts, live_sync),
	CLI_LONG("pings", 0, "N", "PINGs sampled for the latency",
		 struct server_opts, pings, 1, 1000),
	CLI_END};
static const struct server_opts server_d = {.pings = 5};

#define MIN_MAJOR 6           /* older servers: no ACL, no RESP3 ... */
#define LATENCY_WARN_MS 10.0

struct srv {
	struct cli_app *a;
	struct report *r;
	int prod, staging;
	redisReply *info;
};

static void say(struct srv *s, enum sess_sev sev, const char *code, const char *fix, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
static void say(struct srv *s, enum sess_sev sev, const char *code, const char *fix, const char *fmt, ...)
{
	struct sess_finding f;
	struct sess_err e;
	char msg[SESS_ERR_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	sess_err_set(&e, SESS_E_DATA, NULL, "%s", msg);
	memset(&f, 0, sizeof f);
	f.sev = sev;
	f.code = code;
	f.message = e.msg;
	f.fix = fix;
	f.seq = -1;
	report_finding(&f, s->r);
}

/* A field of INFO's text ("name:value\r\n"), copied into buf. */
static const char *info(struct srv *s, const char *name, char *buf, size_t n)
{
	const char *p = s->info && s->info->type == REDIS_REPLY_STRING ? s->info->str : NULL;
	size_t len = strlen(name);

	while (p && *p) {
		if (!strncmp(p, name, len) && p[len] == ':') {
			size_t l = strcspn(p + len + 1, "\r\n");
			snprintf(buf, n, "%.*s", (int)l, p + len + 1);
			return buf;
		}
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return NULL;
}

static redisReply *cmd(struct srv *s, const char *fmt, ...)
{
	va_list ap;
	redisReply *r;

	va_start(ap, fmt);
	r = sess_conn_callv(&s->a->conn, NULL, fmt, ap);
	va_end(ap);
	return r;
}

static void check_version(struct srv *s)
{
	char v[64];
	int major = 0, minor = 0;

	if (!info(s, "redis_version", v, sizeof v)) {
		say(s, SESS_SEV_WARNING, "server.version", "check that this is Redis", "the server does not say its version");
		return;
	}
	sscanf(v, "%d.%d", &major, &minor);
	if (major < MIN_MAJOR)
		say(s, SESS_SEV_ERROR, "server.version", "upgrade Redis to 6.0 or later (sesskit is tested with 7.0)",
		    "Redis %s is older than %d.0, which sesskit needs", v, MIN_MAJOR);
}

static void check_memory(struct srv *s)
{
	char pol[64], mm[64];

	if (!info(s, "maxmemory_policy", pol, sizeof pol))
		return;
	info(s, "maxmemory", mm, sizeof mm);
	if (strcmp(pol, "noeviction")) {
		/* every session key has a TTL, so volatile-* evicts live sessions too */
		say(s, atoll(mm) > 0 ? SESS_SEV_ERROR : SESS_SEV_WARNING, "server.eviction",
		    "CONFIG SET maxmemory-policy noeviction (writes then fail loudly instead of losing sessions)",
		    "maxmemory-policy is %s: when memory fills, Redis evicts live sessions' keys%s", pol,
		    atoll(mm) > 0 ? "" : " (maxmemory is 0, so not yet)");
	} else if (atoll(mm) == 0 && s->prod) {
		say(s, SESS_SEV_RECOMMENDATION, "server.maxmemory",
		    "set maxmemory below the machine's memory, so Redis refuses writes before the kernel kills it",
		    "maxmemory is 0 (no limit)");
	}
}

static void check_persistence(struct srv *s)
{
	char aof[16] = "0", bg[16] = "", aofw[16] = "", save[256] = "";
	redisReply *r;
	enum sess_sev sev = s->prod ? SESS_SEV_ERROR : SESS_SEV_WARNING;

	info(s, "aof_enabled", aof, sizeof aof);
	if (info(s, "rdb_last_bgsave_status", bg, sizeof bg) && strcmp(bg, "ok"))
		say(s, sev, "server.save_failed", "read the Redis log: disk full or no permission in its dir?",
		    "the last RDB save failed (rdb_last_bgsave_status:%s)", bg);
	if (info(s, "aof_last_write_status", aofw, sizeof aofw) && strcmp(aofw, "ok"))
		say(s, sev, "server.save_failed", "read the Redis log: disk full or no permission in its dir?",
		    "the last AOF write failed (aof_last_write_status:%s)", aofw);
	if (!s->prod)
		return;
	r = cmd(s, "CONFIG GET save");
	if (r && r->type == REDIS_REPLY_ARRAY && r->elements == 2 && r->element[1]->type == REDIS_REPLY_STRING)
		snprintf(save, sizeof save, "%s", r->element[1]->str);
	else
		snprintf(save, sizeof save, "?");
	if (r)
		freeReplyObject(r);
	if (strcmp(aof, "1") && !*save)
		say(s, SESS_SEV_ERROR, "server.persistence",
		    "CONFIG SET appendonly yes (or save 3600 1 300 100 60 10000) and CONFIG REWRITE",
		    "neither AOF nor RDB snapshots are on: a restart loses every session");
}

static void check_notifications(struct srv *s)
{
	redisReply *r = cmd(s, "CONFIG GET notify-keyspace-events");
	const char *v = r && r->type == REDIS_REPLY_ARRAY && r->elements == 2 ? r->element[1]->str : NULL;

	if (!v)
		say(s, SESS_SEV_WARNING, "server.notifications", "allow CONFIG GET, or check notify-keyspace-events by hand",
		    "cannot read notify-keyspace-events: %s", r && r->type == REDIS_REPLY_ERROR ? r->str : "no answer");
	else if (!(strchr(v, 'K') || strchr(v, 'E')) || !(strchr(v, 'A') || (strchr(v, 'g') && strchr(v, 'l') && strchr(v, 'h'))))
		say(s, SESS_SEV_ERROR, "server.notifications", "CONFIG SET notify-keyspace-events KEA",
		    "live sync needs keyspace notifications, and notify-keyspace-events is \"%s\"", v);
	if (r)
		freeReplyObject(r);
}

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static void check_latency(struct srv *s, long pings)
{
	double ms[1000];
	long i;

	for (i = 0; i < pings; i++) {
		struct timespec t0, t1;
		redisReply *r;
		clock_gettime(CLOCK_MONOTONIC, &t0);
		r = cmd(s, "PING");
		clock_gettime(CLOCK_MONOTONIC, &t1);
		if (r && r->type == REDIS_REPLY_ERROR) { /* refused (the ACL): no latency to measure */
			struct sess_err e;
			sess_conn_reply_error(&s->a->conn, r, &e);
			say(s, SESS_SEV_WARNING, "server.latency", "allow PING to this user (sesskit-acl(7), sess-validate server)",
			    "cannot measure the latency: %s", e.msg);
			freeReplyObject(r);
			return;
		}
		if (r)
			freeReplyObject(r);
		ms[i] = (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
	}
	qsort(ms, (size_t)pings, sizeof ms[0], cmp_d);
	if (ms[pings / 2] > LATENCY_WARN_MS)
		say(s, SESS_SEV_WARNING, "server.latency", "run the tools near Redis; check its load (redis-cli --latency)",
		    "PING takes %.1f ms (median of %ld); every session operation pays it", ms[pings / 2], pings);
}

static void check_layout(struct srv *s)
{
	char key[SESS_KEY_MAX];
	redisReply *r;

	sess_key_layout(key, s->a->cfg.prefix);
	r = cmd(s, "GET %s", key);
	if (!r)
		return;
	if (r->type == REDIS_REPLY_ERROR) { /* refused (the ACL): not a layout */
		struct sess_err e;
		sess_conn_reply_error(&s->a->conn, r, &e);
		say(s, SESS_SEV_ERROR, "server.acl", "allow GET on the prefix's keys (sesskit-acl(7), sess-validate server)",
		    "cannot read the layout marker %s: %s", key, e.msg);
	} else if (r->type == REDIS_REPLY_NIL)
		say(s, SESS_SEV_RECOMMENDATION, "server.layout_absent",
		    "nothing to do for a new database; otherwise check --prefix",
		    "no layout marker %s: no session was ever written with this prefix", key);
	else if (r->type == REDIS_REPLY_STRING && (!strcmp(r->str, SESS_S_LAYOUT_PREV) || !strcmp(r->str, SESS_S_LAYOUT_OLD)))
		say(s, SESS_SEV_ERROR, "server.layout", "run sessctl upgrade",
		    "the data has layout %s; this sesskit reads layout %s", r->str, SESS_S_LAYOUT);
	else if (r->type != REDIS_REPLY_STRING || strcmp(r->str, SESS_S_LAYOUT))
		say(s, SESS_SEV_ERROR, "server.layout", "use the sesskit that wrote this data, or another --prefix",
		    "the data has layout %s, which this sesskit does not know", r->type == REDIS_REPLY_STRING ? r->str : "?");
	freeReplyObject(r);
}

static void check_role(struct srv *s)
{
	char role[32], slaves[16] = "0";

	if (!info(s, "role", role, sizeof role))
		return;
	info(s, "connected_slaves", slaves, sizeof slaves);
	if (strcmp(role, "master"))
		say(s, SESS_SEV_ERROR, "server.role", "point the tools at the primary (or use Sentinel to find it)",
		    "the server is a %s: every write the tools make is refused (READONLY)", role);
	else if (s->prod && atoi(slaves) == 0)
		say(s, SESS_SEV_RECOMMENDATION, "server.replication", "add a replica (and Sentinel) for failover",
		    "no replica is connected: losing this server loses the sessions since the last save");
}

/* Through Sentinel: what every listed sentinel says about the master
 * (the same view sess-health reports: core/redis/sentinel.h). */
static void check_sentinel(struct srv *s)
{
	struct sess_sentinel_seen v[SESS_SENTINELS_MAX];
	const struct sess_sentinel_seen *first = NULL;
	struct sess_err e;
	int n, i, knows = 0, quorum_bad = 0, failover = 0;

	sess_err_clear(&e);
	if ((n = sess_sentinel_view(&s->a->cfg, v, SESS_SENTINELS_MAX, &e)) < 0)
		return; /* the connection above said it already */
	for (i = 0; i < n; i++) {
		if (!v[i].reachable) {
			say(s, SESS_SEV_WARNING, "server.sentinel.unreachable", "start it, or take it out of --sentinel / REDIS_SENTINELS",
			    "sentinel %.255s:%d does not answer: %s", v[i].ep.host, v[i].ep.port, v[i].error);
			continue;
		}
		if (!v[i].knows) {
			say(s, SESS_SEV_ERROR, "server.sentinel.unknown_master",
			    "SENTINEL MONITOR the master there, or check --sentinel-master",
			    "sentinel %.255s:%d does not monitor \"%s\": %s", v[i].ep.host, v[i].ep.port,
			    s->a->cfg.sentinel_master, v[i].error);
			continue;
		}
		knows++;
		if (!first) {
			first = &v[i];
		} else if (first->master.port != v[i].master.port || strcmp(first->master.host, v[i].master.host)) {
			say(s, SESS_SEV_WARNING, "server.sentinel.disagree", "wait for the failover to settle; check the sentinels' network",
			    "sentinel %.255s:%d names %.255s:%d as the primary, %.255s:%d names %.255s:%d",
			    first->ep.host, first->ep.port, first->master.host, first->master.port,
			    v[i].ep.host, v[i].ep.port, v[i].master.host, v[i].master.port);
		}
		if (!v[i].quorum_ok && !quorum_bad++)
			say(s, SESS_SEV_ERROR, "server.sentinel.quorum", "run at least quorum sentinels that see each other",
			    "sentinel %.255s:%d: no failover can be authorised now (%s)", v[i].ep.host, v[i].ep.port, v[i].quorum_msg);
		if (v[i].failover[0] && !failover++)
			say(s, SESS_SEV_WARNING, "server.sentinel.failover", "wait for it to finish, then check again",
			    "a failover of \"%s\" is under way (%s)", s->a->cfg.sentinel_master, v[i].failover);
	}
	if (!first)
		return;
	if (strstr(first->flags, "s_down") || strstr(first->flags, "o_down"))
		say(s, SESS_SEV_ERROR, "server.sentinel.down", "bring the primary back or let Sentinel fail over",
		    "the sentinels see the primary %.255s:%d as down (flags %s)", first->master.host, first->master.port, first->flags);
	if (first->quorum > knows && !quorum_bad)
		say(s, SESS_SEV_ERROR, "server.sentinel.quorum", "run at least quorum sentinels that see each other",
		    "%d sentinels monitor \"%s\" but its quorum is %ld: no failover can be agreed", knows,
		    s->a->cfg.sentinel_master, first->quorum);
	if (first->replicas == 0)
		say(s, s->prod ? SESS_SEV_ERROR : SESS_SEV_WARNING, "server.sentinel.replicas", "add a replica of the primary",
		    "the sentinels know no replica of \"%s\": a failover has nothing to promote", s->a->cfg.sentinel_master);
}

static int cmd_server(struct cli_app *a, void *opts, int argc, char **argv)
{
	struct server_opts *o = opts;
	struct report r;
	struct srv s;
	const char *env;
	int rc, warn = 0;

	(void)argc;
	(void)argv;
	if ((rc = report_init(&r, a, o->format, o->strict, "server")))
		return rc;
	if (o->env && !sess_cfgcheck_env_ok(o->env))
		return cli_usage_error(a, "--env must be development, staging or production, not \"%.20s\"", o->env);
	if (cli_settings(&a->cfg, &a->common, &warn, &a->err))
		return cli_app_fail(a);
	memset(&s, 0, sizeof s);
	s.a = a;
	s.r = &r;
	env = o->env ? o->env : a->cfg.environment[0] ? a->cfg.environment : "development";
	s.prod = !strcmp(env, "production");
	s.staging = !strcmp(env, "staging");
	report_suite(&r, "server");
	if (sess_conn_open(&a->conn, &a->cfg, &a->err)) {
		int auth = a->err.cls == SESS_E_AUTH;
		struct sess_finding f;
		memset(&f, 0, sizeof f);
		f.sev = SESS_SEV_ERROR;
		f.code = auth ? "server.auth" : a->err.cls == SESS_E_UNAVAILABLE ? "server.unreachable" : "server.connect";
		f.message = a->err.msg;
		f.fix = auth ? "give the right user and password (--user, --password-file, REDIS_PASSWORD)"
			     : "is redis-server running? set REDIS_URL or --url";
		f.seq = -1;
		report_finding(&f, &r);
		report_end(&r);
		return sess_err_exit_code(a->err.cls);
	}
	a->connected = 1;
	s.info = cmd(&s, "INFO");
	if (!s.info || s.info->type != REDIS_REPLY_STRING) {
		say(&s, SESS_SEV_ERROR, s.info && s.info->type == REDIS_REPLY_ERROR && strstr(s.info->str, "NOPERM") ? "server.acl" : "server.connect",
		    "allow INFO to this user", "INFO failed: %s", s.info && s.info->type == REDIS_REPLY_ERROR ? s.info->str : "no answer");
	} else {
		check_version(&s);
		check_memory(&s);
		check_persistence(&s);
		check_role(&s);
	}
	sv_acl_check(a, &r);
	if (a->cfg.sentinels[0])
		check_sentinel(&s);
	if (o->live_sync)
		check_notifications(&s);
	check_latency(&s, o->pings);
	check_layout(&s);
	if (s.info)
		freeReplyObject(s.info);
	return report_end(&r);
}

const struct cli_cmd validate_cmd_server = {
	.name = "server", .synopsis = "",
	.summary = "check a live Redis for this workload",
	.details =
	"Version, reachable and authorised, the ACL (which commands are missing),\n"
	"maxmemory-policy, persistence (production), keyspace notifications\n"
	"(--live-sync), latency, the layout version, the replication role.\n"
	"Exit as config; 69 unreachable, 77 refused credentials.\n",
	.opts = server_o, .opts_size = sizeof(struct server_opts), .defaults = &server_d,
	.run = cmd_server};
