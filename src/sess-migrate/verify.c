/* verify.c - the verify engine (verify, copy --verify, sync --cutover):
 * compare sessions between two servers, per session, in
 * constant memory: missing, extra, different (naming what), expired. */
#include "copy.h"
#include "cluster_side.h"
#include "core/model/ids.h"
#include "core/base/schema.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct vcount {
	long equal, missing, extra, different, expired, failed;
};

static void vreport(struct cli_app *a, const char *id, const char *st, cJSON *what)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddStringToObject(o, "id", id);
	cJSON_AddStringToObject(o, "status", st);
	if (what)
		cJSON_AddItemToObject(o, "what", what);
	cli_out_json(&a->out, o);
	cJSON_Delete(o);
}

/* indexed[i]: 1 when the target's index holds ids[i] (a session stored
 * but not indexed is invisible to sessctl list and to maintenance). */
static int read_indexed(struct mig_side *dst, char **ids, int n, int *indexed,
			struct sess_err *err)
{
	struct sess_pipe p;
	char idx[SESS_KEY_MAX];
	int i, rc = 0;

	sess_pipe_init(&p, &dst->conn);
	for (i = 0; i < n && !rc; i++) {
		/* the session's slot's index on a cluster, the one otherwise */
		sess_key_index(idx, dst->cfg.prefix, mig_tag(&dst->conn, ids[i]));
		rc = sess_pipe_cmdf(&p, i, err, "ZSCORE %s %s", idx, ids[i]);
	}
	for (i = 0; i < n && !rc; i++) {
		redisReply *r;
		if ((rc = sess_pipe_next(&p, &r, NULL, err)))
			break;
		if (r->type == REDIS_REPLY_ERROR)
			rc = sess_conn_reply_error(&dst->conn, r, err);
		indexed[i] = r->type == REDIS_REPLY_STRING;
		freeReplyObject(r);
	}
	sess_pipe_drain(&p, SESS_PIPE_ALL, NULL);
	sess_pipe_free(&p);
	return rc;
}

static int read_side(struct mig_run *run, struct mig_side *side, int legacy, char **ids, int n,
		     struct sess_snap *snaps, int *ok, struct sess_err *err)
{
	struct mig_side *keep = run->src;
	int save = run->legacy, rc;

	run->src = side;
	run->legacy = legacy;
	rc = mig_read_batch(run, ids, n, snaps, ok, err);
	run->src = keep;
	run->legacy = save;
	return rc;
}

int mig_verify_run(struct cli_app *a, const struct mig_opts *o,
		   struct mig_side *src, struct mig_side *dst)
{
	struct mig_run run;
	struct mig_sel sel;
	struct vcount c = {0};
	int legacy = o->layout && !strcmp(o->layout, "legacy");
	/* quick: the meta hash holds the chain head h, which covers every
	 * event and record; --deep (and a converted legacy session, whose
	 * upgrade record is new) compares everything */
	int form = o->deep || legacy ? 's' : 'm';
	long page = o->batch > 0 ? o->batch : 100;
	long long tol = o->ttl_tol >= 0 ? o->ttl_tol : 2000;
	static const char *const skip_legacy[] = {SESS_S_F_REF, SESS_S_F_CHAIN, "history", NULL};
	char **ids = calloc((size_t)page, sizeof *ids);
	struct sess_snap *sa = calloc((size_t)page, sizeof *sa), *sb = calloc((size_t)page, sizeof *sb);
	int *oka = calloc((size_t)page, sizeof *oka), *okb = calloc((size_t)page, sizeof *okb);
	int *indexed = calloc((size_t)page, sizeof *indexed);
	int n, i, rc = 0;
	struct sess_err err;
	cJSON *sum;
	long long start = sess_now_ms();

