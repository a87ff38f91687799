/* batch.h - what the files of sessctl batch share: cmd_batch.c (the
 * command: lines in, ops dispatched), batch_emit.c (the ring of lines and
 * the pipelined emit groups) and batch_input.c (stdin in chunks).
 *
 * Emits (the hot path) are grouped and pipelined. Each session being
 * written to has one open group: its emits not yet sent, in input order,
 * up to --group. Lines to many sessions interleaved (what many agents
 * writing at once produce) thus still go many events per call of the emit
 * script, which runs a group in order as if each were its own call. A
 * group is closed (it is one call from then on) when it is full, when too
 * many groups are open (the oldest goes), when its first line is the
 * oldest unprinted one and the ring of lines is at its bound, or when the
 * input pauses: which events go in which call depends on the input (its
 * lines and its pauses), never on how fast the server answers. Closing is decoupled from
 * sending: closed groups wait in a queue (ready), oldest first, and go on
 * the wire as the pipeline has room, so the parser goes on while the
 * server works (lines to many sessions interleaved fill their groups at
 * nearly the same line: the calls come in bursts, which the queue
 * spreads over the next lines' parsing). Replies that have arrived are
 * taken without waiting while lines are read (batch_collect); the parser
 * waits only when more than --ahead emits are ready (or the ring is at
 * its bound). Calls of one session are sent one after another and the
 * pipeline keeps their order (a core pipeline, which reloads scripts the
 * server lost and re-sends what it refused, in order), so every session's
 * emits apply in input order. Up to --pipeline emits are in flight (so at
 * most that many calls). A ring of line slots keeps each line's
 * place: a line's result is printed once every earlier line's is, from
 * its group's reply. The emit script keeps the index and counters (the
 * session's companion keys) itself. Any other op first sends
 * and prints everything pending, then runs synchronously. When the input
 * has nothing more to read right now, what is pending is sent and its
 * results printed, so a slow producer gets its results as it goes. Input is
 * read in chunks: memory is bounded by the ring, the open and ready groups
 * and the longest line.
 *
 * Ownership: struct batch lives on cmd_batch's stack; batch_free frees
 * what it holds (the ring's records, every group with its reply, the
 * pipeline), never the app or its connection. A record given to
 * batch_print_rec or put in a SLOT_READY slot is the batch's from then on.
 * Functions returning int give 0, or -1 with the fatal failure in
 * b->a->err (a connection lost, out of memory), unless said otherwise;
 * out of memory where no error can be returned exits 70.
 */
#ifndef SESSCTL_BATCH_H
#define SESSCTL_BATCH_H

#include <stddef.h>

#include "core/model/limits.h"
#include "core/redis/pipe.h"
#include "sessctl.h"

#define HASH_SIZE 2048 /* open groups by session id; a power of two */

/* One emit of a group: its input line and event type (for the stats). */
struct ev_info {
	long line;
	char type[SESS_TYPE_MAX + 1];
	int has_event_id;           /* a re-run is deduplicated */
};

/* G_READY: closed (one call now), waiting for room in the pipeline;
 * G_WAITING: replied, its WAIT not yet (durable writes) */
enum group_state { G_OPEN, G_READY, G_SENT, G_WAITING, G_REPLIED, G_DROPPED };

/* The emits to one session that go in one script call. */
struct group {
	enum group_state state;
	char id[SESS_ID_MAX + 1];
	struct sess_emit_req req;   /* G_OPEN: the call being built */
	struct ev_info *ev;         /* its emits, in input order */
	int nev;
	int left;                   /* lines not yet printed */
	redisReply *reply;          /* G_WAITING, G_REPLIED */
	struct sess_err durable;    /* G_REPLIED: its WAIT fell short (cls set) */
	struct group *wnext;        /* G_WAITING: the queue for WAIT replies */
	struct group *hnext;        /* G_OPEN: hash chain */
	struct group *prev, *next;  /* G_OPEN: the open list, oldest first;
				     * G_READY: the ready queue, G_SENT: the
				     * sent queue (next) */
	struct group *free_next;
	struct group *all_next;     /* every group allocated, to free at the end */
};

