/* top.h - the largest sessions: every session of the index read once,
 * page by page (one pipelined round trip a page), the n largest kept. */
#ifndef SESS_TOP_H
#define SESS_TOP_H

#include "core/session/ctx.h"

enum sess_top_by {
	SESS_TOP_EVENTS, /* events held in the log (LLEN) */
	SESS_TOP_MEMORY  /* bytes of the session's keys (MEMORY USAGE) */
};

/* The n largest sessions by `by`, largest first (ties: the id), each as
 * a row {"rank","id","state","events","seq","agents","bytes"} ("bytes"
 * only by memory: the sum of MEMORY USAGE over the session's five keys,
 * what Redis estimates; "events" the log's length, "seq" the last seq
 * ever given, so seq - events were trimmed) given to each; the rows are
 * the caller's to read, not to keep. A session that expires while it is
 * read is left out. *scanned gets how many sessions were read. Returns 0,
 * or -1 with err (a MEMORY refused by the ACL names the command). */
int sess_top(struct sess_ctx *s, enum sess_top_by by, long n, sess_each_fn each,
	     void *arg, long *scanned, struct sess_err *err);

#endif
