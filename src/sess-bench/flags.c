/* flags.c - redis-benchmark's letters in sess-bench (-c clients, -n
 * requests, -P pipeline, -d data size, -q, --csv): the old spellings they
 * took over, read for one release with a warning, and the -q and --csv
 * lines. */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "bench.h"

/* -c V: clients, unless V is no number but an existing file: the old
 * --config letter, read so with a warning (as sess-health's -c). */
static int clients_or_config(struct cli_app *a, struct sb_opts *o)
{
	struct stat st;
	struct sess_err e;
	const char *v = o->clients_arg;

	if (!sess_parse_long(v, 1, 10000, "--clients", SESS_E_USAGE, &o->clients, &e))
		return 0;
	if (*v && strspn(v, "+-0123456789") != strlen(v) && !stat(v, &st) && S_ISREG(st.st_mode)) {
		if (a->common.config)
			return cli_usage_error(a, "-c %.200s is the old letter of --config: give --config once", v);
		cli_warn(a->prog, "-c %s is read as the config file (the old meaning, kept one release); "
			 "-c is --clients now: use --config FILE", v);
		a->common.config = v;
		return 0;
	}
	return cli_usage_error(a, "%s (-c is --clients now; the config file is --config FILE)", e.msg);
}

/* -C N and -N N, the old letters of --clients and --requests */
static int old_letter(struct cli_app *a, const char *v, int letter, const char *name,
		      long max, long *out)
{
	struct sess_err e;
	char what[32];

	snprintf(what, sizeof what, "--%s", name);
	if (sess_parse_long(v, 1, max, what, SESS_E_USAGE, out, &e))
		return cli_usage_error(a, "%s", e.msg);
	cli_warn(a->prog, "-%c is -%c now (redis-benchmark's letter); -%c %s is read as --%s %s, "
		 "for this release only", letter, letter | 0x20, letter, v, name, v);
	return 0;
}

int sb_flags(struct cli_app *a, struct sb_opts *o)
{
	if (o->old_clients && old_letter(a, o->old_clients, 'C', "clients", 10000, &o->clients))
		return cli_usage_exit(a->tool);
	if (o->old_requests && old_letter(a, o->old_requests, 'N', "requests", 1L << 40, &o->requests))
		return cli_usage_exit(a->tool);
	if (o->clients_arg) {
		int rc = clients_or_config(a, o);
		if (rc)
			return rc;
	}
	if ((o->quiet || o->csv) && (o->compare || o->capacity))
		return cli_usage_error(a, "%s prints no JSON lines: drop it to use %s",
				       o->csv ? "--csv" : "-q", o->compare ? "--compare" : "--capacity");
	return 0;
}

static double ms(uint64_t ns)
{
	return (double)ns / 1e6;
}

/* The server's usec per operation for a line: op's own (a run of one
 * kind), the run's (op -1: the "all" line), or none (<0). */
static double server_us(const struct sb_server_figures *f, int op)
{
	if (!f || f->ops <= 0)
		return -1;
	return op == f->op || op == -1 ? f->usec_per_op : -1;
}

int sb_quiet_lines(struct cli_out *out, const struct sb_result *r, int csv,
		   const struct sb_server_figures *f)
{
	double el = r->elapsed_s > 0 ? r->elapsed_s : 1e-9, us;
	char line[512], srv[64];
	uint64_t all = 0;
	int i, n;

	if (csv) {
		n = snprintf(line, sizeof line, "\"test\",\"rps\",\"avg_latency_ms\",\"min_latency_ms\","
			     "\"p50_latency_ms\",\"p95_latency_ms\",\"p99_latency_ms\",\"max_latency_ms\","
			     "\"server_usec_per_op\"\n");
		if (cli_out_raw(out, line, (size_t)n))
			return 1;
	}
	for (i = 0; i < SB_NOPS; i++) {
		const struct sess_hist *h = &r->total.hist[i];
		uint64_t count = sb_stats_count(&r->total, i);

		if (!count)
			continue;
		all += count;
		us = server_us(f, i);
		if (csv) {
			srv[0] = '\0';
			if (us >= 0)
				snprintf(srv, sizeof srv, "%.3f", us);
			n = snprintf(line, sizeof line,
				     "\"%s\",\"%.2f\",\"%.3f\",\"%.3f\",\"%.3f\",\"%.3f\",\"%.3f\",\"%.3f\",\"%s\"\n",
				     sb_op_names[i], (double)count / el, ms((uint64_t)sess_hist_mean(h)),
				     ms(h->count ? h->min : 0), ms(sess_hist_percentile(h, 50)),
				     ms(sess_hist_percentile(h, 95)), ms(sess_hist_percentile(h, 99)), ms(h->max),
				     srv);
		} else {
			srv[0] = '\0';
			if (us >= 0)
				snprintf(srv, sizeof srv, ", server=%.1f usec/op", us);
			n = snprintf(line, sizeof line, "%s: %.2f requests per second, p50=%.3f msec%s\n",
				     sb_op_names[i], (double)count / el, ms(sess_hist_percentile(h, 50)), srv);
		}
		if (cli_out_raw(out, line, (size_t)n))
			return 1;
	}
	/* several kinds of operation: the server's time is the run's */
	if (f && f->op == -2 && (us = server_us(f, -1)) >= 0) {
		if (csv)
			n = snprintf(line, sizeof line, "\"all\",\"%.2f\",\"\",\"\",\"\",\"\",\"\",\"\",\"%.3f\"\n",
				     (double)all / el, us);
		else
			n = snprintf(line, sizeof line, "all: %.2f requests per second, server=%.1f usec/op\n",
				     (double)all / el, us);
		if (cli_out_raw(out, line, (size_t)n))
			return 1;
	}
	return 0;
}
