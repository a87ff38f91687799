#include "core/model/config.h"
#include "core/model/when.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/model/json.h"
#include "core/model/limits.h"
#include "core/model/url_pattern.h"

void sess_config_defaults(struct sess_config *cfg)
{
	memset(cfg, 0, sizeof *cfg);
	snprintf(cfg->host, sizeof cfg->host, "127.0.0.1");
	cfg->port = 6379;
	cfg->connect_timeout_ms = 2000;
	cfg->command_timeout_ms = 5000;
	snprintf(cfg->prefix, sizeof cfg->prefix, "sess");
	cfg->default_ttl = 3600;
	cfg->grace_ttl = 300;
	cfg->checkpoint_interval = 10;
	cfg->max_events = 1000;
	cfg->failure_snapshots = 1;
	cfg->cleanup_interval = 3600;
	cfg->cleanup_batch = 100;
	cfg->wait_replicas = -1;
	cfg->wait_timeout_ms = 1000;
}

int sess_parse_long(const char *s, long min, long max, const char *what,
		    enum sess_class cls, long *out, struct sess_err *err)
{
	char *end;
	long v;

	if (!s || !*s)
		return sess_err_set(err, cls, NULL, "%s needs a number from %ld to %ld",
				    what, min, max);
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || end == s)
		return sess_err_set(err, cls, NULL,
				    "%s: \"%.40s\" is not a whole number; give one from %ld to %ld",
				    what, s, min, max);
	if (v < min || v > max)
		return sess_err_set(err, cls, NULL,
				    "%s: %ld is out of range; give a number from %ld to %ld",
				    what, v, min, max);
	*out = v;
	return 0;
}

static int copy_str(char *dst, size_t n, const char *src, const char *what,
		    enum sess_class cls, struct sess_err *err)
{
	size_t len = strlen(src);

	if (len >= n)
		return sess_err_set(err, cls, NULL, "%s is too long (%zu bytes; the limit is %zu)",
				    what, len, n - 1);
	memcpy(dst, src, len + 1);
	return 0;
}

/* A number from a URL. Its text is not quoted in the message: in a URL
 * written wrongly (a password without its '@host'), what stands where the
 * port or the database goes may be the password. */
static int url_number(const char *s, long min, long max, const char *what,
		      long *out, struct sess_err *err)
{
	/* digits only: no sign, no spaces (the schema's pattern is the same) */
	if (!*s || strspn(s, "0123456789") != strlen(s) ||
	    sess_parse_long(s, min, max, what, SESS_E_CONFIG, out, NULL))
		return sess_err_set(err, SESS_E_CONFIG, "bad_url",
				    "%s must be a whole number from %ld to %ld", what, min, max);
	return 0;
}

/* The query of a URL in buf: anything but ?db=N (?password=... is a thing
 * people write) becomes ?***. */
static void redact_query(char *buf, size_t n)
{
	char *q = strchr(buf, '?');

	if (q && !(strncmp(q + 1, "db=", 3) == 0 && q[4] && strspn(q + 4, "0123456789") == strlen(q + 4)))
		snprintf(q + 1, n - (size_t)(q + 1 - buf), "***");
}

