#include "json.h"

#include <math.h>

cJSON *sess_json_parse(const char *text)
{
	return cJSON_ParseWithOpts(text, NULL, 1);
}

const char *sess_json_near(void)
{
	const char *p = cJSON_GetErrorPtr();

	return p ? p : "";
}

static const char *type_name(const cJSON *v)
{
	if (cJSON_IsString(v))
		return "a string";
	if (cJSON_IsBool(v))
		return "a boolean";
	if (cJSON_IsNull(v))
		return "null";
	if (cJSON_IsArray(v))
		return "an array";
	return "an object";
}

int sess_json_long(const cJSON *v, long min, long max, const char *what,
		   long *out, struct sess_err *err)
{
	double d;

	if (!cJSON_IsNumber(v))
		return sess_err_set(err, SESS_E_DATA, "bad_input",
				    "%s must be a whole number from %ld to %ld, not %s",
				    what, min, max, type_name(v));
	/* compare as doubles before any cast: casting an out-of-range
	 * double (1e400 reads as infinity) to long is undefined */
	d = v->valuedouble;
	if (!isfinite(d) || d < (double)min || d > (double)max)
		return sess_err_set(err, SESS_E_DATA, "bad_input",
				    "%s: %.17g is out of range; give a whole number from %ld to %ld",
				    what, d, min, max);
	if (d != (double)(long)d) /* in range now: the cast is defined */
		return sess_err_set(err, SESS_E_DATA, "bad_input",
				    "%s: %.17g is not a whole number; give one from %ld to %ld",
				    what, d, min, max);
	*out = (long)d;
	return 0;
}
