#include "cli/cli.h"

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include "core/utf8.h"

enum {
	O_USER = 1000, O_PASSWORD, O_PASSWORD_FILE, O_ASKPASS, O_PREFIX, O_COLOR,
	O_INSECURE_PASSWORD_FILE
};

const struct option cli_common_options[CLI_COMMON_OPTS] = {
	{"url", required_argument, NULL, 'u'},
	{"host", required_argument, NULL, 'h'},
	{"port", required_argument, NULL, 'p'},
	{"db", required_argument, NULL, 'n'},
	{"socket", required_argument, NULL, 's'},
	{"user", required_argument, NULL, O_USER},
	{"password", required_argument, NULL, O_PASSWORD},
	{"password-file", required_argument, NULL, O_PASSWORD_FILE},
	{"insecure-password-file", no_argument, NULL, O_INSECURE_PASSWORD_FILE},
	{"askpass", no_argument, NULL, O_ASKPASS},
	{"config", required_argument, NULL, 'c'},
	{"prefix", required_argument, NULL, O_PREFIX},
	{"timeout", required_argument, NULL, 't'},
	{"color", required_argument, NULL, O_COLOR},
	{"colour", required_argument, NULL, O_COLOR},
	{NULL, 0, NULL, 0},
};

void cli_common_init(struct cli_common *c)
{
	memset(c, 0, sizeof *c);
	c->port = c->db = c->timeout = -1;
}

int cli_common_take(struct cli_common *c, int opt, const char *arg,
		    struct sess_err *err)
{
	switch (opt) {
	case 'u': c->url = arg; return 1;
	case 'h': c->host = arg; return 1;
	case 's': c->socket = arg; return 1;
	case 'p': return sess_parse_long(arg, 1, 65535, "--port", SESS_E_USAGE, &c->port, err) ? -1 : 1;
	case 'n': return sess_parse_long(arg, 0, 1 << 30, "--db", SESS_E_USAGE, &c->db, err) ? -1 : 1;
	case 't': return sess_parse_long(arg, 1, 3600000, "--timeout", SESS_E_USAGE, &c->timeout, err) ? -1 : 1;
	case 'c': c->config = arg; return 1;
	case O_USER: c->user = arg; return 1;
	case O_PASSWORD: c->password = arg; return 1;
	case O_PASSWORD_FILE: c->password_file = arg; return 1;
	case O_INSECURE_PASSWORD_FILE: c->insecure_password_file = 1; return 1;
	case O_ASKPASS: c->askpass = 1; return 1;
	case O_PREFIX: c->prefix = arg; return 1;
	case O_COLOR: c->color = arg; return 1;
	}
	return 0;
}

void cli_merge_options(const struct option *cmd, struct option *out)
{
	size_t n = 0, i;

	for (i = 0; cmd && cmd[i].name; i++)
		out[n++] = cmd[i];
	for (i = 0; cli_common_options[i].name; i++)
		out[n++] = cli_common_options[i];
	memset(&out[n], 0, sizeof out[n]);
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
	if (c->password_file &&
	    sess_config_password_file(cfg, c->password_file, c->insecure_password_file, err))
		return -1;
	if (c->askpass && askpass(cfg, err))
		return -1;
	return 0;
}

int cli_out_init(struct cli_out *o, FILE *f, const char *color,
		 struct sess_err *err)
{
	const char *nc = getenv("NO_COLOR");

	memset(o, 0, sizeof *o);
	o->f = f;
	o->pretty = isatty(fileno(f));
	if (!color || !strcmp(color, "auto"))
		o->color = o->pretty && !(nc && *nc) && !(getenv("TERM") && !strcmp(getenv("TERM"), "dumb"));
	else if (!strcmp(color, "always"))
		o->color = 1;
	else if (!strcmp(color, "never"))
		o->color = 0;
	else
		return sess_err_set(err, SESS_E_USAGE, NULL,
				    "--color must be auto, always or never, not \"%.20s\"", color);
	return 0;
}

#define C_KEY "\033[34m"
#define C_STR "\033[32m"
#define C_NUM "\033[36m"
#define C_LIT "\033[35m"
#define C_OFF "\033[0m"

