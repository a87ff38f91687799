/* capacity.c - the seeds' capacity plan (CapacityPlanner) from measured
 * costs, and the cleanup of the run's own keys.
 *
 * Costs come from the server, not from constants: the server time per
 * operation is INFO commandstats' usec around the run (every master's:
 * server.c's snapshots) of what the clients sent, the summary's usecPerOp
 * (a script's own commands, counted by Redis in its call's time too,
 * once), divided by the operations the run completed (Redis runs
 * commands on one thread, so its time per operation bounds the rate; on a
 * cluster each master is a thread of its own: cluster_rate); memory per session is MEMORY USAGE
 * of a sample of the run's sessions' keys; the memory limit is maxmemory,
 * or the machine's memory (INFO total_system_memory) when none is set
 * (on a cluster, used memory and limits summed over the masters, a
 * machine's memory once per host).
 * Latency at a load: a single server thread is a queue; with service time
 * S at utilisation u an M/M/1 queue's p99 sojourn is about 4.6 S / (1 - u),
 * so the highest load that keeps p99 under the target T is
 * u = 1 - 4.6 S / T (at most 0.9: the rest is headroom), or u/S operations
 * a second. That model is stated in the output with its inputs, so a
 * reader can redo the sums with another.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "core/redis/scan.h"
#include "core/model/keys.h"

#define SAMPLE 100

static long long mem_usage(struct sess_conn *c, const char *key, struct sess_err *err)
{
	redisReply *r = sess_conn_cmdf(c, err, "MEMORY USAGE %s SAMPLES 0", key);
	long long v;

	if (!r)
		return -1;
	v = r->type == REDIS_REPLY_INTEGER ? r->integer : 0;
	freeReplyObject(r);
	return v;
}

/* A cluster: each master is a thread of its own, taking its share p of
 * the operations (the run's split); the cluster takes a load until the
 * first master reaches its u: the least over the masters of u/S / p, each
 * with its own S (what the clients sent it over the operations it
 * completed, warmup too). *u becomes that master's. A master missing from
 * the snapshots leaves the one-server figure as it is. */
static void cluster_rate(const struct sb_scn *s, const struct sb_result *res,
			 const struct sb_info *before, const struct sb_info *after, double T,
			 double *u, double *ops_s)
{
	double all = 0, best = INFINITY, best_u = 0;
	int i;

	for (i = 0; i < s->nnodes; i++)
		all += (double)res->node_stats[i].done;
	for (i = 0; all > 0 && i < s->nnodes; i++) {
		double calls, usec, n = (double)res->node_stats[i].done, Sm, um, r;
		if (sb_nodes_sent(s, res, before, after, i, &calls, &usec))
			return;
		if (!(n > 0)) /* no share of the load: no limit */
			continue;
		Sm = usec / n / 1e6;
		um = Sm > 0 ? fmin(0.9, 1.0 - 4.6 * Sm / T) : 0.9;
		r = um <= 0 ? 0 : Sm > 0 ? um / Sm / (n / all) : INFINITY;
		if (r < best) {
			best = r;
			best_u = um;
		}
	}
	if (isfinite(best)) {
		*ops_s = best;
		*u = best_u;
	}
}

/* a and b on one machine: one host name, or both unix sockets (local) */
static int same_host(const struct sess_endpoint *a, const struct sess_endpoint *b)
{
	if (a->unix_path[0] || b->unix_path[0])
		return a->unix_path[0] && b->unix_path[0];
	return !strcmp(a->host, b->host);
}

