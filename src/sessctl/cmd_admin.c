/* Listing and upkeep: list, agents, checkpoint(s), stats, maintenance. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/model/keys.h"
#include "core/model/limits.h"
#include "sessctl.h"

/* What list and checkpoint --all could not take (a session of a layout
 * this build does not know): each named on stderr and skipped, so one bad
 * session hides no other; the exit code is the worst one's. */
struct skipped {
	struct cli_app *a;
	const char *what;
	long n;
	int exit;
};

static void skipped_one(struct skipped *sk, const char *id, const struct sess_err *why)
{
	int code = sess_err_exit_code(why->cls);

	fprintf(stderr, "%s: %s: skipped session %.*s: %s\n", sk->a->prog, sk->what, SESS_ID_MAX, id, why->msg);
	sk->n++;
	if (code > sk->exit)
		sk->exit = code;
}

static void list_skip(const char *id, const struct sess_err *why, void *p)
{
	skipped_one(p, id, why);
}

static int list_print(cJSON *row, void *p)
{
	struct skipped *sk = p;

	return cli_each_print(row, sk->a);
}

static int run_list(struct cli_app *a, struct list_opts *o, const char *agent)
{
	struct sess_list_opts lo = {agent ? agent : o->agent, o->state, o->limit, o->cursor};
	struct skipped sk = {a, "list", 0, 0};
	int rc;

	if (lo.state && !sess_state_valid(lo.state))
		return cli_usage_error(a, "--state must be working, broken or completed");
	if (lo.agent && sess_key_check_id(lo.agent, "agent id", &a->err))
		return cli_app_fail(a);
	if ((rc = cli_connect(a)))
		return rc;
	if (sess_list_skip(&a->ctx, &lo, list_print, list_skip, &sk, &a->err))
		return cli_app_fail(a);
	return sk.exit;
}

int cmd_list(struct cli_app *a, void *opts, int argc, char **argv)
{
	(void)argc;
	(void)argv;
	return run_list(a, opts, NULL);
}

int cmd_agents(struct cli_app *a, void *opts, int argc, char **argv)
{
	(void)argc;
	return run_list(a, opts, argv[0]);
}

static int op_checkpoint(struct cli_app *a, const char *id, void *p)
{
	struct checkpoint_opts *st = p;
	cJSON *out = NULL;

	if (sess_checkpoint(&a->ctx, id, st->reason, &out, &a->err) ||
	    sessctl_durable(a, SESSCTL_HINT_WRITE, &out))
		return -1;
	cli_print(a, out);
	return 0;
}

struct idpage {
	char (*ids)[SESS_ID_MAX + 1];
	long n, cursor;
	struct skipped sk;
};

static void page_skip(const char *id, const struct sess_err *why, void *p)
{
	struct idpage *pg = p;

	skipped_one(&pg->sk, id, why);
}

static int collect_active(cJSON *row, void *p)
{
	struct idpage *pg = p;
	const char *state = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(row, "state"));
	const char *cur = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(row, "cursor"));

	if (cur)
		pg->cursor = atol(cur);
	if (state && strcmp(state, "completed") != 0)
		snprintf(pg->ids[pg->n++], SESS_ID_MAX + 1, "%s",
			 cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(row, "id")));
	return 0;
}

/* The seeds' graceful-shutdown checkpointing phase: every session that is
 * not completed, a page of ids at a time (listing and checkpointing share
 * the connection, so a page is collected before it is worked through). */
