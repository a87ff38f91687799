/* sess-replay state: the session as 'sessctl get' showed it at a point,
 * rebuilt from its history (checked: anchor.c). */
#include <string.h>

#include "replay.h"

struct state_opts {
	const char *at;
	int proof, saved;
};

static const struct cli_opt state_o[] = {
	CLI_STR_REQ("at", 0, "SEQ|TIME", "the point", struct state_opts, at, NULL),
	CLI_FLAG("proof", 0, "add the chain digest and state digest at that point",
		 struct state_opts, proof),
	CLI_FLAG("saved", 0, "read the saved replay even while the session lives",
		 struct state_opts, saved),
	CLI_END};

static int cmd_state(struct cli_app *a, void *opts, int argc, char **argv)
{
	struct state_opts *o = opts;
	struct upto_st st;
	struct source src;
	cJSON *out;
	int rc;

	(void)argc;
	memset(&st, 0, sizeof st);
	if (!o->at)
		return cli_usage_error(a, "--at SEQ|TIME is required");
	if (point_parse(o->at, "--at", &st.at, &a->err))
		return cli_usage_error(a, "%s", a->err.msg);
	if ((rc = cli_connect(a)))
		return rc;
	if (source_open(a, argv[0], o->saved, &src))
		return cli_app_fail(a);
	rc = fold_upto(a, &src, &st, o->proof);
	if (rc) {
		source_close(&src);
		sess_fold_free(&st.snap);
		return cli_app_fail(a);
	}
	if (!st.snap.known) {
		/* never invented: layout 1 kept no history before its upgrade */
		sess_err_set(&a->err, SESS_E_NEGATIVE, "before_history",
			     "the state of %s at seq %lld is unknown: its history starts later (it was upgraded from layout 1)",
			     src.id, st.snap.seq);
		source_close(&src);
		sess_fold_free(&st.snap);
		return cli_app_fail(a);
	}
	out = sess_fold_json(&st.snap);
	if (o->proof) {
		cJSON *p = cJSON_AddObjectToObject(out, "proof");
		char sd[SESS_SHA1_HEX];
		sess_fold_digest(&st.snap, sd);
		cJSON_AddStringToObject(p, "chain", st.snap.chain);
		cJSON_AddStringToObject(p, "stateDigest", sd);
		cJSON_AddNumberToObject(p, "records", (double)(st.snap.events + st.snap.records));
	}
	source_close(&src);
	sess_fold_free(&st.snap);
	return cli_print(a, out);
}

const struct cli_cmd replay_cmd_state = {
	.name = "state", .synopsis = "ID",
	.summary = "the session as 'sessctl get' showed it at that point, rebuilt",
	.opts = state_o, .opts_size = sizeof(struct state_opts), .npos_min = 1, .npos_max = 1,
	.complete = CLI_COMPLETE_SESSION, .id_arg = 1,
	.run = cmd_state};
