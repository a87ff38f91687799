#include "sess-replay/saved.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>

#include "core/model/json.h"
#include "core/model/keys.h"
#include "core/session/tags.h"
#include "core/redis/pipe.h"
#include "core/redis/reply.h"
#include "core/base/schema.h"

#define MAGIC "SKB1"
#define HDR (4 + 20) /* magic and the SHA-1 of the compressed bytes */

static int oom(struct sess_err *err)
{
	return sess_err_set(err, SESS_E_INTERNAL, NULL, "out of memory");
}

static int no_sha1(struct sess_err *err)
{
	return sess_err_set(err, SESS_E_INTERNAL, NULL,
			    "libcrypto gave no SHA-1 for a block's checksum (out of memory, or an OpenSSL configuration without SHA-1)");
}

/* ---- encoding ---- */

static int put(struct sess_replay_enc *e, const void *p, size_t n)
{
	if (e->rawlen + n > e->rawcap) {
		size_t cap = e->rawcap ? 2 * e->rawcap : 65536;
		unsigned char *r;
		while (cap < e->rawlen + n)
			cap *= 2;
		if (!(r = realloc(e->raw, cap)))
			return -1;
		e->raw = r;
		e->rawcap = cap;
	}
	memcpy(e->raw + e->rawlen, p, n);
	e->rawlen += n;
	return 0;
}

static int put_varint(struct sess_replay_enc *e, unsigned long long v)
{
	unsigned char b[10];
	size_t n = 0;

	do {
		b[n++] = (unsigned char)((v & 0x7f) | (v > 0x7f ? 0x80 : 0));
		v >>= 7;
	} while (v);
	return put(e, b, n);
}

static unsigned long long zigzag(long long v)
{
	return ((unsigned long long)v << 1) ^ (unsigned long long)(v >> 63);
}

/* Start a block: the fold state before its first record, one line. */
static int block_start(struct sess_replay_enc *e, struct sess_err *err)
{
	cJSON *snap = sess_fold_snapshot(&e->fold);
	char *text = snap ? cJSON_PrintUnformatted(snap) : NULL;
	int rc;

	cJSON_Delete(snap);
	if (!text)
		return oom(err);
	e->rawlen = 0;
	e->nrec = 0;
	e->prev_ts = e->fold.updated;
	e->block_seq = e->fold.seq;
	rc = put(e, text, strlen(text)) || put(e, "\n", 1);
	cJSON_free(text);
	return rc ? oom(err) : 0;
}

static int block_close(struct sess_replay_enc *e, struct sess_err *err)
{
	struct sess_replay_block *b;
	size_t bound = ZSTD_compressBound(e->rawlen), n;
	unsigned char *out;
	ZSTD_CCtx *z;
	char hex[SESS_SHA1_HEX];
	int i;

	if (!e->nrec)
		return 0;
	if (e->nblocks == e->capblocks) {
		size_t cap = e->capblocks ? 2 * e->capblocks : 16;
		struct sess_replay_block *bl = realloc(e->blocks, cap * sizeof *bl);
		if (!bl)
			return oom(err);
		e->blocks = bl;
		e->capblocks = cap;
	}
	if (!(out = malloc(HDR + bound)) || !(z = ZSTD_createCCtx())) {
		free(out);
		return oom(err);
	}
	/* a small block (a short session is one) at the highest level: it
	 * costs little there and is most of what such a replay stores; no
	 * zstd checksum, the block's SHA-1 covers every byte already */
	ZSTD_CCtx_setParameter(z, ZSTD_c_compressionLevel, e->rawlen <= 65536 ? 19 : e->level);
	n = ZSTD_compress2(z, out + HDR, bound, e->raw, e->rawlen);
	ZSTD_freeCCtx(z);
	if (ZSTD_isError(n)) {
		free(out);
		return sess_err_set(err, SESS_E_INTERNAL, NULL, "zstd: %s", ZSTD_getErrorName(n));
	}
	memcpy(out, MAGIC, 4);
	if (sess_sha1_hex_of(out + HDR, n, hex)) {
		free(out);
		return no_sha1(err);
	}
	for (i = 0; i < 20; i++) {
		unsigned v;
		sscanf(hex + 2 * i, "%2x", &v);
		out[4 + i] = (unsigned char)v;
	}
	b = &e->blocks[e->nblocks++];
	b->data = out;
	b->len = HDR + n;
	b->seq = e->block_seq;
	e->nrec = 0;
	return 0;
}

