/* check.c - one health check: run the core's probes, judge each number
 * against its thresholds, build the health+json document plus what the
 * Prometheus and Nagios formats need. Nothing here prints. */
#include "sess-health/check.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/model/ids.h"
#include "core/redis/cluster.h"
#include "sess-health/probe.h"
#include "sesskit-config.h"

static const char *const status_names[] = {"healthy", "warning", "unknown", "critical", "down"};

const char *health_status_name(int s)
{
	return s >= 0 && s <= H_DOWN ? status_names[s] : "unknown";
}

const char *health_status_hc(int s)
{
	return s == H_OK ? "pass" : s == H_WARN ? "warn" : "fail";
}

void health_json_status(cJSON *o, int s)
{
	cJSON_AddStringToObject(o, "status", health_status_hc(s));
	cJSON_AddStringToObject(o, "level", health_status_name(s));
}

int health_exit_code(int s)
{
	static const int codes[] = {0, 1, 3, 2, 2};

	return s >= 0 && s <= H_DOWN ? codes[s] : 3;
}

/* ---- thresholds ---- */

const char *health_metric_name(int m)
{
	return sess_thresh_name(m);
}

int health_thresholds(struct health_thresholds *th, const struct sess_config *cfg,
		      const char *warn, const char *crit, struct sess_err *err)
{
	memset(th, 0, sizeof *th);
	sess_thresh_defaults(th->warn, th->crit);
	if (sess_thresh_apply(th->warn, cfg->health_warn, "warning", "config health.warn", err) ||
	    sess_thresh_apply(th->crit, cfg->health_crit, "critical", "config health.crit", err) ||
	    sess_thresh_apply(th->warn, warn, "warning", "--warning", err) ||
	    sess_thresh_apply(th->crit, crit, "critical", "--critical", err))
		return -1;
	return 0;
}

/* ---- building the result ---- */

static const char *const comp_names[C_N] = {"redis", "memory", "persistence",
					    "replication", "sentinel", "cluster", "sessions", "pubsub"};

static void iso_now(char *buf, size_t n)
{
	long long ms = sess_now_ms();
	time_t s = (time_t)(ms / 1000);
	struct tm tm;
	char b[32];

	gmtime_r(&s, &tm);
	strftime(b, sizeof b, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf, n, "%s.%03dZ", b, (int)(ms % 1000));
}

/* Add one check "comp:meas" (value: a cJSON number, string or bool, owned
 * by the doc afterwards; unit may be NULL). */
void check_add(struct run *r, int comp, const char *meas, int status,
		      cJSON *value, const char *unit, const char *fmt, ...)
{
	char key[400], out[SESS_ERR_MSG_MAX + 64] = "";
	cJSON *arr = cJSON_CreateArray(), *o = cJSON_CreateObject();
	va_list ap;

	if (fmt) {
		va_start(ap, fmt);
		vsnprintf(out, sizeof out, fmt, ap);
		va_end(ap);
	}
	snprintf(key, sizeof key, "%s:%s", comp_names[comp], meas);
	cJSON_AddStringToObject(o, "componentType", comp == C_SESSIONS || comp == C_PUBSUB ? "system" : "datastore");
	health_json_status(o, status);
	if (value)
		cJSON_AddItemToObject(o, "observedValue", value);
	if (unit)
		cJSON_AddStringToObject(o, "observedUnit", unit);
	cJSON_AddStringToObject(o, "time", r->time);
	/* health+json: output is for warn and fail; a pass says its remark
	 * in note */
	if (out[0])
		cJSON_AddStringToObject(o, status == H_OK ? "note" : "output", out);
	cJSON_AddItemToArray(arr, o);
	cJSON_AddItemToObject(r->checks, key, arr);
	r->ran[comp] = 1;
	if (status > r->comp[comp])
		r->comp[comp] = status;
	/* the first problems, for the top-level output and Nagios' line */
	if (status != H_OK && out[0]) {
		size_t have = strlen(r->summary), need = strlen(key) + strlen(out) + 4;
		if (have + need < sizeof r->summary) {
			char *p = r->summary + have;
			if (have)
				p = (char *)memcpy(p, "; ", 2) + 2;
			p = (char *)memcpy(p, key, strlen(key)) + strlen(key);
			p = (char *)memcpy(p, ": ", 2) + 2;
			memcpy(p, out, strlen(out) + 1);
		}
	}
}

