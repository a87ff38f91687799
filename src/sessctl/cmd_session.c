/* Session lifecycle commands: create, join, leave, complete, delete, touch, get. */
#include <string.h>

#include "core/limits.h"
#include "sessctl.h"

/* Print an operation's result, or its error. out is read after the
 * operation ran (a pointer, so argument order cannot matter). */
static int finish(struct app *a, int rc, cJSON **out)
{
	if (rc)
		return app_fail(a);
	return app_print(a, *out);
}

struct create_st {
	const char *agent, *id, *metadata;
	long ttl;
};

static int create_opt(struct app *a, int opt, const char *arg, void *p)
{
	struct create_st *st = p;

	switch (opt) {
	case 'a': st->agent = arg; return 0;
	case 'I': st->id = arg; return 0;
	case 'M': st->metadata = arg; return 0;
	case 'L':
		if (sess_parse_long(arg, SESS_TTL_MIN, SESS_TTL_MAX, "--ttl", SESS_E_USAGE, &st->ttl, &a->err))
			return fprintf(stderr, "%s create: %s (a TTL is a positive number of seconds)\n",
				       a->prog, a->err.msg), 64;
		return 0;
	}
	return 70;
}

int cmd_create(struct app *a, int argc, char **argv)
{
	static const struct option o[] = {
		{"agent", required_argument, NULL, 'a'},
		{"id", required_argument, NULL, 'I'},
		{"ttl", required_argument, NULL, 'L'},
		{"metadata", required_argument, NULL, 'M'},
		{NULL, 0, NULL, 0}};
	struct create_st st = {NULL, NULL, NULL, 0};
	const struct cmd *c = sessctl_find("create");
	cJSON *out = NULL;
	int first, rc;

	if ((rc = app_parse(a, c, argc, argv, "a:", o, create_opt, &st, 0, 0, &first)))
		return rc;
	if (!st.agent)
		return app_usage(a, c, "--agent AGENT is required (the agent creating the session)");
	/* validate everything before touching Redis */
	if (st.id && sess_key_check_id(st.id, "session id", &a->err))
		return app_fail(a);
	if (sess_key_check_id(st.agent, "agent id", &a->err))
		return app_fail(a);
	if ((rc = app_connect(a)))
		return rc;
	return finish(a, sess_create(&a->ctx, st.id, st.agent, st.ttl, st.metadata, &out, &a->err), &out);
}

/* Print an op's cJSON result; the id_op shape for the simple commands. */
static int emit_out(struct app *a, int rc, cJSON *out)
{
	if (rc)
		return -1;
	app_print(a, out);
	return 0;
}

static int op_join(struct app *a, const char *id, void *agent)
{
	cJSON *out = NULL;
	int rc = sess_join(&a->ctx, id, agent, &out, &a->err);
	return emit_out(a, rc, out);
}

static int op_leave(struct app *a, const char *id, void *agent)
{
	cJSON *out = NULL;
	int rc = sess_leave(&a->ctx, id, agent, &out, &a->err);
	return emit_out(a, rc, out);
}

static int op_complete(struct app *a, const char *id, void *unused)
{
	cJSON *out = NULL;
	int rc = sess_complete(&a->ctx, id, &out, &a->err);
	(void)unused;
	return emit_out(a, rc, out);
}

static int op_delete(struct app *a, const char *id, void *unused)
{
	cJSON *out = NULL;
	int rc = sess_delete(&a->ctx, id, &out, &a->err);
	(void)unused;
	return emit_out(a, rc, out);
}

static int op_touch(struct app *a, const char *id, void *ttl)
{
	cJSON *out = NULL;
	int rc = sess_touch(&a->ctx, id, *(long *)ttl, &out, &a->err);
	return emit_out(a, rc, out);
}

static int op_get(struct app *a, const char *id, void *events)
{
	cJSON *out = NULL;
	int rc = sess_get(&a->ctx, id, *(int *)events, &out, &a->err);
	return emit_out(a, rc, out);
}

/* NAME ID|- [AGENT]: no options of their own. */
static int simple(struct app *a, const char *name, int argc, char **argv,
		  int with_agent, id_op op)
{
	const struct cmd *c = sessctl_find(name);
	int first, rc, n = with_agent ? 2 : 1;
	char *agent = NULL;

	if ((rc = app_parse(a, c, argc, argv, "", NULL, NULL, NULL, n, n, &first)))
		return rc;
	if (with_agent) {
		agent = argv[first + 1];
		if (sess_key_check_id(agent, "agent id", &a->err))
			return app_fail(a);
	}
	return app_run_ids(a, argv[first], op, agent);
}

int cmd_join(struct app *a, int argc, char **argv)
{
	return simple(a, "join", argc, argv, 1, op_join);
}

int cmd_leave(struct app *a, int argc, char **argv)
{
	return simple(a, "leave", argc, argv, 1, op_leave);
}

int cmd_complete(struct app *a, int argc, char **argv)
{
	return simple(a, "complete", argc, argv, 0, op_complete);
}

int cmd_delete(struct app *a, int argc, char **argv)
{
	return simple(a, "delete", argc, argv, 0, op_delete);
}

static int ttl_opt(struct app *a, int opt, const char *arg, void *p)
{
	(void)opt;
	if (sess_parse_long(arg, SESS_TTL_MIN, SESS_TTL_MAX, "--ttl", SESS_E_USAGE, p, &a->err))
		return fprintf(stderr, "%s touch: %s (a TTL is a positive number of seconds)\n",
			       a->prog, a->err.msg), 64;
	return 0;
}

int cmd_touch(struct app *a, int argc, char **argv)
{
	static const struct option o[] = {{"ttl", required_argument, NULL, 'L'}, {NULL, 0, NULL, 0}};
	const struct cmd *c = sessctl_find("touch");
	long ttl = 0;
	int first, rc;

	if ((rc = app_parse(a, c, argc, argv, "", o, ttl_opt, &ttl, 1, 1, &first)))
		return rc;
	return app_run_ids(a, argv[first], op_touch, &ttl);
}

static int flag_opt(struct app *a, int opt, const char *arg, void *p)
{
	(void)a;
	(void)opt;
	(void)arg;
	*(int *)p = 1;
	return 0;
}

int cmd_get(struct app *a, int argc, char **argv)
{
	static const struct option o[] = {{"events", no_argument, NULL, 'e'}, {NULL, 0, NULL, 0}};
	const struct cmd *c = sessctl_find("get");
	int events = 0, first, rc;

	if ((rc = app_parse(a, c, argc, argv, "e", o, flag_opt, &events, 1, 1, &first)))
		return rc;
	return app_run_ids(a, argv[first], op_get, &events);
}
