#include "sess-migrate/msync.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/session/index.h"
#include "core/redis/reply.h"
#include "core/redis/scripts.h"

int sess_msync_head_queue(struct sess_pipe *p, const char *prefix, const char *id,
			  struct sess_err *err)
{
	struct sess_keys k;

	sess_keys_init(&k, prefix, id);
	if (sess_pipe_cmdf(p, 0, err, "HMGET %s " SESS_S_F_VERSION " " SESS_S_F_CHAIN " "
			   SESS_S_F_SEQ " " SESS_S_F_BASE, k.meta))
		return -1;
	return sess_pipe_cmdf(p, 0, err, "LLEN %s", k.history) ||
	       sess_pipe_cmdf(p, 0, err, "PTTL %s", k.meta) ? -1 : 0;
}

static long long num(const redisReply *r)
{
	return r->type == REDIS_REPLY_STRING ? strtoll(r->str, NULL, 10) : 0;
}

int sess_msync_head_take(struct sess_pipe *p, struct sess_msync_head *h,
			 struct sess_err *err)
{
	redisReply *a = NULL, *b = NULL, *c = NULL;
	int rc = -1;

	memset(h, 0, sizeof *h);
	if (sess_pipe_next(p, &a, NULL, err))
		return -1;
	if (sess_pipe_next(p, &b, NULL, err) || sess_pipe_next(p, &c, NULL, err))
		goto out;
	if (a->type == REDIS_REPLY_ERROR) {
		sess_conn_reply_error(p->conn, a, err);
		goto out;
	}
	if (a->type != REDIS_REPLY_ARRAY || a->elements != 4) {
		sess_reply_bad(err, "HMGET");
		goto out;
	}
	h->present = a->element[0]->type == REDIS_REPLY_STRING;
	if (h->present) {
		snprintf(h->v, sizeof h->v, "%s", a->element[0]->str);
		if (a->element[1]->type == REDIS_REPLY_STRING)
			snprintf(h->h, sizeof h->h, "%s", a->element[1]->str);
		h->seq = num(a->element[2]);
		h->base = num(a->element[3]);
	}
	/* WRONGTYPE on the history: the session copy decides what it is */
	h->hlen = b->type == REDIS_REPLY_INTEGER ? b->integer : -1;
	h->pttl = c->type == REDIS_REPLY_INTEGER ? c->integer : -2;
	rc = 0;
out:
	freeReplyObject(a);
	if (b)
		freeReplyObject(b);
	if (c)
		freeReplyObject(c);
	return rc;
}

enum sess_msync_act sess_msync_decide(const struct sess_msync_head *src,
				      const struct sess_msync_head *dst)
{
	if (!src->present)
		return dst->present ? SESS_MSYNC_REMOVE : SESS_MSYNC_ABSENT;
	if (!dst->present)
		return SESS_MSYNC_WHOLE;
	if (!strcmp(src->h, dst->h) && src->seq == dst->seq && src->base == dst->base)
		return SESS_MSYNC_EQUAL;
	/* the target holds an earlier state of the same log (migtail proves
	 * it by the chain; a trim moved base: whole) */
	if (!strcmp(dst->v, SESS_S_LAYOUT) && !strcmp(src->v, SESS_S_LAYOUT) &&
	    src->seq >= dst->seq && src->base == dst->base && dst->hlen >= 0)
		return SESS_MSYNC_TAIL;
	return SESS_MSYNC_WHOLE;
}

int sess_msync_tail_queue(struct sess_pipe *p, const char *prefix, const char *id,
			  const struct sess_msync_head *dst, struct sess_err *err)
{
	struct sess_keys k;

	/* the same replies as an 's' snapshot read (dump.c), so
	 * sess_snap_take reads them; only the two lists start later */
	sess_keys_init(&k, prefix, id);
	if (sess_pipe_cmdf(p, 1, err, "MULTI") || sess_pipe_cmdf(p, 1, err, "TIME") ||
	    sess_pipe_cmdf(p, 1, err, "HGETALL %s", k.meta) ||
	    sess_pipe_cmdf(p, 1, err, "PTTL %s", k.meta) ||
	    sess_pipe_cmdf(p, 1, err, "LRANGE %s %lld -1", k.events, dst->seq - dst->base) ||
	    sess_pipe_cmdf(p, 1, err, "HGETALL %s", k.cps) ||
	    sess_pipe_cmdf(p, 1, err, "HGETALL %s", k.dedup) ||
	    sess_pipe_cmdf(p, 1, err, "LRANGE %s %lld -1", k.history, dst->hlen))
		return -1;
	return sess_pipe_cmdf(p, 1, err, "EXEC");
}