static double round3(double v)
{
	return round(v * 1000.0) / 1000.0;
}

/* The status metric m's value v earns, and the output naming the range. */
static int judge(const struct run *r, int m, double v, char *why, size_t n)
{
	const struct health_thresholds *th = &r->hp->th;

	why[0] = '\0';
	if (sess_range_alert(&th->crit[m], v)) {
		snprintf(why, n, "%g is outside the critical range %s (%s)", round3(v),
			 th->crit[m].text, sess_thresh_name(m));
		return H_CRIT;
	}
	if (sess_range_alert(&th->warn[m], v)) {
		snprintf(why, n, "%g is outside the warning range %s (%s)", round3(v),
			 th->warn[m].text, sess_thresh_name(m));
		return H_WARN;
	}
	return H_OK;
}

/* A check of a number under metric m's thresholds, with its perfdata. */
void check_metric(struct run *r, int comp, const char *meas, int m, double v,
		       const char *unit, const char *perf_unit, double min, double max)
{
	check_metric_as(r, comp, meas, m, v, unit, NULL, perf_unit, min, max);
}

void check_metric_as(struct run *r, int comp, const char *meas, int m, double v,
		     const char *unit, const char *perf_label, const char *perf_unit,
		     double min, double max)
{
	char why[200];
	int st = judge(r, m, v, why, sizeof why);
	cJSON *p = cJSON_CreateArray();

	check_add(r, comp, meas, st, cJSON_CreateNumber(round3(v)), unit, "%s", why[0] ? why : "");
	cJSON_AddItemToArray(p, cJSON_CreateString(perf_label ? perf_label : sess_thresh_name(m)));
	cJSON_AddItemToArray(p, cJSON_CreateNumber(round3(v)));
	cJSON_AddItemToArray(p, cJSON_CreateString(perf_unit ? perf_unit : ""));
	cJSON_AddItemToArray(p, cJSON_CreateString(r->hp->th.warn[m].text));
	cJSON_AddItemToArray(p, cJSON_CreateString(r->hp->th.crit[m].text));
	cJSON_AddItemToArray(p, isnan(min) ? cJSON_CreateNull() : cJSON_CreateNumber(min));
	cJSON_AddItemToArray(p, isnan(max) ? cJSON_CreateNull() : cJSON_CreateNumber(max));
	cJSON_AddItemToArray(r->res->perf, p);
}

/* One Prometheus sample. */
void check_prom(struct run *r, const char *name, const char *type, const char *help,
		 const char *labels, double v)
{
	cJSON *s = cJSON_CreateArray();

	cJSON_AddItemToArray(s, cJSON_CreateString(name));
	cJSON_AddItemToArray(s, cJSON_CreateString(type));
	cJSON_AddItemToArray(s, cJSON_CreateString(help));
	cJSON_AddItemToArray(s, cJSON_CreateString(labels ? labels : ""));
	cJSON_AddItemToArray(s, cJSON_CreateNumber(v));
	cJSON_AddItemToArray(r->res->prom, s);
}

void check_perf(struct run *r, const char *label, double v, double min, double max)
{
	cJSON *p = cJSON_CreateArray();

	cJSON_AddItemToArray(p, cJSON_CreateString(label));
	cJSON_AddItemToArray(p, cJSON_CreateNumber(v));
	cJSON_AddItemToArray(p, cJSON_CreateString(""));
	cJSON_AddItemToArray(p, cJSON_CreateString(""));
	cJSON_AddItemToArray(p, cJSON_CreateString(""));
	cJSON_AddItemToArray(p, isnan(min) ? cJSON_CreateNull() : cJSON_CreateNumber(min));
	cJSON_AddItemToArray(p, isnan(max) ? cJSON_CreateNull() : cJSON_CreateNumber(max));
	cJSON_AddItemToArray(r->res->perf, p);
}

/* The status an error means: could not check (our credentials or
 * permissions, our settings), down (nothing answers) or critical
 * (connected, but no answer in time, loading, busy...). */
