/* view.h - reading sessions: one session (get), the lists (list, an
 * agent's sessions), the index size, the layout check. */
#ifndef SESS_VIEW_H
#define SESS_VIEW_H

#include "core/model/layout.h"
#include "core/model/keys.h"
#include "core/session/ctx.h"

#define SESS_VIEW_PAGE 500 /* index entries read per round trip */

/* The session, its agents and last seq; with_events adds "events" (read
 * through the paged log reader, up to the seq shown). *out is the
 * caller's. */
int sess_get(struct sess_ctx *s, const char *id, int with_events,
	     cJSON **out, struct sess_err *err);

struct sess_list_opts {
	const char *agent; /* only this agent's sessions; NULL = all */
	const char *state; /* only this state; NULL = any */
	long limit;        /* at most this many rows; 0 = all */
	long cursor;       /* resume after this many index entries */
};

/* Sessions, most recently active first (by expiry), each row carrying the
 * "cursor" to resume after it. */
int sess_list(struct sess_ctx *s, const struct sess_list_opts *o,
	      sess_each_fn each, void *arg, struct sess_err *err);

/* The same, where a session that cannot be listed (a layout this build
 * does not know) is passed to skip (why says what is wrong, arg is each's)
 * and the listing goes on: sess_list fails with it instead. */
typedef void (*sess_skip_fn)(const char *id, const struct sess_err *why, void *arg);
int sess_list_skip(struct sess_ctx *s, const struct sess_list_opts *o,
		   sess_each_fn each, sess_skip_fn skip, void *arg, struct sess_err *err);

/* Every id in the session index (of every tag in use), newest expiry
 * first, a page at a time: next gives up to max ids in *ids (valid until
 * the next call) and their count, 0 at the end, -1 with err. On a cluster
 * the slots' indexes are read and merged at init. */
struct sess_index_iter {
	struct sess_ctx *s;
	char key[SESS_KEY_MAX];     /* standalone: the one index */
	long offset;
	void *merged;               /* cluster: every slot's entries */
	void *page;                 /* the last page read (standalone) */
	const char **ids;
	size_t cap;
};
int sess_index_iter_init(struct sess_index_iter *it, struct sess_ctx *s, struct sess_err *err);
long sess_index_iter_next(struct sess_index_iter *it, long max, const char ***ids,
			  struct sess_err *err);
void sess_index_iter_free(struct sess_index_iter *it);

/* How many sessions the index holds (expired ones not yet pruned included). */
int sess_index_size(struct sess_ctx *s, long *n, struct sess_err *err);
/* How many index entries score (expire) at or after min, over every tag
 * in use (a ZCOUNT per tag, pipelined: on a cluster routed per master). */
int sess_index_count(struct sess_ctx *s, long long min, long *n, struct sess_err *err);

/* Refuse a database whose layout version this build does not know. */
int sess_check_layout(struct sess_ctx *s, struct sess_err *err);
/* (a version already read: sess_layout_ok in model/layout.h) */

#endif
