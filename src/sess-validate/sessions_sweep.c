/* sessions_sweep.c - `sess-validate sessions --all`: the keys of the
 * prefix (SCAN: the one way to find keys no session owns), the index
 * (ZSCAN) and the counters (sessions.h). */
#include "sessions.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "core/model/ids.h"
#include "core/session/index.h"
#include "core/session/tags.h"
#include "core/history/integrity.h"
#include "core/model/json.h"
#include "core/model/keys.h"
#include "core/model/slot.h"
#include "core/redis/pipe.h"
#include "core/redis/reply.h"
#include "core/redis/scan.h"
#include "core/base/schema.h"

/* ---- --all: the keys of the prefix, the index, the counters ---- */

static int is_session_suffix(const char *s)
{
	return !strcmp(s, SESS_S_KEY_META) || !strcmp(s, SESS_S_KEY_EVENTS) || !strcmp(s, SESS_S_KEY_CHECKPOINTS) ||
	       !strcmp(s, SESS_S_KEY_EVENTIDS) || !strcmp(s, SESS_S_KEY_HISTORY);
}

static int is_global(const char *rest)
{
	char tag[SESS_SLOT_TAG_MAX + 4];
	const char *end, *sfx;
	size_t n;

	if (!strcmp(rest, SESS_S_KEY_LAYOUT) || !strncmp(rest, SESS_S_KEY_REPLAY ":", sizeof SESS_S_KEY_REPLAY))
		return 1;
	/* a companion (layout 3): #{TAG}:SUFFIX, TAG the one or a slot's */
	if (strncmp(rest, SESS_S_COMPANION "{", 2) || !(end = strchr(rest + 2, '}')) || end[1] != ':' ||
	    (n = (size_t)(end - rest - 2)) == 0 || n >= sizeof tag)
		return 0;
	memcpy(tag, rest + 2, n);
	tag[n] = '\0';
	if (strcmp(tag, SESS_S_TAG_ONE) && !sess_slot_tag_ok(tag))
		return 0;
	sfx = end + 2;
	return !strcmp(sfx, SESS_S_KEY_INDEX) || !strcmp(sfx, SESS_S_KEY_STATS) ||
	       !strcmp(sfx, SESS_S_KEY_AGENTS) || !strcmp(sfx, SESS_S_KEY_REPLAYS) ||
	       !strcmp(sfx, SESS_S_KEY_FENCE) || !strncmp(sfx, SESS_S_KEY_AGENT ":", sizeof SESS_S_KEY_AGENT);
}

/* Which of the n meta keys are missing: their indexes into miss
 * (*nmiss of them). One EXISTS of all of them counts them; only when the
 * count falls short is each asked on its own (a pipeline). */
static int missing_metas(struct run *v, char (*meta)[SESS_KEY_MAX], size_t n,
			 size_t *miss, size_t *nmiss)
{
	struct sess_pipe p;
	struct sess_argv av;
	size_t i;
	redisReply *r;
	long tag;
	int rc = -1, all;

	*nmiss = 0;
	if (!n)
		return 0;
	sess_argv_init(&av);
	sess_pipe_init(&p, v->walk);
	/* on a cluster the keys live in many slots (one EXISTS of them all
	 * is CROSSSLOT): each is asked, routed to its master */
	all = 0;
	if (!v->walk->cl) {
		sess_argv_add(&av, "EXISTS");
		for (i = 0; i < n; i++)
			sess_argv_add(&av, meta[i]);
		if (sess_argv_pipe(&p, -1, -1, &av, &v->a->err) ||
		    sess_pipe_next(&p, &r, NULL, &v->a->err))
			goto done;
		if (r->type == REDIS_REPLY_ERROR) { /* refused (the ACL): never "all there" */
			sess_conn_reply_error(v->walk, r, &v->a->err);
			freeReplyObject(r);
			goto done;
		}
		all = r->type == REDIS_REPLY_INTEGER && (size_t)r->integer == n;
		freeReplyObject(r);
	}
	for (i = 0; !all && i < n; i++) {
		const char *one[2] = {"EXISTS", meta[i]};
		size_t onel[2] = {6, strlen(meta[i])};
		if (sess_pipe_argv(&p, -1, (long)i, 2, one, onel, &v->a->err))
			goto done;
	}
	while (sess_pipe_pending(&p)) {
		if (sess_pipe_next(&p, &r, &tag, &v->a->err))
			goto done;
		if (r->type == REDIS_REPLY_INTEGER && r->integer == 0)
			miss[(*nmiss)++] = (size_t)tag;
		freeReplyObject(r);
	}
	rc = 0;
done:
	sess_argv_free(&av);
	sess_pipe_free(&p);
	return rc;
}

