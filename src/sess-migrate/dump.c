#include "sess-migrate/dump.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/session/index.h"
#include "core/history/fold.h"
#include "core/model/json.h"
#include "core/redis/reply.h"
#include "core/base/schema.h"
#include "core/redis/scripts.h"

void sess_strv_free(struct sess_strv *s)
{
	size_t i;

	for (i = 0; !s->borrowed && i < s->n; i++)
		free(s->v[i]);
	free(s->v);
	free(s->len);
	memset(s, 0, sizeof *s);
}

int sess_strv_push(struct sess_strv *s, const char *p, size_t len)
{
	char *c = malloc(len + 1);

	if (!c)
		return -1;
	memcpy(c, p, len);
	c[len] = '\0';
	if (sess_strv_adopt(s, c, len)) {
		free(c);
		return -1;
	}
	return 0;
}

int sess_strv_adopt(struct sess_strv *s, char *p, size_t len)
{
	if (s->n == s->cap) {
		size_t cap = s->cap ? 2 * s->cap : 16;
		char **v = realloc(s->v, cap * sizeof *v);
		size_t *l;
		if (!v)
			return -1;
		s->v = v;
		if (!(l = realloc(s->len, cap * sizeof *l)))
			return -1;
		s->len = l;
		s->cap = cap;
	}
	s->v[s->n] = p;
	s->len[s->n++] = len;
	return 0;
}

void sess_snap_init(struct sess_snap *s, const char *id, int form)
{
	memset(s, 0, sizeof *s);
	snprintf(s->id, sizeof s->id, "%s", id);
	s->form = form;
}

void sess_snap_free(struct sess_snap *s)
{
	int i;

	sess_strv_free(&s->meta);
	sess_strv_free(&s->types);
	for (i = 0; i < SESS_NKEYS; i++)
		sess_strv_free(&s->part[i]);
	free(s->block);
	s->block = NULL;
}

const char *sess_snap_meta(const struct sess_snap *s, const char *field)
{
	size_t i;

	for (i = 0; i + 1 < s->meta.n; i += 2)
		if (!strcmp(s->meta.v[i], field))
			return s->meta.v[i + 1];
	return NULL;
}

long long sess_snap_meta_ll(const struct sess_snap *s, const char *field,
			    long long def)
{
	const char *v = sess_snap_meta(s, field);
	char *end;
	long long n;

	if (!v || !*v)
		return def;
	n = strtoll(v, &end, 10);
	return *end ? def : n;
}

/* commands inside the MULTI of one read */
static int read_cmds(int form)
{
	return form == 'd' ? 3 + SESS_NKEYS + 1 : form == 'm' ? 3 : 3 + 4;
}

/* A read's command: name, then key (NULL: none), then "0 -1" when whole
 * (LRANGE of all). Formatted without printf: copies run it ten times for
 * every session. */
static int cmd(struct sess_pipe *p, const char *name, const char *key, int whole,
	       struct sess_err *err)
{
	const char *argv[4] = {name, key, "0", "-1"};
	size_t lens[4];
	int argc = key ? (whole ? 4 : 2) : 1, i;

	for (i = 0; i < argc; i++)
		lens[i] = strlen(argv[i]);
	return sess_pipe_argv(p, -1, 1, argc, argv, lens, err);
}

int sess_snap_queue(struct sess_pipe *p, const char *prefix, const char *id,
		    int form, struct sess_err *err)
{
	struct sess_keys k;
	int i;

	sess_keys_init(&k, prefix, id);
	if (cmd(p, "MULTI", NULL, 0, err) || cmd(p, "TIME", NULL, 0, err) ||
	    cmd(p, "HGETALL", k.meta, 0, err) || cmd(p, "PTTL", k.meta, 0, err))
		return -1;
	if (form == 'd') {
		for (i = 0; i < SESS_NKEYS; i++)
			if (cmd(p, "DUMP", k.v[i], 0, err))
				return -1;
		/* the events' types, for the target's type:* counters */
		if (cmd(p, "LRANGE", k.events, 1, err))
			return -1;
	} else if (form == 's' && (cmd(p, "LRANGE", k.events, 1, err) ||
		   cmd(p, "HGETALL", k.cps, 0, err) || cmd(p, "HGETALL", k.dedup, 0, err) ||
		   cmd(p, "LRANGE", k.history, 1, err))) {
		return -1;
	}
	return cmd(p, "EXEC", NULL, 0, err);
}

