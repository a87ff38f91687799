/* tags.c - see tags.h */
#include "core/session/tags.h"

#include <stdlib.h>
#include <string.h>

#include "core/base/schema.h"
#include "core/model/slot.h"
#include "core/redis/pipe.h"
#include "core/redis/reply.h"

int sess_tag_of(struct sess_ctx *s, const char *id, const char **tag,
		struct sess_err *err)
{
	int cl = sess_conn_cluster(s->conn, err);

	if (cl < 0)
		return -1;
	*tag = sess_key_tag(id, cl);
	return 0;
}

int sess_keys_for(struct sess_ctx *s, struct sess_keys *k, const char *id,
		  struct sess_err *err)
{
	const char *tag;

	if (sess_tag_of(s, id, &tag, err))
		return -1;
	sess_keys_init(k, s->cfg->prefix, id);
	sess_keys_tag(k, s->cfg->prefix, tag);
	return 0;
}

int sess_tags_count(struct sess_ctx *s, int *n, struct sess_err *err)
{
	int cl = sess_conn_cluster(s->conn, err);

	if (cl < 0)
		return -1;
	*n = cl ? SESS_SLOTS : 1;
	return 0;
}

const char *sess_tag_at(int n, int i)
{
	return n == 1 ? SESS_S_TAG_ONE : sess_slot_tag(i);
}

int sess_tags_used(struct sess_ctx *s, const char ***tags, int *n, struct sess_err *err)
{
	char idx[SESS_KEY_MAX], reg[SESS_KEY_MAX], st[SESS_KEY_MAX], rp[SESS_KEY_MAX], fe[SESS_KEY_MAX];
	struct sess_pipe p;
	int all, i, rc = 0;

	*tags = NULL;
	*n = 0;
	if (sess_tags_count(s, &all, err))
		return -1;
	if (!(*tags = malloc((size_t)all * sizeof **tags)))
		return sess_err_set(err, SESS_E_INTERNAL, NULL, "out of memory");
	if (all == 1) {
		(*tags)[(*n)++] = SESS_S_TAG_ONE;
		return 0;
	}
	sess_pipe_init(&p, s->conn);
	for (i = 0; i < all && !rc; i++) {
		const char *t = sess_tag_at(all, i);
		sess_key_index(idx, s->cfg->prefix, t);
		sess_key_agents(reg, s->cfg->prefix, t);
		sess_key_stats(st, s->cfg->prefix, t);
		sess_key_replays(rp, s->cfg->prefix, t);
		sess_key_fence(fe, s->cfg->prefix, t);
		rc = sess_pipe_cmdf(&p, i, err, "EXISTS %s %s %s %s %s", idx, reg, st, rp, fe);
	}
	while (!rc && sess_pipe_pending(&p)) {
		redisReply *r;
		long tag;
		if ((rc = sess_pipe_next(&p, &r, &tag, err)))
			break;
		if (r->type == REDIS_REPLY_INTEGER && r->integer > 0)
			(*tags)[(*n)++] = sess_tag_at(all, (int)tag);
		else if (r->type == REDIS_REPLY_ERROR)
			rc = sess_conn_reply_error(s->conn, r, err);
		freeReplyObject(r);
	}
	if (rc)
		sess_pipe_drain(&p, SESS_PIPE_ALL, NULL);
	sess_pipe_free(&p);
	if (rc) {
		free(*tags);
		*tags = NULL;
		*n = 0;
	}
	return rc;
}

void sess_merged_free(struct sess_merged *m)
{
	int i;

	for (i = 0; i < m->nparts; i++)
		freeReplyObject(m->parts[i]);
	free(m->parts);
	free(m->all.element);
	memset(m, 0, sizeof *m);
}

static int pair_cmp(const void *x, const void *y)
{
	const redisReply *const *a = x, *const *b = y;
	double sa = strtod(a[1]->str, NULL), sb = strtod(b[1]->str, NULL);

	if (sa != sb)
		return sa < sb ? 1 : -1;
	return -strcmp(a[0]->str, b[0]->str);
}

int sess_merged_read(struct sess_ctx *s, enum sess_comp which, const char *agent,
		     const char *const *tags, int ntags, struct sess_merged *m, struct sess_err *err)
{
	char key[SESS_KEY_MAX];
	struct sess_pipe p;
	size_t total = 0, k = 0;
	int i, rc = 0;

	memset(m, 0, sizeof *m);
	m->all.type = REDIS_REPLY_ARRAY;
	if (!(m->parts = calloc((size_t)ntags + 1, sizeof *m->parts)))
		return sess_err_set(err, SESS_E_INTERNAL, NULL, "out of memory");
	sess_pipe_init(&p, s->conn);
	for (i = 0; i < ntags && !rc; i++) {
		if (which == SESS_COMP_AGENT)
			sess_key_agent(key, s->cfg->prefix, tags[i], agent);
		else if (which == SESS_COMP_REPLAYS)
			sess_key_replays(key, s->cfg->prefix, tags[i]);
		else
			sess_key_index(key, s->cfg->prefix, tags[i]);
		rc = sess_pipe_cmdf(&p, i, err, "ZRANGE %s 0 -1 WITHSCORES", key);
	}
	while (!rc && sess_pipe_pending(&p)) {
		redisReply *r;
		if ((rc = sess_pipe_next(&p, &r, NULL, err)))
			break;
		if (r->type != REDIS_REPLY_ARRAY) {
			rc = r->type == REDIS_REPLY_ERROR ? sess_conn_reply_error(s->conn, r, err)
							   : sess_reply_bad(err, "ZRANGE");
			freeReplyObject(r);
			break;
		}
		m->parts[m->nparts++] = r;
		total += r->elements;
	}
	if (rc) {
		sess_pipe_drain(&p, SESS_PIPE_ALL, NULL);
		sess_pipe_free(&p);
		sess_merged_free(m);
		return -1;
	}
	sess_pipe_free(&p);
	if (total && !(m->all.element = malloc(total * sizeof *m->all.element))) {
		sess_merged_free(m);
		return sess_err_set(err, SESS_E_INTERNAL, NULL, "out of memory");
	}
	for (i = 0; i < m->nparts; i++) {
		size_t j;
		for (j = 0; j < m->parts[i]->elements; j++)
			m->all.element[k++] = m->parts[i]->element[j];
	}
	m->all.elements = k - k % 2;
	qsort(m->all.element, m->all.elements / 2, 2 * sizeof *m->all.element, pair_cmp);
	return 0;
}

