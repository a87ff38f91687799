/* when.h - the one reading of times and durations every tool shares
 * (sesskit(7), "Times and durations").
 *
 * A DURATION is a whole number with a unit, or several in a row:
 * 250ms, 30s, 90m, 2h, 7d, 1h30m (units ms, s, m, h, d; largest first,
 * each once). A bare number is in the unit the option names in its help
 * (--ttl SECONDS: 3600 is an hour), so every old command line keeps its
 * meaning.
 *
 * A TIME is one of:
 *   2026-01-02T03:04:05Z   RFC 3339: 'T' or a space, optional fraction
 *                          (milliseconds kept), Z or +HH:MM / -HH:MM
 *   @1767323045000         milliseconds since the epoch, as every tool
 *                          prints them ("ts", "createdAt", ...)
 *   2h, 90m, 1d12h         a DURATION with a unit: that long before now
 *                          (2h ago is the same)
 *   now
 * Where an option takes only a time, a bare number is epoch
 * milliseconds too (sess-migrate --since 1767323045000); where it takes
 * SEQ|TIME, a bare number is the seq, and a time is any of the forms
 * above.
 */
#ifndef SESS_WHEN_H
#define SESS_WHEN_H

#include "core/base/err.h"

/* The shape of a DURATION as a regular expression (JSON Schema's
 * pattern): what sess_duration_parse reads, ranges aside. */
#define SESS_DURATION_PATTERN                                                          \
	"^([0-9]+|[0-9]+d([0-9]+h)?([0-9]+m)?([0-9]+s)?([0-9]+ms)?|"                   \
	"[0-9]+h([0-9]+m)?([0-9]+s)?([0-9]+ms)?|[0-9]+m([0-9]+s)?([0-9]+ms)?|"         \
	"[0-9]+s([0-9]+ms)?|[0-9]+ms)$"

#define SESS_MS_SECOND 1000LL
#define SESS_MS_MINUTE 60000LL
#define SESS_MS_HOUR 3600000LL
#define SESS_MS_DAY 86400000LL

/* Read a DURATION into *ms; bare_unit_ms is what a bare number counts
 * (1 for an option in ms, 1000 for seconds, ...). Returns 0, or -1 with
 * err set (SESS_E_USAGE, the message naming `what` and the forms taken).
 * Negative or overflowing values are refused. */
int sess_duration_parse(const char *s, long long bare_unit_ms, const char *what,
			long long *ms, struct sess_err *err);

/* Read a TIME into *ms (epoch milliseconds), ages counted back from
 * now_ms. bare_ms: a bare number is epoch ms (1) or refused (0: the caller
 * took bare numbers as seqs before calling). Returns 0, or -1 with err set
 * (SESS_E_USAGE, naming `what` and the forms). */
int sess_time_parse(const char *s, long long now_ms, int bare_ms, const char *what,
		    long long *ms, struct sess_err *err);

/* Write ms as the shortest exact DURATION ("90m", "1h30m", "250ms",
 * "0s") into buf (at least 32 bytes). */
void sess_duration_format(long long ms, char *buf, size_t n);

#endif
