#include "core/session/lifecycle.h"

#include <stdio.h>
#include <string.h>

#include "core/model/ids.h"
#include "core/session/tags.h"
#include "core/model/json.h"
#include "core/model/keys.h"
#include "core/model/limits.h"
#include "core/redis/reply.h"
#include "core/base/schema.h"
#include "core/redis/scripts.h"

static int check_ids(const char *id, const char *agent, struct sess_err *err)
{
	if (sess_key_check_id(id, "session id", err))
		return -1;
	if (agent && sess_key_check_id(agent, "agent id", err))
		return -1;
	return 0;
}

static void stamp_expiry(cJSON *o, long long now, long long ttl_ms)
{
	cJSON_AddNumberToObject(o, "expiresAt", (double)(now + ttl_ms));
}

/* The layout marker, set by the first create (SET NX: never changed). */
static int mark_layout(struct sess_ctx *s, struct sess_err *err)
{
	char layout[SESS_KEY_MAX];
	redisReply *r;

	sess_key_layout(layout, s->cfg->prefix);
	if (!(r = sess_conn_cmdf(s->conn, err, "SET %s " SESS_S_LAYOUT " NX", layout)))
		return sess_err_prefix(err, "the session was created, but the layout marker was not set"), -1;
	freeReplyObject(r);
	return 0;
}

int sess_create(struct sess_ctx *s, const char *id, const char *agent,
		long ttl, const char *metadata_json, cJSON **out,
		struct sess_err *err)
{
	char newid[SESS_NEW_ID_LEN + 1], field[SESS_KEY_MAX], ttlbuf[24];
	struct sess_keys k;
	cJSON *meta = NULL, *o, *agents;
	char *meta_text = NULL;
	const char *args[4];
	redisReply *r;
	long long now, ttl_ms;

	if (!id || !*id) {
		if (sess_new_id(newid, err))
			return -1;
		id = newid;
	}
	if (check_ids(id, agent, err))
		return -1;
	if (ttl == 0)
		ttl = s->cfg->default_ttl;
	if (sess_check_ttl(ttl, "TTL", err))
		return -1;
	if (metadata_json) {
		meta = sess_json_parse_err(metadata_json, "metadata",
					   "give a JSON object, e.g. '{\"feature\":\"login\"}'", err);
		if (!meta)
			return -1;
		if (!cJSON_IsObject(meta)) {
			cJSON_Delete(meta);
			return sess_err_set(err, SESS_E_DATA, "bad_json",
					    "metadata must be a JSON object, e.g. '{\"feature\":\"login\"}'");
		}
		if (sess_json_dup_key(meta)) {
			sess_err_set(err, SESS_E_DATA, "bad_json",
				     "metadata names \"%.40s\" twice in one object; give each key once",
				     sess_json_dup_key(meta));
			cJSON_Delete(meta);
			return -1;
		}
		meta_text = cJSON_PrintUnformatted(meta);
	}
	if (sess_keys_for(s, &k, id, err))
		return -1;
	sess_key_agent_field(field, agent);
	snprintf(ttlbuf, sizeof ttlbuf, "%ld", ttl);
	args[0] = field;
	args[1] = agent;
	args[2] = ttlbuf;
	args[3] = meta_text ? meta_text : "";
	r = sess_script_call(s->conn, SESS_LUA_CREATE, SESS_NKEYS_ALL, k.v, 4, args, err);
	cJSON_free(meta_text);
	if (!r) {
		cJSON_Delete(meta);
		return -1;
	}
	now = sess_reply_int(r, 0);
	ttl_ms = sess_reply_int(r, 1);
	freeReplyObject(r);

	if (mark_layout(s, err)) {
		cJSON_Delete(meta);
		return -1;
	}
	if (!(o = sess_reply_obj(err))) {
		cJSON_Delete(meta);
		return -1;
	}
	cJSON_AddStringToObject(o, "id", id);
	cJSON_AddStringToObject(o, "state", SESS_S_WORKING);
	cJSON_AddStringToObject(o, "creator", agent);
	agents = cJSON_AddArrayToObject(o, "agents");
	cJSON_AddItemToArray(agents, cJSON_CreateString(agent));
	cJSON_AddNumberToObject(o, "seq", 0);
	cJSON_AddNumberToObject(o, "created", (double)now);
	cJSON_AddNumberToObject(o, "ttl", (double)ttl);
	stamp_expiry(o, now, ttl_ms);
	if (meta)
		cJSON_AddItemToObject(o, "metadata", meta);
	*out = o;
	return 0;
}

int sess_join(struct sess_ctx *s, const char *id, const char *agent,
	      cJSON **out, struct sess_err *err)
{
	char field[SESS_KEY_MAX];
	struct sess_keys k;
	const char *args[1];
	redisReply *r;
	long long joined, n, now, ttl_ms;
	cJSON *o;

	if (check_ids(id, agent, err))
		return -1;
	if (sess_keys_for(s, &k, id, err))
		return -1;
	sess_key_agent_field(field, agent);
	args[0] = field;
	r = sess_script_call(s->conn, SESS_LUA_JOIN, SESS_NKEYS_ALL, k.v, 1, args, err);
	if (!r)
		return -1;
	joined = sess_reply_int(r, 0);
	n = sess_reply_int(r, 1);
	now = sess_reply_int(r, 2);
	ttl_ms = sess_reply_int(r, 3);
	freeReplyObject(r);
	if (!(o = sess_reply_obj(err)))
		return -1;
	cJSON_AddStringToObject(o, "id", id);
	cJSON_AddStringToObject(o, "agent", agent);
	cJSON_AddBoolToObject(o, "joined", joined == 1);
	cJSON_AddNumberToObject(o, "agentCount", (double)n);
	stamp_expiry(o, now, ttl_ms);
	*out = o;
	return 0;
}

