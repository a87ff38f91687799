/* sha1.h - SHA-1 (FIPS 180-4), for the history's hash chain, from
 * OpenSSL's libcrypto (EVP).
 *
 * The chain is computed on the server by the session scripts with Redis's
 * redis.sha1hex and checked here, so both must agree byte for byte; SHA-1
 * is what Redis's Lua offers. The chain is evidence that a history was not
 * edited by accident or by a tool gone wrong, not a defence against an
 * attacker who can write to Redis (they could rewrite the chain too).
 * Pure module: no I/O.
 *
 * A failure means libcrypto gave no SHA-1 (out of memory, or a provider
 * configuration without it): the functions that can fail return -1 and
 * leave "" in out, which never equals a stored digest. */
#ifndef SESS_SHA1_H
#define SESS_SHA1_H

#include <stddef.h>
#include <stdint.h>

#define SESS_SHA1_HEX 41 /* 40 hex digits and a NUL */

/* A digest being made. Every sess_sha1_init is ended by one
 * sess_sha1_hex, which frees what init took, or by sess_sha1_free (copy
 * one with sess_sha1_copy, never by assignment). */
struct sess_sha1 {
	void *ctx;   /* EVP_MD_CTX; NULL once failed */
};

int sess_sha1_init(struct sess_sha1 *c);
void sess_sha1_add(struct sess_sha1 *c, const void *data, size_t n);
/* dst (not initialised) becomes a second digest with src's input so far. */
int sess_sha1_copy(struct sess_sha1 *dst, const struct sess_sha1 *src);
/* The digest as 40 lowercase hex digits (what redis.sha1hex returns);
 * frees c. */
int sess_sha1_hex(struct sess_sha1 *c, char out[SESS_SHA1_HEX]);
/* Frees a digest not ended by sess_sha1_hex (none: nothing). */
void sess_sha1_free(struct sess_sha1 *c);
/* out = sha1hex(data): one call; no allocation after the first (the
 * context sess_sha1_link keeps). */
int sess_sha1_hex_of(const void *data, size_t n, char out[SESS_SHA1_HEX]);

/* out = sha1hex(prev .. rec): one link of the chain (prev "" at the
 * start). out may be prev. No allocation after the first call. */
int sess_sha1_link(const char *prev, const char *rec, size_t len,
		   char out[SESS_SHA1_HEX]);

#endif
