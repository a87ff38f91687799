#include "sess-validate/cfgcheck.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/model/json.h"
#include "core/model/thresh.h"
#include "core/model/when.h"
#include "core/base/utf8.h"
#include "core/model/keys.h"
#include "core/model/limits.h"
#include "core/redis/sentinel.h"

static const char *const envs[] = {"development", "staging", "production"};
enum { ENV_DEV, ENV_STAGING, ENV_PROD };

int sess_cfgcheck_env_ok(const char *env)
{
	size_t i;

	for (i = 0; env && i < sizeof envs / sizeof envs[0]; i++)
		if (!strcmp(env, envs[i]))
			return 1;
	return 0;
}

static int env_level(const char *env)
{
	size_t i;

	for (i = 0; env && i < sizeof envs / sizeof envs[0]; i++)
		if (!strcmp(env, envs[i]))
			return (int)i;
	return ENV_DEV;
}

/* ---- one file's check ---- */

struct run {
	struct sess_cfgcheck *c;
	const char *file, *text;
	int level;      /* ENV_* */
	int stop;
};

static void emit(struct run *r, enum sess_sev sev, const char *code, const char *ptr, long line,
		 long col, const char *fix, const char *fmt, ...) __attribute__((format(printf, 8, 9)));
static void emit(struct run *r, enum sess_sev sev, const char *code, const char *ptr, long line,
		 long col, const char *fix, const char *fmt, ...)
{
	struct sess_finding f;
	struct sess_err e;
	char msg[SESS_ERR_MSG_MAX];
	va_list ap;

	if (r->stop)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	sess_err_set(&e, SESS_E_DATA, NULL, "%s", msg); /* one clean line */
	memset(&f, 0, sizeof f);
	f.file = r->file;
	f.pointer = ptr ? ptr : "";
	f.line = line;
	f.col = col;
	f.sev = sev;
	f.code = code;
	f.message = e.msg;
	f.fix = fix;
	f.seq = -1;
	if (sev == SESS_SEV_ERROR)
		r->c->errors++;
	else if (sev == SESS_SEV_WARNING)
		r->c->warnings++;
	else
		r->c->recommendations++;
	if (r->c->fn && r->c->fn(&f, r->c->arg))
		r->stop = 1;
}

/* ---- where a key is: the line of a member in valid JSON text ---- */

static const char *skip_ws(const char *p, long *line)
{
	while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r') {
		if (*p == '\n')
			++*line;
		p++;
	}
	return p;
}

static const char *skip_string(const char *p)
{
	for (p++; *p && *p != '"'; p++)
		if (*p == '\\' && p[1])
			p++;
	return *p ? p + 1 : p;
}

/* p at a value: past it (text is valid JSON), counting lines */
static const char *skip_any(const char *p, long *line)
{
	int depth = 0;

	do {
		p = skip_ws(p, line);
		if (*p == '"') {
			p = skip_string(p);
		} else if (*p == '{' || *p == '[') {
			depth++;
			p++;
		} else if (*p == '}' || *p == ']') {
			depth--;
			p++;
		} else if (*p == ',' || *p == ':') {
			p++;
		} else if (*p) {
			while (*p && !strchr(" \t\r\n,:]}", *p))
				p++;
		}
	} while (*p && depth > 0);
	return p;
}

/* 1 when the raw text of a member's name (between its quotes, escapes as
 * written) names key: compared as written, or decoded when it holds an
 * escape ("\u0070ort" is port), as the loader reads it. */
static int key_is(const char *raw, size_t len, const char *key, size_t klen)
{
	char buf[512];
	cJSON *v;
	int same;

	if (!memchr(raw, '\\', len))
		return len == klen && !memcmp(raw, key, klen);
	if (len + 3 > sizeof buf)
		return 0;
	buf[0] = '"';
	memcpy(buf + 1, raw, len);
	buf[len + 1] = '"';
	buf[len + 2] = '\0';
	v = cJSON_Parse(buf);
	same = v && cJSON_IsString(v) && !strcmp(v->valuestring, key);
	cJSON_Delete(v);
	return same;
}

/* The line of the nth (from 0) member named key of the object at p, and
 * *val where its value starts; 0 when there is none. */
static long member_line(const char *p, long line, const char *key, int nth, const char **val)
{
	size_t klen = strlen(key);

	p = skip_ws(p, &line);
	if (*p != '{')
		return 0;
	p++;
	for (;;) {
		const char *k;
		long kline;
		p = skip_ws(p, &line);
		if (*p != '"')
			return 0;
		k = p + 1;
		kline = line;
		p = skip_string(p);
		if (key_is(k, (size_t)(p - 1 - k), key, klen) && nth-- == 0) {
			p = skip_ws(p, &line);
			if (*p == ':')
				p++;
			*val = skip_ws(p, &line);
			return kline;
		}
		p = skip_ws(p, &line);
		if (*p == ':')
			p++;
		p = skip_any(p, &line);
		p = skip_ws(p, &line);
		if (*p != ',')
			return 0;
		p++;
	}
}

