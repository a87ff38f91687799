#include "core/base/sha1.h"

#include <stdio.h>
#include <string.h>

static uint32_t rol(uint32_t x, int n)
{
	return (x << n) | (x >> (32 - n));
}

/* One 64-byte block. The four kinds of round are written out, with the
 * message schedule kept in 16 words and extended as the rounds go: the
 * loop with a branch per round and an 80-word schedule cost twice as much,
 * and every stored record (sess-validate, sess-replay verify) passes here. */
#define SCHED(i) (w[(i) & 15] = rol(w[((i) + 13) & 15] ^ w[((i) + 8) & 15] ^ \
				    w[((i) + 2) & 15] ^ w[(i) & 15], 1))
#define ROUND(a, b, c, d, e, f, k, x) \
	do { \
		e += rol(a, 5) + (f) + (k) + (x); \
		b = rol(b, 30); \
	} while (0)
#define F1(b, c, d) (d ^ (b & (c ^ d)))
#define F2(b, c, d) (b ^ c ^ d)
#define F3(b, c, d) ((b & c) | (d & (b | c)))
/* five rounds, the variables turning one place each round */
#define FIVE(F, k, i, X) \
	do { \
		ROUND(a, b, c, d, e, F(b, c, d), k, X(i)); \
		ROUND(e, a, b, c, d, F(a, b, c), k, X((i) + 1)); \
		ROUND(d, e, a, b, c, F(e, a, b), k, X((i) + 2)); \
		ROUND(c, d, e, a, b, F(d, e, a), k, X((i) + 3)); \
		ROUND(b, c, d, e, a, F(c, d, e), k, X((i) + 4)); \
	} while (0)
#define W0(i) w[i]

static void block(struct sess_sha1 *ctx, const unsigned char *p)
{
	uint32_t w[16], a, b, c, d, e;
	int i;

	for (i = 0; i < 16; i++)
		w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 |
		       (uint32_t)p[4 * i + 2] << 8 | (uint32_t)p[4 * i + 3];
	a = ctx->h[0];
	b = ctx->h[1];
	c = ctx->h[2];
	d = ctx->h[3];
	e = ctx->h[4];
	FIVE(F1, 0x5a827999, 0, W0);
	FIVE(F1, 0x5a827999, 5, W0);
	FIVE(F1, 0x5a827999, 10, W0);
	ROUND(a, b, c, d, e, F1(b, c, d), 0x5a827999, w[15]);
	ROUND(e, a, b, c, d, F1(a, b, c), 0x5a827999, SCHED(16));
	ROUND(d, e, a, b, c, F1(e, a, b), 0x5a827999, SCHED(17));
	ROUND(c, d, e, a, b, F1(d, e, a), 0x5a827999, SCHED(18));
	ROUND(b, c, d, e, a, F1(c, d, e), 0x5a827999, SCHED(19));
	for (i = 20; i < 40; i += 5)
		FIVE(F2, 0x6ed9eba1, i, SCHED);
	for (i = 40; i < 60; i += 5)
		FIVE(F3, 0x8f1bbcdc, i, SCHED);
	for (i = 60; i < 80; i += 5)
		FIVE(F2, 0xca62c1d6, i, SCHED);
	ctx->h[0] += a;
	ctx->h[1] += b;
	ctx->h[2] += c;
	ctx->h[3] += d;
	ctx->h[4] += e;
}

void sess_sha1_init(struct sess_sha1 *c)
{
	static const uint32_t iv[5] = {0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476, 0xc3d2e1f0};

	memcpy(c->h, iv, sizeof iv);
	c->len = 0;
	c->nbuf = 0;
}

void sess_sha1_add(struct sess_sha1 *c, const void *data, size_t n)
{
	const unsigned char *p = data;

	c->len += n;
	if (c->nbuf) {
		size_t take = 64 - c->nbuf < n ? 64 - c->nbuf : n;
		memcpy(c->buf + c->nbuf, p, take);
		c->nbuf += take;
		p += take;
		n -= take;
		if (c->nbuf < 64)
			return;
		block(c, c->buf);
		c->nbuf = 0;
	}
	for (; n >= 64; p += 64, n -= 64)
		block(c, p);
	memcpy(c->buf, p, n);
	c->nbuf = n;
}

void sess_sha1_hex(struct sess_sha1 *c, char out[SESS_SHA1_HEX])
{
	unsigned char pad[72] = {0x80};
	uint64_t bits = c->len * 8;
	size_t npad = (c->nbuf < 56 ? 56 : 120) - c->nbuf;
	int i;

	for (i = 0; i < 8; i++)
		pad[npad + (size_t)i] = (unsigned char)(bits >> (56 - 8 * i));
	sess_sha1_add(c, pad, npad + 8);
	for (i = 0; i < 40; i++)
		out[i] = "0123456789abcdef"[(c->h[i / 8] >> (28 - 4 * (i % 8))) & 15];
	out[40] = '\0';
}

void sess_sha1_link(const char *prev, const char *rec, size_t len,
		    char out[SESS_SHA1_HEX])
{
	struct sess_sha1 c;

	sess_sha1_init(&c);
	sess_sha1_add(&c, prev, strlen(prev));
	sess_sha1_add(&c, rec, len);
	sess_sha1_hex(&c, out);
}
