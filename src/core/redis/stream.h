/* stream.h - the byte stream under a connection (conn.h): the transport's
 * lowest layer. conn.c speaks RESP over it with hiredis's reply reader and
 * command formatter only; it never lets hiredis own a socket (hiredis 0.14
 * has no I/O hooks, so TLS could not sit under a redisContext).
 *
 * A stream is a non-blocking socket and a small table of operations. The
 * plain one (this file) reads and writes the socket; the TLS layer
 * (stream_tls.h) connects the socket with sess_stream_connect, runs its handshake and
 * replaces ops and impl with its own, and nothing above the stream changes.
 * Its three duties towards conn.c:
 *   - read and write never block: they return SESS_IO_WANT_READ or
 *     SESS_IO_WANT_WRITE for what to poll the fd for (TLS may need to
 *     write while reading and the other way round);
 *   - pending() counts bytes it already holds that read() would return
 *     without touching the socket (a TLS record read whole), which poll()
 *     on the fd cannot see;
 *   - on SESS_IO_ERR it says why in fail and errstr.
 */
#ifndef SESS_STREAM_H
#define SESS_STREAM_H

#include <stddef.h>
#include <sys/types.h>

/* What read and write return besides a byte count (read: 0 at the end). */
#define SESS_IO_ERR (-1)
#define SESS_IO_WANT_READ (-2)
#define SESS_IO_WANT_WRITE (-3)

/* Why a connection failed: decides the message and the exit code
 * (sess_conn_io_error). */
enum sess_io_fail {
	SESS_IO_OK = 0,
	SESS_IO_NOTCONN,    /* never opened, or closed */
	SESS_IO_REFUSED,    /* connection refused */
	SESS_IO_NOSOCK,     /* no unix socket at the path */
	SESS_IO_RESOLVE,    /* unknown host */
	SESS_IO_TIMEOUT,    /* connect or a reply took longer than allowed */
	SESS_IO_CLOSED,     /* end of stream, reset or broken pipe */
	SESS_IO_PROTOCOL,   /* the bytes are not RESP */
	SESS_IO_NOMEM,
	SESS_IO_OTHER,      /* anything else; errstr says what */
	/* TLS (stream_tls.h); errstr says what OpenSSL said */
	SESS_IO_TLS_UNTRUSTED, /* no CA we trust vouches for the server */
	SESS_IO_TLS_EXPIRED,   /* its certificate expired or is not valid yet */
	SESS_IO_TLS_NAME,      /* its certificate is for another name */
	SESS_IO_TLS_FILE,      /* a CA, certificate or key file we cannot use */
	SESS_IO_TLS_KEYPERM,   /* the key file is readable by others */
	SESS_IO_TLS_NOTTLS,    /* the server did not answer TLS */
	SESS_IO_TLS_PLAIN,     /* the server answered TLS to plain text */
	SESS_IO_TLS_REJECTED,  /* the server refused our certificate (or none) */
	SESS_IO_TLS            /* any other TLS failure */
};

/* Where a connection goes: what sess_config names today; what Sentinel
 * (the current primary) or the cluster slot map (a node) will name later. */
struct sess_endpoint {
	char host[256];
	int port;
	char unix_path[108];  /* non-empty: this unix socket, host unused */
	int tls;              /* wrap the socket in TLS (stream_tls.h) */
};

struct sess_stream;

struct sess_stream_ops {
	const char *name;  /* "tcp", "unix", "tls" */
	/* > 0 bytes, 0 end of stream, or SESS_IO_WANT_* / SESS_IO_ERR */
	ssize_t (*read)(struct sess_stream *s, void *buf, size_t n);
	/* > 0 bytes written, or SESS_IO_WANT_* / SESS_IO_ERR */
	ssize_t (*write)(struct sess_stream *s, const void *buf, size_t n);
	/* bytes read() returns without the socket being readable */
	size_t (*pending)(const struct sess_stream *s);
	/* release the layer and close the fd; the stream is then unused */
	void (*close)(struct sess_stream *s);
};

struct sess_stream {
	const struct sess_stream_ops *ops; /* NULL: not connected */
	int fd;                            /* non-blocking, for poll() */
	void *impl;                        /* the layer's own state */
	enum sess_io_fail fail;            /* set with SESS_IO_ERR */
	char errstr[320];
};

/* Connect to ep within timeout_ms (a plain socket: ep->tls is the
 * caller's, see sess_stream_tls_connect), resolving its host now (every call
 * resolves again, so a moved DNS name is followed on reconnect): a
 * non-blocking, close-on-exec socket; TCP gets TCP_NODELAY and keepalive.
 * The name is looked up for IPv4 first and only when that finds nothing
 * for IPv6 (as hiredis 0.14 does). Returns 0, or -1 with
 * s->fail and s->errstr set (s left unconnected). */
int sess_stream_connect(struct sess_stream *s, const struct sess_endpoint *ep,
			int timeout_ms);

/* Close (safe on an unconnected stream). */
void sess_stream_close(struct sess_stream *s);

/* Milliseconds on the monotonic clock, for deadlines. */
long long sess_stream_now_ms(void);

/* poll() s's fd for events up to timeout_ms (< 0: forever), retrying
 * after a signal with what is left. Returns the revents, 0 on timeout,
 * -1 with s->fail/errstr set when poll itself failed. intr: return 0 when
 * a signal interrupts instead of retrying. */
int sess_stream_poll(struct sess_stream *s, short events, int timeout_ms, int intr);

#endif
