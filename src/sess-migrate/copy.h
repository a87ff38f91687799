/* copy.h - the copy engine that copy, resume, import and sync share. */
#ifndef SESS_MIGRATE_COPY_H
#define SESS_MIGRATE_COPY_H

#include <stdio.h>
#include <unistd.h>

#include "migrate.h"

/* (struct mig_run and the statuses are in migrate.h, so the engines
 * copy calls can read a run without including copy.h) */

int mig_pick_method(struct mig_run *run, const char *method);
int mig_read_batch(struct mig_run *run, char **ids, int n, struct sess_snap *snaps,
		   int *ok, struct sess_err *err);
/* Write the snapshots whose ok[i] is set; ok[i] becomes 2 for arrivals. */
/* --dry-run: report what writing snaps[i] (ok[i] set) would do on the
 * target, judged by --conflict as the put script would: would_copy,
 * would_replace, would_skip, or conflict (dryrun.c). Writes nothing; 0,
 * or -1 with err when the target failed. */
int mig_dry_report(struct mig_run *run, struct sess_snap *snaps, int n, const int *ok,
		   struct sess_err *err);
int mig_write_batch(struct mig_run *run, struct sess_snap *snaps, int n, int *ok,
		    struct sess_err *err);
cJSON *mig_summary(struct mig_run *run);
int mig_stop(struct mig_run *run, const struct sess_err *err);
/* The end of a copy, import or resume that ran through: its status on the
 * target, then (durable writes on) WAIT for the replicas, which confirms
 * every session the task wrote, also those a resume found done; not
 * confirmed: mig_stop with the error (75). The summary, the exit code. */
int mig_finish(struct mig_run *run);
int mig_check_common(struct cli_app *a, const struct mig_opts *o);
/* What a task remembers of its command (kind: copy, import, sync). */
cJSON *mig_task_info(const struct mig_opts *o, const struct mig_run *run, const char *kind);
int mig_import_run(struct cli_app *a, struct mig_opts *o, struct mig_run *run, int resume);
/* Run a copy task (kind "copy"; resume: it exists) over run, set up by
 * copy or resume: create or restart the task, load --ids, copy, mark it
 * done or incomplete and print the summary. Returns the exit code. */
int mig_run_task(struct cli_app *a, const struct mig_opts *o, struct mig_run *run,
		 const char *kind, int resume);

#endif
