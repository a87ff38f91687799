/* config.h - settings: defaults < config file (JSON) < environment < flags.
 *
 * A struct sess_config is a plain value: fixed-size strings, no pointers to
 * free. Fill it with sess_config_defaults(), then layer the sources in
 * order; each layer only overrides what it names. Every setter validates and
 * names the offending setting and its source in the error.
 */
#ifndef SESS_CONFIG_H
#define SESS_CONFIG_H

#include "core/base/err.h"
#include "core/model/keys.h"

struct sess_config {
	/* connection */
	char host[256];
	int port;
	char unix_path[108];   /* non-empty: connect through this socket */
	int db;
	char username[128];
	char password[512];    /* never printed, never logged */
	/* where that password came from, for the fix in messages:
	 * "--password", "REDIS_PASSWORD", "FILE: redis.password", "the URL
	 * in --url", "--password-file FILE", "--askpass"; "" = none given */
	char password_from[256];
	int tls;               /* the URL is rediss:// */
	int tls_enabled;       /* --tls, REDIS_TLS, tls.enabled: every
				* connection TLS whatever its URL's scheme */
	/* TLS (tls.* in the config file; see stream_tls.h) */
	char tls_cacert[1024];
	char tls_cacertdir[1024];
	char tls_cert[1024];
	char tls_key[1024];
	char tls_sni[256];
	char tls_ciphers[512];
	char tls_ciphersuites[512];
	int tls_insecure;      /* no verification of the server */
	int tls_insecure_key;  /* take a key file others can read */
	int connect_timeout_ms;
	int command_timeout_ms;
	/* the flag that named this server, for the fix in messages ("--to"
	 * for sess-migrate's target); empty: REDIS_URL or --url */
	char url_flag[16];
	/* layout */
	char prefix[SESS_PREFIX_MAX + 1];
	/* sessions (names follow the seeds' SessionManager config) */
	long default_ttl;          /* defaultTTL, seconds, > 0 */
	long grace_ttl;            /* graceTTL, seconds, > 0 */
	long checkpoint_interval;  /* checkpointInterval, events; 0 = off */
	long max_events;           /* maxEventsPerSession; 0 = unlimited */
	int failure_snapshots;     /* enableFailureSnapshots */
	long cleanup_interval;     /* SESSION_CLEANUP_INTERVAL, seconds */
	long cleanup_batch;        /* SESSION_CLEANUP_BATCH_SIZE */
	int password_on_cmdline;   /* set by binaries to warn */
	/* sess-health's thresholds, "NAME=RANGE,..." (health.warn and
	 * health.crit in the config file); checked by sess-health, which
	 * alone knows the names */
	char health_warn[512];
	char health_crit[512];
	/* the deployment the file is for: development, staging or
	 * production ("environment"; sess-validate applies its rules) */
	char environment[16];
	/* Sentinel (sentinel_url.c): non-empty sentinels = ask them for the
	 * primary of sentinel_master ("host:port,host:port"); host and port
	 * above are then unused */
	char sentinels[1024];
	char sentinel_master[128];
	char sentinel_username[128];
	char sentinel_password[512]; /* never printed */
	/* durable writes: WAIT for this many replicas after writes; -1 (the
	 * default): 1 through Sentinel, else off (sess_config_wait_replicas) */
	int wait_replicas;
	int wait_timeout_ms;
	/* Redis Cluster (core/redis/cluster.h): "yes", "no", or "auto"
	 * (also ""): a cluster is known by its slot-map cache or its first
	 * redirection; cluster_nodes: more seeds, "host:port,host:port" */
	char cluster[8];
	char cluster_nodes[1024];
	/* how the session scripts are called (core/redis/scripts.h):
	 * "functions" (FCALL of the library, FUNCTION LOAD), "eval"
	 * (EVALSHA), or "auto" (also ""): FCALL where the server has
	 * FUNCTION and the user may use it, else EVALSHA */
	char scripts[12];
};

/* The one key of a config file that is no setting: "$schema", the JSON
 * Schema an editor checks the file against, a string at the top; the
 * loader and sess-validate pass over it. */
#define SESS_CONFIG_SCHEMA_KEY "$schema"

/* The settings table: every key a config file may hold, its type and
 * range, one line of documentation and the advice sess-validate gives for
 * production. The loader, the validator and the JSON Schema all read this
 * one table, so they cannot disagree. */
enum sess_setting_type {
	SESS_SET_STR, SESS_SET_INT, SESS_SET_LONG, SESS_SET_BOOL, SESS_SET_URL
};

struct sess_setting {
	const char *name;          /* "redis.port": a dot nests an object */
	enum sess_setting_type type;
	size_t off;                /* in struct sess_config (not for URL) */
	size_t size;               /* strings: buffer size (longest + 1) */
	long min, max;             /* numbers: the accepted range */
	const char *values;        /* strings: the accepted words, separated
				    * by spaces, or NULL for any */
	const char *pattern;       /* strings: the JSON Schema pattern of what
				    * the setter accepts, or NULL */
	const char *doc;           /* one line, for the schema and the man page */
	/* production advice: a value outside [advise_min, advise_max]
	 * costs memory or speed (advice says how); NULL advice = none */
	long advise_min, advise_max;
	const char *advice;
	int secret;                /* never printed (passwords, URLs) */
	long unit_ms;              /* numbers that are durations: what the
				    * field counts (1 ms, 1000 s); the value
				    * may then be a DURATION ("2s", "1h":
				    * core/model/when.h), a bare number
				    * counting this unit; 0 = a plain number */
};