	memset(&sel, 0, sizeof sel);
	memset(&run, 0, sizeof run);
	run.a = a;
	run.src = src;
	run.dst = dst;
	run.form = form;
	mig_sel_init(&run.sel, o, src->cfg.prefix, page);
	run.sel.second_pass = 1; /* one walk: verify writes nothing */
	run.meter.start_ms = start; /* the meter, on a terminal (as copy's) */
	run.meter.total = mig_sel_total(&run.sel, &src->conn);
	for (;;) {
		if ((n = mig_sel_next(&run.sel, &src->conn, ids, (int)page, &err)) < 0)
			goto fail;
		if (n == 0)
			break;
		if (read_side(&run, src, legacy, ids, n, sa, oka, &err) ||
		    read_side(&run, dst, 0, ids, n, sb, okb, &err) ||
		    read_indexed(dst, ids, n, indexed, &err)) {
			for (i = 0; i < n; i++)
				free(ids[i]);
			goto fail;
		}
		for (i = 0; i < n; i++) {
			struct sess_snap *x = &sa[i], *y = &sb[i];
			if (!oka[i] || !okb[i]) {
				c.failed++;
			} else if (!x->present && !y->present) {
				; /* gone from both: nothing to compare */
			} else if (!x->present) {
				c.expired++;
				vreport(a, ids[i], "expired", NULL);
			} else if (o->state && !mig_sel_keep(&run.sel, x)) {
				;
			} else if (!y->present) {
				int exp = x->expire_at && x->expire_at <= x->now + tol;
				exp ? c.expired++ : c.missing++;
				vreport(a, ids[i], exp ? "expired" : "missing", NULL);
			} else {
				cJSON *what = cJSON_CreateArray();
				int d = sess_snap_diff(x, y, tol, legacy ? skip_legacy : NULL, what);
				if (!indexed[i]) {
					cJSON_AddItemToArray(what, cJSON_CreateString("index"));
					d++;
				}
				if (d) {
					c.different++;
					vreport(a, ids[i], "different", what);
				} else {
					c.equal++;
					cJSON_Delete(what);
				}
			}
			sess_snap_free(x);
			sess_snap_free(y);
			free(ids[i]);
		}
		mig_meter_tick(&run.meter, "verifying", n);
	}
	mig_meter_end();
	/* extra: on the target, not on the source (for --all and --match
	 * over the target's own index) */
	if (!o->ids && !o->since && !legacy) {
		mig_sel_init(&sel, o, dst->cfg.prefix, page);
		sel.second_pass = 1;
		for (;;) {
			if ((n = mig_sel_next(&sel, &dst->conn, ids, (int)page, &err)) < 0)
				goto fail;
			if (n == 0)
				break;
			run.form = 'm';
			if (read_side(&run, src, 0, ids, n, sa, oka, &err) ||
			    read_side(&run, dst, 0, ids, n, sb, okb, &err)) {
				for (i = 0; i < n; i++)
					free(ids[i]);
				goto fail;
			}
			for (i = 0; i < n; i++) {
				/* only a session alive on the target is extra: an
				 * index entry outliving its session (expired on
				 * both sides, not yet pruned) is not */
				if (oka[i] && okb[i] && !sa[i].present && sb[i].present) {
					c.extra++;
					vreport(a, ids[i], "extra", NULL);
				}
				sess_snap_free(&sa[i]);
				sess_snap_free(&sb[i]);
				free(ids[i]);
			}
		}
	}
	sum = cJSON_CreateObject();
	cJSON_AddBoolToObject(sum, "summary", 1);
	cJSON_AddStringToObject(sum, "compared", form == 'm' ? "chain heads and meta" : "everything");
	cJSON_AddNumberToObject(sum, "equal", (double)c.equal);
	cJSON_AddNumberToObject(sum, "missing", (double)c.missing);
	cJSON_AddNumberToObject(sum, "extra", (double)c.extra);
	cJSON_AddNumberToObject(sum, "different", (double)c.different);
	cJSON_AddNumberToObject(sum, "expired", (double)c.expired);
	cJSON_AddNumberToObject(sum, "failed", (double)c.failed);
	cJSON_AddNumberToObject(sum, "elapsedMs", (double)(sess_now_ms() - start));
	cli_print(a, sum);
	rc = c.missing || c.extra || c.different || c.failed ? 1 : 0;
	goto out;
fail:
	a->err = err;
	rc = cli_app_fail(a);
out:
	mig_sel_free(&run.sel);
	mig_sel_free(&sel);
	free(ids);
	free(sa);
	free(sb);
	free(oka);
	free(okb);
	free(indexed);
	return rc;
}
