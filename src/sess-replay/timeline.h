/* timeline.h - what sess-replay timeline (cmd_timeline.c) gathers from a
 * history and how timeline.c draws it: one lane per actor over time, the
 * session's state as bands, joins and leaves, checkpoints; as an SVG
 * picture or a compact text picture. */
#ifndef SESS_REPLAY_TIMELINE_H
#define SESS_REPLAY_TIMELINE_H

#include <stddef.h>
#include <stdio.h>

#include "core/base/err.h"
#include "core/model/event.h"
#include "core/model/keys.h"

/* Lanes drawn: the first TL_LANES_MAX actors (in the order they first
 * appear); the others share one more lane. The buckets events, spans,
 * states and checkpoints are drawn in: an SVG's and a text's. */
#define TL_LANES_MAX 50
#define TL_SVG_BUCKETS 200
#define TL_TEXT_BUCKETS 60

enum { TL_END_OPEN, TL_END_LEAVE, TL_END_COMPLETE };

/* A stretch of membership: from a join (joined) or the start of what is
 * known, to a leave, the completion or the end (to = -1 while open). */
struct tl_span {
	long long from, to;
	int joined, end;
};

struct tl_actor {
	char *name;          /* decoded, owned */
	struct tl_span *spans;
	size_t nspans, cap;
	int open;            /* the last span is open */
	long long events;    /* in the window */
	long long first;     /* order of first appearance */
};

struct tl_event {
	long long ts, seq;
	unsigned actor, type;
};

struct tl_state {
	long long from, to;  /* to = -1: to the end */
	char name[SESS_STATE_MAX + 1];
};

struct tl_cp {
	long long n, seq, ts;
};

struct timeline {
	char id[SESS_ID_MAX + 1];
	int saved;
	int verified;              /* the records fold to the stored head */
	char why[SESS_ERR_MSG_MAX]; /* when not: what failed */
	long long t0, t1;          /* the window (ms), t1 > t0 */
	long long start_cp, start_seq; /* a trimmed log's history starts at
					* that checkpoint; start_cp -1: whole */
	struct tl_actor *actors;
	size_t nactors, acap;
	char **types;              /* decoded event types, owned */
	size_t ntypes, tcap;
	struct tl_event *events;   /* in the window, in order */
	size_t nevents, ecap;
	struct tl_state *states;   /* the whole history's, in order */
	size_t nstates, scap;
	struct tl_cp *cps;         /* in the window */
	size_t ncps, ccap;
	/* name -> actor / type index + 1 (0: a free slot), open addressing:
	 * gathering is linear in the records whatever the ids' count */
	size_t *aidx, *tidx;
	size_t aidx_cap, tidx_cap;
};

void timeline_free(struct timeline *t);

/* The SVG picture of t, written to f (deterministic: the same t gives the
 * same bytes). */
void timeline_svg(const struct timeline *t, FILE *f);

/* The text picture of t, written to f: plain ASCII unless utf8; the
 * state row and the verdict in ANSI colours when color. */
void timeline_text(const struct timeline *t, FILE *f, int utf8, int color);

/* A time as RFC 3339 UTC with milliseconds: buf holds 32 bytes. */
void timeline_time(long long ms, char *buf, size_t n);

/* ---- shared by timeline.c and timeline_text.c ---- */

/* The window cut into nb buckets: per lane (actor, or the others' lane)
 * and bucket what is drawn there. */
struct tl_grid {
	const struct timeline *t;
	int nb;
	size_t nlanes, others;    /* lanes drawn; actors in the last one when > 0 */
	int *lane;                /* actor -> lane, -1 when not drawn */
	long long *count;         /* lane * nb: events */
	long long *mfrom, *mto;   /* lane * nb: membership's first and last instant, -1 none */
	long long *jts, *lts;     /* lane * nb: the first join, the last leave, -1 none */
	int *sprio;               /* nb: the state drawn (its priority), 0 none */
	const char **sname;
	long long *sfrom, *sto;
	long long *cpn;           /* nb: checkpoints, and the first one's index */
	size_t *cpfirst;
	long long maxcount;
};

void tl_grid_make(struct tl_grid *g, const struct timeline *t, int nb);
void tl_grid_free(struct tl_grid *g);
/* The round step (ms) that cuts span into at most max ticks; a tick's
 * label with as much of the time as the step needs; a duration. */
long long tl_tick_step(long long span, int max);
void tl_tick_label(long long ms, long long step, char *buf, size_t n);
void tl_duration(long long ms, char *buf, size_t n);

#endif
