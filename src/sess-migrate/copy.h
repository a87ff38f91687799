/* copy.h - the copy engine that copy, resume, import and sync share. */
#ifndef SESS_MIGRATE_COPY_H
#define SESS_MIGRATE_COPY_H

#include <stdio.h>
#include <unistd.h>

#include "migrate.h"

enum { MIG_COPIED, MIG_REPLACED, MIG_SKIPPED, MIG_CONFLICT, MIG_EXPIRED,
       MIG_MISSING, MIG_FAILED, MIG_DONE, MIG_NSTATUS };

struct mig_run {
	struct cli_app *a;
	struct mig_side *src, *dst;
	struct sess_mtask task;
	struct mig_sel sel;
	int form;               /* 'd' or 's' */
	char method_why[200];
	const char *mode;       /* --conflict */
	int dry_run, legacy, stop_on_conflict, restart_ttl;
	int fresh;              /* a new task: nothing on the target is its yet */
	long batch, rate;
	long count[MIG_NSTATUS];
	int rc;                 /* the first per-session failure's exit code */
	int report_stderr;
	long upkept;            /* sessions whose pending upkeep a resume completed */      /* session lines to stderr (stdout is export's data) */
	struct mig_meter meter;
};

int mig_pick_method(struct mig_run *run, const char *method);
void mig_report(struct mig_run *run, const char *id, int st, const struct sess_err *e);
int mig_read_batch(struct mig_run *run, char **ids, int n, struct sess_snap *snaps,
		   int *ok, struct sess_err *err);
/* Write the snapshots whose ok[i] is set; ok[i] becomes 2 for arrivals. */
int mig_write_batch(struct mig_run *run, struct sess_snap *snaps, int n, int *ok,
		    struct sess_err *err);
cJSON *mig_summary(struct mig_run *run);
int mig_stop(struct mig_run *run, const struct sess_err *err);
int mig_check_common(struct cli_app *a, const struct mig_opts *o);
/* What a task remembers of its command (kind: copy, import, sync). */
cJSON *mig_task_info(const struct mig_opts *o, const struct mig_run *run, const char *kind);
int mig_import_run(struct cli_app *a, struct mig_opts *o, struct mig_run *run, int resume);

#endif