/* The line of /group/key (group NULL: /key), the nth of its name. */
static long key_line(struct run *r, const char *group, int gnth, const char *key, int nth)
{
	const char *val = r->text;
	long line = 1;

	if (group) {
		if (!(line = member_line(r->text, 1, group, gnth, &val)))
			return 0;
		if (!key)
			return line;
		/* lines from the text's start to val */
		sess_json_line_col(r->text, (size_t)(val - r->text), &line, &(long){0});
	}
	return member_line(val, line, key, nth, &val);
}

/* A JSON pointer token: ~ -> ~0, / -> ~1. */
static void pointer(char *buf, size_t n, const char *group, const char *key)
{
	size_t w = 0;
	const char *parts[2] = {group, key};
	int i;

	buf[0] = '\0';
	for (i = 0; i < 2; i++) {
		const char *s = parts[i];
		if (!s)
			continue;
		if (w + 1 < n)
			buf[w++] = '/';
		for (; *s && w + 2 < n; s++) {
			if (*s == '~' || *s == '/') {
				buf[w++] = '~';
				buf[w++] = *s == '~' ? '0' : '1';
			} else {
				buf[w++] = *s;
			}
		}
	}
	buf[w < n ? w : n - 1] = '\0';
}

/* ---- did you mean ---- */

static size_t lev(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), i, j, prev[80], cur[80];

	if (la >= 79 || lb >= 79)
		return 99;
	for (j = 0; j <= lb; j++)
		prev[j] = j;
	for (i = 1; i <= la; i++) {
		cur[0] = i;
		for (j = 1; j <= lb; j++) {
			size_t sub = prev[j - 1] + (tolower((unsigned char)a[i - 1]) != tolower((unsigned char)b[j - 1]));
			size_t del = prev[j] + 1, ins = cur[j - 1] + 1;
			cur[j] = sub < del ? (sub < ins ? sub : ins) : (del < ins ? del : ins);
		}
		memcpy(prev, cur, (lb + 1) * sizeof *prev);
	}
	return prev[lb];
}

/* The setting closest to name ("group.key" or "key"), or NULL. */
static const char *suggest(const char *name)
{
	const struct sess_setting *s, *best = NULL;
	const char *dot = strrchr(name, '.'), *leaf = dot ? dot + 1 : name;
	size_t i, d, bestd = 99;

	for (i = 0; (s = sess_config_setting(i)); i++) {
		const char *sd = strrchr(s->name, '.'), *sleaf = sd ? sd + 1 : s->name;
		d = lev(name, s->name);
		/* a nested key at the top ("port" for redis.port), or the
		 * other way round */
		if (strcmp(leaf, sleaf) == 0 && d > 0)
			d = 1;
		else if (lev(leaf, sleaf) == 0)
			d = d < 1 ? d : 1;
		if (d < bestd) {
			bestd = d;
			best = s;
		}
	}
	if (best && bestd <= (strlen(name) > 6 ? 3 : 2))
		return best->name;
	return NULL;
}

/* "redis.port" as a pointer, "/redis/port" */
static void name_pointer(char *buf, size_t n, const char *name)
{
	char g[64];
	const char *dot = strchr(name, '.');

	if (!dot) {
		pointer(buf, n, NULL, name);
		return;
	}
	snprintf(g, sizeof g, "%.*s", (int)(dot - name), name);
	pointer(buf, n, g, dot + 1);
}

/* ---- the values ---- */

/* What the rules between keys need. */
struct seen {
	long default_ttl, grace_ttl, interval, max_events;
	int has_default, has_grace, has_interval, has_max;
	int password;      /* a password in the file (field or URL) */
	int tls;           /* rediss:// or tls.enabled */
	int tls_insecure;  /* tls.insecure */
	long tls_line;
	const char *env;   /* the file's "environment" */
	long env_line;
	char url_ptr[600];
	long url_line, pw_line;
};

static const char *type_word(enum sess_setting_type t)
{
	switch (t) {
	case SESS_SET_INT:
	case SESS_SET_LONG:
		return "a whole number";
	case SESS_SET_BOOL:
		return "true or false";
	default:
		return "a string";
	}
}

