/* repair.c - a session's repairs as commands (contract in repair.h). */
#include "core/session/repair.h"

#include <stdarg.h>
#include <stdio.h>

static void words(struct sess_cmd *c, int n, ...)
{
	va_list ap;
	int i;

	va_start(ap, n);
	for (i = 0; i < n && i < SESS_CMD_WORDS; i++)
		snprintf(c->w[i], sizeof c->w[i], "%s", va_arg(ap, const char *));
	va_end(ap);
	c->argc = i;
}

const struct sess_cmd *sess_repair_meta(struct sess_cmd *c, const char *prefix, const char *id,
		      const char *field, const char *value)
{
	char key[SESS_KEY_MAX];

	sess_key_meta(key, prefix, id);
	words(c, 4, "HSET", key, field, value);
	return c;
}

const struct sess_cmd *sess_repair_ttl(struct sess_cmd *c, const char *key, long long ms)
{
	char num[32];

	snprintf(num, sizeof num, "%lld", ms);
	words(c, 3, "PEXPIRE", key, num);
	return c;
}

const struct sess_cmd *sess_repair_index_add(struct sess_cmd *c, const char *prefix, const char *tag,
					     const char *id, long long expiry)
{
	char key[SESS_KEY_MAX], num[32];

	sess_key_index(key, prefix, tag);
	snprintf(num, sizeof num, "%lld", expiry);
	words(c, 4, "ZADD", key, num, id);
	return c;
}

const struct sess_cmd *sess_repair_index_remove(struct sess_cmd *c, const char *prefix,
						const char *tag, const char *id)
{
	char key[SESS_KEY_MAX];

	sess_key_index(key, prefix, tag);
	words(c, 3, "ZREM", key, id);
	return c;
}

const struct sess_cmd *sess_repair_counter(struct sess_cmd *c, const char *prefix, const char *tag,
					   const char *field, long long by)
{
	char key[SESS_KEY_MAX], num[32];

	sess_key_stats(key, prefix, tag);
	snprintf(num, sizeof num, "%lld", by);
	words(c, 4, "HINCRBY", key, field, num);
	return c;
}

const char *sess_cmd_key(const struct sess_cmd *c)
{
	return c->argc > 1 ? c->w[1] : "";
}