/* Keys of one SCAN page: sessions (their meta keys) to check, keys of a
 * session whose meta is gone (missing_metas), keys sesskit does not
 * write. */
static int scan_page(struct run *v, const redisReply *keys, size_t plen)
{
	char (*meta)[SESS_KEY_MAX] = NULL;
	size_t *at = NULL, *miss = NULL, i, n = 0, nmiss;
	int rc = -1;

	if (keys->elements &&
	    (!(meta = malloc(keys->elements * sizeof *meta)) || !(at = malloc(keys->elements * sizeof *at)) ||
	     !(miss = malloc(keys->elements * sizeof *miss)))) {
		sess_err_set(&v->a->err, SESS_E_INTERNAL, NULL, "out of memory");
		goto done;
	}
	/* the page's meta keys first: a session met so far owns its keys
	 * (the whole key: one with a NUL byte after ":meta" is no meta). A
	 * session not added (the set full, or no memory for it: the set is
	 * left as it was) has its keys' meta asked, as before the set. */
	for (i = 0; i < keys->elements; i++) {
		const char *rest = keys->element[i]->str + plen, *close;
		if (keys->element[i]->len > plen && strlen(keys->element[i]->str) == keys->element[i]->len &&
		    rest[0] == '{' && (close = strchr(rest, '}')) &&
		    close[1] == ':' && (size_t)(close - rest - 1) <= SESS_ID_MAX &&
		    !strcmp(close + 2, SESS_S_KEY_META))
			(void)sess_strset_add(&v->metas, rest + 1, (size_t)(close - rest - 1));
	}
	for (i = 0; i < keys->elements; i++) {
		const char *key = keys->element[i]->str, *rest = key + plen, *close;
		char id[SESS_ID_MAX + 1];
		if (keys->element[i]->len <= plen)
			continue;
		if (rest[0] == '{' && (close = strchr(rest, '}')) && close[1] == ':' &&
		    (size_t)(close - rest - 1) <= SESS_ID_MAX && is_session_suffix(close + 2)) {
			if (!strcmp(close + 2, SESS_S_KEY_META))
				continue; /* checked below */
			if (sess_strset_has(&v->metas, rest + 1, (size_t)(close - rest - 1)))
				continue; /* its meta key met in this walk */
			memcpy(id, rest + 1, (size_t)(close - rest - 1));
			id[close - rest - 1] = '\0';
			sess_key_meta(meta[n], v->a->cfg.prefix, id);
			at[n++] = i;
		} else if (!is_global(rest)) {
			vs_say(v, NULL, "unknown_key", -1, "%s has the prefix but is no key sesskit writes", key);
		}
	}
	if (missing_metas(v, meta, n, miss, &nmiss))
		goto done;
	for (i = 0; i < nmiss; i++)
		vs_say(v, NULL, "orphan_key", -1, "%s belongs to no session (its meta hash is gone)",
		    keys->element[at[miss[i]]]->str);
	for (i = 0; i < keys->elements; i++) {
		const char *rest = keys->element[i]->str + plen, *close;
		size_t kn = keys->element[i]->len;
		if (kn > plen + 6 && rest[0] == '{' && !strcmp(keys->element[i]->str + kn - 6, "}:" SESS_S_KEY_META) &&
		    (close = strchr(rest, '}')) && close == keys->element[i]->str + kn - 6 &&
		    vs_add_id(v, rest + 1, (size_t)(close - rest - 1)))
			goto done;
	}
	rc = 0;
done:
	free(meta);
	free(at);
	free(miss);
	return rc;
}

int vs_scan_keys(struct run *v)
{
	char pattern[SESS_KEY_MAX + 2];
	size_t plen = strlen(v->a->cfg.prefix) + 1;
	struct sess_scan it;
	const redisReply *page;
	int more;

	snprintf(pattern, sizeof pattern, "%s:*", v->a->cfg.prefix);
	sess_scan_init(&it, v->walk, "SCAN", NULL, pattern, 1000);
	while ((more = sess_scan_next(&it, &page, &v->a->err)) == 1) {
		if (scan_page(v, page, plen)) {
			more = -1;
			break;
		}
		cli_progress("sessions --all: checked", v->sessions,
			     v->total > v->sessions ? v->total : -1);
		if (cli_stop_signal() || v->a->out.closed)
			break;
	}
	sess_scan_free(&it);
	if (more < 0)
		return -1;
	return vs_check_page(v);
}

