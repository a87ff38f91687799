#define _GNU_SOURCE
#include "core/redis/stream_tls.h"

#include <arpa/inet.h>
#include <errno.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The layer's state (s->impl). */
struct tls {
	SSL_CTX *ctx;
	SSL *ssl;
	int dead; /* a fatal error: no close_notify */
	int cert_asked; /* the server asked for a certificate we lack */
	int got_data;   /* application data came */
};

/* The server asks for a client certificate and we have none: say so
 * (a TLS 1.3 server refuses it after our handshake is done, and its
 * alert may be lost to the connection's reset). */
static int no_cert(SSL *ssl, X509 **x509, EVP_PKEY **pkey)
{
	struct tls *t = SSL_get_app_data(ssl);

	(void)x509;
	(void)pkey;
	if (t)
		t->cert_asked = 1;
	return 0;
}

/* The server ended the connection before any reply after asking for a
 * certificate we did not give: it refused us. */
static int refused_us(struct sess_stream *s, struct tls *t)
{
	s->fail = SESS_IO_TLS_REJECTED;
	snprintf(s->errstr, sizeof s->errstr, "it asked for a client certificate and closed the connection");
	t->dead = 1;
	return SESS_IO_ERR;
}

static int fail(struct sess_stream *s, enum sess_io_fail f, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail(struct sess_stream *s, enum sess_io_fail f, const char *fmt, ...)
{
	va_list ap;

	s->fail = f;
	va_start(ap, fmt);
	vsnprintf(s->errstr, sizeof s->errstr, fmt, ap);
	va_end(ap);
	return SESS_IO_ERR;
}

static int set(const char *v)
{
	return v && *v;
}

/* OpenSSL's last error, short ("wrong version number"). */
static const char *ssl_reason(unsigned long e)
{
	const char *r = e ? ERR_reason_error_string(e) : NULL;

	return r ? r : "unknown error";
}

/* An alert from the server about our certificate (or its absence). */
static int rejected(unsigned long e)
{
	int r = ERR_GET_REASON(e);

	return ERR_GET_LIB(e) == ERR_LIB_SSL &&
	       (r == SSL_R_TLSV13_ALERT_CERTIFICATE_REQUIRED || r == SSL_R_SSLV3_ALERT_BAD_CERTIFICATE ||
		r == SSL_R_TLSV1_ALERT_UNKNOWN_CA || r == SSL_R_SSLV3_ALERT_CERTIFICATE_UNKNOWN ||
		r == SSL_R_SSLV3_ALERT_HANDSHAKE_FAILURE || r == SSL_R_TLSV1_ALERT_ACCESS_DENIED ||
		r == SSL_R_SSLV3_ALERT_CERTIFICATE_EXPIRED || r == SSL_R_TLSV1_ALERT_DECRYPT_ERROR);
}

/* Bytes that are no TLS record: a plain-text server. */
static int not_tls(unsigned long e)
{
	int r = ERR_GET_REASON(e);

	return ERR_GET_LIB(e) == ERR_LIB_SSL &&
	       (r == SSL_R_WRONG_VERSION_NUMBER || r == SSL_R_PACKET_LENGTH_TOO_LONG ||
		r == SSL_R_UNKNOWN_PROTOCOL ||
		r == SSL_R_UNEXPECTED_EOF_WHILE_READING);
}

/* The failure of an SSL call that returned rc, as s->fail; SESS_IO_ERR,
 * or a SESS_IO_WANT_*, or 0 at a clean end of stream. */
static ssize_t ssl_fail(struct sess_stream *s, struct tls *t, int rc)
{
	int e = SSL_get_error(t->ssl, rc), saved = errno;
	unsigned long q = ERR_peek_last_error();

	switch (e) {
	case SSL_ERROR_WANT_READ:
		return SESS_IO_WANT_READ;
	case SSL_ERROR_WANT_WRITE:
		return SESS_IO_WANT_WRITE;
	case SSL_ERROR_ZERO_RETURN:
		return 0;
	case SSL_ERROR_SYSCALL:
		t->dead = 1;
		if (!q && saved == 0)
			return 0; /* end of stream without close_notify */
		if (!q)
			return fail(s, saved == ECONNRESET || saved == EPIPE ? SESS_IO_CLOSED : SESS_IO_OTHER,
				    "%s", strerror(saved));
		break;
	default:
		t->dead = 1;
		break;
	}
	if (rejected(q))
		return fail(s, SESS_IO_TLS_REJECTED, "%s", ssl_reason(q));
	return fail(s, SESS_IO_TLS, "%s", ssl_reason(q));
}

static ssize_t tls_read(struct sess_stream *s, void *buf, size_t n)
{
	struct tls *t = s->impl;
	ssize_t r;
	int k;

	ERR_clear_error();
	errno = 0;
	k = SSL_read(t->ssl, buf, n > INT32_MAX ? INT32_MAX : (int)n);
	if (k > 0) {
		t->got_data = 1;
		return k;
	}
	r = ssl_fail(s, t, k);
	if (t->cert_asked && !t->got_data && (r == 0 || (r == SESS_IO_ERR && s->fail == SESS_IO_CLOSED)))
		return refused_us(s, t);
	return r;
}

static ssize_t tls_write(struct sess_stream *s, const void *buf, size_t n)
{
	struct tls *t = s->impl;
	int k;
	ssize_t r;

	ERR_clear_error();
	errno = 0;
	k = SSL_write(t->ssl, buf, n > INT32_MAX ? INT32_MAX : (int)n);
	if (k > 0)
		return k;
	r = ssl_fail(s, t, k);
	if (t->cert_asked && !t->got_data && (r == 0 || (r == SESS_IO_ERR && s->fail == SESS_IO_CLOSED)))
		return refused_us(s, t);
	/* no end of stream when writing: the peer went away */
	return r == 0 ? fail(s, SESS_IO_CLOSED, "the server closed the TLS connection") : r;
}

static size_t tls_pending(const struct sess_stream *s)
{
	const struct tls *t = s->impl;
	int n = t && t->ssl ? SSL_pending(t->ssl) : 0;

	return n > 0 ? (size_t)n : 0;
}

static void tls_free(struct tls *t)
{
	if (!t)
		return;
	if (t->ssl) {
		/* close_notify, without waiting for the server's */
		if (!t->dead && SSL_is_init_finished(t->ssl)) {
			ERR_clear_error();
			SSL_shutdown(t->ssl);
		}
		SSL_free(t->ssl);
	}
	SSL_CTX_free(t->ctx);
	ERR_clear_error();
	free(t);
}

static void tls_close(struct sess_stream *s)
{
	tls_free(s->impl);
	s->impl = NULL;
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
	s->ops = NULL;
}

static const struct sess_stream_ops tls_ops = {"tls", tls_read, tls_write, tls_pending, tls_close};

/* A file we are to read: there, readable and a file. */
static int check_file(struct sess_stream *s, const char *path, const char *what, int dir)
{
	struct stat st;

	if (stat(path, &st) != 0)
		return fail(s, SESS_IO_TLS_FILE, "%s %s: %s; give one that exists", what, path, strerror(errno));
	if (dir ? !S_ISDIR(st.st_mode) : S_ISDIR(st.st_mode))
		return fail(s, SESS_IO_TLS_FILE, "%s %s is %s", what, path,
			    dir ? "not a directory" : "a directory");
	if (access(path, R_OK | (dir ? X_OK : 0)) != 0)
		return fail(s, SESS_IO_TLS_FILE, "%s %s: %s; make it readable to this user", what, path, strerror(errno));
	return 0;
}

/* The context for o: 0, or -1 with s->fail. */
static int make_ctx(struct sess_stream *s, struct tls *t, const struct sess_tls_opts *o)
{
	struct stat st;

	ERR_clear_error();
	if (!(t->ctx = SSL_CTX_new(TLS_client_method())))
		return fail(s, SESS_IO_NOMEM, "cannot set up TLS: %s", ssl_reason(ERR_peek_last_error()));
	SSL_CTX_set_min_proto_version(t->ctx, TLS1_2_VERSION);
	SSL_CTX_set_options(t->ctx, SSL_OP_IGNORE_UNEXPECTED_EOF);
	SSL_CTX_set_mode(t->ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	if (set(o->cacert) && check_file(s, o->cacert, "CA file (--cacert)", 0))
		return -1;
	if (set(o->cacertdir) && check_file(s, o->cacertdir, "CA directory (--cacertdir)", 1))
		return -1;
	if (set(o->cacert) || set(o->cacertdir)) {
		if (SSL_CTX_load_verify_locations(t->ctx, set(o->cacert) ? o->cacert : NULL,
						  set(o->cacertdir) ? o->cacertdir : NULL) != 1)
			return fail(s, SESS_IO_TLS_FILE, "CA %s holds no usable certificate (%s); give the CA's PEM certificate",
				    set(o->cacert) ? o->cacert : o->cacertdir, ssl_reason(ERR_peek_last_error()));
	} else if (SSL_CTX_set_default_verify_paths(t->ctx) != 1) {
		return fail(s, SESS_IO_TLS_FILE, "cannot load the system's CA store (%s); give the server's CA with --cacert",
			    ssl_reason(ERR_peek_last_error()));
	}
	SSL_CTX_set_verify(t->ctx, o->insecure ? SSL_VERIFY_NONE : SSL_VERIFY_PEER, NULL);
	SSL_CTX_set_client_cert_cb(t->ctx, no_cert);
	if (set(o->cert) != set(o->key))
		return fail(s, SESS_IO_TLS_FILE, "%s", set(o->cert) ? "--cert needs its --key: give both" : "--key needs its --cert: give both");
	if (set(o->cert)) {
		if (check_file(s, o->cert, "certificate (--cert)", 0) || check_file(s, o->key, "key (--key)", 0))
			return -1;
		if (!o->insecure_key && stat(o->key, &st) == 0 && S_ISREG(st.st_mode) &&
		    (st.st_mode & (S_IRGRP | S_IWGRP | S_IROTH | S_IWOTH)))
			return fail(s, SESS_IO_TLS_KEYPERM, "%s (mode %04o)", o->key, (unsigned)(st.st_mode & 07777));
		if (SSL_CTX_use_certificate_chain_file(t->ctx, o->cert) != 1)
			return fail(s, SESS_IO_TLS_FILE, "certificate (--cert) %s is not a PEM certificate (%s); give the client certificate in PEM",
				    o->cert, ssl_reason(ERR_peek_last_error()));
		if (SSL_CTX_use_PrivateKey_file(t->ctx, o->key, SSL_FILETYPE_PEM) != 1 &&
		    ERR_GET_REASON(ERR_peek_last_error()) == X509_R_KEY_VALUES_MISMATCH)
			return fail(s, SESS_IO_TLS_FILE, "key (--key) %s does not match certificate (--cert) %s; give the key the certificate was made for",
				    o->key, o->cert);
		if (ERR_peek_last_error())
			return fail(s, SESS_IO_TLS_FILE, "key (--key) %s is not an unencrypted PEM private key (%s); give one (openssl pkey -in KEY -out KEY.pem)",
				    o->key, ssl_reason(ERR_peek_last_error()));
		if (SSL_CTX_check_private_key(t->ctx) != 1)
			return fail(s, SESS_IO_TLS_FILE, "key (--key) %s does not match certificate (--cert) %s; give the key the certificate was made for",
				    o->key, o->cert);
	}
	if (set(o->ciphers) && SSL_CTX_set_cipher_list(t->ctx, o->ciphers) != 1)
		return fail(s, SESS_IO_TLS_FILE, "--tls-ciphers \"%.60s\" names no cipher OpenSSL knows; see openssl ciphers", o->ciphers);
	if (set(o->ciphersuites) && SSL_CTX_set_ciphersuites(t->ctx, o->ciphersuites) != 1)
		return fail(s, SESS_IO_TLS_FILE, "--tls-ciphersuites \"%.60s\" names no TLS 1.3 suite OpenSSL knows; see openssl ciphers -s -tls1_3",
			    o->ciphersuites);
	return 0;
}

static int is_ip(const char *host)
{
	unsigned char a[16];

	return inet_pton(AF_INET, host, a) == 1 || inet_pton(AF_INET6, host, a) == 1;
}

/* The SSL object on s->fd: name checks and SNI. */
static int make_ssl(struct sess_stream *s, struct tls *t, const struct sess_endpoint *ep,
		    const struct sess_tls_opts *o)
{
	X509_VERIFY_PARAM *param;
	int ip = is_ip(ep->host);

	if (!(t->ssl = SSL_new(t->ctx)) || SSL_set_fd(t->ssl, s->fd) != 1)
		return fail(s, SESS_IO_NOMEM, "cannot set up TLS: %s", ssl_reason(ERR_peek_last_error()));
	SSL_set_app_data(t->ssl, t);
	if (!o->insecure) {
		param = SSL_get0_param(t->ssl);
		X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
		if ((ip ? X509_VERIFY_PARAM_set1_ip_asc(param, ep->host)
			: X509_VERIFY_PARAM_set1_host(param, ep->host, 0)) != 1)
			return fail(s, SESS_IO_TLS_FILE, "cannot check the server's name against \"%.60s\"", ep->host);
	}
	if (set(o->sni) || !ip) {
		char name[256];
		snprintf(name, sizeof name, "%s", set(o->sni) ? o->sni : ep->host);
		if (SSL_set_tlsext_host_name(t->ssl, name) != 1)
			return fail(s, SESS_IO_TLS_FILE, "--sni \"%.60s\" is not a name to send",
				    set(o->sni) ? o->sni : ep->host);
	}
	return 0;
}

/* The handshake's failure as s->fail. */
static int handshake_fail(struct sess_stream *s, struct tls *t, int rc)
{
	long v = SSL_get_verify_result(t->ssl);
	int e = SSL_get_error(t->ssl, rc);
	unsigned long q = ERR_peek_last_error();

	t->dead = 1;
	if (v != X509_V_OK && ERR_GET_REASON(q) == SSL_R_CERTIFICATE_VERIFY_FAILED) {
		const char *why = X509_verify_cert_error_string(v);
		if (v == X509_V_ERR_CERT_HAS_EXPIRED || v == X509_V_ERR_CERT_NOT_YET_VALID)
			return fail(s, SESS_IO_TLS_EXPIRED, "%s", why);
		if (v == X509_V_ERR_HOSTNAME_MISMATCH || v == X509_V_ERR_IP_ADDRESS_MISMATCH)
			return fail(s, SESS_IO_TLS_NAME, "%s", why);
		return fail(s, SESS_IO_TLS_UNTRUSTED, "%s", why);
	}
	if (not_tls(q) || (e == SSL_ERROR_SYSCALL && !q) || e == SSL_ERROR_ZERO_RETURN)
		return fail(s, SESS_IO_TLS_NOTTLS, "%s", q ? ssl_reason(q) : "the connection ended in the handshake");
	if (rejected(q))
		return fail(s, SESS_IO_TLS_REJECTED, "%s", ssl_reason(q));
	return fail(s, SESS_IO_TLS, "%s", ssl_reason(q));
}

/* SSL_connect until done or the deadline: 0, or -1 with s->fail. */
static int handshake(struct sess_stream *s, struct tls *t, long long deadline, long long timeout_ms)
{
	for (;;) {
		long long left;
		int rc, e, n;

		ERR_clear_error();
		errno = 0;
		if ((rc = SSL_connect(t->ssl)) == 1)
			return 0;
		e = SSL_get_error(t->ssl, rc);
		if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE)
			return handshake_fail(s, t, rc);
		left = deadline - sess_stream_now_ms();
		n = sess_stream_poll(s, e == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT, left > 0 ? (int)left : 0, 0);
		if (n < 0)
			return -1;
		/* a plain-text server waits for a line that never comes */
		if (n == 0 && BIO_number_read(SSL_get_rbio(t->ssl)) == 0)
			return fail(s, SESS_IO_TLS_NOTTLS, "no answer to the TLS handshake in %lld ms", timeout_ms);
		if (n == 0)
			return fail(s, SESS_IO_TIMEOUT, "TLS handshake timed out");
	}
}

int sess_stream_tls_connect(struct sess_stream *s, const struct sess_endpoint *ep,
			    const struct sess_tls_opts *o, int timeout_ms)
{
	long long deadline = sess_stream_now_ms() + timeout_ms;
	struct sess_endpoint plain = *ep;
	struct tls *t;
	int fd;

	memset(s, 0, sizeof *s);
	s->fd = -1;
	if (ep->unix_path[0])
		return fail(s, SESS_IO_TLS_FILE, "TLS is for TCP connections, not a unix socket: drop --tls, or connect by host and port");
	if (!(t = calloc(1, sizeof *t)))
		return fail(s, SESS_IO_NOMEM, "out of memory");
	/* the files first: a bad setting is found without a server */
	if (make_ctx(s, t, o))
		goto fail;
	plain.tls = 0;
	if (sess_stream_connect(s, &plain, timeout_ms))
		goto fail;
	if (make_ssl(s, t, ep, o) || handshake(s, t, deadline, timeout_ms))
		goto fail;
	s->impl = t;
	s->ops = &tls_ops;
	return 0;
fail:
	fd = s->fd;
	t->dead = 1;
	tls_free(t);
	if (s->ops && fd >= 0)
		close(fd);
	s->ops = NULL;
	s->impl = NULL;
	s->fd = -1;
	return -1;
}
