/* sess-replay cleanup: retention, replays saved longer ago than AGE
 * deleted. */
#include "core/redis/reply.h"
#include "sess-replay/saved.h"
#include "replay.h"

struct cleanup_opts {
	long older_than;
	int dry_run;
};

static const struct cli_opt cleanup_o[] = {
	CLI_DUR_REQ("older-than", 0, "AGE", "delete replays saved longer ago than AGE",
		 struct cleanup_opts, older_than, 86400000, 0, 100000),
	CLI_FLAG("dry-run", 0, "list what would go, delete nothing", struct cleanup_opts, dry_run),
	CLI_END};
static const struct cleanup_opts cleanup_d = {-1, 0};

struct cleanup_st {
	struct bad_st bad; /* first: bad_replay gets the same pointer */
	struct cli_app *a;
	int dry_run;
	long n;
	long long bytes;
	int failed;
};

static int cleanup_one(cJSON *meta, void *p)
{
	struct cleanup_st *st = p;
	const char *id = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(meta, "id"));
	cJSON *o;
	int gone = 1;

	if (!id)
		return 0;
	if (!st->dry_run && sess_replay_delete(&st->a->ctx, id, &gone, &st->a->err))
		return st->failed = 1;
	if (!gone)
		return 0;
	st->n++;
	st->bytes += (long long)cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(meta, "storedBytes"));
	o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "id", id);
	cJSON_AddBoolToObject(o, st->dry_run ? "wouldDelete" : "deleted", 1);
	cJSON_AddItemToObject(o, "savedAt", cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(meta, "savedAt"), 1));
	cli_out_json(&st->a->out, o);
	cJSON_Delete(o);
	return 0;
}

static int cmd_cleanup(struct cli_app *a, void *opts, int argc, char **argv)
{
	struct cleanup_opts *o = opts;
	struct cleanup_st st = {{a, 0, 0}, a, o->dry_run, 0, 0, 0};
	redisReply *t;
	long long now;
	cJSON *sum;
	int rc;

	(void)argc;
	(void)argv;
	if (o->older_than < 0)
		return cli_usage_error(a, "--older-than AGE is required (30d: replays saved longer ago go)");
	if ((rc = cli_connect(a)))
		return rc;
	if (!(t = sess_conn_cmdf(&a->conn, &a->err, "TIME")))
		return cli_app_fail(a);
	now = sess_reply_int(t, 0) * 1000 + sess_reply_int(t, 1) / 1000;
	freeReplyObject(t);
	if (sess_replay_list_bad(&a->ctx, now - o->older_than * 86400000LL, cleanup_one, bad_replay, &st,
				 &a->err) || st.failed)
		return cli_app_fail(a);
	sum = cJSON_CreateObject();
	cJSON_AddBoolToObject(sum, "dryRun", o->dry_run);
	cJSON_AddNumberToObject(sum, o->dry_run ? "wouldDelete" : "deleted", (double)st.n);
	cJSON_AddNumberToObject(sum, "storedBytes", (double)st.bytes);
	cJSON_AddNumberToObject(sum, "olderThanDays", (double)o->older_than);
	if (st.bad.n)
		cJSON_AddNumberToObject(sum, "skipped", (double)st.bad.n);
	rc = cli_print(a, sum);
	return rc ? rc : bad_end(&st.bad);
}

const struct cli_cmd replay_cmd_cleanup = {
	.name = "cleanup", .synopsis = "",
	.summary = "retention: delete replays saved longer ago than AGE",
	.opts = cleanup_o, .opts_size = sizeof(struct cleanup_opts), .defaults = &cleanup_d,
	.run = cmd_cleanup};
