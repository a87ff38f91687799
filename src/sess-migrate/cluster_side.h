/* cluster_side.h - what sess-migrate does differently when a side is a
 * Redis Cluster (layout 3, sesskit-layout(7)): a task's marks, backups
 * and upkeep set are kept per slot on a cluster target, so that each put
 * and undo is a one-slot script (mtask.h); the reads below group a
 * batch's ids by their slots' keys. On a standalone server they are the
 * task's own keys, as before. */
#ifndef SESS_MIGRATE_CLUSTER_SIDE_H
#define SESS_MIGRATE_CLUSTER_SIDE_H

#include "migrate.h"

/* The groups of a batch's puts (sess_snaps_put, dump.h): grp[i] 0 where
 * ok[i] is 0, else its group g >= 1, whose task keys are (*tasks)[g - 1]:
 * on a standalone target one group, the task's own keys; on a cluster
 * one group per slot tag among the sessions, with that slot's task keys
 * (a script call must be one slot's). *tasks is malloc'd with its key
 * names inside: the caller frees it once the puts are queued (grp stays
 * for their replies). 0, or -1 with err. */
int mig_put_groups(struct mig_run *run, const struct sess_snap *snaps, const int *ok, int n,
		   int *grp, struct sess_put_task **tasks, struct sess_err *err);

/* marked[i] = 1 when the task has a done mark for ids[i] on the target
 * (one HMGET on a standalone target, one HGET each in a pipeline on a
 * cluster). 0, or -1 with err. */
int mig_marks(struct mig_run *run, char **ids, int n, char *marked, struct sess_err *err);

/* The tag of session id's companions on side c (its slot's on a cluster,
 * the one tag on a standalone server; sess_conn_cluster asked before). */
const char *mig_tag(struct sess_conn *c, const char *id);

/* HSET (value v) or HDEL (v NULL) the task's done marks of ids (one
 * command on a standalone target, one per id pipelined on a cluster).
 * 0, or -1 with err. */
int mig_marks_set(struct mig_run *run, char **ids, int n, const char *v, struct sess_err *err);

#endif
