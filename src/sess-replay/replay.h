/* replay.h - what sess-replay's command files (cmd_NAME.c) share: their
 * entries, the source of a history (a live session or a saved replay) and
 * points in it, and the helpers several commands use. */
#ifndef SESS_REPLAY_BIN_H
#define SESS_REPLAY_BIN_H

#include <stdio.h>
#include <sys/types.h>

#include "cli/cli.h"
#include "core/history/fold.h"
#include "core/session/log.h"
#include "core/redis/pipe.h"


/* A point in a history: a seq, or a time (ms). */
struct point {
	int is_time;
	long long v;
};
/* "123" is a seq; "2026-11-23T14:02:00Z" (RFC 3339, any offset, optional
 * fraction) a time. what names the option in the message. */
int point_parse(const char *s, const char *what, struct point *p, struct sess_err *err);
/* Whether a record (kind, seq or at, ts) lies at or before p. */
int point_covers(const struct point *p, long long pos, long long ts);

/* Where a history comes from. */
struct source {
	char id[SESS_ID_MAX + 1];
	int saved;                 /* a saved replay, else the live session */
	struct sess_log_head head; /* live: where the log ended when read */
	cJSON *meta;               /* saved: its meta */
	long long given;           /* records given to the last source_fold's fn
				    * (or folded), up to its point */
	/* mark (set by the caller, used by source_fold without upto): the
	 * fold at that point is kept in marked (a snapshot, caller frees)
	 * before the first record past it, and given_at_mark the records
	 * given by then; the fold itself goes on */
	const struct point *mark;
	cJSON *marked;
	long long given_at_mark;
	/* live, read ahead (verify --all): the EXEC reply of SOURCE_READS,
	 * borrowed; source_checkpoints, source_fold and source_check_log
	 * take what they need from it instead of asking */
	const redisReply *pre;
};

/* A live session's reads in one MULTI, for source.pre: HMGET meta v seq
 * base chain, LLEN history, PTTL meta, LRANGE history and events 0
 * SOURCE_READ_MAX-1, HGETALL checkpoints, LLEN events. */
#define SOURCE_NREAD 7
#define SOURCE_READ_MAX 1000
int source_send_reads(struct cli_app *a, struct sess_pipe *p, const char *id, struct sess_err *err);
/* Whether x (an EXEC reply of source_send_reads) holds the whole
 * untrimmed log of a session of this layout: source.pre may be x. */
int source_reads_whole(const redisReply *x);

/* A record's position: its seq (events) or at (lifecycle records), and
 * its time; an event's scanned fields in *ev. */
int record_position(int kind, const char *text, size_t len, long long *pos, long long *ts,
		    struct sess_fold_ev *ev, struct sess_err *err);

/* A record's top-level member key: its value's span in [*v, *vend).
 * 1 found, 0 absent, -1 when the text is no object or holds key twice.
 * record_str: the same for a string value's raw contents (-1 when it is
 * not a string). Never a search of the text: metadata and impacts may
 * hold members of any name. */
int record_member(const char *text, size_t len, const char *key, const char **v, const char **vend);
int record_str(const char *text, size_t len, const char *key, const char **s, size_t *n);

/* Resolve id: the live session unless saved is asked or it is gone and a
 * saved replay exists. On failure src->saved says whether the saved
 * replay was being read (its meta missing or unreadable). */
int source_open(struct cli_app *a, const char *id, int saved, struct source *src);
void source_close(struct source *src);

/* Stream src's records in order to fn (may be NULL), each after it is
 * folded into f when SRC_FOLD is asked (with the chain when SRC_CHAIN); f
 * is initialised here whatever happens, so the caller frees it. Records
 * past upto (when not NULL) end the stream before they are folded, so f is
 * then the state at that point. from_seq lets a saved replay start at the
 * block before it. fn returns non-zero to stop. A source may be folded
 * again: each pass reads the log afresh. */
#define SRC_FOLD 1
#define SRC_CHAIN 2
#define SRC_EVENTS 4 /* the caller wants events alone (no fold): a live
		      * session's history list is not read */
typedef int (*source_fn)(int kind, const char *text, size_t len, struct sess_fold *f,
			 void *arg);
int source_fold(struct cli_app *a, struct source *src, struct sess_fold *f, int flags,
		long long from_seq, const struct point *upto, source_fn fn, void *arg);

/* A live log holds no event past its meta's seq (read at one instant;
 * the fold reads up to that seq, so it never sees such events). 0, or -1
 * with a->err: SESS_E_DATA "log_extra", or the connection's. A saved
 * replay: 0. */
int source_check_log(struct cli_app *a, struct source *src);

/* source_fold with pre (may be NULL) called before each record is
 * folded (with the fold before it); pre returning non-zero fails it
 * (pre sets a->err). */
int source_fold_pre(struct cli_app *a, struct source *src, struct sess_fold *f, int flags,
		    long long from_seq, const struct point *upto, source_fn pre, source_fn fn, void *arg);

/* src's checkpoints as an object: number (as text) -> checkpoint. A live
 * session's as stored in its hash; a saved replay's rebuilt from its
 * records (it keeps no bodies: see sess_integrity_checkpoint_body), by
 * one more pass over it. NULL with a->err on failure. Caller owns. */
