/* sessctl create: a session with its first agent. */
#include "core/model/keys.h"
#include "core/model/limits.h"
#include "sessctl.h"

struct create_opts {
	const char *agent, *id, *metadata;
	long ttl;
};

static const struct cli_opt create_o[] = {
	CLI_STR_REQ("agent", 'a', "AGENT", "the creating agent", struct create_opts, agent, NULL),
	CLI_STR("id", 0, "ID", "the session id (default: a new time-ordered UUID)",
		struct create_opts, id, NULL),
	CLI_DUR("ttl", 0, "DURATION", "time to live (default defaultTTL, 1h)",
		 struct create_opts, ttl, 1000, 1, SESS_TTL_MAX),
	CLI_STR("metadata", 0, "JSON", "a JSON object kept with the session",
		struct create_opts, metadata, NULL),
	CLI_END};

static int cmd_create(struct cli_app *a, void *opts, int argc, char **argv)
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

const struct cli_cmd sessctl_cmd_create = {
	.name = "create", .synopsis = "",
	.summary = "create a session with its first agent",
	.opts = create_o, .opts_size = sizeof(struct create_opts),
	.run = cmd_create};