void sess_config_redact_url(const char *url, char *buf, size_t n)
{
	const char *at = strrchr(url, '@'), *scheme = strstr(url, "://");
	const char *start, *colon, *end;

	if (n == 0)
		return;
	if (at) {
		/* the user info is all before the last '@' (a password may
		 * hold '/', '?' or '@'), after the scheme if it comes first */
		start = scheme && scheme < at ? scheme + 3 : url;
		colon = memchr(start, ':', (size_t)(at - start));
		if (colon)
			snprintf(buf, n, "%.*s:***%s", (int)(colon - url), url, at);
		else
			snprintf(buf, n, "%.*s***%s", (int)(start - url), url, at);
		redact_query(buf, n);
		return;
	}
	/* redis://user:pass without its '@host': what stands where the port
	 * goes is no number, and may be the password */
	colon = scheme ? strrchr(scheme + 3, ':') : NULL;
	if (colon && colon[1] && !strchr(colon, ']')) {
		end = colon + 1 + strcspn(colon + 1, "/?");
		if (strspn(colon + 1, "0123456789") != (size_t)(end - colon - 1)) {
			snprintf(buf, n, "%.*s:***%s", (int)(colon - url), url, end);
			redact_query(buf, n);
			return;
		}
	}
	snprintf(buf, n, "%s", url);
	if (scheme)
		redact_query(buf, n);
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Decode %XX escapes in place (user names and passwords in URLs): two hex
 * digits, and never %00 (it would cut the text short). */
int sess_config_url_unescape(char *s)
{
	char *w = s;

	for (; *s; s++) {
		if (*s == '%') {
			int hi, lo;
			if ((hi = hexval(s[1])) < 0 || (lo = hexval(s[2])) < 0 || (hi | lo) == 0)
				return -1;
			*w++ = (char)(hi << 4 | lo);
			s += 2;
		} else {
			*w++ = *s;
		}
	}
	*w = '\0';
	return 0;
}

/* The query of a URL: db=N, and for rediss:// the tls.* settings by
 * their last name, joined by '&' (sess_config_tls_query). */
static int apply_db_query(struct sess_config *cfg, char *q, int tls,
			  struct sess_err *err)
{
	long db;
	char *next;

	for (; q; q = next) {
		if ((next = strchr(q, '&')))
			*next++ = '\0';
		if (!strncmp(q, "db=", 3)) {
			if (url_number(q + 3, 0, INT_MAX, "database number in URL", &db, err))
				return -1;
			cfg->db = (int)db;
			continue;
		}
		if (tls) {
			int r = sess_config_tls_query(cfg, q, err);
			if (r < 0)
				return -1;
			if (r == 0)
				continue;
		}
		/* the option's name only: ?password=... is a thing people write */
		return sess_err_set(err, SESS_E_CONFIG, "bad_url",
				    "URL option \"%.*s\" is not known; a URL takes ?db=N%s",
				    (int)strcspn(q, "="), q,
				    tls ? " and rediss:// the TLS settings (cacert, cacertdir, cert, key, sni, insecure, ciphers, ciphersuites, insecureKeyFile)" : "");
	}
	return 0;
}

static int apply_unix_url(struct sess_config *cfg, const char *rest,
			  struct sess_err *err)
{
	char path[sizeof cfg->unix_path];
	char *q;

	if (copy_str(path, sizeof path, rest, "unix socket path", SESS_E_CONFIG, err))
		return -1;
	q = strchr(path, '?');
	if (q) {
		*q++ = '\0';
		if (apply_db_query(cfg, q, 0, err))
			return -1;
	}
	if (path[0] != '/')
		return sess_err_set(err, SESS_E_CONFIG, "bad_url",
				    "unix socket URL needs an absolute path: unix:///path/to/redis.sock");
	memcpy(cfg->unix_path, path, sizeof path);
	return 0;
}

static int apply_userinfo(struct sess_config *cfg, char *ui, struct sess_err *err)
{
	char *colon = strchr(ui, ':');

	if (colon)
		*colon++ = '\0';
	if (sess_config_url_unescape(ui) || (colon && sess_config_url_unescape(colon)))
		return sess_err_set(err, SESS_E_CONFIG, "bad_url",
				    "URL user or password has a broken %%XX escape");
	if (colon) {
		/* redis://:pass@host is the classic password-only form. */
		if (*ui && copy_str(cfg->username, sizeof cfg->username, ui,
				    "URL user name", SESS_E_CONFIG, err))
			return -1;
		return copy_str(cfg->password, sizeof cfg->password, colon,
				"URL password", SESS_E_CONFIG, err);
	}
	/* redis://pass@host: a lone userinfo is the password, as redis-cli reads it. */
	return copy_str(cfg->password, sizeof cfg->password, ui, "URL password",
			SESS_E_CONFIG, err);
}

static int apply_hostport(struct sess_config *cfg, char *hp, struct sess_err *err)
{
	char *port = NULL;
	long p;

	if (hp[0] == '[') { /* [::1]:6379 */
		char *close = strchr(hp, ']');
		if (!close)
			return sess_err_set(err, SESS_E_CONFIG, "bad_url",
					    "URL has an IPv6 address without its closing ']'");
		*close = '\0';
		if (close[1] == ':')
			port = close + 2;
		else if (close[1])
			return sess_err_set(err, SESS_E_CONFIG, "bad_url",
					    "unexpected \"%s\" after the IPv6 address in the URL", close + 1);
		hp++;
	} else {
		port = strchr(hp, ':');
		if (port)
			*port++ = '\0';
	}
	if (*hp && copy_str(cfg->host, sizeof cfg->host, hp, "URL host",
			    SESS_E_CONFIG, err))
		return -1;
	if (port) {
		if (url_number(port, 1, 65535, "URL port", &p, err))
			return -1;
		cfg->port = (int)p;
	}
	cfg->unix_path[0] = '\0';
	return 0;
}

int sess_config_apply_url(struct sess_config *cfg, const char *url,
			  struct sess_err *err)
{
	char buf[1024], shown[256];
	char *rest, *at, *slash, *q;
	long db;

	if (!strncmp(url, "redis+sentinel://", 17) || !strncmp(url, "redis-sentinel://", 17))
		return sess_config_apply_sentinel_url(cfg, url, err);
	cfg->sentinels[0] = '\0'; /* a plain URL names the server itself */
	if (strncmp(url, "unix://", 7) == 0)
		return apply_unix_url(cfg, url + 7, err);
	if (strncmp(url, "redis://", 8) == 0) {
		rest = (char *)url + 8;
		cfg->tls = 0;
	} else if (strncmp(url, "rediss://", 9) == 0) {
		rest = (char *)url + 9;
		cfg->tls = 1;
	} else {
		sess_config_redact_url(url, shown, sizeof shown);
		return sess_err_set(err, SESS_E_CONFIG, "bad_url",
				    "URL \"%.80s\" must start with redis://, rediss://, unix:// or redis+sentinel://",
				    shown);
	}
	if (copy_str(buf, sizeof buf, rest, "URL", SESS_E_CONFIG, err))
		return -1;
	rest = buf;
	/* user info first, up to the last '@': a password may hold '?' or
	 * '/', which must not be taken for the query or the database */
	at = strrchr(rest, '@');
	if (at) {
		*at = '\0';
		if (apply_userinfo(cfg, rest, err))
			return -1;
		rest = at + 1;
	}
	q = strchr(rest, '?');
	if (q)
		*q++ = '\0';
	slash = strchr(rest, '/');
	if (slash) {
		*slash++ = '\0';
		if (*slash) {
			if (url_number(slash, 0, INT_MAX, "database number in URL", &db, err))
				return -1;
			cfg->db = (int)db;
		}
	}
	if (apply_hostport(cfg, rest, err))
		return -1;
	if (q && apply_db_query(cfg, q, cfg->tls, err))
		return -1;
	return 0;
}

/* The settings a config file, the environment and flags may name. */
#define T_STR SESS_SET_STR
#define T_INT SESS_SET_INT
#define T_LONG SESS_SET_LONG
#define T_BOOL SESS_SET_BOOL
#define T_URL SESS_SET_URL

#define OFF(f) offsetof(struct sess_config, f)
#define SZ(f) sizeof(((struct sess_config *)0)->f)
#define S(n, f, d, ...) {.name = n, .type = T_STR, .off = OFF(f), .size = SZ(f), .doc = d, __VA_ARGS__}
#define N(n, t, f, lo, hi, d, ...) {.name = n, .type = t, .off = OFF(f), .min = lo, .max = hi, .doc = d, __VA_ARGS__}
static const struct sess_setting settings[] = {
	{.name = "redis.url", .type = T_URL, .size = 1024, .secret = 1,
	 .pattern = SESS_URL_PATTERN,
	 .doc = "redis://[user[:password]@]host[:port][/db], rediss:// (TLS), unix:///path.sock[?db=N] or redis+sentinel://[user:pass@]host:port[,host:port...][/db]?master=NAME"},
	S("redis.host", host, "Redis host name or address"),
	N("redis.port", T_INT, port, 1, 65535, "Redis TCP port"),
	S("redis.socket", unix_path, "Redis unix socket path (instead of host and port)"),
	N("redis.db", T_INT, db, 0, INT_MAX, "Redis database number"),
	S("redis.username", username, "Redis ACL user name"),
	S("redis.password", password, "Redis password (keep the file private: chmod 600)", .secret = 1),
	N("redis.connectTimeout", T_INT, connect_timeout_ms, 1, 3600000, "connect timeout, milliseconds",
	  .unit_ms = 1, .advise_min = 100, .advise_max = 30000,
	  .advice = "a connect timeout outside 100 ms to 30 s either fails on a busy network or hangs callers"),
	N("redis.commandTimeout", T_INT, command_timeout_ms, 1, 3600000, "command timeout, milliseconds",
	  .unit_ms = 1, .advise_min = 100, .advise_max = 60000,
	  .advice = "a command timeout outside 100 ms to 60 s either fails busy commands or hangs callers"),
	S("prefix", prefix, "key prefix: 1-32 of [A-Za-z0-9._], then also - and :",
	  .pattern = "^[A-Za-z0-9._][A-Za-z0-9._:-]{0,31}(?![\\s\\S])"),
	N("defaultTTL", T_LONG, default_ttl, SESS_TTL_MIN, SESS_TTL_MAX, "session TTL, seconds",
	  .unit_ms = 1000, .advise_min = 60, .advise_max = 604800,
	  .advice = "a TTL over 7 days keeps abandoned sessions in memory; under a minute ends live ones"),
	N("graceTTL", T_LONG, grace_ttl, SESS_TTL_MIN, SESS_TTL_MAX,
	  "TTL after the last agent leaves, seconds (below defaultTTL)",
	  .unit_ms = 1000, .advise_min = 1, .advise_max = 86400,
	  .advice = "a grace TTL over a day keeps finished sessions in memory"),
	N("checkpointInterval", T_LONG, checkpoint_interval, 0, SESS_INTERVAL_MAX,
	  "events between automatic checkpoints (0: off)",
	  .advise_min = 5, .advise_max = 10000,
	  .advice = "a checkpoint every few events costs a snapshot write each time; thousands apart make replays and trims slow"),
	N("maxEventsPerSession", T_LONG, max_events, 0, SESS_MAX_EVENTS_MAX,
	  "events a session may hold (0: unlimited)",
	  .advise_min = 1, .advise_max = 100000,
	  .advice = "an unlimited or very long log (over 100000 events) costs memory per session"),
	N("enableFailureSnapshots", T_BOOL, failure_snapshots, 0, 1,
	  "take a checkpoint when an event breaks the session"),
	N("cleanupInterval", T_LONG, cleanup_interval, 1, 315360000, "seconds between cleanup runs",
	  .unit_ms = 1000, .advise_min = 10, .advise_max = 86400,
	  .advice = "cleanup more often than every 10 s costs Redis time; less than daily lets indexes grow"),
	N("cleanupBatchSize", T_LONG, cleanup_batch, 1, 100000, "sessions a cleanup run handles per round trip",
	  .advise_min = 10, .advise_max = 10000,
	  .advice = "batches over 10000 block Redis for long; under 10 make cleanup slow"),
	N("tls.enabled", T_BOOL, tls_enabled, 0, 1,
	  "connect with TLS whatever the URL's scheme (rediss:// alone does too; never falls back to plain text)"),
	S("tls.cacert", tls_cacert, "CA bundle (PEM) to verify the server with (default: the system's)"),
	S("tls.cacertdir", tls_cacertdir, "directory of CA certificates (c_rehash) to verify the server with"),
	S("tls.cert", tls_cert, "client certificate (PEM), for servers with tls-auth-clients"),
	S("tls.key", tls_key, "the client certificate's private key (PEM; chmod 600)"),
	S("tls.sni", tls_sni, "server name to send (default: the host name)"),
	N("tls.insecure", T_BOOL, tls_insecure, 0, 1, "do not verify the server's certificate (testing only)"),
	N("tls.insecureKeyFile", T_BOOL, tls_insecure_key, 0, 1, "take a tls.key group or others can read"),
	S("tls.ciphers", tls_ciphers, "TLS 1.2 cipher list (OpenSSL syntax)"),
	S("tls.ciphersuites", tls_ciphersuites, "TLS 1.3 cipher suites (OpenSSL syntax)"),
	S("redis.sentinels", sentinels, "Sentinels to ask for the primary, host:port[,host:port...] (port 26379 by default)",
	  .pattern = SESS_SENTINELS_PATTERN),
	S("redis.sentinelMaster", sentinel_master, "the master name the sentinels monitor"),
	S("redis.sentinelUsername", sentinel_username, "ACL user name for the sentinels"),
	S("redis.sentinelPassword", sentinel_password, "password for the sentinels", .secret = 1),
	S("redis.cluster", cluster, "Redis Cluster: yes, no, or auto (a cluster found by its first redirection or the slot-map cache)",
	  .values = "auto yes no"),
	S("redis.clusterNodes", cluster_nodes, "more cluster nodes to discover the slots from, host:port[,host:port...]",
	  .pattern = "^(?:[^,]+(?:,[^,]+)*)?(?![\\s\\S])"),
	S("redis.scripts", scripts, "how the session scripts are called: functions (FCALL, Redis 7+), eval (EVALSHA), or auto (FCALL where the server has FUNCTION and the user may use it)",
	  .values = "auto functions eval"),
	N("redis.waitReplicas", T_INT, wait_replicas, 0, 1000,
	  "replicas a write waits for (WAIT) before it is ok; default 1 through Sentinel, else 0"),
	N("redis.waitTimeout", T_INT, wait_timeout_ms, 1, 3600000, "how long WAIT waits, milliseconds",
	  .unit_ms = 1),
	S("health.warn", health_warn, "sess-health warning thresholds, NAME=RANGE,..."),
	S("health.crit", health_crit, "sess-health critical thresholds, NAME=RANGE,..."),
	S("environment", environment, "the deployment the file is for (sess-validate's rules)",
	  .values = "development staging production"),
};
#undef OFF
#undef SZ
#undef S
#undef N

const struct sess_setting *sess_config_setting(size_t i)
{
	return i < sizeof settings / sizeof settings[0] ? &settings[i] : NULL;
}

static const struct sess_setting *find_setting(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof settings / sizeof settings[0]; i++)
		if (strcmp(settings[i].name, name) == 0)
			return &settings[i];
	return NULL;
}