int sess_replay_enc_init(struct sess_replay_enc *e, const char *id, int interval,
			 const cJSON *start, struct sess_err *err)
{
	memset(e, 0, sizeof *e);
	sess_fold_init(&e->fold, id, 1);
	e->interval = interval > 0 ? interval : SESS_REPLAY_INTERVAL;
	e->level = 9;
	if (start) {
		if (!(e->start = cJSON_Duplicate(start, 1)))
			return oom(err);
		if (sess_fold_from_checkpoint(&e->fold, start, err))
			return -1;
	}
	return 0;
}

/* An event stored as {"s":N,"ts":T,REST: seq is implied by the fold, ts
 * a delta; the rest kept as is. Any other text is kept whole. */
int sess_replay_enc_add(struct sess_replay_enc *e, int kind, const char *text,
			size_t len, struct sess_err *err)
{
	char prefix[64];
	int n;

	if (e->nrec == 0 && block_start(e, err))
		return -1;
	if (kind == SESS_REC_EVENT) {
		if (sess_fold_event(&e->fold, text, len, err))
			return -1;
		if (!e->first_seq)
			e->first_seq = e->fold.seq;
		n = snprintf(prefix, sizeof prefix, "{\"s\":%lld,\"ts\":%lld,", e->fold.seq,
			     e->fold.updated);
		if ((size_t)n < len && !memcmp(text, prefix, (size_t)n)) {
			if (put(e, "E", 1) || put_varint(e, zigzag(e->fold.updated - e->prev_ts)) ||
			    put_varint(e, len - (size_t)n) || put(e, text + n, len - (size_t)n))
				return oom(err);
			e->prev_ts = e->fold.updated;
		} else if (put(e, "X", 1) || put_varint(e, len) || put(e, text, len)) {
			return oom(err);
		}
	} else {
		if (sess_fold_record(&e->fold, text, len, err))
			return -1;
		if (put(e, "H", 1) || put_varint(e, len) || put(e, text, len))
			return oom(err);
	}
	e->raw_bytes += (long long)len;
	if (++e->nrec >= e->interval)
		return block_close(e, err);
	return 0;
}

int sess_replay_enc_finish(struct sess_replay_enc *e, struct sess_err *err)
{
	return block_close(e, err);
}

cJSON *sess_replay_enc_meta(const struct sess_replay_enc *e, long long saved_at)
{
	cJSON *m = cJSON_CreateObject();
	long long stored = 0;
	size_t i;

	if (!m)
		return NULL;
	for (i = 0; i < e->nblocks; i++)
		stored += (long long)e->blocks[i].len;
	cJSON_AddNumberToObject(m, "v", SESS_REPLAY_VERSION);
	cJSON_AddStringToObject(m, "id", e->fold.id);
	cJSON_AddNumberToObject(m, "savedAt", (double)saved_at);
	cJSON_AddNumberToObject(m, "firstSeq", (double)(e->first_seq ? e->first_seq : e->fold.base + 1));
	cJSON_AddNumberToObject(m, "lastSeq", (double)e->fold.seq);
	cJSON_AddNumberToObject(m, "events", (double)e->fold.events);
	cJSON_AddNumberToObject(m, "records", (double)(e->fold.events + e->fold.records));
	cJSON_AddNumberToObject(m, "blocks", (double)e->nblocks);
	cJSON_AddNumberToObject(m, "interval", e->interval);
	cJSON_AddNumberToObject(m, "rawBytes", (double)e->raw_bytes);
	cJSON_AddNumberToObject(m, "storedBytes", (double)stored);
	cJSON_AddStringToObject(m, "chain", e->fold.chain);
	cJSON_AddStringToObject(m, "state", e->fold.known ? e->fold.state : "unknown");
	if (e->start)
		cJSON_AddItemToObject(m, "start", cJSON_Duplicate(e->start, 1));
	{
		cJSON *seqs = cJSON_AddArrayToObject(m, "blockSeqs");
		for (i = 0; seqs && i < e->nblocks; i++)
			cJSON_AddItemToArray(seqs, cJSON_CreateNumber((double)e->blocks[i].seq));
	}
	/* storedBytes: the blocks and this text as it will be stored */
	for (i = 0; i < 4; i++) {
		char *text = cJSON_PrintUnformatted(m);
		long long total = text ? stored + (long long)strlen(text) : stored;
		cJSON *sb = cJSON_GetObjectItemCaseSensitive(m, "storedBytes");
		int same = sb && sess_json_ll(sb, -1) == total;
		cJSON_free(text);
		if (same)
			break;
		cJSON_SetNumberValue(sb, (double)total);
	}
	return m;
}

