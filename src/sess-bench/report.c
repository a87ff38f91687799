/* report.c - what sess-bench prints: a JSON line per interval, the final
 * summary, the live status line on a terminal, and --compare's verdict.
 * Latencies are milliseconds (3 decimals), rates operations per second. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench.h"
#include "core/model/json.h"

static double ms(uint64_t ns)
{
	return round((double)ns / 1000.0) / 1000.0;
}

static double r1(double v)
{
	return round(v * 10.0) / 10.0;
}

cJSON *sb_interval_json(const struct sb_stats *iv, double t_s, double dt_s)
{
	cJSON *o = cJSON_CreateObject(), *ops;
	uint64_t all = 0, errs = 0;
	int i;

	cJSON_AddStringToObject(o, "type", "interval");
	cJSON_AddNumberToObject(o, "t", r1(t_s * 10.0) / 10.0);
	ops = cJSON_AddObjectToObject(o, "ops");
	for (i = 0; i < SB_NOPS; i++) {
		const struct sess_hist *h = &iv->hist[i];
		uint64_t n = sb_stats_count(iv, i);
		cJSON *x;
		if (!n)
			continue;
		x = cJSON_AddObjectToObject(ops, sb_op_names[i]);
		cJSON_AddNumberToObject(x, "count", (double)n);
		cJSON_AddNumberToObject(x, "rate", r1((double)n / dt_s));
		cJSON_AddNumberToObject(x, "p50Ms", ms(sess_hist_percentile(h, 50)));
		cJSON_AddNumberToObject(x, "p99Ms", ms(sess_hist_percentile(h, 99)));
		cJSON_AddNumberToObject(x, "errors", (double)iv->errors[i]);
		all += n;
		errs += iv->errors[i];
	}
	cJSON_AddNumberToObject(o, "rate", r1((double)all / dt_s));
	cJSON_AddNumberToObject(o, "errors", (double)errs);
	return o;
}

void sb_status_line(const struct sb_stats *iv, double t_s, double dt_s)
{
	char line[256];
	size_t n;
	uint64_t all = 0, errs = 0;
	int i, worst = -1;

	if (!isatty(STDERR_FILENO))
		return;
	for (i = 0; i < SB_NOPS; i++) {
		all += sb_stats_count(iv, i);
		errs += iv->errors[i];
		if (iv->hist[i].count && (worst < 0 || iv->hist[i].max > iv->hist[worst].max))
			worst = i;
	}
	n = (size_t)snprintf(line, sizeof line, "\r%6.1fs  %10.0f ops/s", t_s, (double)all / dt_s);
	if (worst >= 0 && n < sizeof line)
		n += (size_t)snprintf(line + n, sizeof line - n, "  %s p50 %.3f p99 %.3f ms", sb_op_names[worst],
				      ms(sess_hist_percentile(&iv->hist[worst], 50)),
				      ms(sess_hist_percentile(&iv->hist[worst], 99)));
	if (n < sizeof line)
		snprintf(line + n, sizeof line - n, "  errors %llu\033[K", (unsigned long long)errs);
	fputs(line, stderr);
	fflush(stderr);
}

static cJSON *latency_json(const struct sess_hist *h)
{
	cJSON *l = cJSON_CreateObject();

	cJSON_AddNumberToObject(l, "p50", ms(sess_hist_percentile(h, 50)));
	cJSON_AddNumberToObject(l, "p90", ms(sess_hist_percentile(h, 90)));
	cJSON_AddNumberToObject(l, "p99", ms(sess_hist_percentile(h, 99)));
	cJSON_AddNumberToObject(l, "p999", ms(sess_hist_percentile(h, 99.9)));
	cJSON_AddNumberToObject(l, "max", ms(h->max));
	cJSON_AddNumberToObject(l, "mean", ms((uint64_t)sess_hist_mean(h)));
	return l;
}

cJSON *sb_summary_json(const struct sb_scn *s, const struct sb_result *r, const char *prefix)
{
	const struct sb_opts *o = s->o;
	cJSON *j = cJSON_CreateObject(), *cfg, *ops, *tot, *errs;
	double el = r->elapsed_s > 0 ? r->elapsed_s : 1e-9;
	uint64_t all = 0, nerr = 0;
	struct sess_hist *h = malloc(sizeof *h);
	int i;

	cJSON_AddStringToObject(j, "type", "summary");
	cJSON_AddStringToObject(j, "scenario", s->name);
	cfg = cJSON_AddObjectToObject(j, "config");
	cJSON_AddNumberToObject(cfg, "clients", (double)o->clients);
	cJSON_AddNumberToObject(cfg, "threads", (double)o->threads);
	cJSON_AddNumberToObject(cfg, "pipeline", (double)o->pipeline);
	if (o->duration)
		cJSON_AddNumberToObject(cfg, "durationSec", (double)o->duration);
	else
		cJSON_AddNumberToObject(cfg, "requests", (double)o->requests);
	cJSON_AddNumberToObject(cfg, "warmupSec", (double)o->warmup);
	cJSON_AddNumberToObject(cfg, "sessions", (double)o->sessions);
	cJSON_AddNumberToObject(cfg, "payload", (double)o->payload);
	cJSON_AddNumberToObject(cfg, "seed", (double)o->seed);
	cJSON_AddNumberToObject(cfg, "rate", (double)o->rate);
	if (!strcmp(s->name, "create"))
		cJSON_AddNumberToObject(cfg, "batch", (double)o->batch);
	if (!strcmp(s->name, "agents"))
		cJSON_AddNumberToObject(cfg, "events", (double)o->events);
	if (s->think_ns)
		cJSON_AddNumberToObject(cfg, "thinkMs", (double)s->think_ns / 1e6);
	if (!strcmp(s->name, "mixed")) {
		cJSON *ra = cJSON_AddObjectToObject(cfg, "ratio");
		for (i = 0; i < SB_NOPS; i++)
			if (s->ratio[i])
				cJSON_AddNumberToObject(ra, sb_op_names[i], s->ratio[i]);
	}
	cJSON_AddStringToObject(cfg, "prefix", prefix);
	cJSON_AddNumberToObject(j, "runtimeSec", round(r->elapsed_s * 1000.0) / 1000.0);
	if (h)
		sess_hist_init(h);
	ops = cJSON_AddObjectToObject(j, "ops");
	for (i = 0; i < SB_NOPS; i++) {
		uint64_t n = sb_stats_count(&r->total, i);
		cJSON *x;
		if (!n)
			continue;
		x = cJSON_AddObjectToObject(ops, sb_op_names[i]);
		cJSON_AddNumberToObject(x, "count", (double)n);
		cJSON_AddNumberToObject(x, "errors", (double)r->total.errors[i]);
		cJSON_AddNumberToObject(x, "rate", r1((double)n / el));
		if (i == SB_CREATE) /* a create operation is a batch */
			cJSON_AddNumberToObject(x, "sessionsPerSec", r1((double)n * (double)o->batch / el));
		cJSON_AddItemToObject(x, "latencyMs", latency_json(&r->total.hist[i]));
		all += n;
		nerr += r->total.errors[i];
		if (h)
			sess_hist_merge(h, &r->total.hist[i]);
	}
	tot = cJSON_AddObjectToObject(j, "total");
	cJSON_AddNumberToObject(tot, "count", (double)all);
	cJSON_AddNumberToObject(tot, "errors", (double)nerr);
	cJSON_AddNumberToObject(tot, "rate", r1((double)all / el));
	if (h)
		cJSON_AddItemToObject(tot, "latencyMs", latency_json(h));
	errs = cJSON_AddObjectToObject(j, "errors");
	for (i = 0; i < r->total.nkinds; i++)
		cJSON_AddNumberToObject(errs, r->total.kinds[i].kind, (double)r->total.kinds[i].n);
	cJSON_AddBoolToObject(j, "interrupted", r->interrupted);
	if (s->nnodes) {
		/* a cluster's slots moving mid-run: operations its masters
		 * redirected, not run (neither in ops nor in errors: nodes.c) */
		cJSON *rd = cJSON_AddObjectToObject(j, "redirections");
		cJSON_AddNumberToObject(rd, "moved", (double)r->total.moved);
		cJSON_AddNumberToObject(rd, "ask", (double)r->total.ask);
		cJSON_AddNumberToObject(rd, "tryAgain", (double)r->total.tryagain);
	}
	if (r->failovers || r->reconnects) {
		/* through Sentinel: the primary moved mid-run and the run went
		 * on there; the operations in flight are errors "failover" */
		cJSON_AddNumberToObject(j, "failovers", r->failovers);
		cJSON_AddNumberToObject(j, "reconnects", (double)r->reconnects);
	}
	free(h);
	return j;
}

