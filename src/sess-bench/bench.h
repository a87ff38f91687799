/* bench.h - sess-bench's parts and the contracts between them:
 *   scenario.c  what each scenario sends: session setup, the next
 *               operation of a client, as the core lays commands out
 *   engine.c    the load generator: threads, each a poll loop over many
 *               non-blocking connections, pipelining, open-loop rates,
 *               latency histograms per operation, errors by kind
 *   report.c    interval lines, the summary, --compare, the live status
 *   pictures.c  --hgrm and --svg: the histograms as files (plot.c draws)
 *   capacity.c  --capacity (server costs and memory per session) and the
 *               cleanup of the run's prefix
 *   nodes.c     a Redis Cluster: clients bound to masters, sessions by
 *               master, the per-node line (ops, latency, server time)
 *   server.c    INFO of every master before and after the run (one
 *               snapshot each, read once, feeding the summary's "server",
 *               the per-node line and --capacity), the server's time per
 *               operation
 *   prefix.c    the run's prefix sessbench:ID (scenario runs, cleanup)
 *   flags.c     redis-benchmark's letters: the old ones they took over,
 *               -q's and --csv's lines
 *   cmd_scenario.c  the scenario commands: their options, their run
 *   cmd_cleanup.c   cleanup ID
 *   main.c      the list of commands
 */
#ifndef SESS_BENCH_H
#define SESS_BENCH_H

#include <hiredis/hiredis.h>
#include <pthread.h>
#include <stdint.h>

#include "cli/cli.h"
#include "sess-bench/hist.h"

/* Operations measured, each with its own histogram. */
enum sb_op { SB_CREATE, SB_EMIT, SB_GET, SB_LIST, SB_CHECKPOINT, SB_JOIN, SB_LEAVE, SB_NOPS };
extern const char *const sb_op_names[SB_NOPS];

/* The options every scenario takes (cmd_scenario.c's table fills it). */
struct sb_opts {
	long clients, pipeline, requests, duration, warmup, sessions, payload, seed;
	long rate, threads, batch, think, interval, events, target_ms, session_rate;
	long max_regression;
	const char *ratios, *compare, *run_id, *hgrm, *svg;
	int keep, capacity;
	int quiet, csv;              /* -q, --csv: redis-benchmark's lines */
	const char *clients_arg;     /* -c: N, or the old -c FILE (flags.c) */
	const char *old_clients, *old_requests; /* -C, -N: the old letters */
};

/* ---- scenario.c ---- */

#define SB_LIST_PAGE 50 /* rows per list: a page a user would read */

/* A cluster's master (nodes.c): the sessions whose slots it serves, and
 * its part of a list (nodes.c says what that is), built once. */
struct sb_node {
	struct sess_endpoint ep;
	long *sess;                  /* indexes into ids (owned) */
	long nsess;
	char *list_cmd;              /* list: its commands, wire format (owned) */
	size_t list_len;
	int list_slots, list_tags, list_rows; /* EXISTS, ZRANGE, HMGET in it */
};

struct sb_scn {
	const char *name;            /* "emit", ... */
	const struct sb_opts *o;
	const struct sess_config *cfg;
	int ratio[SB_NOPS];          /* mixed: weights; sum in ratio_sum */
	int ratio_sum;
	long think_ns;               /* mean think time between a client's ops */
	char (*ids)[24];             /* the sessions set up, o->sessions of them */
	char **emit_cmd;             /* emit: each session's command, formatted */
	size_t *emit_len;
	char *event_json;            /* the event every emit sends */
	int per_slot;                /* a cluster: each session's companions are its slot's */
	struct sb_node *nodes;       /* a cluster: its masters (nodes.c), else NULL */
	int nnodes;
	short *slot_master;          /* a cluster: slot -> index into nodes (owned),
				      * -1 a master not in nodes; corrected by
				      * each MOVED mid-run (atomic stores) */
	short *slot_master0;         /* the map at the start (owned) */
	short *id_slot;              /* each session's slot (owned) */
	int moved;                   /* a MOVED was heard: slots moved (atomic) */
	int scripts;                 /* enum sess_script_mode the setup chose (the clients' too) */
};

/* Per client: its random state and where it is in its cycle. */
struct sb_client {
	uint64_t rng;
	int thread, index;           /* index: global client number */
	long made;                   /* operations started */
	int phase, sess;             /* agents/join-leave: cycle position */
	int node;                    /* a cluster: the master it is bound to */
	char agent[32];
};