static int err_status(const struct sess_err *e)
{
	switch (e->cls) {
	case SESS_E_AUTH:
	case SESS_E_CONFIG:
	case SESS_E_USAGE:
		return H_UNKNOWN;
	case SESS_E_UNAVAILABLE:
		return H_DOWN;
	default:
		return H_CRIT;
	}
}

/* ---- the components ---- */

static double info(const struct sess_info *in, const char *name)
{
	double v = NAN;

	sess_info_num(in, name, &v);
	return v;
}

static void check_redis_info(struct run *r, const struct sess_info *in)
{
	const char *role = sess_info_get(in, "role"), *ver = sess_info_get(in, "redis_version");
	const char *want = r->hp->role;
	double clients = info(in, "connected_clients"), maxc = info(in, "maxclients");
	double blocked = info(in, "blocked_clients"), rejected = info(in, "rejected_connections");
	int is_master = role && !strcmp(role, "master");

	check_add(r, C_REDIS, "version", H_OK, cJSON_CreateString(ver ? ver : "?"), NULL, NULL);
	if (!strcmp(want, "any") || (is_master == !strcmp(want, "master")))
		check_add(r, C_REDIS, "role", H_OK, cJSON_CreateString(role ? role : "?"), NULL, NULL);
	else if (is_master)
		check_add(r, C_REDIS, "role", H_CRIT, cJSON_CreateString(role), NULL,
			  "a master, where a replica was expected (--role %s)", want);
	else
		check_add(r, C_REDIS, "role", H_CRIT, cJSON_CreateString(role ? role : "?"), NULL,
			  "a read-only replica: sessions cannot be written here; point --url at the master (or --role replica)");
	if (!isnan(clients)) {
		check_add(r, C_REDIS, "connectedClients", H_OK, cJSON_CreateNumber(clients), NULL, NULL);
		check_prom(r, "sess_redis_connected_clients", "gauge", "Clients connected to Redis.", NULL, clients);
	}
	if (!isnan(clients) && !isnan(maxc) && maxc > 0)
		check_metric(r, C_REDIS, "clientsUtilization", M_CLIENTS, clients / maxc * 100, "percent", "%", 0, 100);
	if (!isnan(blocked)) {
		check_metric(r, C_REDIS, "blockedClients", M_BLOCKED, blocked, NULL, NULL, 0, NAN);
		check_prom(r, "sess_redis_blocked_clients", "gauge", "Clients blocked in a blocking command.", NULL, blocked);
	}
	if (!isnan(rejected)) {
		check_metric(r, C_REDIS, "rejectedConnections", M_REJECTED, rejected, NULL, "c", 0, NAN);
		check_prom(r, "sess_redis_rejected_connections_total", "counter",
		     "Connections Redis rejected (maxclients) since it started.", NULL, rejected);
	}
	check_prom(r, "sess_redis_master", "gauge", "1 when Redis is a master, 0 when a replica.", NULL, is_master);
}

