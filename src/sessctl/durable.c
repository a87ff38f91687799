/* durable.c - sessctl's durable writes (--wait-replicas): WAIT after a
 * write command, before its result is printed. */
#include <string.h>

#include "core/redis/sentinel.h"
#include "sessctl.h"

int sessctl_durable(struct cli_app *a, const char *hint, cJSON **out)
{
	if (sess_durable_wait(&a->conn, &a->err) == 0)
		return 0;
	if (a->err.cls == SESS_E_TEMP && !strcmp(a->err.kind, "not_durable"))
		sess_err_set(&a->err, SESS_E_TEMP, "not_durable", "%.300s; %s", a->err.msg, hint);
	if (out) {
		cJSON_Delete(*out);
		*out = NULL;
	}
	return -1;
}