/* The summary's keys before they were camelCase (issue 20), read in a
 * baseline for one release: old name, name now. The output has the new
 * names only (doubling every key would double every line). */
static const char *const old_keys[][2] = {
	{"latency_ms", "latencyMs"}, {"p99.9", "p999"}, {"runtime_s", "runtimeSec"},
	{"duration_s", "durationSec"}, {"warmup_s", "warmupSec"}, {"think_ms", "thinkMs"},
	{"sessions_per_s", "sessionsPerSec"}, {"server_usec_per_op", "serverUsecPerOp"},
	{"calls_per_op", "callsPerOp"}, {"usec_per_op", "usecPerOp"}, {"usec_per_call", "usecPerCall"},
};

/* The keys of o (and below) under their names now; *renamed counts the
 * old ones. The members of "ops", "commands", "errors" and "ratio" are
 * named by data (operations, commands, error kinds): their own names are
 * left alone, what is inside them is not. A member under both names
 * keeps the new one. */
static void new_keys(cJSON *o, int data, int *renamed)
{
	cJSON *c, *next;
	size_t k;

	for (c = o->child; c; c = next) {
		next = c->next;
		for (k = 0; !data && c->string && k < sizeof old_keys / sizeof old_keys[0]; k++) {
			size_t len = strlen(old_keys[k][1]) + 1;
			char *name;
			if (strcmp(c->string, old_keys[k][0]))
				continue;
			(*renamed)++;
			if (cJSON_GetObjectItemCaseSensitive(o, old_keys[k][1]) || !(name = cJSON_malloc(len))) {
				cJSON_Delete(cJSON_DetachItemViaPointer(o, c));
				c = NULL;
			} else { /* renamed in place: the order stays */
				memcpy(name, old_keys[k][1], len);
				cJSON_free(c->string);
				c->string = name;
			}
			break;
		}
		if (c && (cJSON_IsObject(c) || cJSON_IsArray(c)))
			new_keys(c, cJSON_IsObject(c) && c->string && !data &&
					    (!strcmp(c->string, "ops") || !strcmp(c->string, "commands") ||
					     !strcmp(c->string, "errors") || !strcmp(c->string, "ratio")),
				 renamed);
	}
}

