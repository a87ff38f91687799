/* session.h - session operations over one connection.
 *
 * Every change to a session runs as one Lua script on the server (atomic,
 * seq assigned there). Global indexes (the session index, agent indexes,
 * stats counters) live in other slots and are updated right after, in one
 * pipeline; they can drift if a client dies between the two, and
 * sess_maintenance repairs them.
 *
 * Results are cJSON objects in the seeds' field names; the caller owns them
 * and frees them with cJSON_Delete. Strings passed in are borrowed.
 */
#ifndef SESS_SESSION_H
#define SESS_SESSION_H

#include <cjson/cJSON.h>

#include "config.h"
#include "conn.h"
#include "event.h"

struct sess_ctx {
	struct sess_conn *conn;         /* borrowed, open */
	const struct sess_config *cfg;  /* borrowed */
};

#define SESS_NEW_ID_LEN 36

/* A new time-ordered session id (UUID version 7 text form), so ids sort by
 * creation. out must hold SESS_NEW_ID_LEN + 1 bytes. */
int sess_new_id(char *out, struct sess_err *err);

/* Called once per result row by listing functions; return non-zero to stop
 * early (for example when stdout closed). item is borrowed. */
typedef int (*sess_each_fn)(cJSON *item, void *arg);

int sess_create(struct sess_ctx *s, const char *id, const char *agent,
		long ttl, const char *metadata_json, cJSON **out,
		struct sess_err *err);
int sess_join(struct sess_ctx *s, const char *id, const char *agent,
	      cJSON **out, struct sess_err *err);
int sess_leave(struct sess_ctx *s, const char *id, const char *agent,
	       cJSON **out, struct sess_err *err);
int sess_complete(struct sess_ctx *s, const char *id, cJSON **out,
		  struct sess_err *err);
int sess_delete(struct sess_ctx *s, const char *id, cJSON **out,
		struct sess_err *err);
/* ttl 0 keeps the session's TTL and only restarts it. */
int sess_touch(struct sess_ctx *s, const char *id, long ttl, cJSON **out,
	       struct sess_err *err);

/* ev must have passed sess_event_validate. */
int sess_emit(struct sess_ctx *s, const char *id, const struct sess_event *ev,
	      cJSON **out, struct sess_err *err);

/* An emit request for pipelines: one or more events into one session, sent
 * as one EVALSHA of the emit script. The events run in order and atomically,
 * each exactly as its own emit would (refusals are per event), while the
 * script's fixed costs are paid once. init checks the id; add validates
 * nothing more than sess_emit does and copies what it needs from ev (req
 * owns every string); argv lays the command out in req->argv/lens and
 * returns argc. Release with sess_emit_req_free. */
struct sess_emit_req {
	char *buf;                 /* the arguments, NUL-separated */
	size_t len, cap;
	size_t *off;               /* argument k starts at buf + off[k] */
	const char **argv;         /* filled by sess_emit_req_argv */
	size_t *lens;
	int argc, argcap;
	int n;                     /* events */
};
int sess_emit_req_init(struct sess_ctx *s, const char *id,
		       struct sess_emit_req *req, struct sess_err *err);
int sess_emit_req_add(struct sess_emit_req *req, const struct sess_event *ev,
		      struct sess_err *err);
int sess_emit_req_argv(struct sess_emit_req *req);
void sess_emit_req_free(struct sess_emit_req *req);

/* The result of event i (0-based) in the emit script's reply r, as plain
 * values for writers that format it themselves; state points into r. An
 * error for the whole reply (session missing, ...) is every event's error. */
struct sess_emit_res {
	long long seq, timestamp, checkpoint, expiry_ms;
	int duplicate;
	const char *state;
};
int sess_emit_parse(struct sess_ctx *s, const redisReply *r, int i,
		    struct sess_emit_res *res, struct sess_err *err);
/* The emit result object {"id","seq","duplicate","timestamp","state",
 * "checkpoint"} of res (NULL when out of memory); caller owns it. */
cJSON *sess_emit_res_json(const char *id, const struct sess_emit_res *res);

/* The session, its agents and last seq; with_events adds "events". */
int sess_get(struct sess_ctx *s, const char *id, int with_events,
	     cJSON **out, struct sess_err *err);

/* Events with from <= seq <= to (to 0 = the last), at most limit (0 = no
 * limit), read in pages so memory stays flat. *last_seq (may be NULL) gets
 * the session's last seq. */
int sess_events(struct sess_ctx *s, const char *id, long from, long to,
		long limit, sess_each_fn each, void *arg, long *last_seq,
		struct sess_err *err);

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

/* How many sessions the index holds (expired ones not yet pruned included). */
int sess_index_size(struct sess_ctx *s, long *n, struct sess_err *err);

int sess_checkpoint(struct sess_ctx *s, const char *id, const char *reason,
		    cJSON **out, struct sess_err *err);
int sess_checkpoints(struct sess_ctx *s, const char *id, sess_each_fn each,
		     void *arg, struct sess_err *err);
int sess_checkpoint_show(struct sess_ctx *s, const char *id, long number,
			 cJSON **out, struct sess_err *err);

int sess_stats(struct sess_ctx *s, cJSON **out, struct sess_err *err);

struct sess_maint_opts {
	int dry_run;   /* count what would be done, change nothing */
	int no_trim;   /* only prune indexes */
};

/* Prune index entries of expired sessions (batches of cleanupBatchSize),
 * clean agent indexes, trim logs to maxEventsPerSession. */
int sess_maintenance(struct sess_ctx *s, const struct sess_maint_opts *o,
		     cJSON **report, struct sess_err *err);

/* Refuse a database whose layout version this build does not know. */
int sess_check_layout(struct sess_ctx *s, struct sess_err *err);

#endif
