/* copy.c - the copy engine that copy and resume run (and import and sync
 * use): sessions from one server to another, each whole or not at all, as
 * a resumable task whose progress lives on the target (mtask.h, dump.h). */
#include "copy.h"
#include "cluster_side.h"
#include "upkeep.h"
#include "wbatch.h"

#include <stdlib.h>
#include <string.h>

#include "core/redis/sentinel.h"
#include "sess-migrate/legacy.h"
#include "core/model/ids.h"
#include "core/base/schema.h"

/* "7.0.15" -> 70015 */
static long server_version(struct sess_conn *c)
{
	redisReply *r = sess_conn_cmdf(c, NULL, "INFO server");
	const char *p;
	long a = 0, b = 0, d = 0;

	if (!r)
		return 0;
	if (r->type == REDIS_REPLY_STRING && (p = strstr(r->str, "redis_version:")))
		sscanf(p + 14, "%ld.%ld.%ld", &a, &b, &d);
	freeReplyObject(r);
	return a * 10000 + b * 100 + d;
}

int mig_pick_method(struct mig_run *run, const char *method)
{
	long vs, vd;

	if (run->legacy) {
		run->form = 's';
		snprintf(run->method_why, sizeof run->method_why, "structural (the TypeScript layout is converted)");
		return 0;
	}
	if (method && !strcmp(method, "dump")) {
		run->form = 'd';
		snprintf(run->method_why, sizeof run->method_why, "dump (asked for)");
		return 0;
	}
	if (method && !strcmp(method, "structural")) {
		run->form = 's';
		snprintf(run->method_why, sizeof run->method_why, "structural (asked for)");
		return 0;
	}
	vs = server_version(&run->src->conn);
	vd = server_version(&run->dst->conn);
	if (vd && vs && vd < vs) {
		run->form = 's';
		snprintf(run->method_why, sizeof run->method_why,
			 "structural (the target's Redis %ld.%ld is older than the source's %ld.%ld: its RESTORE may refuse newer payloads)",
			 vd / 10000, vd / 100 % 100, vs / 10000, vs / 100 % 100);
	} else {
		run->form = 'd';
		snprintf(run->method_why, sizeof run->method_why, "dump (DUMP/RESTORE pipelined)");
	}
	return 0;
}

static const char *const status_names[MIG_NSTATUS] = {
	"copied", "replaced", "skipped", "conflict", "expired", "missing", "failed", "done"};

/* One line per session. */
void mig_report(struct mig_run *run, const char *id, int st, const struct sess_err *e)
{
	cJSON *o;

	run->count[st]++;
	if (st == MIG_DONE)
		return; /* written before this run: counted, not repeated */
	o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "id", id);
	cJSON_AddStringToObject(o, "status", !run->dry_run ? status_names[st]
					     : st == MIG_COPIED ? "would_copy"
					     : st == MIG_REPLACED ? "would_replace"
					     : st == MIG_SKIPPED ? "would_skip" : status_names[st]);
	if (e) {
		cJSON *er = cJSON_AddObjectToObject(o, "error");
		cJSON_AddStringToObject(er, "code", e->kind[0] ? e->kind : sess_err_class_name(e->cls));
		cJSON_AddStringToObject(er, "message", e->msg);
		if (!run->rc)
			run->rc = sess_err_exit_code(e->cls);
	}
	if (st == MIG_CONFLICT && !run->rc)
		run->rc = 1;
	if (run->report_stderr) {
		char *t = cJSON_PrintUnformatted(o);
		if (t)
			fprintf(stderr, "%s\n", t);
		free(t);
	} else {
		cli_out_json(&run->a->out, o);
	}
	cJSON_Delete(o);
}

/* Ids the task already wrote (a resumed run skips them without reading
 * the source); report: count each as alreadyDone (not in a second pass,
 * whose ids the first one counted). */
static int drop_done(struct mig_run *run, char **ids, int n, int report, struct sess_err *err)
{
	char *marked;
	int i, k = 0;

	if (run->dry_run || n == 0)
		return n;
	if (!(marked = calloc((size_t)n, 1)))
		return sess_err_set(err, SESS_E_INTERNAL, NULL, "out of memory");
	if (mig_marks(run, ids, n, marked, err)) {
		free(marked);
		return -1;
	}
	/* the ids still to do first; the done ones after them (the caller
	 * frees all n) */
	for (i = 0; i < n; i++) {
		if (marked[i]) {
			if (report)
				mig_report(run, ids[i], MIG_DONE, NULL);
		} else {
			char *t = ids[k];
			ids[k++] = ids[i];
			ids[i] = t;
		}
	}
	free(marked);
	return k;
}

