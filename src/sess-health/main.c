/* sess-health - health of Redis and of the session system: its command
 * table. The check is the default command; see src/cli/cli.h for the
 * framework and sess-health(1) for the rest. */
#include "health.h"

/* Options every check-running command shares; one macro so check, probe
 * and serve cannot drift apart. */
#define CHECK_OPTS(T, P)                                                                        \
	CLI_STR("format", 'f', "FMT", "json (default when piped), text (on a terminal),\n"      \
		"                         prometheus or nagios",                                   \
		T, P format, "json text prometheus nagios"),                                     \
	CLI_STR("warn", 'w', "LIST", "warning thresholds, NAME=RANGE,... (Nagios ranges)",     \
		T, P warn, NULL),                                                                  \
	CLI_STR("crit", 'C', "LIST", "critical thresholds, NAME=RANGE,...", T, P crit, NULL),    \
	CLI_STR("role", 0, "ROLE", "the role Redis must have: master (default),\n"              \
		"                         replica or any", T, P role, "master replica any"),      \
	CLI_LONG("pings", 0, "N", "PINGs sampled for the latency",          \
		 T, P pings, 1, 1000),                                                             \
	CLI_FLAG("no-pubsub", 0, "skip the publish/subscribe round trip", T, P no_pubsub),     \
	CLI_FLAG("no-sessions", 0, "skip the session metrics", T, P no_sessions)

#define RATE_OPTS(T, P)                                                                         \
	CLI_LONG("sample-ms", 0, "MS", "least time between the two counter samples of\n"       \
		 "                         the rates (0: the check's own duration)",                \
		 T, P sample_ms, 0, 60000),                                                       \
	CLI_LONG("window", 0, "SECONDS", "\"expiring\" counts sessions expiring within this\n" \
		 "                        ", T, P window, 1, 315360000),             \
	CLI_LONG("drift-sample", 0, "N", "index entries checked for drift",\
		 T, P drift_sample, 0, 1000),                                                      \
	CLI_LONG("breaker-failures", 0, "N", "failed checks in a row that open the circuit\n"  \
		 "                         breaker (watch, serve)",                              \
		 T, P breaker_failures, 1, 1000),                                                  \
	CLI_LONG("breaker-cooldown", 0, "SECONDS", "how long an open breaker keeps checks off\n"\
		 "                         Redis", T, P breaker_cooldown, 1, 86400)

#define NOPFX

static const struct cli_opt check_o[] = {
	CHECK_OPTS(struct check_opts, NOPFX),
	RATE_OPTS(struct check_opts, NOPFX),
	CLI_LONG("watch", 0, "SECONDS", "check every SECONDS; one JSON line each with what\n"
		 "                         changed and the breaker's state", struct check_opts, watch, 1, 86400),
	CLI_END};

static const struct cli_opt probe_o[] = {
	CHECK_OPTS(struct check_opts, NOPFX),
	CLI_FLAG("redis-only", 0, "only connect, authenticate and PING (readiness)",
		 struct check_opts, redis_only),
	CLI_END};

static const struct cli_opt serve_o[] = {
	CHECK_OPTS(struct serve_opts, c.),
	RATE_OPTS(struct serve_opts, c.),
	CLI_STR("listen", 'l', "ADDR:PORT", "where to listen (default 127.0.0.1:9188;\n"
		"                         port 0 picks a free one)", struct serve_opts, listen, NULL),
	CLI_LONG("cache-ms", 0, "MS", "reuse a result this long",
		 struct serve_opts, cache_ms, 0, 1000),
	CLI_LONG("threads", 0, "N", "HTTP worker threads", struct serve_opts, threads, 1, 64),
	CLI_LONG("max-connections", 0, "N", "open connections in all",
		 struct serve_opts, max_connections, 1, 100000),
	CLI_LONG("max-per-client", 0, "N", "open connections from one address",
		 struct serve_opts, max_per_client, 1, 100000),
	CLI_LONG("idle-timeout", 0, "SECONDS", "close a connection idle this long",
		 struct serve_opts, idle_timeout, 1, 3600),
	CLI_END};

