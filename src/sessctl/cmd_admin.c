/* Listing and upkeep: list, agents, checkpoint(s), stats, maintenance. */
#include <string.h>

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

static int reason_opt(struct app *a, int opt, const char *arg, void *p)
{
	(void)a;
	(void)opt;
	*(const char **)p = arg;
	return 0;
}

int cmd_checkpoint(struct app *a, int argc, char **argv)
{
	static const struct option o[] = {{"reason", required_argument, NULL, 'R'}, {NULL, 0, NULL, 0}};
	const struct cmd *c = sessctl_find("checkpoint");
	const char *reason = "manual";
	cJSON *out = NULL;
	int first, rc, npos;
	long number;

	if ((rc = app_parse(a, c, argc, argv, "", o, reason_opt, &reason, 1, 3, &first)))
		return rc;
	npos = argc - first;
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
	if (sess_key_check_id(argv[first], "session id", &a->err))
		return app_fail(a);
	if (!*reason || strlen(reason) > 64)
		return app_usage(a, c, "--reason must be 1 to 64 characters");
	if ((rc = app_connect(a)))
		return rc;
	if (sess_checkpoint(&a->ctx, argv[first], reason, &out, &a->err))
		return app_fail(a);
	return app_print(a, out);
}

int cmd_checkpoints(struct app *a, int argc, char **argv)
{
	const struct cmd *c = sessctl_find("checkpoints");
	int first, rc;

	if ((rc = app_parse(a, c, argc, argv, "", NULL, NULL, NULL, 1, 1, &first)))
		return rc;
	if (sess_key_check_id(argv[first], "session id", &a->err))
		return app_fail(a);
	if ((rc = app_connect(a)))
		return rc;
	if (sess_checkpoints(&a->ctx, argv[first], app_each_print, a, &a->err))
		return app_fail(a);
	return 0;
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
