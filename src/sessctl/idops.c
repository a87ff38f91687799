/* idops.c - what sessctl's one-session commands share: an op's result
 * printed (a write's once its replicas have it, --wait-replicas), and the
 * ID|- AGENT arguments of join and leave. */
#include "core/model/keys.h"
#include "sessctl.h"

int sessctl_print_result(struct cli_app *a, int rc, cJSON *out)
{
	if (rc)
		return -1;
	cli_print(a, out);
	return 0;
}

int sessctl_print_written(struct cli_app *a, int rc, cJSON *out)
{
	if (rc || sessctl_durable(a, SESSCTL_HINT_WRITE, &out))
		return -1;
	return sessctl_print_result(a, 0, out);
}

int sessctl_with_agent(struct cli_app *a, char **argv, cli_id_op op)
{
	if (sess_key_check_id(argv[1], "agent id", &a->err))
		return cli_app_fail(a);
	return cli_run_ids(a, argv[0], op, argv[1]);
}
