/* syncbeat.h - whether a sess-migrate sync marked running in its task's
 * hash is alive (sess-migrate sync writes, sess-health and sess-migrate
 * status/tasks read).
 *
 * A running sync writes its heartbeat into its task's hash: beatAt (epoch
 * ms, the sync's clock) and beatEvery (its --interval, ms), when it starts
 * and at least every --interval after, idle or busy (each lag line writes
 * it too); before a WAIT that may block longer than that, one whose
 * beatEvery is --interval plus the wait, put back after it (the rule
 * below stays one rule). A task marked running whose beatAt is older than
 * sess_sync_beat_bound(beatEvery) is "stale": killed (-9, a crash, the
 * machine gone), hung, or unable to reach the target; its status still
 * says running because nothing was left to change it. A task marked
 * running without beatAt was written by a sess-migrate from before the
 * heartbeat: "unknown". Pure functions: no I/O, nothing allocated. */
#ifndef SESS_SYNCBEAT_H
#define SESS_SYNCBEAT_H

#define SESS_MTASK_F_BEAT_AT "beatAt"
#define SESS_MTASK_F_BEAT_EVERY "beatEvery"

/* The bound: 3 x the interval, at least 10 s (a busy machine, a slow
 * batch or a few seconds of clock difference between the sync's host and
 * the reader's do not make a live sync stale). */
#define SESS_SYNC_BEAT_TIMES 3
#define SESS_SYNC_BEAT_FLOOR_MS 10000LL
/* The interval assumed when beatEvery is missing or not a number (sync's
 * default --interval). */
#define SESS_SYNC_BEAT_DEFAULT_MS 5000LL

/* How old a heartbeat may be before its sync is stale, in ms, for a sync
 * beating every every_ms (<= 0: the default interval). */
long long sess_sync_beat_bound(double every_ms);

/* The state word of a sync task: its status unless that is "running";
 * then "running" (a heartbeat within the bound, or in the reader's
 * future: clocks differ), "stale" (older) or "unknown" (no heartbeat). beat_at and every_ms are NaN when the hash lacks them.
 * status NULL reads as "". The string is static or status itself. */
const char *sess_sync_state(const char *status, double beat_at, double every_ms, long long now_ms);

#endif
