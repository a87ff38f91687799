/* sess-health check (the default command): Redis and the session system
 * checked once, or every --watch SECONDS with what changed. */
#include "health.h"

#include <errno.h>
#include <math.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "options.h"
#include "sess-health/spark.h"

static const struct cli_opt check_o[] = {
	CHECK_OPTS(struct check_opts, NOPFX),
	RATE_OPTS(struct check_opts, NOPFX),
	VERBOSE_OPT(struct check_opts, NOPFX),
	CLI_DUR("watch", 0, "DURATION", "check this often; one JSON line each with what\n"
		 "                         changed and the breaker's state", struct check_opts, watch, 1000, 1, 86400),
	CLI_END};
static const struct check_opts check_d = {CHECK_D};

/* What changed in checks since prev: {key: {status, level, observedValue,
 * was}},
 * with null for a check that went away. prev NULL: every check. */
static cJSON *changes(const cJSON *prev, const cJSON *cur)
{
	cJSON *out = cJSON_CreateObject();
	const cJSON *c, *p;

	cJSON_ArrayForEach(c, cur) {
		const cJSON *co = cJSON_GetArrayItem(c, 0), *po = NULL;
		cJSON *e;
		p = prev ? cJSON_GetObjectItem(prev, c->string) : NULL;
		po = p ? cJSON_GetArrayItem(p, 0) : NULL;
		if (po && cJSON_Compare(cJSON_GetObjectItem(co, "level"), cJSON_GetObjectItem(po, "level"), 1) &&
		    cJSON_Compare(cJSON_GetObjectItem(co, "observedValue"), cJSON_GetObjectItem(po, "observedValue"), 1))
			continue;
		e = cJSON_AddObjectToObject(out, c->string);
		cJSON_AddItemToObject(e, "status", cJSON_Duplicate(cJSON_GetObjectItem(co, "status"), 1));
		cJSON_AddItemToObject(e, "level", cJSON_Duplicate(cJSON_GetObjectItem(co, "level"), 1));
		if (cJSON_GetObjectItem(co, "observedValue"))
			cJSON_AddItemToObject(e, "observedValue", cJSON_Duplicate(cJSON_GetObjectItem(co, "observedValue"), 1));
		if (cJSON_GetObjectItem(co, "output"))
			cJSON_AddItemToObject(e, "output", cJSON_Duplicate(cJSON_GetObjectItem(co, "output"), 1));
		if (cJSON_GetObjectItem(co, "note"))
			cJSON_AddItemToObject(e, "note", cJSON_Duplicate(cJSON_GetObjectItem(co, "note"), 1));
		if (po) {
			cJSON *was = cJSON_AddObjectToObject(e, "was");
			cJSON_AddItemToObject(was, "status", cJSON_Duplicate(cJSON_GetObjectItem(po, "status"), 1));
			cJSON_AddItemToObject(was, "level", cJSON_Duplicate(cJSON_GetObjectItem(po, "level"), 1));
			if (cJSON_GetObjectItem(po, "observedValue"))
				cJSON_AddItemToObject(was, "observedValue", cJSON_Duplicate(cJSON_GetObjectItem(po, "observedValue"), 1));
		}
	}
	cJSON_ArrayForEach(p, prev) {
		if (!cJSON_GetObjectItem(cur, p->string))
			cJSON_AddNullToObject(out, p->string);
	}
	return out;
}

/* --watch on a terminal: under the JSON lines, one live line of
 * sparklines of the PING latency (redis:responseTime, ms) and events/s
 * (sessions:eventsPerSecond) over the last intervals, rewritten in place
 * each interval; as wide as the terminal allows. Not on a pipe or file:
 * there the output is the JSON lines alone. */
struct live {
	int on, utf8, width;
	struct spark lat, ev;
};

static void live_init(struct live *l, FILE *f)
{
	struct winsize ws;
	int cols = 80;

	memset(l, 0, sizeof *l);
	if (!isatty(fileno(f)))
		return;
	l->on = 1;
	l->utf8 = spark_utf8_env();
	if (!ioctl(fileno(f), TIOCGWINSZ, &ws) && ws.ws_col > 0)
		cols = ws.ws_col;
	/* two labels and numbers take about 56 columns */
	l->width = (cols - 56) / 2;
	l->width = l->width < 8 ? 8 : l->width > 60 ? 60 : l->width;
}

/* checks[key][0].observedValue when a number, else NAN (not measured) */
static double observed(const cJSON *checks, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(
		cJSON_GetObjectItemCaseSensitive(checks, key), 0), "observedValue");

	return cJSON_IsNumber(v) ? v->valuedouble : NAN;
}

static void live_show(struct live *l, FILE *f, const cJSON *checks)
{
	char a[SPARK_MAX * 3 + 1], b[SPARK_MAX * 3 + 1], la[24] = "-", lb[24] = "-", ma[24] = "-", mb[24] = "-";
	double amax, bmax;

	spark_push(&l->lat, observed(checks, "redis:responseTime"));
	spark_push(&l->ev, observed(checks, "sessions:eventsPerSecond"));
	spark_render(&l->lat, l->width, l->utf8, a, sizeof a, &amax);
	spark_render(&l->ev, l->width, l->utf8, b, sizeof b, &bmax);
	if (!isnan(spark_last(&l->lat)))
		snprintf(la, sizeof la, "%.2f", spark_last(&l->lat));
	if (!isnan(amax))
		snprintf(ma, sizeof ma, "%.2f", amax);
	if (!isnan(spark_last(&l->ev)))
		snprintf(lb, sizeof lb, "%.1f", spark_last(&l->ev));
	if (!isnan(bmax))
		snprintf(mb, sizeof mb, "%.1f", bmax);
	fprintf(f, "PING p99 ms %s %s (max %s)  events/s %s %s (max %s)\033[K", a, la, ma, b, lb, mb);
	fflush(f);
}

