/* nodes.c - sess-bench on a Redis Cluster: every client is bound to one
 * master (client i to master i mod M) and works on the sessions whose
 * slots that master serves, over a plain connection to it, so the
 * engine's poll loop and pipelining stay as they are and the load is
 * spread over the masters as the sessions are. After the run, one line
 * per run gives each master's share: operations, rate, latency, and the
 * server's own time (INFO commandstats, before and after).
 *
 * Operations that span masters run per master too:
 * - create: a client's new sessions get ids that hash to its master's
 *   slots (the batch's i-th id, then -1, -2 ... until one does);
 * - list: sessctl list on a cluster reads every slot's companions (one
 *   EXISTS of a slot's five companion keys for each of the 16,384 slots,
 *   to find those in use; a ZRANGE of the whole index of each slot in
 *   use; the rows of the merged page by HMGET). One list is therefore
 *   one part per master, sent in parallel: a list operation here is the
 *   part of its client's master (EXISTS for every slot it serves, ZRANGE
 *   of each of its slots holding the run's sessions, HMGET of the rows of
 *   the page, the run's 50 newest sessions, that live on it), built
 *   once; a user's list costs the M parts;
 * - mixed: its mix per master, list as above.
 *
 * Slots moving mid-run (a reshard under load): a master answers an
 * operation on a slot it no longer serves with MOVED (the slot is gone),
 * ASK (it is being migrated and the session's keys have left) or
 * TRYAGAIN (its keys are split between the two masters). The operation
 * did not run: it is counted as a redirection of its kind (the summary's
 * "redirections", each master's on the nodes line), not as an error, and
 * the client sends another. Each MOVED corrects the run's slot map (the
 * slot's master is the one MOVED names), and from the first one on a
 * client draws its sessions among all of the run's until one is on its
 * master now: so a client stays bound to its master and goes on with the
 * sessions that master serves now, those that arrived included, and the
 * nodes line says how many slots each master gained and lost. A list's
 * parts are built once: after its slots moved, a list is redirected.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "core/model/keys.h"
#include "core/base/schema.h"
#include "core/model/slot.h"
#include "core/redis/cluster.h"
#include "core/redis/scripts.h"

/* The master of conn's map whose endpoint is ep, or -1. */
static int master_of(const struct sb_scn *s, const struct sess_endpoint *ep)
{
	int i;

	for (i = 0; i < s->nnodes; i++)
		if (s->nodes[i].ep.port == ep->port && !strcmp(s->nodes[i].ep.host, ep->host))
			return i;
	return -1;
}

static int slot_of_id(const char *id)
{
	char key[SESS_ID_MAX + 3];
	int n = snprintf(key, sizeof key, "{%s}", id);

	return sess_slot_of_key(key, (size_t)n);
}

static int master_at(const struct sb_scn *s, int slot)
{
	return __atomic_load_n(&s->slot_master[slot], __ATOMIC_RELAXED);
}

void sb_nodes_create_id(const struct sb_scn *s, const struct sb_client *c, long i, char *id,
			size_t sz)
{
	int k;

	snprintf(id, sz, "c%d-%ld-%ld", c->index, c->made, i);
	/* about M tries while every master serves a slot; one whose slots
	 * all moved away gets its id redirected */
	for (k = 1; master_at(s, slot_of_id(id)) != c->node && k < 100000; k++)
		snprintf(id, sz, "c%d-%ld-%ld-%d", c->index, c->made, i, k);
}

