/* sess-replay diff: what changed between two points of a history: state,
 * agents, events by type and actor. */
#include <string.h>

#include "core/model/keys.h"
#include "replay.h"

struct diff_opts {
	const char *from, *to;
	int saved;
};

static const struct cli_opt diff_o[] = {
	CLI_STR_REQ("from", 0, "SEQ|TIME", "the earlier point of the history: a seq, or a time\n"
		    "                         (epoch ms, @MS, RFC 3339, 2h ago)", struct diff_opts, from, NULL),
	CLI_STR_REQ("to", 0, "SEQ|TIME", "the later point of the history: a seq or a time", struct diff_opts, to, NULL),
	CLI_FLAG("saved", 0, "read the saved replay even while the session lives",
		 struct diff_opts, saved),
	CLI_END};

struct diff_st {
	struct point from;
	cJSON *types, *actors, *kinds;
	long long events;
	struct sess_err *err;
	int failed;
};

static void bump(cJSON *o, const char *k, size_t n)
{
	char key[SESS_ID_MAX + 1];
	cJSON *v;

	if (n > SESS_ID_MAX)
		n = SESS_ID_MAX;
	memcpy(key, k, n);
	key[n] = '\0';
	if ((v = cJSON_GetObjectItemCaseSensitive(o, key)))
		cJSON_SetNumberValue(v, v->valuedouble + 1);
	else
		cJSON_AddNumberToObject(o, key, 1);
}

static int diff_one(int kind, const char *text, size_t len, struct sess_fold *f, void *p)
{
	struct diff_st *st = p;
	long long pos, ts;
	struct sess_fold_ev ev;

	(void)f;
	/* called only for records up to --to; those up to --from are in the
	 * state at --from already */
	if (record_position(kind, text, len, &pos, &ts, &ev, st->err))
		return st->failed = 1; /* never a partial diff shown as whole */
	if (point_covers(&st->from, pos, ts))
		return 0;
	if (kind == SESS_REC_EVENT) {
		st->events++;
		bump(st->types, ev.type, ev.type_len);
		bump(st->actors, ev.actor, ev.actor_len);
	} else {
		const char *k;
		size_t n;
		if (record_str(text, len, "k", &k, &n) == 1)
			bump(st->kinds, k, n);
	}
	return 0;
}

static int has_agent(const struct sess_fold *f, const char *id)
{
	size_t i;

	for (i = 0; i < f->nagents; i++)
		if (!strcmp(f->agents[i].id, id))
			return 1;
	return 0;
}

static int cmd_diff(struct cli_app *a, void *opts, int argc, char **argv)
{
	struct diff_opts *o = opts;
	struct diff_st st;
	struct upto_st from;
	struct point to;
	struct source src;
	struct sess_fold f;
	cJSON *out, *ag, *joined, *left, *ev;
	size_t i;
	int rc;

	(void)argc;
	memset(&st, 0, sizeof st);
	memset(&from, 0, sizeof from);
	if (!o->from || !o->to)
		return cli_usage_error(a, "diff needs --from A and --to B (seqs or times)");
	if (point_parse(o->from, "--from", &from.at, &a->err) || point_parse(o->to, "--to", &to, &a->err))
		return cli_usage_error(a, "%s", a->err.msg);
	if (from.at.is_time == to.is_time && to.v < from.at.v)
		return cli_usage_error(a, "--to %s is before --from %s", o->to, o->from);
	if ((rc = cli_connect(a)))
		return rc;
	if (source_open(a, argv[0], o->saved, &src))
		return cli_app_fail(a);
	/* two passes, each stopping at its point: the state at --from, then
	 * the fold on to --to counting what happened after --from */
	if (fold_upto(a, &src, &from, 0)) {
		if (!strcmp(a->err.kind, "before_history"))
			sess_err_set(&a->err, SESS_E_NEGATIVE, "before_history",
				     "--from is before the history of %s begins", argv[0]);
		source_close(&src);
		return cli_app_fail(a);
	}
	st.from = from.at;
	st.types = cJSON_CreateObject();
	st.actors = cJSON_CreateObject();
	st.kinds = cJSON_CreateObject();
	st.err = &a->err;
	rc = source_fold(a, &src, &f, SRC_FOLD, from.at.is_time ? 0 : from.at.v, &to, diff_one, &st);
	if (st.failed)
		rc = -1;
	if (!rc && !src.saved) {
		/* the state at --to is derived too: checked as state checks it */
		struct upto_st chk;
		memset(&chk, 0, sizeof chk);
		chk.at = to;
		rc = fold_upto(a, &src, &chk, 0);
		sess_fold_free(&chk.snap);
	}
	source_close(&src);
	if (rc) {
		cJSON_Delete(st.types);
		cJSON_Delete(st.actors);
		cJSON_Delete(st.kinds);
		sess_fold_free(&f);
		sess_fold_free(&from.snap);
		return cli_app_fail(a);
	}
	out = cJSON_CreateObject();
	cJSON_AddStringToObject(out, "id", argv[0]);
	cJSON_AddItemToObject(out, "from", sess_fold_json(&from.snap));
	cJSON_AddItemToObject(out, "to", sess_fold_json(&f));
	if (strcmp(from.snap.state, f.state)) {
		cJSON *s = cJSON_AddObjectToObject(out, "stateChanged");
		cJSON_AddStringToObject(s, "from", from.snap.state);
		cJSON_AddStringToObject(s, "to", f.state);
	}
	ag = cJSON_AddObjectToObject(out, "agents");
	joined = cJSON_AddArrayToObject(ag, "joined");
	left = cJSON_AddArrayToObject(ag, "left");
	for (i = 0; i < f.nagents; i++)
		if (!has_agent(&from.snap, f.agents[i].id))
			cJSON_AddItemToArray(joined, cJSON_CreateString(f.agents[i].id));
	for (i = 0; i < from.snap.nagents; i++)
		if (!has_agent(&f, from.snap.agents[i].id))
			cJSON_AddItemToArray(left, cJSON_CreateString(from.snap.agents[i].id));
	cJSON_AddItemToObject(ag, "at", agent_names(&f));
	ev = cJSON_AddObjectToObject(out, "events");
	cJSON_AddNumberToObject(ev, "count", (double)st.events);
	cJSON_AddItemToObject(ev, "byType", st.types);
	cJSON_AddItemToObject(ev, "byActor", st.actors);
	cJSON_AddItemToObject(out, "lifecycle", st.kinds);
	sess_fold_free(&f);
	sess_fold_free(&from.snap);
	return cli_print(a, out);
}

const struct cli_cmd replay_cmd_diff = {
	.name = "diff", .synopsis = "ID",
	.summary = "what changed between two points: state, agents, events by type and actor",
	.opts = diff_o, .opts_size = sizeof(struct diff_opts), .npos_min = 1, .npos_max = 1,
	.complete = CLI_COMPLETE_SESSION, .id_arg = 1,
	.run = cmd_diff};
