/* history.c - play, state, diff, verify, fork: a history folded. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/model/event.h"
#include "core/model/ids.h"
#include "core/session/index.h"
#include "core/history/integrity.h"
#include "core/model/keys.h"
#include "core/redis/pipe.h"
#include "core/redis/reply.h"
#include "sess-replay/saved.h"
#include "core/base/schema.h"
#include "core/session/view.h"
#include "replay.h"

/* ---- state ---- */

/* The fold of src at point at (chain kept when proof). Returns 0 with
 * st->snap set (free it), or -1 with a->err. */
int fold_upto(struct cli_app *a, struct source *src, struct upto_st *st, int proof)
{
	/* a live session's records are checked on to its next checkpoint
	 * (few records), a saved replay's with --proof from its first block
	 * to its head; without, from the snapshot before the point (one
	 * block decoded: verify checks the snapshots) */
	int rc = !src->saved || proof
		? fold_anchored(a, src, &st->at, &st->snap)
		: source_fold(a, src, &st->snap, SRC_FOLD, st->at.is_time ? 0 : st->at.v, &st->at, NULL, NULL);

	if (!rc && src->given == 0)
		/* even the first record is past the point: before the history
		 * (a trimmed log's starts at its checkpoint) */
		rc = sess_err_set(&a->err, SESS_E_NEGATIVE, "before_history",
				  "the point is before the history of %s begins%s", src->id,
				  st->snap.base ? " (its log was trimmed; see 'sess-replay play')" : "");
	if (rc)
		sess_fold_free(&st->snap);
	return rc;
}

int cmd_state(struct cli_app *a, void *opts, int argc, char **argv)
{
	struct state_opts *o = opts;
	struct upto_st st;
	struct source src;
	cJSON *out;
	int rc;

	(void)argc;
	memset(&st, 0, sizeof st);
	if (!o->at)
		return cli_usage_error(a, "--at SEQ|TIME is required");
	if (point_parse(o->at, "--at", &st.at, &a->err))
		return cli_usage_error(a, "%s", a->err.msg);
	if ((rc = cli_connect(a)))
		return rc;
	if (source_open(a, argv[0], o->saved, &src))
		return cli_app_fail(a);
	rc = fold_upto(a, &src, &st, o->proof);
	if (rc) {
		source_close(&src);
		sess_fold_free(&st.snap);
		return cli_app_fail(a);
	}
	if (!st.snap.known) {
		/* never invented: layout 1 kept no history before its upgrade */
		sess_err_set(&a->err, SESS_E_NEGATIVE, "before_history",
			     "the state of %s at seq %lld is unknown: its history starts later (it was upgraded from layout 1)",
			     src.id, st.snap.seq);
		source_close(&src);
		sess_fold_free(&st.snap);
		return cli_app_fail(a);
	}
	out = sess_fold_json(&st.snap);
	if (o->proof) {
		cJSON *p = cJSON_AddObjectToObject(out, "proof");
		char sd[SESS_SHA1_HEX];
		sess_fold_digest(&st.snap, sd);
		cJSON_AddStringToObject(p, "chain", st.snap.chain);
		cJSON_AddStringToObject(p, "stateDigest", sd);
		cJSON_AddNumberToObject(p, "records", (double)(st.snap.events + st.snap.records));
	}
	source_close(&src);
	sess_fold_free(&st.snap);
	return cli_print(a, out);
}

/* ---- diff ---- */

struct diff_st {
	struct point from;
	cJSON *types, *actors, *kinds;
	long long events;
	struct sess_err *err;
	int failed;
};

static void bump(cJSON *o, const char *k, size_t n)
{
	char key[SESS_ID_MAX + 1];
	cJSON *v;

	if (n > SESS_ID_MAX)
		n = SESS_ID_MAX;
	memcpy(key, k, n);
	key[n] = '\0';
	if ((v = cJSON_GetObjectItemCaseSensitive(o, key)))
		cJSON_SetNumberValue(v, v->valuedouble + 1);
	else
		cJSON_AddNumberToObject(o, key, 1);
}

