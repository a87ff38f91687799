/* sess-replay list: saved replays, newest first. */
#include "sess-replay/saved.h"
#include "replay.h"

static int print_summary(cJSON *meta, void *app)
{
	struct cli_app *a = app;
	cJSON *s = replay_summary(meta);

	cli_out_json(&a->out, s);
	cJSON_Delete(s);
	return a->out.closed;
}

struct list_st {
	struct bad_st bad; /* first: bad_replay gets the same pointer */
};

static int print_row(cJSON *meta, void *p)
{
	return print_summary(meta, ((struct list_st *)p)->bad.a);
}

static int cmd_list(struct cli_app *a, void *opts, int argc, char **argv)
{
	struct list_st st = {{a, 0, 0}};
	int rc;

	(void)opts;
	(void)argc;
	(void)argv;
	if ((rc = cli_connect(a)))
		return rc;
	if (sess_replay_list_bad(&a->ctx, 0, print_row, bad_replay, &st, &a->err))
		return cli_app_fail(a);
	return bad_end(&st.bad);
}

const struct cli_cmd replay_cmd_list = {
	.name = "list", .synopsis = "", .summary = "saved replays, newest first",
	.table = "id savedAt@:saved state firstSeq:first lastSeq:last events storedBytes:bytes ratio",
	.run = cmd_list};
