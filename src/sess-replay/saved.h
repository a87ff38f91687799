/* saved.h - saved replays: a session's whole history kept after the
 * session is gone, compact and checked (sesskit-layout(7), REPLAYS).
 *
 * A replay is the records of a session (events and lifecycle records,
 * exact stored texts, in order) cut into blocks of at most `interval`
 * records. A block starts with a snapshot of the fold state before its
 * first record (so rebuilding any point decodes one block), then holds its
 * records in a columnar form: seq implied, timestamps as deltas, the rest
 * of each event as stored; then it is compressed with zstd (which also
 * checks its content) and carries the SHA-1 of its compressed bytes.
 *
 * In Redis a replay is one hash PREFIX:replay:{ID} (its id as hash tag:
 * the session's slot) with field "meta" (JSON: counts, seqs, sizes, chain
 * head, block seqs) and "b:N" per block, plus
 * an entry in the index PREFIX:#{TAG}:replays of the replay's own slot (id ->
 * saved at, ms; tags.h). A save writes
 * it all in one MULTI/EXEC: a replay is complete or absent.
 */
#ifndef SESS_REPLAY_H
#define SESS_REPLAY_H

#include <cjson/cJSON.h>
#include <stddef.h>

#include "core/session/ctx.h"
#include "core/history/fold.h"
#include "core/session/log.h"

#define SESS_REPLAY_VERSION 2 /* 1 kept checkpoint bodies in its meta; both are read */
#define SESS_REPLAY_INTERVAL 1000  /* records per block (snapshotInterval) */

struct sess_replay_block {
	unsigned char *data;  /* "SKB1", 20-byte SHA-1 of the rest, zstd frame */
	size_t len;
	long long seq;        /* the seq its snapshot is at */
};

/* Building a replay from records, in order. */
struct sess_replay_enc {
	struct sess_fold fold;   /* chained: the replay's head and final state */
	int interval;
	unsigned char *raw;      /* the block being filled, uncompressed */
	size_t rawlen, rawcap;
	int nrec;                /* records in it */
	long long prev_ts;
	struct sess_replay_block *blocks;
	size_t nblocks, capblocks;
	long long raw_bytes;     /* the records' stored texts */
	long long first_seq;     /* the first event's seq, 0 before one */
	long long block_seq;     /* the seq the block being filled starts at */
	cJSON *start;            /* the checkpoint a trimmed log starts from */
	int level;               /* zstd level */
};

/* start: the checkpoint a trimmed log's records start after, or NULL
 * (borrowed, copied). */
int sess_replay_enc_init(struct sess_replay_enc *e, const char *id, int interval,
			 const cJSON *start, struct sess_err *err);
/* Add one record (kind SESS_REC_EVENT or SESS_REC_HISTORY, exact text);
 * it is folded (checked) and encoded. */
int sess_replay_enc_add(struct sess_replay_enc *e, int kind, const char *text,
			size_t len, struct sess_err *err);
/* Close the last block. */
int sess_replay_enc_finish(struct sess_replay_enc *e, struct sess_err *err);
/* The replay's meta object (caller owns): version, id, counts, seqs,
 * sizes, chain, the block seqs, and a trimmed history's start checkpoint.
 * No checkpoint bodies: each is rebuilt from its record and the fold
 * before it (sess_integrity_checkpoint_body). storedBytes counts every
 * byte the replay stores, this meta's text included: the
 * meta is printed as it will be stored, and its length added, until the
 * count no longer changes its own length. */
cJSON *sess_replay_enc_meta(const struct sess_replay_enc *e, long long saved_at);
void sess_replay_enc_free(struct sess_replay_enc *e);

/* Decode one block: check its SHA-1 and content, then call fn for each
 * record with its exact stored text (rebuilt, NUL-terminated); *snap (NULL to skip) gets
 * the snapshot before it (caller frees); fn NULL reads the snapshot
 * alone. Returns 0, 1 when fn stopped it, -1 with err. */
int sess_replay_block_each(const unsigned char *data, size_t len, cJSON **snap,
			   sess_record_fn fn, void *arg, struct sess_err *err);

/* ---- in Redis ---- */

/* Save e (finished) as replay id: one MULTI/EXEC (replacing one saved
 * before). meta is the caller's (from sess_replay_enc_meta). */
int sess_replay_store(struct sess_ctx *s, const char *id, const struct sess_replay_enc *e,
		      const cJSON *meta, struct sess_err *err);
/* The replay's meta (caller owns), or NULL with err (not_found). */
cJSON *sess_replay_meta(struct sess_ctx *s, const char *id, struct sess_err *err);
/* Block n of replay id (caller frees with freeReplyObject), or NULL. */
redisReply *sess_replay_block(struct sess_ctx *s, const char *id, long n,
			      struct sess_err *err);
/* Remove replay id; *gone 0 when there was none. */
int sess_replay_delete(struct sess_ctx *s, const char *id, int *gone, struct sess_err *err);
/* Saved replays, newest first: each gets its meta (borrowed) to each(). */
int sess_replay_list(struct sess_ctx *s, long long older_than, sess_each_fn each, void *arg,
		     struct sess_err *err);
/* The same, where a replay whose meta cannot be read (damaged, or of a
 * newer format: SESS_E_DATA or SESS_E_CONFIG in err) goes to bad() with
 * its id and err, and the list goes on (sess_replay_list stops there,
 * -1). bad or each returning non-zero stops the list (0 returned). */
typedef int (*sess_replay_bad_fn)(const char *id, const struct sess_err *err, void *arg);
int sess_replay_list_bad(struct sess_ctx *s, long long older_than, sess_each_fn each,
			 sess_replay_bad_fn bad, void *arg, struct sess_err *err);
/* 1 when replay id exists, 0 when not, -1 on error. */
int sess_replay_exists(struct sess_ctx *s, const char *id, struct sess_err *err);

/* Where to start reading replay id to reach a point: the last block whose
 * snapshot is before it (from_seq 0, or a time: the first block), found
 * from the meta's list of block seqs, so no other block is read. *block
 * gets its number and *snap its snapshot (caller frees); a fold restored
 * from it then takes the records from sess_replay_records. */
int sess_replay_start(struct sess_ctx *s, const char *id, long long from_seq,
		      long *block, cJSON **snap, struct sess_err *err);

/* Before a block's records: its number and snapshot (borrowed). Return
 * 0 to go on, non-zero to fail (the callee sets the caller's err). */
typedef int (*sess_replay_snap_fn)(long block, const cJSON *snap, void *arg);

/* Stream the records of replay id from block first on, in order (blocks
 * one at a time, so memory stays flat); fn returns non-zero to stop, and
 * then 1 is returned. The meta's block count and block seqs must agree,
 * each block must start at its seq in them, and no block may follow the
 * last one counted (a lowered count would hide history): else -1 with
 * err, SESS_E_DATA "corrupt_replay". snapfn (may be NULL) sees each
 * block's snapshot before its records, so a caller folding them can
 * check it is what the records before it fold to. 0 when all was read. */
int sess_replay_records(struct sess_ctx *s, const char *id, long first, sess_replay_snap_fn snapfn,
			sess_record_fn fn, void *arg, struct sess_err *err);

#endif
