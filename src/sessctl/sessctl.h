/* sessctl.h - what sessctl's command files share: each command's options
 * struct (filled from the tables in main.c) and its run function. */
#ifndef SESSCTL_H
#define SESSCTL_H

#include "cli/cli.h"

struct create_opts {
	const char *agent, *id, *metadata;
	long ttl;
};

struct touch_opts {
	long ttl;
};

struct get_opts {
	int events;
};

struct emit_opts {
	const char *actor, *type, *change, *transition, *impact, *event_id, *event;
	long expect_seq; /* -1: not given */
};

struct events_opts {
	long from, to, limit;
	int follow;
};

struct list_opts {
	const char *agent, *state;
	long limit, cursor;
};

struct checkpoint_opts {
	const char *reason;
	int all;
};

struct batch_opts {
	long pipeline, group;
	int fail_fast;
};

struct maintenance_opts {
	int dry_run, no_trim;
};

struct upgrade_opts {
	int dry_run, check;
};

struct shell_opts {
	int fail_fast;
};

/* Durable writes (durable.c): WAIT for the replicas --wait-replicas asks
 * (nothing when it is 0). 0, or -1 with a->err (not_durable: the message
 * ends with hint, what to do) and *out (if out) freed and NULL. */
#define SESSCTL_HINT_WRITE "the write may have been applied: check the session (sessctl get) before re-running"
int sessctl_durable(struct cli_app *a, const char *hint, cJSON **out);

/* The command table (main.c), for the shell. */
extern const struct cli_tool sessctl_tool;

/* commands: run functions of the table's entries */
int cmd_create(struct cli_app *, void *, int, char **);
int cmd_join(struct cli_app *, void *, int, char **);
int cmd_leave(struct cli_app *, void *, int, char **);
int cmd_complete(struct cli_app *, void *, int, char **);
int cmd_delete(struct cli_app *, void *, int, char **);
int cmd_touch(struct cli_app *, void *, int, char **);
int cmd_get(struct cli_app *, void *, int, char **);
int cmd_emit(struct cli_app *, void *, int, char **);
int cmd_events(struct cli_app *, void *, int, char **);
int cmd_list(struct cli_app *, void *, int, char **);
int cmd_agents(struct cli_app *, void *, int, char **);
int cmd_checkpoint(struct cli_app *, void *, int, char **);
int cmd_checkpoints(struct cli_app *, void *, int, char **);
int cmd_stats(struct cli_app *, void *, int, char **);
int cmd_batch(struct cli_app *, void *, int, char **);
int cmd_watch(struct cli_app *, void *, int, char **);
int cmd_shell(struct cli_app *, void *, int, char **);
int cmd_maintenance(struct cli_app *, void *, int, char **);
int cmd_upgrade(struct cli_app *, void *, int, char **);

/* events ID --follow: print the log from seq from on, forever. */
int live_follow(struct cli_app *a, const char *id, long from);

#endif
