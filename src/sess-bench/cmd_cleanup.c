/* sess-bench cleanup ID: delete the keys a --keep or a killed run left
 * under sessbench:ID. */
#include <string.h>

#include "bench.h"

static int cmd_cleanup(struct cli_app *a, void *opts_v, int argc, char **argv)
{
	struct sb_opts o;
	char id[40];
	long deleted = 0;
	cJSON *j;
	int rc;

	(void)opts_v;
	(void)argc;
	memset(&o, 0, sizeof o);
	o.run_id = argv[0];
	if ((rc = cli_connect(a)) || (rc = sb_run_prefix(a, &o, id, sizeof id)))
		return rc;
	if (sb_cleanup(&a->conn, a->cfg.prefix, &deleted, &a->err))
		return cli_app_fail(a);
	j = cJSON_CreateObject();
	cJSON_AddStringToObject(j, "prefix", a->cfg.prefix);
	cJSON_AddNumberToObject(j, "deleted", (double)deleted);
	return cli_print(a, j);
}

const struct cli_cmd bench_cmd_cleanup = {
	.name = "cleanup", .synopsis = "ID",
	.summary = "delete the keys a --keep or a killed run left under sessbench:ID",
	.npos_min = 1, .npos_max = 1, .run = cmd_cleanup,
	/* -c clients, -n requests in every scenario: never --config and
	 * --db in sess-bench (sess-bench(1), LETTERS) */
	.no_letters = "cn"};
