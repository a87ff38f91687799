/* fuzz_url.c - a Redis URL (src/core/config.c): applied as --url,
 * REDIS_URL or the config file's redis.url give it
 * (sess_config_apply_url: redis://[user[:pass]@]host[:port][/db],
 * unix:///path[?db=N], rediss://), and redacted for messages
 * (sess_config_redact_url, into buffers of several sizes: every message
 * that names a server goes through it), and the settings it made
 * described (sess_config_describe). The input is one URL (a NUL inside
 * ends it, as in a C string).
 */
#include "core/model/config.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const size_t sizes[] = {1, 8, 64, 512};
	struct sess_config cfg;
	struct sess_err err;
	char *url = fuzz_str(data, size), buf[512];
	size_t i;

	if (!url)
		return 0;
	sess_config_defaults(&cfg);
	if (sess_config_apply_url(&cfg, url, &err) == 0)
		sess_config_describe(&cfg, buf, sizeof buf);
	for (i = 0; i < sizeof sizes / sizeof *sizes; i++) {
		char *b = malloc(sizes[i]);
		if (b) {
			sess_config_redact_url(url, b, sizes[i]);
			free(b);
		}
	}
	/* the same text as a host (REDIS_HOST=redis://u:p@h is shown redacted) */
	sess_config_defaults(&cfg);
	if (sess_config_set(&cfg, "redis.host", url, "REDIS_HOST", &err) == 0)
		sess_config_describe(&cfg, buf, sizeof buf);
	free(url);
	return 0;
}
