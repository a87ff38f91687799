/* conn_tls.h - the TLS side of a connection (conn.c's): the stream opened
 * from the config's TLS settings, and the messages of TLS failures. */
#ifndef SESS_CONN_TLS_H
#define SESS_CONN_TLS_H

#include "core/base/err.h"
#include "core/model/config.h"
#include "core/redis/stream.h"

/* Connect st to ep within cfg's connect timeout: over TLS with cfg's
 * tls_* settings when ep->tls, else plain. 0, or -1 with st->fail set. */
int sess_conn_stream_open(struct sess_stream *st, const struct sess_endpoint *ep,
			  const struct sess_config *cfg);

/* When f is a TLS failure (SESS_IO_TLS_*), fill err with the problem and
 * the fix (where: the server, e: the detail) and return -1 (77 for the
 * server's certificate or ours refused, 78 for our files and settings,
 * 69 for a plain/TLS mismatch or anything else); else 0, err untouched. */
int sess_conn_tls_error(enum sess_io_fail f, const char *where, const char *e,
			struct sess_err *err);

#endif