static void check_memory(struct run *r, const struct sess_info *in)
{
	double used = info(in, "used_memory"), peak = info(in, "used_memory_peak");
	double max = info(in, "maxmemory"), frag = info(in, "mem_fragmentation_ratio");
	double evicted = info(in, "evicted_keys");
	const char *policy = sess_info_get(in, "maxmemory_policy");

	if (isnan(used))
		return;
	check_add(r, C_MEMORY, "used", H_OK, cJSON_CreateNumber(used), "bytes", NULL);
	check_prom(r, "sess_redis_memory_used_bytes", "gauge", "Memory Redis has allocated.", NULL, used);
	if (!isnan(peak)) {
		check_add(r, C_MEMORY, "peak", H_OK, cJSON_CreateNumber(peak), "bytes", NULL);
		check_prom(r, "sess_redis_memory_peak_bytes", "gauge", "The most memory Redis has allocated.", NULL, peak);
	}
	if (!isnan(max)) {
		check_add(r, C_MEMORY, "maxmemory", H_OK, cJSON_CreateNumber(max), "bytes",
			  "%s", max > 0 ? "" : "no maxmemory set: the machine's memory is the limit");
		check_prom(r, "sess_redis_memory_max_bytes", "gauge", "maxmemory (0: none set).", NULL, max);
	}
	if (!isnan(max) && max > 0) {
		int noevict = policy && !strcmp(policy, "noeviction");
		check_add(r, C_MEMORY, "headroom", used >= max && noevict ? H_CRIT : H_OK,
			  cJSON_CreateNumber(max > used ? max - used : 0), "bytes", "%s",
			  used >= max && noevict ? "maxmemory reached with noeviction: writes are refused (OOM); free memory, raise maxmemory or pick an eviction policy" : "");
		check_metric(r, C_MEMORY, "utilization", M_MEMORY, used / max * 100, "percent", "%", 0, 100);
	}
	if (!isnan(frag)) {
		check_metric(r, C_MEMORY, "fragmentation", M_FRAGMENTATION, frag, "ratio", NULL, 0, NAN);
		check_prom(r, "sess_redis_memory_fragmentation_ratio", "gauge",
		     "RSS over allocated memory (high: fragmented; below 1: swapping).", NULL, frag);
	}
	if (policy)
		check_add(r, C_MEMORY, "evictionPolicy", H_OK, cJSON_CreateString(policy), NULL, NULL);
	if (!isnan(evicted)) {
		check_metric(r, C_MEMORY, "evictedKeys", M_EVICTED, evicted, NULL, "c", 0, NAN);
		check_prom(r, "sess_redis_evicted_keys_total", "counter", "Keys evicted under maxmemory.", NULL, evicted);
	}
}

static void check_persistence(struct run *r, const struct sess_info *in)
{
	const char *bg = sess_info_get(in, "rdb_last_bgsave_status");
	const char *aofw = sess_info_get(in, "aof_last_write_status");
	double last = info(in, "rdb_last_save_time"), aof = info(in, "aof_enabled");
	double loading = info(in, "loading");

	if (!isnan(loading) && loading > 0)
		check_add(r, C_PERSISTENCE, "loading", H_CRIT, cJSON_CreateBool(1), NULL,
			  "Redis is loading its dataset and answers nothing else; wait for it");
	if (bg) {
		int ok = !strcmp(bg, "ok");
		check_add(r, C_PERSISTENCE, "rdbLastSave", ok ? H_OK : H_WARN,
			  cJSON_CreateNumber(isnan(last) ? 0 : last), "unix seconds", "%s",
			  ok ? "" : "the last RDB save failed; see the Redis log (disk full? permissions?)");
		check_prom(r, "sess_redis_rdb_last_bgsave_ok", "gauge", "1 when the last RDB save succeeded.", NULL, ok);
		if (!isnan(last))
			check_prom(r, "sess_redis_rdb_last_save_timestamp_seconds", "gauge",
			     "When the last RDB save succeeded (unix time).", NULL, last);
	}
	if (!isnan(aof)) {
		int ok = !aofw || !strcmp(aofw, "ok");
		check_add(r, C_PERSISTENCE, "aof", aof > 0 && !ok ? H_CRIT : H_OK,
			  cJSON_CreateString(aof > 0 ? (ok ? "on" : "failing") : "off"), NULL, "%s",
			  aof > 0 && !ok ? "AOF writes fail: Redis refuses writes; see its log (disk full?)" : "");
		check_prom(r, "sess_redis_aof_enabled", "gauge", "1 when the append-only file is on.", NULL, aof > 0);
		check_prom(r, "sess_redis_aof_last_write_ok", "gauge", "1 when the last AOF write succeeded.", NULL, ok);
	}
}

