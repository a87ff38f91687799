/* sessions.h - what the files of `sess-validate sessions` share (the
 * command is cmd_sessions.c; one session's checks sessions_check.c; the
 * --all sweep of keys, index and counters sessions_sweep.c; findings and
 * repairs sessions_findings.c). */
#ifndef SESS_VALIDATE_SESSIONS_H
#define SESS_VALIDATE_SESSIONS_H

#include "core/base/strset.h"
#include "core/session/repair.h"

#include "validate.h"

#include <cjson/cJSON.h>
#include <hiredis/hiredis.h>

#include "core/base/schema.h"
#include "core/history/fold.h"
#include "core/session/log.h"
#include "core/redis/pipe.h"

#define FAST_MAX 1000   /* records read in the paged pass */
#define SKEW_MS 5000    /* TTLs of one session further apart than this */
#define NREAD 9         /* commands in one session's MULTI */

/* A page of sessions: read in one pipeline, checked in order (its fast
 * sessions, then its long ones streamed, then its repairs). */
struct vpage {
	char (*ids)[SESS_ID_MAX + 1];
	size_t nids;
	char (*slow)[SESS_ID_MAX + 1];
	size_t nslow;
	cJSON *held;   /* findings held while an earlier page is not out yet */
	int sent;      /* its reads are on the wire, their replies not taken */
};

struct run {
	struct cli_app *a;
	struct report *r;
	const struct sessions_opts *o;
	long long now;
	long sessions;
	long total; /* --all: the index's size, for the meter (-1: unknown) */
	/* --all: what the live sessions add up to, for the counters */
	long long live, completed, events;
	cJSON *types;
	/* two pages (sessions_page.c): the one being filled (cur) and the
	 * one whose reads are in flight meanwhile (fly, or NULL) */
	struct vpage pg[2];
	int cur;
	struct vpage *fly;
	struct sess_pipe p;          /* the reads, on a->conn */
	int overlap;                 /* fly may be in flight while pages fill */
	struct sess_conn *walk;      /* --all's SCAN, ZSCAN and EXISTS */
	/* --all: the sessions whose meta key the SCAN has returned (bounded:
	 * past VS_METAS_MAX the rest are asked with EXISTS as before); a key
	 * or an index entry of one of them is owned, asked no EXISTS */
	struct sess_strset metas;
#define VS_METAS_MAX 1000000 /* about 90 MB of ids at most */
	cJSON *hold;                 /* vs_say appends here when set */
	unsigned char *cpseen;       /* one session's checkpoints taken by a
				      * record (struct one's, reused) */
	size_t cpseen_cap;
	int explicit_ids;   /* ids were named: a missing one is a finding */
	int fatal;          /* the check itself failed (libcrypto gave no
			     * SHA-1): a->err says; no session is blamed */
};

/* One session being checked. */
struct one {
	struct run *v;
	const char *id;
	struct sess_fold f;
	char chain_before[SESS_SHA1_HEX];
	/* the checkpoints hash as read (HGETALL: name, text, ...), each
	 * checked from its text when a record takes it (seen: v->cpseen) */
	const redisReply *cph;
	redisReply *cph_own;         /* cph when the session owns it */
	size_t ncp, cp_next;         /* pairs; where the next one likely is */
	int cp_nul;                  /* a name holds a NUL: no guessing */
	long long max_cp;            /* the highest checkpoint number stored */
	int broken;
	long found;
	struct sess_log_head *head;  /* streamed: where the records start */
	int started;
};

/* ---- findings and repairs (sessions_findings.c) ---- */

/* A finding on session id (NULL: none) at seq (0: none): its severity and
 * fix come from the code's entry. */
void vs_say(struct run *v, const char *id, const char *code, long long seq, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
/* integrity.h's finding callback; p is a struct one. */
void vs_ifinding(const char *code, long long seq, const char *msg, void *p);
/* A repair record {"repair": what, "id", "key", "command": [its words]}
 * for the command core built (core/session/repair.h): kept until
 * vs_run_repairs applies (or, with --dry-run, lists) it. */
cJSON *vs_repair(const char *what, const char *id, const struct sess_cmd *c);
int vs_run_repairs(struct run *v);

/* ---- one session (sessions_check.c) ---- */

/* The value of field name in an HGETALL reply, or NULL. */
const char *vs_hget(const redisReply *h, const char *name);
/* Queue one session's reads on p (NREAD in a MULTI, then its ZSCORE). */
int vs_send_reads(struct run *v, struct sess_pipe *p, const char *id, struct sess_err *err);
/* A session read whole by vs_send_reads: x the EXEC's reply, z the
 * ZSCORE's. */
void vs_check_fast(struct run *v, const char *id, const redisReply *x, const redisReply *z);
/* A long or trimmed session, streamed on its own (the connection must
 * have nothing in flight). */
int vs_check_slow(struct run *v, const char *id);

/* ---- pages of sessions, their reads overlapped with the checks
 * (sessions_page.c) ---- */

/* Pages of o->page ids; 0, or -1 with a->err (out of memory). */
int vs_pages_init(struct run *v);
/* Frees the pages; findings still held (a run stopped by an error) are
 * given first, in order. */
void vs_pages_free(struct run *v);
/* Add an id to the page being filled (a full page is sent, and the one
 * before it checked meanwhile). */
int vs_add_id(struct run *v, const char *id, size_t len);
/* Check every page still owed: after it, every finding is out. */
int vs_check_page(struct run *v);

/* ---- --all: the keys of the prefix, the index, the counters
 * (sessions_sweep.c) ---- */

int vs_scan_keys(struct run *v);
int vs_scan_index(struct run *v);
int vs_check_stats(struct run *v);

#endif
