/* check.h - the parts of one health check (check.c) that its components
 * in other files (check_sentinel.c) use: the run being built and the
 * calls that add a check, a judged metric and a Prometheus sample to it.
 * Private to sess-health. */
#ifndef SESS_HEALTH_CHECK_H
#define SESS_HEALTH_CHECK_H

#include "core/redis/conn.h"
#include "core/session/ctx.h"
#include "sess-health/health.h"

/* The components, in the order they are reported. */
enum comp { C_REDIS, C_MEMORY, C_PERSISTENCE, C_REPLICATION, C_SENTINEL, C_CLUSTER, C_SESSIONS, C_PUBSUB, C_N };

struct run {
	const struct health_params *hp;
	struct health_result *res;
	cJSON *checks;
	int comp[C_N], ran[C_N];
	char time[40];
	char summary[600];
};

/* Add one check "comp:meas" with its status (value: a cJSON number,
 * string or bool the doc owns afterwards; unit may be NULL; fmt the
 * output or note, NULL none). */
void check_add(struct run *r, int comp, const char *meas, int status,
	       cJSON *value, const char *unit, const char *fmt, ...)
	__attribute__((format(printf, 7, 8)));
/* A number judged under metric m's thresholds, with its perfdata. */
void check_metric(struct run *r, int comp, const char *meas, int m, double v,
		  const char *unit, const char *perf_unit, double min, double max);
/* The same with its own perfdata label (NULL: the metric's name). */
void check_metric_as(struct run *r, int comp, const char *meas, int m, double v,
		     const char *unit, const char *perf_label, const char *perf_unit,
		     double min, double max);
/* One Prometheus sample (labels NULL: none). */
void check_prom(struct run *r, const char *name, const char *type, const char *help,
		const char *labels, double v);
/* Perfdata for Nagios without thresholds: label=value;;;min;max. */
void check_perf(struct run *r, const char *label, double v, double min, double max);

/* Sentinel's view of the master (cfg->sentinels set): check_sentinel.c. */
void check_sentinel(struct run *r, const struct sess_config *cfg);
/* A cluster conn's state, slots and masters (check_cluster.c); nothing
 * for a standalone conn. 0 when all is well, -1 when the cluster is down,
 * slots are not served or a master does not answer (commands on keys
 * would then wait for the command timeout: the caller skips them). */
int check_cluster(struct run *r, struct sess_conn *c);

/* ---- check_ops.c ---- */

/* The live sessions whose state is read for the broken count, at most. */
#define HEALTH_STATE_SCAN 10000
/* The live index entries (at most limit, tag after tag) and their meta
 * states: *entries index entries read, *scanned sessions read (a meta
 * gone since is not one), *broken of them broken. 0, or -1 with err. */
int health_probe_broken(struct sess_ctx *s, long long limit, long long *entries,
			long long *scanned, long long *broken, struct sess_err *err);
/* sessions:broken and sess_sessions_broken/_state_scanned (active: the
 * live index entries, to say when the count is only a lower bound). */
void check_broken(struct run *r, struct sess_ctx *ctx, long long active);
/* sessions:syncTasks and the sess_sync_* gauges of the sess-migrate sync
 * tasks this server holds (a target) that no cutover ended; nothing when
 * there is none. */
void check_sync(struct run *r, struct sess_ctx *ctx);

#endif
