/* sess-replay verify: prove histories intact (seq, log end, chain,
 * checkpoints, blocks); a finding is a line and exit 1. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/history/integrity.h"
#include "core/model/finding.h"
#include "core/model/keys.h"
#include "core/redis/reply.h"
#include "sess-replay/saved.h"
#include "core/session/view.h"
#include "replay.h"

struct verify_opts {
	int all, saved;
};

static const struct cli_opt verify_o[] = {
	CLI_FLAG("all", 0, "every session the index holds (with --saved: every saved replay)",
		 struct verify_opts, all),
	CLI_FLAG("saved", 0, "verify saved replays", struct verify_opts, saved),
	CLI_END};

struct verify_st {
	struct cli_app *a;
	const char *id;
	cJSON *cps;       /* the stored checkpoints: number -> object */
	long findings;
	int stop;
	int saved;        /* a saved replay's (replay.* codes) */
};

/* A finding's line. Its code is the one finding code set's (finding.h):
 * session.CODE for a live session, as sess-validate sessions names the
 * same damage, replay.CODE for a saved replay; legacyCode carries the
 * bare CODE this command printed before, for one release. */
static void finding(struct cli_app *a, const char *id, int saved, const char *code, long long seq,
		    const char *fmt, ...) __attribute__((format(printf, 6, 7)));