static void check_replication(struct run *r, const struct sess_info *in)
{
	const char *role = sess_info_get(in, "role");
	double replicas = info(in, "connected_slaves");
	char name[32];
	int i;

	if (role && strcmp(role, "master")) {
		const char *link = sess_info_get(in, "master_link_status");
		double io = info(in, "master_last_io_seconds_ago");
		int up = link && !strcmp(link, "up");
		check_add(r, C_REPLICATION, "link", up ? H_OK : H_CRIT, cJSON_CreateString(link ? link : "?"),
			  NULL, "%s", up ? "" : "the link to the master is down: this replica serves stale data");
		check_prom(r, "sess_redis_replication_link_up", "gauge", "1 when a replica's link to its master is up.", NULL, up);
		if (up && !isnan(io) && io >= 0) {
			check_metric(r, C_REPLICATION, "lag", M_LAG, io, "s", "s", 0, NAN);
			check_prom(r, "sess_redis_replication_lag_seconds", "gauge",
			     "Seconds since the master was last heard from (replica) or the largest replica lag (master).", NULL, io);
		}
		return;
	}
	if (isnan(replicas))
		return;
	check_add(r, C_REPLICATION, "connectedReplicas", H_OK, cJSON_CreateNumber(replicas), NULL, NULL);
	check_prom(r, "sess_redis_connected_replicas", "gauge", "Replicas connected to this master.", NULL, replicas);
	if (replicas > 0) {
		double worst = 0, lag;
		for (i = 0; i < (int)replicas && i < 64; i++) {
			snprintf(name, sizeof name, "slave%d", i);
			if (sess_info_get(in, name) && sess_info_sub(sess_info_get(in, name), "lag", &lag) == 0 &&
			    lag > worst)
				worst = lag;
		}
		check_metric(r, C_REPLICATION, "lag", M_LAG, worst, "s", "s", 0, NAN);
		check_prom(r, "sess_redis_replication_lag_seconds", "gauge",
		     "Seconds since the master was last heard from (replica) or the largest replica lag (master).", NULL, worst);
	}
}

static void check_sessions(struct run *r, struct sess_ctx *ctx, const struct sess_counters *c0)
{
	struct sess_probe_sessions ps;
	struct sess_counters c1;
	struct sess_err e;
	double dt, wait;

	memset(&e, 0, sizeof e);
	if (sess_probe_sessions(ctx, r->hp->window * 1000LL, (int)r->hp->drift_sample, &ps, &e)) {
		check_add(r, C_SESSIONS, "active", err_status(&e) == H_DOWN ? H_CRIT : err_status(&e),
			  NULL, NULL, "%s", e.msg);
		return;
	}
	check_metric(r, C_SESSIONS, "active", M_SESSIONS, (double)ps.active, NULL, NULL, 0, NAN);
	check_prom(r, "sess_sessions_active", "gauge", "Sessions in the index that have not expired.", NULL, (double)ps.active);
	check_metric(r, C_SESSIONS, "expiring", M_EXPIRING, (double)ps.expiring, NULL, NULL, 0, NAN);
	check_prom(r, "sess_sessions_expiring", "gauge", "Active sessions expiring within the --window.", NULL, (double)ps.expiring);
	check_prom(r, "sess_sessions_index_entries", "gauge", "Entries in the session index (expired ones not yet pruned included).", NULL, (double)ps.indexed);
	check_prom(r, "sess_sessions_index_stale", "gauge", "Expired index entries maintenance has not pruned yet.", NULL, (double)ps.stale);
	{
		double pct = ps.sampled ? (double)ps.missing / (double)ps.sampled * 100 : 0;
		check_metric(r, C_SESSIONS, "indexDrift", M_DRIFT, pct, "percent", "%", 0, 100);
		check_prom(r, "sess_sessions_index_drift_ratio", "gauge",
		     "Share of sampled live index entries whose session is gone (run sessctl maintenance).", NULL, pct / 100);
	}
	if (ps.layout_known)
		check_add(r, C_SESSIONS, "layoutVersion", H_OK, cJSON_CreateString(ps.layout[0] ? ps.layout : "none"), NULL,
			  "%s", ps.layout[0] ? "" : "no layout version stored yet (no session written)");
	else
		check_add(r, C_SESSIONS, "layoutVersion", H_CRIT, cJSON_CreateString(ps.layout), NULL,
			  "layout version %s is not one this build reads (it reads " SESS_S_LAYOUT "); upgrade sesskit", ps.layout);
	check_prom(r, "sess_layout_version", "gauge", "The session layout version stored in Redis (0: none yet).", NULL,
	     ps.layout[0] ? atof(ps.layout) : 0);
	check_add(r, C_SESSIONS, "fence", H_OK, ps.fenced ? cJSON_CreateString(ps.fence) : cJSON_CreateBool(0), NULL,
		  "%s", ps.fenced ? "fenced by a sess-migrate cutover: writes are refused here ('sess-migrate unfence' lifts it)" : "");
	check_prom(r, "sess_fence_active", "gauge",
	     "1 when a sess-migrate cutover fenced this server (writes refused), 0 when not.", NULL, ps.fenced);
	if (ps.fenced) {
		char label[1100];
		health_prom_label(label, sizeof label, "target", ps.fence);
		check_prom(r, "sess_fence_info", "gauge", "Where a fenced server's data went (the fence's text), always 1.",
		     label, 1);
	}

	check_broken(r, ctx, ps.active);
	check_sync(r, ctx);

	/* the second sample of the counters: at least --sample-ms after the
	 * first (the check itself is the interval by default) */
	wait = (double)r->hp->sample_ms - (sess_probe_clock_ms() - c0->t_ms);
	if (wait > 0)
		usleep((useconds_t)(wait * 1000));
	if (sess_probe_counters(ctx, 1, &c1, &e)) {
		check_add(r, C_SESSIONS, "eventsPerSecond", H_CRIT, NULL, NULL, "%s", e.msg);
		return;
	}
	dt = (c1.t_ms - c0->t_ms) / 1000.0;
	if (dt <= 0)
		dt = 1e-3;
	check_metric(r, C_SESSIONS, "eventsPerSecond", M_EVENTS_RATE, (double)(c1.events - c0->events) / dt, "per second", NULL, 0, NAN);
	check_metric(r, C_SESSIONS, "createdPerSecond", M_CREATED_RATE, (double)(c1.sessions - c0->sessions) / dt, "per second", NULL, 0, NAN);
	check_prom(r, "sess_events_total", "counter", "Events appended to sessions (the stats hash).", NULL, (double)c1.events);
	check_prom(r, "sess_sessions_created_total", "counter", "Sessions created (the stats hash).", NULL, (double)c1.sessions);
	check_prom(r, "sess_sessions_completed_total", "counter", "Sessions completed (the stats hash).", NULL, (double)c1.completed);
	check_prom(r, "sess_sessions_deleted_total", "counter", "Sessions deleted (the stats hash).", NULL, (double)c1.deleted);
	for (size_t i = 0; i < c1.ntypes; i++) {
		char label[1100];
		health_prom_label(label, sizeof label, "type", c1.types[i].type);
		check_prom(r, "sess_events_by_type_total", "counter", "Events appended, by event type (the stats hash).",
		     label, (double)c1.types[i].n);
	}
	sess_counters_free(&c1);
}