static const char *const key_names[SESS_NKEYS] = {
	SESS_S_KEY_META, SESS_S_KEY_EVENTS, SESS_S_KEY_CHECKPOINTS,
	SESS_S_KEY_EVENTIDS, SESS_S_KEY_HISTORY};

static int copy_elems(struct sess_strv *v, const redisReply *r)
{
	size_t i;

	for (i = 0; i < r->elements; i++) {
		const redisReply *e = r->element[i];
		if (e->type != REDIS_REPLY_STRING || sess_strv_push(v, e->str, e->len))
			return -1;
	}
	return 0;
}

/* Element i of the EXEC reply: an error (a key of another type) names
 * the key; which is the key's index, -1 for the meta reads. */
static int elem_ok(const struct sess_snap *s, const redisReply *e, int which,
		   struct sess_err *err)
{
	if (e->type != REDIS_REPLY_ERROR)
		return 0;
	if (!strncmp(e->str, "WRONGTYPE", 9))
		return sess_err_set(err, SESS_E_DATA, "bad_type",
				    "session %s: its %s key holds a value of an unexpected type; "
				    "it is not a sesskit session (repair or delete the key)",
				    s->id, key_names[which < 0 ? 0 : which]);
	return sess_err_set(err, SESS_E_INTERNAL, NULL, "session %s: %s", s->id, e->str);
}

int sess_snap_types(struct sess_snap *s, const char *const *v, const size_t *len,
		    size_t n, struct sess_err *err)
{
	struct sess_arrivals t;
	size_t i;
	int rc = 0;

	sess_arrivals_init(&t, NULL);
	for (i = 0; i < n && !rc; i++) {
		struct sess_fold_ev ev;
		char type[SESS_S_TYPE_MAX + 1];
		struct sess_err e;
		if (sess_fold_scan(v[i], len[i], &ev, &e) || !ev.type_len || ev.type_len > SESS_S_TYPE_MAX)
			continue; /* a damaged event counts nothing */
		memcpy(type, ev.type, ev.type_len);
		type[ev.type_len] = '\0';
		rc = sess_arrivals_type(&t, type, 1, err);
	}
	sess_strv_free(&s->types);
	for (i = 0; i < t.ntypes && !rc; i++) {
		char num[24];
		int k = snprintf(num, sizeof num, "%lld", t.types[i].n);
		if (sess_strv_push(&s->types, t.types[i].type, strlen(t.types[i].type)) ||
		    sess_strv_push(&s->types, num, (size_t)k))
			rc = sess_err_set(err, SESS_E_INTERNAL, NULL, "out of memory");
	}
	sess_arrivals_free(&t);
	s->typed = !rc;
	return rc ? -1 : 0;
}

/* The type of a stored event as its prefix {"s":N,"ts":N,"t":"TYPE"
 * gives it (emit writes these members first), as migput counted them
 * when it did; 0 when the text does not start so (counts nothing). No
 * JSON parse: a copy counts the events of every session it reads. */
static size_t prefix_type(const char *p, size_t len, const char **type)
{
	const char *e = p + len, *t;

#define LIT(s) (e - p >= (ptrdiff_t)(sizeof s - 1) && !memcmp(p, s, sizeof s - 1) && (p += sizeof s - 1))
#define DIGITS() do { t = p; while (p < e && *p >= '0' && *p <= '9') p++; if (p == t) return 0; } while (0)
	if (!LIT("{\"s\":"))
		return 0;
	DIGITS();
	if (!LIT(",\"ts\":"))
		return 0;
	DIGITS();
	if (!LIT(",\"t\":\""))
		return 0;
	for (t = p; p < e && *p != '"' && *p != '\\'; p++)
		;
	if (p == e || *p != '"' || p == t)
		return 0;
#undef LIT
#undef DIGITS
	*type = t;
	return (size_t)(p - t);
}