/* A session the source no longer has: expired if its index still names
 * it (or the walk came from the index), missing if it never was there. */
static int absent_status(struct mig_run *run, const char *id)
{
	char idx[SESS_KEY_MAX];
	redisReply *r;
	int st = MIG_MISSING;

	if (run->sel.kind == SEL_INDEX)
		return MIG_EXPIRED;
	if (run->legacy)
		return MIG_EXPIRED; /* SCAN saw it */
	sess_key_index(idx, run->src->cfg.prefix, mig_tag(&run->src->conn, id));
	if ((r = sess_conn_cmdf(&run->src->conn, NULL, "ZSCORE %s %s", idx, id))) {
		if (r->type == REDIS_REPLY_STRING)
			st = MIG_EXPIRED;
		freeReplyObject(r);
	}
	return st;
}

/* Queue the reads of a batch on p (the source). */
static int read_send(struct mig_run *run, char **ids, int n, struct sess_snap *snaps,
		     struct sess_pipe *p, struct sess_err *err)
{
	int i;

	for (i = 0; i < n; i++) {
		sess_snap_init(&snaps[i], ids[i], run->form);
		if ((run->legacy ? sess_legacy_queue(p, ids[i], err)
				 : sess_snap_queue(p, run->src->cfg.prefix, ids[i], run->form, err)))
			return -1;
	}
	return 0;
}

/* Take them into snaps (present or not); ok[i] 0 for a session whose
 * read failed (reported). */
static int read_take(struct mig_run *run, char **ids, int n, struct sess_snap *snaps,
		     int *ok, struct sess_pipe *p, struct sess_err *err)
{
	int i;

	for (i = 0; i < n; i++) {
		struct sess_err e;
		sess_err_clear(&e);
		ok[i] = 1;
		if ((run->legacy ? sess_legacy_take(p, &snaps[i], &run->src->cfg, &e)
				 : sess_snap_take(p, &snaps[i], &e))) {
			/* the server refusing reads (unreachable, a permission
			 * this user lacks) fails every session alike: stop */
			if (!sess_conn_ok(p->conn) || e.cls == SESS_E_UNAVAILABLE ||
			    e.cls == SESS_E_AUTH) {
				*err = e;
				return -1;
			}
			ok[i] = 0;
			mig_report(run, ids[i], MIG_FAILED, &e);
		}
	}
	return 0;
}

/* Read a batch from the source into snaps (present or not). */
int mig_read_batch(struct mig_run *run, char **ids, int n, struct sess_snap *snaps,
		   int *ok, struct sess_err *err)
{
	struct sess_pipe p;
	int rc;

	sess_pipe_init(&p, &run->src->conn);
	rc = read_send(run, ids, n, snaps, &p, err) || read_take(run, ids, n, snaps, ok, &p, err) ? -1 : 0;
	sess_pipe_free(&p);
	return rc;
}

/* Is this snapshot one this sesskit can write? */
static int check_layout(struct sess_snap *s, struct sess_err *e)
{
	const char *v = sess_snap_meta(s, SESS_S_F_VERSION);

	if (v && !strcmp(v, SESS_S_LAYOUT))
		return 0;
	return sess_err_set(e, SESS_E_CONFIG, "bad_layout",
			    "session %s has layout version %s, which this sesskit does not copy (it knows %s); %s",
			    s->id, v ? v : "(none)", SESS_S_LAYOUT,
			    v && !strcmp(v, SESS_S_LAYOUT_PREV) ? "run 'sessctl upgrade' on the source first"
								: "use the sesskit that wrote it");
}

/* The whole write of one batch (wbatch.c): its puts, their replies, its
 * index upkeep and, with durable writes on (WAIT), the replicas'
 * acknowledgement; only then is a session reported copied (a line
 * printed is what the target keeps across a failover, as the durability
 * setting defines). */
int mig_write_batch(struct mig_run *run, struct sess_snap *snaps, int n, int *ok,
		    struct sess_err *err)
{
	struct mig_wb b;
	struct sess_pipe p;
	int rc = -1;

