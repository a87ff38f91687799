/* check_cluster.c - the "cluster" component of a health check, when the
 * connection is a Redis Cluster connection (core/redis/cluster.h): what
 * the cluster says of itself (CLUSTER INFO on the node named: state, slot
 * coverage, known nodes, masters) and each master of the slot map checked
 * on its own connection (reachable, PING latency, memory, role).
 *
 * Judged as an operator of a cluster would: cluster_state fail, slots not
 * assigned to any master or in the fail state, or a master that does not
 * answer is critical; slots in pfail (a master not heard from, not yet
 * agreed failed) a warning; each master's latency and memory under the
 * thresholds of the redis and memory components (latency, memory). */
#include "sess-health/check.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/redis/cluster.h"
#include "sess-health/probe.h"

static double num(const struct sess_info *in, const char *name)
{
	double v = NAN;

	sess_info_num(in, name, &v);
	return v;
}

/* What CLUSTER INFO says: state, slots, nodes. 0 when the cluster is ok. */
static int cluster_info(struct run *r, struct sess_conn *c)
{
	struct sess_info in;
	struct sess_err e;
	redisReply *rep;
	const char *state;
	double assigned, ok, pfail, fail, known, size;
	int bad = 0, st;

	sess_err_clear(&e);
	memset(&in, 0, sizeof in);
	if (!(rep = sess_conn_cmdf(c, &e, "CLUSTER INFO"))) {
		check_add(r, C_CLUSTER, "state", H_CRIT, NULL, NULL, "CLUSTER INFO: %s", e.msg);
		return -1;
	}
	if (rep->type != REDIS_REPLY_STRING) {
		freeReplyObject(rep);
		check_add(r, C_CLUSTER, "state", H_CRIT, NULL, NULL, "CLUSTER INFO answered no text");
		return -1;
	}
	if (sess_info_parse(rep->str, rep->len, &in, &e)) {
		freeReplyObject(rep);
		check_add(r, C_CLUSTER, "state", H_CRIT, NULL, NULL, "CLUSTER INFO: %s", e.msg);
		return -1;
	}
	freeReplyObject(rep);
	state = sess_info_get(&in, "cluster_state");
	st = state && !strcmp(state, "ok") ? H_OK : H_CRIT;
	bad |= st != H_OK;
	check_add(r, C_CLUSTER, "state", st, cJSON_CreateString(state ? state : "?"), NULL, "%s",
		  st == H_OK ? "" : "the cluster is down: its nodes refuse commands on keys (CLUSTERDOWN)");
	check_prom(r, "sess_cluster_state_ok", "gauge", "1 when CLUSTER INFO says cluster_state:ok.", NULL, st == H_OK);

	assigned = num(&in, "cluster_slots_assigned");
	ok = num(&in, "cluster_slots_ok");
	pfail = num(&in, "cluster_slots_pfail");
	fail = num(&in, "cluster_slots_fail");
	if (!isnan(assigned) && !isnan(ok)) {
		double unassigned = SESS_CLUSTER_SLOTS - assigned;
		if (isnan(pfail))
			pfail = 0;
		if (isnan(fail))
			fail = 0;
		if (unassigned > 0 || fail > 0) {
			bad = 1;
			check_add(r, C_CLUSTER, "slots", H_CRIT, cJSON_CreateNumber(ok), NULL,
				  "%.0f of %d slots are not served: %.0f assigned to no master, %.0f on a failed master",
				  unassigned + fail, SESS_CLUSTER_SLOTS, unassigned, fail);
		} else if (pfail > 0) {
			check_add(r, C_CLUSTER, "slots", H_WARN, cJSON_CreateNumber(ok), NULL,
				  "%.0f slots on a master not heard from (pfail): a failover may follow", pfail);
		} else {
			check_add(r, C_CLUSTER, "slots", H_OK, cJSON_CreateNumber(ok), NULL,
				  "all %d slots served", SESS_CLUSTER_SLOTS);
		}
		check_prom(r, "sess_cluster_slots_assigned", "gauge", "Hash slots assigned to a master.", NULL, assigned);
		check_prom(r, "sess_cluster_slots_ok", "gauge", "Hash slots served by a master in no failure state.", NULL, ok);
		check_prom(r, "sess_cluster_slots_pfail", "gauge", "Hash slots on a master possibly failing (not heard from).", NULL, pfail);
		check_prom(r, "sess_cluster_slots_fail", "gauge", "Hash slots on a master the cluster agreed has failed.", NULL, fail);
		check_perf(r, "slots_ok", ok, 0, SESS_CLUSTER_SLOTS);
	}
	known = num(&in, "cluster_known_nodes");
	size = num(&in, "cluster_size");
	if (!isnan(known)) {
		check_add(r, C_CLUSTER, "knownNodes", H_OK, cJSON_CreateNumber(known), NULL, NULL);
		check_prom(r, "sess_cluster_known_nodes", "gauge", "Nodes the cluster knows (masters and replicas).", NULL, known);
		check_perf(r, "known_nodes", known, 0, NAN);
	}
	if (!isnan(size)) {
		check_add(r, C_CLUSTER, "masters", H_OK, cJSON_CreateNumber(size), NULL, NULL);
		check_prom(r, "sess_cluster_masters", "gauge", "Masters serving at least one slot (cluster_size).", NULL, size);
		check_perf(r, "masters", size, 0, NAN);
	}
	sess_info_free(&in);
	return bad ? -1 : 0;
}

