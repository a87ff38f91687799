/* sha1.h - SHA-1 (FIPS 180-4), for the history's hash chain.
 *
 * The chain is computed on the server by the session scripts with Redis's
 * redis.sha1hex and checked here, so both must agree byte for byte; SHA-1
 * is what Redis's Lua offers. The chain is evidence that a history was not
 * edited by accident or by a tool gone wrong, not a defence against an
 * attacker who can write to Redis (they could rewrite the chain too).
 * Pure module: no I/O.
 */
#ifndef SESS_SHA1_H
#define SESS_SHA1_H

#include <stddef.h>
#include <stdint.h>

#define SESS_SHA1_HEX 41 /* 40 hex digits and a NUL */

struct sess_sha1 {
	uint32_t h[5];
	uint64_t len;          /* bytes so far */
	unsigned char buf[64];
	size_t nbuf;
};

void sess_sha1_init(struct sess_sha1 *c);
void sess_sha1_add(struct sess_sha1 *c, const void *data, size_t n);
/* The digest as 40 lowercase hex digits (what redis.sha1hex returns). */
void sess_sha1_hex(struct sess_sha1 *c, char out[SESS_SHA1_HEX]);

/* out = sha1hex(prev .. rec): one link of the chain (prev "" at the start). */
void sess_sha1_link(const char *prev, const char *rec, size_t len,
		    char out[SESS_SHA1_HEX]);

#endif
