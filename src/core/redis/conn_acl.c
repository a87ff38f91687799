/* conn_acl.c - a permission the ACL refused, as one line that names the
 * command, the user and the rule to add (conn_acl.h). */
#include "core/redis/conn_acl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/lua_gen.h"

/* The command on line `line` of the embedded script whose SHA1 is sha
 * (what a script refused by the ACL names: "script: SHA, on
 * @user_script:LINE."), or of the library when it is one of its functions
 * ("script: skHASH_NAME, on @user_function:LINE."), at out; "" when not
 * known. */
static void script_command(const char *sha, int function, long line, char *out, size_t n)
{
	size_t i, fl;
	const char *p, *call, *src = NULL;

	out[0] = '\0';
	for (i = 0; i < SESS_LUA_COUNT && !src; i++) {
		fl = strlen(sess_lua_scripts[i].fn);
		if (function ? !strncmp(sess_lua_scripts[i].fn, sha, fl) && sha[fl] == ','
			     : !strncmp(sess_lua_scripts[i].sha, sha, 40))
			src = function ? sess_lua_library : sess_lua_scripts[i].src;
	}
	if (!src || line < 1)
		return;
	for (p = src; p && --line > 0; p = strchr(p, '\n'))
		if (*p == '\n')
			p++;
	if (!p)
		return;
	if (*p == '\n')
		p++;
	call = strstr(p, "call('");
	if (call && call < p + strcspn(p, "\n")) {
		call += 6;
		for (i = 0; i + 1 < n && call[i] && call[i] != '\''; i++)
			out[i] = (char)(call[i] >= 'A' && call[i] <= 'Z' ? call[i] + 32 : call[i]);
		out[i] = '\0';
	}
}

int sess_conn_noperm(const char *where, const struct sess_config *cfg, const char *s,
		     struct sess_err *err)
{
	const char *user = cfg && cfg->username[0] ? cfg->username : "default";
	const char *prefix = cfg && cfg->prefix[0] ? cfg->prefix : "sess";
	const char *q = strstr(s, "run the '"), *at = strstr(s, "script: ");
	char cmd[64] = "";
	size_t i;

	if (q) {
		q += 9;
		for (i = 0; i + 1 < sizeof cmd && q[i] && q[i] != '\''; i++)
			cmd[i] = q[i];
		cmd[i] = '\0';
	} else if (strstr(s, "can't run this command") && at) {
		const char *l = strstr(at, "@user_script:"), *f = strstr(at, "@user_function:");
		if (f)
			script_command(at + 8, 1, atol(f + 15), cmd, sizeof cmd);
		else
			script_command(at + 8, 0, l ? atol(l + 13) : 0, cmd, sizeof cmd);
	}
	if (cmd[0] && strstr(s, "or on its keys")) /* a sesskit script's own check */
		return sess_err_set(err, SESS_E_AUTH, "permission",
				    "%s: ACL user %s may not run %s on sesskit's keys or channels; grant it: ACL SETUSER %s +%s ~%s:* &%s:* (sesskit-acl(7) lists every command each tool needs)",
				    where, user, cmd, user, cmd, prefix, prefix);
	if (cmd[0])
		return sess_err_set(err, SESS_E_AUTH, "permission",
				    "%s: ACL user %s may not run %s%s; grant it: ACL SETUSER %s +%s (sesskit-acl(7) lists every command each tool needs)",
				    where, user, cmd, at ? " (in a sesskit script)" : "", user, cmd);
	if (strstr(s, "keys"))
		return sess_err_set(err, SESS_E_AUTH, "permission",
				    "%s: ACL user %s may not use a key under %s:; grant it: ACL SETUSER %s ~%s:* (see sesskit-acl(7))",
				    where, user, prefix, user, prefix);
	if (strstr(s, "channel"))
		return sess_err_set(err, SESS_E_AUTH, "permission",
				    "%s: ACL user %s may not use a channel under %s:; grant it the channels sesskit-acl(7) lists (ACL SETUSER %s &%s:* ...)",
				    where, user, prefix, user, prefix);
	return sess_err_set(err, SESS_E_AUTH, "permission",
			    "%s: ACL user %s was refused (%s); grant what sesskit-acl(7) lists with ACL SETUSER %s",
			    where, user, s, user);
}