void sess_replay_enc_free(struct sess_replay_enc *e)
{
	size_t i;

	for (i = 0; i < e->nblocks; i++)
		free(e->blocks[i].data);
	free(e->blocks);
	free(e->raw);
	cJSON_Delete(e->start);
	sess_fold_free(&e->fold);
	memset(e, 0, sizeof *e);
}

/* ---- decoding ---- */

static int get_varint(const unsigned char **p, const unsigned char *end, unsigned long long *v)
{
	int shift = 0;

	*v = 0;
	while (*p < end && shift < 64) {
		unsigned char b = *(*p)++;
		*v |= (unsigned long long)(b & 0x7f) << shift;
		if (!(b & 0x80))
			return 0;
		shift += 7;
	}
	return -1;
}

/* Decimal digits of v (>= 0) at p; returns the count. */
static size_t put_num(char *p, long long v)
{
	char tmp[24];
	size_t n = 0, i;

	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v > 0);
	for (i = 0; i < n; i++)
		p[i] = tmp[n - 1 - i];
	return n;
}

/* {"s":SEQ,"ts":TS, at text (the hot path of rebuilding events: no
 * printf); returns its length. */
static size_t event_prefix(char *text, long long seq, long long ts)
{
	size_t n = 0;

	memcpy(text, "{\"s\":", 5);
	n = 5;
	n += put_num(text + n, seq);
	memcpy(text + n, ",\"ts\":", 6);
	n += 6;
	n += put_num(text + n, ts);
	text[n++] = ',';
	return n;
}

/* A snapshot's number: 0 when absent, -1 when not one in +-2^53-1. */
static int snap_num(const cJSON *v, long long *out)
{
	*out = 0;
	if (!v)
		return 0;
	if (!cJSON_IsNumber(v) || !(v->valuedouble >= -(double)SESS_S_SEQ_MAX && v->valuedouble <= (double)SESS_S_SEQ_MAX))
		return -1;
	*out = (long long)v->valuedouble;
	return 0;
}

static int corrupt(struct sess_err *err, const char *what)
{
	return sess_err_set(err, SESS_E_DATA, "corrupt_replay",
			    "a saved replay's block is damaged (%s); save the session again if it still exists",
			    what);
}

/* Checked before a block's records are given: its snapshot. */
struct block_pre {
	const char *id;
	long n;             /* the block's number */
	double want_seq;    /* where the meta says it starts */
	sess_replay_snap_fn snapfn;
};

static int block_decode(const unsigned char *data, size_t len, cJSON **snap,
			const struct block_pre *bp, sess_record_fn fn, void *arg, struct sess_err *err);

int sess_replay_block_each(const unsigned char *data, size_t len, cJSON **snap,
			   sess_record_fn fn, void *arg, struct sess_err *err)
{
	return block_decode(data, len, snap, NULL, fn, arg, err);
}

