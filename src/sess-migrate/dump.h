/* dump.h - one whole session as a value that can leave a server and arrive
 * on another: read atomically from a source, written all-or-nothing on a
 * target, turned into a JSON line and back (sess-migrate copy, export,
 * import, verify, sync).
 *
 * A struct sess_snap holds a session's five keys (keys.h order: meta,
 * events, checkpoints, eventids, history) in one of two forms:
 *   'd'  DUMP payloads, one per key present: the fast path, RESTOREd as
 *        they are; only a server of the same or a newer RDB format takes
 *        them;
 *   's'  the structure: hash field/value pairs (meta, checkpoints,
 *        eventids) and list entries (events, history), exactly as stored:
 *        any Redis takes it, and it is what export writes.
 * It always holds the meta hash's pairs too (filters, conflict "newer",
 * index upkeep) and the absolute expiry. Expiry is kept absolute (the
 * source's clock at the read plus the PTTL), so a copy, a pipe or a file
 * adds no drift: a session arrives expiring when it would have expired at
 * the source.
 *
 * Reads are one MULTI/EXEC per session (a consistent snapshot even while
 * agents write), sent on a pipeline so many are in flight. Writes are one
 * MULTI per batch (put.c): the sessions' keys staged, then one migput
 * call (src/core/lua/migput.lua), then the staged keys' RENAMEs, so the
 * conflict rule, the backup of what it replaces and the task's done mark
 * are in the same atomic step as each session's keys.
 */
#ifndef SESS_DUMP_H
#define SESS_DUMP_H

#include <cjson/cJSON.h>
#include <stddef.h>

#include "core/model/config.h"
#include "core/session/index.h"
#include "core/model/keys.h"
#include "core/redis/pipe.h"

/* A growable vector of owned byte strings. */
struct sess_strv {
	char **v;
	size_t *len;
	size_t n, cap;
	int borrowed; /* the strings are not the vector's (a snap's block
		       * holds them): freed with it, never one by one; push
		       * only with sess_strv_adopt */
};
void sess_strv_free(struct sess_strv *s);
int sess_strv_push(struct sess_strv *s, const char *p, size_t len);
/* Push p (len bytes, NUL-terminated, from malloc) itself, not a copy: s
 * owns it from then on (or, s->borrowed, whoever owns s's strings does).
 * -1 when out of memory (p is still the caller's). */
int sess_strv_adopt(struct sess_strv *s, char *p, size_t len);
/* 1 when a and b hold the same strings, byte for byte, in the same order. */
int sess_strv_eq(const struct sess_strv *a, const struct sess_strv *b);

struct sess_snap {
	char id[SESS_ID_MAX + 1];
	int present;          /* the meta hash existed at the read */
	int form;             /* 'd' or 's' */
	long long now;        /* the source's clock at the read (ms) */
	long long expire_at;  /* absolute expiry (ms); 0 = none */
	struct sess_strv meta;            /* meta field/value pairs */
	struct sess_strv part[SESS_NKEYS]; /* per key: 'd' one payload or none */
	struct sess_strv types;           /* type, count (text) pairs of its
					   * events (the type:* counters): form
					   * 'd' from the read, 's' counted by
					   * the caller (mig_snap_count_types) */
	int typed;                        /* types is set */
	char *block;                      /* owned: the text of borrowed
					   * vectors (import's line reader) */
};

void sess_snap_init(struct sess_snap *s, const char *id, int form);
void sess_snap_free(struct sess_snap *s);

/* The meta field's value (borrowed), or NULL. */
const char *sess_snap_meta(const struct sess_snap *s, const char *field);
/* A meta field as a number, def when absent or not a number. */
long long sess_snap_meta_ll(const struct sess_snap *s, const char *field,
			    long long def);

/* Queue the read of session id in form ('d' or 's', or 'm' for the meta
 * hash and expiry only) on p ('d' also reads the events' text, for their
 * types, into s->types, the payloads being opaque); take it with
 * sess_snap_take (the replies of one read are consecutive). */
int sess_snap_queue(struct sess_pipe *p, const char *prefix, const char *id,
		    int form, struct sess_err *err);
/* Take one read's replies into s (initialised with the same id and form).
 * A missing session is not an error: s->present is 0. A key of an
 * unexpected type is SESS_E_DATA naming it. */
int sess_snap_take(struct sess_pipe *p, struct sess_snap *s,
		   struct sess_err *err);
/* s->types from the n event texts v/len, each scanned as a stored event
 * (a damaged event counts nothing), s->typed set; -1 out of memory. */
int sess_snap_types(struct sess_snap *s, const char *const *v, const size_t *len,
		    size_t n, struct sess_err *err);

