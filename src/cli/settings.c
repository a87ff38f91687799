/* settings.c - the common options and the settings layering:
 * defaults < config file < environment < flags. */
#include "cli/cli.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

/* The common options: every binary, before or after its command. */
const struct cli_opt cli_common_opts[] = {
	CLI_STR("url", 'u', "URL", "redis://[user[:pass]@]host[:port][/db], rediss://... (TLS) or unix:///path.sock",
		struct cli_common, url, NULL),
	CLI_STR("host", 'h', "HOST", "Redis host", struct cli_common, host, NULL),
	CLI_LONG("port", 'p', "PORT", "Redis port", struct cli_common, port, 1, 65535),
	CLI_LONG("db", 'n', "N", "database number", struct cli_common, db, 0, 1L << 30),
	CLI_STR("socket", 's', "PATH", "unix socket", struct cli_common, socket, CLI_COMPLETE_FILE),
	CLI_STR("user", 0, "NAME", "ACL user name", struct cli_common, user, NULL),
	CLI_STR("password-file", 0, "FILE", "read the password from the first line of FILE (mode 600)",
		struct cli_common, password_file, CLI_COMPLETE_FILE),
	CLI_FLAG("insecure-password-file", 0, "use a --password-file group or others can read",
		 struct cli_common, insecure_password_file),
	CLI_FLAG("askpass", 0, "prompt for the password on the terminal", struct cli_common, askpass),
	CLI_STR("password", 0, "PASS", "(visible to other users; prefer the two above)",
		struct cli_common, password, NULL),
	CLI_FLAG("tls", 0, "connect with TLS whatever the URL's scheme", struct cli_common, tls),
	CLI_STR("cacert", 0, "FILE", "CA bundle to verify the server with (default: the system's)",
		struct cli_common, cacert, CLI_COMPLETE_FILE),
	CLI_STR("cacertdir", 0, "DIR", "directory of CA certificates", struct cli_common, cacertdir,
		CLI_COMPLETE_FILE),
	CLI_STR("cert", 0, "FILE", "client certificate (PEM)", struct cli_common, cert, CLI_COMPLETE_FILE),
	CLI_STR("key", 0, "FILE", "its private key (PEM, mode 600)", struct cli_common, key, CLI_COMPLETE_FILE),
	CLI_FLAG("insecure-key-file", 0, "use a --key group or others can read",
		 struct cli_common, insecure_key_file),
	CLI_STR("sni", 0, "NAME", "server name to send (default: the host)", struct cli_common, sni, NULL),
	CLI_FLAG("insecure", 0, "do not verify the server's certificate (testing only)",
		 struct cli_common, insecure),
	CLI_STR("tls-ciphers", 0, "LIST", "TLS 1.2 ciphers (OpenSSL syntax)", struct cli_common, tls_ciphers, NULL),
	CLI_STR("tls-ciphersuites", 0, "LIST", "TLS 1.3 cipher suites (OpenSSL syntax)",
		struct cli_common, tls_ciphersuites, NULL),
	CLI_STR("config", 'c', "FILE",
		"JSON config file (default $SESSKIT_CONFIG, else ~/.config/sesskit/config.json if it exists)",
		struct cli_common, config, CLI_COMPLETE_FILE),
	CLI_STR("prefix", 0, "P", "key prefix (default sess)", struct cli_common, prefix, NULL),
	CLI_DUR("timeout", 't', "DURATION", "command timeout", struct cli_common, timeout,
		 1, 1, 3600000),
	CLI_STR("sentinel", 0, "HOST:PORT[,...]", "find the primary through these sentinels (repeatable)",
		struct cli_common, sentinel, CLI_LIST),
	CLI_STR("sentinel-master", 0, "NAME", "the master name the sentinels monitor",
		struct cli_common, sentinel_master, NULL),
	CLI_STR("sentinel-user", 0, "NAME", "ACL user name for the sentinels",
		struct cli_common, sentinel_user, NULL),
	CLI_STR("sentinel-password", 0, "PASS", "password for the sentinels (prefer REDIS_SENTINEL_PASSWORD)",
		struct cli_common, sentinel_password, NULL),
	CLI_STR("cluster", 0, "MODE", "Redis Cluster: yes, no or auto (default: a cluster is followed from its first redirection)",
		struct cli_common, cluster, "auto yes no"),
	CLI_STR("cluster-nodes", 0, "HOST:PORT[,...]", "more cluster nodes to read the slot map from (repeatable)",
		struct cli_common, cluster_nodes, CLI_LIST),
	CLI_LONG("wait-replicas", 0, "N", "writes wait for N replicas (WAIT) before ok; default 1 through Sentinel, else 0",
		 struct cli_common, wait_replicas, 0, 1000),
	CLI_DUR("wait-timeout", 0, "DURATION", "how long a write waits for its replicas (default 1s)",
		 struct cli_common, wait_timeout, 1, 1, 3600000),
	CLI_STR("color", 0, "WHEN", "auto, always or never (NO_COLOR is honoured)",
		struct cli_common, color, "auto always never"),
	CLI_FLAG("table", 0, "lists as an aligned table (the default on a terminal)",
		 struct cli_common, as_table),
	CLI_FLAG("tsv", 0, "lists as tab-separated values with a header line",
		 struct cli_common, as_tsv),
	CLI_FLAG("json", 0, "JSON lines (the default in a pipe; wins over --tsv, --table)",
		 struct cli_common, as_json),
	/* the British spelling, accepted and not shown */
	CLI_STR("colour", 0, "WHEN", NULL, struct cli_common, color, "auto always never"),
	CLI_END,
};