static void check_value(struct run *r, struct seen *sn, const struct sess_setting *s,
			const cJSON *v, const char *ptr, long line)
{
	struct sess_err e;
	char fix[256];
	long n;

	switch (s->type) {
	case SESS_SET_INT:
	case SESS_SET_LONG:
		if (s->unit_ms && cJSON_IsString(v)) {
			/* a duration: "1h", "30s" (the loader's reading) */
			if (sess_setting_duration(s, v->valuestring, s->name, SESS_E_CONFIG, &n, &e)) {
				snprintf(fix, sizeof fix, "give %s a duration such as 30s or 1h, or a number",
					 s->name);
				emit(r, SESS_SEV_ERROR, "config.range", ptr, line, 0, fix, "%s", e.msg);
				return;
			}
			goto whole;
		}
		if (!cJSON_IsNumber(v)) {
			snprintf(fix, sizeof fix, "write %s as a number from %ld to %ld, without quotes",
				 s->name, s->min, s->max);
			emit(r, SESS_SEV_ERROR, "config.type", ptr, line, 0, fix,
			     "%s must be %s, not %s", s->name, type_word(s->type), sess_json_type_name(v));
			return;
		}
		if (sess_json_long(v, s->min, s->max, s->name, &n, &e)) {
			snprintf(fix, sizeof fix, "give %s a whole number from %ld to %ld", s->name, s->min, s->max);
			emit(r, SESS_SEV_ERROR, "config.range", ptr, line, 0, fix, "%s", e.msg);
			return;
		}
	whole:
		if (!strcmp(s->name, "defaultTTL"))
			sn->default_ttl = n, sn->has_default = 1;
		else if (!strcmp(s->name, "graceTTL"))
			sn->grace_ttl = n, sn->has_grace = 1;
		else if (!strcmp(s->name, "checkpointInterval"))
			sn->interval = n, sn->has_interval = 1;
		else if (!strcmp(s->name, "maxEventsPerSession"))
			sn->max_events = n, sn->has_max = 1;
		if (s->advice && !(n == 0 && !strcmp(s->name, "checkpointInterval")) && (n < s->advise_min || n > s->advise_max) && r->level > ENV_DEV) {
			snprintf(fix, sizeof fix, "for %s, keep %s from %ld to %ld", envs[r->level], s->name,
				 s->advise_min, s->advise_max);
			emit(r, r->level == ENV_PROD ? SESS_SEV_WARNING : SESS_SEV_RECOMMENDATION, "config.cost",
			     ptr, line, 0, fix, "%s is %ld: %s", s->name, n, s->advice);
		}
		return;
	case SESS_SET_BOOL:
		if (!cJSON_IsBool(v))
			emit(r, SESS_SEV_ERROR, "config.type", ptr, line, 0, "write true or false, without quotes",
			     "%s must be true or false, not %s", s->name, sess_json_type_name(v));
		else if (!strcmp(s->name, "tls.enabled") && cJSON_IsTrue(v))
			sn->tls = 1;
		else if (!strcmp(s->name, "tls.insecure") && cJSON_IsTrue(v))
			sn->tls_insecure = 1, sn->tls_line = line;
		return;
	case SESS_SET_STR:
	case SESS_SET_URL:
		break;
	}
	if (!cJSON_IsString(v)) {
		snprintf(fix, sizeof fix, "write %s as a JSON string, in quotes", s->name);
		emit(r, SESS_SEV_ERROR, "config.type", ptr, line, 0, fix, "%s must be a string, not %s",
		     s->name, sess_json_type_name(v));
		return;
	}
	if (sess_setting_check_len(s, v->valuestring, s->name, SESS_E_CONFIG, &e)) {
		/* the setter's count, the schema's maxLength (characters) */
		snprintf(fix, sizeof fix, "shorten %s to at most %zu characters (%zu if any is not ASCII)",
			 s->name, s->size - 1, (s->size - 1) / 4);
		emit(r, SESS_SEV_ERROR, "config.too_long", ptr, line, 0, fix, "%s", e.msg);
		return;
	}
	if (s->type == SESS_SET_URL) {
		struct sess_config tmp;
		sess_config_defaults(&tmp);
		if (sess_config_apply_url(&tmp, v->valuestring, &e)) {
			emit(r, SESS_SEV_ERROR, "config.bad_url", ptr, line, 0,
			     "write it as redis://[user[:password]@]host[:port][/db], rediss://... or unix:///path.sock[?db=N]",
			     "%s: %s", s->name, e.msg);
			return;
		}
		if (tmp.sentinels[0]) {
			/* a URL's sentinels as the tools read them when they
			 * connect (at most 16, items of at most 255 bytes) */
			struct sess_endpoint eps[SESS_SENTINELS_MAX];
			if (sess_sentinel_parse(tmp.sentinels, eps, SESS_SENTINELS_MAX, &e) < 0) {
				memset(tmp.password, 0, sizeof tmp.password);
				emit(r, SESS_SEV_ERROR, "config.bad_url", ptr, line, 0,
				     "name at most 16 sentinels, each host:port",
				     "%s: %s", s->name, e.msg);
				return;
			}
		}
		sn->tls |= tmp.tls;
		if (tmp.password[0])
			sn->password = 1, sn->pw_line = line;
		snprintf(sn->url_ptr, sizeof sn->url_ptr, "%s", ptr);
		sn->url_line = line;
		memset(tmp.password, 0, sizeof tmp.password);
		return;
	}
	if (s->values) {
		struct sess_config tmp;
		sess_config_defaults(&tmp);
		if (sess_config_set(&tmp, s->name, v->valuestring, s->name, &e)) {
			snprintf(fix, sizeof fix, "use one of: %s", s->values);
			emit(r, SESS_SEV_ERROR, "config.bad_value", ptr, line, 0, fix, "%s", e.msg);
			return;
		}
	}
	if (!strcmp(s->name, "prefix") && sess_key_check_prefix(v->valuestring, &e)) {
		emit(r, SESS_SEV_ERROR, "config.bad_value", ptr, line, 0,
		     "use 1-32 of A-Z a-z 0-9 . _ (and - : after the first character)", "prefix: %s", e.msg);
		return;
	}
	if (!strcmp(s->name, "redis.sentinels") && v->valuestring[0]) { /* "": none */
		/* the rule the tools read the list by (core/redis/sentinel.c) */
		struct sess_endpoint eps[SESS_SENTINELS_MAX];
		if (sess_sentinel_parse(v->valuestring, eps, SESS_SENTINELS_MAX, &e) < 0) {
			emit(r, SESS_SEV_ERROR, "config.bad_value", ptr, line, 0,
			     "write host:port[,host:port...], the port from 1 to 65535",
			     "%s: %s", s->name, e.msg);
			return;
		}
	}
	if (!strcmp(s->name, "redis.clusterNodes") && v->valuestring[0] &&
	    (v->valuestring[0] == ',' || strstr(v->valuestring, ",,") ||
	     v->valuestring[strlen(v->valuestring) - 1] == ',')) {
		/* the tools pass over an empty item; the schema's pattern
		 * refuses it, and so does the validator */
		emit(r, SESS_SEV_ERROR, "config.bad_value", ptr, line, 0, "write host:port[,host:port...]",
		     "%s: an empty item in the list", s->name);
		return;
	}
	if (!strncmp(s->name, "health.", 7)) {
		/* the rule sess-health applies the list by (core/thresh.h) */
		struct sess_range rs[SESS_THRESH_METRICS];
		memset(rs, 0, sizeof rs);
		if (sess_thresh_apply(rs, v->valuestring, !strcmp(s->name, "health.warn") ? "warning" : "critical",
				      s->name, &e)) {
			emit(r, SESS_SEV_ERROR, "config.bad_value", ptr, line, 0,
			     "write NAME=RANGE,... with the names and ranges of sess-health(1), THRESHOLDS",
			     "%s", e.msg);
			return;
		}
	}
	if (!strcmp(s->name, "redis.password") && v->valuestring[0])
		sn->password = 1, sn->pw_line = line;
	if (!strcmp(s->name, "environment"))
		sn->env = v->valuestring, sn->env_line = line;
}