/* How migput treats a session already on the target. */
#define SESS_PUT_SKIP "skip"
#define SESS_PUT_REPLACE "replace"
#define SESS_PUT_NEWER "newer"
#define SESS_PUT_FAIL "fail"
#define SESS_PUT_SYNC "sync" /* replace, no task marks (live sync) */

/* The most sessions one put carries (one MULTI, one migput call): a
 * longer batch is sent as puts of this many. */
#define SESS_PUT_MAX 256

/* The task's keys a put goes with (key names: mtask.h), borrowed. */
struct sess_put_task {
	const char *done, *backup, *upkeep;
};

/* Queue the arrival of snaps[i], for each i < n where which[i] > 0, on
 * p (the target): each session's keys, all or nothing, with the task's
 * done/backup hashes and upkeep set tasks[which[i] - 1]. The sessions of
 * one group g (which[i] == g) go together, group by group (1, 2 ...),
 * each group in index order: on a cluster target a group is one slot's
 * sessions with that slot's task keys (one script call is one slot's);
 * on a standalone server all are group 1. Every SESS_PUT_MAX sessions of
 * a group are one put, one MULTI: one DEL of their staged keys
 * (sess_key_arriving), each key a session has written to its staged key
 * (RESTORE in form 'd', HSET/RPUSH in 's', with the session's expiry or
 * SESS_S_STAGE_TTL ms), then one migput call that decides each session
 * (src/core/lua/migput.lua: it deletes the staged keys of a session it
 * does not put, of every session when it fails), then a plain RENAME
 * staged final of each staged key written (those of a session not put
 * fail with "no such key" and change nothing), then EXEC. Take the
 * replies with sess_snaps_put_take, with the same snaps, which and n.
 * The script goes by its text (EVAL), so a server that lost its scripts
 * takes it too. */
int sess_snaps_put(struct sess_pipe *p, const char *prefix,
		   const struct sess_snap *snaps, const int *which, int n,
		   const char *mode, const struct sess_put_task *tasks,
		   struct sess_err *err);
/* The puts' replies. For each i with which[i] > 0, res[i]: 0, its status
 * ("copied", "replaced", "skipped", "conflict", "expired", "done") in
 * status[i]; -1, its own failure in errs[i] (a refused payload:
 * SESS_E_DATA).
 * Returns 0, or -1 with err when the target refused a transaction (out
 * of memory, read-only: its class), or when a RENAME's outcome is not
 * what migput's reply says of its session (a put session's failed, a
 * dropped one's succeeded: SESS_E_INTERNAL, nothing of the put reported);
 * replies may then still be owed on p. */
int sess_snaps_put_take(struct sess_pipe *p, const struct sess_snap *snaps,
			const int *which, int n, int *res, char (*status)[16],
			struct sess_err *errs, struct sess_err *err);

/* Queue the global upkeep on the target after s arrived (index entry,
 * agent indexes, registry, counters, s->types' type:* counters; index.h).
 * recount 0 leaves the counters alone. */
int sess_snap_index(struct sess_pipe *p, const struct sess_config *cfg,
		    const struct sess_snap *s, int recount, struct sess_err *err);
/* The same for many sessions: gathered in ar, queued by
 * sess_arrivals_flush as one command per index key and counter. */
int sess_snap_arrive(struct sess_arrivals *ar, const struct sess_snap *s,
		     int recount, struct sess_err *err);

/* The export line of an 's' snapshot:
 * {"id","layout":"2","at":MS,"expireAt":MS|0,"pttl":MS|-1,"meta":{...},
 *  "events":[...],"history":[...],"checkpoints":{...},"eventids":{...}}
 * entries as their stored text. Caller frees. */
cJSON *sess_snap_to_json(const struct sess_snap *s);
/* Read an export line back into s ('s' form). Wrong shapes, an invalid id
 * or an unknown layout are SESS_E_DATA naming the member. */
int sess_snap_from_json(struct sess_snap *s, const cJSON *o,
			struct sess_err *err);
/* The same, moving the strings out of o instead of copying them (import
 * reads each line once): o's string items are left without their text,
 * for cJSON_Delete only. */
int sess_snap_from_json_take(struct sess_snap *s, cJSON *o, struct sess_err *err);

/* Compare two 's' snapshots of one session: adds the names of what
 * differs ("meta.state", "events", "history", "checkpoints", "eventids",
 * "ttl") to diff (a JSON array). ttl_tol_ms: the expiry tolerance. skip:
 * meta fields to leave out (NULL-terminated, may be NULL). Returns the
 * number of differences. */
int sess_snap_diff(const struct sess_snap *a, const struct sess_snap *b,
		   long long ttl_tol_ms, const char *const *skip, cJSON *diff);

#endif
