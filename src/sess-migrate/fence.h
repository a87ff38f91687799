/* fence.h - the fence of a server whose data moved (sess-migrate sync
 * --cutover, sess-migrate unfence): every write there is refused with
 * "this data moved to TARGET; point clients at it" (error kind "moved",
 * class SESS_E_UNAVAILABLE, exit 69); reads still work.
 *
 * Two parts (sesskit-layout(7)):
 *   PREFIX:#{all}:fence  STRING  where the data went (the one tag: sess-migrate
 *                          runs on standalone servers); create.lua refuses a new
 *                          session while it exists
 *   meta "moved"   field   on every session, the same text; the writing
 *                          scripts read it in the HMGET they already do
 *                          (prelude.lua load_meta) and refuse
 * The global key is set first, so no session can be created behind the
 * walk that fences the existing ones. The walk is a SCAN of the meta keys,
 * not the index: the index may drift, and a session it misses must be
 * fenced too. Each field is set by a script (fence.lua) that only touches
 * a session that exists, so a session expiring meanwhile is not revived.
 */
#ifndef SESS_FENCE_H
#define SESS_FENCE_H

#include <stddef.h>

#include "core/redis/conn.h"

/* Fence the server c (sessions under prefix): where is the description
 * clients are told (a URL without its password), 1..512 bytes. n (may be
 * NULL) gets how many sessions were fenced. Idempotent: running it again
 * fences sessions that arrived since. tick (may be NULL) is called with
 * arg after each page of the walk (a few hundred sessions): sync
 * --cutover's heartbeat goes on while a big server is fenced. */
int sess_fence_set(struct sess_conn *c, const char *prefix, const char *where,
		   long *n, void (*tick)(void *arg), void *arg, struct sess_err *err);

/* Lift the fence: the global key, then every session's field. n as above. */
int sess_fence_lift(struct sess_conn *c, const char *prefix, long *n,
		    struct sess_err *err);

/* The global fence's text into buf (size bytes), "" when not fenced. */
int sess_fence_get(struct sess_conn *c, const char *prefix, char *buf,
		   size_t size, struct sess_err *err);

#endif