int sb_capacity(struct sess_ctx *ctx, const struct sb_scn *s, const struct sb_result *res,
		const struct sb_delta *d, const struct sb_info *before, const struct sb_info *after,
		cJSON **out, struct sess_err *err)
{
	const struct sb_opts *o = s->o;
	char pattern[SESS_KEY_MAX + 8], key[SESS_KEY_MAX];
	char ids[SAMPLE][SESS_ID_MAX + 1];
	struct sess_scan it;
	const redisReply *page;
	int nids = 0, i, more = 0;
	double bytes = 0, events = 0, used, limit, S, u, T, ops_s, n_ops;
	int nmax;
	const char *limit_src;
	struct sb_server_figures fig;
	redisReply *r;
	cJSON *j, *m, *srv;

	/* a sample of the run's sessions: its meta keys */
	sess_key_meta_pattern(pattern, ctx->cfg->prefix);
	sess_scan_init(&it, ctx->conn, "SCAN", NULL, pattern, 1000);
	while (nids < SAMPLE && (more = sess_scan_next(&it, &page, err)) == 1) {
		size_t k;
		for (k = 0; k < page->elements && nids < SAMPLE; k++) {
			const char *kk = page->element[k]->str, *a = strchr(kk, '{'), *b;
			if (a && (b = strchr(a, '}')) && (size_t)(b - a - 1) <= SESS_ID_MAX) {
				memcpy(ids[nids], a + 1, (size_t)(b - a - 1));
				ids[nids][b - a - 1] = '\0';
				nids++;
			}
		}
	}
	sess_scan_free(&it);
	if (more < 0)
		return -1;
	for (i = 0; i < nids; i++) {
		struct sess_keys k;
		int q;
		sess_keys_init(&k, ctx->cfg->prefix, ids[i]);
		for (q = 0; q < 4; q++) {
			long long b = mem_usage(ctx->conn, k.v[q], err);
			if (b < 0)
				return -1;
			bytes += (double)b;
		}
		r = sess_conn_cmdf(ctx->conn, err, "LLEN %s", k.events);
		if (!r)
			return -1;
		events += r->type == REDIS_REPLY_INTEGER ? (double)r->integer : 0;
		freeReplyObject(r);
	}
	(void)key;
	/* the masters' memory from their INFO after the run (server.c),
	 * summed: a standalone server is its one master */
	used = limit = 0;
	nmax = 0;
	for (i = 0; i < after->n; i++) {
		const struct sb_info_node *mi = &after->node[i];
		int k, seen = 0;
		used += mi->used_memory;
		nmax += mi->maxmemory > 0;
		if (mi->maxmemory > 0) {
			limit += mi->maxmemory;
			continue;
		}
		/* no maxmemory: the machine's memory, which the masters on
		 * one host share (counted once a host) */
		for (k = 0; k < i && !seen; k++)
			seen = !(after->node[k].maxmemory > 0) && same_host(&after->node[k].ep, &mi->ep);
		if (!seen)
			limit += mi->system_memory;
	}
	limit_src = nmax == after->n ? "maxmemory" : nmax ? "maxmemory, else total_system_memory"
						       : "total_system_memory";

	/* S: what the clients sent, as the summary's usecPerOp (server.c): a
	 * script's own commands are in its call's time already, and INFO
	 * is not the load's */
	sb_server_figures(s, res, d, &fig);
	n_ops = (double)res->all_ops;
	S = n_ops > 0 ? fig.usec / n_ops / 1e6 : NAN; /* seconds per op */
	T = (double)o->target_ms / 1000.0;
	u = S > 0 ? 1.0 - 4.6 * S / T : NAN;
	if (u > 0.9)
		u = 0.9;
	ops_s = S > 0 && u > 0 ? u / S : 0;
	if (s->nnodes && res->node_stats)
		cluster_rate(s, res, before, after, T, &u, &ops_s);

	j = cJSON_CreateObject();
	cJSON_AddStringToObject(j, "type", "capacity");
	cJSON_AddStringToObject(j, "scenario", s->name);
	cJSON_AddNumberToObject(j, "targetP99Ms", (double)o->target_ms);
	srv = cJSON_AddObjectToObject(j, "server");
	cJSON_AddNumberToObject(srv, "usecPerOp", S > 0 ? round(S * 1e8) / 100.0 : 0);
	cJSON_AddNumberToObject(srv, "commandsPerOp",
				n_ops > 0 ? round(d->calls / n_ops * 100) / 100 : 0);
	cJSON_AddNumberToObject(srv, "utilisationAtTarget", u > 0 ? round(u * 1000) / 1000 : 0);
	cJSON_AddNumberToObject(srv, "masters", s->nnodes ? s->nnodes : 1);
	cJSON_AddNumberToObject(j, "opsPerSecAtTarget", round(ops_s));
	if (!strcmp(s->name, "agents")) /* of each agent's cycle, --events are emits */
		cJSON_AddNumberToObject(j, "eventsPerSecAtTarget",
					round(ops_s * (double)o->events / (double)(o->events + 2)));
	else if (!strcmp(s->name, "emit") || !strcmp(s->name, "mixed"))
		cJSON_AddNumberToObject(j, "eventsPerSecAtTarget",
					round(ops_s * (!strcmp(s->name, "mixed") ? (double)s->ratio[SB_EMIT] / s->ratio_sum : 1)));
	cJSON_AddNumberToObject(j, "activeSessionsAtTarget",
				round(ops_s / (double)o->session_rate));
	cJSON_AddNumberToObject(j, "sessionRate", (double)o->session_rate);
	m = cJSON_AddObjectToObject(j, "memory");
	cJSON_AddNumberToObject(m, "sampledSessions", nids);
	cJSON_AddNumberToObject(m, "bytesPerSession", nids ? round(bytes / nids) : 0);
	cJSON_AddNumberToObject(m, "eventsPerSession", nids ? round(events / nids * 10) / 10 : 0);
	if (events > 0)
		cJSON_AddNumberToObject(m, "bytesPerEvent", round(bytes / events));
	cJSON_AddNumberToObject(m, "usedMemory", isnan(used) ? 0 : used);
	cJSON_AddNumberToObject(m, "limit", isnan(limit) ? 0 : limit);
	cJSON_AddStringToObject(m, "limitFrom", limit_src);
	if (nids && bytes > 0 && limit > 0 && !isnan(used))
		/* 80% of the limit, less what the server holds besides */
		cJSON_AddNumberToObject(j, "sessionsByMemory",
					fmax(0, round((0.8 * limit - used) / (bytes / nids)) + nids));
	cJSON_AddStringToObject(j, "model",
				"ops/s at target = u/S with u = min(0.9, 1 - 4.6 S / target) (M/M/1 p99); S = server usec per op from INFO commandstats; on a cluster, per master (a thread each), the least of u/S over its share of the operations; sessions by memory = (0.8 limit - used) / bytes per session (MEMORY USAGE)");
	*out = j;
	return 0;
}