/* The last summary line of a file of sess-bench output. */
int sb_baseline_load(const char *path, cJSON **out, int *old, struct sess_err *err)
{
	FILE *f = fopen(path, "r");
	char *line = NULL;
	size_t cap = 0;
	long n = 0, bad = 0;
	cJSON *best = NULL;

	if (!f)
		return sess_err_set(err, errno == ENOENT ? SESS_E_NOINPUT : SESS_E_NOINPUT, "no_input",
				    "cannot read the baseline %s: %s; write one with 'sess-bench SCENARIO ... > %s'",
				    path, strerror(errno), path);
	while (getline(&line, &cap, f) != -1) {
		cJSON *j;
		const cJSON *t;
		n++;
		if (strspn(line, " \t\r\n") == strlen(line))
			continue;
		j = sess_json_parse(line);
		t = j ? cJSON_GetObjectItemCaseSensitive(j, "type") : NULL;
		if (!j)
			bad++;
		if (cJSON_IsString(t) && !strcmp(t->valuestring, "summary") &&
		    cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(j, "ops"))) {
			cJSON_Delete(best);
			best = j;
		} else {
			cJSON_Delete(j);
		}
	}
	free(line);
	fclose(f);
	if (!best)
		return sess_err_set(err, SESS_E_DATA, "bad_baseline",
				    "%s has no sess-bench summary (a JSON line with \"type\":\"summary\" and \"ops\")%s; write one with 'sess-bench SCENARIO ... > %s'",
				    path, bad ? ", and lines that are not JSON" : "", path);
	if (old)
		*old = 0;
	{
		int renamed = 0;
		new_keys(best, 0, &renamed);
		if (old)
			*old = renamed > 0;
	}
	*out = best;
	return 0;
}

