/* sess-bench's scenario commands (create, emit, get, list, checkpoint,
 * join-leave, mixed, agents): one command under eight names, so one file:
 * the options every scenario takes, their defaults, the run they share
 * (setup, load, report, compare, cleanup) and an entry per scenario. What
 * each scenario sends is scenario.c. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "bench.h"

#define T struct sb_opts
static const struct cli_opt opts[] = {
	CLI_STR("clients", 'c', "N", "connections, each a simulated client (1-10000,\n"
		"                         default 50; -c FILE, the old --config letter,\n"
		"                         still reads FILE and warns)", T, clients_arg, NULL),
	CLI_LONG("pipeline", 'P', "N", "operations in flight per connection", T, pipeline, 1, 10000),
	CLI_LONG("requests", 'n', "N", "measured operations in all (default 100000; not with --duration)",
		 T, requests, 1, 1L << 40),
	CLI_DUR("duration", 0, "DURATION", "run this long instead of --requests", T, duration, 1000, 1, 86400 * 7),
	CLI_DUR("warmup", 0, "DURATION", "run unmeasured first", T, warmup, 1000, 0, 3600),
	CLI_LONG("sessions", 'S', "N", "sessions to spread operations over", T, sessions, 1, 10000000),
	CLI_LONG("payload", 'd', "BYTES", "bytes of impact data in each event (the data size)",
		 T, payload, 0, 1000000),
	CLI_LONG("seed", 0, "N", "seed of the random choices (the same seed, the same run)", T, seed, 0, 1L << 40),
	CLI_LONG("rate", 'r', "OPS", "open loop: this many operations a second in all, latency\n"
		 "                         from each one's intended send time (0: closed loop)",
		 T, rate, 0, 100000000),
	CLI_LONG("threads", 0, "N", "threads sharing the clients, for more cores", T, threads, 1, 256),
	CLI_LONG("batch", 'b', "N", "create: sessions per operation, pipelined", T, batch, 1, 100000),
	CLI_STR("ratio", 0, "OP=W,...", "mixed: weights (default emit=70,get=20,checkpoint=10)", T, ratios,
		"emit=70,get=20,checkpoint=10"),
	CLI_DUR("think", 0, "DURATION", "mean think time between a client's operations, random\n"
		 "                         0..2x (default: 100ms for mixed, else 0)", T, think, 1, 0, 3600000),
	CLI_LONG("events", 0, "N", "agents: events each agent emits per visit", T, events, 1, 1000000),
	CLI_DUR("interval", 'i', "DURATION", "a JSON line this often while running (a terminal:\n"
		 "                         the status line only); 0 none",
		 T, interval, 1, 0, 3600000),
	CLI_STR("compare", 0, "BASELINE.json", "compare with an earlier summary; exit 1 on a regression",
		T, compare, CLI_COMPLETE_FILE),
	CLI_LONG("max-regression", 0, "PCT", "with --compare: the most a rate may fall or a p99 rise\n"
		 "                        ", T, max_regression, 0, 1000000),
	CLI_STR("hgrm", 0, "DIR", "write DIR/OP.hgrm: each operation's latencies in\n"
		"                         HdrHistogram's percentile distribution format", T, hgrm,
		CLI_COMPLETE_FILE),
	CLI_STR("svg", 0, "FILE", "plot latency by percentile to FILE (with --compare:\n"
		"                         the baseline's beside, dashed)", T, svg, CLI_COMPLETE_FILE),
	CLI_FLAG("capacity", 0, "print the capacity plan from the run's measured costs", T, capacity),
	CLI_DUR("target-ms", 0, "DURATION", "with --capacity: the p99 latency to plan for",
		 T, target_ms, 1, 1, 3600000),
	CLI_LONG("session-rate", 0, "OPS", "with --capacity: operations a second of one active\n"
		 "                         session", T, session_rate, 1, 1000000),
	CLI_STR("run-id", 0, "ID", "the run's id: keys go under sessbench:ID (default: new)", T, run_id, NULL),
	CLI_FLAG("keep", 0, "leave the run's keys (delete later: sess-bench cleanup ID)", T, keep),
	CLI_FLAG("quiet", 'q', "one line per operation, as redis-benchmark -q, not JSON", T, quiet),
	CLI_FLAG("csv", 0, "redis-benchmark's CSV, not JSON: a header, a row per operation", T, csv),
	/* the old letters of --clients and --requests, read with a warning
	 * for one release (flags.c) and not shown */
	CLI_STR("clients-C", 'C', "N", NULL, T, old_clients, NULL),
	CLI_STR("requests-N", 'N', "N", NULL, T, old_requests, NULL),
	CLI_END};