/* Index entries whose session is gone. */
static int scan_index(struct run *v, const char *tag)
{
	char idx[SESS_KEY_MAX];
	struct sess_cmd fix;
	struct sess_scan it;
	const redisReply *m;
	int more;

	sess_key_index(idx, v->a->cfg.prefix, tag);
	sess_scan_init(&it, v->walk, "ZSCAN", idx, NULL, 500);
	while ((more = sess_scan_next(&it, &m, &v->a->err)) == 1) {
		char (*meta)[SESS_KEY_MAX] = NULL;
		size_t *at = NULL, *miss = NULL, i, n, nmiss = 0;
		int rc = 0;
		if (m->elements &&
		    (!(meta = malloc(m->elements * sizeof *meta)) || !(at = malloc(m->elements * sizeof *at)) ||
		     !(miss = malloc(m->elements * sizeof *miss))))
			rc = sess_err_set(&v->a->err, SESS_E_INTERNAL, NULL, "out of memory");
		for (i = 0, n = 0; i + 1 < m->elements && !rc; i += 2) {
			if (sess_key_check_id(m->element[i]->str, "session id", NULL)) {
				vs_say(v, NULL, "index_orphan", -1, "the index holds \"%s\", which is no session id", m->element[i]->str);
				continue;
			}
			/* a session whose meta key the SCAN met: there */
			if (sess_strset_has(&v->metas, m->element[i]->str, m->element[i]->len))
				continue;
			sess_key_meta(meta[n], v->a->cfg.prefix, m->element[i]->str);
			at[n++] = i;
		}
		if (!rc)
			rc = missing_metas(v, meta, n, miss, &nmiss);
		for (i = 0; !rc && i < nmiss; i++) {
			const char *id = m->element[at[miss[i]]]->str;
			vs_say(v, id, "index_orphan", -1, "the index lists session %s, which does not exist", id);
			if (v->o->repair)
				vs_repair("index_remove", id, sess_repair_index_remove(&fix, v->a->cfg.prefix, tag, id));
		}
		free(meta);
		free(at);
		free(miss);
		meta = NULL;
		at = miss = NULL;
		if (!rc)
			rc = vs_run_repairs(v);
		if (rc) {
			more = -1;
			break;
		}
	}
	sess_scan_free(&it);
	return more < 0 ? -1 : 0;
}

/* Every tag's index (the one of a standalone server, each slot's in use
 * on a cluster). */
int vs_scan_index(struct run *v)
{
	const char **tags;
	int n, i, rc = 0;

	if (sess_tags_used(&v->a->ctx, &tags, &n, &v->a->err))
		return -1;
	for (i = 0; i < n && !rc; i++)
		rc = scan_index(v, tags[i]);
	free(tags);
	return rc;
}

/* Every tag's stats hash summed into an HGETALL-shaped reply the caller
 * frees (fields as they first appear; values summed), and the first tag
 * (where a repair adds: the one tag of a standalone server). */
static redisReply *stats_sum(struct run *v, const char **first)
{
	char key[SESS_KEY_MAX];
	const char **tags;
	redisReply *sum = NULL;
	cJSON *acc = cJSON_CreateObject(), *f;
	int n, i, rc = 0;

	if (!acc || sess_tags_used(&v->a->ctx, &tags, &n, &v->a->err)) {
		cJSON_Delete(acc);
		return NULL;
	}
	*first = n ? tags[0] : SESS_S_TAG_ONE;
	for (i = 0; i < n && !rc; i++) {
		redisReply *h;
		size_t j;
		sess_key_stats(key, v->a->cfg.prefix, tags[i]);
		if (!(h = sess_conn_cmdf(&v->a->conn, &v->a->err, "HGETALL %s", key))) {
			rc = -1;
			break;
		}
		for (j = 0; h->type == REDIS_REPLY_ARRAY && j + 1 < h->elements; j += 2) {
			double add = strtod(h->element[j + 1]->str, NULL);
			cJSON *was = cJSON_GetObjectItemCaseSensitive(acc, h->element[j]->str);
			if (was)
				cJSON_SetNumberValue(was, was->valuedouble + add);
			else
				cJSON_AddNumberToObject(acc, h->element[j]->str, add);
		}
		freeReplyObject(h);
	}
	free(tags);
	if (!rc && (sum = calloc(1, sizeof *sum))) {
		int k = cJSON_GetArraySize(acc);
		sum->type = REDIS_REPLY_ARRAY;
		sum->element = calloc((size_t)(2 * k + 1), sizeof *sum->element);
		cJSON_ArrayForEach(f, acc) {
			char num[32];
			redisReply *a = calloc(1, sizeof *a), *b = calloc(1, sizeof *b);
			if (!sum->element || !a || !b) {
				free(a);
				free(b);
				rc = -1;
				break;
			}
			snprintf(num, sizeof num, "%.0f", f->valuedouble);
			a->type = b->type = REDIS_REPLY_STRING;
			a->str = strdup(f->string);
			b->str = strdup(num);
			a->len = a->str ? strlen(a->str) : 0;
			b->len = b->str ? strlen(b->str) : 0;
			sum->element[sum->elements++] = a;
			sum->element[sum->elements++] = b;
			if (!a->str || !b->str) {
				rc = -1;
				break;
			}
		}
	}
	if (rc && sum) { /* a partial sum would report drift that is not there */
		freeReplyObject(sum);
		sum = NULL;
	}
	if (!sum && v->a->err.cls == SESS_OK)
		sess_err_set(&v->a->err, SESS_E_INTERNAL, NULL, "out of memory");
	cJSON_Delete(acc);
	return sum;
}

