/* cfgcheck.h - checking config files against the settings table, and the
 * JSON Schema of the same table.
 *
 * Both read the one table in config.c (sess_config_setting), so the
 * validator and the schema cannot disagree on a key, a type or a range:
 * the schema is the per-key part of what the validator checks; the
 * validator adds the rules between keys (graceTTL below defaultTTL, ...),
 * the file's permissions, and the rules of an environment
 * (development, staging, production). Codes are documented in
 * sess-validate(1). Reads the file it is given; prints nothing.
 */
#ifndef SESS_CFGCHECK_H
#define SESS_CFGCHECK_H

#include <cjson/cJSON.h>
#include <stdio.h>

#include "core/model/config.h"
#include "core/base/err.h"
#include "core/model/finding.h"

/* The largest config file read (the loader's limit too). */
#define SESS_CFGCHECK_MAX (1L << 20)

struct sess_cfgcheck {
	const char *env;     /* "development", "staging", "production"; NULL:
			      * the file's "environment", else development */
	sess_env_fn getenv;  /* the environment the tools will run in (a
			      * password from REDIS_PASSWORD counts); may be NULL */
	sess_finding_fn fn;
	void *arg;
	/* counted over every file checked */
	long errors, warnings, recommendations;
};

/* The environments, in the order the rules tighten. */
int sess_cfgcheck_env_ok(const char *env);

/* Check the config file at path ("-": stdin, named "<stdin>"). Returns
 * SESS_OK when it was read and parsed as JSON (findings about its content
 * went to fn), SESS_E_NOINPUT when it is missing, a directory or
 * unreadable, SESS_E_DATA when it is not JSON text (larger than
 * SESS_CFGCHECK_MAX, NUL bytes, not UTF-8, nested too deeply, a syntax
 * error); those give one finding too. */
enum sess_class sess_cfgcheck_file(struct sess_cfgcheck *c, const char *path);

/* Check text (len bytes, NUL-terminated) named file. mode: the file's
 * permission bits (0 when not a regular file). */
enum sess_class sess_cfgcheck_text(struct sess_cfgcheck *c, const char *text, size_t len,
				   const char *file, unsigned mode);

/* The JSON Schema (draft 2020-12) of a config file. Caller frees. */
cJSON *sess_cfgcheck_schema(void);

#endif
