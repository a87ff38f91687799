#define _GNU_SOURCE
#include "core/redis/stream.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define KEEPALIVE_S 15 /* idle seconds before the first probe, as hiredis */

long long sess_stream_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int fail(struct sess_stream *s, enum sess_io_fail f, const char *what)
{
	s->fail = f;
	snprintf(s->errstr, sizeof s->errstr, "%s", what);
	return SESS_IO_ERR;
}

/* errno of a failed read or write as a failure */
static int io_fail(struct sess_stream *s, int e)
{
	return fail(s, e == ECONNRESET || e == EPIPE || e == ENOTCONN ? SESS_IO_CLOSED : SESS_IO_OTHER,
		    strerror(e));
}

static ssize_t sock_read(struct sess_stream *s, void *buf, size_t n)
{
	ssize_t k;

	do
		k = recv(s->fd, buf, n, 0);
	while (k < 0 && errno == EINTR);
	if (k >= 0)
		return k;
	if (errno == EAGAIN || errno == EWOULDBLOCK)
		return SESS_IO_WANT_READ;
	return io_fail(s, errno);
}

static ssize_t sock_write(struct sess_stream *s, const void *buf, size_t n)
{
	ssize_t k;

	do
		k = send(s->fd, buf, n, MSG_NOSIGNAL);
	while (k < 0 && errno == EINTR);
	if (k >= 0)
		return k;
	if (errno == EAGAIN || errno == EWOULDBLOCK)
		return SESS_IO_WANT_WRITE;
	return io_fail(s, errno);
}

static size_t sock_pending(const struct sess_stream *s)
{
	(void)s;
	return 0; /* the socket holds it: poll sees it */
}

static void sock_close(struct sess_stream *s)
{
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
	s->ops = NULL;
}

static const struct sess_stream_ops tcp_ops = {"tcp", sock_read, sock_write, sock_pending, sock_close};
static const struct sess_stream_ops unix_ops = {"unix", sock_read, sock_write, sock_pending, sock_close};

int sess_stream_poll(struct sess_stream *s, short events, int timeout_ms, int intr)
{
	long long deadline = timeout_ms >= 0 ? sess_stream_now_ms() + timeout_ms : 0;
	struct pollfd p;
	int n;

	for (;;) {
		p.fd = s->fd;
		p.events = events;
		p.revents = 0;
		n = poll(&p, 1, timeout_ms);
		if (n > 0)
			return p.revents ? p.revents : events;
		if (n == 0)
			return 0;
		if (errno != EINTR) {
			fail(s, SESS_IO_OTHER, strerror(errno));
			return -1;
		}
		if (intr)
			return 0;
		if (timeout_ms >= 0) {
			long long left = deadline - sess_stream_now_ms();
			timeout_ms = left > 0 ? (int)left : 0;
		}
	}
}

/* Wait for a non-blocking connect on fd until deadline: 0, or -1 with
 * s->fail set. */
static int connect_wait(struct sess_stream *s, int fd, long long deadline)
{
	int e = 0, n;
	socklen_t len = sizeof e;
	long long left = deadline - sess_stream_now_ms();

	s->fd = fd;
	n = sess_stream_poll(s, POLLOUT, left > 0 ? (int)left : 0, 0);
	s->fd = -1;
	if (n < 0)
		return -1;
	if (n == 0)
		return fail(s, SESS_IO_TIMEOUT, "Connection timed out");
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &len) < 0)
		e = errno;
	if (e == 0)
		return 0;
	errno = e;
	return -1;
}

/* One connect; 0, or -1 with errno (or s->fail for a timeout). */
static int connect_one(struct sess_stream *s, int fd, const struct sockaddr *sa,
		       socklen_t salen, long long deadline)
{
	if (connect(fd, sa, salen) == 0)
		return 0;
	if (errno != EINPROGRESS && errno != EAGAIN && errno != EINTR)
		return -1;
	return connect_wait(s, fd, deadline);
}

static void tcp_options(int fd)
{
	int on = 1, v;

	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
	setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &on, sizeof on);