const struct sess_setting *sess_config_find(const char *name)
{
	return find_setting(name);
}

/* A word of a space-separated list. */
static int in_words(const char *words, const char *w)
{
	size_t n = strlen(w);
	const char *p;

	for (p = words; *p; p += strcspn(p, " "), p += *p == ' ') {
		if (strcspn(p, " ") == n && !strncmp(p, w, n))
			return n > 0;
	}
	return 0;
}

static int parse_bool(const char *v, int *out)
{
	if (!strcmp(v, "1") || !strcmp(v, "true") || !strcmp(v, "yes") || !strcmp(v, "on"))
		*out = 1;
	else if (!strcmp(v, "0") || !strcmp(v, "false") || !strcmp(v, "no") || !strcmp(v, "off"))
		*out = 0;
	else
		return -1;
	return 0;
}

int sess_setting_duration(const struct sess_setting *s, const char *value,
			  const char *source, enum sess_class cls, long *out,
			  struct sess_err *err)
{
	long long ms;
	char lo[32], hi[32];

	if (sess_duration_parse(value, s->unit_ms, source, &ms, err)) {
		err->cls = cls;
		return -1;
	}
	sess_duration_format((long long)s->min * s->unit_ms, lo, sizeof lo);
	sess_duration_format((long long)s->max * s->unit_ms, hi, sizeof hi);
	if (ms % s->unit_ms || ms / s->unit_ms < s->min || ms / s->unit_ms > s->max)
		return sess_err_set(err, cls, NULL, "%s: \"%.40s\" is not a whole %s from %s to %s",
				    source, value, s->unit_ms == 1000 ? "number of seconds" : "number of milliseconds",
				    lo, hi);
	*out = (long)(ms / s->unit_ms);
	return 0;
}