/* How many members before this one (in obj) have its name. */
static int nth_of(const cJSON *obj, const cJSON *it)
{
	const cJSON *x;
	int n = 0;

	for (x = obj->child; x && x != it; x = x->next)
		if (!strcmp(x->string, it->string))
			n++;
	return n;
}

/* Is name (no dot) a group of the table ("redis" for redis.port)? */
static int is_group(const char *name)
{
	const struct sess_setting *s;
	size_t i, n = strlen(name);

	for (i = 0; (s = sess_config_setting(i)); i++)
		if (!strncmp(s->name, name, n) && s->name[n] == '.')
			return 1;
	return 0;
}

static void check_members(struct run *r, struct seen *sn, const cJSON *obj, const char *group,
			  int gnth)
{
	const cJSON *it;
	char name[300], ptr[600], fix[400];

	/* a file of thousands of keys is no config file (and finding each
	 * key's line is linear: keep the whole check linear too) */
	if (cJSON_GetArraySize(obj) > 256) {
		pointer(ptr, sizeof ptr, group, NULL);
		emit(r, SESS_SEV_ERROR, "config.too_many_keys", ptr, group ? key_line(r, group, gnth, NULL, 0) : 0, 0,
		     "a config file holds a few dozen settings; give the right file",
		     "%s holds %d keys; a config file has at most a few dozen", group ? group : "the file",
		     cJSON_GetArraySize(obj));
		return;
	}
	cJSON_ArrayForEach(it, obj) {
		int nth = nth_of(obj, it);
		long line = key_line(r, group, gnth, it->string, nth);
		const struct sess_setting *s;
		pointer(ptr, sizeof ptr, group, it->string);
		if (r->stop)
			return;
		if (nth > 0)
			emit(r, SESS_SEV_WARNING, "config.duplicate_key", ptr, line, 0,
			     "keep one of them: the loader takes the last",
			     "\"%s\" is given %d times", it->string, nth + 1);
		if (!group && !strcmp(it->string, SESS_CONFIG_SCHEMA_KEY)) {
			if (!cJSON_IsString(it))
				emit(r, SESS_SEV_ERROR, "config.type", ptr, line, 0,
				     "give the schema's URL or path as a string, or drop the key",
				     "%s must be a string, not %s", it->string, sess_json_type_name(it));
			continue;
		}
		if (!group && is_group(it->string)) {
			if (!cJSON_IsObject(it)) {
				snprintf(fix, sizeof fix, "write %s as an object: \"%s\": {...}", it->string, it->string);
				emit(r, SESS_SEV_ERROR, "config.type", ptr, line, 0, fix, "%s must be an object, not %s",
				     it->string, sess_json_type_name(it));
				continue;
			}
			check_members(r, sn, it, it->string, nth);
			continue;
		}
		snprintf(name, sizeof name, "%s%s%s", group ? group : "", group ? "." : "", it->string);
		if (!(s = sess_config_find(name))) {
			const char *m = suggest(name);
			char mp[100];
			if (m) {
				name_pointer(mp, sizeof mp, m);
				snprintf(fix, sizeof fix, "did you mean %s (%s)?", m, mp);
			} else {
				snprintf(fix, sizeof fix, "remove it; the keys are listed in sess-validate(1) and by 'sess-validate schema'");
			}
			emit(r, SESS_SEV_ERROR, "config.unknown_key", ptr, line, 0, fix,
			     "unknown key \"%s\"%s%s", name, m ? "; did you mean " : "", m ? m : "");
			continue;
		}
		check_value(r, sn, s, it, ptr, line);
	}
}