static int diff_one(int kind, const char *text, size_t len, struct sess_fold *f, void *p)
{
	struct diff_st *st = p;
	long long pos, ts;
	struct sess_fold_ev ev;

	(void)f;
	/* called only for records up to --to; those up to --from are in the
	 * state at --from already */
	if (record_position(kind, text, len, &pos, &ts, &ev, st->err))
		return st->failed = 1; /* never a partial diff shown as whole */
	if (point_covers(&st->from, pos, ts))
		return 0;
	if (kind == SESS_REC_EVENT) {
		st->events++;
		bump(st->types, ev.type, ev.type_len);
		bump(st->actors, ev.actor, ev.actor_len);
	} else {
		const char *k;
		size_t n;
		if (record_str(text, len, "k", &k, &n) == 1)
			bump(st->kinds, k, n);
	}
	return 0;
}

cJSON *agent_names(const struct sess_fold *f)
{
	cJSON *a = cJSON_CreateArray();
	size_t i;

	for (i = 0; i < f->nagents; i++)
		cJSON_AddItemToArray(a, cJSON_CreateString(f->agents[i].id));
	return a;
}

static int has_agent(const struct sess_fold *f, const char *id)
{
	size_t i;

	for (i = 0; i < f->nagents; i++)
		if (!strcmp(f->agents[i].id, id))
			return 1;
	return 0;
}

int cmd_diff(struct cli_app *a, void *opts, int argc, char **argv)
{
	struct diff_opts *o = opts;
	struct diff_st st;
	struct upto_st from;
	struct point to;
	struct source src;
	struct sess_fold f;
	cJSON *out, *ag, *joined, *left, *ev;
	size_t i;
	int rc;

	(void)argc;
	memset(&st, 0, sizeof st);
	memset(&from, 0, sizeof from);
	if (!o->from || !o->to)
		return cli_usage_error(a, "diff needs --from A and --to B (seqs or times)");
	if (point_parse(o->from, "--from", &from.at, &a->err) || point_parse(o->to, "--to", &to, &a->err))
		return cli_usage_error(a, "%s", a->err.msg);
	if (from.at.is_time == to.is_time && to.v < from.at.v)
		return cli_usage_error(a, "--to %s is before --from %s", o->to, o->from);
	if ((rc = cli_connect(a)))
		return rc;
	if (source_open(a, argv[0], o->saved, &src))
		return cli_app_fail(a);
	/* two passes, each stopping at its point: the state at --from, then
	 * the fold on to --to counting what happened after --from */
	if (fold_upto(a, &src, &from, 0)) {
		if (!strcmp(a->err.kind, "before_history"))
			sess_err_set(&a->err, SESS_E_NEGATIVE, "before_history",
				     "--from is before the history of %s begins", argv[0]);
		source_close(&src);
		return cli_app_fail(a);
	}
	st.from = from.at;
	st.types = cJSON_CreateObject();
	st.actors = cJSON_CreateObject();
	st.kinds = cJSON_CreateObject();
	st.err = &a->err;
	rc = source_fold(a, &src, &f, SRC_FOLD, from.at.is_time ? 0 : from.at.v, &to, diff_one, &st);
	if (st.failed)
		rc = -1;
	if (!rc && !src.saved) {
		/* the state at --to is derived too: checked as state checks it */
		struct upto_st chk;
		memset(&chk, 0, sizeof chk);
		chk.at = to;
		rc = fold_upto(a, &src, &chk, 0);
		sess_fold_free(&chk.snap);
	}
	source_close(&src);
	if (rc) {
		cJSON_Delete(st.types);
		cJSON_Delete(st.actors);
		cJSON_Delete(st.kinds);
		sess_fold_free(&f);
		sess_fold_free(&from.snap);
		return cli_app_fail(a);
	}
	out = cJSON_CreateObject();
	cJSON_AddStringToObject(out, "id", argv[0]);
	cJSON_AddItemToObject(out, "from", sess_fold_json(&from.snap));
	cJSON_AddItemToObject(out, "to", sess_fold_json(&f));
	if (strcmp(from.snap.state, f.state)) {
		cJSON *s = cJSON_AddObjectToObject(out, "stateChanged");
		cJSON_AddStringToObject(s, "from", from.snap.state);
		cJSON_AddStringToObject(s, "to", f.state);
	}
	ag = cJSON_AddObjectToObject(out, "agents");
	joined = cJSON_AddArrayToObject(ag, "joined");
	left = cJSON_AddArrayToObject(ag, "left");
	for (i = 0; i < f.nagents; i++)
		if (!has_agent(&from.snap, f.agents[i].id))
			cJSON_AddItemToArray(joined, cJSON_CreateString(f.agents[i].id));
	for (i = 0; i < from.snap.nagents; i++)
		if (!has_agent(&f, from.snap.agents[i].id))
			cJSON_AddItemToArray(left, cJSON_CreateString(from.snap.agents[i].id));
	cJSON_AddItemToObject(ag, "at", agent_names(&f));
	ev = cJSON_AddObjectToObject(out, "events");
	cJSON_AddNumberToObject(ev, "count", (double)st.events);
	cJSON_AddItemToObject(ev, "byType", st.types);
	cJSON_AddItemToObject(ev, "byActor", st.actors);
	cJSON_AddItemToObject(out, "lifecycle", st.kinds);
	sess_fold_free(&f);
	sess_fold_free(&from.snap);
	return cli_print(a, out);
}