int sess_setting_check_len(const struct sess_setting *s, const char *value,
			   const char *source, enum sess_class cls, struct sess_err *err)
{
	const unsigned char *p;
	size_t bytes = strlen(value), chars = 0, max = s->size - 1;
	int ascii = 1;

	for (p = (const unsigned char *)value; *p; p++) {
		ascii &= *p < 0x80;
		chars += (*p & 0xC0) != 0x80; /* UTF-8: all but continuation bytes */
	}
	if (ascii ? bytes <= max : chars <= max / 4 && bytes <= max)
		return 0;
	if (ascii)
		return sess_err_set(err, cls, "too_long",
				    "%s is too long (%zu characters; the limit is %zu)",
				    source, chars, max);
	return sess_err_set(err, cls, "too_long",
			    "%s is too long (%zu characters, not all ASCII; the limit is %zu, or %zu of ASCII only)",
			    source, chars, max / 4, max);
}

int sess_config_set(struct sess_config *cfg, const char *name,
		    const char *value, const char *source, struct sess_err *err)
{
	const struct sess_setting *s = find_setting(name);
	enum sess_class cls = (source && source[0] == '-') ? SESS_E_USAGE : SESS_E_CONFIG;
	char *base = (char *)cfg;
	long v;
	int b;

	if (!s)
		return sess_err_set(err, cls, "unknown_setting",
				    "%s: unknown setting \"%s\"; see CONFIGURATION in the man page for the names",
				    source, name);
	switch (s->type) {
	case T_URL: {
		char had[sizeof cfg->password];

		if (sess_setting_check_len(s, value, source, cls, err))
			return -1;
		memcpy(had, cfg->password, sizeof had);
		if (sess_config_apply_url(cfg, value, err)) {
			memset(had, 0, sizeof had);
			err->cls = cls;
			sess_err_prefix(err, "%s", source);
			return -1;
		}
		if (cfg->password[0] && strcmp(had, cfg->password))
			snprintf(cfg->password_from, sizeof cfg->password_from, "the URL in %s", source);
		memset(had, 0, sizeof had);
		return 0;
	}
	case T_STR:
		if (s->values && !in_words(s->values, value))
			return sess_err_set(err, cls, NULL, "%s: \"%.40s\" is not one of %s",
					    source, value, s->values);
		if (sess_setting_check_len(s, value, source, cls, err))
			return -1;
		memcpy(base + s->off, value, strlen(value) + 1);
		if (s->off == offsetof(struct sess_config, password))
			snprintf(cfg->password_from, sizeof cfg->password_from, "%s", source);
		if (s->off == offsetof(struct sess_config, prefix) &&
		    sess_key_check_prefix(value, err)) {
			err->cls = cls;
			sess_err_prefix(err, "%s", source);
			return -1;
		}
		return 0;
	case T_INT:
	case T_LONG:
		if (s->unit_ms ? sess_setting_duration(s, value, source, cls, &v, err)
			       : sess_parse_long(value, s->min, s->max, source, cls, &v, err))
			return -1;
		if (s->type == T_INT)
			*(int *)(base + s->off) = (int)v;
		else
			*(long *)(base + s->off) = v;
		return 0;
	case T_BOOL:
		if (parse_bool(value, &b))
			return sess_err_set(err, cls, NULL,
					    "%s: \"%.20s\" is not true or false", source, value);
		*(int *)(base + s->off) = b;
		return 0;
	}
	return 0;
}

