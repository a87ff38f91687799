/* sess-replay show: a saved replay's metadata. */
#include "replay.h"

/* The meta, with the checkpoints rebuilt from the records (in number
 * order), as a replay was shown when it stored them. */
static int show_op(struct cli_app *a, const char *id, void *p)
{
	struct source src;
	cJSON *m, *map, *cps;

	(void)p;
	if (source_open(a, id, 1, &src))
		return -1;
	map = source_checkpoints(a, &src);
	m = src.meta; /* ours now */
	src.meta = NULL;
	source_close(&src);
	if (!map || !(cps = checkpoints_in_order(map))) {
		/* a damaged block: the meta is still worth seeing (its block
		 * seqs say where), the failure is still the exit code */
		cJSON_Delete(map);
		cli_print(a, m);
		return -1;
	}
	cJSON_Delete(map);
	/* a version 1 meta held them itself: the rebuilt ones replace those */
	cJSON_DeleteItemFromObjectCaseSensitive(m, "checkpoints");
	cJSON_DeleteItemFromObjectCaseSensitive(m, "final");
	cJSON_AddItemToObject(m, "checkpoints", cps);
	return cli_print(a, m);
}

static int cmd_show(struct cli_app *a, void *opts, int argc, char **argv)
{
	(void)opts;
	(void)argc;
	return cli_run_ids(a, argv[0], show_op, NULL);
}

const struct cli_cmd replay_cmd_show = {
	.name = "show", .synopsis = "ID|-", .summary = "a saved replay's metadata",
	.npos_min = 1, .npos_max = 1, .run = cmd_show};
