/* mtask.h - a migration task's durable state, kept on the TARGET server
 * (sess-migrate copy, import, resume, status, tasks, rollback).
 *
 *   PREFIX:migrate:TASK         HASH  what the task is (kind, from, to,
 *                                     selection, conflict, method), its
 *                                     status and its failure counters
 *   PREFIX:migrate:TASK:done    HASH  session id -> c (copied), r
 *                                     (replaced), each followed by the
 *                                     chain head it arrived with, or s
 *                                     (skipped); fields #c #r #s count them
 *   PREFIX:migrate:TASK:upkeep  SET   sessions put whose global index
 *                                     entries and counters are not
 *                                     written yet (migput adds, the
 *                                     upkeep's transaction removes)
 *   PREFIX:migrate:TASK:backup  HASH  ID:1..5 -> DUMP of what a replace
 *                                     overwrote, ID:t1..t5 -> each key's
 *                                     expiry (ms), ID:x -> the meta's
 *                                     (migundo also reads ID:x1..x5,
 *                                     which some builds wrote instead)
 *   PREFIX:migrate:TASK:plan    LIST  the ids of an --ids selection (stdin
 *                                     cannot be read twice)
 *   PREFIX:migrate:tasks        ZSET  task -> when it was created (ms)
 *
 * On a cluster target the done, upkeep and backup keys are per slot,
 * PREFIX:#{TAG}:migrate:TASK:done|upkeep|backup with the slot's tag
 * (layout 3), so that migput and migundo are one-slot scripts; the task's
 * hash, plan and the registry stay single keys.
 *
 * Exactness across kill -9 comes from migput/migundo (dump.h): the done
 * mark (and the backup) is written in the same script as the session, so
 * a resumed task skips exactly what was written and writes the rest; a
 * rollback forgets a mark in the same script that undoes it. Everything
 * else here is bookkeeping that a rerun corrects.
 */
#ifndef SESS_MTASK_H
#define SESS_MTASK_H

#include <cjson/cJSON.h>

#include "core/redis/conn.h"
#include "core/model/keys.h"

struct sess_mtask {
	char name[SESS_ID_MAX + 1];
	char prefix[SESS_PREFIX_MAX + 1];
	char key[SESS_KEY_MAX], done[SESS_KEY_MAX], backup[SESS_KEY_MAX],
		plan[SESS_KEY_MAX], reg[SESS_KEY_MAX], upkeep[SESS_KEY_MAX];
};

/* name NULL or "": a new name "mig-YYYYMMDD-HHMMSS-XXXX". A bad name is
 * SESS_E_USAGE. */
int sess_mtask_init(struct sess_mtask *t, const char *prefix, const char *name,
		    struct sess_err *err);

/* Register a new task with its description (an object of strings and
 * numbers, stored as hash fields, all in one HSET: a sync's status comes
 * with its first heartbeat); a task of that name that exists is
 * SESS_E_USAGE naming resume. */
int sess_mtask_create(struct sess_conn *c, const struct sess_mtask *t,
		      const cJSON *info, struct sess_err *err);

/* The task's hash as an object, with the counts from the done hash
 * ("copied", "replaced", "skipped") added; a missing task is
 * SESS_E_NEGATIVE. Caller frees. */
int sess_mtask_load(struct sess_conn *c, const struct sess_mtask *t,
		    cJSON **out, struct sess_err *err);

/* A sync task's state (core/model/syncbeat.h) added to a loaded task o:
 * "state" (its status, or running/stale/unknown by its heartbeat),
 * "heartbeatAge" and "staleAfter" (seconds) when it has a heartbeat, and
 * "lagStale": true when a stale one has lag numbers (its last, not the
 * lag now). Nothing for a task of another kind. */
void sess_mtask_add_state(cJSON *o, long long now_ms);

int sess_mtask_set(struct sess_conn *c, const struct sess_mtask *t,
		   const char *field, const char *value, struct sess_err *err);
int sess_mtask_add(struct sess_conn *c, const struct sess_mtask *t,
		   const char *field, long n, struct sess_err *err);

/* The keys (done, backup, upkeep) a task keeps about session id on c's
 * server into out (a copy of t): t's own on a standalone server, those of
 * the id's slot on a cluster (sess_conn_cluster asked before). */
void sess_mtask_for(struct sess_conn *c, const struct sess_mtask *t, const char *id,
		    struct sess_mtask *out);
/* t's keys of one slot tag (tag NULL: t itself) into out. */
void sess_mtask_at(const struct sess_mtask *t, const char *tag, struct sess_mtask *out);
/* The slot tags where t has a done, backup or upkeep key on c: on a
 * standalone server one NULL (t's own keys); on a cluster those of the
 * 16,384 that do (one pipelined EXISTS per slot, routed per master).
 * *tags is malloc'd (the strings static): the caller frees it. 0, or -1
 * with err. */
int sess_mtask_tags(struct sess_conn *c, const struct sess_mtask *t, const char ***tags,
		    int *n, struct sess_err *err);

/* Drop a task's keys (after a complete rollback, or `tasks --forget`). */
int sess_mtask_forget(struct sess_conn *c, const struct sess_mtask *t,
		      struct sess_err *err);

#endif
