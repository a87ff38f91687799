/* options.h - the options sess-health's check-running commands share
 * (check, probe, serve), declared once so they cannot drift apart, and
 * the defaults check and serve share. Only for the cmd_NAME.c files. */
#ifndef SESS_HEALTH_OPTIONS_H
#define SESS_HEALTH_OPTIONS_H

#include "health.h"

/* Options every check-running command shares; one macro so check, probe
 * and serve cannot drift apart. check and probe print one result: they
 * take --format (CHECK_OPTS); serve's endpoints each have their own, so
 * serve reads --format only to refuse it with the reason (SERVE_CHECK_OPTS:
 * not in its help nor completed). */
#define CHECK_OPTS(T, P)                                                                        \
	CLI_STR_OLD("format", 'f', "FMT", "json (default when piped), text (on a terminal),\n"      \
		"                         prometheus or nagios",                                   \
		T, P format, "json text prometheus nagios"),                                     \
	THRESHOLD_OPTS(T, P)
#define SERVE_CHECK_OPTS(T, P)                                                                  \
	CLI_STR_OLD("format", 'f', "FMT", NULL, T, P format, NULL),                               \
	THRESHOLD_OPTS(T, P)
#define THRESHOLD_OPTS(T, P)                                                                    \
	CLI_STR("warning", 'w', "LIST", "warning thresholds, NAME=RANGE,... (Nagios ranges)\n" \
		"                         or one RANGE: latency's, in ms", T, P warn, NULL),      \
	CLI_STR("critical", 'c', "LIST", "critical thresholds, as --warning (-c FILE, the\n"    \
		"                         old --config letter, still reads FILE and warns)",      \
		T, P crit, NULL),                                                                  \
	/* the old names, kept and not shown */                                                 \
	CLI_STR("warn", 0, "LIST", NULL, T, P warn, NULL),                                       \
	CLI_STR("crit", 'C', "LIST", NULL, T, P crit, NULL),                                     \
	CLI_STR("timeout", 't', "SECONDS", "give up on Redis after SECONDS (fractional)\n"     \
		"                         (default redis.commandTimeout; above 60: the old\n"   \
		"                         milliseconds, warns)", T, P timeout, NULL),             \
	CLI_STR("hostname", 'H', "HOST", "the Redis host (the plugins' -H; as --host)",        \
		T, P hostname, NULL),                                                              \
	CLI_STR("role", 0, "ROLE", "the role Redis must have: master (default),\n"              \
		"                         replica or any", T, P role, "master replica any"),      \
	CLI_LONG("pings", 0, "N", "PINGs sampled for the latency",          \
		 T, P pings, 1, 1000),                                                             \
	CLI_FLAG("no-pubsub", 0, "skip the publish/subscribe round trip", T, P no_pubsub),     \
	CLI_FLAG("no-sessions", 0, "skip the session metrics", T, P no_sessions)

/* check's and probe's (serve has no status line to add to) */
#define VERBOSE_OPT(T, P)                                                                       \
	CLI_FLAG("verbose", 'v', "nagios format: a line per check after the status line", \
		 T, P verbose)

#define RATE_OPTS(T, P)                                                                         \
	CLI_DUR("sample-ms", 0, "DURATION", "least time between the two counter samples of\n"  \
		 "                         the rates (0: the check's own duration)",                \
		 T, P sample_ms, 1, 0, 60000),                                                       \
	CLI_DUR("window", 0, "DURATION", "\"expiring\" counts sessions expiring within this\n" \
		 "                        ", T, P window, 1000, 1, 315360000),             \
	CLI_LONG("drift-sample", 0, "N", "index entries checked for drift",\
		 T, P drift_sample, 0, 1000),                                                      \
	CLI_LONG("breaker-failures", 0, "N", "failed checks in a row that open the circuit\n"  \
		 "                         breaker (watch, serve)",                              \
		 T, P breaker_failures, 1, 1000),                                                  \
	CLI_LONG("breaker-cooldown", 0, "SECONDS", "how long an open breaker keeps checks off\n"\
		 "                         Redis", T, P breaker_cooldown, 1, 86400)

#define NOPFX

/* check's and serve's defaults of struct check_opts */
#define CHECK_D .pings = 5, .window = 300, .drift_sample = 50, .breaker_failures = 3, \
	.breaker_cooldown = 30

#endif