/* ---- verify ---- */

struct verify_st {
	struct cli_app *a;
	const char *id;
	cJSON *cps;       /* the stored checkpoints: number -> object */
	long findings;
	int stop;
};

static void finding(struct cli_app *a, const char *id, const char *code, long long seq,
		    const char *fmt, ...) __attribute__((format(printf, 5, 6)));
static void finding(struct cli_app *a, const char *id, const char *code, long long seq,
		    const char *fmt, ...)
{
	char msg[SESS_ERR_MSG_MAX];
	struct sess_err e;
	va_list ap;
	cJSON *o = cJSON_CreateObject();

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	sess_err_set(&e, SESS_E_DATA, code, "%s", msg); /* escapes what is not UTF-8 */
	cJSON_AddStringToObject(o, "id", id);
	cJSON_AddStringToObject(o, "code", code);
	if (seq >= 0)
		cJSON_AddNumberToObject(o, "seq", (double)seq);
	cJSON_AddStringToObject(o, "message", e.msg);
	cli_out_json(&a->out, o);
	cJSON_Delete(o);
}

/* integrity.h's findings, as verify prints them */
static void vfinding(const char *code, long long seq, const char *msg, void *p)
{
	struct verify_st *st = p;

	finding(st->a, st->id, code, seq, "%s", msg);
	st->findings++;
}

/* Before a checkpoint's record is folded: the stored checkpoint must be
 * the state folded so far, and its ch the chain so far. */
static void check_checkpoint(struct verify_st *st, const struct sess_fold *before,
			     const char *chain_before, long long n)
{
	sess_integrity_checkpoint(before, chain_before, n, st->cps, vfinding, st);
}

struct vfold_st {
	struct verify_st *v;
	const struct source *src;
	int started;
	char chain[SESS_SHA1_HEX]; /* the chain before the record in hand */
};

/* Called after each record is folded. A checkpoint record changes nothing
 * a checkpoint holds but the chain, so the fold after it, with the chain
 * kept from before it, is what the stored checkpoint must match. */
static int vrecord(int kind, const char *text, size_t len, struct sess_fold *f, void *p)
{
	struct vfold_st *vs = p;
	long long n;

	if (!vs->started) {
		/* before the first record: the chain a trimmed log starts from */
		const cJSON *start = vs->src->saved
			? cJSON_GetObjectItemCaseSensitive(vs->src->meta, "start") : vs->src->head.start;
		const char *ch = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(start, "ch"));
		snprintf(vs->chain, sizeof vs->chain, "%s", ch ? ch : "");
		vs->started = 1;
	}
	if (kind == SESS_REC_HISTORY && f->known && (n = sess_fold_checkpoint_n(text)) >= 0) {
		if (vs->src->saved) {
			/* a saved replay keeps no bodies: the one this record
			 * implies is checked, so its digest (in the record, which
			 * the chain covers) must be the folded state's */
			cJSON *cp = sess_integrity_checkpoint_body(f, vs->chain, text, len);
			char key[24];
			snprintf(key, sizeof key, "%lld", n);
			if (cp)
				cJSON_AddItemToObject(vs->v->cps, key, cp);
		}
		check_checkpoint(vs->v, f, vs->chain, n);
	}
	memcpy(vs->chain, f->chain, sizeof vs->chain);
	return 0;
}

