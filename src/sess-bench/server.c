/* server.c - the server's time per operation, beside the client's
 * latency: INFO commandstats on every master (a standalone server is its
 * one master) before and after the run, and the differences.
 *
 * Commands a script runs are counted twice by Redis: in their own line
 * and in the script's call. The time per operation therefore sums only
 * what the clients send: the script calls (EVAL*, EVALSHA*, FCALL*) and
 * the plain commands the run's operations send themselves (get: HGETALL,
 * PTTL; list: ZREVRANGE, HMGET). In a mixed run a plain command a script
 * also calls (HMGET) is counted whole: then the figure is an upper bound;
 * the per-command lines show each. The snapshots bracket the whole run,
 * warmup included, so the time is divided by every operation completed
 * (warmup too). Other clients of the same server are counted too: run on
 * a server of your own for figures that mean something.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "core/redis/cluster.h"

/* Add one INFO commandstats text to st (names merged across nodes). */
static int add_info(struct sb_server *st, const char *info)
{
	const char *p;

	/* cmdstat_NAME:calls=N,usec=N,... */
	for (p = info; (p = strstr(p, "cmdstat_")); p++) {
		const char *name = p + 8, *colon = strchr(name, ':'), *nl = strchr(p, '\n');
		const char *c1 = strstr(p, "calls="), *u = strstr(p, "usec=");
		size_t len;
		int i;

		if (!colon || !c1 || !u || (nl && (c1 > nl || u > nl)) ||
		    (len = (size_t)(colon - name)) >= sizeof st->v[0].name)
			continue;
		for (i = 0; i < st->n; i++)
			if (strlen(st->v[i].name) == len && !memcmp(st->v[i].name, name, len))
				break;
		if (i == st->n) {
			if (st->n == st->cap) {
				int cap = st->cap ? 2 * st->cap : 64;
				struct sb_cmdstat *v = realloc(st->v, (size_t)cap * sizeof *v);
				if (!v)
					return -1;
				st->v = v;
				st->cap = cap;
			}
			memset(&st->v[i], 0, sizeof st->v[i]);
			memcpy(st->v[i].name, name, len);
			st->n++;
		}
		st->v[i].calls += strtod(c1 + 6, NULL);
		st->v[i].usec += strtod(u + 5, NULL);
	}
	return 0;
}

int sb_server_snap(struct sess_conn *c, struct sb_server *st, struct sess_err *err)
{
	const char *argv[] = {"INFO", "commandstats"};
	redisReply **r = NULL;
	int n = 0, i, rc = 0;

	st->n = 0;
	if (sess_cluster_each(c, 2, argv, NULL, &r, &n, err))
		return -1;
	for (i = 0; i < n; i++) {
		if (rc == 0 && r[i]->type != REDIS_REPLY_STRING)
			rc = sess_err_set(err, SESS_E_DATA, NULL, "INFO commandstats: %s",
					  r[i]->type == REDIS_REPLY_ERROR ? r[i]->str : "not text");
		else if (rc == 0 && add_info(st, r[i]->str))
			rc = sess_err_set(err, SESS_E_INTERNAL, NULL, "out of memory");
		freeReplyObject(r[i]);
	}
	free(r);
	st->nodes = n;
	return rc;
}

void sb_server_free(struct sb_server *st)
{
	free(st->v);
	memset(st, 0, sizeof *st);
}

static const struct sb_cmdstat *find(const struct sb_server *st, const char *name)
{
	int i;

	for (i = 0; i < st->n; i++)
		if (!strcmp(st->v[i].name, name))
			return &st->v[i];
	return NULL;
}

/* Sent by the clients themselves (see the top of the file). */
static int top_level(const struct sb_scn *s, const struct sb_result *r, const char *name)
{
	if (!strncmp(name, "eval", 4) || !strncmp(name, "fcall", 5))
		return 1;
	if (sb_stats_count(&r->total, SB_GET) || !strcmp(s->name, "get"))
		if (!strcmp(name, "hgetall") || !strcmp(name, "pttl"))
			return 1;
	if (sb_stats_count(&r->total, SB_LIST) || !strcmp(s->name, "list"))
		if (!strcmp(name, "zrevrange") || !strcmp(name, "hmget"))
			return 1;
	return 0;
}

static double r3(double v)
{
	return (double)(long long)(v * 1000.0 + 0.5) / 1000.0;
}

int sb_server_figures(const struct sb_scn *s, const struct sb_result *r,
		      const struct sb_server *before, const struct sb_server *after,
		      struct sb_server_figures *f)
{
	int i;

	memset(f, 0, sizeof *f);
	f->nodes = after->nodes;
	f->ops = (double)r->all_ops;
	for (i = 0; i < after->n; i++) {
		const struct sb_cmdstat *b = find(before, after->v[i].name);
		double calls = after->v[i].calls - (b ? b->calls : 0);
		double usec = after->v[i].usec - (b ? b->usec : 0);
		if (calls <= 0 || !top_level(s, r, after->v[i].name))
			continue;
		f->calls += calls;
		f->usec += usec;
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

cJSON *sb_server_json(const struct sb_server *before, const struct sb_server *after,
		      const struct sb_server_figures *f)
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
	for (i = 0; i < after->n; i++) {
		const struct sb_cmdstat *b = find(before, after->v[i].name);
		double calls = after->v[i].calls - (b ? b->calls : 0);
		double usec = after->v[i].usec - (b ? b->usec : 0);
		cJSON *c;
		if (calls <= 0)
			continue;
		c = cJSON_AddObjectToObject(cmds, after->v[i].name);
		cJSON_AddNumberToObject(c, "calls", calls);
		cJSON_AddNumberToObject(c, "usec", usec);
		cJSON_AddNumberToObject(c, "usecPerCall", r3(usec / calls));
	}
	return j;
}