/* A string or URL setting's length, as its JSON Schema states it (which
 * counts characters, code points): a value of ASCII only may fill the
 * buffer (s->size - 1 characters); one with any other character is at
 * most (s->size - 1) / 4 characters, which fit the buffer whatever they
 * are (UTF-8 takes up to 4 bytes a character). Returns 0 when value fits,
 * else -1 with err set (class cls, kind "too_long", naming source). */
int sess_setting_check_len(const struct sess_setting *s, const char *value,
			   const char *source, enum sess_class cls, struct sess_err *err);

/* A duration setting's value (s->unit_ms != 0): a DURATION or a bare
 * number of the unit, whole in the unit and inside [min, max]. Returns 0
 * and *out in the unit, or -1 with err set (class cls, naming source). */
int sess_setting_duration(const struct sess_setting *s, const char *value,
			  const char *source, enum sess_class cls, long *out,
			  struct sess_err *err);

/* The i-th setting, or NULL past the last. */
const struct sess_setting *sess_config_setting(size_t i);

/* The setting a config file names, or NULL. */
const struct sess_setting *sess_config_find(const char *name);

/* Looks a name up in an environment; getenv fits. Tests pass their own. */
typedef const char *(*sess_env_fn)(const char *name);

void sess_config_defaults(struct sess_config *cfg);

/* Apply a redis:// or unix:// URL (redis://[user[:pass]@]host[:port][/db],
 * unix:///path/to.sock[?db=N], rediss:// for TLS). The query holds
 * db=N and, for rediss://, the tls.* settings by their last name
 * (?cacert=FILE&cert=FILE&key=FILE&sni=NAME&insecure=1...), joined by &. */
int sess_config_apply_url(struct sess_config *cfg, const char *url,
			  struct sess_err *err);

/* One NAME=VALUE of a rediss:// URL's query (q, changed in place): the
 * setting tls.NAME (cacert=FILE, insecure=1; "insecure" alone is true).
 * 0 set, 1 NAME is no TLS setting, -1 with err (a bad value). */
int sess_config_tls_query(struct sess_config *cfg, char *q, struct sess_err *err);

/* The redis+sentinel:// (or Lettuce's redis-sentinel://...#NAME) part of
 * sess_config_apply_url (sentinel_url.c). */
int sess_config_apply_sentinel_url(struct sess_config *cfg, const char *url,
				   struct sess_err *err);

/* The replicas a write waits for: wait_replicas, or when not set 1
 * through Sentinel and 0 (no WAIT) otherwise. */
int sess_config_wait_replicas(const struct sess_config *cfg);

/* Set one setting by its config-file name ("defaultTTL", "prefix",
 * "redis.port", ...) from a string value, as flags and env do. source names
 * where the value came from, for the message ("--ttl", "SESSION_TTL"). */
int sess_config_set(struct sess_config *cfg, const char *name,
		    const char *value, const char *source, struct sess_err *err);

/* Layer a JSON config file. A missing file is SESS_E_NOINPUT, bad JSON or an
 * unknown key SESS_E_CONFIG. */
int sess_config_load_file(struct sess_config *cfg, const char *path,
			  struct sess_err *err);

/* Same from a string (what load_file does after reading). */
int sess_config_load_json(struct sess_config *cfg, const char *text,
			  const char *source, struct sess_err *err);

/* Layer the environment: REDIS_URL, then REDIS_HOST, REDIS_PORT, REDIS_DB,
 * REDIS_USERNAME, REDIS_PASSWORD, REDIS_TLS, REDIS_CACERT, REDIS_CACERTDIR,
 * REDIS_CERT, REDIS_KEY, REDIS_SNI, REDIS_INSECURE, REDIS_TLS_CIPHERS,
 * REDIS_TLS_CIPHERSUITES, SESSION_TTL, SESSION_CLEANUP_INTERVAL,
 * SESSION_CLEANUP_BATCH_SIZE, SESSKIT_PREFIX, REDIS_SENTINELS,
 * REDIS_SENTINEL_MASTER, REDIS_SENTINEL_USERNAME, REDIS_SENTINEL_PASSWORD,
 * REDIS_WAIT_REPLICAS, REDIS_WAIT_TIMEOUT. Empty values are ignored. */
int sess_config_load_env(struct sess_config *cfg, sess_env_fn env,
			 struct sess_err *err);

/* Read a password from the first line of a file into cfg->password. A
 * regular file that group or others may read or write is refused
 * (SESS_E_CONFIG, kind "insecure_file", the message says chmod 600) unless
 * insecure_ok. */
int sess_config_password_file(struct sess_config *cfg, const char *path,
			      int insecure_ok, struct sess_err *err);

/* url (or a host) for messages, its password hidden: the user info before
 * the last '@' becomes "user:***@" or "***@"; in a URL without '@', text
 * where the port goes that is no number (redis://user:pass, its '@host'
 * forgotten) becomes "***", and so does a query other than ?db=N
 * (?password=...). buf holds n bytes. */
void sess_config_redact_url(const char *url, char *buf, size_t n);

/* "host:port/db" or "unix:/path/db", for prompts and messages; a password
 * in the host is hidden. */
void sess_config_describe(const struct sess_config *cfg, char *buf, size_t n);

/* Parse a whole decimal number in [min, max]; what names it in the error,
 * cls is the class of the error (SESS_E_USAGE for flags, ...). */
int sess_parse_long(const char *s, long min, long max, const char *what,
		    enum sess_class cls, long *out, struct sess_err *err);

/* Decode a URL part's %XX escapes in place: 0, or -1 on a bad escape. */
int sess_config_url_unescape(char *s);

#endif
