/* sentinel_url.c - redis+sentinel:// URLs (config.h):
 *   redis+sentinel://[user:pass@]host[:port][,host[:port]...][/db]?master=NAME
 *       [&sentinelUsername=U][&sentinelPassword=P][&db=N]
 *   redis-sentinel://[pass@]host[:port][,...][/db]#NAME   (Lettuce's form)
 * The user info is the data nodes' (the primary's) credentials, as in
 * redis://; the sentinels' own go in the query or redis.sentinel*. */
#include "core/model/config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int bad(struct sess_err *err, const char *what)
{
	return sess_err_set(err, SESS_E_CONFIG, "bad_url",
			    "Sentinel URL: %s; write redis+sentinel://[user:pass@]host:port[,host:port...][/db]?master=NAME",
			    what);
}

/* %XX escapes decoded in place; -1 on a broken one. */
static int set_param(struct sess_config *cfg, char *kv, struct sess_err *err)
{
	char *v = strchr(kv, '=');
	const char *name;

	if (!v)
		return bad(err, "a query option without '=value'");
	*v++ = '\0';
	if (!strcmp(kv, "db") && (!*v || strspn(v, "0123456789") != strlen(v)))
		return bad(err, "db=N takes a number of digits only");
	if (sess_config_url_unescape(v))
		return bad(err, "a broken %XX escape in the query");
	if (!strcmp(kv, "master") || !strcmp(kv, "masterName") || !strcmp(kv, "sentinelMasterId")) {
		if (!*v)
			return bad(err, "an empty master name");
		name = "redis.sentinelMaster";
	}
	else if (!strcmp(kv, "sentinelUsername"))
		name = "redis.sentinelUsername";
	else if (!strcmp(kv, "sentinelPassword"))
		name = "redis.sentinelPassword";
	else if (!strcmp(kv, "db"))
		name = "redis.db";
	else
		return sess_err_set(err, SESS_E_CONFIG, "bad_url",
				    "Sentinel URL option \"%.30s\" is not known; the options are master, sentinelUsername, sentinelPassword and db",
				    kv);
	return sess_config_set(cfg, name, v, "Sentinel URL", err);
}

int sess_config_apply_sentinel_url(struct sess_config *cfg, const char *url,
				   struct sess_err *err)
{
	char buf[2048], plain[2048 + 32], list[sizeof cfg->sentinels];
	char *rest, *at, *frag, *q, *slash, *tok, *save = NULL;
	size_t n = 0;

	if (strlen(url) >= sizeof buf)
		return bad(err, "too long");
	snprintf(buf, sizeof buf, "%s", url + 17);
	rest = buf;
	/* the user info first, up to the last '@' (a password may hold '#',
	 * '?' or '/') */
	at = strrchr(rest, '@');
	if (at) {
		*at = '\0';
		rest = at + 1;
	}
	if ((frag = strchr(rest, '#')))
		*frag++ = '\0';
	if ((q = strchr(rest, '?')))
		*q++ = '\0';
	if ((slash = strchr(rest, '/')))
		*slash++ = '\0';
	/* the credentials and the database as redis:// takes them (its
	 * escapes and checks); the host there is a placeholder */
	snprintf(plain, sizeof plain, "redis://%s%s127.0.0.1/%s", at ? buf : "", at ? "@" : "",
		 slash ? slash : "");
	if (sess_config_apply_url(cfg, plain, err))
		return -1;
	list[0] = '\0';
	for (tok = strtok_r(rest, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		const char *colon = strrchr(tok, ':');
		int w;
		if (!*tok || (colon && (!colon[1] || strspn(colon + 1, "0123456789") != strlen(colon + 1) ||
					strtol(colon + 1, NULL, 10) < 1 || strtol(colon + 1, NULL, 10) > 65535)))
			return bad(err, "each sentinel is host or host:port, the port a number from 1 to 65535");
		w = snprintf(list + n, sizeof list - n, "%s%s%s", n ? "," : "", tok, colon ? "" : ":26379");
		if (w < 0 || (size_t)w >= sizeof list - n)
			return bad(err, "too many sentinels");
		n += (size_t)w;
	}
	if (!n)
		return bad(err, "no sentinel host");
	memcpy(cfg->sentinels, list, sizeof list);
	for (tok = q ? strtok_r(q, "&", &save) : NULL; tok; tok = strtok_r(NULL, "&", &save))
		if (set_param(cfg, tok, err))
			return -1;
	if (frag && *frag) {
		if (sess_config_url_unescape(frag))
			return bad(err, "a broken %XX escape in the master name");
		if (sess_config_set(cfg, "redis.sentinelMaster", frag, "Sentinel URL", err))
			return -1;
	}
	if (!cfg->sentinel_master[0])
		return bad(err, "no master name (?master=NAME, or #NAME)");
	return 0;
}

int sess_config_wait_replicas(const struct sess_config *cfg)
{
	if (cfg->wait_replicas >= 0)
		return cfg->wait_replicas;
	return cfg->sentinels[0] ? 1 : 0;
}
