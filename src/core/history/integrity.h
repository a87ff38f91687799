/* integrity.h - the checks of a session's stored history that
 * `sess-replay verify` and `sess-validate sessions` share: stored
 * checkpoints against the fold of the records before them, the chain head
 * against the fold of every record, checkpoints no record took, members
 * when they emitted, and the meta hash against what the history implies.
 *
 * Each check folds nothing itself (fold.h does) and prints nothing: every
 * difference goes to a callback with a stable code ("checkpoint_mismatch",
 * "chain_mismatch", ...), the seq it is at (-1 none) and one line saying
 * what differs. Pure module: no I/O.
 */
#ifndef SESS_INTEGRITY_H
#define SESS_INTEGRITY_H

#include <cjson/cJSON.h>

#include "core/history/fold.h"

typedef void (*sess_integrity_fn)(const char *code, long long seq, const char *msg, void *arg);

/* After checkpoint record n was folded into f (chain_before: the chain
 * head before that record): the stored checkpoint n (cps maps a
 * checkpoint's number, as text, to its stored object, or to anything
 * else when its text could not be read: corrupt_record) must hold the state
 * folded so far, its ch that chain and its sd that state's digest. The
 * checkpoint is removed from cps (seen). Returns the findings made. */
long sess_integrity_checkpoint(const struct sess_fold *f, const char *chain_before, long long n,
			       cJSON *cps, sess_integrity_fn fn, void *arg);

/* The same check of stored checkpoint n given as its exact stored text
 * (text NULL: none is stored, checkpoint_missing), for a reader that keeps
 * the checkpoints hash as read rather than as trees (the caller marks it
 * seen). The same findings as sess_integrity_checkpoint given the tree
 * sess_json_parse_stored makes of the text (NULL: corrupt_record); a
 * well-formed checkpoint that holds what the fold says is shown so from
 * its text, without a tree. Returns the findings made. */
long sess_integrity_checkpoint_text(const struct sess_fold *f, const char *chain_before, long long n,
				    const char *text, size_t len, sess_integrity_fn fn, void *arg);

/* The checkpoint that checkpoint record rec (its exact text) took, as the
 * session's scripts stored it (checkpoint_texts in prelude.lua, the same
 * members in the same order; equal as JSON, and byte for byte but where
 * Lua's cjson escaped a string another way, as "\/" for "/"): its number, seq, time, reason and state
 * digest from the record, everything else from f, the fold before the
 * record, and chain_before as its ch. A saved replay keeps no checkpoint
 * bodies: each is exactly this, and the record, which the chain covers,
 * holds the digest that proves it. NULL when rec is not a checkpoint
 * record (or is damaged: the fold reports that). Caller owns. */
cJSON *sess_integrity_checkpoint_body(const struct sess_fold *f, const char *chain_before,
				      const char *rec, size_t len);

/* After the last record: the chain folded must be head (the stored one;
 * NULL = none), and every checkpoint left in cps at or after the first
 * event folded was taken by a record (start_seq: a trimmed log's start,
 * checkpoints up to it are fine; -1 none). Returns the findings made. */
long sess_integrity_finish(const struct sess_fold *f, const char *head, const char *what,
			   cJSON *cps, long long start_seq, sess_integrity_fn fn, void *arg);

/* Before event text is folded into f: its actor must be a member (a
 * session's history unknown before an upgrade is not checked). Returns 1
 * and calls fn when it is not. */
long sess_integrity_member(const struct sess_fold *f, const char *text, size_t len,
			   sess_integrity_fn fn, void *arg);
/* The same for an event already scanned by sess_fold_scan. */
long sess_integrity_member_ev(const struct sess_fold *f, const struct sess_fold_ev *ev,
			      sess_integrity_fn fn, void *arg);

/* The meta hash's derived fields, as stored, against the fold of the
 * whole history: state, seq, creator, members (agent:A fields), the
 * member count (agents) and the checkpoint counter (cps). fields[i] has
 * values[i]; and the metadata object, compared by structure with the
 * create record's. Codes: state_mismatch, seq_mismatch, creator_mismatch,
 * members_mismatch, agents_count, cps_count, metadata_mismatch. Returns
 * the findings made. */
long sess_integrity_meta(const struct sess_fold *f, const char *const *fields,
			 const char *const *values, size_t n, sess_integrity_fn fn, void *arg);

#endif