static int others_can_read(unsigned mode)
{
	return (mode & (S_IRGRP | S_IROTH)) != 0;
}

static void check_rules(struct run *r, struct seen *sn, unsigned mode)
{
	const char *env = r->c->getenv ? r->c->getenv("REDIS_PASSWORD") : NULL;
	const char *url = r->c->getenv ? r->c->getenv("REDIS_URL") : NULL;
	long dttl = sn->has_default ? sn->default_ttl : 3600, gttl = sn->has_grace ? sn->grace_ttl : 300;
	long ival = sn->has_interval ? sn->interval : 10, maxe = sn->has_max ? sn->max_events : 1000;
	char fix[300];

	if ((sn->has_default || sn->has_grace) && gttl >= dttl) {
		snprintf(fix, sizeof fix, "set graceTTL below defaultTTL (%ld)", dttl);
		emit(r, SESS_SEV_ERROR, "config.grace_ttl", sn->has_grace ? "/graceTTL" : "/defaultTTL",
		     key_line(r, NULL, 0, sn->has_grace ? "graceTTL" : "defaultTTL", 0), 0, fix,
		     "graceTTL (%ld s) must be below defaultTTL (%ld s): the grace period after the last agent leaves would outlive the session",
		     gttl, dttl);
	}
	if (sn->has_interval && ival == 0)
		emit(r, r->level == ENV_DEV ? SESS_SEV_WARNING : SESS_SEV_ERROR, "config.checkpoints_off",
		     "/checkpointInterval", key_line(r, NULL, 0, "checkpointInterval", 0), 0,
		     "set checkpointInterval to at least 1 (10 is the default)",
		     "checkpointInterval is 0: automatic checkpoints are off, so replays start from the beginning and a trimmed log cannot be rebuilt");
	if ((sn->has_interval || sn->has_max) && ival > 0 && maxe > 0 && maxe < ival) {
		snprintf(fix, sizeof fix, "raise maxEventsPerSession to a multiple of checkpointInterval (%ld) or lower the interval",
			 ival);
		emit(r, SESS_SEV_ERROR, "config.max_events", sn->has_max ? "/maxEventsPerSession" : "/checkpointInterval",
		     key_line(r, NULL, 0, sn->has_max ? "maxEventsPerSession" : "checkpointInterval", 0), 0, fix,
		     "maxEventsPerSession (%ld) is below checkpointInterval (%ld): a session fills before its first automatic checkpoint",
		     maxe, ival);
	}
	/* security */
	if (sn->password && others_can_read(mode)) {
		snprintf(fix, sizeof fix, "chmod 600 %s, or move the password to --password-file or REDIS_PASSWORD",
			 r->file);
		emit(r, r->level == ENV_PROD ? SESS_SEV_ERROR : SESS_SEV_WARNING, "config.password_readable",
		     sn->pw_line == sn->url_line ? sn->url_ptr : "/redis/password", sn->pw_line, 0, fix,
		     "the file holds a Redis password and group or others can read it (mode %04o)", mode & 07777);
	}
	if (r->level >= ENV_STAGING && !sn->password && !(env && *env) &&
	    !(url && strchr(url, '@')))
		emit(r, r->level == ENV_PROD ? SESS_SEV_ERROR : SESS_SEV_WARNING, "config.auth_missing", "", 0, 0,
		     "set a password (redis.password in a private file, REDIS_PASSWORD, or --password-file) and requirepass or an ACL user on the server",
		     "%s requires authentication, and neither the file nor REDIS_PASSWORD gives a password",
		     envs[r->level]);
	if (!sn->tls && r->level == ENV_PROD)
		emit(r, SESS_SEV_WARNING, "config.tls_off", sn->url_ptr[0] ? sn->url_ptr : "", sn->url_line, 0,
		     "use a rediss:// URL or \"tls\": {\"enabled\": true} (and tls-port on the server)",
		     "TLS is off in production: passwords and session data cross the network in clear");
	if (sn->tls_insecure && r->level >= ENV_STAGING)
		emit(r, r->level == ENV_PROD ? SESS_SEV_ERROR : SESS_SEV_WARNING, "config.tls_insecure",
		     "/tls/insecure", sn->tls_line, 0, "drop tls.insecure and give the server's CA in tls.cacert",
		     "tls.insecure accepts any server's certificate: anyone on the path can read and change the traffic");
}

