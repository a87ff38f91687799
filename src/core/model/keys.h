/* keys.h - the ONLY place that builds Redis key and channel names.
 *
 * Every key of one session carries the session id as a cluster hash tag,
 * "PREFIX:{ID}:...", so all of a session lives in one slot and one script can
 * change it atomically on a single server and on Redis Cluster alike. What
 * describes many sessions (index, stats, agent indexes, fence) is in
 * companion keys that share the sessions' slot (layout 3, schema.h).
 * The layout is documented in sesskit-layout(7).
 */
#ifndef SESS_KEYS_H
#define SESS_KEYS_H

#include <stddef.h>

#include "core/base/err.h"
#include "core/base/schema.h"

#define SESS_ID_MAX SESS_S_ID_MAX /* longest session or agent id */
#define SESS_PREFIX_MAX 32  /* longest key prefix */
#define SESS_KEY_MAX (SESS_PREFIX_MAX + SESS_ID_MAX + 32)

/* Validate a session, agent or event id: 1..128 characters of
 * [A-Za-z0-9._] plus '-', '@' and ':' after the first character. No braces
 * (hash tags), glob characters, spaces or control characters, so an id can
 * never widen a pattern or move a key to another slot. what names the id
 * in the message ("session id", "agent id"). */
int sess_key_check_id(const char *id, const char *what, struct sess_err *err);

/* Validate a key prefix: 1..32 characters of [A-Za-z0-9._], plus '-' and
 * ':' after the first. */
int sess_key_check_prefix(const char *prefix, struct sess_err *err);

/* Per-session keys. buf must hold SESS_KEY_MAX bytes; ids must have passed
 * sess_key_check_id. */
void sess_key_meta(char *buf, const char *prefix, const char *id);
void sess_key_events(char *buf, const char *prefix, const char *id);
void sess_key_checkpoints(char *buf, const char *prefix, const char *id);
void sess_key_dedup(char *buf, const char *prefix, const char *id);
void sess_key_channel(char *buf, const char *prefix, const char *id);
void sess_key_history(char *buf, const char *prefix, const char *id);
/* The staged copy of the session's key number part (0..SESS_NKEYS-1, the
 * struct sess_keys order) on a migration target (dump.h). */
void sess_key_arriving(char *buf, const char *prefix, const char *id, int part);

/* Companion keys (layout 3, schema.h): PREFIX:#{TAG}:SUFFIX. tag is
 * SESS_S_TAG_ONE on a standalone server, a slot's tag on a cluster
 * (sess_key_tag). */
void sess_key_index(char *buf, const char *prefix, const char *tag);
void sess_key_stats(char *buf, const char *prefix, const char *tag);
void sess_key_agents(char *buf, const char *prefix, const char *tag);
void sess_key_agent(char *buf, const char *prefix, const char *tag, const char *agent);
/* The create fence of the sessions of tag: PREFIX:#{TAG}:fence (a
 * fenced standalone server has one; a fenced cluster one per slot). */
void sess_key_fence(char *buf, const char *prefix, const char *tag);
/* The index of saved replays of tag's sessions (sess-replay/saved.h). */
void sess_key_replays(char *buf, const char *prefix, const char *tag);
/* The channel of every session of a cluster slot's tag,
 * PREFIX:#{TAG}:notify: the session scripts SPUBLISH each message on the
 * session's channel and on this one (prelude.lua), so a listener of every
 * session subscribes to one channel per slot (session/listen.h). */
void sess_key_slot_channel(char *buf, const char *prefix, const char *tag);
/* The companion tag of session id: SESS_S_TAG_ONE unless per_slot, else
 * the tag of the id's slot (a static string). */
const char *sess_key_tag(const char *id, int per_slot);

/* Layout 2's global keys (sess-migrate reads a layout-2 source, sessctl
 * upgrade moves them): PREFIX:SUFFIX, and PREFIX:agent:AGENT when agent
 * is not NULL (suffix then ignored). */
void sess_key_global(char *buf, const char *prefix, const char *suffix, const char *agent);