int sess_msync_tail_put(struct sess_pipe *p, const char *prefix,
			const struct sess_snap *s, const struct sess_msync_head *dst,
			long tag, struct sess_err *err)
{
	static const int order[SESS_NKEYS] = {0, 1, 4, 2, 3};
	struct sess_keys k;
	struct sess_argv av;
	size_t i;
	char seq[24], hlen[24], at[24], cnt[SESS_NKEYS][24];
	int j, rc;

	sess_argv_init(&av);
	sess_keys_init(&k, prefix, s->id);
	sess_argv_add(&av, "EVALSHA");
	sess_argv_add(&av, sess_script_sha(SESS_LUA_MIGTAIL));
	sess_argv_add(&av, "5");
	for (j = 0; j < SESS_NKEYS; j++)
		sess_argv_add(&av, k.v[j]);
	snprintf(seq, sizeof seq, "%lld", dst->seq);
	snprintf(hlen, sizeof hlen, "%lld", dst->hlen);
	snprintf(at, sizeof at, "%lld", s->expire_at);
	sess_argv_add(&av, dst->h);
	sess_argv_add(&av, seq);
	sess_argv_add(&av, hlen);
	sess_argv_add(&av, at);
	/* migtail's order: meta, events, history, checkpoints, event ids */
	for (j = 0; j < SESS_NKEYS; j++) {
		const struct sess_strv *v = &s->part[order[j]];
		int at_cnt = av.n;
		size_t n = 0;
		sess_argv_add(&av, ""); /* the count, set below */
		for (i = 0; i < v->n; i++) {
			/* the event ids the target has (seq <= its seq) stay */
			if (order[j] == 3) {
				if (i % 2 == 1 || i + 1 >= v->n ||
				    strtoll(v->v[i + 1], NULL, 10) <= dst->seq)
					continue;
				sess_argv_addb(&av, v->v[i], v->len[i]);
				sess_argv_addb(&av, v->v[i + 1], v->len[i + 1]);
				n += 2;
				continue;
			}
			sess_argv_addb(&av, v->v[i], v->len[i]);
			n++;
		}
		snprintf(cnt[j], sizeof cnt[j], "%zu", n);
		if (!av.oom) {
			av.v[at_cnt] = cnt[j];
			av.len[at_cnt] = strlen(cnt[j]);
		}
	}
	rc = sess_argv_pipe(p, SESS_LUA_MIGTAIL, tag, &av, err);
	sess_argv_free(&av);
	return rc;
}

int sess_msync_tail_status(struct sess_pipe *p, const redisReply *r, char status[16],
			   long *events, struct sess_err *err)
{
	if (r->type == REDIS_REPLY_ERROR)
		return sess_script_error(p->conn, r, err);
	if (r->type != REDIS_REPLY_ARRAY || r->elements < 2 ||
	    r->element[0]->type != REDIS_REPLY_STRING)
		return sess_reply_bad(err, "migtail");
	snprintf(status, 16, "%s", r->element[0]->str);
	*events = r->element[1]->type == REDIS_REPLY_INTEGER ? (long)r->element[1]->integer : 0;
	return 0;
}

int sess_msync_remove(struct sess_conn *c, const struct sess_config *cfg,
		      const char *id, struct sess_err *err)
{
	struct sess_keys k;
	struct sess_pipe p;
	redisReply *r;
	const char **agents = NULL;
	size_t na = 0, i;
	int rc;

	sess_keys_init(&k, cfg->prefix, id);
	if (!(r = sess_conn_cmdf(c, err, "HKEYS %s", k.meta)))
		return -1;
	if (r->type == REDIS_REPLY_ARRAY && r->elements &&
	    !(agents = calloc(r->elements, sizeof *agents))) {
		freeReplyObject(r);
		return sess_err_set(err, SESS_E_INTERNAL, NULL, "out of memory");
	}
	for (i = 0; r->type == REDIS_REPLY_ARRAY && i < r->elements; i++) {
		const char *a = r->element[i]->type == REDIS_REPLY_STRING
					? sess_key_field_agent(r->element[i]->str) : NULL;
		if (a && !sess_key_check_id(a, "agent id", NULL))
			agents[na++] = a;
	}
	sess_pipe_init(&p, c);
	rc = sess_pipe_cmdf(&p, 0, err, "DEL %s %s %s %s %s", k.meta, k.events, k.cps, k.dedup,
			    k.history) ||
	     sess_index_deleted(&p, cfg, id, agents, na, err) || sess_pipe_run(&p, err);
	sess_pipe_free(&p);
	free(agents);
	freeReplyObject(r);
	return rc ? -1 : 0;
}

int sess_msync_keyspace(struct sess_conn *c, struct sess_err *err)
{
	redisReply *r;
	char cur[64] = "", want[80];
	const char *add = "Kghx";
	size_t i;

	if (!(r = sess_conn_cmdf(c, err, "CONFIG GET notify-keyspace-events")))
		return -1;
	if (r->type == REDIS_REPLY_ARRAY && r->elements == 2 &&
	    r->element[1]->type == REDIS_REPLY_STRING)
		snprintf(cur, sizeof cur, "%s", r->element[1]->str);
	freeReplyObject(r);
	snprintf(want, sizeof want, "%s", cur);
	/* 'A' is every class but m and n: it holds g, h and x already */
	for (i = 0; add[i]; i++) {
		size_t n = strlen(want);
		if (!strchr(cur, add[i]) && !(add[i] != 'K' && strchr(cur, 'A')) &&
		    n + 1 < sizeof want) {
			want[n] = add[i];
			want[n + 1] = '\0';
		}
	}
	if (!strcmp(want, cur))
		return 0;
	if (!(r = sess_conn_cmdf(c, err, "CONFIG SET notify-keyspace-events %s", want)))
		return -1;
	freeReplyObject(r);
	return 0;
}
