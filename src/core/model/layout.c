/* layout.c - see layout.h */
#include "core/model/layout.h"

#include <string.h>

#include "core/base/schema.h"

const char *sess_layout_fix(const char *v)
{
	/* "session has layout version 1" or just "1" */
	const char *sp = strrchr(v, ' ');
	const char *n = sp ? sp + 1 : v;

	if (!strcmp(n, SESS_S_LAYOUT_PREV) || !strcmp(n, SESS_S_LAYOUT_OLD))
		return "upgrade the data in place with 'sessctl upgrade' (see sesskit-layout(7))";
	return "upgrade sesskit";
}

int sess_layout_ok(const char *v, struct sess_err *err)
{
	if (v && strcmp(v, SESS_LAYOUT_VERSION) != 0)
		return sess_err_set(err, SESS_E_CONFIG, "unknown_layout",
				    "the data has layout version %s, which this sesskit (layout %s) does not know; %s",
				    v, SESS_LAYOUT_VERSION, sess_layout_fix(v));
	return 0;
}