int sb_nodes_redirected(struct sb_scn *s, const char *msg, int from)
{
	struct sess_endpoint ep;
	const char *sp, *colon;
	long slot;
	char *end;
	int m;

	if (!strncmp(msg, "ASK ", 4))
		return 2;
	if (!strncmp(msg, "TRYAGAIN", 8))
		return 3;
	if (strncmp(msg, "MOVED ", 6))
		return 0;
	/* MOVED SLOT HOST:PORT (the host may be an IPv6 address: the last
	 * colon ends it; empty, from a cluster whose nodes do not know their
	 * endpoint (cluster-preferred-endpoint-type unknown-endpoint): the
	 * host the answering master was reached at) */
	slot = strtol(msg + 6, &end, 10);
	if (end == msg + 6 || *end != ' ' || slot < 0 || slot >= SESS_SLOTS)
		return 1;
	sp = end + 1;
	colon = strrchr(sp, ':');
	memset(&ep, 0, sizeof ep);
	if (colon && (size_t)(colon - sp) < sizeof ep.host) {
		if (colon == sp && from >= 0 && from < s->nnodes)
			snprintf(ep.host, sizeof ep.host, "%s", s->nodes[from].ep.host);
		else
			memcpy(ep.host, sp, (size_t)(colon - sp));
		ep.port = atoi(colon + 1);
		m = master_of(s, &ep);
		__atomic_store_n(&s->slot_master[slot], (short)m, __ATOMIC_RELAXED);
		__atomic_store_n(&s->moved, 1, __ATOMIC_RELAXED);
	}
	return 1;
}

void sb_nodes_remap(struct sb_scn *s, struct sess_conn *conn)
{
	struct sess_err e;
	int slot;

	if (!s->nnodes || !__atomic_load_n(&s->moved, __ATOMIC_RELAXED) || !conn->cl ||
	    sess_cluster_refresh(conn, &e))
		return;
	for (slot = 0; slot < SESS_SLOTS; slot++) {
		int node = sess_cluster_slot_node(conn, slot);
		s->slot_master[slot] = (short)(node < 0 ? -1 : master_of(s, &conn->cl->nodes[node].ep));
	}
}

long sb_nodes_pick(const struct sb_scn *s, struct sb_client *c)
{
	const struct sb_node *n = &s->nodes[c->node];
	long k, j;

	if (!__atomic_load_n(&s->moved, __ATOMIC_RELAXED))
		return n->sess[sb_rand(&c->rng) % (uint64_t)n->nsess];
	/* about M tries while its master serves a share of the sessions */
	for (k = 0; k < 64L * s->nnodes; k++) {
		j = (long)(sb_rand(&c->rng) % (uint64_t)s->o->sessions);
		if (master_at(s, s->id_slot[j]) == c->node)
			return j;
	}
	/* its master serves none of them now: one of those it had (the
	 * operation is redirected and counted) */
	return n->sess[sb_rand(&c->rng) % (uint64_t)n->nsess];
}

/* Append the command argv to n's list part. -1 out of memory. */
static int list_add(struct sb_node *n, size_t *cap, int argc, const char **argv)
{
	char *cmd;
	int len = redisFormatCommandArgv(&cmd, argc, argv, NULL);

	if (len < 0)
		return -1;
	if (n->list_len + (size_t)len > *cap) {
		size_t nc = *cap ? *cap : 65536;
		char *b;
		while (nc < n->list_len + (size_t)len)
			nc *= 2;
		if (!(b = realloc(n->list_cmd, nc))) {
			redisFreeCommand(cmd);
			return -1;
		}
		n->list_cmd = b;
		*cap = nc;
	}
	memcpy(n->list_cmd + n->list_len, cmd, (size_t)len);
	n->list_len += (size_t)len;
	redisFreeCommand(cmd);
	return 0;
}

/* Each master's part of a list (see the top), as sessctl list sends it
 * (core/session/tags.c, view.c). */
