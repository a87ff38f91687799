/* top.c - the largest sessions (top.h). */
#include "core/session/top.h"

#include <stdlib.h>
#include <string.h>

#include "core/base/schema.h"
#include "core/model/keys.h"
#include "core/redis/pipe.h"
#include "core/redis/reply.h"
#include "core/session/view.h"

#define PAGE 200

struct ent {
	char id[SESS_ID_MAX + 1];
	char state[16];
	long long events, seq, agents, bytes, key; /* key: what is ranked */
};

/* The kept set: at most n entries, the smallest at v[0] (a min-heap). */
struct heap {
	struct ent *v;
	long n, max;
};

static int less(const struct ent *a, const struct ent *b)
{
	/* smaller key first; on a tie the later id counts as smaller, so the
	 * earlier id is kept and comes first */
	return a->key != b->key ? a->key < b->key : strcmp(a->id, b->id) > 0;
}

static void sift_down(struct heap *h, long i)
{
	for (;;) {
		long l = 2 * i + 1, r = l + 1, m = i;
		struct ent t;
		if (l < h->n && less(&h->v[l], &h->v[m]))
			m = l;
		if (r < h->n && less(&h->v[r], &h->v[m]))
			m = r;
		if (m == i)
			return;
		t = h->v[i];
		h->v[i] = h->v[m];
		h->v[m] = t;
		i = m;
	}
}

static void offer(struct heap *h, const struct ent *e)
{
	long i;

	if (h->n < h->max) {
		h->v[h->n] = *e;
		for (i = h->n++; i > 0 && less(&h->v[i], &h->v[(i - 1) / 2]); i = (i - 1) / 2) {
			struct ent t = h->v[i];
			h->v[i] = h->v[(i - 1) / 2];
			h->v[(i - 1) / 2] = t;
		}
	} else if (less(&h->v[0], e)) {
		h->v[0] = *e;
		sift_down(h, 0);
	}
}

static int by_rank(const void *a, const void *b)
{
	/* largest first */
	return less(b, a) ? -1 : less(a, b) ? 1 : 0;
}

static long long int_of(const redisReply *r)
{
	return r && r->type == REDIS_REPLY_INTEGER ? r->integer : 0;
}

/* One page of ids: per session HMGET state seq agents, LLEN events, and
 * by memory MEMORY USAGE of its five keys, all in one round trip. */
static int page(struct sess_ctx *s, enum sess_top_by by, const char **ids, long n,
		struct heap *h, long *scanned, struct sess_err *err)
{
	char k[SESS_KEY_MAX];
	struct sess_pipe p;
	long i;
	int rc = 0, per = by == SESS_TOP_MEMORY ? 7 : 2, j;

	sess_pipe_init(&p, s->conn);
	for (i = 0; i < n && !rc; i++) {
		sess_key_meta(k, s->cfg->prefix, ids[i]);
		rc = sess_pipe_cmdf(&p, i, err, "HMGET %s " SESS_S_F_STATE " " SESS_S_F_SEQ " " SESS_S_F_AGENTS, k);
		sess_key_events(k, s->cfg->prefix, ids[i]);
		if (!rc)
			rc = sess_pipe_cmdf(&p, i, err, "LLEN %s", k);
		if (!rc && by == SESS_TOP_MEMORY) {
			void (*const keyf[])(char *, const char *, const char *) = {
				sess_key_meta, sess_key_events, sess_key_checkpoints, sess_key_dedup,
				sess_key_history};
			for (j = 0; j < 5 && !rc; j++) {
				keyf[j](k, s->cfg->prefix, ids[i]);
				rc = sess_pipe_cmdf(&p, i, err, "MEMORY USAGE %s", k);
			}
		}
	}
	for (i = 0; i < n && !rc; i++) {
		redisReply *r[7] = {NULL};
		struct ent e;
		for (j = 0; j < per && !rc; j++)
			rc = sess_pipe_next(&p, &r[j], NULL, err);
		for (j = 0; j < per && !rc; j++)
			if (r[j] && r[j]->type == REDIS_REPLY_ERROR)
				rc = sess_conn_reply_error(s->conn, r[j], err);
		if (!rc && r[0] && r[0]->type == REDIS_REPLY_ARRAY && r[0]->elements == 3 &&
		    r[0]->element[0]->type == REDIS_REPLY_STRING) {
			/* the session is there (its meta has a state) */
			memset(&e, 0, sizeof e);
			snprintf(e.id, sizeof e.id, "%s", ids[i]);
			snprintf(e.state, sizeof e.state, "%s", r[0]->element[0]->str);
			e.seq = r[0]->element[1]->type == REDIS_REPLY_STRING ? atoll(r[0]->element[1]->str) : 0;
			e.agents = r[0]->element[2]->type == REDIS_REPLY_STRING ? atoll(r[0]->element[2]->str) : 0;
			e.events = int_of(r[1]);
			for (j = 2; j < per; j++)
				e.bytes += int_of(r[j]);
			e.key = by == SESS_TOP_MEMORY ? e.bytes : e.events;
			offer(h, &e);
			(*scanned)++;
		}
		for (j = 0; j < per; j++)
			freeReplyObject(r[j]);
	}
	if (rc)
		sess_pipe_drain(&p, SESS_PIPE_ALL, NULL);
	sess_pipe_free(&p);
	return rc;
}

int sess_top(struct sess_ctx *s, enum sess_top_by by, long n, sess_each_fn each,
	     void *arg, long *scanned, struct sess_err *err)
{
	struct sess_index_iter it;
	struct heap h = {NULL, 0, n};
	const char **ids;
	long got, i, total = -1;
	int rc = 0;

	*scanned = 0;
	if (n < 1)
		return sess_err_set(err, SESS_E_USAGE, NULL, "top: n must be at least 1");
	if (sess_check_layout(s, err) || sess_index_size(s, &total, err))
		return -1;
	if (!(h.v = calloc((size_t)n, sizeof *h.v)))
		return sess_err_set(err, SESS_E_INTERNAL, NULL, "out of memory");
	if (sess_index_iter_init(&it, s, err)) {
		free(h.v);
		return -1;
	}
	while (!rc && (got = sess_index_iter_next(&it, PAGE, &ids, err)) > 0) {
		rc = page(s, by, ids, got, &h, scanned, err);
		sess_progress(s, "top: sessions read", *scanned, total);
	}
	if (got < 0)
		rc = -1;
	sess_index_iter_free(&it);
	sess_progress(s, "top", -1, -1);
	qsort(h.v, (size_t)h.n, sizeof *h.v, by_rank);
	for (i = 0; !rc && i < h.n; i++) {
		cJSON *row = cJSON_CreateObject();
		int stop;
		if (!row) {
			rc = sess_err_set(err, SESS_E_INTERNAL, NULL, "out of memory");
			break;
		}
		cJSON_AddNumberToObject(row, "rank", (double)(i + 1));
		cJSON_AddStringToObject(row, "id", h.v[i].id);
		cJSON_AddStringToObject(row, "state", h.v[i].state);
		cJSON_AddNumberToObject(row, "events", (double)h.v[i].events);
		cJSON_AddNumberToObject(row, "seq", (double)h.v[i].seq);
		cJSON_AddNumberToObject(row, "agents", (double)h.v[i].agents);
		if (by == SESS_TOP_MEMORY)
			cJSON_AddNumberToObject(row, "bytes", (double)h.v[i].bytes);
		stop = each(row, arg);
		cJSON_Delete(row);
		if (stop)
			break;
	}
	free(h.v);
	return rc;
}
