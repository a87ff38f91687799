/* Listing and upkeep: list, agents, checkpoint(s), stats, maintenance. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/limits.h"
#include "sessctl.h"

static int list_opt(struct app *a, int opt, const char *arg, void *p)
{
	struct sess_list_opts *o = p;

	switch (opt) {
	case 'a': o->agent = arg; return 0;
	case 'S': o->state = arg; return 0;
	case 'l':
	case 'K':
		if (sess_parse_long(arg, opt == 'l' ? 1 : 0, 1L << 40,
				    opt == 'l' ? "--limit" : "--cursor", SESS_E_USAGE,
				    opt == 'l' ? &o->limit : &o->cursor, &a->err))
			return fprintf(stderr, "%s: %s\n", a->prog, a->err.msg), 64;
		return 0;
	}
	return 70;
}

static int run_list(struct app *a, const char *name, int argc, char **argv, int agent_arg)
{
	static const struct option o[] = {
		{"agent", required_argument, NULL, 'a'},
		{"state", required_argument, NULL, 'S'},
		{"limit", required_argument, NULL, 'l'},
		{"cursor", required_argument, NULL, 'K'},
		{NULL, 0, NULL, 0}};
	const struct cmd *c = sessctl_find(name);
	struct sess_list_opts lo = {NULL, NULL, 0, 0};
	int first, rc;

	if ((rc = app_parse(a, c, argc, argv, agent_arg ? "l:" : "a:l:",
			    agent_arg ? o + 2 : o, list_opt, &lo, agent_arg, agent_arg, &first)))
		return rc;
	if (agent_arg)
		lo.agent = argv[first];
	if (lo.state && !sess_state_valid(lo.state))
		return app_usage(a, c, "--state must be working, broken or completed");
	if (lo.agent && sess_key_check_id(lo.agent, "agent id", &a->err))
		return app_fail(a);
	if ((rc = app_connect(a)))
		return rc;
	if (sess_list(&a->ctx, &lo, app_each_print, a, &a->err))
		return app_fail(a);
	return 0;
}

int cmd_list(struct app *a, int argc, char **argv)
{
	return run_list(a, "list", argc, argv, 0);
}

int cmd_agents(struct app *a, int argc, char **argv)
{
	return run_list(a, "agents", argc, argv, 1);
}

struct cp_st {
	const char *reason;
	int all;
};

static int cp_opt(struct app *a, int opt, const char *arg, void *p)
{
	struct cp_st *st = p;

	(void)a;
	if (opt == 'A')
		st->all = 1;
	else
		st->reason = arg;
	return 0;
}

static int op_checkpoint(struct app *a, const char *id, void *p)
{
	struct cp_st *st = p;
	cJSON *out = NULL;

	if (sess_checkpoint(&a->ctx, id, st->reason, &out, &a->err))
		return -1;
	app_print(a, out);
	return 0;
}

struct idpage {
	char (*ids)[SESS_ID_MAX + 1];
	long n, cursor;
};

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
static int checkpoint_all(struct app *a, struct cp_st *st)
{
	enum { PAGE_IDS = 200 };
	struct idpage pg = {NULL, 0, 0};
	struct sess_list_opts lo = {NULL, NULL, PAGE_IDS, 0};
	long total = 0, done = 0, skipped = 0, seen = 0, i;
	int rc;

	if ((rc = app_connect(a)))
		return rc;
	if (sess_index_size(&a->ctx, &total, &a->err))
		return app_fail(a);
	pg.ids = calloc(PAGE_IDS, sizeof *pg.ids);
	if (!pg.ids)
		return 70;
	cli_catch_stop_signals();
	for (;;) {
		pg.n = 0;
		lo.cursor = pg.cursor;
		if (sess_list(&a->ctx, &lo, collect_active, &pg, &a->err)) {
			cli_progress("checkpoint", total, total);
			free(pg.ids);
			return app_fail(a);
		}
		if (pg.cursor == lo.cursor)
			break; /* no more rows */
		seen = pg.cursor;
		for (i = 0; i < pg.n && !cli_stop_signal() && !a->out.closed; i++) {
			if (op_checkpoint(a, pg.ids[i], st) == 0)
				done++;
			else if (a->err.cls == SESS_E_NEGATIVE)
				skipped++; /* expired or deleted meanwhile */
			else {
				cli_progress("checkpoint", total, total);
				free(pg.ids);
				return app_fail(a);
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
	if (isatty(STDERR_FILENO))
		fprintf(stderr, "%s: %ld sessions checkpointed, %ld gone meanwhile\n", a->prog, done, skipped);
	return 0;
}

int cmd_checkpoint(struct app *a, int argc, char **argv)
{
	static const struct option o[] = {
		{"reason", required_argument, NULL, 'R'},
		{"all", no_argument, NULL, 'A'},
		{NULL, 0, NULL, 0}};
	const struct cmd *c = sessctl_find("checkpoint");
	struct cp_st st = {"manual", 0};
	cJSON *out = NULL;
	int first, rc, npos;
	long number;

	if ((rc = app_parse(a, c, argc, argv, "", o, cp_opt, &st, 0, 3, &first)))
		return rc;
	npos = argc - first;
	if (sess_check_reason(st.reason, "--reason", &a->err))
		return app_usage(a, c, "%s", a->err.msg);
	if (st.all) {
		if (npos)
			return app_usage(a, c, "--all takes no session id");
		return checkpoint_all(a, &st);
	}
	if (npos == 0)
		return app_usage(a, c, "expects a session id, - for ids on stdin, or --all");
	if (!strcmp(argv[first], "show")) {
		if (npos != 3)
			return app_usage(a, c, "'checkpoint show' expects ID N");
		if (sess_key_check_id(argv[first + 1], "session id", &a->err))
			return app_fail(a);
		if (sess_parse_long(argv[first + 2], 1, 1L << 40, "checkpoint number",
				    SESS_E_USAGE, &number, &a->err))
			return app_usage(a, c, "%s", a->err.msg);
		if ((rc = app_connect(a)))
			return rc;
		if (sess_checkpoint_show(&a->ctx, argv[first + 1], number, &out, &a->err))
			return app_fail(a);
		return app_print(a, out);
	}
	if (npos != 1)
		return app_usage(a, c, "expects one session id");
	return app_run_ids(a, argv[first], op_checkpoint, &st);
}

static int op_checkpoints(struct app *a, const char *id, void *unused)
{
	(void)unused;
	return sess_checkpoints(&a->ctx, id, app_each_print, a, &a->err);
}

int cmd_checkpoints(struct app *a, int argc, char **argv)
{
	const struct cmd *c = sessctl_find("checkpoints");
	int first, rc;

	if ((rc = app_parse(a, c, argc, argv, "", NULL, NULL, NULL, 1, 1, &first)))
		return rc;
	return app_run_ids(a, argv[first], op_checkpoints, NULL);
}

int cmd_stats(struct app *a, int argc, char **argv)
{
	const struct cmd *c = sessctl_find("stats");
	cJSON *out = NULL;
	int first, rc;

	if ((rc = app_parse(a, c, argc, argv, "", NULL, NULL, NULL, 0, 0, &first)))
		return rc;
	if ((rc = app_connect(a)))
		return rc;
	if (sess_stats(&a->ctx, &out, &a->err))
		return app_fail(a);
	return app_print(a, out);
}

static int maint_opt(struct app *a, int opt, const char *arg, void *p)
{
	struct sess_maint_opts *o = p;

	(void)a;
	(void)arg;
	if (opt == 'D')
		o->dry_run = 1;
	else
		o->no_trim = 1;
	return 0;
}

int cmd_maintenance(struct app *a, int argc, char **argv)
{
	static const struct option o[] = {
		{"dry-run", no_argument, NULL, 'D'},
		{"no-trim", no_argument, NULL, 'N'},
		{NULL, 0, NULL, 0}};
	const struct cmd *c = sessctl_find("maintenance");
	struct sess_maint_opts mo = {0, 0};
	cJSON *out = NULL;
	int first, rc;

	if ((rc = app_parse(a, c, argc, argv, "", o, maint_opt, &mo, 0, 0, &first)))
		return rc;
	if ((rc = app_connect(a)))
		return rc;
	if (sess_maintenance(&a->ctx, &mo, &out, &a->err))
		return app_fail(a);
	return app_print(a, out);
}
