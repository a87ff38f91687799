/* tlsconf.c - the TLS settings a rediss:// URL's query carries
 * (config.h: sess_config_tls_query). */
#include "core/model/config.h"

#include <stdio.h>
#include <string.h>

int sess_config_tls_query(struct sess_config *cfg, char *q, struct sess_err *err)
{
	char name[64], where[80];
	char *eq = strchr(q, '=');
	const char *value = eq ? eq + 1 : "true";
	size_t n = eq ? (size_t)(eq - q) : strlen(q);
	const struct sess_setting *s;

	if (n == 0 || n > 40 || !strncmp(q, "enabled", n))
		return 1;
	snprintf(name, sizeof name, "tls.%.*s", (int)n, q);
	if (!(s = sess_config_find(name)))
		return 1;
	snprintf(where, sizeof where, "URL option %.*s", (int)n, q);
	return sess_config_set(cfg, name, value, where, err) ? -1 : 0;
}
