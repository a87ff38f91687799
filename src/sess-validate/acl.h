/* acl.h - the least-privilege ACL of every tool and mode: the one table
 * sesskit-acl(7), `sess-validate acl` and the tests (tests/acl.bats) read,
 * and the per-mode check of `sess-validate server`. */
#ifndef SV_ACL_H
#define SV_ACL_H

#include <stddef.h>

#include "validate.h"

struct sv_acl_mode {
	const char *tool;     /* "sessctl" */
	const char *mode;     /* "read" */
	const char *covers;   /* what it runs, one line */
	/* the commands, space separated, lower case, "config|get" for a
	 * subcommand; "x?" is needed only sometimes (the man page says when),
	 * so a test run may not show it */
	const char *commands;
	/* key and channel patterns: %p the prefix, %d the database */
	const char *keys, *channels;
};

extern const struct sv_acl_mode sv_acl_modes[];
extern const size_t sv_acl_nmodes;

/* "+get +hset ... ~P:* &P:* ..." for mode m with prefix and db, at buf
 * (n bytes; cut when too small). */
void sv_acl_rules(const struct sv_acl_mode *m, const char *prefix, int db, char *buf, size_t n);

/* sess-validate acl [TOOL [MODE]]: the table as JSON lines (or text). */

/* sess-validate server's ACL check: ACL DRYRUN of every mode's commands
 * for the connected user; findings go to r. */
void sv_acl_check(struct cli_app *a, struct report *r);

#endif
