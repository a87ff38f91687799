#include "core/base/err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core/base/utf8.h"

int sess_err_set(struct sess_err *err, enum sess_class cls, const char *kind,
		 const char *fmt, ...)
{
	char buf[SESS_ERR_MSG_MAX];
	va_list ap;

	if (!err)
		return -1;
	err->cls = cls;
	snprintf(err->kind, sizeof err->kind, "%s",
		 kind ? kind : sess_err_class_name(cls));
	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	/* messages quote what users gave (ids, types, JSON, URLs), cut to a
	 * length that may split a character: they go out on one line as
	 * valid UTF-8 (JSON records need it), bad bytes as \xNN */
	sess_utf8_escape(err->msg, sizeof err->msg, buf);
	return -1;
}

void sess_err_prefix(struct sess_err *err, const char *fmt, ...)
{
	char buf[SESS_ERR_MSG_MAX];
	size_t n;
	va_list ap;

	if (!err)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	n = strlen(buf);
	if (n + 2 < sizeof buf) {
		memcpy(buf + n, ": ", 3);
		n += 2;
		/* the old message goes after the prefix, cut to fit */
		size_t m = strlen(err->msg);
		if (m > sizeof buf - n - 1)
			m = sizeof buf - n - 1;
		memcpy(buf + n, err->msg, m);
		buf[n + m] = '\0';
	}
	sess_utf8_escape(err->msg, sizeof err->msg, buf);
}

void sess_err_clear(struct sess_err *err)
{
	if (err)
		memset(err, 0, sizeof *err);
}

int sess_err_exit_code(enum sess_class cls)
{
	switch (cls) {
	case SESS_OK: return 0;
	case SESS_E_NEGATIVE: return 1;
	case SESS_E_USAGE: return 64;
	case SESS_E_DATA: return 65;
	case SESS_E_NOINPUT: return 66;
	case SESS_E_UNAVAILABLE: return 69;
	case SESS_E_INTERNAL: return 70;
	case SESS_E_TEMP: return 75;
	case SESS_E_AUTH: return 77;
	case SESS_E_CONFIG: return 78;
	case SESS_E_IO: return 74;
	}
	return 70;
}

const char *sess_err_class_name(enum sess_class cls)
{
	switch (cls) {
	case SESS_OK: return "ok";
	case SESS_E_NEGATIVE: return "refused";
	case SESS_E_USAGE: return "usage";
	case SESS_E_DATA: return "bad_input";
	case SESS_E_NOINPUT: return "no_input";
	case SESS_E_UNAVAILABLE: return "unavailable";
	case SESS_E_INTERNAL: return "internal";
	case SESS_E_TEMP: return "temporary";
	case SESS_E_AUTH: return "auth";
	case SESS_E_CONFIG: return "config";
	case SESS_E_IO: return "io";
	}
	return "internal";
}