static int block_decode(const unsigned char *data, size_t len, cJSON **snap,
			const struct block_pre *bp, sess_record_fn fn, void *arg, struct sess_err *err)
{
	char hex[SESS_SHA1_HEX], want[SESS_SHA1_HEX];
	unsigned long long size;
	unsigned char *raw = NULL;
	const unsigned char *p, *end, *nl;
	cJSON *s = NULL;
	long long seq, ts;
	char *text = NULL;
	size_t cap = 0, n;
	int i, rc = -1;

	if (snap)
		*snap = NULL;
	if (len < HDR || memcmp(data, MAGIC, 4))
		return corrupt(err, "not a block");
	if (sess_sha1_hex_of(data + HDR, len - HDR, hex))
		return no_sha1(err);
	for (i = 0; i < 20; i++)
		snprintf(want + 2 * i, 3, "%02x", data[4 + i]);
	if (strcmp(hex, want))
		return sess_err_set(err, SESS_E_DATA, "checksum_mismatch",
				    "a saved replay's block fails its checksum (SHA-1 %s, stored %s): it was changed after it was saved",
				    hex, want);
	size = ZSTD_getFrameContentSize(data + HDR, len - HDR);
	if (size == ZSTD_CONTENTSIZE_ERROR || size == ZSTD_CONTENTSIZE_UNKNOWN || size > (1ULL << 32))
		return corrupt(err, "no content size");
	/* a zstd block gives at most 128 KiB from at least 4 bytes (an RLE
	 * block): a larger size is a lie, not memory to ask for */
	if (size > (unsigned long long)(len - HDR) * 32768)
		return corrupt(err, "content size beyond what the frame can hold");
	if (!(raw = malloc(size ? size : 1)))
		return oom(err);
	n = ZSTD_decompress(raw, size, data + HDR, len - HDR);
	if (ZSTD_isError(n) || n != size) {
		corrupt(err, ZSTD_isError(n) ? ZSTD_getErrorName(n) : "short");
		goto done;
	}
	p = raw;
	end = raw + n;
	if (!(nl = memchr(p, '\n', n)) || !(s = cJSON_ParseWithLength((const char *)p, (size_t)(nl - p)))) {
		corrupt(err, "no snapshot");
		goto done;
	}
	if (bp) {
		/* the snapshot is where the meta says the block starts, and what
		 * the records before it fold to (snapfn: the caller's fold) */
		const cJSON *sq = cJSON_GetObjectItemCaseSensitive(s, "seq");
		if ((cJSON_IsNumber(sq) ? sq->valuedouble : 0) != bp->want_seq) {
			sess_err_set(err, SESS_E_DATA, "corrupt_replay",
				     "saved replay %s: block %ld does not start at the seq its meta says; it was changed after it was saved",
				     bp->id, bp->n);
			goto done;
		}
		if (bp->snapfn && bp->snapfn(bp->n, s, arg))
			goto done;
	}
	if (!fn) { /* the snapshot alone */
		rc = 0;
		goto done;
	}
	/* a snapshot leaves out what is zero (sess_fold_snapshot); one out
	 * of range is damage (1e300 does not convert, 2^63 - 1 overflows) */
	if (snap_num(cJSON_GetObjectItemCaseSensitive(s, "seq"), &seq) ||
	    snap_num(cJSON_GetObjectItemCaseSensitive(s, "updated"), &ts)) {
		corrupt(err, "bad snapshot");
		goto done;
	}
	p = nl + 1;
	while (p < end) {
		char kind = (char)*p++;
		unsigned long long d = 0, l;
		size_t pre = 0;

		if ((kind == 'E' && get_varint(&p, end, &d)) || get_varint(&p, end, &l) ||
		    l > (unsigned long long)(end - p) || (kind != 'E' && kind != 'X' && kind != 'H')) {
			corrupt(err, "bad record");
			goto done;
		}
		if (cap < l + 64) {
			char *t = realloc(text, l + 64);
			if (!t) {
				oom(err);
				goto done;
			}
			text = t;
			cap = l + 64;
		}
		if (kind == 'E') {
			/* wrapping, not overflowing, on a damaged delta */
			ts = (long long)((unsigned long long)ts + ((d >> 1) ^ (~(d & 1) + 1)));
			pre = event_prefix(text, ++seq, ts);
		} else if (kind == 'X') {
			/* kept whole; its seq still counts */
			seq++;
		}
		memcpy(text + pre, p, l);
		text[pre + l] = '\0'; /* texts are strings, as Redis's replies are */
		p += l;
		if (fn(kind == 'H' ? SESS_REC_HISTORY : SESS_REC_EVENT, text, pre + l, arg)) {
			rc = 1;
			goto done;
		}
	}
	rc = 0;
done:
	free(raw);
	free(text);
	if (snap && rc >= 0)
		*snap = s;
	else
		cJSON_Delete(s);
	return rc;
}

/* ---- in Redis ---- */

