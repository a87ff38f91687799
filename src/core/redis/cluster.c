/* cluster.c - the cluster conn: its node table, its slot map (CLUSTER
 * SLOTS), how a conn becomes one, and the fan-out over masters. Routing
 * is in cluster_route.c, the cache in cluster_cache.c; see cluster.h. */
#include "core/redis/cluster.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>


int sess_cluster_node_at(struct sess_cluster *cl, const char *host, int port, const char *id)
{
	struct sess_cluster_node *n;
	int i;

	for (i = 0; i < cl->nnodes; i++) {
		n = &cl->nodes[i];
		if (n->ep.port == port && !strcmp(n->ep.host, host)) {
			if (id && id[0] && strcmp(n->id, id)) {
				/* another node at this address now: its conn
				 * (if any) talks to the old one's successor */
				snprintf(n->id, sizeof n->id, "%s", id);
			}
			return i;
		}
	}
	if (cl->nnodes == cl->ncap) {
		int cap = cl->ncap ? 2 * cl->ncap : 8;
		struct sess_cluster_node *t = realloc(cl->nodes, (size_t)cap * sizeof *t);
		if (!t)
			return -1;
		cl->nodes = t;
		cl->ncap = cap;
	}
	n = &cl->nodes[cl->nnodes];
	memset(n, 0, sizeof *n);
	n->conn.st.fd = -1;
	snprintf(n->ep.host, sizeof n->ep.host, "%s", host);
	n->ep.port = port;
	n->ep.tls = cl->cfg->tls || cl->cfg->tls_enabled;
	if (id)
		snprintf(n->id, sizeof n->id, "%s", id);
	return cl->nnodes++;
}

/* A 40-hex node id in r. */
static int is_id(const redisReply *r)
{
	size_t i;

	if (!r || (r->type != REDIS_REPLY_STRING && r->type != REDIS_REPLY_STATUS) || r->len != 40)
		return 0;
	for (i = 0; i < 40; i++)
		if (!strchr("0123456789abcdef", r->str[i]))
			return 0;
	return 1;
}

/* CLUSTER MYID on conn into id: 1 a cluster node, 0 not one (cluster
 * support disabled, or an old server without MYID), -1 err. */
static int ask_id(struct sess_conn *conn, char id[41], struct sess_err *err)
{
	redisReply *r = sess_conn_callf(conn, err, "CLUSTER MYID");
	int rc = 0;

	if (!r)
		return -1;
	if (is_id(r)) {
		memcpy(id, r->str, 40);
		id[40] = '\0';
		rc = 1;
	}
	freeReplyObject(r);
	return rc;
}

int sess_cluster_node_open(struct sess_conn *c, int i, struct sess_err *err)
{
	struct sess_cluster *cl = c->cl;
	struct sess_cluster_node *n = &cl->nodes[i];
	char id[41];
	int rc;

	if (sess_conn_is_open(&n->conn)) {
		if (sess_conn_ok(&n->conn))
			return 0;
		sess_conn_close(&n->conn);
	}
	n->fn = n->fhead = 0;
	if (sess_conn_open_at(&n->conn, cl->cfg, &n->ep, err))
		return -1;
	n->gen++;
	if (!n->verify)
		return 0;
	/* from the cache: the server at this address must be that node */
	if ((rc = ask_id(&n->conn, id, err)) < 0) {
		sess_conn_close(&n->conn);
		return -1;
	}
	if (rc == 1 && !strcmp(id, n->id)) {
		n->verify = 0;
		return 0;
	}
	sess_conn_close(&n->conn);
	sess_cluster_cache_drop(c);
	if (sess_cluster_refresh(c, err))
		return -1;
	return sess_err_set(err, SESS_E_TEMP, "cluster_changed",
			    "%s:%d is no longer the cluster node the slot-map cache named; the map was read again",
			    n->ep.host, n->ep.port);
}

int sess_cluster_slot_node(const struct sess_conn *c, int slot)
{
	return c->cl && slot >= 0 && slot < SESS_CLUSTER_SLOTS ? c->cl->slot[slot] : -1;
}