	memset(&b, 0, sizeof b);
	b.snaps = snaps;
	b.ok = ok;
	b.n = b.cap = n;
	b.done = malloc(((size_t)n + 1) * sizeof *b.done);
	b.arrived = calloc((size_t)n + 1, sizeof *b.arrived);
	b.grp = calloc((size_t)n + 1, sizeof *b.grp);
	sess_pipe_init(&p, &run->dst->conn);
	if (!b.done || !b.arrived || !b.grp) {
		sess_err_set(err, SESS_E_INTERNAL, NULL, "out of memory");
		goto out;
	}
	if (mig_wb_send(run, &b, &p, err) || mig_wb_take(run, &b, &p, err) ||
	    mig_wb_settle(run, &b, &p, err)) {
		mig_wb_fail(run, &b, err);
		goto out;
	}
	rc = 0;
out:
	/* after a failure, the replies still owed are read and dropped, so
	 * the next command gets its own */
	sess_pipe_drain(&p, SESS_PIPE_ALL, NULL);
	sess_pipe_free(&p);
	free(b.done);
	free(b.arrived);
	free(b.grp);
	return rc;
}

/* What a batch read holds that is not to be written: reported (absent,
 * expired, of another layout) or filtered out (--state, --since), ok[i]
 * 0; a dry run reports the rest. */
static void filter_batch(struct mig_run *run, char **ids, int n, struct sess_snap *snaps,
			 int *ok)
{
	int i;

	for (i = 0; i < n; i++) {
		struct sess_err e;
		if (!ok[i])
			continue;
		if (!snaps[i].present) {
			ok[i] = 0;
			mig_report(run, ids[i], absent_status(run, ids[i]), NULL);
			continue;
		}
		if (!mig_sel_keep(&run->sel, &snaps[i])) {
			ok[i] = 0;
			continue;
		}
		sess_err_clear(&e);
		if (check_layout(&snaps[i], &e)) {
			ok[i] = 0;
			mig_report(run, ids[i], MIG_FAILED, &e);
			continue;
		}
		if (snaps[i].expire_at && snaps[i].expire_at <= snaps[i].now) {
			ok[i] = 0;
			mig_report(run, ids[i], MIG_EXPIRED, NULL);
			continue;
		}
	}
}

/* One batch of ids: drop what the task did, read, filter, write; *nread:
 * how many sessions were read from the source. */
static int copy_batch(struct mig_run *run, char **ids, int n, long *nread, struct sess_err *err)
{
	struct sess_snap *snaps;
	int *ok, i, rc = -1;

	*nread = 0;
	if ((n = drop_done(run, ids, n, !run->sel.second_pass, err)) < 0)
		return -1;
	if (run->sel.second_pass && run->sel.kind == SEL_INDEX && !run->dry_run &&
	    (n = mig_sel_drop_unchanged(&run->sel, &run->src->conn, ids, n, err)) < 0)
		return -1;
	*nread = n;
	if (n == 0)
		return 0;
	snaps = calloc((size_t)n, sizeof *snaps);
	ok = calloc((size_t)n, sizeof *ok);
	if (!snaps || !ok) {
		sess_err_set(err, SESS_E_INTERNAL, NULL, "out of memory");
		goto out;
	}
	if (mig_read_batch(run, ids, n, snaps, ok, err))
		goto out;
	filter_batch(run, ids, n, snaps, ok);
	rc = run->dry_run ? mig_dry_report(run, snaps, n, ok, err) : mig_write_batch(run, snaps, n, ok, err);
out:
	if (snaps)
		for (i = 0; i < n; i++)
			sess_snap_free(&snaps[i]);
	free(snaps);
	free(ok);
	return rc;
}

cJSON *mig_summary(struct mig_run *run)
{
	cJSON *o = cJSON_CreateObject();
	int i;

	cJSON_AddBoolToObject(o, "summary", 1);
	if (run->task.name[0])
		cJSON_AddStringToObject(o, "task", run->task.name);
	if (run->method_why[0])
		cJSON_AddStringToObject(o, "method", run->method_why);
	if (run->dry_run)
		cJSON_AddBoolToObject(o, "dryRun", 1);
	for (i = 0; i < MIG_NSTATUS; i++)
		cJSON_AddNumberToObject(o, i == MIG_DONE ? "alreadyDone" : status_names[i], (double)run->count[i]);
	if (run->upkept)
		cJSON_AddNumberToObject(o, "upkeepCompleted", (double)run->upkept);
	cJSON_AddNumberToObject(o, "elapsedMs", (double)(sess_now_ms() - run->meter.start_ms));
	return o;
}