/* A 'd' read's events (the LRANGE reply) by type into s->types. */
static int types_of(struct sess_snap *s, const redisReply *l, struct sess_err *err)
{
	struct sess_arrivals t;
	size_t i, n;
	int rc = 0;

	sess_arrivals_init(&t, NULL);
	for (i = 0; l->type == REDIS_REPLY_ARRAY && i < l->elements && !rc; i++) {
		const redisReply *x = l->element[i];
		const char *ty;
		char type[SESS_S_TYPE_MAX + 1];
		if (x->type != REDIS_REPLY_STRING || !(n = prefix_type(x->str, x->len, &ty)) ||
		    n > SESS_S_TYPE_MAX)
			continue;
		memcpy(type, ty, n);
		type[n] = '\0';
		rc = sess_arrivals_type(&t, type, 1, err);
	}
	sess_strv_free(&s->types);
	for (i = 0; i < t.ntypes && !rc; i++) {
		char num[24];
		int k = snprintf(num, sizeof num, "%lld", t.types[i].n);
		if (sess_strv_push(&s->types, t.types[i].type, strlen(t.types[i].type)) ||
		    sess_strv_push(&s->types, num, (size_t)k))
			rc = sess_err_set(err, SESS_E_INTERNAL, NULL, "out of memory");
	}
	sess_arrivals_free(&t);
	s->typed = !rc;
	return rc ? -1 : 0;
}

int sess_snap_take(struct sess_pipe *p, struct sess_snap *s,
		   struct sess_err *err)
{
	int n = read_cmds(s->form), i, rc = 0;
	redisReply *r = NULL, *x;
	long long pttl;

	for (i = 0; i < n + 1; i++) { /* MULTI's OK, then QUEUED each */
		if (sess_pipe_next(p, &r, NULL, err))
			return -1;
		if (r->type == REDIS_REPLY_ERROR && !rc)
			rc = sess_conn_reply_error(p->conn, r, err);
		freeReplyObject(r);
	}
	if (sess_pipe_next(p, &r, NULL, err))
		return -1;
	if (rc) {
		freeReplyObject(r);
		return -1;
	}
	if (r->type == REDIS_REPLY_ERROR) {
		sess_conn_reply_error(p->conn, r, err);
		freeReplyObject(r);
		return -1;
	}
	if (r->type != REDIS_REPLY_ARRAY || (int)r->elements != n) {
		freeReplyObject(r);
		return sess_err_set(err, SESS_E_INTERNAL, NULL, "unexpected reply to a session read");
	}
	x = r->element[0];
	if (x->type == REDIS_REPLY_ARRAY && x->elements == 2)
		s->now = strtoll(x->element[0]->str, NULL, 10) * 1000 +
			 strtoll(x->element[1]->str, NULL, 10) / 1000;
	for (i = 1; i < n; i++)
		if (elem_ok(s, r->element[i], i < 3 ? -1 : i == 3 + SESS_NKEYS ? 1 : i - 3 + (s->form == 's'), err))
			goto fail;
	if (copy_elems(&s->meta, r->element[1]))
		goto oom;
	s->present = s->meta.n > 0;
	pttl = r->element[2]->integer;
	s->expire_at = pttl > 0 ? s->now + pttl : 0;
	if (!s->present) {
		freeReplyObject(r);
		return 0;
	}
	if (s->form == 'd') {
		for (i = 0; i < SESS_NKEYS; i++) {
			x = r->element[3 + i];
			if (x->type == REDIS_REPLY_STRING &&
			    sess_strv_push(&s->part[i], x->str, x->len))
				goto oom;
		}
		if (types_of(s, r->element[3 + SESS_NKEYS], err))
			goto fail;
	} else if (s->form == 's') {
		if (copy_elems(&s->part[0], r->element[1]) || copy_elems(&s->part[1], r->element[3]) ||
		    copy_elems(&s->part[2], r->element[4]) || copy_elems(&s->part[3], r->element[5]) ||
		    copy_elems(&s->part[4], r->element[6]))
			goto oom;
	}
	freeReplyObject(r);
	return 0;
oom:
	sess_err_set(err, SESS_E_INTERNAL, NULL, "out of memory");
fail:
	freeReplyObject(r);
	return -1;
}