/* A file that is not JSON. Its bytes are quoted only when it looks like a
 * JSON config file (its first character is '{'), at most 20 of them and
 * escaped: a path naming another file (a symlink to /etc/shadow, a key
 * file) must not have its content printed into a CI log. */
static enum sess_class bad_json(struct run *r, const char *text, const struct sess_json_pos *pos)
{
	const char *p = text;
	char raw[21], shown[100];

	if (!strncmp(p, "\xef\xbb\xbf", 3))
		p += 3; /* a UTF-8 byte order mark */
	while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
		p++;
	if (*p != '{') {
		emit(r, SESS_SEV_ERROR, "config.bad_json", "", 0, 0,
		     "give the JSON config file: one object of settings, {\"defaultTTL\": 3600, ...}",
		     "not a JSON config file: it does not start with '{' (its content is not shown)");
		return SESS_E_DATA;
	}
	snprintf(raw, sizeof raw, "%s", text + pos->offset);
	sess_utf8_escape(shown, sizeof shown, raw);
	emit(r, SESS_SEV_ERROR, "config.bad_json", "", pos->line, pos->col,
	     "fix the JSON syntax at that line and column",
	     "line %ld, column %ld: not valid JSON (near \"%s\")", pos->line, pos->col, shown);
	return SESS_E_DATA;
}

enum sess_class sess_cfgcheck_text(struct sess_cfgcheck *c, const char *text, size_t len,
				   const char *file, unsigned mode)
{
	struct run r = {c, file, text, ENV_DEV, 0};
	struct sess_json_pos pos;
	struct sess_err e;
	struct seen sn;
	const char *nul = memchr(text, '\0', len);
	cJSON *root;

	if (nul) {
		long line, col;
		sess_json_line_col(text, (size_t)(nul - text), &line, &col);
		emit(&r, SESS_SEV_ERROR, "config.not_text", "", line, col, "give the JSON config file, not a binary file",
		     "not a text file: a NUL byte at byte %zu", (size_t)(nul - text) + 1);
		return SESS_E_DATA;
	}
	if (!(root = sess_json_parse_pos(text, NULL, NULL, &pos, &e))) {
		const char *code = strstr(e.msg, "UTF-8") ? "config.not_utf8"
				   : strstr(e.msg, "nested") ? "config.too_deep"
				   : strstr(e.msg, "NUL") ? "config.not_text" : "config.bad_json";
		if (!strcmp(code, "config.bad_json"))
			return bad_json(&r, text, &pos);
		emit(&r, SESS_SEV_ERROR, code, "", pos.line, pos.col,
		     !strcmp(code, "config.not_utf8") ? "save the file as UTF-8"
		     : "a config file is one object of settings, nested at most two deep",
		     "line %ld, column %ld: %s", pos.line, pos.col, e.msg);
		return SESS_E_DATA;
	}
	if (!cJSON_IsObject(root)) {
		emit(&r, SESS_SEV_ERROR, "config.not_object", "", 1, 1, "write the settings as one JSON object: {\"defaultTTL\": 3600, ...}",
		     "the file holds %s, not an object of settings", sess_json_type_name(root));
		cJSON_Delete(root);
		return SESS_OK;
	}
	memset(&sn, 0, sizeof sn);
	{
		/* the environment first: its rules apply to every key */
		const cJSON *ev = cJSON_GetObjectItemCaseSensitive(root, "environment");
		r.level = env_level(c->env ? c->env : cJSON_GetStringValue(ev));
	}
	check_members(&r, &sn, root, NULL, 0);
	if (!r.stop)
		check_rules(&r, &sn, mode);
	cJSON_Delete(root);
	return SESS_OK;
}