int mig_finish(struct mig_run *run)
{
	struct sess_err e;

	sess_err_clear(&e);
	if (run->dry_run) {
		cli_print(run->a, mig_summary(run));
		return run->rc;
	}
	sess_mtask_set(&run->dst->conn, &run->task, "status",
		       run->count[MIG_FAILED] || run->count[MIG_CONFLICT] ? "incomplete" : "done", &run->a->err);
	/* replication is ordered: the replicas acknowledging this last write
	 * hold every earlier one, also those a resume skipped as done */
	if (sess_durable_wait(&run->dst->conn, &e)) {
		sess_err_prefix(&e, "the task's sessions are on the target's primary, not confirmed by its replicas");
		return mig_stop(run, &e);
	}
	cli_print(run->a, mig_summary(run));
	return run->rc;
}

/* Stop after a batch: SIGINT/SIGTERM, or the run failed. Says how to go on. */
int mig_stop(struct mig_run *run, const struct sess_err *err)
{
	struct sess_err e;
	const char *status = err ? "failed" : "interrupted";

	mig_meter_end();
	if (run->task.name[0] && !run->dry_run && sess_conn_ok(&run->dst->conn))
		sess_mtask_set(&run->dst->conn, &run->task, "status", status, &e);
	cli_print(run->a, mig_summary(run));
	if (err)
		fprintf(stderr, "%s: %s\n", run->a->prog, err->msg);
	if (run->task.name[0] && !run->dry_run)
		fprintf(stderr, "%s: %s; nothing is lost: continue with 'sess-migrate resume %s --to %s'\n",
			run->a->prog, err ? "the task stopped" : "stopped after the batch in flight",
			run->task.name, run->dst->desc);
	return err ? sess_err_exit_code(err->cls) : cli_signal_exit();
}

/* Select the next batch of ids into b and send its reads; b->n 0 at the
 * end (or when the run is to stop). */
static int next_reads(struct mig_run *run, struct mig_wb *b, struct sess_pipe *rp, struct sess_err *err)
{
	b->n = 0;
	if (cli_stop_signal() || run->a->out.closed || (run->stop_on_conflict && run->count[MIG_CONFLICT]))
		return 0;
	if ((b->n = mig_sel_next(&run->sel, &run->src->conn, b->ids, b->cap, err)) < 0) {
		b->n = 0;
		return -1;
	}
	return b->n > 0 && (read_send(run, b->ids, b->n, b->snaps, rp, err) || sess_pipe_send(rp, err)) ? -1 : 0;
}

/* A new task's copy with the batches overlapped, so that neither server
 * waits for the other nor for the client: the puts of the batch just read
 * go out queued behind those the target is still working on, and the
 * source is read for the next batch meanwhile. On the target's connection
 * the replies owed are, in order, the puts in flight, then the upkeep of
 * the batch before them (queued once its puts' replies were taken): that
 * batch is reported when its upkeep's replies (and, with durable writes
 * on, WAIT) are in. With durable writes on, each batch is settled before
 * the next is put (WAIT must not have replies owed before it). A resumed
 * task goes one batch at a time (mig_loop): its done marks are read first
 * so that what it wrote is not read from the source again. Returns 0 or
 * -1 with err. */
