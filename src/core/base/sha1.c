/* sha1.c - SHA-1 from libcrypto (sha1.h). The digest is fetched once; the
 * chain's links reuse one context per thread, so a link costs the hashing
 * and no allocation (about 3x what our own SHA-1 did, which this
 * replaced: tools/bench-sha1). */
#include "core/base/sha1.h"

#include <string.h>

#include <openssl/evp.h>

static EVP_MD *md_fetched;

/* SHA-1, fetched from the default library context once (an implicit
 * fetch by EVP_sha1() per init costs a lookup each time). */
static const EVP_MD *sha1_md(void)
{
	if (!md_fetched) {
		EVP_MD *m = EVP_MD_fetch(NULL, "SHA1", NULL);
		if (!m)
			return NULL;
		/* two threads may both fetch: keep one, free the other */
		if (!__atomic_compare_exchange_n(&md_fetched, &(EVP_MD *){NULL}, m, 0,
						 __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
			EVP_MD_free(m);
	}
	return __atomic_load_n(&md_fetched, __ATOMIC_ACQUIRE);
}

static void to_hex(const unsigned char *d, char out[SESS_SHA1_HEX])
{
	int i;

	for (i = 0; i < 20; i++) {
		out[2 * i] = "0123456789abcdef"[d[i] >> 4];
		out[2 * i + 1] = "0123456789abcdef"[d[i] & 15];
	}
	out[40] = '\0';
}

static int fail(char out[SESS_SHA1_HEX])
{
	out[0] = '\0';
	return -1;
}

int sess_sha1_init(struct sess_sha1 *c)
{
	const EVP_MD *md = sha1_md();

	c->ctx = md ? EVP_MD_CTX_new() : NULL;
	if (c->ctx && !EVP_DigestInit_ex2(c->ctx, md, NULL)) {
		EVP_MD_CTX_free(c->ctx);
		c->ctx = NULL;
	}
	return c->ctx ? 0 : -1;
}

void sess_sha1_add(struct sess_sha1 *c, const void *data, size_t n)
{
	if (c->ctx && n && !EVP_DigestUpdate(c->ctx, data, n)) {
		EVP_MD_CTX_free(c->ctx);
		c->ctx = NULL;
	}
}

int sess_sha1_copy(struct sess_sha1 *dst, const struct sess_sha1 *src)
{
	dst->ctx = src->ctx ? EVP_MD_CTX_new() : NULL;
	if (dst->ctx && !EVP_MD_CTX_copy_ex(dst->ctx, src->ctx)) {
		EVP_MD_CTX_free(dst->ctx);
		dst->ctx = NULL;
	}
	return dst->ctx ? 0 : -1;
}

int sess_sha1_hex(struct sess_sha1 *c, char out[SESS_SHA1_HEX])
{
	unsigned char d[EVP_MAX_MD_SIZE];
	unsigned int n = 0;
	int ok = c->ctx && EVP_DigestFinal_ex(c->ctx, d, &n) && n == 20;

	EVP_MD_CTX_free(c->ctx);
	c->ctx = NULL;
	if (!ok)
		return fail(out);
	to_hex(d, out);
	return 0;
}

void sess_sha1_free(struct sess_sha1 *c)
{
	EVP_MD_CTX_free(c->ctx);
	c->ctx = NULL;
}


/* the chain's context, kept for the thread's life (one small context
 * per thread that ever links) */
static __thread EVP_MD_CTX *link_ctx;

int sess_sha1_link(const char *prev, const char *rec, size_t len,
		   char out[SESS_SHA1_HEX])
{
	const EVP_MD *md = sha1_md();
	unsigned char d[EVP_MAX_MD_SIZE];
	unsigned int n = 0;
	size_t plen = strlen(prev);

	if (!md || (!link_ctx && !(link_ctx = EVP_MD_CTX_new())))
		return fail(out);
	if (!EVP_DigestInit_ex2(link_ctx, md, NULL) || (plen && !EVP_DigestUpdate(link_ctx, prev, plen)) ||
	    (len && !EVP_DigestUpdate(link_ctx, rec, len)) || !EVP_DigestFinal_ex(link_ctx, d, &n) || n != 20)
		return fail(out);
	to_hex(d, out);
	return 0;
}

int sess_sha1_hex_of(const void *data, size_t n, char out[SESS_SHA1_HEX])
{
	/* sha1hex("" .. data), on the thread's kept context */
	return sess_sha1_link("", data, n, out);
}