static int list_parts(struct sb_scn *s, struct sess_err *err)
{
	static const char *const fields[] = {SESS_S_F_VERSION, SESS_S_F_STATE, SESS_S_F_CREATED,
		SESS_S_F_UPDATED, SESS_S_F_SEQ, SESS_S_F_AGENTS, SESS_S_F_CREATOR};
	char k1[SESS_KEY_MAX], k2[SESS_KEY_MAX], k3[SESS_KEY_MAX], k4[SESS_KEY_MAX], k5[SESS_KEY_MAX];
	const char *prefix = s->cfg->prefix;
	long page = s->o->sessions < SB_LIST_PAGE ? s->o->sessions : SB_LIST_PAGE, j;
	unsigned char *used = calloc(SESS_SLOTS, 1);
	size_t *cap = calloc((size_t)s->nnodes, sizeof *cap);
	int slot, rc = 0;

	if (!used || !cap) {
		free(used);
		free(cap);
		return sess_err_set(err, SESS_E_INTERNAL, NULL, "out of memory");
	}
	for (j = 0; j < s->o->sessions; j++)
		used[slot_of_id(s->ids[j])] = 1;
	/* the slots in use: EXISTS of each slot's companions */
	for (slot = 0; slot < SESS_SLOTS && !rc; slot++) {
		const char *t = sess_slot_tag(slot), *argv[6] = {"EXISTS", k1, k2, k3, k4, k5};
		struct sb_node *n = &s->nodes[s->slot_master[slot]];
		sess_key_index(k1, prefix, t);
		sess_key_agents(k2, prefix, t);
		sess_key_stats(k3, prefix, t);
		sess_key_replays(k4, prefix, t);
		sess_key_fence(k5, prefix, t);
		rc = list_add(n, &cap[s->slot_master[slot]], 6, argv);
		n->list_slots++;
	}
	/* the whole index of each slot in use */
	for (slot = 0; slot < SESS_SLOTS && !rc; slot++) {
		const char *argv[5] = {"ZRANGE", k1, "0", "-1", "WITHSCORES"};
		struct sb_node *n = &s->nodes[s->slot_master[slot]];
		if (!used[slot])
			continue;
		sess_key_index(k1, prefix, sess_slot_tag(slot));
		rc = list_add(n, &cap[s->slot_master[slot]], 5, argv);
		n->list_tags++;
	}
	/* the page's rows (the newest sessions, as on one server) */
	for (j = 0; j < page && !rc; j++) {
		const char *id = s->ids[s->o->sessions - 1 - j], *argv[2 + 7];
		int m = s->slot_master[slot_of_id(id)];
		size_t f;
		sess_key_meta(k1, prefix, id);
		argv[0] = "HMGET";
		argv[1] = k1;
		for (f = 0; f < 7; f++)
			argv[2 + f] = fields[f];
		rc = list_add(&s->nodes[m], &cap[m], 9, argv);
		s->nodes[m].list_rows++;
	}
	free(used);
	free(cap);
	return rc ? sess_err_set(err, SESS_E_INTERNAL, NULL, "out of memory") : 0;
}

int sb_nodes_setup(struct sb_scn *s, struct sess_conn *conn, struct sess_err *err)
{
	int m, i, slot, create = !strcmp(s->name, "create");
	long j;

	if (!s->per_slot || !conn->cl)
		return 0;
	/* the engine's calls find the library (or the scripts) on every
	 * master: setup loaded them before it knew it was on a cluster */
	if ((m = sess_cluster_masters(conn, err)) < 0 || sess_script_prepare(conn, err))
		return -1;
	if (!(s->nodes = calloc((size_t)m, sizeof *s->nodes)) ||
	    !(s->slot_master = malloc(SESS_SLOTS * sizeof *s->slot_master)) ||
	    !(s->slot_master0 = malloc(SESS_SLOTS * sizeof *s->slot_master0)) ||
	    !(s->id_slot = malloc((size_t)s->o->sessions * sizeof *s->id_slot)))
		return sess_err_set(err, SESS_E_INTERNAL, NULL, "out of memory");
	s->nnodes = m;
	for (i = 0; i < m; i++) {
		struct sess_conn *mc = sess_cluster_master(conn, i, err);
		if (!mc)
			return -1;
		s->nodes[i].ep = mc->ep;
		if (!(s->nodes[i].sess = calloc((size_t)s->o->sessions, sizeof *s->nodes[i].sess)))
			return sess_err_set(err, SESS_E_INTERNAL, NULL, "out of memory");
	}
	for (slot = 0; slot < SESS_SLOTS; slot++) {
		int node = sess_cluster_slot_node(conn, slot);
		int k = node < 0 ? -1 : master_of(s, &conn->cl->nodes[node].ep);
		if (k < 0)
			return sess_err_set(err, SESS_E_TEMP, "cluster_changed",
					    "slot %d has no master in the map now (the cluster is changing, or not every slot is served); run again",
					    slot);
		s->slot_master[slot] = (short)k;
	}
	memcpy(s->slot_master0, s->slot_master, SESS_SLOTS * sizeof *s->slot_master);
	for (j = 0; !create && j < s->o->sessions; j++) {
		int k = s->slot_master[s->id_slot[j] = (short)slot_of_id(s->ids[j])];
		s->nodes[k].sess[s->nodes[k].nsess++] = j;
	}
	/* create makes its own sessions, on every master */
	for (i = 0; !create && i < m; i++)
		if (!s->nodes[i].nsess)
			return sess_err_set(err, SESS_E_USAGE, "bad_option",
					    "--sessions %ld leaves master %s:%d without a session; give more --sessions (the cluster has %d masters)",
					    s->o->sessions, s->nodes[i].ep.host, s->nodes[i].ep.port, m);
	if (s->o->clients < m)
		return sess_err_set(err, SESS_E_USAGE, "bad_option",
				    "-c %ld clients leave some of the cluster's %d masters without load; give -c %d or more",
				    s->o->clients, m, m);
	if ((!strcmp(s->name, "list") || (!strcmp(s->name, "mixed") && s->ratio[SB_LIST])) &&
	    list_parts(s, err))
		return -1;
	return 0;
}

