/* sessctl checkpoint: take a checkpoint of sessions (ID, - or --all: every
 * session not completed, the seeds' graceful shutdown), or print one
 * (checkpoint show ID N). */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/model/keys.h"
#include "core/model/limits.h"
#include "sessctl.h"

struct checkpoint_opts {
	const char *reason;
	int all;
};

static const struct cli_opt checkpoint_o[] = {
	CLI_STR("reason", 0, "TEXT", "recorded with the checkpoint (default manual)",
		struct checkpoint_opts, reason, NULL),
	CLI_FLAG("all", 0, "every session that is not completed (graceful\n"
		 "                         shutdown); progress on stderr on a terminal",
		 struct checkpoint_opts, all),
	CLI_END};
static const struct checkpoint_opts checkpoint_d = {"manual", 0};

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
	struct sessctl_skipped sk;
};

static void page_skip(const char *id, const struct sess_err *why, void *p)
{
	struct idpage *pg = p;

	sessctl_skipped_one(&pg->sk, id, why);
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
				sessctl_skipped_one(&pg.sk, pg.ids[i], &a->err); /* this one's data: the others go on */
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

static int cmd_checkpoint(struct cli_app *a, void *opts, int argc, char **argv)
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

const struct cli_cmd sessctl_cmd_checkpoint = {
	.name = "checkpoint", .synopsis = "ID|-|--all | checkpoint show ID N",
	.summary = "take a checkpoint, or print one",
	.opts = checkpoint_o, .opts_size = sizeof(struct checkpoint_opts), .defaults = &checkpoint_d,
	.npos_max = 3, .complete = CLI_COMPLETE_SESSION, .id_arg = 1, .run = cmd_checkpoint};
