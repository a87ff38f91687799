/* health.h - sess-health's parts: the check (check.c), its output formats
 * (formats.c), the cache and circuit breaker that watch and serve share
 * (breaker.c), what the commands share (run.c), the commands (cmd_check.c
 * with --watch, cmd_probe.c, cmd_serve.c: the HTTP endpoint) and their
 * list (main.c).
 * The measurements themselves are the core's (src/core/probe.h); this
 * binary judges them against thresholds and reports. */
#ifndef SESS_HEALTH_H
#define SESS_HEALTH_H

#include <cjson/cJSON.h>

#include "cli/cli.h"
#include "core/model/range.h"
#include "core/model/thresh.h"

/* Statuses, in order of severity. unknown is "could not check" (bad
 * credentials, a permission missing): worse than a warning, but it says
 * nothing about the server, so it ranks below critical. */
enum health_status { H_OK, H_WARN, H_UNKNOWN, H_CRIT, H_DOWN };

const char *health_status_name(int s);  /* healthy, warning, ... */
/* The status as application/health+json has it: pass, warn or fail
 * (unknown, critical and down are all fail). */
const char *health_status_hc(int s);
/* Add "status" (pass, warn, fail) and "level" (healthy, ..., down) for s
 * to the object o: health+json's word, and sesskit's finer one. */
void health_json_status(cJSON *o, int s);
int health_exit_code(int s);            /* 0, 1, 3, 2, 2 */

/* One threshold pair per metric name (latency, memory, ...). */
enum health_metric {
	M_LATENCY, M_PUBSUB, M_CLIENTS, M_BLOCKED, M_REJECTED, M_MEMORY,
	M_FRAGMENTATION, M_EVICTED, M_LAG, M_SESSIONS, M_EXPIRING, M_DRIFT,
	M_EVENTS_RATE, M_CREATED_RATE, M_COUNT
};
/* names, defaults and lists: core/thresh.h, in this order */
_Static_assert(M_COUNT == SESS_THRESH_METRICS, "core/thresh.h's metrics are these");

struct health_thresholds {
	struct sess_range warn[M_COUNT], crit[M_COUNT];
};

/* What one check does (flags of check, probe, watch and serve). */
struct health_params {
	long pings;          /* PINGs sampled */
	long sample_ms;      /* least time between the two counter samples */
	long window;         /* seconds: "expiring within" */
	long drift_sample;   /* index entries looked up */
	const char *role;    /* master, replica or any */
	int redis_only;      /* probe --redis-only: connect, auth, PING */
	int no_pubsub, no_sessions;
	struct health_thresholds th;
};

/* Fill th with the defaults, then cfg's health.warn/health.crit, then the
 * flags' lists ("NAME=RANGE,..."). A bad name or range is SESS_E_USAGE. */
int health_thresholds(struct health_thresholds *th, const struct sess_config *cfg,
		      const char *warn, const char *crit, struct sess_err *err);
/* The metric names, for help and the man page: "latency", ... */
const char *health_metric_name(int m);

/* One check's result. doc is the health+json document; prom the samples
 * for Prometheus ([name, type, help, labels, value] arrays), perf the
 * Nagios perfdata ([label, value, unit, warn, crit, min, max]). */
struct health_result {
	int status;
	int up;              /* Redis answered (sess_up) */
	double duration_ms;
	cJSON *doc, *prom, *perf;
};

void health_result_free(struct health_result *r);

/* Run one check with cfg's connection settings. Never fails: whatever
 * goes wrong is a status in the result. */
void health_check(const struct health_params *hp, const struct sess_config *cfg,
		  struct health_result *res);

/* ---- formats ---- */
enum health_format { F_JSON, F_TEXT, F_PROMETHEUS, F_NAGIOS };
int health_format_parse(const char *s, int tty, int *out, struct sess_err *err);
/* The whole output text (caller frees). color: ANSI colours (text). */
char *health_render(const struct health_result *r, int format, int color);
/* The nagios format with each check's line after the status line (caller
 * frees). */