static const struct sb_opts defaults = {
	.clients = 50, .pipeline = 1, .requests = 0, .sessions = 100, .seed = 1, .threads = 1,
	.batch = 1, .think = -1, .events = 10, .interval = 1000, .target_ms = 10, .session_rate = 1,
	.max_regression = 10};
#undef T

static void on_interval(const struct sb_stats *iv, double t_s, double dt_s, void *arg)
{
	struct cli_app *a = arg;
	cJSON *j = sb_interval_json(iv, t_s, dt_s);

	sb_status_line(iv, t_s, dt_s);
	cli_out_json(&a->out, j);
	fflush(a->out.f);
	cJSON_Delete(j);
}

/* -q, --csv: the live status line alone (on a terminal) */
static void on_status(const struct sb_stats *iv, double t_s, double dt_s, void *arg)
{
	(void)arg;
	sb_status_line(iv, t_s, dt_s);
}

/* The first line, before any key is written: the run's id, its prefix and
 * how to delete its keys, so a run killed (kill -9) before its summary
 * can still be cleaned up. Returns 1 when stdout is gone (nothing to run
 * for: the exit status says why). */
static int run_line(struct cli_app *a, const char *id)
{
	cJSON *j = cJSON_CreateObject();
	char cmd[80];
	int rc;

	snprintf(cmd, sizeof cmd, "sess-bench cleanup %s", id);
	cJSON_AddStringToObject(j, "type", "run");
	cJSON_AddStringToObject(j, "id", id);
	cJSON_AddStringToObject(j, "prefix", a->cfg.prefix);
	cJSON_AddStringToObject(j, "cleanup", cmd);
	rc = cli_out_json(&a->out, j); /* flushed: a line at a time */
	cJSON_Delete(j);
	return rc;
}

/* Delete the run's keys (unless --keep); adds "cleanup" to summary. */
static void cleanup(struct cli_app *a, const struct sb_opts *o, cJSON *summary)
{
	struct sess_err err;
	long deleted = 0;
	cJSON *c = summary ? cJSON_AddObjectToObject(summary, "cleanup") : NULL;

	cJSON_AddStringToObject(c, "prefix", a->cfg.prefix);
	if (o->keep) {
		cJSON_AddBoolToObject(c, "kept", 1);
		return;
	}
	sess_err_clear(&err);
	if (sb_cleanup(&a->conn, a->cfg.prefix, &deleted, &err))
		cli_warn(a->prog, "could not delete the run's keys under %s: %s; delete them with 'sess-bench cleanup %s'",
			 a->cfg.prefix, err.msg, a->cfg.prefix + 10);
	cJSON_AddNumberToObject(c, "deleted", (double)deleted);
}

