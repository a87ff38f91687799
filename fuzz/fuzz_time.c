/* fuzz_time.c - the time and threshold expressions users give:
 *   sess-replay --from/--to/--at: a seq or an RFC 3339 time (point_parse,
 *     src/sess-replay/source.c, compiled in);
 *   sess-migrate --since: ms, a UTC time or an age like 90m, 2h, 7d
 *     (mig_parse_since, src/sess-migrate/select.c, compiled in);
 *   sess-health --warn/--crit and health.warn/crit: Nagios ranges
 *     (sess_range_parse, src/core/range.c), each then asked to alert;
 *   whole numbers of flags and env (sess_parse_long, src/core/config.c).
 * The input is one expression (a NUL inside ends it).
 */
#include <math.h>

#include "core/model/config.h"
#include "core/model/limits.h"
#include "core/model/range.h"
#include "fuzz.h"
#include "sess-migrate/migrate.h"
#include "sess-replay/replay.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const double probes[] = {0, -1, 1, 10, 1e300, -1e300, INFINITY, -INFINITY, NAN, 0.5};
	struct sess_err err;
	struct sess_range r;
	struct point pt;
	long long since;
	long l;
	char *s = fuzz_str(data, size);
	size_t i;

	if (!s)
		return 0;
	if (point_parse(s, "--from", &pt, &err) == 0)
		point_covers(&pt, 5, 1700000000000LL);
	mig_parse_since(s, &since, &err);
	if (sess_range_parse(s, "events", &r, &err) == 0)
		for (i = 0; i < sizeof probes / sizeof *probes; i++)
			sess_range_alert(&r, probes[i]);
	sess_parse_long(s, -1000, 1000, "--n", SESS_E_USAGE, &l, &err);
	sess_parse_long(s, 0, SESS_SEQ_MAX, "--n", SESS_E_USAGE, &l, &err);
	free(s);
	return 0;
}