char *health_render_nagios_long(const struct health_result *r);
/* Prometheus text exposition of r. */
char *health_render_prometheus(const struct health_result *r);
/* name="value" into buf (n bytes, n >= name + 4), value escaped as the
 * exposition format wants (backslash, double quote, newline); a value too
 * long for buf is cut, never inside an escape. */
void health_prom_label(char *buf, size_t n, const char *name, const char *value);

/* ---- the cache and circuit breaker (watch and serve) ---- */
enum breaker_state { B_CLOSED, B_OPEN, B_HALF_OPEN };

struct health_guard {
	const struct health_params *hp;
	const struct sess_config *cfg;
	double cache_ms;       /* a result younger than this is reused */
	int threshold;         /* failures in a row that open the breaker */
	double cooldown_ms;    /* how long it stays open before one trial */
	int state, failures;
	double opened_at, checked_at;
	long long checks;      /* checks that reached Redis */
	struct health_result last;
	int have_last;
};

void health_guard_init(struct health_guard *g, const struct health_params *hp,
		       const struct sess_config *cfg, double cache_ms,
		       int threshold, double cooldown_ms);
/* The current result (borrowed until the next call): cached, or the
 * breaker's "open" answer without touching Redis, or a fresh check.
 * *fresh is set when a check ran. The doc carries "breaker". */
const struct health_result *health_guard_get(struct health_guard *g, int *fresh);
/* health_guard_get in two steps, for a caller that checks elsewhere: peek
 * gives the cached or the breaker's answer, or NULL when a check must run
 * (the breaker may go half-open); put stores the check's result (taking
 * fresh's contents) and moves the breaker. */
const struct health_result *health_guard_peek(struct health_guard *g);
void health_guard_put(struct health_guard *g, struct health_result *fresh);
void health_guard_free(struct health_guard *g);
const char *health_breaker_name(int state);

/* ---- commands ---- */
/* check's and probe's options; serve's hold them (the check-running
 * commands share them, options.h) */
struct check_opts {
	const char *format, *warn, *crit, *role;
	const char *timeout, *hostname; /* -t SECONDS, -H HOST */
	int verbose;
	long pings, sample_ms, window, drift_sample, watch;
	long breaker_failures, breaker_cooldown;
	int no_pubsub, no_sessions, redis_only;
};

struct serve_opts {
	struct check_opts c;
	const char *listen;
	long cache_ms, threads, max_connections, max_per_client, idle_timeout;
};

int health_params_from(struct cli_app *a, const struct check_opts *o,
		       struct health_params *hp);
/* Anything wrong before a check can run (settings, flags) is "could not
 * check": a->err printed as one line naming the fix; returns 3. */
int health_could_not(struct cli_app *a);
/* r printed in format (F_*); verbose: the nagios format's long output,
 * one line per check. -1 when it could not be rendered. */
int health_print_result(struct cli_app *a, const struct health_result *r, int format,
			int verbose);

/* ---- the monitoring plugin (plugin.c) ---- */
/* Set when run as check_sesskit: no --format is nagios. */
extern int health_as_plugin;
/* After a usage problem (the tool's on_usage_error; health_could_not too):
 * in the nagios format, "SESS-HEALTH UNKNOWN - problem" on stdout. */
void health_usage_status(struct cli_app *a, const char *problem);
/* The plugin options into the common ones, before the settings are
 * built: -t SECONDS (above 60 the old ms, warned), -H HOST, and -c FILE
 * (the old --config letter, warned: *crit is then NULL). SESS_E_USAGE in
 * a->err on a bad value. */
int health_plugin_opts(struct cli_app *a, const struct check_opts *o, const char **crit);
/* A threshold list that is one bare RANGE is latency's: "latency=RANGE"
 * in buf (n bytes); any other list is returned as it is. */
const char *health_bare_range(char *buf, size_t n, const char *list);

/* The commands, in --help's order (main.c lists them; one cmd_NAME.c
 * each). */
extern const struct cli_cmd health_cmd_check, health_cmd_probe, health_cmd_serve;

#endif