int sess_replay_store(struct sess_ctx *s, const char *id, const struct sess_replay_enc *e,
		      const cJSON *meta, struct sess_err *err)
{
	char key[SESS_KEY_MAX], idx[SESS_KEY_MAX], field[32];
	struct sess_pipe p;
	const char *tag;
	char *mtext = cJSON_PrintUnformatted(meta);
	const cJSON *saved = cJSON_GetObjectItemCaseSensitive(meta, "savedAt");
	size_t i;
	int rc = -1;

	if (!mtext)
		return oom(err);
	if (sess_tag_of(s, id, &tag, err)) {
		cJSON_free(mtext);
		return -1;
	}
	sess_key_replay(key, s->cfg->prefix, id);
	sess_key_replays(idx, s->cfg->prefix, tag); /* the replay's slot: one MULTI */
	sess_pipe_init(&p, s->conn);
	/* all or nothing: a replay is complete or absent */
	if (sess_pipe_cmdf(&p, 0, err, "MULTI") || sess_pipe_cmdf(&p, 0, err, "DEL %s", key) ||
	    sess_pipe_cmdf(&p, 0, err, "HSET %s meta %s", key, mtext))
		goto done;
	for (i = 0; i < e->nblocks; i++) {
		snprintf(field, sizeof field, "b:%zu", i);
		if (sess_pipe_cmdf(&p, 0, err, "HSET %s %s %b", key, field, e->blocks[i].data,
				   e->blocks[i].len))
			goto done;
	}
	if (sess_pipe_cmdf(&p, 0, err, "ZADD %s %lld %s", idx,
			   (long long)cJSON_GetNumberValue(saved), id) ||
	    sess_pipe_cmdf(&p, 0, err, "EXEC"))
		goto done;
	/* +OK and QUEUED (or a refusal EXEC reports), then EXEC's */
	if (sess_pipe_drain(&p, sess_pipe_pending(&p) - 1, err))
		goto done;
	{
		redisReply *r;
		size_t j;
		if (sess_pipe_next(&p, &r, NULL, err))
			goto done;
		if (r->type != REDIS_REPLY_ARRAY) { /* EXECABORT (OOM, ...): nothing applied */
			if (r->type == REDIS_REPLY_ERROR)
				sess_conn_reply_error(s->conn, r, err);
			else
				sess_err_set(err, SESS_E_TEMP, NULL, "the save was not applied; try again");
			freeReplyObject(r);
			goto done;
		}
		for (j = 0; j < r->elements; j++)
			if (r->element[j]->type == REDIS_REPLY_ERROR) {
				sess_conn_reply_error(s->conn, r->element[j], err);
				freeReplyObject(r);
				goto done;
			}
		freeReplyObject(r);
	}
	rc = 0;
done:
	/* a failed EXEC, or one never sent, applied nothing */
	sess_pipe_free(&p);
	cJSON_free(mtext);
	return rc;
}

cJSON *sess_replay_meta(struct sess_ctx *s, const char *id, struct sess_err *err)
{
	char key[SESS_KEY_MAX];
	redisReply *r;
	cJSON *m;

	if (sess_key_check_id(id, "replay id", err))
		return NULL;
	sess_key_replay(key, s->cfg->prefix, id);
	if (!(r = sess_conn_cmdf(s->conn, err, "HGET %s meta", key)))
		return NULL;
	if (r->type != REDIS_REPLY_STRING) {
		freeReplyObject(r);
		sess_err_set(err, SESS_E_NEGATIVE, "not_found",
			     "no saved replay %s (save it with 'sess-replay save %s' while the session lives)",
			     id, id);
		return NULL;
	}
	m = cJSON_ParseWithLength(r->str, r->len);
	freeReplyObject(r);
	if (!cJSON_IsObject(m)) {
		cJSON_Delete(m);
		sess_err_set(err, SESS_E_DATA, "corrupt_replay", "saved replay %s has a damaged meta field", id);
		return NULL;
	}
	/* a newer format is not read as if it were damaged data */
	if (!cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(m, "v")) ||
	    cJSON_GetObjectItemCaseSensitive(m, "v")->valuedouble > SESS_REPLAY_VERSION) {
		const cJSON *v = cJSON_GetObjectItemCaseSensitive(m, "v");
		sess_err_set(err, SESS_E_CONFIG, "unknown_replay_version",
			     "saved replay %s has format version %.0f, which this sesskit (replay version %d) does not know; read it with the sesskit that saved it, or a newer one",
			     id, cJSON_IsNumber(v) ? v->valuedouble : -1.0, SESS_REPLAY_VERSION);
		cJSON_Delete(m);
		return NULL;
	}
	return m;
}