static void check_pubsub(struct run *r, const struct sess_config *cfg, struct sess_conn *conn)
{
	struct sess_err e;
	double ms = 0;
	long long receivers = 0;

	memset(&e, 0, sizeof e);
	if (sess_probe_pubsub(cfg, conn, cfg->command_timeout_ms, &ms, &receivers, &e)) {
		int st = err_status(&e);
		check_add(r, C_PUBSUB, "roundTrip", st == H_DOWN ? H_CRIT : st, NULL, "ms", "%s", e.msg);
		return;
	}
	check_metric(r, C_PUBSUB, "roundTrip", M_PUBSUB, ms, "ms", "ms", 0, NAN);
	check_prom(r, "sess_pubsub_round_trip_seconds", "gauge",
	     "Time from PUBLISH on a session channel until a subscriber holds the message.", NULL, ms / 1000);
	check_prom(r, "sess_pubsub_receivers", "gauge", "Clients that received the probe message (the probe's own subscriber included).", NULL, (double)receivers);
}

/* ---- the whole check ---- */

static void finish(struct run *r, const struct sess_config *cfg, double t0)
{
	struct health_result *res = r->res;
	cJSON *comps = cJSON_CreateObject();
	char where[300], labels[64];
	int i, overall = H_OK;

	for (i = 0; i < C_N; i++) {
		if (!r->ran[i])
			continue;
		if (r->comp[i] > overall)
			overall = r->comp[i];
		cJSON_AddStringToObject(comps, comp_names[i], health_status_name(r->comp[i]));
		snprintf(labels, sizeof labels, "component=\"%s\"", comp_names[i]);
		check_prom(r, "sess_health_status", "gauge",
		     "Health by component and overall: 0 healthy, 1 warning, 2 unknown, 3 critical, 4 down.",
		     labels, r->comp[i]);
	}
	res->status = overall;
	res->duration_ms = sess_probe_clock_ms() - t0;
	check_prom(r, "sess_health_status", "gauge",
	     "Health by component and overall: 0 healthy, 1 warning, 2 unknown, 3 critical, 4 down.",
	     "component=\"overall\"", overall);
	check_prom(r, "sess_up", "gauge", "1 when Redis answered the health check, 0 when not.", NULL, res->up);
	check_prom(r, "sess_health_check_duration_seconds", "gauge", "How long the health check took.", NULL,
	     res->duration_ms / 1000);
	{
		char label[100];
		health_prom_label(label, sizeof label, "version", PACKAGE_VERSION);
		check_prom(r, "sesskit_build_info", "gauge", "The sesskit version of this sess-health, always 1.", label, 1);
	}
	sess_config_describe(cfg, where, sizeof where);
	health_json_status(res->doc, overall);
	cJSON_AddStringToObject(res->doc, "version", "1");
	cJSON_AddStringToObject(res->doc, "releaseId", PACKAGE_VERSION);
	cJSON_AddStringToObject(res->doc, "serviceId", where);
	cJSON_AddStringToObject(res->doc, "description", "sesskit sessions on Redis");
	cJSON_AddStringToObject(res->doc, "time", r->time);
	cJSON_AddNumberToObject(res->doc, "durationMs", round3(res->duration_ms));
	if (r->summary[0])
		cJSON_AddStringToObject(res->doc, "output", r->summary);
	cJSON_AddItemToObject(res->doc, "components", comps);
	cJSON_AddItemToObject(res->doc, "checks", r->checks);
}