/* The map from a CLUSTER SLOTS reply r, asked of host (for an empty or
 * NULL endpoint: a cluster whose nodes do not know theirs, configured
 * with cluster-preferred-endpoint-type unknown-endpoint, answers NULL,
 * and the client reaches every node at the host it asked, by its port;
 * "?": a hostname not configured, that range is left unmapped); the map
 * is changed only when the whole reply is understood. */
static int apply_slots(struct sess_cluster *cl, const redisReply *r, const char *host)
{
	short map[SESS_CLUSTER_SLOTS];
	size_t i;
	int j;

	if (r->type != REDIS_REPLY_ARRAY)
		return -1;
	for (j = 0; j < SESS_CLUSTER_SLOTS; j++)
		map[j] = -1;
	for (i = 0; i < r->elements; i++) {
		const redisReply *e = r->element[i], *m;
		const char *ip;
		long long lo, hi, sl;
		int node;
		if (e->type != REDIS_REPLY_ARRAY || e->elements < 3 ||
		    e->element[0]->type != REDIS_REPLY_INTEGER || e->element[1]->type != REDIS_REPLY_INTEGER)
			return -1;
		m = e->element[2];
		if (m->type != REDIS_REPLY_ARRAY || m->elements < 2 ||
		    (m->element[0]->type != REDIS_REPLY_STRING && m->element[0]->type != REDIS_REPLY_NIL) ||
		    m->element[1]->type != REDIS_REPLY_INTEGER || m->element[1]->integer < 1 ||
		    m->element[1]->integer > 65535)
			return -1;
		lo = e->element[0]->integer;
		hi = e->element[1]->integer;
		if (lo < 0 || hi >= SESS_CLUSTER_SLOTS || lo > hi)
			return -1;
		ip = m->element[0]->type == REDIS_REPLY_STRING ? m->element[0]->str : "";
		if (!ip[0])
			ip = host;
		if (!strcmp(ip, "?"))
			continue;
		node = sess_cluster_node_at(cl, ip, (int)m->element[1]->integer,
					    m->elements > 2 && m->element[2]->type == REDIS_REPLY_STRING
						    ? m->element[2]->str : NULL);
		if (node < 0)
			return -1;
		for (sl = lo; sl <= hi; sl++)
			map[sl] = (short)node;
	}
	memcpy(cl->slot, map, sizeof map);
	for (j = 0; j < cl->nnodes; j++)
		cl->nodes[j].master = 0;
	for (j = 0; j < SESS_CLUSTER_SLOTS; j++)
		if (map[j] >= 0 && !cl->nodes[map[j]].master) {
			cl->nodes[map[j]].master = 1;
			cl->nodes[map[j]].verify = 0;
		}
	return 0;
}

/* CLUSTER SLOTS on conn (nothing in flight on it) into the map. */
static int slots_from(struct sess_conn *c, struct sess_conn *conn, const char *host,
		      struct sess_err *err)
{
	redisReply *r = sess_conn_cmdf(conn, err, "CLUSTER SLOTS");
	int rc;

	if (!r)
		return -1;
	rc = apply_slots(c->cl, r, host);
	freeReplyObject(r);
	if (rc)
		return sess_err_set(err, SESS_E_INTERNAL, "bad_reply",
				    "%s answered CLUSTER SLOTS with an unexpected reply", conn->where);
	c->cl->refreshed_ms = sess_stream_now_ms();
	return 0;
}

int sess_cluster_seeds(const struct sess_config *cfg, struct sess_endpoint *eps, int max)
{
	const char *p = cfg->cluster_nodes;
	int n = 0;

	/* host:port[,host:port...]; a port left out is 6379; [v6]:port */
	while (*p && n < max) {
		const char *end = strchr(p, ','), *colon, *rb;
		size_t len = end ? (size_t)(end - p) : strlen(p), hl;
		struct sess_endpoint *e = &eps[n];
		char item[300];
		if (len && len < sizeof item) {
			memcpy(item, p, len);
			item[len] = '\0';
			memset(e, 0, sizeof *e);
			e->port = 6379;
			colon = strrchr(item, ':');
			rb = strchr(item, ']');
			if (colon && (item[0] != '[' || (rb && colon > rb))) {
				e->port = atoi(colon + 1);
				hl = (size_t)(colon - item);
			} else
				hl = len;
			if (item[0] == '[' && hl >= 2 && item[hl - 1] == ']') {
				memmove(item, item + 1, hl - 2);
				hl -= 2;
			}
			if (hl && hl < sizeof e->host && e->port > 0 && e->port <= 65535) {
				memcpy(e->host, item, hl);
				e->host[hl] = '\0';
				e->tls = cfg->tls || cfg->tls_enabled;
				n++;
			}
		}
		if (!end)
			break;
		p = end + 1;
	}
	return n;
}