void cli_no_dump(void)
{
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
}

/* The copies of passwords taken out of argv (cli_secret_arg). */
static char *secrets[16];
static size_t nsecrets;

/* Where the password is in a URL (as sess_config_redact_url finds it: the
 * user info is all before the last '@'); 0 when there is none. */
static size_t url_password(char *url, char **p)
{
	char *at = strrchr(url, '@'), *scheme = strstr(url, "://"), *start, *colon;

	if (!at)
		return 0;
	start = scheme && scheme < at ? scheme + 3 : url;
	colon = memchr(start, ':', (size_t)(at - start));
	*p = colon ? colon + 1 : start;
	return (size_t)(at - *p);
}

char *cli_secret_arg(const struct cli_opt *o, char *arg)
{
	char *p = arg, *copy;
	size_t n;

	if (o->kind != CLI_OPT_STR || !arg)
		return arg;
	if (!strcmp(o->name, "password") || !strcmp(o->name, "sentinel-password"))
		n = strlen(arg);
	else if (o->arg && !strcmp(o->arg, "URL"))
		n = url_password(arg, &p);
	else
		return arg;
	if (n == 0 || nsecrets == sizeof secrets / sizeof secrets[0] || !(copy = strdup(arg)))
		return arg;
	secrets[nsecrets++] = copy;
	/* the process list shows argv: the password there becomes x's */
	memset(p, 'x', n);
	cli_no_dump();
	return copy;
}

void cli_secrets_free(void)
{
	while (nsecrets > 0) {
		char *s = secrets[--nsecrets];
		memset(s, 0, strlen(s));
		free(s);
	}
}

void cli_common_init(struct cli_common *c)
{
	memset(c, 0, sizeof *c);
	c->port = c->db = c->timeout = -1;
	c->wait_replicas = c->wait_timeout = -1;
}

static int askpass(struct sess_config *cfg, struct sess_err *err)
{
	FILE *tty = fopen("/dev/tty", "r+");
	struct termios old, quiet;
	char buf[sizeof cfg->password + 2];
	size_t n;

	if (!tty)
		return sess_err_set(err, SESS_E_USAGE, NULL,
				    "--askpass needs a terminal; use --password-file or REDIS_PASSWORD instead");
	fputs("Redis password: ", tty);
	fflush(tty);
	tcgetattr(fileno(tty), &old);
	quiet = old;
	quiet.c_lflag &= (tcflag_t)~ECHO;
	tcsetattr(fileno(tty), TCSAFLUSH, &quiet);
	if (!fgets(buf, sizeof buf, tty))
		buf[0] = '\0';
	tcsetattr(fileno(tty), TCSAFLUSH, &old);
	fputc('\n', tty);
	fclose(tty);
	n = strcspn(buf, "\r\n");
	buf[n] = '\0';
	snprintf(cfg->password, sizeof cfg->password, "%s", buf);
	snprintf(cfg->password_from, sizeof cfg->password_from, "--askpass");
	memset(buf, 0, sizeof buf);
	return 0;
}

static const char *default_config_path(char *buf, size_t n)
{
	const char *xdg = getenv("XDG_CONFIG_HOME"), *home = getenv("HOME");
	struct stat st;

	if (xdg && *xdg)
		snprintf(buf, n, "%s/sesskit/config.json", xdg);
	else if (home && *home)
		snprintf(buf, n, "%s/.config/sesskit/config.json", home);
	else
		return NULL;
	return stat(buf, &st) == 0 ? buf : NULL;
}

static const char *env_get(const char *name)
{
	return getenv(name);
}

static int set_num(struct sess_config *cfg, const char *name, long v,
		   const char *flag, struct sess_err *err)
{
	char buf[24];

	snprintf(buf, sizeof buf, "%ld", v);
	return sess_config_set(cfg, name, buf, flag, err);
}

