/* stream_tls.h - TLS over a stream (stream.h), on OpenSSL.
 *
 * sess_stream_tls_connect connects the socket with sess_stream_connect,
 * runs the TLS handshake within the same timeout and replaces the
 * stream's ops with its own: read and write go through SSL_read and
 * SSL_write and return SESS_IO_WANT_* as OpenSSL asks; pending is
 * SSL_pending; close sends close_notify (without waiting) and frees the
 * SSL object. Nothing above the stream changes.
 *
 * TLS 1.2 or later only. The peer is verified unless insecure: against
 * cacert / cacertdir, or the system store when neither is given, and its
 * name (host name or IP address) against ep->host. SNI is sni, else the
 * host (not for an IP address). A failure sets s->fail (SESS_IO_TLS_*)
 * and s->errstr (what OpenSSL said, short), and leaves s unconnected.
 */
#ifndef SESS_STREAM_TLS_H
#define SESS_STREAM_TLS_H

#include "core/redis/stream.h"

/* The TLS settings of a connection; NULL or "" strings are not set.
 * Borrowed for the call only. */
struct sess_tls_opts {
	const char *cacert;       /* CA bundle file (PEM) */
	const char *cacertdir;    /* CA directory (c_rehash'ed) */
	const char *cert;         /* client certificate (PEM) */
	const char *key;          /* its private key (PEM), mode 600 */
	const char *sni;          /* server name to send */
	const char *ciphers;      /* TLS 1.2 cipher list */
	const char *ciphersuites; /* TLS 1.3 cipher suites */
	int insecure;             /* no verification of the server at all */
	int insecure_key;         /* take a key file group or others can read */
};

/* Connect to ep (ep->tls ignored) and run the handshake, all within
 * timeout_ms. 0, or -1 with s->fail and s->errstr set. */
int sess_stream_tls_connect(struct sess_stream *s, const struct sess_endpoint *ep,
			    const struct sess_tls_opts *o, int timeout_ms);

#endif
