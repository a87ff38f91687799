/* ctx.h - what every session operation works in: one open connection and
 * the settings, and the callback that streams rows to the caller. */
#ifndef SESS_CTX_H
#define SESS_CTX_H

#include <cjson/cJSON.h>

#include "core/model/config.h"
#include "core/redis/conn.h"

struct sess_ctx {
	struct sess_conn *conn;         /* borrowed, open */
	const struct sess_config *cfg;  /* borrowed */
};

/* Called once per result row by listing functions; return non-zero to stop
 * early (for example when stdout closed). item is borrowed. */
typedef int (*sess_each_fn)(cJSON *item, void *arg);

#endif
