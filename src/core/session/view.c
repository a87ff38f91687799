#include "core/session/view.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/model/keys.h"
#include "core/model/layout.h"
#include "core/session/log.h"
#include "core/session/tags.h"
#include "core/redis/pipe.h"
#include "core/redis/reply.h"
#include "core/base/schema.h"
#include "core/model/json.h"

int sess_check_layout(struct sess_ctx *s, struct sess_err *err)
{
	char key[SESS_KEY_MAX];
	redisReply *r;
	int rc;

	sess_key_layout(key, s->cfg->prefix);
	r = sess_conn_cmdf(s->conn, err, "GET %s", key);
	if (!r)
		return -1;
	rc = sess_layout_ok(r->type == REDIS_REPLY_STRING ? r->str : NULL, err);
	freeReplyObject(r);
	return rc;
}

/* Build the session object from HGETALL of its meta hash. */
static cJSON *meta_to_json(const char *id, const redisReply *h, long long pttl,
			   struct sess_err *err)
{
	cJSON *o = sess_reply_obj(err), *agents;
	const char *state = NULL, *v = NULL;
	long long base = 0;
	size_t i;

	if (!o)
		return NULL;
	cJSON_AddStringToObject(o, "id", id);
	agents = cJSON_CreateArray();
	for (i = 0; i + 1 < h->elements; i += 2) {
		const char *f = h->element[i]->str, *val = h->element[i + 1]->str;
		if (sess_key_field_agent(f)) {
			cJSON *a = cJSON_CreateObject();
			cJSON_AddStringToObject(a, "id", sess_key_field_agent(f));
			cJSON_AddNumberToObject(a, "joined", strtod(val, NULL));
			cJSON_AddItemToArray(agents, a);
		} else if (!strcmp(f, SESS_S_F_STATE)) {
			state = val;
		} else if (!strcmp(f, SESS_S_F_VERSION)) {
			v = val;
		} else if (!strcmp(f, SESS_S_F_BASE)) {
			base = strtoll(val, NULL, 10);
		}
	}
	if (sess_layout_ok(v, err)) {
		cJSON_Delete(agents);
		cJSON_Delete(o);
		return NULL;
	}
	cJSON_AddStringToObject(o, "state", state ? state : "unknown");
	for (i = 0; i + 1 < h->elements; i += 2) {
		const char *f = h->element[i]->str, *val = h->element[i + 1]->str;
		if (!strcmp(f, SESS_S_F_SEQ) || !strcmp(f, SESS_S_F_CREATED) ||
		    !strcmp(f, SESS_S_F_UPDATED) || !strcmp(f, SESS_S_F_TTL))
			sess_reply_add_num(o, f, val);
		else if (!strcmp(f, SESS_S_F_CREATOR))
			cJSON_AddStringToObject(o, "creator", val);
		else if (!strcmp(f, SESS_S_F_CPS))
			sess_reply_add_num(o, "checkpoints", val);
	}
	cJSON_AddNumberToObject(o, "firstSeq", (double)(base + 1));
	cJSON_AddItemToObject(o, "agents", agents);
	if (pttl > 0)
		cJSON_AddNumberToObject(o, "expiresIn", (double)pttl);
	for (i = 0; i + 1 < h->elements; i += 2) {
		if (!strcmp(h->element[i]->str, SESS_S_F_METADATA)) {
			cJSON *m = sess_json_parse_stored(h->element[i + 1]->str, h->element[i + 1]->len);
			if (m)
				cJSON_AddItemToObject(o, "metadata", m);
		}
	}
	return o;
}

/* get --events: the log through the paged reader, as get printed it
 * (events without "sessionId"). */
static int add_event(cJSON *ev, void *arr)
{
	cJSON *e = cJSON_Duplicate(ev, 1);

	if (!e)
		return 1;
	cJSON_DeleteItemFromObjectCaseSensitive(e, "sessionId");
	cJSON_AddItemToArray(arr, e);
	return 0;
}