static int copy_overlapped(struct mig_run *run, long page, struct sess_err *err)
{
	struct mig_wb b[4];
	/* being read; read next; puts in flight; upkeep in flight */
	struct mig_wb *rd = &b[0], *spare = &b[1], *flight = &b[2], *pend = &b[3], *t;
	struct sess_pipe rp, wp;
	int i, rc = -1;
	int deep = !sess_durable_on(&run->dst->cfg);

	memset(b, 0, sizeof b);
	for (i = 0; i < 4; i++)
		if (mig_wb_init(&b[i], (int)page, 1, err))
			goto out;
	sess_pipe_init(&rp, &run->src->conn);
	sess_pipe_init(&wp, &run->dst->conn);
	if (next_reads(run, rd, &rp, err))
		goto out_pipes;
	for (;;) {
		if (rd->n > 0) {
			if (read_take(run, rd->ids, rd->n, rd->snaps, rd->ok, &rp, err))
				goto out_pipes;
			filter_batch(run, rd->ids, rd->n, rd->snaps, rd->ok);
		}
		if (!deep && flight->n > 0) {
			if (mig_wb_take(run, flight, &wp, err) || mig_wb_settle(run, flight, &wp, err))
				goto out_pipes;
			mig_meter_tick(&run->meter, "copying", flight->n);
			mig_wb_clear(flight);
		}
		/* owed on the target now: puts of flight, upkeep of pend */
		if (rd->n > 0 && (mig_wb_send(run, rd, &wp, err) || next_reads(run, spare, &rp, err)))
			goto out_pipes;
		/* then the puts of rd: flight's replies come first, their upkeep
		 * is queued behind rd's puts, and pend's upkeep comes next */
		if (flight->n > 0 && mig_wb_take(run, flight, &wp, err))
			goto out_pipes;
		if (pend->n > 0) {
			if (mig_wb_settle(run, pend, &wp, err))
				goto out_pipes;
			mig_meter_tick(&run->meter, "copying", pend->n);
			mig_wb_clear(pend);
		}
		t = pend;
		pend = flight;
		flight = rd;
		rd = spare;
		spare = t;
		if (rd->n == 0 && flight->n == 0 && pend->n == 0)
			break;
	}
	rc = 0;
out_pipes:
	/* after a failure: what was written but not confirmed is said so, and
	 * the replies still owed are read and dropped, so the next command on
	 * either connection gets its own */
	for (i = 0; rc && i < 4; i++)
		mig_wb_fail(run, &b[i], err);
	sess_pipe_drain(&rp, SESS_PIPE_ALL, NULL);
	sess_pipe_drain(&wp, SESS_PIPE_ALL, NULL);
	sess_pipe_free(&rp);
	sess_pipe_free(&wp);
out:
	for (i = 0; i < 4; i++)
		mig_wb_free(&b[i]);
	return rc;
}

static int mig_loop(struct mig_run *run)
{
	char **ids;
	struct sess_conn *sel_conn;
	long page = run->batch;
	int n, i;
	struct sess_err err;

	sess_err_clear(&err);
	if (!(ids = calloc((size_t)page, sizeof *ids)))
		return sess_err_set(&run->a->err, SESS_E_INTERNAL, NULL, "out of memory"), cli_app_fail(run->a);
	run->meter.start_ms = sess_now_ms();
	/* an --ids plan lives on the target with the task */
	sel_conn = run->sel.kind == SEL_PLAN ? &run->dst->conn : &run->src->conn;
	run->meter.total = mig_sel_total(&run->sel, sel_conn);
	run->meter.rate = run->rate;
	cli_catch_stop_signals();
	/* an index walk's second pass (what changed during the first) goes
	 * batch by batch: its ids are first narrowed by the done marks and the
	 * meta's updated, so no session is read twice */
	run->sel.pause = run->sel.kind == SEL_INDEX;
	if (run->fresh && !run->dry_run && run->sel.kind != SEL_PLAN && copy_overlapped(run, page, &err))
		goto fail;
	for (;;) {
		long nread;
		if (cli_stop_signal() || run->a->out.closed ||
		    (run->stop_on_conflict && run->count[MIG_CONFLICT]))
			break;
		if ((n = mig_sel_next(&run->sel, sel_conn, ids, (int)page, &err)) < 0)
			goto fail;
		if (n == 0 && run->sel.kind == SEL_INDEX && !run->sel.done)
			continue; /* the pause between the passes */
		if (n == 0)
			break;
		if (copy_batch(run, ids, n, &nread, &err)) {
			for (i = 0; i < n; i++)
				free(ids[i]);
			goto fail;
		}
		for (i = 0; i < n; i++)
			free(ids[i]);
		/* the first pass's ids are the progress; the second's only count
		 * what was read (against --rate too) */
		mig_meter_tick(&run->meter, run->dry_run ? "checking" : "copying",
			       run->sel.second_pass && run->sel.kind == SEL_INDEX ? nread : n);
	}
	free(ids);
	if (cli_stop_signal())
		return mig_stop(run, NULL);
	mig_meter_end();
	return 0;
fail:
	free(ids);
	return mig_stop(run, &err);
}