cJSON *source_checkpoints(struct cli_app *a, struct source *src);
/* The checkpoints src's records imply (rebuilt as a saved replay's are,
 * live or saved), by one pass; NULL with a->err. Caller owns. */
cJSON *source_checkpoints_implied(struct cli_app *a, struct source *src);
/* The checkpoints of map (from source_checkpoints) as an array in number
 * order, how export writes them; map's items move into it. */
cJSON *checkpoints_in_order(cJSON *map);

/* The fold of src at point at, checked (anchor.c): the records are
 * folded with their chain past the point to where the chain is anchored
 * (a live session's next checkpoint, whose stored chain digest must be
 * the chain before its record, or the stored head at the end; a saved
 * replay's head, from its first block on, every snapshot checked), so a
 * record changed before the point fails, SESS_E_DATA "chain_mismatch".
 * snap gets the fold at the point (chained; the caller frees it whatever
 * happens); src->given the records up to it. 0, or -1 with a->err. */
int fold_anchored(struct cli_app *a, struct source *src, const struct point *at,
		  struct sess_fold *snap);

/* Findings of the checks a save or an import makes, before it writes:
 * the first is what the refusal says. */
struct cp_check {
	cJSON *cps;          /* number -> the checkpoint given (live or file) */
	long findings;
	char first[SESS_ERR_MSG_MAX];
	const char *live_id; /* a live session's: one its map lacks is read
			      * at the end (cp_check_end); NULL: a finding */
	cJSON *late;         /* number -> the body its record implied */
};

/* store.c's checks and writes that export and import share: before
 * checkpoint record text is encoded or exported, the given checkpoint
 * must be the one it implies (f: the fold before it); one a live
 * session's map lacks (taken after it was read) is read and compared in
 * cp_check_end, never while records stream. After the last record, no
 * given checkpoint may be left that no record took (cp_check_end: 0, or
 * -1 with a->err naming the first finding and ending "(lost)": what
 * became of the output, "nothing saved"; it frees late). store: enc
 * finished and saved as replay id, *out its summary (caller owns). */
void cp_check_record(struct cp_check *c, const struct sess_fold *f, int kind, const char *text,
		     size_t len);
int cp_check_end(struct cli_app *a, struct cp_check *c, const struct sess_fold *f,
		 const cJSON *start, const char *id, const char *what, const char *lost);
struct sess_replay_enc;
int store(struct cli_app *a, const char *id, struct sess_replay_enc *enc, cJSON **out);

/* ---- import's checks (check.c) ---- */

/* The longest line import reads: a record longer is refused. */
#define IMPORT_LINE_MAX (16L << 20)
#define IMPORT_LINE_MAX_TEXT "16 MiB"

/* Record text (len bytes, NUL-terminated) as sesskit's scripts write
 * one of kind (SESS_REC_EVENT or SESS_REC_HISTORY): no NUL, strict JSON
 * (valid UTF-8, no \u0000, nested at most SESS_JSON_DEPTH_MAX deep), an
 * object of the members its kind has, each once, ids by the id rules,
 * values in their ranges. 0, or -1 with err (SESS_E_DATA) saying what. */
int import_record_check(int kind, const char *text, size_t len, struct sess_err *err);

/* getline that reads at most max bytes of a line: -2 when it is longer
 * (the rest unread), -1 at the end, else the length (newline kept). */
ssize_t import_getline(char **buf, size_t *cap, FILE *f, size_t max);

/* The fold at a point (anchor.c): checked as fold_anchored checks it
 * for a live session, or with proof; else from a saved replay's snapshot
 * before the point. 0 with st->snap set (free it), or -1 with a->err
 * (kind "before_history" when the point is before the history). */
struct upto_st {
	struct point at;
	struct sess_fold snap;  /* the fold at the point */
};
int fold_upto(struct cli_app *a, struct source *src, struct upto_st *st, int proof);
/* The members of f, in join order, as an array of ids. Caller owns. */
cJSON *agent_names(const struct sess_fold *f);

/* A saved replay's meta summed up as list and save print it (store.c).
 * Caller owns. */
cJSON *replay_summary(const cJSON *meta);

/* Replays whose meta cannot be read, while listing the others (store.c):
 * bad_replay (a sess_replay_list_bad callback, p a struct bad_st or a
 * struct that starts with one) names each on stderr and counts it;
 * bad_end then fails the command (its exit code) when there were any. */
struct bad_st {
	struct cli_app *a;
	long n;
	int cls;
};
int bad_replay(const char *id, const struct sess_err *err, void *p);
int bad_end(struct bad_st *b);

/* The commands, in --help's order (main.c lists them; one cmd_NAME.c each). */
extern const struct cli_cmd replay_cmd_play, replay_cmd_state, replay_cmd_diff,
	replay_cmd_verify, replay_cmd_fork, replay_cmd_save, replay_cmd_list, replay_cmd_show,
	replay_cmd_delete, replay_cmd_cleanup, replay_cmd_stats, replay_cmd_export,
	replay_cmd_import, replay_cmd_timeline;

#endif
