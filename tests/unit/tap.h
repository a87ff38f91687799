/* tap.h - a tiny TAP producer for the C unit tests. */
#ifndef SESS_TAP_H
#define SESS_TAP_H

#include <stdio.h>
#include <string.h>

static int tap_n, tap_failed;
/* While set, each test is a TAP TODO with this reason: a known defect,
 * kept as a failing case; a failure does not count, and a pass shows as
 * an unexpected pass (XPASS), which fails `make check` until the TODO is
 * removed. */
static const char *tap_todo;

/* cond is evaluated once: it may be a call with effects */
#define ok(cond, ...) do { \
	int c_ = (cond) ? 1 : 0; \
	tap_n++; \
	if (c_) { printf("ok %d - ", tap_n); } \
	else { if (!tap_todo) tap_failed++; printf("not ok %d - ", tap_n); } \
	printf(__VA_ARGS__); \
	if (tap_todo) printf(" # TODO %s", tap_todo); \
	printf("\n"); \
	if (!c_) printf("#   failed at %s:%d\n", __FILE__, __LINE__); \
} while (0)

#define is_str(got, want, ...) do { \
	const char *g_ = (got), *w_ = (want); \
	ok(g_ && w_ && strcmp(g_, w_) == 0, __VA_ARGS__); \
	if (!(g_ && w_ && strcmp(g_, w_) == 0)) \
		printf("#   got \"%s\", want \"%s\"\n", g_ ? g_ : "(null)", w_ ? w_ : "(null)"); \
} while (0)

#define done_testing() (printf("1..%d\n", tap_n), tap_failed ? 1 : 0)

#endif