static int checkpoint_all(struct cli_app *a, struct checkpoint_opts *st)
{
	enum { PAGE_IDS = 200 };
	struct idpage pg = {NULL, 0, 0, {a, "checkpoint --all", 0, 0}};
	struct sess_list_opts lo = {NULL, NULL, PAGE_IDS, 0};
	long total = 0, done = 0, skipped = 0, seen = 0, i;
	int rc;

	if ((rc = cli_connect(a)))
		return rc;
	if (sess_index_size(&a->ctx, &total, &a->err))
		return cli_app_fail(a);
	pg.ids = calloc(PAGE_IDS, sizeof *pg.ids);
	if (!pg.ids)
		return 70;
	cli_catch_stop_signals();
	for (;;) {
		pg.n = 0;
		lo.cursor = pg.cursor;
		if (sess_list_skip(&a->ctx, &lo, collect_active, page_skip, &pg, &a->err)) {
			cli_progress("checkpoint", total, total);
			free(pg.ids);
			return cli_app_fail(a);
		}
		if (pg.cursor == lo.cursor)
			break; /* no more rows */
		seen = pg.cursor;
		for (i = 0; i < pg.n && !cli_stop_signal() && !a->out.closed; i++) {
			if (op_checkpoint(a, pg.ids[i], st) == 0)
				done++;
			else if (a->err.cls == SESS_E_NEGATIVE)
				skipped++; /* expired or deleted meanwhile */
			else if (a->err.cls == SESS_E_DATA || a->err.cls == SESS_E_CONFIG)
				skipped_one(&pg.sk, pg.ids[i], &a->err); /* this one's data: the others go on */
			else {
				cli_progress("checkpoint", total, total);
				free(pg.ids);
				return cli_app_fail(a);
			}
			cli_progress("checkpoint", seen - pg.n + i + 1, total);
		}
		if (cli_stop_signal() || a->out.closed)
			break;
	}
	cli_progress("checkpoint", total, total);
	free(pg.ids);
	if (cli_stop_signal()) {
		fprintf(stderr, "%s: interrupted: %ld sessions checkpointed, stopped after index entry %ld of %ld; run again to cover the rest\n",
			a->prog, done, seen, total);
		return cli_signal_exit();
	}
	if (isatty(STDERR_FILENO) || pg.sk.n)
		fprintf(stderr, "%s: %ld sessions checkpointed, %ld gone meanwhile, %ld skipped (named above)\n",
			a->prog, done, skipped, pg.sk.n);
	return pg.sk.exit;
}

int cmd_checkpoint(struct cli_app *a, void *opts, int argc, char **argv)
{
	struct checkpoint_opts *st = opts;
	cJSON *out = NULL;
	long number;
	int rc;

	if (sess_check_reason(st->reason, "--reason", &a->err))
		return cli_usage_error(a, "%s", a->err.msg);
	if (st->all) {
		if (argc)
			return cli_usage_error(a, "--all takes no session id");
		return checkpoint_all(a, st);
	}
	if (argc == 0)
		return cli_usage_error(a, "expects a session id, - for ids on stdin, or --all");
	if (!strcmp(argv[0], "show")) {
		if (argc != 3)
			return cli_usage_error(a, "'checkpoint show' expects ID N");
		if (sess_key_check_id(argv[1], "session id", &a->err))
			return cli_app_fail(a);
		if (sess_parse_long(argv[2], 1, 1L << 40, "checkpoint number",
				    SESS_E_USAGE, &number, &a->err))
			return cli_usage_error(a, "%s", a->err.msg);
		if ((rc = cli_connect(a)))
			return rc;
		if (sess_checkpoint_show(&a->ctx, argv[1], number, &out, &a->err))
			return cli_app_fail(a);
		return cli_print(a, out);
	}
	if (argc != 1)
		return cli_usage_error(a, "expects one session id");
	return cli_run_ids(a, argv[0], op_checkpoint, st);
}

static int op_checkpoints(struct cli_app *a, const char *id, void *unused)
{
	(void)unused;
	return sess_checkpoints(&a->ctx, id, cli_each_print, a, &a->err);
}

int cmd_checkpoints(struct cli_app *a, void *opts, int argc, char **argv)
{
	(void)opts;
	(void)argc;
	return cli_run_ids(a, argv[0], op_checkpoints, NULL);
}

int cmd_stats(struct cli_app *a, void *opts, int argc, char **argv)
{
	cJSON *out = NULL;
	int rc;

	(void)opts;
	(void)argc;
	(void)argv;
	if ((rc = cli_connect(a)))
		return rc;
	if (sess_stats(&a->ctx, &out, &a->err))
		return cli_app_fail(a);
	return cli_print(a, out);
}

int cmd_maintenance(struct cli_app *a, void *opts, int argc, char **argv)
{
	struct maintenance_opts *o = opts;
	struct sess_maint_opts mo = {o->dry_run, o->no_trim};
	cJSON *out = NULL;
	int rc;

	(void)argc;
	(void)argv;
	if ((rc = cli_connect(a)))
		return rc;
	if (sess_maintenance(&a->ctx, &mo, &out, &a->err))
		return cli_app_fail(a);
	return cli_print(a, out);
}

int cmd_upgrade(struct cli_app *a, void *opts, int argc, char **argv)
{
	struct upgrade_opts *o = opts;
	struct sess_upgrade_opts uo = {o->dry_run || o->check};
	cJSON *out = NULL;
	long pending = 0;
	int rc;

	(void)argc;
	(void)argv;
	if ((rc = cli_connect(a)))
		return rc;
	if (sess_upgrade(&a->ctx, &uo, &out, &pending, &a->err))
		return cli_app_fail(a);
	cli_print(a, out);
	return o->check && pending > 0 ? 1 : 0;
}
