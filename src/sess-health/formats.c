/* formats.c - one check's result as JSON (health+json), text for a
 * terminal, Prometheus text exposition, or a Nagios plugin line with
 * perfdata. */
#include "health.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int health_format_parse(const char *s, int tty, int *out, struct sess_err *err)
{
	if (!s && health_as_plugin) /* run as check_sesskit */
		*out = F_NAGIOS;
	else if (!s)
		*out = tty ? F_TEXT : F_JSON;
	else if (!strcmp(s, "json"))
		*out = F_JSON;
	else if (!strcmp(s, "text"))
		*out = F_TEXT;
	else if (!strcmp(s, "prometheus"))
		*out = F_PROMETHEUS;
	else if (!strcmp(s, "nagios"))
		*out = F_NAGIOS;
	else
		return sess_err_set(err, SESS_E_USAGE, "bad_format",
				    "--format must be json, text, prometheus or nagios, not \"%.30s\"", s);
	return 0;
}

/* A growing string. */
struct buf {
	char *s;
	size_t len, cap;
};

static void put(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	for (;;) {
		size_t room = b->cap - b->len;
		va_start(ap, fmt);
		n = vsnprintf(b->s ? b->s + b->len : NULL, b->s ? room : 0, fmt, ap);
		va_end(ap);
		if (n < 0)
			return;
		if (b->s && (size_t)n < room) {
			b->len += (size_t)n;
			return;
		}
		b->cap = (b->cap + (size_t)n + 1) * 2;
		if (!(b->s = realloc(b->s, b->cap)))
			abort(); /* out of memory while printing: nothing sane is left */
		if (b->len == 0)
			b->s[0] = '\0';
	}
}

/* A number as Prometheus and Nagios read it: no exponent for ordinary
 * values, up to 6 decimals. */
static void num(struct buf *b, double v)
{
	if (isnan(v))
		put(b, "NaN");
	else if (v == floor(v) && fabs(v) < 1e15)
		put(b, "%.0f", v);
	else {
		/* the shortest that reads back as v: %.6g would cut a
		 * timestamp with a fraction to 1.79645e+09 */
		char t[40];
		snprintf(t, sizeof t, "%.15g", v);
		if (strtod(t, NULL) != v)
			snprintf(t, sizeof t, "%.17g", v);
		put(b, "%s", t);
	}
}

void health_prom_label(char *buf, size_t n, const char *name, const char *value)
{
	size_t o, i;

	if (n == 0)
		return;
	o = (size_t)snprintf(buf, n, "%s=\"", name);
	if (o >= n) {
		buf[0] = '\0';
		return;
	}
	/* room is left for the closing quote and the NUL */
	for (i = 0; value[i] && o + 4 <= n; i++) {
		const char *esc = value[i] == '\\' ? "\\\\" : value[i] == '"' ? "\\\"" : value[i] == '\n' ? "\\n" : NULL;
		if (esc) {
			buf[o++] = esc[0];
			buf[o++] = esc[1];
		} else {
			buf[o++] = value[i];
		}
	}
	buf[o++] = '"';
	buf[o] = '\0';
}

char *health_render_prometheus(const struct health_result *r)
{
	struct buf b = {0};
	const cJSON *s, *t;
	int i, j, n = cJSON_GetArraySize(r->prom);
	char *done = calloc((size_t)n + 1, 1);

	put(&b, "%s", "");
	/* samples of one name go together, after its HELP and TYPE */
	for (i = 0; i < n; i++) {
		const char *name;
		if (done[i])
			continue;
		s = cJSON_GetArrayItem(r->prom, i);
		name = cJSON_GetArrayItem(s, 0)->valuestring;
		put(&b, "# HELP %s %s\n# TYPE %s %s\n", name, cJSON_GetArrayItem(s, 2)->valuestring,
		    name, cJSON_GetArrayItem(s, 1)->valuestring);
		for (j = i; j < n; j++) {
			const char *labels;
			t = cJSON_GetArrayItem(r->prom, j);
			if (done[j] || strcmp(cJSON_GetArrayItem(t, 0)->valuestring, name))
				continue;
			done[j] = 1;
			labels = cJSON_GetArrayItem(t, 3)->valuestring;
			put(&b, "%s%s%s%s ", name, labels[0] ? "{" : "", labels, labels[0] ? "}" : "");
			num(&b, cJSON_GetArrayItem(t, 4)->valuedouble);
			put(&b, "\n");
		}
	}
	free(done);
	return b.s;
}

static const char *const nagios_words[] = {"OK", "WARNING", "UNKNOWN", "CRITICAL", "CRITICAL"};