#ifdef TCP_KEEPIDLE
	v = KEEPALIVE_S;
	setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &v, sizeof v);
	v = KEEPALIVE_S / 3;
	setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &v, sizeof v);
	v = 3;
	setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &v, sizeof v);
#else
	(void)v;
#endif
}

/* The connect's errno (or timeout) as the stream's failure. */
static int connect_fail(struct sess_stream *s, int e, int is_unix)
{
	if (s->fail == SESS_IO_TIMEOUT)
		return -1;
	if (e == ECONNREFUSED)
		return fail(s, SESS_IO_REFUSED, strerror(e));
	if (is_unix && e == ENOENT)
		return fail(s, SESS_IO_NOSOCK, strerror(e));
	if (e == ETIMEDOUT)
		return fail(s, SESS_IO_TIMEOUT, strerror(e));
	return fail(s, SESS_IO_OTHER, strerror(e));
}

static int connect_unix(struct sess_stream *s, const struct sess_endpoint *ep, long long deadline)
{
	struct sockaddr_un sa;
	int fd;

	memset(&sa, 0, sizeof sa);
	sa.sun_family = AF_UNIX;
	if (strlen(ep->unix_path) >= sizeof sa.sun_path)
		return fail(s, SESS_IO_OTHER, "socket path too long");
	memcpy(sa.sun_path, ep->unix_path, strlen(ep->unix_path) + 1);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)) < 0)
		return fail(s, SESS_IO_OTHER, strerror(errno));
	if (connect_one(s, fd, (struct sockaddr *)&sa, sizeof sa, deadline)) {
		int e = errno;
		close(fd);
		return connect_fail(s, e, 1);
	}
	s->fd = fd;
	s->ops = &unix_ops;
	return 0;
}

static int connect_tcp(struct sess_stream *s, const struct sess_endpoint *ep, long long deadline)
{
	static const int families[2] = {AF_INET, AF_INET6};
	struct addrinfo hints, *res = NULL, *ai;
	char port[16];
	int i, rc, fd, e = 0, tried = 0;

	snprintf(port, sizeof port, "%d", ep->port);
	for (i = 0; i < 2; i++) {
		memset(&hints, 0, sizeof hints);
		hints.ai_family = families[i];
		hints.ai_socktype = SOCK_STREAM;
		rc = getaddrinfo(ep->host, port, &hints, &res);
		if (rc == 0)
			break;
		if (i == 1 || (rc != EAI_NONAME && rc != EAI_ADDRFAMILY && rc != EAI_NODATA))
			return fail(s, rc == EAI_NONAME || rc == EAI_NODATA || rc == EAI_ADDRFAMILY ? SESS_IO_RESOLVE
				    : rc == EAI_MEMORY ? SESS_IO_NOMEM : SESS_IO_OTHER, gai_strerror(rc));
	}
	for (ai = res; ai; ai = ai->ai_next) {
		if ((fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
				 ai->ai_protocol)) < 0) {
			e = errno;
			continue;
		}
		tried++;
		s->fail = SESS_IO_OK;
		if (connect_one(s, fd, ai->ai_addr, ai->ai_addrlen, deadline) == 0) {
			freeaddrinfo(res);
			tcp_options(fd);
			s->fd = fd;
			s->ops = &tcp_ops;
			return 0;
		}
		e = errno;
		close(fd);
		if (s->fail == SESS_IO_TIMEOUT)
			break; /* the deadline is the whole connect's */
	}
	freeaddrinfo(res);
	if (!tried && !e)
		return fail(s, SESS_IO_RESOLVE, "no address");
	return connect_fail(s, e, 0);
}

int sess_stream_connect(struct sess_stream *s, const struct sess_endpoint *ep,
			int timeout_ms)
{
	long long deadline = sess_stream_now_ms() + timeout_ms;

	memset(s, 0, sizeof *s);
	s->fd = -1;
	return ep->unix_path[0] ? connect_unix(s, ep, deadline) : connect_tcp(s, ep, deadline);
}

void sess_stream_close(struct sess_stream *s)
{
	/* an unconnected stream owns no fd (a failed connect closed it) */
	if (s->ops)
		s->ops->close(s);
	s->ops = NULL;
	s->fd = -1;
	s->impl = NULL;
}
