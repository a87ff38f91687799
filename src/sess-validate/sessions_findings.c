/* sessions_findings.c - the finding codes of `sess-validate sessions`, their
 * severities and fixes, and the repairs (sessions.h). */
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
#include "core/history/integrity.h"
#include "core/model/json.h"
#include "core/model/keys.h"
#include "core/redis/pipe.h"
#include "core/redis/reply.h"
#include "core/base/schema.h"

/* ---- findings and repairs ---- */

struct code_info {
	const char *code;
	enum sess_sev sev;
	const char *fix;
};

static const struct code_info codes[] = {
	{"seq_gap", SESS_SEV_ERROR, "the log lost or repeated events; restore the session from an export or backup"},
	{"corrupt_record", SESS_SEV_ERROR, "a record is not what sesskit writes; restore the session from an export or backup"},
	{"no_history", SESS_SEV_ERROR, "the history lacks its create record; restore the session, or delete it"},
	{"not_member", SESS_SEV_ERROR, "an event came from an agent that was not a member; find the writer that bypassed the scripts"},
	{"checkpoint_missing", SESS_SEV_ERROR, "a checkpoint was deleted; take a new one (sessctl checkpoint)"},
	{"checkpoint_mismatch", SESS_SEV_ERROR, "the checkpoint disagrees with the log; take a new one and distrust this one"},
	{"checkpoint_orphan", SESS_SEV_ERROR, "a checkpoint no record took was written from outside sesskit; remove it with HDEL"},
	{"chain_mismatch", SESS_SEV_ERROR, "a record was edited, removed or inserted; restore the session from an export or backup"},
	{"state_mismatch", SESS_SEV_ERROR, "sess-validate sessions --repair sets the state the events imply"},
	{"seq_mismatch", SESS_SEV_ERROR, "meta's seq and the log disagree; restore the session from an export or backup"},
	{"creator_mismatch", SESS_SEV_ERROR, "meta's creator was changed from outside sesskit; restore it from the create record"},
	{"metadata_mismatch", SESS_SEV_ERROR, "meta's metadata was changed from outside sesskit; restore it from the create record (sess-replay state shows it)"},
	{"members_mismatch", SESS_SEV_ERROR, "meta's members disagree with the joins and leaves; restore the session"},
	{"agents_count", SESS_SEV_ERROR, "sess-validate sessions --repair sets the count of the listed members"},
	{"cps_count", SESS_SEV_ERROR, "sess-validate sessions --repair raises the counter to what the history took (never lowers it)"},
	{"no_ttl", SESS_SEV_ERROR, "sess-validate sessions --repair gives the key the session's TTL"},
	{"ttl_skew", SESS_SEV_WARNING, "sess-validate sessions --repair gives every key the longest TTL among them"},
	{"repair_refused", SESS_SEV_ERROR, "the history does not verify, so nothing is derived from it; restore the session from an export or backup"},
	{"index_missing", SESS_SEV_ERROR, "sess-validate sessions --repair adds it"},
	{"index_orphan", SESS_SEV_ERROR, "sess-validate sessions --repair (or sessctl maintenance) removes it"},
	{"orphan_key", SESS_SEV_WARNING, "inspect it, then DEL it: no session owns it (repair does not delete data)"},
	{"unknown_key", SESS_SEV_WARNING, "a key with the prefix that sesskit does not write; move other data to another prefix"},
	{"stats_drift", SESS_SEV_WARNING, "sess-validate sessions --all --repair raises the counter to what is stored"},
	{"layout", SESS_SEV_ERROR, "run sessctl upgrade (layout 1), or use the sesskit that wrote it"},
	{"not_found", SESS_SEV_ERROR, "check the id: the session never existed, expired or was deleted"},
};

static const struct code_info *code_of(const char *code)
{
	static const struct code_info other = {NULL, SESS_SEV_ERROR, "inspect the session with sess-replay verify"};
	size_t i;

	for (i = 0; i < sizeof codes / sizeof codes[0]; i++)
		if (!strcmp(codes[i].code, code))
			return &codes[i];
	return &other;
}

void vs_say(struct run *v, const char *id, const char *code, long long seq, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
void vs_say(struct run *v, const char *id, const char *code, long long seq, const char *fmt, ...)
{
	const struct code_info *ci = code_of(code);
	struct sess_finding f;
	struct sess_err e;
	char full[64], msg[SESS_ERR_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (v->hold) { /* an earlier page is not out yet (sessions_page.c) */
		cJSON *h = cJSON_CreateObject();
		if (id)
			cJSON_AddStringToObject(h, "id", id);
		cJSON_AddStringToObject(h, "code", code);
		cJSON_AddNumberToObject(h, "seq", (double)seq);
		cJSON_AddStringToObject(h, "message", msg);
		cJSON_AddItemToArray(v->hold, h);
		return;
	}
	sess_err_set(&e, SESS_E_DATA, NULL, "%s", msg); /* one clean line */
	snprintf(full, sizeof full, SESS_FINDING_NS_SESSION ".%s", code);
	memset(&f, 0, sizeof f);
	f.id = id;
	f.seq = seq;
	f.sev = ci->sev;
	f.code = full;
	f.message = e.msg;
	f.fix = ci->fix;
	report_finding(&f, v->r);
}

void vs_ifinding(const char *code, long long seq, const char *msg, void *p)
{
	struct one *s = p;

	s->found++;
	vs_say(s->v, s->id, code, seq, "%s", msg);
}

/* A repair: {"repair": what, "id", "key", "command": [...], ...}; kept
 * until the page's replies are in, then reported and (unless --dry-run)
 * run by run_repairs. */
static cJSON *pending;

cJSON *vs_repair(const char *what, const char *id, const struct sess_cmd *rc)
{
	cJSON *c = cJSON_CreateObject(), *cmd;
	int i;

	cJSON_AddStringToObject(c, "repair", what);
	if (id)
		cJSON_AddStringToObject(c, "id", id);
	cJSON_AddStringToObject(c, "key", sess_cmd_key(rc));
	cmd = cJSON_AddArrayToObject(c, "command");
	for (i = 0; i < rc->argc; i++)
		cJSON_AddItemToArray(cmd, cJSON_CreateString(rc->w[i]));
	if (!pending)
		pending = cJSON_CreateArray();
	cJSON_AddItemToArray(pending, c);
	return c;
}

int vs_run_repairs(struct run *v)
{
	cJSON *c;

	if (!pending)
		return 0;
	cJSON_ArrayForEach(c, pending) {
		const cJSON *cmd = cJSON_GetObjectItemCaseSensitive(c, "command"), *it;
		const char *argv[8];
		size_t lens[8];
		int argc = 0;
		redisReply *r;
		cJSON_AddBoolToObject(c, "dryRun", v->o->dry_run);
		if (!v->o->dry_run) {
			cJSON_ArrayForEach(it, cmd) {
				if (argc < 8) {
					argv[argc] = it->valuestring;
					lens[argc++] = strlen(it->valuestring);
				}
			}
			if (!(r = sess_conn_cmd(&v->a->conn, &v->a->err, argc, argv, lens))) {
				cJSON_Delete(pending);
				pending = NULL;
				return -1;
			}
			if (r->type == REDIS_REPLY_ERROR) {
				sess_conn_reply_error(&v->a->conn, r, &v->a->err);
				freeReplyObject(r);
				cJSON_Delete(pending);
				pending = NULL;
				return -1;
			}
			freeReplyObject(r);
		}
		report_change(v->r, c);
	}
	cJSON_Delete(pending);
	pending = NULL;
	return 0;
}