int sess_get(struct sess_ctx *s, const char *id, int with_events,
	     cJSON **out, struct sess_err *err)
{
	struct sess_keys k;
	struct sess_pipe p;
	redisReply *h = NULL, *t = NULL;
	cJSON *o = NULL, *arr, *seq;
	int rc = -1;

	if (sess_key_check_id(id, "session id", err))
		return -1;
	sess_keys_init(&k, s->cfg->prefix, id);
	/* one round trip: the meta hash and its TTL */
	sess_pipe_init(&p, s->conn);
	if (sess_pipe_cmdf(&p, 0, err, "HGETALL %s", k.meta) ||
	    sess_pipe_cmdf(&p, 0, err, "PTTL %s", k.meta) ||
	    sess_pipe_next(&p, &h, NULL, err) || sess_pipe_next(&p, &t, NULL, err))
		goto done;
	if (h->type == REDIS_REPLY_ERROR || t->type == REDIS_REPLY_ERROR) {
		sess_conn_reply_error(s->conn, h->type == REDIS_REPLY_ERROR ? h : t, err);
		goto done;
	}
	if (h->type != REDIS_REPLY_ARRAY) {
		sess_reply_bad(err, "HGETALL");
		goto done;
	}
	if (h->elements == 0) {
		sess_err_set(err, SESS_E_NEGATIVE, "not_found",
			     "session %s not found (it never existed, expired or was deleted)", id);
		goto done;
	}
	o = meta_to_json(id, h, t->type == REDIS_REPLY_INTEGER ? t->integer : -1, err);
	if (!o)
		goto done;
	if (with_events) {
		/* up to the seq just read, so events and seq agree */
		seq = cJSON_GetObjectItemCaseSensitive(o, "seq");
		arr = cJSON_AddArrayToObject(o, "events");
		if (sess_json_ll(seq, 0) >= 1 &&
		    sess_log_events(s, id, 1, (long)sess_json_ll(seq, 0), 0, add_event, arr, NULL, err)) {
			cJSON_Delete(o);
			o = NULL;
			goto done;
		}
	}
	*out = o;
	rc = 0;
done:
	sess_pipe_free(&p);
	if (h)
		freeReplyObject(h);
	if (t)
		freeReplyObject(t);
	return rc;
}

static const char *const list_fields[] = {SESS_S_F_VERSION, SESS_S_F_STATE, SESS_S_F_CREATED,
	SESS_S_F_UPDATED, SESS_S_F_SEQ, SESS_S_F_AGENTS, SESS_S_F_CREATOR};
#define NLIST (sizeof list_fields / sizeof list_fields[0])

/* One page of index entries -> rows (pipelined HMGET of their meta). */
static int list_page(struct sess_ctx *s, const redisReply *ids, long offset,
		     const struct sess_list_opts *o, sess_each_fn each, sess_skip_fn skip, void *arg,
		     long *emitted, int *stop, struct sess_err *err)
{
	char key[SESS_KEY_MAX];
	struct sess_pipe p;
	size_t i, j;
	int rc = 0;

	sess_pipe_init(&p, s->conn);
	for (i = 0; i < ids->elements; i += 2) {
		const char *argv[2 + NLIST];
		sess_key_meta(key, s->cfg->prefix, ids->element[i]->str);
		argv[0] = "HMGET";
		argv[1] = key;
		for (j = 0; j < NLIST; j++)
			argv[2 + j] = list_fields[j];
		if (sess_pipe_argv(&p, -1, 0, 2 + NLIST, argv, NULL, err)) {
			sess_pipe_free(&p);
			return -1;
		}
	}
	for (i = 0; i < ids->elements; i += 2) {
		redisReply *r;
		cJSON *row;
		char cur[24];

		if (sess_pipe_next(&p, &r, NULL, err)) {
			sess_pipe_free(&p);
			return -1;
		}
		if (rc || *stop || r->type != REDIS_REPLY_ARRAY || !sess_reply_str(r, 0) ||
		    (o->state && (!sess_reply_str(r, 1) || strcmp(o->state, sess_reply_str(r, 1))))) {
			freeReplyObject(r);
			continue;
		}
		if (sess_layout_ok(sess_reply_str(r, 0), err)) {
			/* one bad session need not hide the others */
			if (skip)
				skip(ids->element[i]->str, err, arg);
			else
				rc = -1;
			freeReplyObject(r);
			continue;
		}
		row = cJSON_CreateObject();
		cJSON_AddStringToObject(row, "id", ids->element[i]->str);
		cJSON_AddStringToObject(row, "state", sess_reply_str(r, 1) ? sess_reply_str(r, 1) : "unknown");
		sess_reply_add_num(row, "created", sess_reply_str(r, 2));
		sess_reply_add_num(row, "updated", sess_reply_str(r, 3));
		sess_reply_add_num(row, "seq", sess_reply_str(r, 4));
		sess_reply_add_num(row, "agentCount", sess_reply_str(r, 5));
		if (sess_reply_str(r, 6))
			cJSON_AddStringToObject(row, "creator", sess_reply_str(r, 6));
		sess_reply_add_num(row, "expiresAt", ids->element[i + 1]->str);
		snprintf(cur, sizeof cur, "%ld", offset + (long)(i / 2) + 1);
		cJSON_AddStringToObject(row, "cursor", cur);
		freeReplyObject(r);
		if (each(row, arg))
			*stop = 1;
		cJSON_Delete(row);
		if (++*emitted >= o->limit && o->limit > 0)
			*stop = 1;
	}
	sess_pipe_free(&p);
	return rc;
}

