/* sess-replay stats: saved replays' count, bytes stored and raw, ratio. */
#include "sess-replay/saved.h"
#include "replay.h"

struct stats_st {
	struct bad_st bad; /* first: bad_replay gets the same pointer */
	long n;
	double raw, stored, events;
};

static int add_stats(cJSON *meta, void *p)
{
	struct stats_st *st = p;

	st->n++;
	st->raw += cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(meta, "rawBytes"));
	st->stored += cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(meta, "storedBytes"));
	st->events += cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(meta, "events"));
	return 0;
}

static int cmd_stats(struct cli_app *a, void *opts, int argc, char **argv)
{
	struct stats_st st = {{a, 0, 0}, 0, 0, 0, 0};
	cJSON *o;
	int rc;

	(void)opts;
	(void)argc;
	(void)argv;
	if ((rc = cli_connect(a)))
		return rc;
	if (sess_replay_list_bad(&a->ctx, 0, add_stats, bad_replay, &st, &a->err))
		return cli_app_fail(a);
	o = cJSON_CreateObject();
	cJSON_AddNumberToObject(o, "replays", (double)st.n);
	cJSON_AddNumberToObject(o, "events", st.events);
	cJSON_AddNumberToObject(o, "rawBytes", st.raw);
	cJSON_AddNumberToObject(o, "storedBytes", st.stored);
	cJSON_AddNumberToObject(o, "ratio", st.raw > 0 ? (double)(long long)(st.stored / st.raw * 10000 + 0.5) / 10000 : 0);
	if (st.bad.n)
		cJSON_AddNumberToObject(o, "unreadable", (double)st.bad.n);
	rc = cli_print(a, o);
	return rc ? rc : bad_end(&st.bad);
}

const struct cli_cmd replay_cmd_stats = {
	.name = "stats", .synopsis = "",
	.summary = "saved replays: count, bytes stored and raw, ratio",
	.run = cmd_stats};
