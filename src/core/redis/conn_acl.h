/* conn_acl.h - the ACL's refusals (conn.c's sess_conn_reply_error uses it). */
#ifndef SESS_CONN_ACL_H
#define SESS_CONN_ACL_H

#include "core/base/err.h"
#include "core/model/config.h"

/* Fill err for reply s, a NOPERM error or a sesskit script refused by the
 * ACL ("The user executing the script can't ...", its command found on
 * the script's line), and return -1: SESS_E_AUTH, kind "permission", one
 * line naming the command (or that a key or channel is outside the
 * user's patterns), the user (cfg's, else "default"), the ACL SETUSER
 * rule that fixes it and sesskit-acl(7). where: the server, for the
 * message. */
int sess_conn_noperm(const char *where, const struct sess_config *cfg, const char *s,
		     struct sess_err *err);

#endif
