/* session.h - every session operation, for binaries that use many.
 *
 * The core's session side is one module per responsibility, each with its
 * contract in its header:
 *   ctx.h        the connection + settings every operation works in
 *   ids.h        new session ids, the clock
 *   lifecycle.h  create, join, leave, complete, delete, touch
 *   emit.h       the emit protocol (one or many events per script call)
 *   log.h        the paged log reader, live messages
 *   view.h       get, list, the index size, the layout check
 *   checkpoint.h checkpoints
 *   stats.h      counters
 *   maint.h      maintenance (repairs indexes, trims logs)
 *   upgrade.h    in-place upgrade from the previous layout
 *   index.h      index and counter upkeep after each change (and the
 *                coalescing mode batch uses)
 * under them: schema.h (every name and limit), keys.h (key names),
 * scripts.h (the Lua scripts), pipe.h (pipelines), conn.h and stream.h
 * (the transport: the only modules that touch a socket or hiredis's
 * reader; tools/check-layers checks it), reply.h, event.h, json.h,
 * config.h, err.h.
 *
 * Every change to a session runs as one Lua script on the server (atomic,
 * seq assigned there); the global indexes are updated right after (index.h)
 * and can drift if a client dies between the two; maintenance repairs them.
 */
#ifndef SESS_SESSION_H
#define SESS_SESSION_H

#include "core/session/checkpoint.h"
#include "core/session/ctx.h"
#include "core/session/emit.h"
#include "core/model/ids.h"
#include "core/session/index.h"
#include "core/session/lifecycle.h"
#include "core/session/log.h"
#include "core/session/maint.h"
#include "core/session/stats.h"
#include "core/session/upgrade.h"
#include "core/session/view.h"

#endif
