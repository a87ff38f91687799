/* sides.c - the two sides of a move, which every sess-migrate command
 * opens: --from and --to (or the common URL), each with its own settings,
 * credentials and connection; and the output, opened without connecting. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "migrate.h"

#include "core/base/schema.h"
#include "core/model/keys.h"
#include "core/model/layout.h"

int mig_out(struct cli_app *a)
{
	int warn = 0;

	if (a->out.f)
		return 0;
	if (cli_settings(&a->cfg, &a->common, &warn, &a->err))
		return cli_app_fail(a);
	if (warn)
		cli_warn(a->prog, "a password on the command line is visible to other users; use --password-file, --askpass or REDIS_PASSWORD");
	if (cli_out_init(&a->out, stdout, a->common.color, &a->err))
		return cli_app_fail(a);
	return 0;
}

/* Data of an older layout (2, 1) on a side: its sessions and its global
 * index would be read as absent, or written beside sessions of another
 * layout; sessctl upgrade brings it to this one first. A newer layout:
 * this sesskit does not know it. 0, or the exit code (78). */
static int layout_side(struct cli_app *a, struct mig_side *s, const char *what)
{
	char key[SESS_KEY_MAX];
	redisReply *r;
	int rc = 0;

	sess_key_layout(key, s->cfg.prefix);
	if (!(r = sess_conn_cmdf(&s->conn, &a->err, "GET %s", key))) {
		sess_err_prefix(&a->err, "%s", what);
		return cli_app_fail(a);
	}
	if (r->type == REDIS_REPLY_STRING && sess_layout_ok(r->str, &a->err)) {
		sess_err_prefix(&a->err, "%s", what);
		rc = cli_app_fail(a);
	}
	freeReplyObject(r);
	if (rc)
		return rc;
	/* no marker: layout-2 data may still have none; its global index says */
	sess_key_global(key, s->cfg.prefix, SESS_S_KEY_INDEX, NULL);
	if (!(r = sess_conn_cmdf(&s->conn, &a->err, "EXISTS %s", key))) {
		sess_err_prefix(&a->err, "%s", what);
		return cli_app_fail(a);
	}
	if (r->type == REDIS_REPLY_INTEGER && r->integer > 0) {
		sess_err_set(&a->err, SESS_E_CONFIG, "unknown_layout",
			     "%s: %s holds layout 2's global index %s; upgrade the data in place with 'sessctl upgrade' there first (see sesskit-layout(7))",
			     what, s->desc, key);
		rc = cli_app_fail(a);
	}
	freeReplyObject(r);
	return rc;
}

int mig_open_side(struct cli_app *a, struct mig_side *s, const char *url,
		  const char *what)
{
	int rc;

	if ((rc = mig_out(a)))
		return rc;
	s->cfg = a->cfg;
	if (url) {
		/* another server: the common credentials (--password,
		 * REDIS_PASSWORD, the config file) are --url's, never sent to a
		 * side named by its own URL; its own come from that URL or from
		 * REDIS_FROM_PASSWORD / REDIS_TO_PASSWORD (sess-migrate(1)) */
		const char *env = getenv(!strcmp(what, "--to") ? "REDIS_TO_PASSWORD" : "REDIS_FROM_PASSWORD");
		s->cfg.username[0] = s->cfg.password[0] = s->cfg.password_from[0] = '\0';
		if (env && strlen(env) < sizeof s->cfg.password) {
			memcpy(s->cfg.password, env, strlen(env) + 1);
			snprintf(s->cfg.password_from, sizeof s->cfg.password_from, "%s",
				 !strcmp(what, "--to") ? "REDIS_TO_PASSWORD" : "REDIS_FROM_PASSWORD");
		}
		if (strchr(url, '@') && strchr(url, ':') != strrchr(url, ':'))
			cli_warn(a->prog, "a password in %s is visible to other users; use %s instead", what,
				 !strcmp(what, "--to") ? "REDIS_TO_PASSWORD" : "REDIS_FROM_PASSWORD");
		if (sess_config_apply_url(&s->cfg, url, &a->err)) {
			sess_err_prefix(&a->err, "%s", what);
			return cli_app_fail(a);
		}
		if (strchr(url, '@'))
			snprintf(s->cfg.password_from, sizeof s->cfg.password_from, "the URL in %s", what);
		sess_config_redact_url(url, s->desc, sizeof s->desc);
		snprintf(s->cfg.url_flag, sizeof s->cfg.url_flag, "%s", what);
	} else if (s->cfg.unix_path[0]) { /* a URL again, without the password, for resume */
		snprintf(s->desc, sizeof s->desc, "unix://%s?db=%d", s->cfg.unix_path, s->cfg.db);
	} else {
		snprintf(s->desc, sizeof s->desc, "%s://%s:%d/%d", s->cfg.tls || s->cfg.tls_enabled ? "rediss" : "redis",
			 s->cfg.host, s->cfg.port, s->cfg.db);
	}
	if (sess_conn_open(&s->conn, &s->cfg, &a->err)) {
		sess_err_prefix(&a->err, "%s", what);
		return cli_app_fail(a);
	}
	s->open = 1;
	/* a cluster or a standalone server alike (layout 3: the companions'
	 * tag follows the deployment, session/tags.h): asked once here, so
	 * that every later key picks its tag from c->cl */
	if (sess_conn_cluster(&s->conn, &a->err) < 0) {
		sess_err_prefix(&a->err, "%s", what);
		return cli_app_fail(a);
	}
	return layout_side(a, s, what);
}

void mig_close_side(struct mig_side *s)
{
	if (s->open)
		sess_conn_close(&s->conn);
	s->open = 0;
}
