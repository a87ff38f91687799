/* err.h - the error every core function fills instead of printing.
 *
 * Core functions return 0 on success and -1 on failure; on failure they fill
 * a caller-owned struct sess_err with a class (which decides the exit code),
 * a short machine-readable kind (the "code" of a JSON error record) and one
 * human line that names the problem and, where there is one, the fix.
 */
#ifndef SESS_ERR_H
#define SESS_ERR_H

#include <stddef.h>

enum sess_class {
	SESS_OK = 0,
	SESS_E_NEGATIVE,    /* not found, refused by the session's state: exit 1 */
	SESS_E_USAGE,       /* bad flags or arguments: exit 64 */
	SESS_E_DATA,        /* bad input data (JSON, ids, values): exit 65 */
	SESS_E_NOINPUT,     /* input file missing: exit 66 */
	SESS_E_UNAVAILABLE, /* Redis unreachable: exit 69 */
	SESS_E_INTERNAL,    /* a bug or an unexpected reply: exit 70 */
	SESS_E_TEMP,        /* timeout, LOADING, BUSY, TRYAGAIN: exit 75 */
	SESS_E_AUTH,        /* authentication or permission: exit 77 */
	SESS_E_CONFIG,      /* bad configuration: exit 78 */
	SESS_E_IO           /* writing the output failed (disk full): exit 74 */
};

#define SESS_ERR_MSG_MAX 512
#define SESS_ERR_KIND_MAX 32

struct sess_err {
	enum sess_class cls;
	char kind[SESS_ERR_KIND_MAX]; /* e.g. "not_found", "bad_json" */
	char msg[SESS_ERR_MSG_MAX];
};

/* Fill err (NULL is allowed and ignored) and return -1, so callers can write
 * `return sess_err_set(err, ...);`. The message may quote user text as it
 * is: invalid UTF-8 and control characters in it are written as \xNN (see
 * sess_utf8_escape), so it is always one line of valid UTF-8. */
int sess_err_set(struct sess_err *err, enum sess_class cls, const char *kind,
		 const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Prefix err->msg with "context: " (for example the input line or the id);
 * cleaned as sess_err_set's. */
void sess_err_prefix(struct sess_err *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

void sess_err_clear(struct sess_err *err);

/* The sysexits code a binary exits with for this class. */
int sess_err_exit_code(enum sess_class cls);

/* The default kind for a class ("usage", "unavailable", ...). */
const char *sess_err_class_name(enum sess_class cls);

#endif
