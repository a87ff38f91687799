/* batch_input.c - sessctl batch's standard input, read in chunks so the
 * batch can tell whether another line can be had without waiting
 * (contract in batch.h). */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "batch.h"

/* The next line end in the buffer, or NULL; remembers how far it looked,
 * so a long line arriving in many reads is scanned once. */
static char *reader_nl(struct reader *r)
{
	char *nl = NULL;

	if (r->end > r->start + r->clean)
		nl = memchr(r->buf + r->start + r->clean, '\n', r->end - r->start - r->clean);
	r->clean = nl ? (size_t)(nl - (r->buf + r->start)) : r->end - r->start;
	return nl;
}

/* 1 if the next line can be had without waiting: a whole line is
 * buffered, or stdin has data or an end to report right now. */
int batch_reader_ready(struct reader *r)
{
	struct pollfd p = {STDIN_FILENO, POLLIN, 0};

	if (r->eof || r->err || reader_nl(r))
		return 1;
	return poll(&p, 1, 0) != 0;
}

/* The next line, NUL-terminated in place without its line end; *len its
 * length. Returns 1, 0 at the end of input, -1 on a read error, or 2 when
 * one read brought no whole line (ask reader_ready before calling again:
 * the rest of the line may be slow to come). */
int batch_reader_line(struct reader *r, char **line, size_t *len)
{
	char *nl;
	ssize_t got;
	int did_read = 0;

	for (;;) {
		nl = reader_nl(r);
		if (nl || (r->eof && r->end > r->start)) {
			char *l = r->buf + r->start;
			size_t n = nl ? (size_t)(nl - l) : r->end - r->start;
			r->start += n + (nl != NULL);
			r->clean = 0;
			l[n] = '\0'; /* the buffer always has a byte to spare */
			if (n && l[n - 1] == '\r')
				l[--n] = '\0';
			*line = l;
			*len = n;
			return 1;
		}
		if (r->eof)
			return 0;
		if (r->err)
			return -1;
		if (did_read)
			return 2;
		/* keep the partial line, make room, read more */
		if (r->start) {
			memmove(r->buf, r->buf + r->start, r->end - r->start);
			r->end -= r->start;
			r->start = 0;
		}
		if (r->cap - r->end < 4096 + 1) {
			size_t cap = r->cap ? 2 * r->cap : 65536;
			char *buf = realloc(r->buf, cap);
			if (!buf) {
				errno = ENOMEM;
				r->err = 1;
				return -1;
			}
			r->buf = buf;
			r->cap = cap;
		}
		did_read = 1;
		got = read(STDIN_FILENO, r->buf + r->end, r->cap - r->end - 1);
		if (got > 0)
			r->end += (size_t)got;
		else if (got == 0)
			r->eof = 1;
		else if (errno != EINTR)
			r->err = 1;
	}
}