static int cmd_scenario(struct cli_app *a, void *opts_v, int argc, char **argv)
{
	struct sb_opts *o = opts_v;
	struct sb_scn scn;
	struct sb_result res;
	struct sb_info ibefore, iafter;  /* one INFO per master each (server.c) */
	struct sb_delta delta;
	struct sb_server_figures fig;
	int have_server = 0;
	cJSON *summary = NULL, *cap = NULL, *cmp = NULL, *nodes = NULL;
	char id[40];
	int rc, regressed = 0, old_keys = 0, human;

	(void)argc;
	(void)argv;
	memset(&ibefore, 0, sizeof ibefore);
	memset(&iafter, 0, sizeof iafter);
	memset(&delta, 0, sizeof delta);
	if ((rc = sb_flags(a, o)))
		return rc;
	human = sb_human_mode(a, o); /* a terminal: the report people read (human.c) */
	if (o->duration && o->requests)
		return cli_usage_error(a, "--requests and --duration both given; a run ends by one of them");
	if (!o->duration && !o->requests)
		o->requests = 100000;
	if (o->compare && sb_baseline_check(o->compare, a->cmd->name, &old_keys, &a->err))
		return cli_app_fail(a);
	if (old_keys) /* once: compare and --svg read it again, silently */
		cli_warn(a->prog, "the baseline %s has the old key names (latency_ms, runtime_s ...): "
			 "read for this release only; save a new baseline (sess-bench %s ... > %s)",
			 o->compare, a->cmd->name, o->compare);
	if (sb_pictures_check(o, &a->err))
		return cli_app_fail(a);
	if ((rc = cli_connect(a)))
		return rc;
	if ((rc = sb_run_prefix(a, o, id, sizeof id)))
		return rc;
	if (sb_scn_init(&scn, a->cmd->name, o, &a->cfg, &a->err))
		return cli_app_fail(a);
	if (human ? sb_human_run_line(&a->out, id, a->cfg.prefix) : !o->quiet && !o->csv && run_line(a, id)) {
		sb_scn_free(&scn);
		return 0;
	}
	cli_catch_stop_signals();
	if (sb_scn_setup(&scn, &a->ctx, &a->err) || sb_nodes_setup(&scn, &a->conn, &a->err))
		goto fail_cleanup;
	/* the server's side: one INFO per master (server.c) for the summary,
	 * the per-master line and --capacity; a server that will not say
	 * (INFO refused by an ACL) costs the figures, not the run, but for
	 * --capacity, which is nothing without them */
	if (sb_info_snap(&a->conn, &ibefore, &a->err)) {
		if (o->capacity)
			goto fail_cleanup;
		cli_warn(a->prog, "no server time per operation: %s", a->err.msg);
		sess_err_clear(&a->err);
	} else {
		have_server = 1;
	}
	if (sb_run(&scn, &a->cfg, !o->interval ? NULL : o->quiet || o->csv || human ? on_status : on_interval,
		   a, &res, &a->err)) {
		if (isatty(STDERR_FILENO))
			fputs("\r\033[K", stderr);
		fprintf(stderr, "%s %s: %s; is redis-server running? no summary; the run's keys under %s may remain (sess-bench cleanup %s)\n",
			a->prog, scn.name, a->err.msg, a->cfg.prefix, id);
		free(res.node_stats);
		sb_scn_free(&scn);
		sb_info_free(&ibefore);
		return sess_err_exit_code(a->err.cls);
	}
	if (o->interval && isatty(STDERR_FILENO))
		fputs("\r\033[K", stderr);
	sb_nodes_remap(&scn, &a->conn); /* slots moved mid-run: where they are now */
	if (have_server && (sb_info_snap(&a->conn, &iafter, &a->err) ||
			    sb_info_delta(&ibefore, &iafter, &delta))) {
		if (!a->err.cls)
			sess_err_set(&a->err, SESS_E_INTERNAL, NULL, "out of memory");
		if (o->capacity)
			goto fail_run;
		cli_warn(a->prog, "no server time per operation: %s", a->err.msg);
		sess_err_clear(&a->err);
		have_server = 0;
	}
	nodes = sb_nodes_json(&scn, &res, have_server ? &ibefore : NULL, have_server ? &iafter : NULL);
	if (have_server)
		sb_server_figures(&scn, &res, &delta, &fig);
	if (o->capacity &&
	    sb_capacity(&a->ctx, &scn, &res, &delta, &ibefore, &iafter, &cap, &a->err))
		goto fail_run;
	free(res.node_stats);
	res.node_stats = NULL;
	sb_info_free(&ibefore);
	sb_info_free(&iafter);
	summary = sb_summary_json(&scn, &res, a->cfg.prefix);
	if (have_server) {
		cJSON *ops = cJSON_GetObjectItemCaseSensitive(summary, "ops");
		if (fig.op >= 0 && fig.ops > 0)
			cJSON_AddNumberToObject(cJSON_GetObjectItemCaseSensitive(ops, sb_op_names[fig.op]),
						"serverUsecPerOp", (double)(long long)(fig.usec_per_op * 1000 + 0.5) / 1000);
		cJSON_AddItemToObject(summary, "server", sb_server_json(&delta, &fig));
	}
	sb_delta_free(&delta);
	cleanup(a, o, summary);
	if (o->compare && sb_compare(summary, o->compare, (double)o->max_regression, &cmp, &regressed,
				     &a->err)) {
		cJSON_Delete(summary);
		cJSON_Delete(cap);
		cJSON_Delete(nodes);
		sb_scn_free(&scn);
		return cli_app_fail(a);
	}
	if (o->quiet || o->csv)
		sb_quiet_lines(&a->out, &res, o->csv, have_server ? &fig : NULL);
	else if (human)
		sb_human_summary(&a->out, &scn, &res, have_server ? &fig : NULL, summary);
	else
		cli_out_json(&a->out, summary);
	cJSON_Delete(summary);
	if (nodes) { /* a cluster: each master's share */
		if (!o->quiet && !o->csv)
			cli_out_json(&a->out, nodes);
		cJSON_Delete(nodes);
	}
	if (cap) {
		cli_out_json(&a->out, cap);
		cJSON_Delete(cap);
	}
	if (cmp) {
		if (human)
			sb_human_compare(&a->out, cmp);
		else
			cli_out_json(&a->out, cmp);
		cJSON_Delete(cmp);
		if (regressed)
			fprintf(stderr, "%s %s: slower than the baseline %s by more than %ld%%; see the %s\n",
				a->prog, scn.name, o->compare, o->max_regression,
				human ? "verdict above" : "\"compare\" line");
	}
	/* after the lines: a picture that cannot be written loses no number */
	if ((o->hgrm || o->svg) && sb_pictures_write(&scn, &res, &a->err)) {
		sb_scn_free(&scn);
		return cli_app_fail(a);
	}
	sb_scn_free(&scn);
	if (res.interrupted)
		return cli_signal_exit();
	return regressed ? 1 : 0;

fail_run:
	free(res.node_stats);
	cJSON_Delete(nodes);
fail_cleanup:
	sb_info_free(&ibefore);
	sb_info_free(&iafter);
	sb_delta_free(&delta);
	rc = cli_app_fail(a);
	cleanup(a, o, NULL);
	sb_scn_free(&scn);
	return rc;
}

#define SCN(n, sum) \
	{.name = n, .synopsis = "", \
	 .summary = sum, .opts = opts, .opts_size = sizeof(struct sb_opts), .defaults = &defaults, \
	 .own_common = 1, /* -c clients, -n requests: redis-benchmark's letters */ \
	 .run = cmd_scenario}

const struct cli_cmd bench_cmd_create =
	SCN("create", "create sessions, --batch of them per operation");
const struct cli_cmd bench_cmd_emit = SCN("emit", "append events to --sessions sessions");
const struct cli_cmd bench_cmd_get = SCN("get", "read sessions as sessctl get does");
const struct cli_cmd bench_cmd_list =
	SCN("list", "read a page of the session index and its rows");
const struct cli_cmd bench_cmd_checkpoint = SCN("checkpoint", "take checkpoints");
const struct cli_cmd bench_cmd_join_leave =
	SCN("join-leave", "agents join a session and leave it again");
const struct cli_cmd bench_cmd_mixed =
	SCN("mixed", "simulated users: --ratio of emit, get, checkpoint, list, with --think");
const struct cli_cmd bench_cmd_agents =
	SCN("agents", "--clients agents sharing --sessions sessions: join, emit --events, leave");