/* A number in a config file, as text for sess_config_set: whole, and for
 * a numeric setting in its range (named in the message); other settings
 * (a password of digits) take any whole number. */
static int file_number(const cJSON *v, const struct sess_setting *s, const char *where,
		       char *buf, size_t n, struct sess_err *err)
{
	long min = -SESS_SEQ_MAX, max = SESS_SEQ_MAX, got;

	if (s->type == T_INT || s->type == T_LONG || s->type == T_BOOL) {
		min = s->min;
		max = s->max;
	}
	if (sess_json_long(v, min, max, where, &got, err)) {
		err->cls = SESS_E_CONFIG;
		return -1;
	}
	snprintf(buf, n, "%ld", got);
	return 0;
}

static int load_object(struct sess_config *cfg, const cJSON *obj,
		       const char *path_prefix, const char *source,
		       struct sess_err *err)
{
	const cJSON *it;
	char name[128], val[64], where[300];
	const char *sval;

	cJSON_ArrayForEach(it, obj) {
		snprintf(name, sizeof name, "%s%s", path_prefix, it->string);
		snprintf(where, sizeof where, "%s: %s", source, name);
		/* the schema an editor was told the file follows: no setting */
		if (!*path_prefix && !strcmp(it->string, SESS_CONFIG_SCHEMA_KEY)) {
			if (!cJSON_IsString(it))
				return sess_err_set(err, SESS_E_CONFIG, NULL,
						    "%s must be a string (the JSON Schema the file follows, for editors)",
						    where);
			continue;
		}
		if (!*path_prefix && cJSON_IsObject(it) &&
		    (!strcmp(it->string, "redis") || !strcmp(it->string, "health") ||
		     !strcmp(it->string, "tls"))) {
			snprintf(name, sizeof name, "%s.", it->string);
			if (load_object(cfg, it, name, source, err))
				return -1;
			continue;
		}
		if (!find_setting(name))
			return sess_err_set(err, SESS_E_CONFIG, "unknown_setting",
					    "%s: unknown setting \"%s\"; see CONFIGURATION in the man page for the names",
					    source, name);
		if (cJSON_IsString(it)) {
			sval = it->valuestring;
		} else if (cJSON_IsNumber(it)) {
			if (file_number(it, find_setting(name), where, val, sizeof val, err))
				return -1;
			sval = val;
		} else if (cJSON_IsBool(it)) {
			sval = cJSON_IsTrue(it) ? "true" : "false";
		} else {
			return sess_err_set(err, SESS_E_CONFIG, NULL,
					    "%s must be a string, number or boolean", where);
		}
		if (sess_config_set(cfg, name, sval, where, err))
			return -1;
	}
	return 0;
}

