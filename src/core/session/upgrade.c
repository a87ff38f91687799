#include "core/session/upgrade.h"

#include <stdio.h>
#include <string.h>

#include "core/model/keys.h"
#include "core/redis/pipe.h"
#include "core/redis/reply.h"
#include "core/redis/scan.h"
#include "core/base/schema.h"
#include "core/redis/scripts.h"
#include "core/session/view.h"

struct counts {
	long scanned, upgraded, current, gone, old;
};

/* The session id in "PREFIX:{ID}:meta" (into id), or -1. */
static int id_of(const char *key, char *id, size_t n)
{
	const char *a = strchr(key, '{'), *b = a ? strchr(a, '}') : NULL;

	if (!a || !b || (size_t)(b - a - 1) >= n || b == a + 1)
		return -1;
	memcpy(id, a + 1, (size_t)(b - a - 1));
	id[b - a - 1] = '\0';
	return sess_key_check_id(id, "session id", NULL);
}

/* One SCAN page: the version of each session (dry) or the upgrade script
 * on each, pipelined. */
static int page(struct sess_ctx *s, const redisReply *keys, int dry, struct counts *c,
		struct sess_err *err)
{
	char id[SESS_ID_MAX + 1], nk[8];
	struct sess_pipe p;
	size_t i;
	int rc = 0;

	sess_pipe_init(&p, s->conn);
	for (i = 0; i < keys->elements && !rc; i++) {
		struct sess_keys k;
		const char *argv[SESS_SCRIPT_MAXARGS + 3];
		size_t lens[SESS_SCRIPT_MAXARGS + 3];
		int argc;

		if (id_of(keys->element[i]->str, id, sizeof id))
			continue; /* not a session's meta key: not ours to change */
		c->scanned++;
		sess_keys_init(&k, s->cfg->prefix, id);
		if (dry) {
			rc = sess_pipe_cmdf(&p, 0, err, "HGET %s " SESS_S_F_VERSION, k.meta);
			continue;
		}
		argc = sess_script_argv(SESS_LUA_UPGRADE, SESS_NKEYS, k.v, 0, NULL, argv, lens, nk);
		rc = sess_pipe_argv(&p, SESS_LUA_UPGRADE, 0, argc, argv, lens, err);
	}
	while (sess_pipe_pending(&p)) {
		redisReply *r;
		if (sess_pipe_next(&p, &r, NULL, rc ? NULL : err)) {
			rc = -1;
			break;
		}
		if (rc) {
			freeReplyObject(r);
			continue;
		}
		if (r->type == REDIS_REPLY_NIL || (r->type == REDIS_REPLY_ERROR && r->str &&
						   !strncmp(r->str, "SESSNOTFOUND", 12)))
			c->gone++; /* expired meanwhile */
		else if (r->type == REDIS_REPLY_ERROR)
			rc = sess_script_error(s->conn, r, err);
		else if (dry && r->type == REDIS_REPLY_STRING && !strcmp(r->str, SESS_S_LAYOUT_PREV))
			c->old++;
		else if (dry && r->type == REDIS_REPLY_STRING && !strcmp(r->str, SESS_S_LAYOUT))
			c->current++;
		else if (dry)
			rc = sess_layout_ok(r->type == REDIS_REPLY_STRING ? r->str : "?", err);
		else if (sess_reply_int(r, 0) == 1)
			c->upgraded++;
		else
			c->current++;
		freeReplyObject(r);
	}
	sess_pipe_free(&p);
	return rc;
}

int sess_upgrade(struct sess_ctx *s, const struct sess_upgrade_opts *o,
		 cJSON **report, long *pending, struct sess_err *err)
{
	char layout[SESS_KEY_MAX], match[SESS_KEY_MAX + 8], before[16] = "";
	struct counts c = {0, 0, 0, 0, 0};
	struct sess_scan it;
	const redisReply *keys;
	redisReply *r;
	int more;
	cJSON *out;
	int marker_old;

	sess_key_layout(layout, s->cfg->prefix);
	if (!(r = sess_conn_cmdf(s->conn, err, "GET %s", layout)))
		return -1;
	if (r->type == REDIS_REPLY_STRING)
		snprintf(before, sizeof before, "%s", r->str);
	freeReplyObject(r);
	marker_old = !strcmp(before, SESS_S_LAYOUT_PREV);
	if (before[0] && !marker_old && sess_layout_ok(before, err))
		return -1;
	sess_key_meta_pattern(match, s->cfg->prefix);
	sess_scan_init(&it, s->conn, "SCAN", NULL, match, s->cfg->cleanup_batch);
	while ((more = sess_scan_next(&it, &keys, err)) == 1)
		if (page(s, keys, o->dry_run, &c, err)) {
			more = -1;
			break;
		}
	sess_scan_free(&it);
	if (more < 0)
		return -1;
	/* the marker last: tools that check it see the new layout only once
	 * every session has it */
	if (!o->dry_run && (marker_old || (!before[0] && c.scanned))) {
		if (!(r = sess_conn_cmdf(s->conn, err, "SET %s " SESS_S_LAYOUT, layout)))
			return -1;
		freeReplyObject(r);
	}
	*pending = o->dry_run ? c.old + (marker_old ? 1 : 0) : 0;
	if (!(out = sess_reply_obj(err)))
		return -1;
	cJSON_AddBoolToObject(out, "dryRun", o->dry_run);
	cJSON_AddNumberToObject(out, "scanned", (double)c.scanned);
	if (o->dry_run)
		cJSON_AddNumberToObject(out, "pending", (double)c.old);
	else
		cJSON_AddNumberToObject(out, "upgraded", (double)c.upgraded);
	cJSON_AddNumberToObject(out, "current", (double)c.current);
	cJSON_AddNumberToObject(out, "gone", (double)c.gone);
	cJSON_AddStringToObject(out, "layoutBefore", before[0] ? before : "none");
	cJSON_AddStringToObject(out, "layout", !o->dry_run && (marker_old || (!before[0] && c.scanned))
			       ? SESS_S_LAYOUT : before[0] ? before : "none");
	*report = out;
	return 0;
}
