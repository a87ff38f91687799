/* line.h - an export line read without a JSON tree (import's hot path):
 * line.c. */
#ifndef MIG_LINE_H
#define MIG_LINE_H

#include <stddef.h>

#include "sess-migrate/dump.h"

/* 1: s holds the session of the line (len bytes), exactly as
 * sess_json_parse_err and sess_snap_from_json_take would read it (the
 * caller frees it with sess_snap_free). 0: the line is not plain, or
 * memory ran out; s is empty (read the line the slow way, which words
 * any refusal). Never an error of its own. */
int mig_line_read(struct sess_snap *s, const char *line, size_t len);

#endif