/* --watch: one line per interval until SIGINT/SIGTERM (exit 130/143). */
static int watch(struct cli_app *a, const struct check_opts *o, const struct health_params *hp)
{
	struct health_guard g;
	struct live *live = calloc(1, sizeof *live);
	cJSON *prev = NULL;
	int fresh;

	if (live)
		live_init(live, a->out.f);
	cli_catch_stop_signals();
	/* no cache: each interval is a new check; the breaker spares a dead
	 * Redis a timeout per line */
	health_guard_init(&g, hp, &a->cfg, 0, (int)o->breaker_failures, (double)o->breaker_cooldown * 1000);
	while (!cli_stop_signal() && !a->out.closed) {
		const struct health_result *r = health_guard_get(&g, &fresh);
		const cJSON *checks = cJSON_GetObjectItem(r->doc, "checks");
		cJSON *line = cJSON_CreateObject();
		double end;

		cJSON_AddItemToObject(line, "time", cJSON_Duplicate(cJSON_GetObjectItem(r->doc, "time"), 1));
		health_json_status(line, r->status);
		cJSON_AddBoolToObject(line, "checked", fresh);
		cJSON_AddItemToObject(line, "changed", changes(prev, checks));
		cJSON_AddItemToObject(line, "breaker", cJSON_Duplicate(cJSON_GetObjectItem(r->doc, "breaker"), 1));
		if (cJSON_GetObjectItem(r->doc, "output"))
			cJSON_AddItemToObject(line, "output", cJSON_Duplicate(cJSON_GetObjectItem(r->doc, "output"), 1));
		a->out.pretty = 0; /* a stream: one line each, even on a terminal */
		if (live && live->on)
			fputs("\r\033[K", a->out.f); /* the live line gives way */
		cli_out_json(&a->out, line);
		if (live && live->on)
			live_show(live, a->out.f, checks);
		cJSON_Delete(line);
		cJSON_Delete(prev);
		prev = cJSON_Duplicate(checks, 1);
		/* sleep until the next interval; a signal ends the wait */
		end = (double)o->watch * 1000;
		while (end > 0 && !cli_stop_signal()) {
			int ms = end > 1000 ? 1000 : (int)end;
			if (poll(NULL, 0, ms) < 0 && errno != EINTR)
				break;
			end -= ms;
		}
	}
	if (live && live->on)
		fputs("\n", a->out.f); /* the last live line stays */
	free(live);
	cJSON_Delete(prev);
	health_guard_free(&g);
	return cli_stop_signal() ? cli_signal_exit() : 0;
}

static int cmd_check(struct cli_app *a, void *opts, int argc, char **argv)
{
	struct check_opts *o = opts;
	struct health_params hp;
	struct health_result r;
	int rc, format;

	(void)argc;
	(void)argv;
	if ((rc = health_params_from(a, o, &hp)))
		return rc;
	if (health_format_parse(o->format, a->out.pretty, &format, &a->err))
		return health_could_not(a);
	if (o->watch) {
		if (o->format && format != F_JSON) {
			sess_err_set(&a->err, SESS_E_USAGE, NULL, "--watch prints JSON lines; drop --format %s", o->format);
			return health_could_not(a);
		}
		return watch(a, o, &hp);
	}
	health_check(&hp, &a->cfg, &r);
	if (health_print_result(a, &r, format, o->verbose)) {
		health_result_free(&r);
		return 3;
	}
	rc = health_exit_code(r.status);
	health_result_free(&r);
	return rc;
}

const struct cli_cmd health_cmd_check = {
	.name = "check",
	.synopsis = "",
	.summary = "check Redis and the session system once (the default command)",
	.details =
	"Components: redis (reachable, authorised, PING latency p50/p99/max, version,\n"
	"role, clients), memory, persistence, replication, sentinel (through it),\n"
	"cluster (on a Redis Cluster: state, slots, each master's reachability,\n"
	"latency, memory, role), sessions (active,\n"
	"expiring, events/s, created/s, index drift, layout) and pubsub (a real\n"
	"publish/subscribe round trip on a session channel).\n"
	"JSON is application/health+json: status pass, warn or fail; level healthy,\n"
	"warning, unknown, critical or down.\n"
	"Threshold names: latency pubsub clients blocked rejected memory\n"
	"fragmentation evicted lag sessions expiring drift events-rate created-rate.\n"
	"Ranges: 10 (alert above 10 or below 0), 10: (below 10), ~:10 (above 10),\n"
	"10:20 (outside), @10:20 (inside). Example: -w latency=20,memory=70\n"
	"--watch on a terminal adds a live line under the JSON lines: sparklines of\n"
	"PING p99 latency and events/s over the last intervals (ASCII unless the\n"
	"locale is UTF-8); piped, the JSON lines alone.\n",
	.opts = check_o, .opts_size = sizeof(struct check_opts), .defaults = &check_d,
	.own_common = 1, /* -c critical, -t seconds, ... (options.h) */
	.run = cmd_check};