/* Whether a failure ends verify (the server, not this history): else it
 * is this history's finding, and the next one is verified. */
static int verify_all; /* --all: a format this sesskit does not know is one finding */

static int verify_fatal(const struct cli_app *a)
{
	if (a->err.cls == SESS_E_CONFIG || a->err.cls == SESS_E_USAGE)
		return !verify_all; /* an unknown format, an id sesskit never writes */
	return a->err.cls == SESS_E_UNAVAILABLE || a->err.cls == SESS_E_TEMP || a->err.cls == SESS_E_AUTH ||
	       a->err.cls == SESS_E_INTERNAL;
}

/* Verify one source; returns its findings, -1 when the server failed. */
static long verify_source(struct cli_app *a, const char *id, int saved)
{
	struct verify_st v = {a, id, NULL, 0, 0};
	struct vfold_st vs;
	struct source src;
	struct sess_fold f;
	const char *head;
	cJSON *sum;
	int rc;

	if (source_open(a, id, saved, &src)) {
		if (verify_fatal(a))
			return -1;
		/* not found, or unreadable (a damaged meta, a newer format):
		 * reported, and the next one is verified */
		finding(a, id, a->err.cls == SESS_E_NEGATIVE ? "not_found" : a->err.kind[0] ? a->err.kind : "corrupt",
			-1, "%s", a->err.msg);
		return 1;
	}
	/* a saved replay's are rebuilt record by record (vrecord) */
	v.cps = src.saved ? cJSON_CreateObject() : source_checkpoints(a, &src);
	if (!v.cps) {
		source_close(&src);
		if (verify_fatal(a))
			return -1;
		finding(a, id, a->err.kind[0] ? a->err.kind : "corrupt", -1, "%s", a->err.msg);
		return 1;
	}
	memset(&vs, 0, sizeof vs);
	vs.v = &v;
	vs.src = &src;
	rc = source_fold(a, &src, &f, SRC_FOLD | SRC_CHAIN, 0, NULL, vrecord, &vs);
	if (src.saved && !src.meta)
		rc = -1;
	if (rc) {
		/* a damaged record, a gap, a bad block: the rest cannot be trusted */
		if (verify_fatal(a)) {
			sess_fold_free(&f);
			cJSON_Delete(v.cps);
			source_close(&src);
			return -1;
		}
		finding(a, id, a->err.kind[0] ? a->err.kind : "corrupt", f.seq, "%s", a->err.msg);
		v.findings++;
	} else {
		if (source_check_log(a, &src)) {
			if (a->err.cls != SESS_E_DATA) {
				sess_fold_free(&f);
				cJSON_Delete(v.cps);
				source_close(&src);
				return -1;
			}
			finding(a, id, a->err.kind, f.seq, "%s", a->err.msg);
			v.findings++;
		}
		head = src.saved ? cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(src.meta, "chain"))
				 : src.head.chain;
		sess_integrity_finish(&f, head, src.saved ? "saved replay" : "session", v.cps,
				      src.head.start ? (long long)cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(src.head.start, "seq"))
				      : -1, vfinding, &v);
	}
	sum = cJSON_CreateObject();
	cJSON_AddStringToObject(sum, "id", id);
	cJSON_AddStringToObject(sum, "source", src.saved ? "saved" : "live");
	cJSON_AddBoolToObject(sum, "ok", v.findings == 0);
	cJSON_AddNumberToObject(sum, "events", (double)f.events);
	cJSON_AddNumberToObject(sum, "lifecycle", (double)f.records);
	cJSON_AddNumberToObject(sum, "lastSeq", (double)f.seq);
	cJSON_AddStringToObject(sum, "chain", f.chain);
	cJSON_AddNumberToObject(sum, "findings", (double)v.findings);
	if (!f.known || (src.head.start && !src.saved))
		cJSON_AddNumberToObject(sum, "historyFrom", (double)(f.base + 1));
	cli_out_json(&a->out, sum);
	cJSON_Delete(sum);
	sess_fold_free(&f);
	cJSON_Delete(v.cps);
	source_close(&src);
	return v.findings;
}

