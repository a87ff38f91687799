/* ctx.h - what every session operation works in: one open connection and
 * the settings, and the callback that streams rows to the caller. */
#ifndef SESS_CTX_H
#define SESS_CTX_H

#include <cjson/cJSON.h>

#include "core/model/config.h"
#include "core/redis/conn.h"

/* Long passes (maintenance, upgrade, ...) report how far they are:
 * phase names the pass, done counts what is handled, total what there is
 * to handle (-1 when not known). Called at page boundaries, never per key;
 * done == total (or a final call with done < 0) ends the pass. */
typedef void (*sess_progress_fn)(void *arg, const char *phase, long done, long total);

struct sess_ctx {
	struct sess_conn *conn;         /* borrowed, open */
	const struct sess_config *cfg;  /* borrowed */
	sess_progress_fn progress;      /* NULL: nobody watches */
	void *progress_arg;
};

/* s->progress, when set. */
static inline void sess_progress(const struct sess_ctx *s, const char *phase, long done,
				 long total)
{
	if (s->progress)
		s->progress(s->progress_arg, phase, done, total);
}

/* Called once per result row by listing functions; return non-zero to stop
 * early (for example when stdout closed). item is borrowed. */
typedef int (*sess_each_fn)(cJSON *item, void *arg);

#endif
