#include "core/model/limits.h"

#include <string.h>

#include "core/base/utf8.h"

int sess_check_ttl(long ttl, const char *what, struct sess_err *err)
{
	if (ttl < SESS_TTL_MIN || ttl > SESS_TTL_MAX)
		return sess_err_set(err, SESS_E_DATA, "bad_ttl",
				    "%s: %ld is out of range; a TTL is %ld to %ld seconds (ten years)",
				    what, ttl, SESS_TTL_MIN, SESS_TTL_MAX);
	return 0;
}

int sess_check_reason(const char *reason, const char *what,
		      struct sess_err *err)
{
	size_t i, n = reason ? strlen(reason) : 0;

	if (n < 1 || n > SESS_REASON_MAX)
		return sess_err_set(err, SESS_E_DATA, "bad_input",
				    "%s must be 1 to %d bytes, not %zu", what, SESS_REASON_MAX, n);
	/* it is shown on one line in listings and messages */
	for (i = 0; i < n; i++)
		if ((unsigned char)reason[i] < 0x20 || reason[i] == 0x7f)
			return sess_err_set(err, SESS_E_DATA, "bad_input",
					    "%s has a control character (0x%02x) at byte %zu",
					    what, (unsigned char)reason[i], i + 1);
	if ((i = sess_utf8_check(reason, n)) < n)
		return sess_err_set(err, SESS_E_DATA, "bad_input",
				    "%s is not valid UTF-8 at byte %zu", what, i + 1);
	return 0;
}