/* Add the configured seeds (cfg->cluster_nodes) to the node table. */
static void add_seeds(struct sess_cluster *cl)
{
	struct sess_endpoint eps[SESS_CLUSTER_REOPEN_MAX];
	int n = sess_cluster_seeds(cl->cfg, eps, SESS_CLUSTER_REOPEN_MAX), i;

	for (i = 0; i < n; i++)
		sess_cluster_node_at(cl, eps[i].host, eps[i].port, NULL);
}

/* CLUSTER SLOTS of node i into the map: 0, or -1 with err. A node with
 * nothing in flight asks on its own conn; else a short-lived one (its
 * replies must not mix with a pipeline's). */
static int slots_of(struct sess_conn *c, int i, struct sess_err *err)
{
	struct sess_cluster_node *n = &c->cl->nodes[i];
	struct sess_conn tmp;
	char host[sizeof n->ep.host];
	int rc;

	snprintf(host, sizeof host, "%s", n->ep.host);
	if (sess_conn_ok(&n->conn) && n->fn == 0 && n->conn.olen == n->conn.opos)
		return slots_from(c, &n->conn, host, err);
	if (sess_conn_open_at(&tmp, c->cl->cfg, &n->ep, err))
		return -1;
	rc = slots_from(c, &tmp, host, err);
	sess_conn_close(&tmp);
	return rc;
}

int sess_cluster_refresh(struct sess_conn *c, struct sess_err *err)
{
	struct sess_cluster *cl = c->cl;
	struct sess_err last = {0};
	int i, pass, nn;

	add_seeds(cl);
	nn = cl->nnodes;
	/* the masters (and seeds never mapped) first; then the others, a
	 * master of before a failover among them */
	for (pass = 0; pass < 2; pass++)
		for (i = 0; i < nn; i++) {
			int first = cl->nodes[i].master || !cl->nodes[i].id[0];
			if (first == (pass == 0) && !slots_of(c, i, &last))
				return 0;
		}
	if (!last.msg[0])
		return sess_err_set(err, SESS_E_UNAVAILABLE, "unavailable",
				    "no cluster node answered CLUSTER SLOTS; check the cluster's nodes (redis.clusterNodes)");
	*err = last;
	return -1;
}

/* The node of keyless commands: the seed while it serves slots, else the
 * first master. */
static void pick_any(struct sess_cluster *cl)
{
	int i;

	if (cl->any >= 0 && cl->any < cl->nnodes && cl->nodes[cl->any].master)
		return;
	for (i = 0; i < cl->nnodes; i++)
		if (cl->nodes[i].master) {
			cl->any = i;
			return;
		}
	cl->any = 0;
}

