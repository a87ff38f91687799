/* sess-replay fork: a new live session holding a history up to a point. */
#include <stdio.h>
#include <string.h>

#include "core/model/event.h"
#include "core/model/ids.h"
#include "core/session/index.h"
#include "core/model/keys.h"
#include "core/redis/pipe.h"
#include "core/redis/reply.h"
#include "core/base/schema.h"
#include "replay.h"

struct fork_opts {
	const char *at, *id;
	int saved;
};

static const struct cli_opt fork_o[] = {
	CLI_STR_REQ("at", 0, "SEQ|TIME", "the point to fork at", struct fork_opts, at, NULL),
	CLI_STR("id", 0, "ID", "the new session's id (default: a new time-ordered UUID)",
		struct fork_opts, id, NULL),
	CLI_FLAG("saved", 0, "fork from the saved replay", struct fork_opts, saved),
	CLI_END};

struct fork_st {
	struct point at;
	struct sess_pipe *p;
	const char *keys[SESS_NKEYS];
	struct cli_app *a;
	long long nev, nrec;
	long eids;
	int failed;
	struct sess_arrivals ar; /* the events' counters (stats), owned */
};

static int fork_one(int kind, const char *text, size_t len, struct sess_fold *f, void *p)
{
	struct fork_st *st = p;
	long long pos, ts;
	struct sess_fold_ev ev;

	(void)f;
	if (record_position(kind, text, len, &pos, &ts, &ev, &st->a->err))
		return st->failed = 1;
	if (!point_covers(&st->at, pos, ts))
		return 1;
	/* copied as they are: the fork's chain is the source's up to here */
	if (sess_pipe_cmdf(st->p, 0, &st->a->err, "RPUSH %s %b",
			   kind == SESS_REC_EVENT ? st->keys[1] : st->keys[4], text, len))
		return st->failed = 1;
	if (kind == SESS_REC_EVENT) {
		/* the event's own id: its top-level eid, never a member of an
		 * impact or a change that happens to be called so */
		const char *e;
		size_t n;
		int r = record_str(text, len, "eid", &e, &n);
		char eid[SESS_ID_MAX + 1], type[SESS_S_TYPE_MAX + 1];
		st->nev++;
		/* counted as an emit counts it: events and type:TYPE */
		if (ev.type_len && ev.type_len <= SESS_S_TYPE_MAX) {
			memcpy(type, ev.type, ev.type_len);
			type[ev.type_len] = '\0';
			if (sess_arrivals_type(&st->ar, type, 1, &st->a->err))
				return st->failed = 1;
		}
		if (r < 0 || (r > 0 && (n > SESS_ID_MAX || (memcpy(eid, e, n), eid[n] = '\0',
							     sess_key_check_id(eid, "event id", &st->a->err))))) {
			sess_err_set(&st->a->err, SESS_E_DATA, "bad_record",
				     "event %lld has an event id (eid) sesskit never writes; run 'sess-replay verify' (nothing forked)",
				     ev.seq);
			return st->failed = 1;
		}
		if (r > 0) {
			if (sess_pipe_cmdf(st->p, 0, &st->a->err, "HSET %s %s %lld", st->keys[3], eid, ev.seq))
				return st->failed = 1;
			st->eids++;
		}
	} else {
		st->nrec++;
	}
	return 0;
}