/* Write JSON text from cJSON as valid UTF-8. cJSON copies the bytes of
 * strings as they are, and text stored by another client (or before
 * sesskit checked its input) may hold invalid ones: each becomes \ufffd,
 * the replacement character. Such bytes are only ever inside strings, as
 * JSON's own syntax is ASCII, so the escape keeps the JSON valid. */
static void put_utf8(FILE *f, const char *s)
{
	size_t n = strlen(s), ok;

	while ((ok = sess_utf8_check(s, n)) < n) {
		fwrite(s, 1, ok, f);
		fputs("\\ufffd", f);
		s += ok + 1;
		n -= ok + 1;
	}
	fwrite(s, 1, n, f);
}

static void put_scalar(struct cli_out *o, const cJSON *v, const char *col)
{
	char *s = cJSON_PrintUnformatted(v);

	if (!s)
		return;
	if (o->color)
		fputs(col, o->f);
	put_utf8(o->f, s);
	if (o->color)
		fputs(C_OFF, o->f);
	cJSON_free(s);
}

static void put_pretty(struct cli_out *o, const cJSON *v, int depth)
{
	const cJSON *it;
	int open = cJSON_IsObject(v) ? '{' : '[';

	if (!cJSON_IsObject(v) && !cJSON_IsArray(v)) {
		put_scalar(o, v, cJSON_IsString(v) ? C_STR : cJSON_IsNumber(v) ? C_NUM : C_LIT);
		return;
	}
	if (!v->child) {
		fputs(open == '{' ? "{}" : "[]", o->f);
		return;
	}
	fputc(open, o->f);
	for (it = v->child; it; it = it->next) {
		fprintf(o->f, "\n%*s", 2 * (depth + 1), "");
		if (open == '{') {
			cJSON key;
			memset(&key, 0, sizeof key);
			key.type = cJSON_String;
			key.valuestring = it->string;
			put_scalar(o, &key, C_KEY);
			fputs(": ", o->f);
		}
		put_pretty(o, it, depth + 1);
		if (it->next)
			fputc(',', o->f);
	}
	fprintf(o->f, "\n%*s%c", 2 * depth, "", open == '{' ? '}' : ']');
}

int cli_out_json(struct cli_out *o, const cJSON *v)
{
	if (o->closed)
		return 1;
	if (o->pretty) {
		put_pretty(o, v, 0);
	} else {
		char *s = cJSON_PrintUnformatted(v);
		if (s) {
			put_utf8(o->f, s);
			cJSON_free(s);
		}
	}
	fputc('\n', o->f);
	if (fflush(o->f) == EOF || ferror(o->f)) {
		o->closed = 1;
		return 1;
	}
	return 0;
}

cJSON *cli_error_record(long line, const struct sess_err *err)
{
	cJSON *r = cJSON_CreateObject(), *e;

	cJSON_AddBoolToObject(r, "ok", 0);
	if (line > 0)
		cJSON_AddNumberToObject(r, "line", (double)line);
	e = cJSON_AddObjectToObject(r, "error");
	cJSON_AddStringToObject(e, "code", err->kind[0] ? err->kind : sess_err_class_name(err->cls));
	cJSON_AddStringToObject(e, "message", err->msg);
	return r;
}

int cli_fail(const char *prog, const struct sess_err *err)
{
	fprintf(stderr, "%s: %s\n", prog, err->msg);
	return sess_err_exit_code(err->cls);
}

void cli_warn(const char *prog, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: warning: ", prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

void cli_init_signals(void)
{
	signal(SIGPIPE, SIG_IGN);
}

static volatile sig_atomic_t stop_signal;

static void on_stop_signal(int sig)
{
	stop_signal = sig;
}

void cli_catch_stop_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_stop_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

int cli_stop_signal(void)
{
	return stop_signal;
}

void cli_clear_stop_signal(void)
{
	stop_signal = 0;
}

int cli_signal_exit(void)
{
	return stop_signal == SIGINT ? 130 : 143;
}

void cli_progress(const char *what, long done, long total)
{
	int width = 30, fill;

	if (!isatty(STDERR_FILENO) || total <= 0)
		return;
	if (done >= total) {
		fprintf(stderr, "\r\033[K");
		return;
	}
	fill = (int)(done * width / total);
	fprintf(stderr, "\r%s [%.*s%*s] %ld/%ld", what, fill,
		"##############################", width - fill, "", done, total);
}
