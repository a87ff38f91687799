/* conn_tls.h - the TLS side of a connection (conn.c's, nothing else's):
 * the stream opened from the config's TLS settings, and the messages of
 * TLS failures. */
#ifndef SESS_CONN_TLS_H
#define SESS_CONN_TLS_H

#include "core/redis/conn.h"

/* Connect c->st to c->ep: over TLS with c->cfg's tls_* settings when
 * c->ep.tls, else plain. 0, or -1 with c->st.fail set. */
int sess_conn_stream_open(struct sess_conn *c);

/* When c's failure is a TLS one (SESS_IO_TLS_*), fill err with the
 * problem and the fix and return -1 (77 for the server's certificate or
 * ours refused, 78 for our files and settings, 69 for a plain/TLS
 * mismatch or anything else); else 0, err untouched. */
int sess_conn_tls_error(const struct sess_conn *c, struct sess_err *err);

#endif