/* Check the scenario's options (name is the command's); usage problems
 * are SESS_E_USAGE naming the option and the fix. */
int sb_scn_init(struct sb_scn *s, const char *name, const struct sb_opts *o,
		const struct sess_config *cfg, struct sess_err *err);
/* Untimed: load the scripts, create the sessions, build fixed commands. */
int sb_scn_setup(struct sb_scn *s, struct sess_ctx *ctx, struct sess_err *err);
void sb_scn_free(struct sb_scn *s);
void sb_client_init(struct sb_client *c, const struct sb_scn *s, int thread, int index);
/* Queue client c's next operation on conn (sess_conn_append: no I/O).
 * Returns its op and sets *nreplies (replies it waits for), or -1 out of
 * memory. */
int sb_scn_next(struct sb_scn *s, struct sb_client *c, struct sess_conn *conn, int *nreplies);
uint64_t sb_rand(uint64_t *state);

/* ---- engine.c ---- */

#define SB_KINDS 16
struct sb_stats {
	struct sess_hist hist[SB_NOPS];  /* latency of ops that succeeded, ns */
	uint64_t errors[SB_NOPS];
	struct { char kind[SESS_ERR_KIND_MAX]; uint64_t n; } kinds[SB_KINDS];
	int nkinds;
	/* operations a master redirected (a cluster's slots moving mid-run:
	 * MOVED, ASK, TRYAGAIN): not run there, neither ok nor errors, and
	 * not counted towards --requests (nodes.c) */
	uint64_t moved, ask, tryagain;
	uint64_t done;                   /* every op completed, warmup too: the
					  * per-master stats' (engine.c), which
					  * their server time is divided by */
};
void sb_stats_init(struct sb_stats *st);
void sb_stats_merge(struct sb_stats *dst, const struct sb_stats *src);
void sb_stats_error(struct sb_stats *st, int op, const char *kind);
uint64_t sb_stats_count(const struct sb_stats *st, int op); /* ok + errors */

/* Called by the engine's main thread every interval with what completed
 * in it (t_s: seconds since measuring began; dt_s: the interval). */
typedef void (*sb_interval_fn)(const struct sb_stats *iv, double t_s, double dt_s, void *arg);

struct sb_result {
	struct sb_stats total;
	double elapsed_s;          /* measured part: warmup end to last reply */
	uint64_t all_ops;          /* every operation completed, warmup too */
	int interrupted;           /* SIGINT/SIGTERM stopped it early */
	int failovers;             /* +switch-master heard (through Sentinel) */
	long reconnects;           /* connections opened again after one */
	struct sb_stats *node_stats; /* a cluster: per master (s->nnodes), the caller frees */
};

/* Run the scenario's load as the options say; connections are opened with
 * cfg. -1 with err when connecting failed or the server went away. */
int sb_run(struct sb_scn *s, const struct sess_config *cfg, sb_interval_fn each,
	   void *arg, struct sb_result *res, struct sess_err *err);
uint64_t sb_now_ns(void);

/* ---- report.c ---- */

cJSON *sb_interval_json(const struct sb_stats *iv, double t_s, double dt_s);
cJSON *sb_summary_json(const struct sb_scn *s, const struct sb_result *r, const char *prefix);
/* One line on stderr, rewritten in place (only when stderr is a terminal). */
void sb_status_line(const struct sb_stats *iv, double t_s, double dt_s);
/* Compare summary with the baseline file's summary: the verdict object
 * ("regressions": [...]); *regressed set. -1 with err: the file is
 * missing (SESS_E_NOINPUT) or not a sess-bench summary (SESS_E_DATA). */
/* The same checks before the run: the file has a summary of scenario;
 * *old (may be NULL) set when it has the old snake_case key names. */
int sb_baseline_check(const char *path, const char *scenario, int *old, struct sess_err *err);
/* The last summary line of a file of sess-bench output (the caller
 * deletes it), its keys under their names now: the old snake_case ones
 * (latency_ms, runtime_s, p99.9 ...) are read for one release and *old
 * (may be NULL) is set when there were any. -1 with err as sb_compare's. */
int sb_baseline_load(const char *path, cJSON **out, int *old, struct sess_err *err);
int sb_compare(const cJSON *summary, const char *path, double max_pct, cJSON **out,
	       int *regressed, struct sess_err *err);

