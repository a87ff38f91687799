/* options.h - the options sess-health's check-running commands share
 * (check, probe, serve), declared once so they cannot drift apart, and
 * the defaults check and serve share. Only for the cmd_NAME.c files. */
#ifndef SESS_HEALTH_OPTIONS_H
#define SESS_HEALTH_OPTIONS_H

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

/* check's and serve's defaults of struct check_opts */
#define CHECK_D .pings = 5, .window = 300, .drift_sample = 50, .breaker_failures = 3, \
	.breaker_cooldown = 30

#endif