static double num(const cJSON *o, const char *a, const char *b)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, a);

	if (b)
		v = cJSON_GetObjectItemCaseSensitive(v, b);
	return cJSON_IsNumber(v) ? v->valuedouble : NAN;
}

/* The baseline's numbers that compare divides by and compares with: ops
 * a non-empty object of objects, each with a rate above 0 and, when it
 * has one, a latencyMs.p99 of 0 or more. Anything else would pass every
 * comparison (a rate of 0 or a string is skipped), so it is refused. */
static int baseline_numbers(const cJSON *base, const char *path, const char *scenario,
			    struct sess_err *err)
{
	const cJSON *ops = cJSON_GetObjectItemCaseSensitive(base, "ops"), *op, *v, *lat;
	char fix[200];

	snprintf(fix, sizeof fix, "write a baseline with 'sess-bench %s ... > %s'", scenario, path);
	if (!ops->child)
		return sess_err_set(err, SESS_E_DATA, "bad_baseline",
				    "%s: the summary's \"ops\" is empty: nothing to compare with; %s",
				    path, fix);
	cJSON_ArrayForEach(op, ops) {
		if (!cJSON_IsObject(op))
			return sess_err_set(err, SESS_E_DATA, "bad_baseline",
					    "%s: ops.%s must be an object with \"rate\" and \"latencyMs\"; %s",
					    path, op->string, fix);
		v = cJSON_GetObjectItemCaseSensitive(op, "rate");
		if (!cJSON_IsNumber(v) || !(v->valuedouble > 0) || !isfinite(v->valuedouble))
			return sess_err_set(err, SESS_E_DATA, "bad_baseline",
					    "%s: ops.%s.rate must be a number above 0 (operations a second); %s",
					    path, op->string, fix);
		lat = cJSON_GetObjectItemCaseSensitive(op, "latencyMs");
		v = cJSON_GetObjectItemCaseSensitive(lat, "p99");
		if (lat && (!cJSON_IsObject(lat) || (v && (!cJSON_IsNumber(v) || !(v->valuedouble >= 0) ||
							   !isfinite(v->valuedouble)))))
			return sess_err_set(err, SESS_E_DATA, "bad_baseline",
					    "%s: ops.%s.latencyMs.p99 must be a number of milliseconds, 0 or more; %s",
					    path, op->string, fix);
	}
	return 0;
}

int sb_baseline_check(const char *path, const char *scenario, int *old, struct sess_err *err)
{
	cJSON *base;
	const cJSON *bsc;
	int rc = 0;

	if (sb_baseline_load(path, &base, old, err))
		return -1;
	bsc = cJSON_GetObjectItemCaseSensitive(base, "scenario");
	if (!cJSON_IsString(bsc) || strcmp(bsc->valuestring, scenario))
		rc = sess_err_set(err, SESS_E_DATA, "bad_baseline",
				  "%s is a summary of scenario %s, this run is %s; compare runs of one scenario",
				  path, cJSON_IsString(bsc) ? bsc->valuestring : "(none)", scenario);
	else
		rc = baseline_numbers(base, path, scenario, err);
	cJSON_Delete(base);
	return rc;
}