/* ---- pictures.c ---- */

/* Before the run: --hgrm's directory and --svg's can be written in
 * (SESS_E_NOINPUT naming the path and the fix; SESS_E_USAGE for a name
 * that is no file). */
int sb_pictures_check(const struct sb_opts *o, struct sess_err *err);
/* After it: DIR/OP.hgrm for each operation with latencies, and the SVG
 * plot (with --compare, the baseline's lines beside); each file whole
 * or not at all. -1 with err (SESS_E_NOINPUT when writing failed). */
int sb_pictures_write(const struct sb_scn *s, const struct sb_result *r, struct sess_err *err);

/* ---- server.c ---- */

/* INFO of every master: each one's commands (INFO commandstats: calls and
 * usec, a script's own commands in their lines too) and its CPU. Start
 * zeroed; sb_info_free frees what it holds. */
struct sb_cmdstat { char name[48]; double calls, usec; };
struct sb_info_node {
	struct sess_endpoint ep;     /* the master's */
	struct sb_cmdstat *v;
	int n, cap;
	double cpu;                  /* used_cpu_sys + used_cpu_user, seconds */
	double used_memory, maxmemory, system_memory; /* bytes; NAN not said */
};
struct sb_info {
	struct sb_info_node *node;
	int n;                       /* masters asked */
	double t;                    /* when the replies were in, seconds (sb_now_ns) */
};
/* One INFO per master of c (all at once), each reply parsed once. 0, or
 * -1 with err (st then empty). */
int sb_info_snap(struct sess_conn *c, struct sb_info *st, struct sess_err *err);
void sb_info_free(struct sb_info *st);
/* The master at ep in st (st may be NULL), or NULL. */
const struct sb_info_node *sb_info_at(const struct sb_info *st, const struct sess_endpoint *ep);
/* What the run cost, summed over the masters: per command (name merged
 * across masters) and in all. sb_delta_free frees it. */
struct sb_delta {
	struct sb_cmdstat *v;
	int n, cap;
	int nodes;                   /* masters asked */
	double calls, usec, cpu;     /* every command's (scripts' inner ones twice) */
};
int sb_info_delta(const struct sb_info *before, const struct sb_info *after, struct sb_delta *d);
void sb_delta_free(struct sb_delta *d);
/* What the run cost the server: the commands the clients sent (script
 * calls and the operations' own plain commands; server.c says why), per
 * operation completed (warmup included: the snapshots bracket it all). */
struct sb_server_figures {
	int nodes;
	double ops, calls, usec, calls_per_op, usec_per_op;
	int op;                      /* the one kind of operation run, or <0 */
};
int sb_server_figures(const struct sb_scn *s, const struct sb_result *r, const struct sb_delta *d,
		      struct sb_server_figures *f);
/* 1 when command name (INFO's lower case) is one the run's clients send
 * themselves (script calls, the operations' plain commands), 0 when it is
 * a script's own or not the run's: what the figures sum, here and per
 * master (nodes.c). */
int sb_server_sent(const struct sb_scn *s, const struct sb_result *r, const char *name);
/* The summary's "server" object: the figures and every command's calls,
 * usec and usec per call (scripts' inner commands included there). */
cJSON *sb_server_json(const struct sb_delta *d, const struct sb_server_figures *f);

/* ---- capacity.c ---- */

/* The capacity plan from the run and the server's measured costs (d:
 * every command's calls and usec over the run, every master; before,
 * after: the masters' INFO around it, for each master's time and their
 * memory; on a cluster r->node_stats still held). */
int sb_capacity(struct sess_ctx *ctx, const struct sb_scn *s, const struct sb_result *r,
		const struct sb_delta *d, const struct sb_info *before, const struct sb_info *after,
		cJSON **out, struct sess_err *err);
/* Delete every key under prefix (our own run's); *deleted counts them. */
int sb_cleanup(struct sess_conn *c, const char *prefix, long *deleted, struct sess_err *err);

/* ---- nodes.c ---- */

/* After sb_scn_setup, on a cluster (s->per_slot): the masters, the
 * sessions each serves, clients spread over them, and each master's part
 * of a list (SESS_E_USAGE for too few sessions or clients to load every
 * master). Nothing on one server. */