int sess_list(struct sess_ctx *s, const struct sess_list_opts *o,
	      sess_each_fn each, void *arg, struct sess_err *err)
{
	return sess_list_skip(s, o, each, NULL, arg, err);
}

/* sess_list_skip on a cluster: every slot's entries merged, then paged as
 * the one index is (the cursor is the offset into that order). */
static int list_merged(struct sess_ctx *s, const struct sess_list_opts *o, sess_each_fn each,
		       sess_skip_fn skip, void *arg, struct sess_err *err)
{
	const char **tags;
	struct sess_merged m;
	long offset = o->cursor > 0 ? o->cursor : 0, emitted = 0;
	int ntags, stop = 0, rc = 0;

	if (sess_tags_used(s, &tags, &ntags, err))
		return -1;
	rc = sess_merged_read(s, o->agent ? SESS_COMP_AGENT : SESS_COMP_INDEX, o->agent, tags, ntags, &m, err);
	free(tags);
	if (rc)
		return -1;
	while (!stop && !rc && (size_t)offset * 2 < m.all.elements) {
		redisReply page = m.all;
		size_t left = m.all.elements - (size_t)offset * 2;
		page.element = m.all.element + offset * 2;
		page.elements = left < 2 * SESS_VIEW_PAGE ? left : 2 * SESS_VIEW_PAGE;
		rc = list_page(s, &page, offset, o, each, skip, arg, &emitted, &stop, err);
		offset += (long)(page.elements / 2);
	}
	sess_merged_free(&m);
	return rc;
}

int sess_list_skip(struct sess_ctx *s, const struct sess_list_opts *o,
		   sess_each_fn each, sess_skip_fn skip, void *arg, struct sess_err *err)
{
	char key[SESS_KEY_MAX], start[24], stop_s[24];
	long offset = o->cursor > 0 ? o->cursor : 0, emitted = 0;
	int stop = 0, ntags;

	if (o->agent && sess_key_check_id(o->agent, "agent id", err))
		return -1;
	if (o->state && !sess_state_valid(o->state))
		return sess_err_set(err, SESS_E_USAGE, "bad_state",
				    "--state must be working, broken or completed");
	if (sess_check_layout(s, err) || sess_tags_count(s, &ntags, err))
		return -1;
	if (ntags > 1)
		return list_merged(s, o, each, skip, arg, err);
	if (o->agent)
		sess_key_agent(key, s->cfg->prefix, SESS_S_TAG_ONE, o->agent);
	else
		sess_key_index(key, s->cfg->prefix, SESS_S_TAG_ONE);
	while (!stop) {
		redisReply *ids;
		const char *argv[5];
		snprintf(start, sizeof start, "%ld", offset);
		snprintf(stop_s, sizeof stop_s, "%ld", offset + SESS_VIEW_PAGE - 1);
		argv[0] = "ZREVRANGE";
		argv[1] = key;
		argv[2] = start;
		argv[3] = stop_s;
		argv[4] = "WITHSCORES";
		ids = sess_conn_cmd(s->conn, err, 5, argv, NULL);
		if (!ids)
			return -1;
		if (ids->type != REDIS_REPLY_ARRAY) {
			freeReplyObject(ids);
			return sess_reply_bad(err, "ZREVRANGE");
		}
		if (ids->elements == 0) {
			freeReplyObject(ids);
			break;
		}
		if (list_page(s, ids, offset, o, each, skip, arg, &emitted, &stop, err)) {
			freeReplyObject(ids);
			return -1;
		}
		offset += (long)(ids->elements / 2);
		if (ids->elements / 2 < SESS_VIEW_PAGE)
			stop = 1;
		freeReplyObject(ids);
	}
	return 0;
}