int sess_cluster_attach(struct sess_conn *c, const char *myid, struct sess_err *err)
{
	struct sess_cluster *cl = calloc(1, sizeof *cl);
	char id[41] = "";
	int seed, i;

	if (!cl)
		return sess_err_set(err, SESS_E_INTERNAL, NULL, "out of memory");
	if (c->cfg->db != 0) {
		free(cl);
		return sess_err_set(err, SESS_E_CONFIG, "cluster_db",
				    "%s is a Redis Cluster node, and a cluster has only database 0; drop the /%d from the URL (or REDIS_DB)",
				    c->where, c->cfg->db);
	}
	if (myid)
		snprintf(id, sizeof id, "%s", myid);
	else if (ask_id(c, id, err) <= 0) {
		free(cl);
		return err->msg[0] ? -1 : sess_err_set(err, SESS_E_CONFIG, "not_cluster",
				"%s is not a Redis Cluster node; set redis.cluster=no (REDIS_CLUSTER)", c->where);
	}
	cl->cfg = c->cfg;
	cl->txn_node = -1;
	cl->last_slot = -1;
	for (i = 0; i < SESS_CLUSTER_SLOTS; i++)
		cl->slot[i] = -1;
	if ((seed = sess_cluster_node_at(cl, c->ep.host, c->ep.port, id)) < 0) {
		free(cl);
		return sess_err_set(err, SESS_E_INTERNAL, NULL, "out of memory");
	}
	/* the seed's socket becomes node 0's */
	cl->nodes[seed].conn = *c;
	cl->nodes[seed].conn.cl = NULL;
	c->cl = cl;
	if (sess_cluster_cache_load(c, id)) {
		if (slots_from(c, &cl->nodes[seed].conn, c->ep.host, err)) {
			/* give the socket back: c is as it was */
			*c = cl->nodes[seed].conn;
			cl->nodes[seed].conn.st.ops = NULL;
			cl->nodes[seed].conn.reader = NULL;
			cl->nodes[seed].conn.obuf = NULL;
			c->cl = cl;
			sess_cluster_free(c);
			return -1;
		}
		sess_cluster_cache_save(c);
	}
	cl->any = seed;
	pick_any(cl);
	/* c's own stream is no longer c's */
	c->st.ops = NULL;
	c->st.fd = -1;
	c->st.impl = NULL;
	c->reader = NULL;
	c->obuf = NULL;
	c->opos = c->olen = c->ocap = 0;
	return 0;
}

int sess_cluster_on_open(struct sess_conn *c, struct sess_err *err)
{
	const char *mode = c->cfg->cluster;
	char path[1100], id[41];
	int yes = !strcmp(mode, "yes") || (strcmp(mode, "no") && c->cfg->cluster_nodes[0]);
	int rc;

	if (!strcmp(mode, "no") || c->cfg->sentinels[0] || c->ep.unix_path[0])
		return 0;
	/* auto: only when the cache knows this seed (so a standalone server
	 * costs nothing) */
	if (!yes && (sess_cluster_cache_path(c, path, sizeof path) || access(path, R_OK)))
		return 0;
	if ((rc = ask_id(c, id, err)) < 0)
		goto fail;
	if (rc == 0) {
		if (!yes) {
			sess_cluster_cache_drop(c);
			return 0;
		}
		sess_err_set(err, SESS_E_CONFIG, "not_cluster",
			     "%s is not a Redis Cluster node (CLUSTER MYID refused), but redis.cluster is yes; set REDIS_CLUSTER=no or point REDIS_URL at a cluster node",
			     c->where);
		goto fail;
	}
	if (!sess_cluster_attach(c, id, err))
		return 0;
fail:
	sess_conn_close(c);
	return -1;
}

int sess_cluster_endpoints(const struct sess_conn *c, struct sess_endpoint *eps, int max)
{
	int i, n = 0;

	for (i = 0; c->cl && i < c->cl->nnodes && n < max; i++) {
		const struct sess_cluster_node *nd = &c->cl->nodes[i];
		if (nd->master && !(nd->ep.port == c->ep.port && !strcmp(nd->ep.host, c->ep.host)))
			eps[n++] = nd->ep;
	}
	return n;
}

int sess_cluster_reattach(struct sess_conn *c, struct sess_err *err)
{
	if (sess_cluster_attach(c, NULL, err)) {
		sess_conn_close(c);
		return -1;
	}
	return 0;
}

/* Whether conn's server runs in cluster mode, asked without an error
 * reply on a standalone server (CLUSTER MYID there answers ERR, which
 * its error statistics and monitoring would count for every SCAN):
 * INFO cluster's cluster_enabled. 0 it says not, 1 it says so or INFO is
 * refused (CLUSTER MYID then decides), -1 err. */
static int maybe_cluster(struct sess_conn *conn, struct sess_err *err)
{
	redisReply *r = sess_conn_callf(conn, err, "INFO cluster");
	int rc = 1;

	if (!r)
		return -1;
	if (r->type == REDIS_REPLY_STRING)
		rc = strstr(r->str, "cluster_enabled:1") != NULL;
	freeReplyObject(r);
	return rc;
}

