/* scan.h - the SCAN family walked page by page: SCAN (keys of a pattern),
 * ZSCAN, HSCAN and SSCAN (members of one key). One loop, written once:
 * the cursor, the reply's shape checked, the page freed.
 *
 *	struct sess_scan it;
 *	const redisReply *page;
 *	int rc;
 *	sess_scan_init(&it, conn, "SCAN", NULL, pattern, 1000);
 *	while ((rc = sess_scan_next(&it, &page, err)) == 1)
 *		... page->element[0 .. page->elements) ...
 *	sess_scan_free(&it);
 *	if (rc < 0) ... err says why ...
 *
 * As SCAN promises: an element present for the whole walk is seen at least
 * once (maybe more than once); callers that must not act twice dedupe.
 *
 * On a Redis Cluster (cluster.h), SCAN walks every master in turn (each
 * holds only its slots' keys); the first page asks which masters there
 * are (in redis.cluster auto, whether the server is a cluster node). */
#ifndef SESS_SCAN_H
#define SESS_SCAN_H

#include <hiredis/hiredis.h>

#include "core/base/err.h"
#include "core/redis/conn.h"

struct sess_scan {
	struct sess_conn *conn;  /* borrowed */
	const char *verb;        /* "SCAN", "ZSCAN", "HSCAN" or "SSCAN" */
	const char *key;         /* the key walked (NULL for SCAN); borrowed */
	const char *match;       /* MATCH pattern, or NULL; borrowed */
	long count;              /* COUNT hint (0: the server's default) */
	char cursor[32];
	int done;
	redisReply *reply;       /* the current page's reply; owned */
	int master, masters;     /* SCAN: the master walked, of how many (0: not asked yet) */
};

/* Start a walk. Nothing is sent until sess_scan_next. */
void sess_scan_init(struct sess_scan *it, struct sess_conn *c, const char *verb,
		    const char *key, const char *match, long count);

/* The next page: 1 with *items set to its array (keys for SCAN and SSCAN;
 * member, score / field, value pairs for ZSCAN / HSCAN), valid until the
 * next call or sess_scan_free; 0 when the walk is over; -1 with err set
 * (the server's error, or a reply of another shape). A page may be empty. */
int sess_scan_next(struct sess_scan *it, const redisReply **items, struct sess_err *err);

/* Free the current page (the walk may be left unfinished). */
void sess_scan_free(struct sess_scan *it);

#endif