/* What the run's clients sent master m1 (m0 before the run, m1 after),
 * as the summary sums it over the masters (server.c): the script calls,
 * their commands' time included, and the operations' plain commands. */
static void srv_sent(const struct sb_scn *s, const struct sb_result *r,
		     const struct sb_info_node *m0, const struct sb_info_node *m1, double *calls,
		     double *usec)
{
	int k, i;

	*calls = *usec = 0;
	for (k = 0; k < m1->n; k++) {
		double c = m1->v[k].calls, u = m1->v[k].usec;
		for (i = 0; i < m0->n; i++)
			if (!strcmp(m0->v[i].name, m1->v[k].name)) {
				c -= m0->v[i].calls;
				u -= m0->v[i].usec;
				break;
			}
		if (c > 0 && sb_server_sent(s, r, m1->v[k].name)) {
			*calls += c;
			*usec += u;
		}
	}
}

int sb_nodes_sent(const struct sb_scn *s, const struct sb_result *r, const struct sb_info *before,
		  const struct sb_info *after, int i, double *calls, double *usec)
{
	const struct sb_info_node *m0 = sb_info_at(before, &s->nodes[i].ep);
	const struct sb_info_node *m1 = sb_info_at(after, &s->nodes[i].ep);

	*calls = *usec = 0;
	if (!m0 || !m1)
		return -1;
	srv_sent(s, r, m0, m1, calls, usec);
	return 0;
}

static double ms(uint64_t ns)
{
	return (double)ns / 1e6;
}