redisReply *sess_replay_block(struct sess_ctx *s, const char *id, long n, struct sess_err *err)
{
	char key[SESS_KEY_MAX];
	redisReply *r;

	sess_key_replay(key, s->cfg->prefix, id);
	if (!(r = sess_conn_cmdf(s->conn, err, "HGET %s b:%ld", key, n)))
		return NULL;
	if (r->type != REDIS_REPLY_STRING) {
		freeReplyObject(r);
		sess_err_set(err, SESS_E_DATA, "corrupt_replay",
			     "saved replay %s lacks block %ld; delete it and save again", id, n);
		return NULL;
	}
	return r;
}

int sess_replay_delete(struct sess_ctx *s, const char *id, int *gone, struct sess_err *err)
{
	char key[SESS_KEY_MAX], idx[SESS_KEY_MAX];
	struct sess_pipe p;
	const char *tag;
	redisReply *r[4] = {NULL, NULL, NULL, NULL};
	int rc, i;

	*gone = 0;
	if (sess_key_check_id(id, "replay id", err) || sess_tag_of(s, id, &tag, err))
		return -1;
	sess_key_replay(key, s->cfg->prefix, id);
	sess_key_replays(idx, s->cfg->prefix, tag);
	sess_pipe_init(&p, s->conn);
	/* one transaction: a refused DEL or ZREM (the ACL) aborts both, so
	 * the index never names a deleted replay or misses a kept one */
	rc = sess_pipe_cmdf(&p, 0, err, "MULTI") || sess_pipe_cmdf(&p, 0, err, "DEL %s", key) ||
	     sess_pipe_cmdf(&p, 0, err, "ZREM %s %s", idx, id) || sess_pipe_cmdf(&p, 0, err, "EXEC") ? -1 : 0;
	for (i = 0; i < 4 && !rc; i++)
		rc = sess_pipe_next(&p, &r[i], NULL, err);
	if (!rc && r[3]->type == REDIS_REPLY_ERROR)
		rc = sess_conn_reply_error(s->conn, r[3], err);
	else if (!rc && (r[3]->type != REDIS_REPLY_ARRAY || r[3]->elements != 2))
		rc = sess_reply_bad(err, "EXEC");
	else if (!rc)
		*gone = r[3]->element[0]->type == REDIS_REPLY_INTEGER && r[3]->element[0]->integer > 0;
	for (i = 0; i < 4; i++)
		if (r[i])
			freeReplyObject(r[i]);
	sess_pipe_free(&p);
	return rc;
}

int sess_replay_exists(struct sess_ctx *s, const char *id, struct sess_err *err)
{
	char key[SESS_KEY_MAX];
	redisReply *r;
	int rc;

	sess_key_replay(key, s->cfg->prefix, id);
	if (!(r = sess_conn_cmdf(s->conn, err, "EXISTS %s", key)))
		return -1;
	rc = r->type == REDIS_REPLY_INTEGER && r->integer > 0;
	freeReplyObject(r);
	return rc;
}

int sess_replay_list(struct sess_ctx *s, long long older_than, sess_each_fn each, void *arg,
		     struct sess_err *err)
{
	return sess_replay_list_bad(s, older_than, each, NULL, arg, err);
}

int sess_replay_list_bad(struct sess_ctx *s, long long older_than, sess_each_fn each,
			 sess_replay_bad_fn bad, void *arg, struct sess_err *err)
{
	struct sess_merged all;
	const char **tags;
	const redisReply *ids;
	size_t i, k, n;
	int ntags, rc = 0;

	/* every tag's saved replays, newest first (or, older_than, the ones
	 * saved before it, oldest first) */
	if (sess_tags_used(s, &tags, &ntags, err))
		return -1;
	rc = sess_merged_read(s, SESS_COMP_REPLAYS, NULL, tags, ntags, &all, err);
	free(tags);
	if (rc)
		return -1;
	ids = &all.all;
	n = ids->elements / 2;
	for (k = 0; k < n && !rc; k++) {
		const char *id;
		cJSON *m;
		i = older_than > 0 ? 2 * (n - 1 - k) : 2 * k;
		if (older_than > 0 && strtoll(ids->element[i + 1]->str, NULL, 10) >= older_than)
			continue;
		id = ids->element[i]->str;
		m = sess_replay_meta(s, id, err);
		if (!m) {
			if (err && err->cls == SESS_E_NEGATIVE)
				continue; /* deleted meanwhile */
			if (bad && err && (err->cls == SESS_E_DATA || err->cls == SESS_E_CONFIG)) {
				/* this one is unreadable, the others may not be */
				if (bad(id, err, arg))
					rc = 1;
				continue;
			}
			rc = -1;
			break;
		}
		if (each(m, arg))
			rc = 1;
		cJSON_Delete(m);
	}
	sess_merged_free(&all);
	return rc < 0 ? -1 : 0;
}