enum sess_class sess_cfgcheck_file(struct sess_cfgcheck *c, const char *path)
{
	struct run r = {c, path, "", ENV_DEV, 0};
	struct stat st = {0};
	char *buf = NULL;
	size_t n = 0, cap;
	enum sess_class rc;
	int fd, from_stdin = !strcmp(path, "-");
	ssize_t got;

	if (from_stdin) {
		r.file = path = "<stdin>";
		fd = 0;
	} else if ((fd = open(path, O_RDONLY | O_NOCTTY | O_NONBLOCK)) < 0) {
		int enoent = errno == ENOENT;
		emit(&r, SESS_SEV_ERROR, enoent ? "config.missing" : "config.unreadable", "", 0, 0,
		     enoent ? "check the path" : "check the file's permissions",
		     "%s: %s", path, strerror(errno));
		return SESS_E_NOINPUT;
	}
	if (fstat(fd, &st) != 0 || S_ISDIR(st.st_mode) || S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode) ||
	    S_ISSOCK(st.st_mode)) {
		int err = errno;
		emit(&r, SESS_SEV_ERROR, "config.unreadable", "", 0, 0, "give the config file, not a directory or device",
		     "%s: %s", path, S_ISDIR(st.st_mode) ? "is a directory"
				     : S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode) || S_ISSOCK(st.st_mode) ? "is a device or socket, not a file"
				     : strerror(err));
		if (!from_stdin)
			close(fd);
		return SESS_E_NOINPUT;
	}
	if (S_ISREG(st.st_mode) && st.st_size > SESS_CFGCHECK_MAX) {
		emit(&r, SESS_SEV_ERROR, "config.too_large", "", 0, 0,
		     "a config file holds a few settings; give the right file",
		     "%s is %lld bytes; config files are at most %ld bytes", path, (long long)st.st_size,
		     SESS_CFGCHECK_MAX);
		if (!from_stdin)
			close(fd);
		return SESS_E_DATA;
	}
	if (!from_stdin)
		fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
	cap = S_ISREG(st.st_mode) ? (size_t)st.st_size + 1 : 65536;
	if (!(buf = malloc(cap + 1)))
		goto nomem;
	for (;;) {
		if (n == cap) {
			char *nb;
			if (cap > (size_t)SESS_CFGCHECK_MAX) {
				emit(&r, SESS_SEV_ERROR, "config.too_large", "", 0, 0,
				     "a config file holds a few settings; give the right file",
				     "%s is larger than %ld bytes", path, SESS_CFGCHECK_MAX);
				free(buf);
				if (!from_stdin)
					close(fd);
				return SESS_E_DATA;
			}
			if (!(nb = realloc(buf, 2 * cap + 1)))
				goto nomem;
			buf = nb;
			cap *= 2;
		}
		got = read(fd, buf + n, cap - n);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			emit(&r, SESS_SEV_ERROR, "config.unreadable", "", 0, 0, "check the file's permissions",
			     "%s: %s", path, strerror(errno));
			free(buf);
			if (!from_stdin)
				close(fd);
			return SESS_E_NOINPUT;
		}
		if (got == 0)
			break;
		n += (size_t)got;
	}
	if (!from_stdin)
		close(fd);
	buf[n] = '\0';
	rc = sess_cfgcheck_text(c, buf, n, path, S_ISREG(st.st_mode) && !from_stdin ? (unsigned)st.st_mode : 0);
	free(buf);
	return rc;
nomem:
	free(buf);
	if (!from_stdin)
		close(fd);
	emit(&r, SESS_SEV_ERROR, "config.unreadable", "", 0, 0, "free some memory", "%s: out of memory", path);
	return SESS_E_INTERNAL;
}

/* ---- the schema ---- */