cJSON *sb_nodes_json(const struct sb_scn *s, const struct sb_result *r,
		     const struct sb_info *before, const struct sb_info *after)
{
	cJSON *j, *arr;
	uint64_t most = 0, least = UINT64_MAX;
	double usec_all = 0, done_all = 0;
	int i, op;

	if (!s->nnodes || !r->node_stats)
		return NULL;
	j = cJSON_CreateObject();
	cJSON_AddStringToObject(j, "type", "nodes");
	cJSON_AddNumberToObject(j, "masters", s->nnodes);
	arr = cJSON_AddArrayToObject(j, "nodes");
	for (i = 0; i < s->nnodes; i++) {
		const struct sb_stats *st = &r->node_stats[i];
		struct sess_hist all;
		cJSON *n = cJSON_CreateObject(), *lat, *srv;
		char where[300];
		uint64_t ops = 0, errors = 0;
		const struct sb_info_node *m0 = sb_info_at(before, &s->nodes[i].ep);
		const struct sb_info_node *m1 = sb_info_at(after, &s->nodes[i].ep);
		double usec = 0, calls = 0, cpu = 0;
		if (!sb_nodes_sent(s, r, before, after, i, &calls, &usec))
			cpu = m1->cpu - m0->cpu;
		sess_hist_init(&all);
		for (op = 0; op < SB_NOPS; op++) {
			sess_hist_merge(&all, &st->hist[op]);
			ops += sb_stats_count(st, op);
			errors += st->errors[op];
		}
		snprintf(where, sizeof where, "%s:%d", s->nodes[i].ep.host, s->nodes[i].ep.port);
		cJSON_AddStringToObject(n, "node", where);
		cJSON_AddNumberToObject(n, "sessions", (double)s->nodes[i].nsess);
		cJSON_AddNumberToObject(n, "clients",
					(double)(s->o->clients / s->nnodes + (i < s->o->clients % s->nnodes)));
		cJSON_AddNumberToObject(n, "ops", (double)ops);
		cJSON_AddNumberToObject(n, "errors", (double)errors);
		/* slots moving mid-run: what it redirected, the slots it serves
		 * now that it did not at the start and those it no longer does */
		cJSON_AddNumberToObject(n, "redirected", (double)(st->moved + st->ask + st->tryagain));
		{
			int slot, gained = 0, lost = 0;
			for (slot = 0; slot < SESS_SLOTS; slot++) {
				int now = master_at(s, slot), was = s->slot_master0[slot];
				gained += now == i && was != i;
				lost += was == i && now != i;
			}
			cJSON_AddNumberToObject(n, "slotsGained", gained);
			cJSON_AddNumberToObject(n, "slotsLost", lost);
		}
		cJSON_AddNumberToObject(n, "opsPerSec", r->elapsed_s > 0 ? (double)ops / r->elapsed_s : 0);
		lat = cJSON_AddObjectToObject(n, "latencyMs");
		cJSON_AddNumberToObject(lat, "p50", ms(sess_hist_percentile(&all, 50)));
		cJSON_AddNumberToObject(lat, "p99", ms(sess_hist_percentile(&all, 99)));
		cJSON_AddNumberToObject(lat, "max", ms(all.max));
		/* the server's time: its commands' (INFO commandstats) and its
		 * process's CPU (reading and writing sockets too) */
		if (m0 && m1) {
			srv = cJSON_AddObjectToObject(n, "server");
			cJSON_AddNumberToObject(srv, "calls", calls);
			cJSON_AddNumberToObject(srv, "usec", usec);
			/* the snapshots saw the warmup's operations too */
			cJSON_AddNumberToObject(srv, "usecPerOp", st->done ? usec / (double)st->done : 0);
			cJSON_AddNumberToObject(srv, "cpuSec", cpu);
			cJSON_AddNumberToObject(srv, "cpuUsecPerOp",
						st->done ? cpu * 1e6 / (double)st->done : 0);
			/* a second of what the snapshots bracket (the warmup too) */
			cJSON_AddNumberToObject(srv, "busy", after->t > before->t ? cpu / (after->t - before->t) : 0);
		}
		cJSON_AddItemToArray(arr, n);
		if (ops > most)
			most = ops;
		if (ops < least)
			least = ops;
		usec_all += usec;
		done_all += (double)st->done;
	}
	/* the busiest master's share over the least busy's: 1 is even */
	cJSON_AddNumberToObject(j, "spread", least ? (double)most / (double)least : 0);
	cJSON_AddNumberToObject(j, "serverUsecPerOp", done_all > 0 ? usec_all / done_all : 0);
	return j;
}

int sb_nodes_unlink(struct sess_conn *c, const redisReply *page, long *deleted,
		    struct sess_err *err)
{
	size_t k, sent = 0;
	int rc = 0;

	for (k = 0; k < page->elements; k++) {
		const char *argv[2] = {"UNLINK", page->element[k]->str};
		size_t lens[2] = {6, page->element[k]->len};
		if (sess_conn_append(c, 2, argv, lens, err)) {
			rc = -1;
			break;
		}
		sent++;
	}
	for (k = 0; k < sent; k++) {
		redisReply *r;
		if (sess_conn_read(c, &r, err))
			return -1;
		if (r->type == REDIS_REPLY_INTEGER)
			*deleted += (long)r->integer;
		else if (!rc) {
			sess_conn_reply_error(c, r, err);
			rc = -1;
		}
		freeReplyObject(r);
	}
	return rc;
}

void sb_nodes_free(struct sb_scn *s)
{
	int i;

	for (i = 0; i < s->nnodes; i++) {
		free(s->nodes[i].sess);
		free(s->nodes[i].list_cmd);
	}
	free(s->nodes);
	free(s->slot_master);
	free(s->slot_master0);
	free(s->id_slot);
	s->slot_master = s->slot_master0 = s->id_slot = NULL;
	s->nodes = NULL;
	s->nnodes = 0;
}
