/* layout.h - the layout version this build reads and writes
 * (sesskit-layout(7)), and what to tell a user whose data has another.
 * Pure: no connection; sess_check_layout (session/view.h) reads the stored
 * version and asks here. */
#ifndef SESS_LAYOUT_H
#define SESS_LAYOUT_H

#include "core/base/err.h"

/* Refuse a layout version this build does not know (NULL = none stored
 * yet: fine). Returns 0, or -1 with err set (SESS_E_CONFIG,
 * "unknown_layout"). */
int sess_layout_ok(const char *v, struct sess_err *err);

/* What to do about data of layout v (its version, or a message ending in
 * it): upgrade in place when it is the previous layout, else upgrade
 * sesskit. A static string. */
const char *sess_layout_fix(const char *v);

#endif