static cJSON *setting_schema(const struct sess_setting *s)
{
	cJSON *o = cJSON_CreateObject();

	switch (s->type) {
	case SESS_SET_INT:
	case SESS_SET_LONG:
		if (s->unit_ms) { /* a number of the unit, or a duration */
			cJSON *any = cJSON_AddArrayToObject(o, "anyOf"), *n = cJSON_CreateObject(),
			      *d = cJSON_CreateObject();
			cJSON_AddStringToObject(n, "type", "integer");
			cJSON_AddNumberToObject(n, "minimum", (double)s->min);
			cJSON_AddNumberToObject(n, "maximum", (double)s->max);
			cJSON_AddStringToObject(d, "type", "string");
			cJSON_AddStringToObject(d, "pattern", SESS_DURATION_PATTERN);
			cJSON_AddItemToArray(any, n);
			cJSON_AddItemToArray(any, d);
			break;
		}
		cJSON_AddStringToObject(o, "type", "integer");
		cJSON_AddNumberToObject(o, "minimum", (double)s->min);
		cJSON_AddNumberToObject(o, "maximum", (double)s->max);
		break;
	case SESS_SET_BOOL:
		cJSON_AddStringToObject(o, "type", "boolean");
		break;
	case SESS_SET_STR:
	case SESS_SET_URL:
		cJSON_AddStringToObject(o, "type", "string");
		{
			/* maxLength counts characters (code points), as the
			 * setter does (sess_setting_check_len): the buffer's
			 * size - 1 of ASCII, a quarter of that of any other
			 * (up to 4 bytes each in UTF-8, so any fits) */
			cJSON *any = cJSON_AddArrayToObject(o, "anyOf"), *a = cJSON_CreateObject(),
			      *u = cJSON_CreateObject();
			cJSON_AddStringToObject(a, "pattern", "^[\\u0000-\\u007f]*(?![\\s\\S])");
			cJSON_AddNumberToObject(a, "maxLength", (double)(s->size - 1));
			cJSON_AddNumberToObject(u, "maxLength", (double)((s->size - 1) / 4));
			cJSON_AddItemToArray(any, a);
			cJSON_AddItemToArray(any, u);
		}
		if (s->pattern)
			cJSON_AddStringToObject(o, "pattern", s->pattern);
		if (s->values) {
			cJSON *e = cJSON_AddArrayToObject(o, "enum");
			const char *p = s->values;
			while (*p) {
				size_t n = strcspn(p, " ");
				char w[64];
				snprintf(w, sizeof w, "%.*s", (int)n, p);
				cJSON_AddItemToArray(e, cJSON_CreateString(w));
				p += n;
				p += *p == ' ';
			}
		}
		break;
	}
	cJSON_AddStringToObject(o, "description", s->doc ? s->doc : s->name);
	if (s->secret)
		cJSON_AddBoolToObject(o, "writeOnly", 1);
	return o;
}

cJSON *sess_cfgcheck_schema(void)
{
	cJSON *root = cJSON_CreateObject(), *props;
	const struct sess_setting *s;
	size_t i;

	cJSON_AddStringToObject(root, "$schema", "https://json-schema.org/draft/2020-12/schema");
	cJSON_AddStringToObject(root, "$id", "https://sesskit.invalid/schemas/config.json");
	cJSON_AddStringToObject(root, "title", "sesskit configuration file");
	cJSON_AddStringToObject(root, "description",
				"Settings every sesskit tool reads (--config, $SESSKIT_CONFIG); generated by sess-validate schema from the same table the tools and sess-validate use");
	cJSON_AddStringToObject(root, "type", "object");
	cJSON_AddBoolToObject(root, "additionalProperties", 0);
	props = cJSON_AddObjectToObject(root, "properties");
	{
		cJSON *sk = cJSON_AddObjectToObject(props, SESS_CONFIG_SCHEMA_KEY);
		cJSON_AddStringToObject(sk, "type", "string");
		cJSON_AddStringToObject(sk, "description",
					"the JSON Schema this file follows, for editors (this one: sess-validate schema); the tools pass over it");
	}
	for (i = 0; (s = sess_config_setting(i)); i++) {
		const char *dot = strchr(s->name, '.');
		if (dot) {
			char g[64];
			cJSON *grp, *gp;
			snprintf(g, sizeof g, "%.*s", (int)(dot - s->name), s->name);
			if (!(grp = cJSON_GetObjectItemCaseSensitive(props, g))) {
				grp = cJSON_AddObjectToObject(props, g);
				cJSON_AddStringToObject(grp, "type", "object");
				cJSON_AddBoolToObject(grp, "additionalProperties", 0);
				cJSON_AddObjectToObject(grp, "properties");
			}
			gp = cJSON_GetObjectItemCaseSensitive(grp, "properties");
			cJSON_AddItemToObject(gp, dot + 1, setting_schema(s));
		} else {
			cJSON_AddItemToObject(props, s->name, setting_schema(s));
		}
	}
	return root;
}