int sess_config_load_json(struct sess_config *cfg, const char *text,
			  const char *source, struct sess_err *err)
{
	cJSON *root = sess_json_parse_err(text, source, "fix the file or drop --config", err);
	int rc;

	if (!root) {
		err->cls = SESS_E_CONFIG;
		return -1;
	}
	if (!cJSON_IsObject(root)) {
		cJSON_Delete(root);
		return sess_err_set(err, SESS_E_CONFIG, "bad_json",
				    "%s must hold a JSON object", source);
	}
	rc = load_object(cfg, root, "", source, err);
	cJSON_Delete(root);
	return rc;
}

/* A regular file group or others may read or write holds no secret. Pipes
 * (--password-file <(pass show redis)) and terminals are not kept. */
static int check_private(const struct stat *st, const char *path, struct sess_err *err)
{
	if (S_ISREG(st->st_mode) && (st->st_mode & (S_IRGRP | S_IWGRP | S_IROTH | S_IWOTH)))
		return sess_err_set(err, SESS_E_CONFIG, "insecure_file",
				    "password file %s can be read or written by group or others (mode %04o); chmod 600 %s, or give --insecure-password-file to use it anyway",
				    path, (unsigned)(st->st_mode & 07777), path);
	return 0;
}

/* The file's text, at most limit bytes; with private_only (a password
 * file), refused before anything is read when check_private refuses it,
 * and only a regular file or a pipe. Opening never blocks: a FIFO nothing
 * writes to is refused at once (a pipe with a writer, <(command), is read
 * as the writer goes). */
