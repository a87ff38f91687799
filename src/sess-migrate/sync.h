/* sync.h - what the files of sess-migrate sync share (sync.c: the
 * command, its passes, lag lines and cutover; sync_step.c: bringing ids
 * on the target to the source's state; sync_conn.c: the listener and the
 * connections with their reconnects). See sync.c for how the sync works.
 *
 * Ownership: struct sync lives on mig_sync_main's stack and owns its two
 * syncsets and its listener (sub on a standalone source; lis, over the
 * source's cluster conn, on a cluster); run.src and run.dst point
 * to sides mig_sync_main opens and closes. Every function here returns 0,
 * or -1 with the failure in s->err (never printed: the caller decides
 * between reconnecting and stopping). Ids passed in stay the caller's. */
#ifndef SESS_MIGRATE_SYNC_H
#define SESS_MIGRATE_SYNC_H

#include "copy.h"
#include "syncset.h"
#include "sess-migrate/msync.h"
#include "core/redis/sentinel.h"
#include "core/session/listen.h"

struct sync {
	struct cli_app *a;
	struct mig_opts *o;
	struct mig_run run;
	struct mig_side sub;     /* the source again, subscribed */
	struct sess_listen lis;  /* a cluster source: its slot channels */
	int lis_open;            /* lis is listening */
	int lis_refused;         /* SSUBSCRIBE refused: passes only */
	int want_keyspace;       /* ask the source for keyspace events */
	int keyspace;            /* keyspace events on */
	int keyspace_warned;
	struct mig_syncset dirty, plan;
	int use_plan;
	long appended, removed, equal, events;
	long long last_lag, last_pass;
	long long last_beat;     /* when the heartbeat was last written */
	long every;              /* --interval, ms: the heartbeat's period */
	int raised;              /* the beat's period covers a long WAIT */
	const char *phase;
	cJSON *pending;          /* a step's lines, printed once it holds */
	struct sess_switch sw_src, sw_dst; /* +switch-master of each side */
	struct sess_err err;     /* the failure that stopped a step */
};

/* ---- sync.c ---- */

/* The heartbeat (core/model/syncbeat.h) into the task's hash when half an
 * interval has passed since the last one (force: now), so that it is
 * never older than --interval while the sync runs, idle or busy. */
int sync_beat(struct sync *s, int force);

/* ---- sync_step.c ---- */

/* Bring ids[0..n) on the target to the source's state (tail, whole copy
 * or removal, as sess_msync_decide says), printing a line per change.
 * changed (may be NULL) counts the sessions that were not equal;
 * mark_all (a pass) marks every session on both sides as this task's and
 * makes sure the target's index has it. */
int sync_ids(struct sync *s, char **ids, int n, long *changed, int mark_all);
/* Both sides' heads of ids[0..n) into hs[] (source) and hd[] (target). */
int sync_heads(struct sync *s, char **ids, int n, struct sess_msync_head *hs,
	       struct sess_msync_head *hd);

/* ---- sync_conn.c ---- */

/* Messages waiting (up to timeout_ms for the first): their sessions
 * become dirty. */
int sync_listen(struct sync *s, int timeout_ms);
/* (Re)open what is closed: the two sides, then the listener (keyspace
 * events asked again, subscribed before it returns). */
int sync_open_all(struct sync *s);
/* Stop listening on a cluster source's masters (nothing when not). */
void sync_unlisten(struct sync *s);
/* 1 if e is worth retrying: a side went away or is busy. */
int sync_transient(const struct sess_err *e);
/* Close everything and open it again with backoff (100 ms doubling to
 * 5 s) until back (0), a stop signal or a lasting failure (-1). */
int sync_reconnect(struct sync *s);

#endif