/* "SESS-HEALTH OK - summary | 'label'=value[unit];warn;crit;min;max ..." */
static char *render_nagios(const struct health_result *r)
{
	struct buf b = {0};
	const cJSON *doc = r->doc, *p, *ver, *role, *act;
	const char *out = cJSON_GetStringValue(cJSON_GetObjectItem(doc, "output"));

	put(&b, "SESS-HEALTH %s - ", nagios_words[r->status]);
	if (out) {
		put(&b, "%s", out);
	} else {
		const cJSON *checks = cJSON_GetObjectItem(doc, "checks");
		ver = cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(checks, "redis:version"), 0), "observedValue");
		role = cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(checks, "redis:role"), 0), "observedValue");
		act = cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(checks, "sessions:active"), 0), "observedValue");
		put(&b, "redis %s %s", ver ? ver->valuestring : "answers",
		    role ? role->valuestring : "");
		if (act)
			put(&b, ", %.0f active sessions", act->valuedouble);
	}
	put(&b, " (%.1f ms)", r->duration_ms);
	/* nothing after '|' may hold a pipe or a newline */
	for (size_t i = 0; i < b.len; i++)
		if (b.s[i] == '|' || b.s[i] == '\n')
			b.s[i] = '/';
	put(&b, " |");
	cJSON_ArrayForEach(p, r->perf) {
		const cJSON *min = cJSON_GetArrayItem(p, 5), *max = cJSON_GetArrayItem(p, 6);
		put(&b, " %s=", cJSON_GetArrayItem(p, 0)->valuestring);
		num(&b, cJSON_GetArrayItem(p, 1)->valuedouble);
		put(&b, "%s;%s;%s;", cJSON_GetArrayItem(p, 2)->valuestring,
		    cJSON_GetArrayItem(p, 3)->valuestring, cJSON_GetArrayItem(p, 4)->valuestring);
		if (cJSON_IsNumber(min))
			num(&b, min->valuedouble);
		put(&b, ";");
		if (cJSON_IsNumber(max))
			num(&b, max->valuedouble);
	}
	put(&b, " duration=%.3fms;;;0;\n", r->duration_ms);
	return b.s;
}

static const char *const colors[] = {"\033[32m", "\033[33m", "\033[35m", "\033[31m", "\033[1;31m"};

/* One line per check: STATUS  component:measurement  value unit  output */
static char *render_text(const struct health_result *r, int color)
{
	struct buf b = {0};
	const cJSON *checks = cJSON_GetObjectItem(r->doc, "checks"), *c;
	const char *name = health_status_name(r->status);

	put(&b, "%s%-8s%s %s  (%.1f ms)\n", color ? colors[r->status] : "", name, color ? "\033[0m" : "",
	    cJSON_GetStringValue(cJSON_GetObjectItem(r->doc, "serviceId")), r->duration_ms);
	cJSON_ArrayForEach(c, checks) {
		const cJSON *o = cJSON_GetArrayItem(c, 0), *v = cJSON_GetObjectItem(o, "observedValue");
		const char *st = cJSON_GetStringValue(cJSON_GetObjectItem(o, "level"));
		const char *unit = cJSON_GetStringValue(cJSON_GetObjectItem(o, "observedUnit"));
		const char *out = cJSON_GetStringValue(cJSON_GetObjectItem(o, "output"));
		const char *note = cJSON_GetStringValue(cJSON_GetObjectItem(o, "note"));
		int s;
		char val[64] = "";

		if (!out)
			out = note;
		if (!st)
			st = "unknown";
		for (s = 0; s <= H_DOWN && strcmp(health_status_name(s), st); s++)
			;
		if (cJSON_IsNumber(v) && v->valuedouble == floor(v->valuedouble) && fabs(v->valuedouble) < 1e15)
			snprintf(val, sizeof val, "%.0f", v->valuedouble);
		else if (cJSON_IsNumber(v))
			snprintf(val, sizeof val, "%g", v->valuedouble);
		else if (cJSON_IsString(v))
			snprintf(val, sizeof val, "%s", v->valuestring);
		else if (cJSON_IsBool(v))
			snprintf(val, sizeof val, "%s", cJSON_IsTrue(v) ? "yes" : "no");
		put(&b, "  %s%-8s%s %-32s %s%s%s%s%s\n", color ? colors[s <= H_DOWN ? s : H_UNKNOWN] : "", st,
		    color ? "\033[0m" : "", c->string, val, unit && val[0] ? " " : "", unit && val[0] ? unit : "",
		    out ? "  " : "", out ? out : "");
	}
	return b.s;
}

char *health_render_nagios_long(const struct health_result *r)
{
	char *head = render_nagios(r), *text = render_text(r, 0), *checks, *s, *p;
	size_t n;

	if (!head || !text) {
		free(head);
		free(text);
		return NULL;
	}
	/* the text's lines but its first (the status, said already), each
	 * unindented; no pipe: after the first line one starts perfdata */
	checks = strchr(text, '\n');
	checks = checks ? checks + 1 : text + strlen(text);
	n = strlen(head) + strlen(checks) + 1;
	if ((s = malloc(n))) {
		char *o = s + strlen(head);
		memcpy(s, head, strlen(head));
		for (p = checks; *p; p++) {
			if (*p == ' ' && p[1] == ' ' && (p == checks || p[-1] == '\n')) {
				p++; /* the two spaces that start each line */
				continue;
			}
			*o++ = *p == '|' ? '/' : *p;
		}
		*o = '\0';
	}
	free(head);
	free(text);
	return s;
}

char *health_render(const struct health_result *r, int format, int color)
{
	char *s, *line;
	size_t n;

	switch (format) {
	case F_PROMETHEUS:
		return health_render_prometheus(r);
	case F_NAGIOS:
		return render_nagios(r);
	case F_TEXT:
		return render_text(r, color);
	default:
		if (!(s = cJSON_PrintUnformatted(r->doc)))
			return NULL;
		n = strlen(s);
		if ((line = malloc(n + 2))) {
			memcpy(line, s, n);
			memcpy(line + n, "\n", 2);
		}
		cJSON_free(s);
		return line;
	}
}
