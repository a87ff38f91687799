/* sessctl watch: live events of some or all sessions over pub/sub, best
 * effort: it reconnects with backoff (live.c) and says so on stderr, and
 * what was sent meanwhile is not shown. SIGINT/SIGTERM end it after the
 * line in hand (exit 130/143); a closed stdout ends it quietly. On a
 * standalone server SUBSCRIBE (the sessions named) or PSUBSCRIBE (all);
 * on a cluster SSUBSCRIBE on each slot's master (session/listen.h). */
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "core/model/keys.h"
#include "core/redis/sentinel.h"
#include "sessctl.h"

static int print_event(cJSON *ev, void *arg)
{
	struct cli_app *a = arg;

	cli_out_json(&a->out, ev);
	return a->out.closed;
}

static int print_message(struct cli_app *a, const redisReply *r)
{
	struct sess_err err;

	if (sess_log_message(r, print_event, a, &err) < 0)
		fprintf(stderr, "%s: skipped a malformed message: %s\n", a->prog, err.msg);
	return a->out.closed;
}

/* On a cluster: the sessions' channels, or every slot's (n 0). */
static int watch_cluster(struct cli_app *a, int n, char **ids)
{
	const char *const *v = (const char *const *)ids;
	struct sess_listen l;
	int rc = 0;

	memset(&l, 0, sizeof l);
	cli_catch_stop_signals();
	if (sessctl_listen(a, &l, n, v, NULL))
		return cli_stop_signal() ? cli_signal_exit() : cli_app_fail(a);
	while (!cli_stop_signal() && !a->out.closed) {
		redisReply *r = NULL;
		int w = sess_listen_wait(&l, 1000, &r, &a->err);

		if (w > 0) {
			print_message(a, r);
			freeReplyObject(r);
		} else if (w < 0) {
			if (a->err.cls == SESS_E_AUTH || a->err.cls == SESS_E_CONFIG) { /* the ACL */
				rc = cli_app_fail(a);
				break;
			}
			if (sessctl_listen(a, &l, n, v, a->err.msg)) {
				if (!cli_stop_signal())
					rc = cli_app_fail(a);
				break;
			}
			fprintf(stderr, "%s: events sent while disconnected are not shown; 'sessctl events ID --from SEQ' has them\n", a->prog);
		}
	}
	sess_listen_close(&l);
	return cli_stop_signal() ? cli_signal_exit() : rc;
}

static int cmd_watch(struct cli_app *a, void *opts, int argc, char **argv)
{
	char (*chans)[SESS_KEY_MAX] = NULL;
	const char *names[63];
	int rc, n = argc, i;
	const char *how;
	struct sess_switch sw;

	(void)opts;
	memset(&sw, 0, sizeof sw);
	sw.c.st.fd = -1;
	for (i = 0; i < n; i++)
		if (sess_key_check_id(argv[i], "session id", &a->err))
			return cli_app_fail(a);
	if ((rc = cli_connect(a)))
		return rc;
	switch (sess_conn_cluster(&a->conn, &a->err)) {
	case 0:
		break;
	case 1:
		return watch_cluster(a, n, argv);
	default:
		return cli_app_fail(a);
	}
	chans = calloc(n > 0 ? (size_t)n : 1, sizeof *chans);
	if (!chans)
		return 70;
	if (n == 0) {
		sess_key_channel_pattern(chans[0], a->cfg.prefix);
		names[0] = chans[0];
		how = "PSUBSCRIBE";
		n = 1;
	} else {
		for (i = 0; i < n; i++) {
			sess_key_channel(chans[i], a->cfg.prefix, argv[i]);
			names[i] = chans[i];
		}
		how = "SUBSCRIBE";
	}
	cli_catch_stop_signals();
	rc = 0;
	sess_switch_open(&sw, &a->cfg); /* before any goto out, which closes it */
	if (sessctl_subscribe(&a->conn, how, n, names, &a->err)) {
		rc = cli_app_fail(a);
		goto out;
	}
	while (!cli_stop_signal() && !a->out.closed) {
		redisReply *r = NULL;
		int w;

		if (sess_switch_poll(&sw)) {
			fprintf(stderr, "%s: the sentinels switched the primary of %s; leaving %s\n",
				a->prog, a->cfg.sentinel_master, a->conn.where);
			sess_conn_close(&a->conn);
			w = -1; /* reconnect below, through the sentinels */
			sess_err_set(&a->err, SESS_E_UNAVAILABLE, "failover", "failover");
		} else {
			w = sess_conn_wait(&a->conn, 1000, &r, &a->err);
		}

		if (w > 0 && r->type == REDIS_REPLY_ERROR) { /* (P)SUBSCRIBE refused (the ACL) */
			sess_conn_reply_error(&a->conn, r, &a->err);
			freeReplyObject(r);
			rc = cli_app_fail(a);
			break;
		}
		if (w > 0) {
			print_message(a, r);
			freeReplyObject(r);
		} else if (w < 0) {
			if (sessctl_reconnect(a, &a->conn, a->err.msg) ||
			    sessctl_subscribe(&a->conn, how, n, names, &a->err))
				break;
			fprintf(stderr, "%s: events sent while disconnected are not shown; 'sessctl events ID --from SEQ' has them\n", a->prog);
		}
	}
	if (cli_stop_signal())
		rc = cli_signal_exit();
out:
	sess_switch_close(&sw);
	free(chans);
	/* the connection is in subscribe mode now: the shell must reconnect */
	if (a->keep)
		sess_conn_close(&a->conn);
	return rc;
}

const struct cli_cmd sessctl_cmd_watch = {
	.name = "watch", .synopsis = "[ID...]",
	.summary = "print live events of some or all sessions (pub/sub; may miss events while disconnected)",
	.npos_max = 63, .complete = CLI_COMPLETE_SESSION, .run = cmd_watch};