void health_result_free(struct health_result *r)
{
	cJSON_Delete(r->doc);
	cJSON_Delete(r->prom);
	cJSON_Delete(r->perf);
	memset(r, 0, sizeof *r);
}

/* The cluster component when conn is (in "auto": turns out to be) a
 * cluster conn; *bad when it fails. -1 when the node named does not
 * answer (reported). */
static int cluster_first(struct run *r, const struct sess_config *cfg, struct sess_conn *conn,
			 int *bad, struct sess_err *e)
{
	if (!strcmp(cfg->cluster, "no"))
		return 0;
	if (sess_cluster_masters(conn, e) < 0) {
		check_add(r, C_REDIS, "responseTime", err_status(e) == H_DOWN ? H_CRIT : err_status(e),
			  NULL, "ms", "%s", e->msg);
		return -1;
	}
	*bad = check_cluster(r, conn) != 0;
	return 0;
}

void health_check(const struct health_params *hp, const struct sess_config *cfg_in,
		  struct health_result *res)
{
	struct run r;
	struct sess_config cfg = *cfg_in;
	struct sess_conn conn;
	struct sess_ctx ctx;
	struct sess_err e;
	struct sess_latency lat;
	struct sess_info in;
	struct sess_counters c0;
	double t0 = sess_probe_clock_ms();
	int have_c0 = 0, cluster_bad = 0;

	memset(&r, 0, sizeof r);
	memset(res, 0, sizeof *res);
	memset(&e, 0, sizeof e);
	memset(&in, 0, sizeof in);
	r.hp = hp;
	r.res = res;
	res->doc = cJSON_CreateObject();
	res->prom = cJSON_CreateArray();
	res->perf = cJSON_CreateArray();
	r.checks = cJSON_CreateObject();
	iso_now(r.time, sizeof r.time);
	/* one bound for everything: connecting may not take longer than a
	 * command may */
	if (cfg.connect_timeout_ms > cfg.command_timeout_ms)
		cfg.connect_timeout_ms = cfg.command_timeout_ms;

