/* checkpoint.h - checkpoints: snapshots of a session's state at a seq,
 * taken by hand (manual), every checkpointInterval events (auto), on a
 * failure (broke) and before a trim; kept in the session's checkpoints
 * hash, numbered from 1. */
#ifndef SESS_CHECKPOINT_H
#define SESS_CHECKPOINT_H

#include "core/session/ctx.h"

/* Take one; reason NULL = "manual". *out is the caller's. */
int sess_checkpoint(struct sess_ctx *s, const char *id, const char *reason,
		    cJSON **out, struct sess_err *err);
/* Every checkpoint of the session, in number order. */
int sess_checkpoints(struct sess_ctx *s, const char *id, sess_each_fn each,
		     void *arg, struct sess_err *err);
/* Checkpoint number of the session (not_found when it has none such). */
int sess_checkpoint_show(struct sess_ctx *s, const char *id, long number,
			 cJSON **out, struct sess_err *err);

#endif