int sess_index_iter_init(struct sess_index_iter *it, struct sess_ctx *s, struct sess_err *err)
{
	const char **tags;
	int ntags, rc;

	memset(it, 0, sizeof *it);
	it->s = s;
	if (sess_tags_count(s, &ntags, err))
		return -1;
	if (ntags == 1) {
		sess_key_index(it->key, s->cfg->prefix, SESS_S_TAG_ONE);
		return 0;
	}
	if (!(it->merged = calloc(1, sizeof(struct sess_merged))))
		return sess_err_set(err, SESS_E_INTERNAL, NULL, "out of memory");
	if (sess_tags_used(s, &tags, &ntags, err))
		return -1;
	rc = sess_merged_read(s, SESS_COMP_INDEX, NULL, tags, ntags, it->merged, err);
	free(tags);
	return rc;
}

long sess_index_iter_next(struct sess_index_iter *it, long max, const char ***ids,
			  struct sess_err *err)
{
	const redisReply *src;
	size_t i, n, from = 0;

	if (it->cap < (size_t)max) {
		free(it->ids);
		if (!(it->ids = malloc((size_t)max * sizeof *it->ids)))
			return sess_err_set(err, SESS_E_INTERNAL, NULL, "out of memory");
		it->cap = (size_t)max;
	}
	if (it->merged) {
		src = &((struct sess_merged *)it->merged)->all;
		from = (size_t)it->offset * 2;
	} else {
		redisReply *r;
		if (it->page)
			freeReplyObject(it->page);
		it->page = NULL;
		r = sess_conn_cmdf(it->s->conn, err, "ZREVRANGE %s %ld %ld WITHSCORES", it->key,
				   it->offset, it->offset + max - 1);
		if (!r)
			return -1;
		if (r->type != REDIS_REPLY_ARRAY) {
			freeReplyObject(r);
			return sess_reply_bad(err, "ZREVRANGE");
		}
		it->page = r;
		src = r;
	}
	for (i = from, n = 0; i + 1 < src->elements && n < (size_t)max; i += 2)
		it->ids[n++] = src->element[i]->str;
	it->offset += (long)n;
	*ids = it->ids;
	return (long)n;
}

void sess_index_iter_free(struct sess_index_iter *it)
{
	if (it->merged) {
		sess_merged_free(it->merged);
		free(it->merged);
	}
	if (it->page)
		freeReplyObject(it->page);
	free(it->ids);
	memset(it, 0, sizeof *it);
}

/* The sum of ZCARD (min < 0) or ZCOUNT min +inf of every tag's index. */
static int index_sum(struct sess_ctx *s, long long min, long *n, struct sess_err *err)
{
	char idx[SESS_KEY_MAX];
	const char **tags;
	struct sess_pipe p;
	int ntags, i, rc = 0;

	*n = 0;
	if (sess_tags_used(s, &tags, &ntags, err))
		return -1;
	sess_pipe_init(&p, s->conn);
	for (i = 0; i < ntags && !rc; i++) {
		sess_key_index(idx, s->cfg->prefix, tags[i]);
		rc = min < 0 ? sess_pipe_cmdf(&p, 0, err, "ZCARD %s", idx)
			     : sess_pipe_cmdf(&p, 0, err, "ZCOUNT %s %lld +inf", idx, min);
	}
	free(tags);
	while (!rc && sess_pipe_pending(&p)) {
		redisReply *r;
		if ((rc = sess_pipe_next(&p, &r, NULL, err)))
			break;
		if (r->type == REDIS_REPLY_INTEGER)
			*n += (long)r->integer;
		freeReplyObject(r);
	}
	if (rc)
		sess_pipe_drain(&p, SESS_PIPE_ALL, NULL);
	sess_pipe_free(&p);
	return rc;
}

int sess_index_size(struct sess_ctx *s, long *n, struct sess_err *err)
{
	return index_sum(s, -1, n, err);
}

int sess_index_count(struct sess_ctx *s, long long min, long *n, struct sess_err *err)
{
	return index_sum(s, min < 0 ? 0 : min, n, err);
}