/* Counters that count less than the sessions stored hold. They count
 * what was ever made (expired sessions stay counted), so only a counter
 * below what is stored now is drift. */
int vs_check_stats(struct run *v)
{
	char key[SESS_KEY_MAX];
	struct sess_cmd rc;
	const char *tag = SESS_S_TAG_ONE;
	redisReply *h;
	const cJSON *t;

	if (!(h = stats_sum(v, &tag)))
		return -1;
	sess_key_stats(key, v->a->cfg.prefix, tag);
	{
		const char *s = vs_hget(h, SESS_S_STAT_SESSIONS), *d = vs_hget(h, SESS_S_STAT_DELETED);
		const char *c = vs_hget(h, SESS_S_STAT_COMPLETED), *e = vs_hget(h, SESS_S_STAT_EVENTS);
		long long sv = s ? strtoll(s, NULL, 10) : 0, dv = d ? strtoll(d, NULL, 10) : 0;
		long long cv = c ? strtoll(c, NULL, 10) : 0, ev = e ? strtoll(e, NULL, 10) : 0;
		if (sv - dv < v->live) {
			vs_say(v, NULL, "stats_drift", -1, "%s counts %lld sessions made and %lld deleted, but %lld are stored",
			    key, sv, dv, v->live);
			if (v->o->repair)
				vs_repair("stats", NULL, sess_repair_counter(&rc, v->a->cfg.prefix, tag, SESS_S_STAT_SESSIONS,
									   v->live - (sv - dv)));
		}
		if (cv < v->completed) {
			vs_say(v, NULL, "stats_drift", -1, "%s counts %lld completed sessions, but %lld are stored", key, cv,
			    v->completed);
			if (v->o->repair)
				vs_repair("stats", NULL, sess_repair_counter(&rc, v->a->cfg.prefix, tag, SESS_S_STAT_COMPLETED,
									   v->completed - cv));
		}
		if (ev < v->events) {
			vs_say(v, NULL, "stats_drift", -1, "%s counts %lld events, but the stored sessions hold %lld", key, ev,
			    v->events);
			if (v->o->repair)
				vs_repair("stats", NULL, sess_repair_counter(&rc, v->a->cfg.prefix, tag, SESS_S_STAT_EVENTS,
									   v->events - ev));
		}
	}
	cJSON_ArrayForEach(t, v->types) {
		char field[SESS_S_TYPE_MAX + 8];
		const char *c;
		long long have;
		snprintf(field, sizeof field, SESS_S_STAT_TYPE_PREFIX "%s", t->string);
		c = vs_hget(h, field);
		have = c ? strtoll(c, NULL, 10) : 0;
		if (have < (long long)t->valuedouble) {
			vs_say(v, NULL, "stats_drift", -1, "%s counts %lld events of type %s, but the stored sessions hold %.0f", key,
			    have, t->string, t->valuedouble);
			if (v->o->repair)
				vs_repair("stats", NULL, sess_repair_counter(&rc, v->a->cfg.prefix, tag, field,
									   (long long)t->valuedouble - have));
		}
	}
	freeReplyObject(h);
	return vs_run_repairs(v);
}