static int cmd_fork(struct cli_app *a, void *opts, int argc, char **argv)
{
	struct fork_opts *o = opts;
	struct fork_st st;
	struct upto_st up;
	struct source src;
	struct sess_keys k;
	struct sess_pipe p;
	struct sess_conn w; /* writes: WATCH, MULTI and EXEC on their own connection */
	struct sess_fold f;
	char newid[SESS_NEW_ID_LEN + 1], rec[512], chain[SESS_SHA1_HEX], num[32];
	const char *id = o->id;
	redisReply *r;
	long long now, ttl_ms;
	cJSON *out;
	size_t i;
	int rc;

	(void)argc;
	memset(&st, 0, sizeof st);
	if (!o->at)
		return cli_usage_error(a, "--at SEQ|TIME is required");
	if (point_parse(o->at, "--at", &st.at, &a->err))
		return cli_usage_error(a, "%s", a->err.msg);
	if (id && sess_key_check_id(id, "session id", &a->err))
		return cli_app_fail(a);
	if (!id) {
		if (sess_new_id(newid, &a->err))
			return cli_app_fail(a);
		id = newid;
	}
	if ((rc = cli_connect(a)))
		return rc;
	/* the state at the point first: what the fork's meta holds */
	memset(&up, 0, sizeof up);
	up.at = st.at;
	if (source_open(a, argv[0], o->saved, &src))
		return cli_app_fail(a);
	rc = fold_upto(a, &src, &up, 1);
	source_close(&src);
	if (rc)
		return cli_app_fail(a);
	if (!up.snap.known) {
		sess_fold_free(&up.snap);
		return sess_err_set(&a->err, SESS_E_NEGATIVE, "before_history",
				    "the history of %s before seq %lld is unknown (layout 1 data); fork from a later point",
				    argv[0], up.snap.seq + 1), cli_app_fail(a);
	}
	/* what becomes key names and fields of a live session passes the id
	 * rules, whatever the history holds (a replay saved by an older
	 * sesskit, or changed since) */
	{
		size_t j;
		int bad = sess_key_check_id(up.snap.creator, "its creator", &a->err) ||
			  !sess_state_valid(up.snap.state);
		for (j = 0; !bad && j < up.snap.nagents; j++)
			bad = sess_key_check_id(up.snap.agents[j].id, "a member", &a->err);
		if (bad) {
			sess_fold_free(&up.snap);
			return sess_err_set(&a->err, SESS_E_DATA, "bad_record",
					    "the history of %s holds a member, creator or state sesskit never writes; run 'sess-replay verify %s' (nothing forked)",
					    argv[0], argv[0]), cli_app_fail(a);
		}
	}
	if (up.snap.base > 0 || (src.head.start && !src.saved)) {
		sess_fold_free(&up.snap);
		return sess_err_set(&a->err, SESS_E_NEGATIVE, "trimmed",
				    "the log of %s was trimmed: a fork needs the whole history", argv[0]),
		       cli_app_fail(a);
	}
	sess_keys_init(&k, a->cfg.prefix, id);
	for (i = 0; i < SESS_NKEYS; i++)
		st.keys[i] = k.v[i];
	if (sess_conn_open(&w, &a->cfg, &a->err)) {
		sess_fold_free(&up.snap);
		return cli_app_fail(a);
	}
	/* one transaction: the fork arrives whole or not at all, and not over
	 * a session that exists (WATCH: created meanwhile aborts it) */
	if (!(r = sess_conn_cmdf(&w, &a->err, "WATCH %s", k.meta))) {
		sess_fold_free(&up.snap);
		sess_conn_close(&w);
		return cli_app_fail(a);
	}
	freeReplyObject(r);
	if (!(r = sess_conn_cmdf(&w, &a->err, "EXISTS %s", k.meta))) {
		sess_fold_free(&up.snap);
		sess_conn_close(&w);
		return cli_app_fail(a);
	}
	if (r->integer > 0) {
		freeReplyObject(r);
		sess_fold_free(&up.snap);
		if ((r = sess_conn_cmdf(&w, NULL, "UNWATCH")))
			freeReplyObject(r);
		sess_conn_close(&w);
		return sess_err_set(&a->err, SESS_E_NEGATIVE, "exists",
				    "a session %s exists already; pick another --id or leave it out", id),
		       cli_app_fail(a);
	}
	freeReplyObject(r);
	if (!(r = sess_conn_cmdf(&w, &a->err, "TIME"))) {
		sess_fold_free(&up.snap);
		sess_conn_close(&w);
		return cli_app_fail(a);
	}
	now = sess_reply_int(r, 0) * 1000 + sess_reply_int(r, 1) / 1000;
	freeReplyObject(r);
	ttl_ms = up.snap.ttl * 1000;
	sess_pipe_init(&p, &w);
	st.p = &p;
	st.a = a;
	sess_arrivals_init(&st.ar, &a->cfg);
	rc = sess_pipe_cmdf(&p, 0, &a->err, "MULTI");
	if (!rc && source_open(a, argv[0], o->saved, &src))
		rc = -1;
	if (!rc) {
		rc = source_fold(a, &src, &f, 0, 0, &st.at, fork_one, &st);
		source_close(&src);
		sess_fold_free(&f);
		if (st.failed)
			rc = -1;
	}
	if (!rc) {
		/* the checkpoints taken up to the point: the history's records
		 * of them are copied, so are they, as the records imply them
		 * (a live session's stored ones must be those: never copied
		 * unchecked) */
		cJSON *cps = NULL, *stored = NULL, *it;
		long long lastcp = 0;
		if (!source_open(a, argv[0], o->saved, &src)) {
			if (!(cps = source_checkpoints_implied(a, &src)) ||
			    (!src.saved && !(stored = source_checkpoints(a, &src))))
				rc = -1;
			source_close(&src);
			cJSON_ArrayForEach(it, cps) {
				double cid = cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(it, "id"));
				double cseq = cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(it, "seq"));
				char *body;
				if (rc || cid > (double)up.snap.cps)
					continue;
				if (stored && !cJSON_Compare(cJSON_GetObjectItemCaseSensitive(stored, it->string), it, 1)) {
					rc = sess_err_set(&a->err, SESS_E_DATA, "checkpoint_mismatch",
							  "checkpoint %s of %s is not the one its record implies; run 'sess-replay verify %s' (nothing forked)",
							  it->string, argv[0], argv[0]);
					continue;
				}
				body = cJSON_PrintUnformatted(it);
				rc = !body || sess_pipe_cmdf(&p, 0, &a->err, "HSET %s %s %s", k.cps, it->string, body);
				cJSON_free(body);
				if (cseq > (double)lastcp)
					lastcp = (long long)cseq;
			}
			cJSON_Delete(cps);
			cJSON_Delete(stored);
			snprintf(num, sizeof num, "%lld", lastcp);
		} else {
			rc = -1;
		}
	}
	if (!rc) {
		/* its own first record: where it came from */
		snprintf(rec, sizeof rec, "{\"k\":\"fork\",\"at\":%lld,\"ts\":%lld,\"from\":\"%s\",\"chain\":\"%s\"}",
			 up.snap.seq, now, argv[0], up.snap.chain);
		sess_sha1_link(up.snap.chain, rec, strlen(rec), chain);
		rc = sess_pipe_cmdf(&p, 0, &a->err, "RPUSH %s %s", k.history, rec) ||
		     sess_pipe_cmdf(&p, 0, &a->err,
				    "HSET %s " SESS_S_F_VERSION " " SESS_S_LAYOUT " " SESS_S_F_STATE " %s "
				    SESS_S_F_CREATED " %lld " SESS_S_F_UPDATED " %lld " SESS_S_F_SEQ " %lld "
				    SESS_S_F_BASE " 0 " SESS_S_F_TTL " %lld " SESS_S_F_AGENTS " %lu "
				    SESS_S_F_CREATOR " %s " SESS_S_F_CPS " %lld " SESS_S_F_LASTCP " %s "
				    SESS_S_F_REF " %lld " SESS_S_F_CHAIN " %s",
				    k.meta, up.snap.state, up.snap.created, now, up.snap.seq, up.snap.ttl,
				    (unsigned long)up.snap.nagents, up.snap.creator, up.snap.cps, num, now, chain);
		for (i = 0; !rc && i < up.snap.nagents; i++)
			rc = sess_pipe_cmdf(&p, 0, &a->err, "HSET %s " SESS_S_F_AGENT_PREFIX "%s %lld", k.meta,
					    up.snap.agents[i].id, up.snap.agents[i].joined ? up.snap.agents[i].joined : now);
		if (!rc && up.snap.metadata)
			rc = sess_pipe_cmdf(&p, 0, &a->err, "HSET %s " SESS_S_F_METADATA " %s", k.meta,
					    up.snap.metadata);
		for (i = 0; !rc && i < SESS_NKEYS; i++)
			rc = sess_pipe_cmdf(&p, 0, &a->err, "PEXPIRE %s %lld", k.v[i], ttl_ms);
		/* its events counted in the stats (events, type:*, and a
		 * completed session as completed) with the session itself,
		 * as the emits that made them counted them */
		if (!rc) {
			sess_arrivals_count(&st.ar, st.nev, !strcmp(up.snap.state, SESS_S_COMPLETED));
			rc = sess_arrivals_flush(&st.ar, &p, &a->err);
		}
		if (!rc)
			rc = sess_pipe_cmdf(&p, 0, &a->err, "EXEC");
	}
	if (!rc) {
		redisReply *x = NULL;
		/* +OK and QUEUED, then EXEC's: nil when the WATCH tripped */
		rc = sess_pipe_drain(&p, sess_pipe_pending(&p) - 1, &a->err) ||
		     sess_pipe_next(&p, &x, NULL, &a->err) ? -1 : 0;
		if (!rc && (!x || x->type != REDIS_REPLY_ARRAY))
			rc = sess_err_set(&a->err, SESS_E_NEGATIVE, "exists",
					  "a session %s was created meanwhile; nothing was written", id);
		if (x)
			freeReplyObject(x);
	} else {
		/* drop what was queued: nothing is applied without EXEC */
		sess_pipe_drain(&p, SESS_PIPE_ALL, NULL);
		if ((r = sess_conn_cmdf(&w, NULL, "DISCARD")))
			freeReplyObject(r);
	}
	sess_pipe_free(&p);
	sess_conn_close(&w);
	sess_arrivals_free(&st.ar);
	if (!rc) {
		/* the indexes, as for a new session */
		sess_pipe_init(&p, &a->conn);
		rc = sess_index_created(&p, &a->cfg, id, up.snap.creator, now, now + ttl_ms, &a->err);
		for (i = 0; !rc && i < up.snap.nagents; i++)
			if (strcmp(up.snap.agents[i].id, up.snap.creator))
				rc = sess_index_joined(&p, &a->cfg, id, up.snap.agents[i].id, now, now + ttl_ms, &a->err);
		if (!rc)
			rc = sess_pipe_run(&p, &a->err);
		sess_pipe_free(&p);
		if (rc)
			sess_err_prefix(&a->err, "fork %s was written, but its index was not updated (sessctl maintenance repairs it)", id);
	}
	if (rc) {
		sess_fold_free(&up.snap);
		return cli_app_fail(a);
	}
	out = cJSON_CreateObject();
	cJSON_AddStringToObject(out, "id", id);
	cJSON_AddStringToObject(out, "from", argv[0]);
	cJSON_AddNumberToObject(out, "seq", (double)up.snap.seq);
	cJSON_AddStringToObject(out, "state", up.snap.state);
	cJSON_AddItemToObject(out, "agents", agent_names(&up.snap));
	cJSON_AddNumberToObject(out, "events", (double)st.nev);
	cJSON_AddNumberToObject(out, "records", (double)st.nrec + 1);
	cJSON_AddStringToObject(out, "chain", chain);
	cJSON_AddNumberToObject(out, "expiresAt", (double)(now + ttl_ms));
	sess_fold_free(&up.snap);
	return cli_print(a, out);
}

const struct cli_cmd replay_cmd_fork = {
	.name = "fork", .synopsis = "ID",
	.summary = "a new live session holding the history up to that point",
	.opts = fork_o, .opts_size = sizeof(struct fork_opts), .npos_min = 1, .npos_max = 1,
	.complete = CLI_COMPLETE_SESSION, .id_arg = 1,
	.run = cmd_fork};