enum slot_kind { SLOT_READY, SLOT_EMIT };

/* One input line's place in the output. */
struct slot {
	enum slot_kind kind;
	cJSON *rec;                 /* SLOT_READY: the record to print */
	struct group *g;            /* SLOT_EMIT: its group, */
	int i;                      /* and its event there */
};

struct batch {
	struct cli_app *a;
	struct sess_pipe pipe;
	struct slot *ring;          /* lines not yet printed, in input order */
	size_t cap, head, n;
	size_t depth, inflight;     /* emits allowed / now in flight */
	int group;                  /* most emits in one script call */
	struct group *hash[HASH_SIZE];
	struct group *open_head, *open_tail;
	int nopen;
	struct group *ready_head, *ready_tail; /* closed, sent in this order */
	size_t ready_ev;            /* emits in the ready groups */
	size_t ahead;               /* --ahead: most emits ready before we wait */
	unsigned ticks;             /* lines since replies were last looked for */
	struct group *sent_head, *sent_tail; /* replies come in this order */
	struct group *wait_head, *wait_tail; /* and WAIT's after them */
	int durable;                /* WAIT after each group */
	struct group *free_groups, *all;
	int fail_fast, first_fail, stop;
	long first_fail_line;        /* the line first_fail is of */
	long ok_lines, failed_lines;
};

/* ---- results (batch_emit.c) ---- */

/* Print rec (and free it); a reader gone stops the batch quietly. */
int batch_print_rec(struct batch *b, cJSON *rec);
/* The record of a line that succeeded (takes result). */
cJSON *batch_ok_rec(long line, const char *op, cJSON *result);
/* Count failed line number line (--fail-fast: stop); the exit status is
 * the code of the earliest failed line. */
void batch_note_fail(struct batch *b, long line, const struct sess_err *err);
/* A new slot at the end of the ring, zeroed, for the caller to fill. */
struct slot *batch_push(struct batch *b);
/* Free what b holds (see the ownership above). */
void batch_free(struct batch *b);

/* ---- emits (batch_emit.c) ---- */

/* Add an emit to its session's open group (the group's lines are printed
 * in order as replies come). in loses its "op" and "id" items. Returns 0,
 * -1 with err for a bad line (nothing queued), or -2 when fatal. */
int batch_queue_emit(struct batch *b, long line, cJSON *in, const char *id_in,
		     struct sess_err *err);
/* Close open group g (into one call, queued behind the calls already
 * closed) and send what the pipeline has room for; waits for room only
 * while more than --ahead emits are closed and not sent. */
int batch_send_group(struct batch *b, struct group *g);
/* Close every open group and send every call, waiting for room. */
int batch_send_all(struct batch *b);
/* Take the replies that have arrived, without waiting; send the calls
 * the pipeline now has room for; print what is ready. */
int batch_collect(struct batch *b);
/* Send every open group, read every reply and print every line; flush
 * stdout. */
int batch_drain(struct batch *b);

/* ---- standard input (batch_input.c) ---- */

/* Standard input in chunks, so the batch can tell whether another line can
 * be had without waiting. Start zeroed; free buf at the end. */
struct reader {
	char *buf;
	size_t cap, start, end;
	size_t clean;   /* bytes after start known to hold no line end */
	int eof, err;
};
/* 1 if the next line can be had without waiting. */
int batch_reader_ready(struct reader *r);
/* The next line, NUL-terminated in place (valid until the next call)
 * without its line end; *len its length. Returns 1, 0 at the end of
 * input, -1 on a read error (errno set), or 2 when one read brought no
 * whole line (ask batch_reader_ready before calling again). */
int batch_reader_line(struct reader *r, char **line, size_t *len);

#endif