int sess_snap_arrive(struct sess_arrivals *ar, const struct sess_snap *s,
		     int recount, struct sess_err *err)
{
	const char *creator = sess_snap_meta(s, SESS_S_F_CREATOR);
	const char *state = sess_snap_meta(s, SESS_S_F_STATE);
	long long created = sess_snap_meta_ll(s, SESS_S_F_CREATED, s->now);
	long long expiry = s->expire_at;
	size_t i;

	if (!expiry) /* kept without a TTL: list it as if it had its ttl left */
		expiry = s->now + 1000 * sess_snap_meta_ll(s, SESS_S_F_TTL, 3600);
	if (creator && sess_key_check_id(creator, "creator", NULL) == 0 && recount) {
		if (sess_arrivals_created(ar, s->id, creator, created, expiry, err))
			return -1;
	} else if (sess_arrivals_touched(ar, s->id, expiry, err)) {
		return -1;
	}
	for (i = 0; i + 1 < s->meta.n; i += 2) {
		const char *a = sess_key_field_agent(s->meta.v[i]);
		long long when = strtoll(s->meta.v[i + 1], NULL, 10);
		if (a && sess_key_check_id(a, "agent id", NULL) == 0 &&
		    sess_arrivals_joined(ar, s->id, a, when, expiry, err))
			return -1;
	}
	if (recount &&
	    sess_arrivals_count(ar, sess_snap_meta_ll(s, SESS_S_F_SEQ, 0) - sess_snap_meta_ll(s, SESS_S_F_BASE, 0),
				state && !strcmp(state, SESS_S_COMPLETED), err))
		return -1;
	for (i = 0; recount && i + 1 < s->types.n; i += 2)
		if (sess_arrivals_type(ar, s->types.v[i], strtoll(s->types.v[i + 1], NULL, 10), err))
			return -1;
	return 0;
}

int sess_snap_index(struct sess_pipe *p, const struct sess_config *cfg,
		    const struct sess_snap *s, int recount, struct sess_err *err)
{
	struct sess_arrivals ar;
	int rc;

	sess_arrivals_init(&ar, cfg);
	rc = sess_snap_arrive(&ar, s, recount, err) || sess_arrivals_flush(&ar, p, err) ? -1 : 0;
	sess_arrivals_free(&ar);
	return rc;
}

/* ---- export lines ---- */

static cJSON *pairs_obj(const struct sess_strv *v)
{
	cJSON *o = cJSON_CreateObject();
	size_t i;

	for (i = 0; o && i + 1 < v->n; i += 2)
		cJSON_AddItemToObject(o, v->v[i], cJSON_CreateString(v->v[i + 1]));
	return o;
}

static cJSON *list_arr(const struct sess_strv *v)
{
	cJSON *a = cJSON_CreateArray();
	size_t i;

	for (i = 0; a && i < v->n; i++)
		cJSON_AddItemToArray(a, cJSON_CreateString(v->v[i]));
	return a;
}

cJSON *sess_snap_to_json(const struct sess_snap *s)
{
	cJSON *o = cJSON_CreateObject();
	const char *v = sess_snap_meta(s, SESS_S_F_VERSION);

	if (!o)
		return NULL;
	cJSON_AddStringToObject(o, "id", s->id);
	cJSON_AddStringToObject(o, "layout", v ? v : SESS_S_LAYOUT);
	cJSON_AddNumberToObject(o, "at", (double)s->now);
	cJSON_AddNumberToObject(o, "expireAt", (double)s->expire_at);
	cJSON_AddNumberToObject(o, "pttl", s->expire_at ? (double)(s->expire_at - s->now) : -1);
	cJSON_AddItemToObject(o, "meta", pairs_obj(&s->part[0]));
	cJSON_AddItemToObject(o, "events", list_arr(&s->part[1]));
	cJSON_AddItemToObject(o, "history", list_arr(&s->part[4]));
	cJSON_AddItemToObject(o, "checkpoints", pairs_obj(&s->part[2]));
	cJSON_AddItemToObject(o, "eventids", pairs_obj(&s->part[3]));
	return o;
}

static int bad(struct sess_err *err, const char *id, const char *what)
{
	return sess_err_set(err, SESS_E_DATA, "bad_input", "session %s: %s", id, what);
}

/* One string of an item into v: copied, or (take) moved out of the item,
 * which is left without it (cJSON_Delete frees what is left). cJSON
 * allocates with malloc (sesskit sets no hooks), as v frees. */
static int take_str(struct sess_strv *v, char **from, int take)
{
	size_t n = strlen(*from);

	if (!take)
		return sess_strv_push(v, *from, n);
	if (sess_strv_adopt(v, *from, n))
		return -1;
	*from = NULL;
	return 0;
}

