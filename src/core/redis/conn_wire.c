/* conn_wire.c - commands in RESP, the wire format (see conn.h:
 * sess_cmd_format_max, sess_cmd_format); pure, no I/O. */
#include "core/redis/conn.h"

#include <string.h>

/* n in decimal after lead, then CR LF, at out; returns the bytes written. */
static size_t put_len(char *out, char lead, size_t n)
{
	char tmp[24];
	size_t k = 0, i = 0;

	do
		tmp[k++] = (char)('0' + n % 10);
	while ((n /= 10));
	out[i++] = lead;
	while (k)
		out[i++] = tmp[--k];
	out[i++] = '\r';
	out[i++] = '\n';
	return i;
}

#define ARGLEN(i) (lens ? lens[i] : strlen(argv[i]))

size_t sess_cmd_format_max(int argc, const char **argv, const size_t *lens)
{
	size_t total = 1 + 22, i;

	for (i = 0; i < (size_t)argc; i++)
		total += 1 + 22 + ARGLEN(i) + 2;
	return total;
}

size_t sess_cmd_format(char *dst, int argc, const char **argv, const size_t *lens)
{
	size_t pos = put_len(dst, '*', (size_t)argc), i;

	for (i = 0; i < (size_t)argc; i++) {
		size_t n = ARGLEN(i);
		pos += put_len(dst + pos, '$', n);
		memcpy(dst + pos, argv[i], n);
		pos += n;
		dst[pos++] = '\r';
		dst[pos++] = '\n';
	}
	return pos;
}

#undef ARGLEN
