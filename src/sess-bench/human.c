/* human.c - what sess-bench prints on a terminal (stdout a terminal, no
 * --json, -q or --csv): the report redis-benchmark and memtier users read,
 * a block per run with a row per operation and the totals, and --compare's
 * verdict in words. In a pipe and with --json the JSON lines stay. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "bench.h"

int sb_human_mode(const struct cli_app *a, const struct sb_opts *o)
{
	return !o->quiet && !o->csv && !a->common.as_json && isatty(STDOUT_FILENO);
}

static int put(struct cli_out *out, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int put(struct cli_out *out, const char *fmt, ...)
{
	char line[1024];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	if (n < 0)
		return 0;
	if ((size_t)n >= sizeof line)
		n = (int)sizeof line - 1;
	return cli_out_raw(out, line, (size_t)n);
}

int sb_human_run_line(struct cli_out *out, const char *id, const char *prefix)
{
	return put(out, "run %s: keys under %s; if it is killed: sess-bench cleanup %s\n", id, prefix, id);
}

static double ms(uint64_t ns)
{
	return (double)ns / 1e6;
}

/* one row: NAME COUNT RATE ERRORS, then the latencies of h, then the
 * server's usec per operation (us < 0: none) */
static int row(struct cli_out *out, const char *name, uint64_t count, double rate, uint64_t errors,
	       const struct sess_hist *h, double us)
{
	char srv[32] = "-";

	if (us >= 0)
		snprintf(srv, sizeof srv, "%.1f", us);
	return put(out, "%-11s %10llu %11.1f %7llu %8.3f %8.3f %8.3f %8.3f %8.3f %8.3f %8s\n", name,
		   (unsigned long long)count, rate, (unsigned long long)errors, ms((uint64_t)sess_hist_mean(h)),
		   ms(sess_hist_percentile(h, 50)), ms(sess_hist_percentile(h, 95)),
		   ms(sess_hist_percentile(h, 99)), ms(sess_hist_percentile(h, 99.9)), ms(h->max), srv);
}

int sb_human_summary(struct cli_out *out, const struct sb_scn *s, const struct sb_result *r,
		     const struct sb_server_figures *f, const cJSON *summary)
{
	const struct sb_opts *o = s->o;
	double el = r->elapsed_s > 0 ? r->elapsed_s : 1e-9;
	static struct sess_hist all; /* 30 KB: not on the stack */
	uint64_t count = 0, errors = 0;
	const cJSON *c, *v;
	int i;

	for (i = 0; i < SB_NOPS; i++)
		count += sb_stats_count(&r->total, i);
	if (put(out, "\n%s: %llu operations in %.2f s, %ld clients, pipeline %ld, %ld sessions%s\n", s->name,
		(unsigned long long)count, r->elapsed_s, o->clients, o->pipeline, o->sessions,
		r->interrupted ? " (interrupted: a part of the run)" : ""))
		return 1;
	count = 0;
	if (put(out, "%-11s %10s %11s %7s %8s %8s %8s %8s %8s %8s %8s\n", "operation", "ops", "ops/s",
		"errors", "avg ms", "p50 ms", "p95 ms", "p99 ms", "p99.9 ms", "max ms", "srv us/op"))
		return 1;
	sess_hist_init(&all);
	for (i = 0; i < SB_NOPS; i++) {
		uint64_t n = sb_stats_count(&r->total, i);
		if (!n)
			continue;
		count += n;
		errors += r->total.errors[i];
		sess_hist_merge(&all, &r->total.hist[i]);
		if (row(out, sb_op_names[i], n, (double)n / el, r->total.errors[i], &r->total.hist[i],
			f && f->ops > 0 && f->op == i ? f->usec_per_op : -1))
			return 1;
	}
	if (row(out, "total", count, (double)count / el, errors, &all,
		f && f->ops > 0 ? f->usec_per_op : -1))
		return 1;
	for (i = 0; i < r->total.nkinds; i++)
		if (put(out, "%s %s: %llu\n", i ? "      " : "errors", r->total.kinds[i].kind,
			(unsigned long long)r->total.kinds[i].n))
			return 1;
	if (r->total.moved + r->total.ask + r->total.tryagain &&
	    put(out, "redirected (slots moving): MOVED %llu, ASK %llu, TRYAGAIN %llu (not run, not counted above)\n",
		(unsigned long long)r->total.moved, (unsigned long long)r->total.ask,
		(unsigned long long)r->total.tryagain))
		return 1;
	if ((r->failovers || r->reconnects) &&
	    put(out, "failovers %d, connections opened again %ld\n", r->failovers, r->reconnects))
		return 1;
	c = cJSON_GetObjectItemCaseSensitive(summary, "cleanup");
	v = cJSON_GetObjectItemCaseSensitive(c, "deleted");
	if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(c, "kept")))
		return put(out, "keys kept under %s (--keep)\n",
			   cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(c, "prefix")));
	if (cJSON_IsNumber(v))
		return put(out, "keys deleted: %.0f\n", v->valuedouble);
	return 0;
}

int sb_human_compare(struct cli_out *out, const cJSON *cmp)
{
	const cJSON *ops = cJSON_GetObjectItemCaseSensitive(cmp, "ops"), *op, *x;
	const cJSON *regs = cJSON_GetObjectItemCaseSensitive(cmp, "regressions");
	const cJSON *pct = cJSON_GetObjectItemCaseSensitive(cmp, "maxRegressionPct");
	char rate[32], p99[32];

	if (put(out, "\ncompared with %s (a rate may fall, a p99 rise, by %g%%):\n",
		cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(cmp, "baseline")),
		cJSON_IsNumber(pct) ? pct->valuedouble : 0))
		return 1;
	cJSON_ArrayForEach(op, ops) {
		strcpy(rate, "-");
		strcpy(p99, "-");
		if (cJSON_IsNumber(x = cJSON_GetObjectItemCaseSensitive(op, "rateChangePct")))
			snprintf(rate, sizeof rate, "%+.1f%%", x->valuedouble);
		if (cJSON_IsNumber(x = cJSON_GetObjectItemCaseSensitive(op, "p99ChangePct")))
			snprintf(p99, sizeof p99, "%+.1f%%", x->valuedouble);
		if (put(out, "  %-11s rate %8s   p99 %8s\n", op->string, rate, p99))
			return 1;
	}
	cJSON_ArrayForEach(x, regs)
		if (cJSON_IsString(x) && put(out, "  regression: %s\n", x->valuestring))
			return 1;
	return put(out, "verdict: %s\n", cJSON_GetArraySize(regs) ? "REGRESSION" : "ok, no regression");
}
