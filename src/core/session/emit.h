/* emit.h - append events to a session: the emit protocol.
 *
 * One EVALSHA of the emit script takes one or more events for one session
 * and runs them in order and atomically, each exactly as its own emit would
 * (refusals are per event), while the script's fixed costs are paid once.
 * The server assigns seq (contiguous, never reused) and the timestamp.
 */
#ifndef SESS_EMIT_H
#define SESS_EMIT_H

#include <cjson/cJSON.h>
#include <hiredis/hiredis.h>

#include "core/session/ctx.h"
#include "core/model/event.h"
#include "core/model/keys.h"

/* One event (the script updates the companion index and counters with
 * it). ev must have passed sess_event_validate. */
int sess_emit(struct sess_ctx *s, const char *id, const struct sess_event *ev,
	      cJSON **out, struct sess_err *err);

/* An emit request for pipelines: one or more events into one session, sent
 * as one EVALSHA of the emit script. init checks the id; add validates
 * nothing more than sess_emit does and copies what it needs from ev (req
 * owns every string); argv lays the command out in req->argv/lens and
 * returns argc (-1: out of memory). Release with sess_emit_req_free. */
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
/* The same with the session's keys given (k: sess_keys_init and
 * sess_keys_tag), for a caller that knows the tag without a conn. */
int sess_emit_req_init_keys(const struct sess_config *cfg, const char *id,
			    const struct sess_keys *k, struct sess_emit_req *req,
			    struct sess_err *err);
int sess_emit_req_add(struct sess_emit_req *req, const struct sess_event *ev,
		      struct sess_err *err);
int sess_emit_req_argv(struct sess_emit_req *req);
void sess_emit_req_free(struct sess_emit_req *req);

/* The result of event i (0-based) in the emit script's reply r, as plain
 * values for writers that format it themselves; state points into r. An
 * error for the whole reply (session missing, ...) is every event's error.
 * (The script has updated the companion index and counters itself.) */
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

#endif