#define CHECK_D .pings = 5, .window = 300, .drift_sample = 50, .breaker_failures = 3, \
	.breaker_cooldown = 30
static const struct check_opts check_d = {CHECK_D};
static const struct check_opts probe_d = {.pings = 1, .window = 300, .breaker_failures = 3,
					  .breaker_cooldown = 30};
static const struct serve_opts serve_d = {.c = {CHECK_D}, .cache_ms = 1000, .threads = 2,
					  .max_connections = 512, .max_per_client = 32,
					  .idle_timeout = 10};

#define OPTS(o, type) .opts = o, .opts_size = sizeof(type)

static const struct cli_cmd commands[] = {
	{.name = "check",
	 .synopsis = "",
	 .summary = "check Redis and the session system once (the default command)",
	 .details =
	 "Components: redis (reachable, authorised, PING latency p50/p99/max, version,\n"
	 "role, clients), memory, persistence, replication, sentinel (through it),\n"
	 "cluster (on a Redis Cluster: state, slots, each master's reachability,\n"
	 "latency, memory, role), sessions (active,\n"
	 "expiring, events/s, created/s, index drift, layout) and pubsub (a real\n"
	 "publish/subscribe round trip on a session channel).\n"
	 "JSON is application/health+json: status pass, warn or fail; level healthy,\n"
	 "warning, unknown, critical or down.\n"
	 "Threshold names: latency pubsub clients blocked rejected memory\n"
	 "fragmentation evicted lag sessions expiring drift events-rate created-rate.\n"
	 "Ranges: 10 (alert above 10 or below 0), 10: (below 10), ~:10 (above 10),\n"
	 "10:20 (outside), @10:20 (inside). Example: --warn latency=20,memory=70\n",
	 OPTS(check_o, struct check_opts), .defaults = &check_d, .run = cmd_check},
	{.name = "probe", .synopsis = "",
	 .summary = "a narrow, quick check for Kubernetes probes and scripts",
	 .details =
	 "--redis-only connects, authenticates and PINGs once: a readiness probe.\n"
	 "Do not make a liveness probe depend on Redis: restarting a pod does not\n"
	 "mend Redis (use serve's /livez, which never touches it).\n",
	 OPTS(probe_o, struct check_opts), .defaults = &probe_d, .run = cmd_probe},
	{.name = "serve", .synopsis = "",
	 .summary = "HTTP endpoints: /metrics, /health, /health/{detailed,metrics,components,redis,sessions}, /livez, /readyz",
	 .details =
	 "Each request checks Redis for real, behind a cache (at most a second)\n"
	 "and a circuit breaker. 200 when healthy, 503 otherwise (/readyz: 200\n"
	 "while Redis answers); application/health+json, and Prometheus text on\n"
	 "/metrics and /health/metrics (the metrics: man sess-health, METRICS).\n"
	 "Connections are kept alive between requests (HTTP/1.1).\n"
	 "The address in use is printed on stderr at start. SIGTERM or SIGINT\n"
	 "drains the requests in flight and exits 0. Redis is checked by one\n"
	 "thread of its own: no HTTP thread waits on it, and /livez never touches it.\n"
	 "Connections are bounded in all and per client address; more are refused.\n",
	 OPTS(serve_o, struct serve_opts), .defaults = &serve_d, .run = cmd_serve},
};

static const struct cli_tool tool = {
	.name = "sess-health",
	.about = "Health of Redis and of the sesskit session system: JSON (health+json),\n"
		 "text, Prometheus and Nagios output, a watch mode and an HTTP endpoint.",
	.cmds = commands,
	.ncmds = sizeof commands / sizeof commands[0],
	.epilog =
	"'sess-health COMMAND --help' shows a command's options; man sess-health has it all.\n"
	"Exit (monitoring convention): 0 healthy, 1 warning, 2 critical or down,\n"
	"3 could not check (usage, configuration, credentials), 74 writing stdout failed.\n",
	.default_cmd = "check",
	.usage_exit = 3,
};

int main(int argc, char **argv)
{
	return cli_main(&tool, argc, argv);
}
