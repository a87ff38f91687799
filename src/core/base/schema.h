/* schema.h - every name and limit of the data layout, defined once.
 *
 * C uses these macros; the Lua scripts get the same values as Lua
 * constants generated at build time (tools/embed-lua reads every
 * `#define SESS_S_NAME "value"` and `#define SESS_S_NAME number` line of
 * this file and prepends `local S_NAME = ...` to each script), so a name
 * changed here changes everywhere. Only lines of exactly that shape are
 * read: keep one definition a line. The layout is documented in
 * sesskit-layout(7); a change here changes the layout version.
 */
#ifndef SESS_SCHEMA_H
#define SESS_SCHEMA_H

/* The layout version stored in each session's meta hash (field v) and in
 * PREFIX:layout. Tools refuse a version they do not know. */
#define SESS_S_LAYOUT "3"
/* the layouts an in-place upgrade reads (sess_upgrade, upgrade.lua): 2
 * (no companion keys) and 1 (no history either) */
#define SESS_S_LAYOUT_PREV "2"
#define SESS_S_LAYOUT_OLD "1"

/* Per-session key suffixes: PREFIX:{ID}:SUFFIX */
#define SESS_S_KEY_META "meta"
#define SESS_S_KEY_EVENTS "events"
#define SESS_S_KEY_CHECKPOINTS "checkpoints"
#define SESS_S_KEY_EVENTIDS "eventids"
#define SESS_S_KEY_NOTIFY "notify"
#define SESS_S_KEY_HISTORY "history"
/* a migration's staged copy of one of them: PREFIX:{ID}:arriving:SUFFIX
 * (only inside the MULTI of a put, dump.h; a lost put's expire in
 * SESS_S_STAGE_TTL ms) */
#define SESS_S_KEY_ARRIVING "arriving"
#define SESS_S_STAGE_TTL 600000

/* Companion keys (layout 3): what describes many sessions lives beside
 * them, PREFIX:#{TAG}:SUFFIX (agent indexes PREFIX:#{TAG}:agent:AGENT),
 * where TAG is SESS_S_TAG_ONE on a standalone server (one set for every
 * session) and, on a cluster, the slot tag of the session's own slot
 * (core/model/slot.h), so every session script updates them atomically
 * with the session and no key is written by every emit. The '#' keeps
 * them apart from a session's PREFIX:{ID}: keys. Before layout 3 they
 * were PREFIX:SUFFIX (sessctl upgrade moves them;
 * sess-migrate refuses a side that has them). */
#define SESS_S_COMPANION "#"
/* The index score of a session whose keys have no TTL (Redis's largest
 * expiry time): maintenance and upgrade write it. */
#define SESS_S_NO_EXPIRY 253402300799000
/* The one tag of a standalone server's companions */
#define SESS_S_TAG_ONE "all"
/* Companion key suffixes: PREFIX:#{TAG}:SUFFIX (an agent's index:
 * PREFIX:#{TAG}:agent:AGENT); the layout marker is PREFIX:layout */
#define SESS_S_KEY_INDEX "index"
#define SESS_S_KEY_STATS "stats"
#define SESS_S_KEY_LAYOUT "layout"
#define SESS_S_KEY_AGENTS "agents"
#define SESS_S_KEY_AGENT "agent"
/* saved replays: PREFIX:replay:{ID} (the session's slot) and their index,
 * a companion of that slot */
#define SESS_S_KEY_REPLAY "replay"
#define SESS_S_KEY_REPLAYS "replays"
/* Migration tasks (sess-migrate), on the target: PREFIX:migrate:TASK[:PART]
 * and the registry PREFIX:migrate:tasks */
#define SESS_S_KEY_MIGRATE "migrate"
/* The fence of a source whose data moved (sess-migrate sync --cutover):
 * the companion PREFIX:#{TAG}:fence holds the target's description; create
 * refuses while its session's exists. */
#define SESS_S_KEY_FENCE "fence"

/* Meta hash fields */
#define SESS_S_F_VERSION "v"
#define SESS_S_F_STATE "state"
#define SESS_S_F_CREATED "created"
#define SESS_S_F_UPDATED "updated"
#define SESS_S_F_SEQ "seq"
#define SESS_S_F_BASE "base"
#define SESS_S_F_TTL "ttl"
#define SESS_S_F_AGENTS "agents"
#define SESS_S_F_CREATOR "creator"
#define SESS_S_F_CPS "cps"
#define SESS_S_F_LASTCP "lastcp"
#define SESS_S_F_REF "ref"
#define SESS_S_F_METADATA "metadata"
#define SESS_S_F_CHAIN "h"
/* Set on each session of a fenced source (value: where the data moved);
 * every writing script refuses the session while it is there. It is the
 * server's state, not the session's: migrations neither copy nor compare
 * it. */
#define SESS_S_F_MOVED "moved"
/* a member agent A is the field "agent:A" (value: when it joined) */
#define SESS_S_F_AGENT_PREFIX "agent:"
#define SESS_S_F_AGENT_PREFIX_LEN 6

/* Stats hash fields (events by type: "type:T") */
#define SESS_S_STAT_SESSIONS "sessions"
#define SESS_S_STAT_EVENTS "events"
#define SESS_S_STAT_COMPLETED "completed"
#define SESS_S_STAT_DELETED "deleted"
#define SESS_S_STAT_TYPE_PREFIX "type:"

/* Session states */
#define SESS_S_WORKING "working"
#define SESS_S_BROKEN "broken"
#define SESS_S_COMPLETED "completed"

/* Limits, the same for flags, batch fields, config and the scripts
 * (limits.h gives C its typed names and the checks) */
#define SESS_S_TTL_MIN 1
#define SESS_S_TTL_MAX 315360000
#define SESS_S_REASON_MAX 64
#define SESS_S_INTERVAL_MAX 100000000
#define SESS_S_MAX_EVENTS_MAX 1000000000
#define SESS_S_SEQ_MAX 9007199254740991
#define SESS_S_ID_MAX 128
#define SESS_S_TYPE_MAX 64

#define SESS_LAYOUT_VERSION SESS_S_LAYOUT

#endif