struct all_st {
	struct cli_app *a;
	long findings;
	int failed, saved;
};

/* Every session the index holds, a page of ids at a time (read whole
 * before its sessions are verified: they share the connection). Only the
 * ids: a session the list would refuse (a layout this sesskit does not
 * know, an id sesskit never writes) is that session's finding, not the
 * end of the walk. */
static int verify_live_all(struct all_st *st)
{
	enum { PAGE = 200 };
	struct cli_app *a = st->a;
	char key[SESS_KEY_MAX];
	long offset = 0, n;
	size_t i;

	if (sess_check_layout(&a->ctx, &a->err))
		return -1;
	sess_key_index(key, a->cfg.prefix);
	for (;;) {
		redisReply *ids = sess_conn_cmdf(&a->conn, &a->err, "ZREVRANGE %s %ld %ld", key, offset,
						 offset + PAGE - 1);
		if (!ids)
			return -1;
		if (ids->type != REDIS_REPLY_ARRAY) {
			freeReplyObject(ids);
			return sess_reply_bad(&a->err, "ZREVRANGE");
		}
		for (i = 0; i < ids->elements && !a->out.closed; i++) {
			if (ids->element[i]->type != REDIS_REPLY_STRING)
				continue;
			if ((n = verify_source(a, ids->element[i]->str, 0)) < 0) {
				freeReplyObject(ids);
				return -1;
			}
			st->findings += n;
		}
		offset += (long)ids->elements;
		n = (long)ids->elements;
		freeReplyObject(ids);
		if (n < PAGE || a->out.closed)
			break;
	}
	return 0;
}

static int verify_row(cJSON *row, void *p)
{
	struct all_st *st = p;
	const char *id = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(row, "id"));
	long n;

	if (!id || st->a->out.closed)
		return st->a->out.closed;
	n = verify_source(st->a, id, st->saved);
	if (n < 0)
		return st->failed = 1;
	st->findings += n;
	return 0;
}

/* A saved replay whose meta cannot be read: a finding, and on. */
static int verify_bad(const char *id, const struct sess_err *err, void *p)
{
	struct all_st *st = p;

	finding(st->a, id, err->kind[0] ? err->kind : "corrupt_replay", -1, "%s", err->msg);
	st->findings++;
	return st->a->out.closed;
}

static int verify_op(struct cli_app *a, const char *id, void *p)
{
	struct all_st *st = p;
	long n = verify_source(a, id, st->saved);

	if (n < 0)
		return -1;
	st->findings += n;
	return 0;
}

int cmd_verify(struct cli_app *a, void *opts, int argc, char **argv)
{
	struct verify_opts *o = opts;
	struct all_st st = {a, 0, 0, o->saved};
	int rc, i;

	if (o->all == (argc > 0))
		return cli_usage_error(a, "give session or replay ids (- reads them from stdin), or --all");
	verify_all = o->all;
	if ((rc = cli_connect(a)))
		return rc;
	if (o->all) {
		/* every live session the index knows, or (--saved) every
		 * saved replay (their list is read whole before the first) */
		if (o->saved ? sess_replay_list_bad(&a->ctx, 0, verify_row, verify_bad, &st, &a->err)
			     : verify_live_all(&st))
			return cli_app_fail(a);
		if (st.failed)
			return cli_app_fail(a);
		return st.findings ? 1 : 0;
	}
	for (i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "-")) {
			int r = cli_run_ids(a, "-", verify_op, &st);
			if (r && r != 1)
				return r;
			continue;
		}
		{
			long n = verify_source(a, argv[i], o->saved);
			if (n < 0)
				return cli_app_fail(a);
			st.findings += n;
		}
	}
	return st.findings ? 1 : 0;
}