int sb_nodes_setup(struct sb_scn *s, struct sess_conn *conn, struct sess_err *err);
/* create on a cluster: the id of client c's batch entry i, made to hash
 * to a slot of the client's master (into id, sz bytes). */
void sb_nodes_create_id(const struct sb_scn *s, const struct sb_client *c, long i, char *id,
			size_t sz);
/* The per-node line {"type":"nodes",...}; NULL on one server. Each
 * master's server time from its INFO before and after (NULL, or a master
 * missing from them: no "server" for it). */
cJSON *sb_nodes_json(const struct sb_scn *s, const struct sb_result *r,
		     const struct sb_info *before, const struct sb_info *after);
/* What the run's clients sent master i (the nodes line's "calls" and
 * "usec"), from its INFO before and after; -1 (zeros) when either
 * snapshot lacks it (or is NULL). */
int sb_nodes_sent(const struct sb_scn *s, const struct sb_result *r, const struct sb_info *before,
		  const struct sb_info *after, int i, double *calls, double *usec);
void sb_nodes_free(struct sb_scn *s);
/* An error reply of master `from` (an index into s->nodes; -1 unknown)
 * of a cluster: 1 MOVED (s->slot_master then maps its slot to the master
 * it names, an empty host being from's; -1 when that is no master of the
 * run's), 2 ASK, 3 TRYAGAIN; 0 another error. Thread-safe. */
int sb_nodes_redirected(struct sb_scn *s, const char *msg, int from);
/* A session of client c's master now (slots may have moved: then a
 * session is drawn among all until one is on it); an index into ids. */
long sb_nodes_pick(const struct sb_scn *s, struct sb_client *c);
/* After a run that heard MOVED: the slot map read again from the cluster
 * (conn, the setup's cluster conn), so the nodes line's slotsGained and
 * slotsLost are the moves made, not only those the run met. Best effort:
 * a map that cannot be read leaves what the MOVED replies said. */
void sb_nodes_remap(struct sb_scn *s, struct sess_conn *conn);
/* UNLINK the keys of a SCAN page on a cluster conn c: one command a key,
 * pipelined (they live in many slots); *deleted counts them. */
int sb_nodes_unlink(struct sess_conn *c, const redisReply *page, long *deleted,
		    struct sess_err *err);

/* ---- prefix.c ---- */

/* The run's prefix: sessbench:ID in a->cfg.prefix, ID (o->run_id, or a
 * new one) in id. 0, or the usage exit code after saying why. */
int sb_run_prefix(struct cli_app *a, const struct sb_opts *o, char *id, size_t idsz);

/* ---- flags.c ---- */

/* After parsing: -c's value (clients, or an existing file: the old
 * --config letter, warned and read so), -C and -N (warned), and what -q
 * and --csv rule out. 0, or the usage exit code after saying why. */
int sb_flags(struct cli_app *a, struct sb_opts *o);
/* -q's line per operation, or (csv) --csv's header and rows, as
 * redis-benchmark 7 prints them, with the server's time per operation
 * after (f; NULL: none); 1 when stdout is gone. */
int sb_quiet_lines(struct cli_out *out, const struct sb_result *r, int csv,
		   const struct sb_server_figures *f);

/* ---- human.c ---- */

/* The report on a terminal: stdout a terminal, no --json, -q nor --csv. */
int sb_human_mode(const struct cli_app *a, const struct sb_opts *o);
/* The first line: the run's id and how to clean up after a killed run. */
int sb_human_run_line(struct cli_out *out, const char *id, const char *prefix);
/* The summary as a table: a row per operation (ops, ops/s, errors,
 * latency avg, p50, p95, p99, p99.9, max in ms, the server's usec per
 * operation when f has it), the total row, the error kinds, the keys
 * deleted (summary's "cleanup"). The --compare verdict in words (cmp is
 * sb_compare's object). Each returns 1 when stdout is gone. */
int sb_human_summary(struct cli_out *out, const struct sb_scn *s, const struct sb_result *r,
		     const struct sb_server_figures *f, const cJSON *summary);
int sb_human_compare(struct cli_out *out, const cJSON *cmp);

/* ---- the commands, in --help's order (main.c lists them) ---- */
extern const struct cli_cmd bench_cmd_create, bench_cmd_emit, bench_cmd_get, bench_cmd_list,
	bench_cmd_checkpoint, bench_cmd_join_leave, bench_cmd_mixed, bench_cmd_agents, bench_cmd_cleanup;

#endif
