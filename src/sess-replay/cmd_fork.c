/* sess-replay fork: a new live session holding a history up to a point. */
#include <stdio.h>
#include <string.h>

#include "core/model/event.h"
#include "core/model/ids.h"
#include "core/session/whole.h"
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
	struct sess_whole *w;
	struct cli_app *a;
	long long nev, nrec;
	int failed;
};

static int fork_one(int kind, const char *text, size_t len, struct sess_fold *f, void *p)
{
	struct fork_st *st = p;
	long long pos, ts;
	struct sess_fold_ev ev;
	const char *e = NULL;
	size_t n = 0;
	char eid[SESS_ID_MAX + 1];
	int r = 0;

	(void)f;
	if (record_position(kind, text, len, &pos, &ts, &ev, &st->a->err))
		return st->failed = 1;
	if (!point_covers(&st->at, pos, ts))
		return 1;
	if (kind == SESS_REC_EVENT) {
		/* the event's own id: its top-level eid, never a member of an
		 * impact or a change that happens to be called so */
		r = record_str(text, len, "eid", &e, &n);
		if (r < 0 || (r > 0 && (n > SESS_ID_MAX || (memcpy(eid, e, n), eid[n] = '\0',
							     sess_key_check_id(eid, "event id", &st->a->err))))) {
			sess_err_set(&st->a->err, SESS_E_DATA, "bad_record",
				     "event %lld has an event id (eid) sesskit never writes; run 'sess-replay verify' (nothing forked)",
				     ev.seq);
			return st->failed = 1;
		}
		st->nev++;
	} else {
		st->nrec++;
	}
	/* copied as they are: the fork's chain is the source's up to here */
	if (sess_whole_record(st->w, kind, text, len, kind == SESS_REC_EVENT ? ev.type : NULL,
			      kind == SESS_REC_EVENT ? ev.type_len : 0, r > 0 ? eid : NULL, ev.seq, &st->a->err))
		return st->failed = 1;
	return 0;
}

static int cmd_fork(struct cli_app *a, void *opts, int argc, char **argv)
{
	struct fork_opts *o = opts;
	struct fork_st st;
	struct upto_st up;
	struct source src;
	struct sess_whole w; /* the fork, written in one transaction (core) */
	struct sess_fold f;
	char newid[SESS_NEW_ID_LEN + 1], rec[512], chain[SESS_SHA1_HEX];
	const char *id = o->id;
	long long lastcp = 0;
	cJSON *out;
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
	/* one transaction: the fork arrives whole or not at all, and not over
	 * a session that exists */
	if (sess_whole_begin(&w, &a->cfg, id, &a->err)) {
		sess_whole_abort(&w);
		sess_fold_free(&up.snap);
		return cli_app_fail(a);
	}
	st.w = &w;
	st.a = a;
	rc = source_open(a, argv[0], o->saved, &src) ? -1 : 0;
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
				rc = !body || sess_whole_checkpoint(&w, it->string, body, &a->err);
				cJSON_free(body);
				if (cseq > (double)lastcp)
					lastcp = (long long)cseq;
			}
			cJSON_Delete(cps);
			cJSON_Delete(stored);
		} else {
			rc = -1;
		}
	}
	if (!rc) {
		/* its own last record: where it came from */
		snprintf(rec, sizeof rec, "{\"k\":\"fork\",\"at\":%lld,\"ts\":%lld,\"from\":\"%s\",\"chain\":\"%s\"}",
			 up.snap.seq, w.now, argv[0], up.snap.chain);
		rc = sess_whole_commit(&w, &up.snap, rec, lastcp, chain, &a->err);
	} else {
		sess_whole_abort(&w);
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
	cJSON_AddNumberToObject(out, "expiresAt", (double)(w.now + up.snap.ttl * 1000));
	sess_fold_free(&up.snap);
	return cli_print(a, out);
}

const struct cli_cmd replay_cmd_fork = {
	.name = "fork", .synopsis = "ID",
	.summary = "a new live session holding the history up to that point",
	.opts = fork_o, .opts_size = sizeof(struct fork_opts), .npos_min = 1, .npos_max = 1,
	.complete = CLI_COMPLETE_SESSION, .id_arg = 1,
	.run = cmd_fork};