/* The layout marker PREFIX:layout (outside any tag: read once). */
void sess_key_layout(char *buf, const char *prefix);
/* A migration task's keys: PREFIX:migrate:TASK when part is NULL, else
 * PREFIX:migrate:TASK:PART (done, backup, plan); task NULL gives the
 * registry PREFIX:migrate:tasks. task must have passed sess_key_check_id. */
void sess_key_migrate(char *buf, const char *prefix, const char *task,
		      const char *part);

/* A sync task's lag, as sess-migrate sync writes it into the task's hash
 * at each lag line (sess-health exports it): when (epoch ms), the seconds
 * the target is behind, the sessions pending and the events they lack (a
 * lower bound when lagEstimate is 1). */
#define SESS_MTASK_F_LAG_AT "lagAt"
#define SESS_MTASK_F_LAG_SECONDS "lagSeconds"
#define SESS_MTASK_F_LAG_PENDING "lagPending"
#define SESS_MTASK_F_LAG_EVENTS "lagEvents"
#define SESS_MTASK_F_LAG_ESTIMATE "lagEstimate"

/* A migration task's per-slot part on a cluster target (layout 3: its
 * marks, backups and upkeep set share the slot of the sessions they are
 * about): PREFIX:#{TAG}:migrate:TASK:PART (done, backup, upkeep). */
void sess_key_migrate_at(char *buf, const char *prefix, const char *tag,
			 const char *task, const char *part);

/* The pattern matching every session's channel, for PSUBSCRIBE. */
void sess_key_channel_pattern(char *buf, const char *prefix);

/* The pattern matching every session's meta key, for SCAN MATCH. */
void sess_key_meta_pattern(char *buf, const char *prefix);
/* A saved replay: PREFIX:replay:{ID} (the session's slot). */
void sess_key_replay(char *buf, const char *prefix, const char *id);
/* The keyspace-notification pattern of every session's meta key in
 * database db: __keyspace@DB__:PREFIX:{*}:meta (for PSUBSCRIBE); buf
 * holds SESS_KEY_MAX + 32 bytes. */
void sess_key_keyspace_pattern(char *buf, const char *prefix, int db);
/* The session id a channel names, where the channel is a session's
 * (PREFIX:{ID}:notify) or a keyspace channel of one of its keys
 * (__keyspace@DB__:PREFIX:{ID}:...): copied into id (SESS_ID_MAX + 1
 * bytes). Returns 0, or -1 when the channel names no valid session id. */
int sess_key_channel_id(const char *channel, const char *prefix, char *id);


/* The meta hash field that marks agent A as a member: "agent:A". */
void sess_key_agent_field(char *buf, const char *agent);

/* The agent a meta hash field names ("agent:A" -> "A", pointing into
 * field), or NULL when the field is not an agent's. */
const char *sess_key_field_agent(const char *field);

/* The keys of one session, in the session scripts' KEYS order: meta,
 * events, checkpoints, eventids, history (SESS_NKEYS of them), then its
 * companions index, stats, agents (SESS_NKEYS_ALL in all: what the
 * scripts that change the index and counters take). */
#define SESS_NKEYS 5
#define SESS_NKEYS_ALL 8
struct sess_keys {
	char meta[SESS_KEY_MAX], events[SESS_KEY_MAX], cps[SESS_KEY_MAX],
		dedup[SESS_KEY_MAX], history[SESS_KEY_MAX];
	char index[SESS_KEY_MAX], stats[SESS_KEY_MAX], agents[SESS_KEY_MAX];
	const char *v[SESS_NKEYS_ALL];
};
/* The session's keys; the companions stay "" until sess_keys_tag. */
void sess_keys_init(struct sess_keys *k, const char *prefix, const char *id);
/* Its companions of tag (sess_key_tag; session/tags.h picks it). */
void sess_keys_tag(struct sess_keys *k, const char *prefix, const char *tag);

/* The session id of the pub/sub probe: its channel PREFIX:{__sesskit_health__}:notify
 * matches the session channel pattern, so the round trip crosses the same
 * path real notifications take, and watchers recognise (and skip) it by
 * this id. No session of that id is ever created. */
#define SESS_PROBE_ID "__sesskit_health__"

#endif