static char *read_small_file(const char *path, size_t limit, int private_only,
			     struct sess_err *err)
{
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC), fl;
	struct stat st;
	char *buf = NULL;
	size_t n = 0;
	ssize_t r;

	if (fd < 0) {
		if (errno == ENOENT)
			return sess_err_set(err, SESS_E_NOINPUT, "no_file",
					    "%s: no such file", path), NULL;
		return sess_err_set(err, SESS_E_NOINPUT, "no_file", "%s: %s", path,
				    strerror(errno)), NULL;
	}
	if (fstat(fd, &st) != 0) {
		sess_err_set(err, SESS_E_NOINPUT, "no_file", "%s: %s", path, strerror(errno));
		goto fail;
	}
	if (S_ISDIR(st.st_mode) ||
	    (private_only && !S_ISREG(st.st_mode) && !S_ISFIFO(st.st_mode))) {
		sess_err_set(err, SESS_E_CONFIG, NULL,
			     "%s is not a regular file%s; give a file (chmod 600), a pipe (<(pass show redis)) or --askpass",
			     path, S_ISDIR(st.st_mode) ? " but a directory" : " or a pipe");
		goto fail;
	}
	if (private_only && check_private(&st, path, err))
		goto fail;
	if (!(buf = malloc(limit + 1))) {
		sess_err_set(err, SESS_E_INTERNAL, NULL, "out of memory");
		goto fail;
	}
	if (S_ISFIFO(st.st_mode)) {
		/* no data and no writer: end of file at once; EAGAIN: a
		 * writer that has not written yet (wait for it below) */
		r = read(fd, buf, limit + 1);
		if (r == 0) {
			sess_err_set(err, SESS_E_CONFIG, NULL,
				     "%s is a FIFO that nothing writes to; give a file (chmod 600), or a pipe with its writer: <(pass show redis)",
				     path);
			goto fail;
		}
		if (r > 0)
			n = (size_t)r;
		else if (errno != EAGAIN && errno != EINTR)
			goto fail_read;
	}
	if ((fl = fcntl(fd, F_GETFL)) != -1)
		fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
	while (n <= limit && (r = read(fd, buf + n, limit + 1 - n)) != 0) {
		if (r < 0) {
			if (errno == EINTR)
				continue;
			goto fail_read;
		}
		n += (size_t)r;
	}
	if (n > limit)
		goto fail_read;
	close(fd);
	buf[n] = '\0';
	return buf;