/* One master on its own connection: reachable, PING, memory, role. 0 when
 * it answered. */
static int cluster_node(struct run *r, struct sess_conn *c, int i)
{
	struct sess_cluster *cl = c->cl;
	struct sess_cluster_node *n = &cl->nodes[i];
	struct sess_conn *mc = NULL;
	struct sess_latency lat;
	struct sess_info in;
	struct sess_err e;
	char addr[300], meas[340], label[340], perf[340];
	const char *role;
	double used, max;

	sess_err_clear(&e);
	memset(&in, 0, sizeof in);
	snprintf(addr, sizeof addr, "%.255s:%d", n->ep.host, n->ep.port);
	health_prom_label(label, sizeof label, "node", addr);
	if (sess_cluster_node_open(c, i, &e) || (mc = &n->conn, sess_probe_ping(mc, (int)r->hp->pings, &lat, &e)) ||
	    sess_probe_info(mc, &in, &e)) {
		snprintf(meas, sizeof meas, "%s:reachable", addr);
		check_add(r, C_CLUSTER, meas, H_CRIT, cJSON_CreateBool(0), NULL, "master %s does not answer: %s", addr, e.msg);
		check_prom(r, "sess_cluster_node_up", "gauge", "1 when this master answered the check, 0 when not.", label, 0);
		sess_info_free(&in);
		return -1;
	}
	snprintf(meas, sizeof meas, "%s:reachable", addr);
	check_add(r, C_CLUSTER, meas, H_OK, cJSON_CreateBool(1), NULL, NULL);
	check_prom(r, "sess_cluster_node_up", "gauge", "1 when this master answered the check, 0 when not.", label, 1);

	snprintf(meas, sizeof meas, "%s:responseTime", addr);
	snprintf(perf, sizeof perf, "latency_%s", addr);
	check_metric_as(r, C_CLUSTER, meas, M_LATENCY, lat.p99, "ms", perf, "ms", 0, NAN);
	check_prom(r, "sess_cluster_node_ping_seconds", "gauge", "PING round trip to this master (p99 of the check's).",
		   label, lat.p99 / 1000);

	role = sess_info_get(&in, "role");
	snprintf(meas, sizeof meas, "%s:role", addr);
	if (role && strcmp(role, "master"))
		check_add(r, C_CLUSTER, meas, H_WARN, cJSON_CreateString(role), NULL,
			  "the slot map names %s a master but it says %s: a failover is settling", addr, role);
	else
		check_add(r, C_CLUSTER, meas, H_OK, cJSON_CreateString(role ? role : "?"), NULL, NULL);
	check_prom(r, "sess_cluster_node_master", "gauge", "1 when this node of the slot map says it is a master.", label,
		   role && !strcmp(role, "master"));

	used = num(&in, "used_memory");
	max = num(&in, "maxmemory");
	if (!isnan(used)) {
		snprintf(meas, sizeof meas, "%s:memoryUsed", addr);
		check_add(r, C_CLUSTER, meas, H_OK, cJSON_CreateNumber(used), "bytes", NULL);
		check_prom(r, "sess_cluster_node_memory_used_bytes", "gauge", "Memory this master has allocated.", label, used);
	}
	if (!isnan(max))
		check_prom(r, "sess_cluster_node_memory_max_bytes", "gauge", "This master's maxmemory (0: none set).", label, max);
	if (!isnan(used) && !isnan(max) && max > 0) {
		snprintf(meas, sizeof meas, "%s:memoryUtilization", addr);
		snprintf(perf, sizeof perf, "memory_%s", addr);
		check_metric_as(r, C_CLUSTER, meas, M_MEMORY, used / max * 100, "percent", perf, "%", 0, 100);
	}
	sess_info_free(&in);
	return 0;
}

int check_cluster(struct run *r, struct sess_conn *c)
{
	int i, bad = 0, answered = 0, masters = 0;

	if (!c->cl)
		return 0;
	if (cluster_info(r, c))
		bad = 1;
	for (i = 0; i < c->cl->nnodes; i++) {
		if (!c->cl->nodes[i].master)
			continue;
		masters++;
		if (cluster_node(r, c, i))
			bad = 1;
		else
			answered++;
	}
	check_perf(r, "masters_up", answered, 0, masters);
	return bad ? -1 : 0;
}
