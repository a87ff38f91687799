/* legacy.h - the TypeScript system's layout (seeds 000 and 002), read and
 * converted into a valid layout-2 session (sess-migrate --from-layout
 * legacy).
 *
 * The TypeScript system keeps, with no prefix and no hash tag:
 *   session:ID  HASH  agentIds (JSON array), state, created, updated
 *   events:ID   ZSET  event JSON scored by seq, in the full shape (type,
 *                     seq, timestamp, actor, changeInfo, stateTransition,
 *                     impact) or the compact serializeEvent one (t, s, ts,
 *                     a, c{e,i,o}, st, imp)
 *   agents:ID   SET   member agents
 * each with a TTL. The conversion keeps ids, seqs, timestamps and the
 * expiry, and writes what create.lua would have: meta (v, state, created,
 * updated, seq, base, ttl, agents, creator, cps 0, lastcp 0, ref, h,
 * agent:A), the events in our compact form, and a history of one
 * "upgrade" record from "legacy" (the lifecycle before it is unknown and
 * not invented, as for a layout-1 upgrade) that starts the chain:
 * h = sha1hex("" .. record).
 */
#ifndef SESS_LEGACY_H
#define SESS_LEGACY_H

#include <cjson/cJSON.h>

#include "core/model/config.h"
#include "sess-migrate/dump.h"
#include "core/redis/pipe.h"

/* Queue the read of legacy session id (one MULTI/EXEC). */
int sess_legacy_queue(struct sess_pipe *p, const char *id, struct sess_err *err);
/* Take it and convert into s ('s' form; s->present 0 when session:ID is
 * gone). cfg gives the TTL for a session kept without one. A session
 * that cannot be converted (bad JSON, seqs with gaps, a bad id) is
 * SESS_E_DATA naming why. */
int sess_legacy_take(struct sess_pipe *p, struct sess_snap *s,
		     const struct sess_config *cfg, struct sess_err *err);

/* Convert from parts already read: hash pairs of session:ID, the event
 * texts in seq order with their scores, the members, the PTTL (ms, <= 0
 * none) and the clock (ms). Used by the take above and by import of
 * legacy lines. */
int sess_legacy_convert(struct sess_snap *s, const struct sess_strv *hash,
			const struct sess_strv *events, const long long *scores,
			const struct sess_strv *agents, long long pttl,
			long long now, const struct sess_config *cfg,
			struct sess_err *err);

#endif
