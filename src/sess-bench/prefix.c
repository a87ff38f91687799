/* prefix.c - what a scenario's run and cleanup share: the run's prefix
 * sessbench:ID, its own, so cleanup can never reach other data. */
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"

int sb_run_prefix(struct cli_app *a, const struct sb_opts *o, char *id, size_t idsz)
{
	struct sess_err err;

	if (o->run_id)
		snprintf(id, idsz, "%s", o->run_id);
	else
		snprintf(id, idsz, "%08lx", (unsigned long)(((unsigned long)time(NULL) << 12) ^
							    (unsigned long)getpid()) & 0xffffffffUL);
	if (a->common.prefix)
		cli_warn(a->prog, "--prefix is not used: a run works under its own prefix sessbench:ID");
	snprintf(a->cfg.prefix, sizeof a->cfg.prefix, "sessbench:%s", id);
	sess_err_clear(&err);
	if (strlen(id) > SESS_PREFIX_MAX - 10 || sess_key_check_prefix(a->cfg.prefix, &err))
		return cli_usage_error(a, "--run-id must be 1-22 characters of A-Z a-z 0-9 . _ - :");
	return 0;
}