	if (sess_conn_open(&conn, &cfg, &e)) {
		int st = err_status(&e);
		if (st == H_UNKNOWN)
			check_add(&r, C_REDIS, "authorised", st, cJSON_CreateBool(0), NULL, "%s", e.msg);
		else
			check_add(&r, C_REDIS, "reachable", st, cJSON_CreateBool(0), NULL, "%s", e.msg);
		if (cfg.sentinels[0] && !hp->redis_only)
			check_sentinel(&r, &cfg); /* why the primary cannot be had */
		finish(&r, &cfg, t0);
		return;
	}
	ctx.conn = &conn;
	ctx.cfg = &cfg;
	check_add(&r, C_REDIS, "reachable", H_OK, cJSON_CreateBool(1), NULL, NULL);
	/* a cluster node? asked first when the session probes follow (they
	 * must follow the slots; the first command absorbs a slow server's
	 * delay, as the counters did), else after the PINGs they time */
	if (!hp->redis_only && !hp->no_sessions && cluster_first(&r, &cfg, &conn, &cluster_bad, &e))
		goto done;
	if (!hp->redis_only && !hp->no_sessions && !cluster_bad)
		have_c0 = sess_probe_counters(&ctx, 0, &c0, &e) == 0;
	if (!have_c0 && e.msg[0]) {
		/* the first command a server answers: a paused or stopped
		 * server times out here */
		check_add(&r, C_REDIS, "responseTime", err_status(&e) == H_DOWN ? H_CRIT : err_status(&e),
			  NULL, "ms", "%s", e.msg);
		goto done;
	}
	if (sess_probe_ping(&conn, (int)hp->pings, &lat, &e)) {
		check_add(&r, C_REDIS, "responseTime", err_status(&e) == H_DOWN ? H_CRIT : err_status(&e),
			  NULL, "ms", "%s", e.msg);
		goto done;
	}
	res->up = 1;
	check_add(&r, C_REDIS, "authorised", H_OK, cJSON_CreateBool(1), NULL, NULL);
	if (hp->redis_only) /* readiness: reachable and authorised is the
			     * answer; a slow round trip is reported, not
			     * judged (a loaded machine is still ready) */
		check_add(&r, C_REDIS, "responseTime", H_OK, cJSON_CreateNumber(round3(lat.p99)), "ms", NULL);
	else
		check_metric(&r, C_REDIS, "responseTime", M_LATENCY, lat.p99, "ms", "ms", 0, NAN);
	{
		cJSON *p = cJSON_GetArrayItem(cJSON_GetObjectItem(r.checks, "redis:responseTime"), 0);
		cJSON *s = cJSON_AddObjectToObject(p, "ping");
		cJSON_AddNumberToObject(s, "samples", lat.n);
		cJSON_AddNumberToObject(s, "p50", round3(lat.p50));
		cJSON_AddNumberToObject(s, "p99", round3(lat.p99));
		cJSON_AddNumberToObject(s, "max", round3(lat.max));
	}
	check_prom(&r, "sess_redis_ping_seconds", "gauge", "PING round trips sampled by the check.", "stat=\"p50\"", lat.p50 / 1000);
	check_prom(&r, "sess_redis_ping_seconds", "gauge", "PING round trips sampled by the check.", "stat=\"p99\"", lat.p99 / 1000);
	check_prom(&r, "sess_redis_ping_seconds", "gauge", "PING round trips sampled by the check.", "stat=\"max\"", lat.max / 1000);
	if (hp->redis_only)
		goto done;
	if (hp->no_sessions && cluster_first(&r, &cfg, &conn, &cluster_bad, &e))
		goto done;
	if (sess_probe_info(&conn, &in, &e)) {
		check_add(&r, C_REDIS, "info", err_status(&e) == H_DOWN ? H_CRIT : err_status(&e), NULL, NULL, "%s", e.msg);
		goto done;
	}
	check_redis_info(&r, &in);
	check_memory(&r, &in);
	check_persistence(&r, &in);
	check_replication(&r, &in);
	if (cfg.sentinels[0])
		check_sentinel(&r, &cfg);
	/* keys on a failing cluster wait for the command timeout each:
	 * the cluster component has said why */
	if (!hp->no_sessions && cluster_bad)
		check_add(&r, C_SESSIONS, "active", H_UNKNOWN, NULL, NULL,
			  "not checked: the cluster is failing (see the cluster checks)");
	if (!hp->no_sessions && have_c0 && sess_conn_ok(&conn))
		check_sessions(&r, &ctx, &c0);
	if (!hp->no_pubsub && !cluster_bad && sess_conn_ok(&conn))
		check_pubsub(&r, &cfg, &conn);
done:
	sess_info_free(&in);
	sess_conn_close(&conn);
	finish(&r, &cfg, t0);
}