/* The snapshot of block n. */
static cJSON *block_snapshot(struct sess_ctx *s, const char *id, long n, struct sess_err *err)
{
	redisReply *b = sess_replay_block(s, id, n, err);
	cJSON *snap = NULL;

	if (!b)
		return NULL;
	if (sess_replay_block_each((unsigned char *)b->str, b->len, &snap, NULL, NULL, err))
		snap = NULL;
	freeReplyObject(b);
	return snap;
}

int sess_replay_start(struct sess_ctx *s, const char *id, long long from_seq,
		      long *block, cJSON **snap, struct sess_err *err)
{
	cJSON *m = sess_replay_meta(s, id, err), *it;
	long n, i = 0, first = 0;

	*snap = NULL;
	if (!m)
		return -1;
	n = (long)sess_json_ll(cJSON_GetObjectItemCaseSensitive(m, "blocks"), 0);
	if (n <= 0) {
		cJSON_Delete(m);
		return sess_err_set(err, SESS_E_DATA, "corrupt_replay", "saved replay %s holds no block", id);
	}
	/* the last block whose snapshot is before the point */
	cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(m, "blockSeqs")) {
		if (from_seq > 0 && i < n && cJSON_GetNumberValue(it) < (double)from_seq)
			first = i;
		i++;
	}
	cJSON_Delete(m);
	if (!(*snap = block_snapshot(s, id, first, err)))
		return -1;
	*block = first;
	return 0;
}

int sess_replay_records(struct sess_ctx *s, const char *id, long first,
			sess_replay_snap_fn snapfn, sess_record_fn fn, void *arg, struct sess_err *err)
{
	cJSON *m = sess_replay_meta(s, id, err), *seqs;
	char key[SESS_KEY_MAX];
	redisReply *r;
	long n, i;
	int more;

	if (!m)
		return -1;
	n = (long)sess_json_ll(cJSON_GetObjectItemCaseSensitive(m, "blocks"), 0);
	seqs = cJSON_GetObjectItemCaseSensitive(m, "blockSeqs");
	/* the meta's count and list of blocks agree, or which blocks make the
	 * replay is not known */
	if (n <= 0 || !cJSON_IsArray(seqs) || cJSON_GetArraySize(seqs) != n) {
		cJSON_Delete(m);
		return sess_err_set(err, SESS_E_DATA, "corrupt_replay",
				    "saved replay %s: its meta's block count and block seqs disagree; it was changed after it was saved",
				    id);
	}
	for (i = first; i < n; i++) {
		redisReply *b = sess_replay_block(s, id, i, err);
		cJSON *snap = NULL;
		int rc;
		if (!b) {
			cJSON_Delete(m);
			return -1;
		}
		struct block_pre pre = {id, i, cJSON_GetNumberValue(cJSON_GetArrayItem(seqs, (int)i)), snapfn};
		rc = block_decode((unsigned char *)b->str, b->len, &snap, &pre, fn, arg, err);
		freeReplyObject(b);
		cJSON_Delete(snap);
		if (rc < 0) {
			cJSON_Delete(m);
			return -1;
		}
		if (rc > 0) {
			cJSON_Delete(m);
			return 1;
		}
	}
	cJSON_Delete(m);
	/* nothing past the last block the meta counts: a count lowered would
	 * otherwise hide the rest of the history */
	sess_key_replay(key, s->cfg->prefix, id);
	if (!(r = sess_conn_cmdf(s->conn, err, "HEXISTS %s b:%ld", key, n)))
		return -1;
	more = r->type == REDIS_REPLY_INTEGER && r->integer > 0;
	freeReplyObject(r);
	if (more)
		return sess_err_set(err, SESS_E_DATA, "corrupt_replay",
				    "saved replay %s holds a block past the %ld its meta counts; it was changed after it was saved",
				    id, n);
	return 0;
}