/* The TLS flags, over what the file and the environment said. */
static int cli_tls_settings(struct sess_config *cfg, const struct cli_common *c,
			    struct sess_err *err)
{
	const struct { const char *v, *name, *flag; } strs[] = {
		{c->cacert, "tls.cacert", "--cacert"},
		{c->cacertdir, "tls.cacertdir", "--cacertdir"},
		{c->cert, "tls.cert", "--cert"},
		{c->key, "tls.key", "--key"},
		{c->sni, "tls.sni", "--sni"},
		{c->tls_ciphers, "tls.ciphers", "--tls-ciphers"},
		{c->tls_ciphersuites, "tls.ciphersuites", "--tls-ciphersuites"},
	};
	size_t i;

	for (i = 0; i < sizeof strs / sizeof strs[0]; i++)
		if (strs[i].v && sess_config_set(cfg, strs[i].name, strs[i].v, strs[i].flag, err))
			return -1;
	if (c->tls)
		cfg->tls_enabled = 1;
	if (c->insecure)
		cfg->tls_insecure = 1;
	if (c->insecure_key_file)
		cfg->tls_insecure_key = 1;
	return 0;
}

int cli_settings(struct sess_config *cfg, const struct cli_common *c,
		 int *warn, struct sess_err *err)
{
	const char *path = c->config ? c->config : getenv("SESSKIT_CONFIG");
	char defpath[512];

	sess_config_defaults(cfg);
	if (!path || !*path)
		path = default_config_path(defpath, sizeof defpath);
	if (path && sess_config_load_file(cfg, path, err))
		return -1;
	if (sess_config_load_env(cfg, env_get, err))
		return -1;
	*warn = 0;
	if (c->url) {
		if (sess_config_set(cfg, "redis.url", c->url, "--url", err))
			return -1;
		if (strchr(c->url, '@') && strchr(c->url, ':') != strrchr(c->url, ':'))
			*warn = 1;
	}
	if (c->host) {
		if (sess_config_set(cfg, "redis.host", c->host, "--host", err))
			return -1;
		cfg->unix_path[0] = '\0';
	}
	if (c->socket && sess_config_set(cfg, "redis.socket", c->socket, "--socket", err))
		return -1;
	if (c->port >= 0 && set_num(cfg, "redis.port", c->port, "--port", err))
		return -1;
	if (c->db >= 0 && set_num(cfg, "redis.db", c->db, "--db", err))
		return -1;
	if (c->timeout >= 0 && set_num(cfg, "redis.commandTimeout", c->timeout, "--timeout", err))
		return -1;
	if (c->user && sess_config_set(cfg, "redis.username", c->user, "--user", err))
		return -1;
	if (c->prefix && sess_config_set(cfg, "prefix", c->prefix, "--prefix", err))
		return -1;
	if (c->password) {
		if (sess_config_set(cfg, "redis.password", c->password, "--password", err))
			return -1;
		*warn = 1;
	}
	if (cli_tls_settings(cfg, c, err))
		return -1;
	if (c->sentinel && sess_config_set(cfg, "redis.sentinels", c->sentinel, "--sentinel", err))
		return -1;
	if (c->sentinel_master &&
	    sess_config_set(cfg, "redis.sentinelMaster", c->sentinel_master, "--sentinel-master", err))
		return -1;
	if (c->sentinel_user &&
	    sess_config_set(cfg, "redis.sentinelUsername", c->sentinel_user, "--sentinel-user", err))
		return -1;
	if (c->sentinel_password) {
		if (sess_config_set(cfg, "redis.sentinelPassword", c->sentinel_password,
				    "--sentinel-password", err))
			return -1;
		*warn = 1;
	}
	if (c->cluster && sess_config_set(cfg, "redis.cluster", c->cluster, "--cluster", err))
		return -1;
	if (c->cluster_nodes &&
	    sess_config_set(cfg, "redis.clusterNodes", c->cluster_nodes, "--cluster-nodes", err))
		return -1;
	if (c->wait_replicas >= 0 &&
	    set_num(cfg, "redis.waitReplicas", c->wait_replicas, "--wait-replicas", err))
		return -1;
	if (c->wait_timeout >= 0 &&
	    set_num(cfg, "redis.waitTimeout", c->wait_timeout, "--wait-timeout", err))
		return -1;
	if (c->password_file &&
	    sess_config_password_file(cfg, c->password_file, c->insecure_password_file, err))
		return -1;
	if (c->askpass && askpass(cfg, err))
		return -1;
	if (cfg->password[0])
		cli_no_dump(); /* a core dump would hold it */
	return 0;
}