static void finding(struct cli_app *a, const char *id, int saved, const char *code, long long seq,
		    const char *fmt, ...)
{
	char msg[SESS_ERR_MSG_MAX], full[96];
	struct sess_err e;
	va_list ap;
	cJSON *o = cJSON_CreateObject();

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	sess_err_set(&e, SESS_E_DATA, code, "%s", msg); /* escapes what is not UTF-8 */
	/* the core's name for a session of another layout; sess-validate's
	 * code for it is layout */
	snprintf(full, sizeof full, "%s.%s", saved ? SESS_FINDING_NS_REPLAY : SESS_FINDING_NS_SESSION,
		 !strcmp(code, "unknown_layout") ? "layout" : code);
	cJSON_AddStringToObject(o, "id", id);
	cJSON_AddStringToObject(o, "code", full);
	cJSON_AddStringToObject(o, "legacyCode", code);
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

	finding(st->a, st->id, st->saved, code, seq, "%s", msg);
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

/* Verify one source; returns its findings, -1 when the server failed.
 * pre: a live session's reads, made ahead (source.pre), or NULL. */
static long verify_source(struct cli_app *a, const char *id, int saved, const redisReply *pre)
{
	struct verify_st v = {a, id, NULL, 0, 0, saved};
	struct vfold_st vs;
	struct source src;
	struct sess_fold f;
	const char *head;
	cJSON *sum;
	int rc;

	if (pre) {
		memset(&src, 0, sizeof src);
		snprintf(src.id, sizeof src.id, "%s", id);
		src.pre = pre;
	} else if (source_open(a, id, saved, &src)) {
		if (verify_fatal(a))
			return -1;
		/* not found, or unreadable (a damaged meta, a newer format):
		 * reported, and the next one is verified; a live id whose
		 * saved replay was read (its session gone) and is damaged is
		 * replay.*, as with --saved; not found, the id asked for */
		finding(a, id, saved || (src.saved && a->err.cls != SESS_E_NEGATIVE),
			a->err.cls == SESS_E_NEGATIVE ? "not_found" : a->err.kind[0] ? a->err.kind : "corrupt",
			-1, "%s", a->err.msg);
		return 1;
	}
	/* a live id with no session reads its saved replay: its codes
	 * then are replay.* */
	saved = v.saved = src.saved;
	/* a saved replay's are rebuilt record by record (vrecord) */
	v.cps = src.saved ? cJSON_CreateObject() : source_checkpoints(a, &src);
	if (!v.cps) {
		source_close(&src);
		if (verify_fatal(a))
			return -1;
		finding(a, id, saved, a->err.kind[0] ? a->err.kind : "corrupt", -1, "%s", a->err.msg);
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
		finding(a, id, saved, a->err.kind[0] ? a->err.kind : "corrupt", f.seq, "%s", a->err.msg);
		v.findings++;
	} else {
		if (source_check_log(a, &src)) {
			if (a->err.cls != SESS_E_DATA) {
				sess_fold_free(&f);
				cJSON_Delete(v.cps);
				source_close(&src);
				return -1;
			}
			finding(a, id, saved, a->err.kind, f.seq, "%s", a->err.msg);
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

/* One page of ids: every session's reads in one pipeline (one MULTI
 * each: source_send_reads), each verified as its replies arrive while the
 * server reads the next ones. A session they do not hold whole (long,
 * trimmed, another layout, gone, refused) is verified as a named one is,
 * once the page's other replies are in (the connection is then idle),
 * in its place in the order. */
static int verify_page(struct all_st *st, const char **ids, long n)
{
	struct cli_app *a = st->a;
	struct sess_pipe p;
	redisReply **held;
	long i, nheld = 0, v;
	int rc = 0;

	if (!(held = calloc((size_t)n, sizeof *held)))
		return sess_err_set(&a->err, SESS_E_INTERNAL, NULL, "out of memory");
	sess_pipe_init(&p, &a->conn);
	for (i = 0; i < n && !rc; i++)
		if (source_send_reads(a, &p, ids[i], &a->err) ||
		    ((i % 16 == 15 || i + 1 == n) && sess_pipe_send(&p, &a->err)))
			rc = -1;
	for (i = 0; i < n && !rc && !a->out.closed; i++) {
		redisReply *x = held[i];
		if (i >= nheld && (sess_pipe_drain(&p, SOURCE_NREAD + 1, &a->err) || /* +OK, QUEUED */
				   sess_pipe_next(&p, &x, NULL, &a->err))) {
			rc = -1;
			break;
		}
		held[i] = NULL;
		if (source_reads_whole(x)) {
			v = verify_source(a, ids[i], 0, x);
		} else {
			/* the rest of the page's replies first: then the
			 * connection is this session's */
			if (nheld <= i)
				nheld = i + 1;
			for (; nheld < n && !rc; nheld++)
				if (sess_pipe_drain(&p, SOURCE_NREAD + 1, &a->err) ||
				    sess_pipe_next(&p, &held[nheld], NULL, &a->err))
					rc = -1;
			v = rc ? 0 : verify_source(a, ids[i], 0, NULL);
		}
		freeReplyObject(x);
		if (v < 0)
			rc = -1;
		else
			st->findings += v;
	}
	for (i = 0; i < n; i++)
		if (held[i])
			freeReplyObject(held[i]);
	free(held);
	if (!rc) /* the reader went away mid-page: drop the rest */
		sess_pipe_drain(&p, SESS_PIPE_ALL, NULL);
	sess_pipe_free(&p);
	return rc;
}

/* Every session the index holds, a page of ids at a time (read whole
 * before its sessions are verified: they share the connection). Only the
 * ids: a session the list would refuse (a layout this sesskit does not
 * know, an id sesskit never writes) is that session's finding, not the
 * end of the walk. */
static int verify_live_all(struct all_st *st)
{
	enum { PAGE = 200 };
	struct cli_app *a = st->a;
	struct sess_index_iter it;
	const char **ids;
	long n, done = 0, total = -1;
	int rc = 0;

	memset(&it, 0, sizeof it); /* freed below even when the layout check fails */
	/* the total for the meter's ETA: the index's ZCARD (per tag, summed
	 * on a cluster); a session added meanwhile makes it approximate, and
	 * a user the ACL refuses ZCARD gets the meter without a total */
	if (sess_check_layout(&a->ctx, &a->err))
		return -1;
	{
		struct sess_err e;
		sess_err_clear(&e);
		if (sess_index_size(&a->ctx, &total, &e))
			total = -1;
	}
	if (sess_index_iter_init(&it, &a->ctx, &a->err)) {
		sess_index_iter_free(&it);
		return -1;
	}
	while (!rc && !a->out.closed && (n = sess_index_iter_next(&it, PAGE, &ids, &a->err)) != 0) {
		if (n < 0) {
			rc = -1;
			break;
		}
		rc = verify_page(st, ids, n);
		done += n;
		cli_progress("verify --all: sessions verified", done, total > done ? total : -1);
	}
	cli_progress("verify --all", -1, -1); /* cleared before the summary */
	sess_index_iter_free(&it);
	return rc;
}

static int verify_row(cJSON *row, void *p)
{
	struct all_st *st = p;
	const char *id = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(row, "id"));
	long n;

	if (!id || st->a->out.closed)
		return st->a->out.closed;
	n = verify_source(st->a, id, st->saved, NULL);
	if (n < 0)
		return st->failed = 1;
	st->findings += n;
	return 0;
}

/* A saved replay whose meta cannot be read: a finding, and on. */
static int verify_bad(const char *id, const struct sess_err *err, void *p)
{
	struct all_st *st = p;

	finding(st->a, id, 1, err->kind[0] ? err->kind : "corrupt_replay", -1, "%s", err->msg);
	st->findings++;
	return st->a->out.closed;
}

static int verify_op(struct cli_app *a, const char *id, void *p)
{
	struct all_st *st = p;
	long n = verify_source(a, id, st->saved, NULL);

	if (n < 0)
		return -1;
	st->findings += n;
	return 0;
}

static int cmd_verify(struct cli_app *a, void *opts, int argc, char **argv)
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
			long n = verify_source(a, argv[i], o->saved, NULL);
			if (n < 0)
				return cli_app_fail(a);
			st.findings += n;
		}
	}
	return st.findings ? 1 : 0;
}

const struct cli_cmd replay_cmd_verify = {
	.name = "verify", .synopsis = "ID...|-|--all",
	.summary = "prove a history intact (seq, log end, chain, checkpoints, blocks); exit 1 on a finding",
	.opts = verify_o, .opts_size = sizeof(struct verify_opts), .npos_max = -1,
	.complete = CLI_COMPLETE_SESSION, .run = cmd_verify};