/* What a task remembers of its command, to resume it. */
cJSON *mig_task_info(const struct mig_opts *o, const struct mig_run *run, const char *kind)
{
	cJSON *i = cJSON_CreateObject();

	cJSON_AddStringToObject(i, "kind", kind);
	cJSON_AddStringToObject(i, "status", "running");
	if (run->src)
		cJSON_AddStringToObject(i, "from", run->src->desc);
	cJSON_AddStringToObject(i, "to", run->dst->desc);
	cJSON_AddNumberToObject(i, "created", (double)sess_now_ms());
	cJSON_AddStringToObject(i, "conflict", run->mode);
	if (o->all)
		cJSON_AddStringToObject(i, "all", "1");
	if (run->sel.since >= 0)
		cJSON_AddNumberToObject(i, "since", (double)run->sel.since);
	if (o->min_ttl > 1)
		cJSON_AddNumberToObject(i, "minTtl", (double)o->min_ttl);
	if (o->match)
		cJSON_AddStringToObject(i, "match", o->match);
	if (o->state)
		cJSON_AddStringToObject(i, "state", o->state);
	if (o->ids)
		cJSON_AddStringToObject(i, "plan", "1");
	if (o->method)
		cJSON_AddStringToObject(i, "method", o->method);
	if (o->layout)
		cJSON_AddStringToObject(i, "layout", o->layout);
	if (o->input)
		cJSON_AddStringToObject(i, "input", o->input);
	if (o->restart_ttl)
		cJSON_AddStringToObject(i, "restartTtl", "1");
	return i;
}

int mig_check_common(struct cli_app *a, const struct mig_opts *o)
{
	struct sess_err e;
	long long t;

	if (o->conflict && strcmp(o->conflict, "skip") && strcmp(o->conflict, "replace") &&
	    strcmp(o->conflict, "newer") && strcmp(o->conflict, "fail"))
		return cli_usage_error(a, "--conflict takes skip, replace, newer or fail, not '%s'", o->conflict);
	if (o->method && strcmp(o->method, "auto") && strcmp(o->method, "dump") &&
	    strcmp(o->method, "structural"))
		return cli_usage_error(a, "--method takes auto, dump or structural, not '%s'", o->method);
	if (o->layout && strcmp(o->layout, "legacy") && strcmp(o->layout, SESS_S_LAYOUT))
		return cli_usage_error(a, "--from-layout takes legacy or %s, not '%s'", SESS_S_LAYOUT, o->layout);
	if (o->state && !sess_state_valid(o->state))
		return cli_usage_error(a, "--state takes working, broken or completed, not '%s'", o->state);
	if (o->since && mig_parse_since(o->since, &t, &e))
		return cli_usage_error(a, "%s", e.msg);
	return 0;
}

int mig_run_task(struct cli_app *a, const struct mig_opts *o, struct mig_run *run,
		 const char *kind, int resume)
{
	int rc;
	cJSON *info;

	if (!run->dry_run) {
		if (resume) {
			sess_mtask_set(&run->dst->conn, &run->task, "status", "running", &a->err);
		} else {
			info = mig_task_info(o, run, kind);
			rc = sess_mtask_create(&run->dst->conn, &run->task, info, &a->err);
			cJSON_Delete(info);
			if (rc)
				return cli_app_fail(a);
		}
		if (o->ids && !resume) {
			long n;
			if ((rc = mig_sel_load_plan(a, o, &run->dst->conn, run->task.plan, &n, NULL, NULL)) &&
			    rc != 65)
				return rc;
			run->rc = rc;
		}
	} else if (o->ids) {
		/* a dry run writes nothing on the target: its plan is a
		 * temporary key on the source's connection... keep it simple: a
		 * private key on the target, dropped at the end */
		long n;
		if ((rc = mig_sel_load_plan(a, o, &run->dst->conn, run->task.plan, &n, NULL, NULL)) && rc != 65)
			return rc;
		run->rc = rc; /* 65: a bad id, as without --dry-run */
	}
	run->sel.plan_key = run->task.plan;
	run->fresh = !resume;
	if (sess_script_load_all(&run->dst->conn, &a->err))
		return cli_app_fail(a);
	/* what a killed run put but did not index: indexed first */
	if (resume && !run->dry_run && mig_upkeep_pending(run, &run->upkept, &a->err))
		return cli_app_fail(a);
	if ((rc = mig_loop(run)))
		return rc;
	if (run->dry_run && o->ids) {
		redisReply *r = sess_conn_cmdf(&run->dst->conn, NULL, "DEL %s", run->task.plan);
		if (r)
			freeReplyObject(r);
	}
	return mig_finish(run);
}
