/* sess-replay delete: saved replays. */
#include "sess-replay/saved.h"
#include "replay.h"

static int delete_op(struct cli_app *a, const char *id, void *p)
{
	cJSON *o;
	int gone;

	(void)p;
	if (sess_replay_delete(&a->ctx, id, &gone, &a->err))
		return -1;
	if (!gone)
		return sess_err_set(&a->err, SESS_E_NEGATIVE, "not_found", "no saved replay %s", id);
	o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "id", id);
	cJSON_AddBoolToObject(o, "deleted", 1);
	return cli_print(a, o);
}

static int cmd_delete(struct cli_app *a, void *opts, int argc, char **argv)
{
	int i, rc, first = 0;

	(void)opts;
	for (i = 0; i < argc; i++)
		if ((rc = cli_run_ids(a, argv[i], delete_op, NULL)) && !first)
			first = rc;
	return first;
}

const struct cli_cmd replay_cmd_delete = {
	.name = "delete", .synopsis = "ID...|-", .summary = "delete saved replays",
	.npos_min = 1, .npos_max = -1, .run = cmd_delete};
