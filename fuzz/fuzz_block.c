/* fuzz_block.c - a saved replay's block as sess_replay_block_each reads
 * it (src/core/replay.c): "SKB1", the SHA-1 of the rest, a zstd frame of
 * a snapshot line and columnar records. Blocks are checked by their SHA-1
 * first, which a fuzzer would never get past, so the target makes the
 * block from the input as a writer with the wrong content would:
 *
 *   first byte even: the rest is the block's uncompressed content; it is
 *                    compressed with zstd and given its SHA-1
 *   first byte odd:  the rest is the compressed part (the zstd decoder's
 *                    input); it is given its SHA-1
 *
 * and the input as it is goes through too (the magic and checksum
 * checks). Each record is folded from the block's snapshot on, as
 * `sess-replay` does when it plays a saved replay.
 */
#include <zstd.h>

#include <cjson/cJSON.h>

#include "core/history/fold.h"
#include "sess-replay/saved.h"
#include "core/base/sha1.h"
#include "fuzz.h"

#define HDR 24

struct st {
	struct sess_fold f;
	struct sess_err err;
	int restored;
};

static int each(int kind, const char *text, size_t len, void *p)
{
	struct st *s = p;

	if (!s->restored)
		return 0;
	if (kind == SESS_REC_EVENT)
		sess_fold_event(&s->f, text, len, &s->err);
	else
		sess_fold_record(&s->f, text, len, &s->err);
	return 0;
}

static void read_block(const unsigned char *blk, size_t len)
{
	struct st s;
	cJSON *snap = NULL;

	memset(&s, 0, sizeof s);
	/* the snapshot alone first (sess_replay_start), then the records */
	if (sess_replay_block_each(blk, len, &snap, NULL, NULL, &s.err) == 0 && snap) {
		s.restored = sess_fold_restore(&s.f, snap, 1, &s.err) == 0;
		cJSON_Delete(snap);
		snap = NULL;
		sess_replay_block_each(blk, len, &snap, each, &s, &s.err);
		cJSON_Delete(snap);
		sess_fold_free(&s.f); /* restore initialised it whatever happened */
	}
}

static unsigned char *wrap(const unsigned char *z, size_t zn, size_t *len)
{
	unsigned char *b = malloc(HDR + zn);
	struct sess_sha1 c;
	char hex[SESS_SHA1_HEX];
	int i;

	if (!b)
		return NULL;
	memcpy(b, "SKB1", 4);
	if (zn)
		memcpy(b + HDR, z, zn);
	sess_sha1_init(&c);
	sess_sha1_add(&c, b + HDR, zn);
	sess_sha1_hex(&c, hex);
	for (i = 0; i < 20; i++) {
		unsigned hi = (unsigned)(hex[2 * i] <= '9' ? hex[2 * i] - '0' : hex[2 * i] - 'a' + 10);
		unsigned lo = (unsigned)(hex[2 * i + 1] <= '9' ? hex[2 * i + 1] - '0' : hex[2 * i + 1] - 'a' + 10);
		b[4 + i] = (unsigned char)(hi << 4 | lo);
	}
	*len = HDR + zn;
	return b;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sess_err err;
	unsigned char *blk = NULL, *z = NULL;
	size_t len = 0;

	sess_replay_block_each(data, size, NULL, NULL, NULL, &err);
	if (size < 1)
		return 0;
	if (data[0] & 1) {
		blk = wrap(data + 1, size - 1, &len);
	} else {
		size_t bound = ZSTD_compressBound(size - 1), zn;
		if (!(z = malloc(bound)))
			return 0;
		zn = ZSTD_compress(z, bound, data + 1, size - 1, 1);
		if (!ZSTD_isError(zn))
			blk = wrap(z, zn, &len);
		free(z);
	}
	if (blk)
		read_block(blk, len);
	free(blk);
	return 0;
}