int sess_cluster_masters(struct sess_conn *c, struct sess_err *err)
{
	int i, n = 0, rc;
	char id[41];

	if (!c->cl) {
		if (c->standalone || !strcmp(c->cfg->cluster, "no") || c->cfg->sentinels[0] || c->ep.unix_path[0])
			return 1;
		if ((rc = maybe_cluster(c, err)) < 0 || (rc == 1 && (rc = ask_id(c, id, err)) < 0))
			return -1;
		if (rc == 0) {
			/* asked once per connection: every fan-out asks */
			c->standalone = 1;
			return 1;
		}
		if (sess_cluster_attach(c, id, err))
			return -1;
	}
	for (i = 0; i < c->cl->nnodes; i++)
		n += c->cl->nodes[i].master;
	return n;
}

int sess_conn_cluster(struct sess_conn *c, struct sess_err *err)
{
	if (c->cl)
		return 1;
	if (c->standalone)
		return 0;
	if (sess_cluster_masters(c, err) < 0)
		return -1;
	if (c->cl)
		return 1;
	c->standalone = 1;
	return 0;
}

struct sess_conn *sess_cluster_master(struct sess_conn *c, int i, struct sess_err *err)
{
	int j, k = 0;

	if (!c->cl)
		return i == 0 ? c : (sess_err_set(err, SESS_E_INTERNAL, NULL, "no master %d", i), NULL);
	for (j = 0; j < c->cl->nnodes; j++) {
		if (!c->cl->nodes[j].master || k++ != i)
			continue;
		if (sess_cluster_node_open(c, j, err))
			return NULL;
		return &c->cl->nodes[j].conn;
	}
	sess_err_set(err, SESS_E_INTERNAL, NULL, "no master %d", i);
	return NULL;
}

int sess_cluster_each(struct sess_conn *c, int argc, const char **argv,
		      const size_t *lens, redisReply ***replies, int *n,
		      struct sess_err *err)
{
	int m = sess_cluster_masters(c, err), i;
	redisReply **rs;

	*replies = NULL;
	*n = 0;
	if (m < 0)
		return -1;
	if (!(rs = calloc((size_t)m, sizeof *rs)))
		return sess_err_set(err, SESS_E_INTERNAL, NULL, "out of memory");
	/* every master works at once: append on all, then read */
	for (i = 0; i < m; i++) {
		struct sess_conn *mc = sess_cluster_master(c, i, err);
		if (!mc || sess_conn_append(mc, argc, argv, lens, err) || sess_conn_send(mc, err))
			goto fail;
	}
	for (i = 0; i < m; i++)
		if (sess_conn_read(sess_cluster_master(c, i, err), &rs[i], err))
			goto fail;
	*replies = rs;
	*n = m;
	return 0;
fail:
	for (i = 0; i < m; i++)
		if (rs[i])
			freeReplyObject(rs[i]);
	free(rs);
	/* replies still owed: those conns must not be reused */
	for (i = 0; c->cl && i < c->cl->nnodes; i++)
		if (c->cl->nodes[i].master)
			sess_conn_close(&c->cl->nodes[i].conn);
	return -1;
}

void sess_cluster_free(struct sess_conn *c)
{
	struct sess_cluster *cl = c->cl;
	size_t i;
	int j;

	if (!cl)
		return;
	/* what MOVED taught since the last write, for the next process */
	if (cl->dirty)
		sess_cluster_cache_save(c);
	for (j = 0; j < cl->nnodes; j++) {
		sess_conn_close(&cl->nodes[j].conn);
		free(cl->nodes[j].fifo);
		if (cl->nodes[j].side)
			freeReplyObject(cl->nodes[j].side);
	}
	free(cl->nodes);
	for (i = 0; i < cl->qn; i++) {
		struct sess_cluster_cmd *e = &cl->q[(cl->qhead + i) % cl->qcap];
		free(e->cmd);
		if (e->reply)
			freeReplyObject(e->reply);
	}
	free(cl->q);
	free(cl);
	c->cl = NULL;
}
