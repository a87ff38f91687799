/* sessctl.h - what sessctl's files share: the command entries (one
 * cmd_NAME.c each: its options, their table, its run function) that
 * main.c lists, and the helpers several commands use. */
#ifndef SESSCTL_H
#define SESSCTL_H

#include "cli/cli.h"
#include "core/session/view.h"
#include "core/session/listen.h"

/* The commands, in --help's order (main.c lists them). */
extern const struct cli_cmd sessctl_cmd_create, sessctl_cmd_join, sessctl_cmd_leave,
	sessctl_cmd_emit, sessctl_cmd_get, sessctl_cmd_events, sessctl_cmd_watch,
	sessctl_cmd_list, sessctl_cmd_agents, sessctl_cmd_checkpoint,
	sessctl_cmd_checkpoints, sessctl_cmd_top, sessctl_cmd_complete, sessctl_cmd_touch,
	sessctl_cmd_delete, sessctl_cmd_batch, sessctl_cmd_stats, sessctl_cmd_shell,
	sessctl_cmd_maintenance, sessctl_cmd_upgrade;

/* The tool (main.c), for the shell. */
extern const struct cli_tool sessctl_tool;

/* Durable writes (durable.c): WAIT for the replicas --wait-replicas asks
 * (nothing when it is 0). 0, or -1 with a->err (not_durable: the message
 * ends with hint, what to do) and *out (if out) freed and NULL. */
#define SESSCTL_HINT_WRITE "the write may have been applied: check the session (sessctl get) before re-running"
int sessctl_durable(struct cli_app *a, const char *hint, cJSON **out);

/* One-session ops (idops.c), in the cli_id_op shape: print an op's result
 * out (rc 0) or return -1 (rc not 0, a->err says why); the written form
 * waits for the replicas first (sessctl_durable). */
int sessctl_print_result(struct cli_app *a, int rc, cJSON *out);
int sessctl_print_written(struct cli_app *a, int rc, cJSON *out);

/* ID|- AGENT (join, leave): check the agent id argv[1], then op for each id
 * (cli_run_ids) with the agent as its argument. Returns the exit code. */
int sessctl_with_agent(struct cli_app *a, char **argv, cli_id_op op);

/* Listings (listing.c). What list and checkpoint --all could not take (a
 * session of a layout this build does not know): each named on stderr and
 * skipped, so one bad session hides no other; exit is the worst one's. */
struct sessctl_skipped {
	struct cli_app *a;
	const char *what;
	long n;
	int exit;
};
void sessctl_skipped_one(struct sessctl_skipped *sk, const char *id,
			 const struct sess_err *why);

/* list and agents: check lo's state and agent, connect and print the
 * rows. Returns the exit code. */
int sessctl_list(struct cli_app *a, const struct sess_list_opts *lo);

/* Live connections (live.c), for events --follow and watch. Reopen conn
 * after a failure, with backoff 0.25 s doubling to 10 s, saying so on
 * stderr: 0, or -1 once a stop signal came. */
int sessctl_reconnect(struct cli_app *a, struct sess_conn *conn, const char *why);

/* On a cluster (session/listen.h): open l on a->conn for sessions
 * ids[0..n-1] (n 0: every session); after a failure (why) close it first
 * and open it again with the same backoff, saying so on stderr. 0, or -1
 * with a->err (a refusal: the ACL, Redis before 7.0) or once a stop
 * signal came (a->err untouched). */
int sessctl_listen(struct cli_app *a, struct sess_listen *l, int n, const char *const *ids,
		   const char *why);

/* Send cmd (SUBSCRIBE, PSUBSCRIBE) for n channels (at most 63). */
int sessctl_subscribe(struct sess_conn *c, const char *cmd, int n, const char **chans,
		      struct sess_err *err);

#endif
