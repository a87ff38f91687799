/* listing.c - what sessctl's listings share: list and agents print a page
 * of the session index; a session of a layout this build does not know is
 * named on stderr and skipped there and in checkpoint --all. */
#include "core/model/keys.h"
#include "sessctl.h"

void sessctl_skipped_one(struct sessctl_skipped *sk, const char *id,
			 const struct sess_err *why)
{
	int code = sess_err_exit_code(why->cls);

	fprintf(stderr, "%s: %s: skipped session %.*s: %s\n", sk->a->prog, sk->what, SESS_ID_MAX, id, why->msg);
	sk->n++;
	if (code > sk->exit)
		sk->exit = code;
}

static void list_skip(const char *id, const struct sess_err *why, void *p)
{
	sessctl_skipped_one(p, id, why);
}

static int list_print(cJSON *row, void *p)
{
	struct sessctl_skipped *sk = p;

	return cli_each_print(row, sk->a);
}

int sessctl_list(struct cli_app *a, const struct sess_list_opts *lo)
{
	struct sessctl_skipped sk = {a, "list", 0, 0};
	int rc;

	if (lo->state && !sess_state_valid(lo->state))
		return cli_usage_error(a, "--state must be working, broken or completed");
	if (lo->agent && sess_key_check_id(lo->agent, "agent id", &a->err))
		return cli_app_fail(a);
	if ((rc = cli_connect(a)))
		return rc;
	if (sess_list_skip(&a->ctx, lo, list_print, list_skip, &sk, &a->err))
		return cli_app_fail(a);
	return sk.exit;
}
