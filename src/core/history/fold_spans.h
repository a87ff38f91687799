/* fold_spans.h - the fold's readers of stored texts by their spans
 * (core/base/jscan.h), without building a cJSON tree: an event's members
 * (sess_fold_scan), a history record's when it has the simple
 * shape sesskit writes (the tree reader in fold.c takes every other),
 * a record's "at" and a checkpoint record's number. fold.h includes it
 * (its users read events with sess_fold_scan); sess_fold_rec_spans,
 * sess_fold_damaged and sess_fold_twice are fold.c's. Pure module: no
 * I/O, no allocation; every pointer given back points into the text or
 * into the caller's buffers, never owned. */
#ifndef SESS_FOLD_SPANS_H
#define SESS_FOLD_SPANS_H

#include <cjson/cJSON.h>
#include <stddef.h>

#include "core/base/err.h"

/* What an event's stored text holds that the fold and filters need,
 * read without building a tree (events are the hot path). Pointers point
 * into the text; lengths are those of the JSON strings' raw contents. */
struct sess_fold_ev {
	long long seq, ts;
	const char *type, *actor, *to;  /* to: stateTransition.to, or NULL */
	size_t type_len, actor_len, to_len;
	/* the "c" and "st" members' value spans, NULL when absent, and
	 * whether st came first (sess_event_check_stored_spans) */
	const char *c, *c_end, *st, *st_end;
	int st_first;
};

/* Scan a stored event's text. -1 with err when it is not an object with
 * whole "s" and "ts" and string "t" and "a" (a damaged record). */
int sess_fold_scan(const char *text, size_t len, struct sess_fold_ev *ev,
		   struct sess_err *err);

/* The number of the checkpoint history record rec (its stored text,
 * NUL-terminated) took, or -1 when it is another kind of record. The one
 * test every reader that checks checkpoints against the fold makes. */
long long sess_fold_checkpoint_n(const char *rec);

/* A history record's "at" (its top-level member, read by structure), or
 * -1 when it has none or the text is damaged. */
long long sess_fold_record_at(const char *rec, size_t len);

/* What sess_fold_record applies, read from a record's text by either
 * reader (sess_fold_rec_spans or the tree): strings NUL-terminated (NULL:
 * absent, or not a string), whole numbers -1 when absent; agents and m
 * only by the tree reader (the caller's tree owns them). */
struct sess_fold_rec {
	const char *k, *a, *state, *creator;
	long long at, ts, created, ttl, base, n;
	const cJSON *agents, *m;
};

/* The record read from its spans, for what every record is (a flat
 * object of scalars with no escape and no NUL anywhere, each key once,
 * of a kind other than upgrade, without "m"): 0 only when cJSON reads the
 * same text as an object with the same values and the duplicate-key check
 * passes, so sess_fold_record's tree reader would give the same *V; 1 for
 * anything else, which the tree reader then decides and names. k and a
 * point into kbuf and abuf (kcap, acap bytes with the NUL; longer: 1). */
int sess_fold_rec_spans(const char *text, size_t len, struct sess_fold_rec *V, char *kbuf, size_t kcap,
			char *abuf, size_t acap);

/* err set to corrupt_record (SESS_E_DATA) for stored text (what: "event",
 * "history record", ...; its first 60 bytes quoted): -1. */
int sess_fold_damaged(struct sess_err *err, const char *what, const char *text, size_t len);

/* The same for a stored text that names a key twice in one object, or
 * holds a value that is no JSON: cJSON and this scan read the first,
 * Lua's cjson the last (two tools, two records). -1. */
int sess_fold_twice(struct sess_err *err, const char *what, const char *text, size_t len);

#endif