fail_read:
	sess_err_set(err, SESS_E_CONFIG, NULL,
		     "%s: cannot read it, or it is larger than %zu bytes", path, limit);
fail:
	if (buf)
		memset(buf, 0, n);
	free(buf);
	close(fd);
	return NULL;
}

int sess_config_load_file(struct sess_config *cfg, const char *path,
			  struct sess_err *err)
{
	char *text = read_small_file(path, 1 << 20, 0, err);
	int rc;

	if (!text)
		return -1;
	rc = sess_config_load_json(cfg, text, path, err);
	free(text);
	return rc;
}

int sess_config_password_file(struct sess_config *cfg, const char *path,
			      int insecure_ok, struct sess_err *err)
{
	char *text = read_small_file(path, 4096, !insecure_ok, err);
	size_t n;
	int rc;

	if (!text)
		return -1;
	n = strcspn(text, "\r\n");
	text[n] = '\0';
	rc = copy_str(cfg->password, sizeof cfg->password, text, "password file",
		      SESS_E_CONFIG, err);
	if (!rc)
		snprintf(cfg->password_from, sizeof cfg->password_from, "--password-file %s", path);
	memset(text, 0, n);
	free(text);
	return rc;
}

int sess_config_load_env(struct sess_config *cfg, sess_env_fn env,
			 struct sess_err *err)
{
	static const struct { const char *var, *setting; } vars[] = {
		{"REDIS_URL", "redis.url"},
		{"REDIS_HOST", "redis.host"},
		{"REDIS_PORT", "redis.port"},
		{"REDIS_DB", "redis.db"},
		{"REDIS_USERNAME", "redis.username"},
		{"REDIS_PASSWORD", "redis.password"},
		{"REDIS_TLS", "tls.enabled"},
		{"REDIS_CACERT", "tls.cacert"},
		{"REDIS_CACERTDIR", "tls.cacertdir"},
		{"REDIS_CERT", "tls.cert"},
		{"REDIS_KEY", "tls.key"},
		{"REDIS_SNI", "tls.sni"},
		{"REDIS_INSECURE", "tls.insecure"},
		{"REDIS_TLS_CIPHERS", "tls.ciphers"},
		{"REDIS_TLS_CIPHERSUITES", "tls.ciphersuites"},
		{"SESSION_TTL", "defaultTTL"},
		{"SESSION_CLEANUP_INTERVAL", "cleanupInterval"},
		{"SESSION_CLEANUP_BATCH_SIZE", "cleanupBatchSize"},
		{"SESSKIT_PREFIX", "prefix"},
		{"REDIS_SENTINELS", "redis.sentinels"},
		{"REDIS_SENTINEL_MASTER", "redis.sentinelMaster"},
		{"REDIS_SENTINEL_USERNAME", "redis.sentinelUsername"},
		{"REDIS_SENTINEL_PASSWORD", "redis.sentinelPassword"},
		{"REDIS_WAIT_REPLICAS", "redis.waitReplicas"},
		{"REDIS_CLUSTER", "redis.cluster"},
		{"REDIS_CLUSTER_NODES", "redis.clusterNodes"},
		{"REDIS_WAIT_TIMEOUT", "redis.waitTimeout"},
		{"REDIS_SCRIPTS", "redis.scripts"},
	};
	size_t i;

	for (i = 0; i < sizeof vars / sizeof vars[0]; i++) {
		const char *v = env(vars[i].var);
		if (!v || !*v)
			continue;
		if (sess_config_set(cfg, vars[i].setting, v, vars[i].var, err))
			return -1;
		/* REDIS_HOST after a unix:// REDIS_URL means TCP again. */
		if (!strcmp(vars[i].var, "REDIS_HOST"))
			cfg->unix_path[0] = '\0';
	}
	return 0;
}

void sess_config_describe(const struct sess_config *cfg, char *buf, size_t n)
{
	char host[sizeof cfg->host];

	/* a URL given as the host (REDIS_HOST=redis://u:pass@h) is shown
	 * in every connection message */
	sess_config_redact_url(cfg->host, host, sizeof host);
	if (cfg->unix_path[0])
		snprintf(buf, n, "unix:%s/%d", cfg->unix_path, cfg->db);
	else if (strchr(host, ':'))
		snprintf(buf, n, "[%s]:%d/%d", host, cfg->port, cfg->db);
	else
		snprintf(buf, n, "%s:%d/%d", host, cfg->port, cfg->db);
}
