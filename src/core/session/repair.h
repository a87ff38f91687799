/* repair.h - the writes that bring a session's derived data back in line
 * with what its history implies (sess-validate sessions --repair), each
 * one command built here from the layout (keys.h, schema.h), so no binary
 * spells the layout's writes itself. The caller shows the command (the
 * repair record), lists it (--dry-run) or sends it; which repairs are
 * safe is its judgement (sess-validate never derives one from a history
 * that does not verify, and only raises TTLs and counters).
 *
 * A struct sess_cmd owns its words (copied in); each builder fills the
 * caller's c and returns it. */
#ifndef SESS_REPAIR_H
#define SESS_REPAIR_H

#include "core/model/keys.h"

#define SESS_CMD_WORDS 5
struct sess_cmd {
	int argc;
	char w[SESS_CMD_WORDS][SESS_KEY_MAX + 32];
};

/* HSET of one meta field of session id (state, cps, agents: the derived
 * ones). */
const struct sess_cmd *sess_repair_meta(struct sess_cmd *c, const char *prefix, const char *id,
		      const char *field, const char *value);
/* PEXPIRE of one of a session's keys (its TTL raised to ms). */
const struct sess_cmd *sess_repair_ttl(struct sess_cmd *c, const char *key, long long ms);
/* The session's entry in its companion index (tag: session/tags.h),
 * expiring at expiry (ms). */
const struct sess_cmd *sess_repair_index_add(struct sess_cmd *c, const char *prefix, const char *tag,
					     const char *id, long long expiry);
/* An index entry whose session does not exist, dropped. */
const struct sess_cmd *sess_repair_index_remove(struct sess_cmd *c, const char *prefix,
						const char *tag, const char *id);
/* A stats counter (sessions, completed, events, type:T) of tag raised by by. */
const struct sess_cmd *sess_repair_counter(struct sess_cmd *c, const char *prefix, const char *tag,
					   const char *field, long long by);

/* The key the command writes (its second word). */
const char *sess_cmd_key(const struct sess_cmd *c);

#endif
