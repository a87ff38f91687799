/* sess-migrate sync: copy sessions, then keep the target following every
 * change until stopped, or --cutover (the engine: sync.c). */
#include <string.h>

#include "copy.h"
#include "core/base/schema.h"
#include "options.h"

static const struct cli_opt sync_o[] = {
	FROM, TO_REQ, SELECT,
	CLI_STR("ids", 0, "FILE", "the ids in FILE (- = stdin, as the argument -): JSON\n"
		"                         lines with \"id\", JSON strings or bare ids",
		O, ids, CLI_COMPLETE_FILE),
	TASK, BATCH, RATE,
	CLI_STR("method", 0, "M", "whole copies: auto (default), dump or structural", O, method,
		"auto dump structural"),
	CLI_DUR("interval", 0, "DURATION", "a lag line this often", O, interval, 1000, 1, 86400),
	CLI_DUR("reconcile", 0, "DURATION", "compare chain heads over the selection this often\n"
		 "                         (catches what no notification announced)",
		 O, reconcile, 1000, 1, 86400),
	CLI_FLAG("no-keyspace", 0, "do not enable keyspace notifications on the source", O, no_keyspace),
	CLI_FLAG("cutover", 0, "fence the source, wait until the lag is zero, verify, exit", O, cutover),
	CLI_FLAG("deep", 0, "with --cutover: verify everything, not only chain heads", O, deep),
	CLI_END};
static const struct mig_opts defaults = MIG_DEFAULTS;

static int cmd_sync(struct cli_app *a, void *opts, int argc, char **argv)
{
	struct mig_opts *o = opts;
	int rc;

	if ((rc = mig_check_common(a, o)) || (rc = mig_ids_from_args(a, o, argc, argv)))
		return rc;
	/* --to: required in the table */
	if (!o->all && !o->since && !o->ids && !o->match && !o->state)
		return cli_usage_error(a, "say which sessions: --all, --since TIME, ID..., - (ids on stdin), --ids FILE, --match GLOB or --state STATE");
	if (o->cutover && (!o->all || o->since || o->ids || o->match || o->state))
		return cli_usage_error(a, "--cutover moves everything (it fences the whole source): use it with --all alone");
	if (o->layout && strcmp(o->layout, SESS_S_LAYOUT))
		return cli_usage_error(a, "sync follows sesskit sessions only; copy the TypeScript layout with 'copy --from-layout legacy' first");
	return mig_sync_main(a, o, 0);
}

const struct cli_cmd migrate_cmd_sync = {
	.name = "sync",
	.synopsis = "--all|--since TIME|--match GLOB|--ids FILE|ID...|-",
	.summary = "copy sessions, then keep the target following every change until stopped",
	.details = "Listens to the source before the snapshot, so nothing falls between the\n"
	"copy and the live phase; prints lag lines ({\"lag\":true,...}) every --interval.\n"
	"SIGINT/SIGTERM stop it (exit 130/143); 'resume TASK' goes on from the target's\n"
	"state. --cutover fences the source (writes there fail: \"this data moved\"),\n"
	"waits until the lag is zero, verifies and exits 0.\n",
	.opts = sync_o, .opts_size = sizeof(struct mig_opts), .defaults = &defaults,
	.npos_max = -1, .complete = CLI_COMPLETE_SESSION, .run = cmd_sync};
