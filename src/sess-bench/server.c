/* server.c - what the server says about the run: INFO on every master
 * (a standalone server is its one master), one snapshot before the run
 * and one after, each master's reply read once and parsed once into its
 * commands' calls and usec, its process's CPU and its memory. That one
 * snapshot pair
 * feeds all three readers: the summary's "server" (here), the per-master
 * "nodes" line (nodes.c) and the capacity plan (capacity.c).
 *
 * Commands a script runs are counted twice by Redis: in their own line
 * and in the script's call. The time per operation therefore sums only
 * what the clients send: the script calls (EVAL*, EVALSHA*, FCALL*) and
 * the plain commands the run's operations send themselves (get: HGETALL,
 * PTTL; list: ZREVRANGE, HMGET, on a cluster EXISTS, ZRANGE, HMGET: see
 * nodes.c). In a mixed run a plain command a script
 * also calls (HMGET) is counted whole: then the figure is an upper bound;
 * the per-command lines show each. The snapshots bracket the whole run,
 * warmup included, so the time is divided by every operation completed
 * (warmup too). Other clients of the same server are counted too: run on
 * a server of your own for figures that mean something.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "core/redis/cluster.h"

/* The line of name in v (n of them), or NULL. */
static struct sb_cmdstat *find_in(struct sb_cmdstat *v, int n, const char *name, size_t len)
{
	int i;

	for (i = 0; i < n; i++)
		if (strlen(v[i].name) == len && !memcmp(v[i].name, name, len))
			return &v[i];
	return NULL;
}

/* Add calls and usec to the line of name (len bytes) in *v, made when
 * new. -1 out of memory. */
static int add_to(struct sb_cmdstat **v, int *n, int *cap, const char *name, size_t len,
		  double calls, double usec)
{
	struct sb_cmdstat *x = find_in(*v, *n, name, len);

	if (!x) {
		if (*n == *cap) {
			int c = *cap ? 2 * *cap : 64;
			struct sb_cmdstat *nv = realloc(*v, (size_t)c * sizeof *nv);
			if (!nv)
				return -1;
			*v = nv;
			*cap = c;
		}
		x = &(*v)[(*n)++];
		memset(x, 0, sizeof *x);
		memcpy(x->name, name, len);
	}
	x->calls += calls;
	x->usec += usec;
	return 0;
}

/* The number of INFO field name (a line "name:N"), or NAN. */
static double info_num(const char *info, const char *field)
{
	char key[64];
	const char *p;

	snprintf(key, sizeof key, "\n%s:", field);
	p = strstr(info, key);
	return p ? strtod(p + strlen(key), NULL) : NAN;
}

/* One master's INFO text: every cmdstat_NAME:calls=N,usec=N,... line,
 * used_cpu_sys + used_cpu_user and the memory figures. -1 out of memory. */
static int parse_info(struct sb_info_node *m, const char *info)
{
	const char *p;

	for (p = info; (p = strstr(p, "cmdstat_")); p++) {
		const char *name = p + 8, *colon = strchr(name, ':'), *nl = strchr(p, '\n');
		const char *c1 = strstr(p, "calls="), *u = strstr(p, "usec=");
		size_t len;

		if (!colon || !c1 || !u || (nl && (c1 > nl || u > nl || colon > nl)) ||
		    (len = (size_t)(colon - name)) >= sizeof m->v[0].name)
			continue;
		if (add_to(&m->v, &m->n, &m->cap, name, len, strtod(c1 + 6, NULL), strtod(u + 5, NULL)))
			return -1;
	}
	if ((p = strstr(info, "\nused_cpu_sys:")))
		m->cpu += strtod(p + 14, NULL);
	if ((p = strstr(info, "\nused_cpu_user:")))
		m->cpu += strtod(p + 15, NULL);
	m->used_memory = info_num(info, "used_memory");
	m->maxmemory = info_num(info, "maxmemory");
	m->system_memory = info_num(info, "total_system_memory");
	return 0;
}

int sb_info_snap(struct sess_conn *c, struct sb_info *st, struct sess_err *err)
{
	/* commandstats and cpu in one reply ("everything": a server before
	 * Redis 7 takes one section name only) */
	const char *argv[] = {"INFO", "everything"};
	redisReply **r = NULL;
	int n = 0, i, rc = 0;

	sb_info_free(st);
	if (!c->cl && c->standalone) { /* known (setup asked): no asking again */
		if (!(r = calloc(1, sizeof *r)))
			return sess_err_set(err, SESS_E_INTERNAL, NULL, "out of memory");
		if (!(r[0] = sess_conn_call(c, err, 2, argv, NULL))) {
			free(r);
			return -1;
		}
		n = 1;
	} else if (sess_cluster_each(c, 2, argv, NULL, &r, &n, err)) {
		return -1;
	}
	if (!(st->node = calloc((size_t)(n ? n : 1), sizeof *st->node)))
		rc = sess_err_set(err, SESS_E_INTERNAL, NULL, "out of memory");
	for (i = 0; i < n; i++) {
		struct sess_conn *mc = rc ? NULL : sess_cluster_master(c, i, err);
		if (!rc && !mc)
			rc = -1;
		else if (!rc && r[i]->type == REDIS_REPLY_ERROR) { /* an ACL's NOPERM: 77, its grant */
			sess_conn_reply_error(mc, r[i], err);
			rc = -1;
		}
		else if (!rc && r[i]->type != REDIS_REPLY_STRING)
			rc = sess_err_set(err, SESS_E_DATA, NULL, "INFO: not text");
		else if (!rc) {
			st->node[i].ep = mc->ep;
			st->n = i + 1;
			if (parse_info(&st->node[i], r[i]->str))
				rc = sess_err_set(err, SESS_E_INTERNAL, NULL, "out of memory");
		}
		freeReplyObject(r[i]);
	}
	free(r);
	st->t = (double)sb_now_ns() / 1e9;
	if (rc)
		sb_info_free(st);
	return rc;
}