int sess_leave(struct sess_ctx *s, const char *id, const char *agent,
	       cJSON **out, struct sess_err *err)
{
	char field[SESS_KEY_MAX], grace[24];
	struct sess_keys k;
	const char *args[2];
	redisReply *r;
	long long n, now, ttl_ms;
	cJSON *o;

	if (check_ids(id, agent, err))
		return -1;
	if (sess_keys_for(s, &k, id, err))
		return -1;
	sess_key_agent_field(field, agent);
	snprintf(grace, sizeof grace, "%ld", s->cfg->grace_ttl);
	args[0] = field;
	args[1] = grace;
	r = sess_script_call(s->conn, SESS_LUA_LEAVE, SESS_NKEYS_ALL, k.v, 2, args, err);
	if (!r)
		return -1;
	n = sess_reply_int(r, 0);
	now = sess_reply_int(r, 1);
	ttl_ms = sess_reply_int(r, 2);
	freeReplyObject(r);
	if (!(o = sess_reply_obj(err)))
		return -1;
	cJSON_AddStringToObject(o, "id", id);
	cJSON_AddStringToObject(o, "agent", agent);
	cJSON_AddBoolToObject(o, "left", 1);
	cJSON_AddNumberToObject(o, "agentCount", (double)n);
	cJSON_AddBoolToObject(o, "grace", n <= 0);
	stamp_expiry(o, now, ttl_ms);
	*out = o;
	return 0;
}

int sess_complete(struct sess_ctx *s, const char *id, cJSON **out,
		  struct sess_err *err)
{
	struct sess_keys k;
	redisReply *r;
	long long done, seq, now;
	cJSON *o;

	if (check_ids(id, NULL, err))
		return -1;
	if (sess_keys_for(s, &k, id, err))
		return -1;
	r = sess_script_call(s->conn, SESS_LUA_COMPLETE, SESS_NKEYS_ALL, k.v, 0, NULL, err);
	if (!r)
		return -1;
	done = sess_reply_int(r, 0);
	seq = sess_reply_int(r, 1);
	now = sess_reply_int(r, 2);
	freeReplyObject(r);
	if (!(o = sess_reply_obj(err)))
		return -1;
	cJSON_AddStringToObject(o, "id", id);
	cJSON_AddStringToObject(o, "state", SESS_S_COMPLETED);
	cJSON_AddBoolToObject(o, "changed", done == 1);
	cJSON_AddNumberToObject(o, "seq", (double)seq);
	cJSON_AddNumberToObject(o, "updated", (double)now);
	*out = o;
	return 0;
}

int sess_delete(struct sess_ctx *s, const char *id, cJSON **out,
		struct sess_err *err)
{
	struct sess_keys k;
	redisReply *r;
	cJSON *o, *agents;
	size_t i;

	if (check_ids(id, NULL, err))
		return -1;
	if (sess_keys_for(s, &k, id, err))
		return -1;
	r = sess_script_call(s->conn, SESS_LUA_DELETE, SESS_NKEYS_ALL, k.v, 0, NULL, err);
	if (!r)
		return -1;
	if (!(o = sess_reply_obj(err))) {
		freeReplyObject(r);
		return -1;
	}
	cJSON_AddStringToObject(o, "id", id);
	cJSON_AddBoolToObject(o, "deleted", 1);
	agents = cJSON_AddArrayToObject(o, "agents");
	for (i = 0; r->type == REDIS_REPLY_ARRAY && i < r->elements; i++) {
		const char *a = sess_reply_str(r, i);
		if (a)
			cJSON_AddItemToArray(agents, cJSON_CreateString(a));
	}
	freeReplyObject(r);
	*out = o;
	return 0;
}

int sess_touch(struct sess_ctx *s, const char *id, long ttl, cJSON **out,
	       struct sess_err *err)
{
	char ttlbuf[24];
	struct sess_keys k;
	const char *args[1];
	redisReply *r;
	long long now, ttl_ms;
	cJSON *o;

	if (check_ids(id, NULL, err) || (ttl != 0 && sess_check_ttl(ttl, "TTL", err))) /* 0 keeps it */
		return -1;
	if (sess_keys_for(s, &k, id, err))
		return -1;
	snprintf(ttlbuf, sizeof ttlbuf, "%ld", ttl);
	args[0] = ttlbuf;
	r = sess_script_call(s->conn, SESS_LUA_TOUCH, SESS_NKEYS_ALL, k.v, 1, args, err);
	if (!r)
		return -1;
	now = sess_reply_int(r, 0);
	ttl_ms = sess_reply_int(r, 1);
	freeReplyObject(r);
	if (!(o = sess_reply_obj(err)))
		return -1;
	cJSON_AddStringToObject(o, "id", id);
	cJSON_AddNumberToObject(o, "ttl", (double)(ttl_ms / 1000));
	stamp_expiry(o, now, ttl_ms);
	*out = o;
	return 0;
}
