/* conn_tls.c - TLS for conn.c: the options from the config and what a
 * TLS failure means to the user (conn_tls.h). */
#include "core/redis/conn_tls.h"

#include "core/redis/stream_tls.h"

int sess_conn_stream_open(struct sess_stream *st, const struct sess_endpoint *ep,
			  const struct sess_config *cfg)
{
	struct sess_tls_opts o;

	if (!ep->tls)
		return sess_stream_connect(st, ep, cfg->connect_timeout_ms);
	o.cacert = cfg->tls_cacert;
	o.cacertdir = cfg->tls_cacertdir;
	o.cert = cfg->tls_cert;
	o.key = cfg->tls_key;
	o.sni = cfg->tls_sni;
	o.ciphers = cfg->tls_ciphers;
	o.ciphersuites = cfg->tls_ciphersuites;
	o.insecure = cfg->tls_insecure;
	o.insecure_key = cfg->tls_insecure_key;
	return sess_stream_tls_connect(st, ep, &o, cfg->connect_timeout_ms);
}

int sess_conn_tls_error(enum sess_io_fail f, const char *w, const char *e,
			struct sess_err *err)
{
	switch (f) {
	case SESS_IO_TLS_UNTRUSTED:
		return sess_err_set(err, SESS_E_AUTH, "tls_untrusted",
				    "%s: TLS: the server's certificate is not trusted (%s); give the CA that signed it with --cacert (REDIS_CACERT, tls.cacert)",
				    w, e);
	case SESS_IO_TLS_EXPIRED:
		return sess_err_set(err, SESS_E_AUTH, "tls_expired",
				    "%s: TLS: the server's certificate is out of date (%s); renew it on the server (or check this machine's clock)",
				    w, e);
	case SESS_IO_TLS_NAME:
		return sess_err_set(err, SESS_E_AUTH, "tls_name",
				    "%s: TLS: the server's certificate is for another name (%s); connect with a name the certificate lists, or reissue it with this one in its subjectAltName",
				    w, e);
	case SESS_IO_TLS_REJECTED:
		return sess_err_set(err, SESS_E_AUTH, "tls_rejected",
				    "%s: TLS: the server wants a client certificate it trusts (%s); give one its CA signed with --cert and --key",
				    w, e);
	case SESS_IO_TLS_KEYPERM:
		return sess_err_set(err, SESS_E_CONFIG, "insecure_file",
				    "TLS key file %s can be read or written by group or others; chmod 600 it, or give --insecure-key-file to use it anyway",
				    e);
	case SESS_IO_TLS_FILE:
		return sess_err_set(err, SESS_E_CONFIG, "tls_config",
				    "TLS settings: %s", e);
	case SESS_IO_TLS_NOTTLS:
		return sess_err_set(err, SESS_E_UNAVAILABLE, "tls_not_tls",
				    "%s: the server did not answer TLS (%s): is it a plain-text port? drop --tls (or use redis:// instead of rediss://)",
				    w, e);
	case SESS_IO_TLS_PLAIN:
		return sess_err_set(err, SESS_E_UNAVAILABLE, "tls_plain",
				    "%s answered in TLS: it is a TLS port; add --tls (or use rediss://) with --cacert",
				    w);
	case SESS_IO_TLS:
		return sess_err_set(err, SESS_E_UNAVAILABLE, "tls",
				    "%s: TLS failed (%s); check the server's tls-* settings against --tls-ciphers, --tls-ciphersuites and TLS 1.2+",
				    w, e);
	default:
		return 0;
	}
}