static int take_pairs(struct sess_strv *v, cJSON *o, int need, int take)
{
	cJSON *e;

	if (!o)
		return need ? -1 : 0;
	if (!cJSON_IsObject(o))
		return -1;
	cJSON_ArrayForEach(e, o) {
		/* (a constant key or a referenced value is not the item's own) */
		if (!cJSON_IsString(e) || take_str(v, &e->string, take && !(e->type & cJSON_StringIsConst)) ||
		    take_str(v, &e->valuestring, take && !(e->type & cJSON_IsReference)))
			return -1;
	}
	return 0;
}

static int take_list(struct sess_strv *v, cJSON *a, int take)
{
	cJSON *e;

	if (!a)
		return 0;
	if (!cJSON_IsArray(a))
		return -1;
	cJSON_ArrayForEach(e, a) {
		if (!cJSON_IsString(e) || take_str(v, &e->valuestring, take && !(e->type & cJSON_IsReference)))
			return -1;
	}
	return 0;
}

static int from_json(struct sess_snap *s, cJSON *o, int take, struct sess_err *err);

int sess_snap_from_json(struct sess_snap *s, const cJSON *o,
			struct sess_err *err)
{
	return from_json(s, (cJSON *)o, 0, err); /* only read */
}

int sess_snap_from_json_take(struct sess_snap *s, cJSON *o, struct sess_err *err)
{
	return from_json(s, o, 1, err);
}

static int from_json(struct sess_snap *s, cJSON *o, int take, struct sess_err *err)
{
	const char *id = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, "id"));
	const char *layout = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, "layout"));
	const cJSON *ea = cJSON_GetObjectItemCaseSensitive(o, "expireAt");
	const cJSON *at = cJSON_GetObjectItemCaseSensitive(o, "at");
	const char *v;
	long n;

	if (!cJSON_IsObject(o) || !id)
		return sess_err_set(err, SESS_E_DATA, "bad_input", "the line has no \"id\" string");
	if (sess_key_check_id(id, "session id", err))
		return -1;
	sess_snap_init(s, id, 's');
	if (layout && strcmp(layout, SESS_S_LAYOUT))
		return sess_err_set(err, SESS_E_DATA, "bad_layout",
				    "session %s has layout version %s, which this sesskit does not import (it knows %s); %s",
				    id, layout, SESS_S_LAYOUT,
				    !strcmp(layout, SESS_S_LAYOUT_PREV) || !strcmp(layout, SESS_S_LAYOUT_OLD)
					    ? "import it with the sesskit that exported it, then run 'sessctl upgrade' there"
					    : "export it with the sesskit that wrote it");
	if (take_pairs(&s->part[0], cJSON_GetObjectItemCaseSensitive(o, "meta"), 1, take))
		return bad(err, id, "\"meta\" must be an object of strings");
	if (take_list(&s->part[1], cJSON_GetObjectItemCaseSensitive(o, "events"), take))
		return bad(err, id, "\"events\" must be an array of strings");
	if (take_list(&s->part[4], cJSON_GetObjectItemCaseSensitive(o, "history"), take))
		return bad(err, id, "\"history\" must be an array of strings");
	if (take_pairs(&s->part[2], cJSON_GetObjectItemCaseSensitive(o, "checkpoints"), 0, take))
		return bad(err, id, "\"checkpoints\" must be an object of strings");
	if (take_pairs(&s->part[3], cJSON_GetObjectItemCaseSensitive(o, "eventids"), 0, take))
		return bad(err, id, "\"eventids\" must be an object of strings");
	{
		size_t i;
		for (i = 0; i < s->part[0].n; i++)
			if (sess_strv_push(&s->meta, s->part[0].v[i], s->part[0].len[i]))
				return sess_err_set(err, SESS_E_INTERNAL, NULL, "out of memory");
	}
	v = sess_snap_meta(s, SESS_S_F_VERSION);
	if (!v)
		return bad(err, id, "\"meta\" has no layout version \"v\"");
	if (strcmp(v, SESS_S_LAYOUT))
		return sess_err_set(err, SESS_E_DATA, "bad_layout",
				    "session %s has layout version %s, which this sesskit does not know (it knows %s)",
				    id, v, SESS_S_LAYOUT);
	if (!sess_snap_meta(s, SESS_S_F_STATE) || !sess_snap_meta(s, SESS_S_F_SEQ))
		return bad(err, id, "\"meta\" lacks state or seq");
	if (ea && sess_json_long(ea, 0, SESS_S_SEQ_MAX, "\"expireAt\"", &n, err) == 0)
		s->expire_at = n;
	else if (ea)
		return -1;
	if (at && sess_json_long(at, 0, SESS_S_SEQ_MAX, "\"at\"", &n, err) == 0)
		s->now = n;
	else if (at)
		return -1;
	s->present = 1;
	return 0;
}