int sb_cleanup(struct sess_conn *c, const char *prefix, long *deleted, struct sess_err *err)
{
	char pattern[SESS_PREFIX_MAX + 48];
	struct sess_scan it;
	const redisReply *page;
	int more;

	*deleted = 0;
	/* our own run's prefix only ("sessbench:RUNID:"), so a SCAN is what
	 * finds them all: keys of sessions created mid-run are in no index */
	snprintf(pattern, sizeof pattern, "%s:*", prefix);
	sess_scan_init(&it, c, "SCAN", NULL, pattern, 1000);
	while ((more = sess_scan_next(&it, &page, err)) == 1) {
		size_t k;
		if (page->elements && c->cl) { /* a cluster: keys of many slots */
			if (sb_nodes_unlink(c, page, deleted, err)) {
				sess_scan_free(&it);
				return -1;
			}
		} else if (page->elements) {
			struct sess_argv av;
			redisReply *d;
			sess_argv_init(&av);
			sess_argv_add(&av, "UNLINK");
			for (k = 0; k < page->elements; k++)
				sess_argv_addb(&av, page->element[k]->str, page->element[k]->len);
			d = sess_argv_cmd(c, &av, err);
			sess_argv_free(&av);
			if (!d) {
				sess_scan_free(&it);
				return -1;
			}
			*deleted += d->type == REDIS_REPLY_INTEGER ? (long)d->integer : 0;
			freeReplyObject(d);
		}
	}
	sess_scan_free(&it);
	return more < 0 ? -1 : 0;
}
