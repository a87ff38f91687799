/* utf8.h - checking and cleaning UTF-8 text.
 *
 * Everything sesskit takes from users and prints must be valid UTF-8
 * (RFC 3629: no overlong forms, no UTF-16 surrogates, nothing past
 * U+10FFFF). Pure module: no I/O, no allocation.
 */
#ifndef SESS_UTF8_H
#define SESS_UTF8_H

#include <stddef.h>

/* The length (1 to 4) of the valid UTF-8 sequence s starts with, at most
 * n bytes long; 0 when it is not one. */
size_t sess_utf8_seq(const char *s, size_t n);

/* The offset of the first byte of s[0..n) that does not belong to a valid
 * sequence; n when all of it is valid. */
size_t sess_utf8_check(const char *s, size_t n);

/* Copy the string src into dst (size bytes, always terminated when size
 * > 0) for a one-line message: invalid bytes and control characters are
 * written as \xNN, and a sequence or escape that does not fit is left out
 * whole, so the result is valid UTF-8 on one line. Returns its length. */
size_t sess_utf8_escape(char *dst, size_t size, const char *src);

#endif
