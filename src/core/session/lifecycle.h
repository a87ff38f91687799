/* lifecycle.h - create, join, leave, complete, delete and touch a session.
 *
 * Each change runs as one Lua script on the server (atomic), then the
 * global indexes are updated through index.h. Results are cJSON objects in
 * the seeds' field names; the caller owns them (cJSON_Delete). Strings
 * passed in are borrowed. Every function validates its ids first and
 * returns -1 with err set on failure.
 */
#ifndef SESS_LIFECYCLE_H
#define SESS_LIFECYCLE_H

#include "core/session/ctx.h"

/* id NULL or "" makes a new one (sess_new_id); ttl 0 = defaultTTL;
 * metadata_json, when not NULL, must be a JSON object. */
int sess_create(struct sess_ctx *s, const char *id, const char *agent,
		long ttl, const char *metadata_json, cJSON **out,
		struct sess_err *err);
int sess_join(struct sess_ctx *s, const char *id, const char *agent,
	      cJSON **out, struct sess_err *err);
/* The last agent leaving puts the session on graceTTL. */
int sess_leave(struct sess_ctx *s, const char *id, const char *agent,
	       cJSON **out, struct sess_err *err);
int sess_complete(struct sess_ctx *s, const char *id, cJSON **out,
		  struct sess_err *err);
int sess_delete(struct sess_ctx *s, const char *id, cJSON **out,
		struct sess_err *err);
/* ttl 0 keeps the session's TTL and only restarts it. */
int sess_touch(struct sess_ctx *s, const char *id, long ttl, cJSON **out,
	       struct sess_err *err);

#endif