void sb_info_free(struct sb_info *st)
{
	int i;

	for (i = 0; i < st->n; i++)
		free(st->node[i].v);
	free(st->node);
	memset(st, 0, sizeof *st);
}

const struct sb_info_node *sb_info_at(const struct sb_info *st, const struct sess_endpoint *ep)
{
	int i;

	for (i = 0; st && i < st->n; i++)
		if (st->node[i].ep.port == ep->port && !strcmp(st->node[i].ep.host, ep->host) &&
		    !strcmp(st->node[i].ep.unix_path, ep->unix_path))
			return &st->node[i];
	return NULL;
}

int sb_info_delta(const struct sb_info *before, const struct sb_info *after, struct sb_delta *d)
{
	int i, k;

	memset(d, 0, sizeof *d);
	d->nodes = after->n;
	for (i = 0; i < after->n; i++) {
		const struct sb_info_node *a = &after->node[i], *b = sb_info_at(before, &a->ep);
		d->cpu += a->cpu - (b ? b->cpu : 0);
		for (k = 0; k < a->n; k++) {
			const struct sb_cmdstat *x = b ? find_in(b->v, b->n, a->v[k].name, strlen(a->v[k].name)) : NULL;
			double calls = a->v[k].calls - (x ? x->calls : 0), usec = a->v[k].usec - (x ? x->usec : 0);
			d->calls += calls;
			d->usec += usec;
			if (add_to(&d->v, &d->n, &d->cap, a->v[k].name, strlen(a->v[k].name), calls, usec)) {
				sb_delta_free(d);
				return -1;
			}
		}
	}
	return 0;
}

void sb_delta_free(struct sb_delta *d)
{
	free(d->v);
	memset(d, 0, sizeof *d);
}

int sb_server_sent(const struct sb_scn *s, const struct sb_result *r, const char *name)
{
	if (!strncmp(name, "eval", 4) || !strncmp(name, "fcall", 5))
		return 1;
	if (sb_stats_count(&r->total, SB_GET) || !strcmp(s->name, "get"))
		if (!strcmp(name, "hgetall") || !strcmp(name, "pttl"))
			return 1;
	if (sb_stats_count(&r->total, SB_LIST) || !strcmp(s->name, "list")) {
		if (!strcmp(name, "hmget") || !strcmp(name, s->nnodes ? "zrange" : "zrevrange"))
			return 1;
		if (s->nnodes && !strcmp(name, "exists")) /* a cluster's: nodes.c */
			return 1;
	}
	return 0;
}

static double r3(double v)
{
	return (double)(long long)(v * 1000.0 + 0.5) / 1000.0;
}

int sb_server_figures(const struct sb_scn *s, const struct sb_result *r, const struct sb_delta *d,
		      struct sb_server_figures *f)
{
	int i;

	memset(f, 0, sizeof *f);
	f->nodes = d->nodes;
	f->ops = (double)r->all_ops;
	for (i = 0; i < d->n; i++) {
		if (d->v[i].calls <= 0 || !sb_server_sent(s, r, d->v[i].name))
			continue;
		f->calls += d->v[i].calls;
		f->usec += d->v[i].usec;
	}
	f->usec_per_op = f->ops > 0 ? f->usec / f->ops : 0;
	f->calls_per_op = f->ops > 0 ? f->calls / f->ops : 0;
	/* one kind of operation: its own figure */
	f->op = -1;
	for (i = 0; i < SB_NOPS; i++)
		if (sb_stats_count(&r->total, i))
			f->op = f->op == -1 ? i : -2;
	return 0;
}

cJSON *sb_server_json(const struct sb_delta *d, const struct sb_server_figures *f)
{
	cJSON *j = cJSON_CreateObject(), *cmds;
	int i;

	cJSON_AddStringToObject(j, "source", "INFO commandstats");
	cJSON_AddNumberToObject(j, "nodes", f->nodes);
	cJSON_AddNumberToObject(j, "operations", f->ops);
	cJSON_AddNumberToObject(j, "calls", f->calls);
	cJSON_AddNumberToObject(j, "usec", f->usec);
	cJSON_AddNumberToObject(j, "callsPerOp", r3(f->calls_per_op));
	cJSON_AddNumberToObject(j, "usecPerOp", r3(f->usec_per_op));
	cmds = cJSON_AddObjectToObject(j, "commands");
	for (i = 0; i < d->n; i++) {
		cJSON *c;
		if (d->v[i].calls <= 0)
			continue;
		c = cJSON_AddObjectToObject(cmds, d->v[i].name);
		cJSON_AddNumberToObject(c, "calls", d->v[i].calls);
		cJSON_AddNumberToObject(c, "usec", d->v[i].usec);
		cJSON_AddNumberToObject(c, "usecPerCall", r3(d->v[i].usec / d->v[i].calls));
	}
	return j;
}
