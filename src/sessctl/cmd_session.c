/* Session lifecycle commands: create, join, leave, complete, delete, touch, get. */
#include <string.h>

#include "core/model/keys.h"
#include "sessctl.h"

int cmd_create(struct cli_app *a, void *opts, int argc, char **argv)
{
	struct create_opts *o = opts;
	cJSON *out = NULL;
	int rc;

	(void)argc;
	(void)argv;
	if (!o->agent)
		return cli_usage_error(a, "--agent AGENT is required (the agent creating the session)");
	/* validate everything before touching Redis */
	if (o->id && sess_key_check_id(o->id, "session id", &a->err))
		return cli_app_fail(a);
	if (sess_key_check_id(o->agent, "agent id", &a->err))
		return cli_app_fail(a);
	if ((rc = cli_connect(a)))
		return rc;
	if (sess_create(&a->ctx, o->id, o->agent, o->ttl, o->metadata, &out, &a->err) ||
	    sessctl_durable(a, SESSCTL_HINT_WRITE, &out))
		return cli_app_fail(a);
	return cli_print(a, out);
}

/* Print an op's result; the cli_id_op shape for the simple commands. */
static int print_out(struct cli_app *a, int rc, cJSON *out)
{
	if (rc)
		return -1;
	cli_print(a, out);
	return 0;
}

/* The same for a write: durable first (--wait-replicas). */
static int print_written(struct cli_app *a, int rc, cJSON *out)
{
	if (rc || sessctl_durable(a, SESSCTL_HINT_WRITE, &out))
		return -1;
	return print_out(a, 0, out);
}

static int op_join(struct cli_app *a, const char *id, void *agent)
{
	cJSON *out = NULL;
	int rc = sess_join(&a->ctx, id, agent, &out, &a->err);
	return print_written(a, rc, out);
}

static int op_leave(struct cli_app *a, const char *id, void *agent)
{
	cJSON *out = NULL;
	int rc = sess_leave(&a->ctx, id, agent, &out, &a->err);
	return print_written(a, rc, out);
}

static int op_complete(struct cli_app *a, const char *id, void *unused)
{
	cJSON *out = NULL;
	int rc = sess_complete(&a->ctx, id, &out, &a->err);
	(void)unused;
	return print_written(a, rc, out);
}

static int op_delete(struct cli_app *a, const char *id, void *unused)
{
	cJSON *out = NULL;
	int rc = sess_delete(&a->ctx, id, &out, &a->err);
	(void)unused;
	return print_written(a, rc, out);
}

static int op_touch(struct cli_app *a, const char *id, void *opts)
{
	cJSON *out = NULL;
	int rc = sess_touch(&a->ctx, id, ((struct touch_opts *)opts)->ttl, &out, &a->err);
	return print_written(a, rc, out);
}

static int op_get(struct cli_app *a, const char *id, void *opts)
{
	cJSON *out = NULL;
	int rc = sess_get(&a->ctx, id, ((struct get_opts *)opts)->events, &out, &a->err);
	return print_out(a, rc, out);
}

/* ID|- AGENT */
static int with_agent(struct cli_app *a, char **argv, cli_id_op op)
{
	if (sess_key_check_id(argv[1], "agent id", &a->err))
		return cli_app_fail(a);
	return cli_run_ids(a, argv[0], op, argv[1]);
}

int cmd_join(struct cli_app *a, void *opts, int argc, char **argv)
{
	(void)opts;
	(void)argc;
	return with_agent(a, argv, op_join);
}

int cmd_leave(struct cli_app *a, void *opts, int argc, char **argv)
{
	(void)opts;
	(void)argc;
	return with_agent(a, argv, op_leave);
}

int cmd_complete(struct cli_app *a, void *opts, int argc, char **argv)
{
	(void)opts;
	(void)argc;
	return cli_run_ids(a, argv[0], op_complete, NULL);
}

int cmd_delete(struct cli_app *a, void *opts, int argc, char **argv)
{
	(void)opts;
	(void)argc;
	return cli_run_ids(a, argv[0], op_delete, NULL);
}

int cmd_touch(struct cli_app *a, void *opts, int argc, char **argv)
{
	(void)argc;
	return cli_run_ids(a, argv[0], op_touch, opts);
}

int cmd_get(struct cli_app *a, void *opts, int argc, char **argv)
{
	(void)argc;
	return cli_run_ids(a, argv[0], op_get, opts);
}
