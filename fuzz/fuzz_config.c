/* fuzz_config.c - a config file (src/core/config.c, cfgcheck.c): loaded
 * as the binaries load it (sess_config_load_json), and checked as
 * `sess-validate config` checks it (sess_cfgcheck_text, in each
 * environment, with the file's mode private or readable by others). The
 * first line is also given as the value of every setting, as a flag or
 * an environment variable gives it (sess_config_set). The description of
 * the settings that result is printed (sess_config_describe).
 */
#include <stdio.h>

#include "sess-validate/cfgcheck.h"
#include "core/model/config.h"
#include "fuzz.h"

static const char *no_env(const char *name)
{
	(void)name;
	return NULL;
}

static const char *some_env(const char *name)
{
	return strcmp(name, "REDIS_PASSWORD") ? NULL : "s3cret-from-env";
}

static int finding(const struct sess_finding *f, void *arg)
{
	(void)f;
	(*(long *)arg)++;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const envs[] = {NULL, "development", "staging", "production"};
	struct sess_config cfg;
	struct sess_err err;
	char *text = fuzz_str(data, size), *nl, desc[512];
	const struct sess_setting *s;
	long n = 0;
	size_t i;

	if (!text)
		return 0;
	sess_config_defaults(&cfg);
	sess_config_load_json(&cfg, text, "fuzz.json", &err);
	sess_config_describe(&cfg, desc, sizeof desc);
	for (i = 0; i < 4; i++) {
		struct sess_cfgcheck c;
		memset(&c, 0, sizeof c);
		c.env = envs[i];
		c.getenv = i & 2 ? some_env : no_env;
		c.fn = finding;
		c.arg = &n;
		sess_cfgcheck_text(&c, text, size, "fuzz.json", i & 1 ? 0644 : 0600);
	}
	if ((nl = strchr(text, '\n')))
		*nl = '\0';
	for (i = 0; (s = sess_config_setting(i)); i++) {
		sess_config_defaults(&cfg);
		if (sess_config_set(&cfg, s->name, text, "--fuzz", &err) == 0)
			sess_config_describe(&cfg, desc, sizeof desc);
	}
	free(text);
	return 0;
}