/* ---- comparing ---- */

int sess_strv_eq(const struct sess_strv *a, const struct sess_strv *b)
{
	size_t i;

	if (a->n != b->n)
		return 0;
	for (i = 0; i < a->n; i++)
		if (a->len[i] != b->len[i] || memcmp(a->v[i], b->v[i], a->len[i]))
			return 0;
	return 1;
}

/* Hash pairs compared as sets of pairs (HGETALL order is not kept). */
static const char *pair_get(const struct sess_strv *v, const char *f)
{
	size_t i;

	for (i = 0; i + 1 < v->n; i += 2)
		if (!strcmp(v->v[i], f))
			return v->v[i + 1];
	return NULL;
}

static int skipped(const char *f, const char *const *skip)
{
	/* the fence is its server's state, not the session's (fence.h) */
	if (!strcmp(f, SESS_S_F_MOVED))
		return 1;
	for (; skip && *skip; skip++)
		if (!strcmp(f, *skip))
			return 1;
	return 0;
}

static int hash_eq(const struct sess_strv *a, const struct sess_strv *b)
{
	size_t i;

	if (a->n != b->n)
		return 0;
	for (i = 0; i + 1 < a->n; i += 2) {
		const char *o = pair_get(b, a->v[i]);
		if (!o || strcmp(o, a->v[i + 1]))
			return 0;
	}
	return 1;
}

static void meta_diff(const struct sess_strv *a, const struct sess_strv *b,
		      const char *const *skip, cJSON *diff, int *n, int agents_only)
{
	size_t i;
	char name[200];
	int agents = 0;

	for (i = 0; i + 1 < a->n; i += 2) {
		const char *f = a->v[i], *o = pair_get(b, f);
		int is_agent = sess_key_field_agent(f) != NULL;
		if (skipped(f, skip) || (agents_only && !is_agent))
			continue;
		if (!o || (strcmp(o, a->v[i + 1]) && !is_agent)) {
			if (is_agent) {
				agents = 1;
				continue;
			}
			snprintf(name, sizeof name, "meta.%s", f);
			cJSON_AddItemToArray(diff, cJSON_CreateString(name));
			(*n)++;
		}
	}
	for (i = 0; i + 1 < b->n; i += 2) {
		const char *f = b->v[i];
		if (skipped(f, skip) || pair_get(a, f))
			continue;
		if (sess_key_field_agent(f)) {
			agents = 1;
			continue;
		}
		if (agents_only)
			continue;
		snprintf(name, sizeof name, "meta.%s", f);
		cJSON_AddItemToArray(diff, cJSON_CreateString(name));
		(*n)++;
	}
	if (agents) {
		cJSON_AddItemToArray(diff, cJSON_CreateString("agents"));
		(*n)++;
	}
}

int sess_snap_diff(const struct sess_snap *a, const struct sess_snap *b,
		   long long ttl_tol_ms, const char *const *skip, cJSON *diff)
{
	int n = 0;
	long long d;

	meta_diff(&a->meta, &b->meta, skip, diff, &n, 0);
#define PART(i, name, eq)                                                        \
	if (!eq(&a->part[i], &b->part[i])) {                                     \
		cJSON_AddItemToArray(diff, cJSON_CreateString(name));            \
		n++;                                                             \
	}
	if (a->form == 's' && b->form == 's') {
		PART(1, "events", sess_strv_eq)
		if (!skipped("history", skip))
			PART(4, "history", sess_strv_eq)
		PART(2, "checkpoints", hash_eq)
		PART(3, "eventids", hash_eq)
	}
#undef PART
	d = a->expire_at - b->expire_at;
	if ((a->expire_at == 0) != (b->expire_at == 0) || d > ttl_tol_ms || d < -ttl_tol_ms) {
		cJSON_AddItemToArray(diff, cJSON_CreateString("ttl"));
		n++;
	}
	return n;
}