int sb_compare(const cJSON *summary, const char *path, double max_pct, cJSON **out,
	       int *regressed, struct sess_err *err)
{
	cJSON *base, *o, *ops, *regs;
	const cJSON *bops, *cops, *bo, *bsc, *csc;
	char msg[200];

	*regressed = 0;
	if (sb_baseline_load(path, &base, NULL, err))
		return -1;
	bsc = cJSON_GetObjectItemCaseSensitive(base, "scenario");
	csc = cJSON_GetObjectItemCaseSensitive(summary, "scenario");
	if (!cJSON_IsString(bsc) || !cJSON_IsString(csc) || strcmp(bsc->valuestring, csc->valuestring)) {
		sess_err_set(err, SESS_E_DATA, "bad_baseline",
			     "%s is a summary of scenario %s, this run is %s; compare runs of one scenario",
			     path, cJSON_IsString(bsc) ? bsc->valuestring : "(none)",
			     cJSON_IsString(csc) ? csc->valuestring : "(none)");
		cJSON_Delete(base);
		return -1;
	}
	if (baseline_numbers(base, path, csc->valuestring, err)) {
		cJSON_Delete(base);
		return -1;
	}
	bops = cJSON_GetObjectItemCaseSensitive(base, "ops");
	cops = cJSON_GetObjectItemCaseSensitive(summary, "ops");
	o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "type", "compare");
	cJSON_AddStringToObject(o, "baseline", path);
	cJSON_AddNumberToObject(o, "maxRegressionPct", max_pct);
	ops = cJSON_AddObjectToObject(o, "ops");
	regs = cJSON_CreateArray();
	cJSON_ArrayForEach(bo, bops) {
		const cJSON *co = cJSON_GetObjectItemCaseSensitive(cops, bo->string);
		double br = num(bo, "rate", NULL), bp = num(bo, "latencyMs", "p99");
		double cr = num(co, "rate", NULL), cp = num(co, "latencyMs", "p99");
		cJSON *x = cJSON_AddObjectToObject(ops, bo->string);
		if (!co) {
			snprintf(msg, sizeof msg, "%s: in the baseline, not in this run", bo->string);
			cJSON_AddItemToArray(regs, cJSON_CreateString(msg));
			continue;
		}
		/* throughput lower, or p99 higher, by more than max_pct */
		if (br > 0 && !isnan(cr)) {
			double pct = (cr - br) / br * 100.0;
			cJSON_AddNumberToObject(x, "rateChangePct", r1(pct));
			if (pct < -max_pct) {
				snprintf(msg, sizeof msg, "%s rate %.1f%% (%.1f -> %.1f/s)", bo->string, pct, br, cr);
				cJSON_AddItemToArray(regs, cJSON_CreateString(msg));
			}
		}
		if (bp > 0 && !isnan(cp)) {
			double pct = (cp - bp) / bp * 100.0;
			cJSON_AddNumberToObject(x, "p99ChangePct", r1(pct));
			if (pct > max_pct) {
				snprintf(msg, sizeof msg, "%s p99 +%.1f%% (%.3f -> %.3f ms)", bo->string, pct, bp, cp);
				cJSON_AddItemToArray(regs, cJSON_CreateString(msg));
			}
		}
	}
	*regressed = cJSON_GetArraySize(regs) > 0;
	cJSON_AddBoolToObject(o, "ok", !*regressed);
	cJSON_AddItemToObject(o, "regressions", regs);
	cJSON_Delete(base);
	*out = o;
	return 0;
}
