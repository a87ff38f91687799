/* dryrun.c - what a copy or import would do, asked of the target without
 * writing: each session the batch holds is looked up there and judged by
 * --conflict as the put script (migput.lua) would judge it: absent, it
 * would be copied; present, skipped (skip; newer when the target's is as
 * recent), replaced (replace; newer when the source's is more recent) or
 * a conflict (fail). Contract in copy.h. */
#include "copy.h"

#include <stdlib.h>
#include <string.h>

#include "core/base/schema.h"
#include "core/model/keys.h"
#include "core/redis/pipe.h"

int mig_dry_report(struct mig_run *run, struct sess_snap *snaps, int n, const int *ok,
		   struct sess_err *err)
{
	struct sess_pipe p;
	int i, rc = -1;

	sess_pipe_init(&p, &run->dst->conn);
	for (i = 0; i < n; i++) {
		struct sess_keys k;
		if (!ok[i])
			continue;
		sess_keys_init(&k, run->dst->cfg.prefix, snaps[i].id);
		if (sess_pipe_cmdf(&p, i, err, "EXISTS %s", k.meta) ||
		    sess_pipe_cmdf(&p, i, err, "HGET %s " SESS_S_F_UPDATED, k.meta))
			goto out;
	}
	for (i = 0; i < n; i++) {
		redisReply *ex = NULL, *up = NULL;
		long long tu, su;
		struct sess_err e;
		if (!ok[i])
			continue;
		if (sess_pipe_next(&p, &ex, NULL, err) || sess_pipe_next(&p, &up, NULL, err)) {
			if (ex)
				freeReplyObject(ex);
			goto out;
		}
		if (ex->type == REDIS_REPLY_ERROR || up->type == REDIS_REPLY_ERROR) {
			sess_conn_reply_error(&run->dst->conn, ex->type == REDIS_REPLY_ERROR ? ex : up, err);
			freeReplyObject(ex);
			freeReplyObject(up);
			goto out;
		}
		tu = up->type == REDIS_REPLY_STRING ? strtoll(up->str, NULL, 10) : 0;
		su = sess_snap_meta_ll(&snaps[i], SESS_S_F_UPDATED, 0);
		if (ex->type != REDIS_REPLY_INTEGER || ex->integer == 0) {
			mig_report(run, snaps[i].id, MIG_COPIED, NULL);
		} else if (!strcmp(run->mode, "fail")) {
			sess_err_set(&e, SESS_E_NEGATIVE, "conflict",
				     "session %s exists on the target; --conflict skip, replace or newer decides",
				     snaps[i].id);
			mig_report(run, snaps[i].id, MIG_CONFLICT, &e);
		} else if (!strcmp(run->mode, "replace") || (!strcmp(run->mode, "newer") && tu < su)) {
			mig_report(run, snaps[i].id, MIG_REPLACED, NULL);
		} else {
			mig_report(run, snaps[i].id, MIG_SKIPPED, NULL);
		}
		freeReplyObject(ex);
		freeReplyObject(up);
	}
	rc = 0;
out:
	sess_pipe_drain(&p, SESS_PIPE_ALL, NULL);
	sess_pipe_free(&p);
	return rc;
}
