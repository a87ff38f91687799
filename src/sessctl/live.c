/* live.c - what sessctl's live commands (events --follow, watch) share:
 * reconnecting with backoff, and subscribing (on a cluster, listening:
 * session/listen.h). */
#include <stdio.h>
#include <time.h>

#include "sessctl.h"

static void sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

	while (!cli_stop_signal() && nanosleep(&ts, &ts) == -1)
		;
}

int sessctl_reconnect(struct cli_app *a, struct sess_conn *conn, const char *why)
{
	long delay = 250;

	sess_conn_close(conn);
	fprintf(stderr, "%s: connection to %s lost (%s); reconnecting\n", a->prog,
		conn->where, why);
	while (!cli_stop_signal()) {
		struct sess_err err;
		sleep_ms(delay);
		if (cli_stop_signal())
			break;
		if (sess_conn_open(conn, &a->cfg, &err) == 0) {
			fprintf(stderr, "%s: reconnected to %s\n", a->prog, conn->where);
			return 0;
		}
		fprintf(stderr, "%s: still cannot reach %s (%s); next try in %.1f s\n",
			a->prog, conn->where, err.msg, (delay < 5000 ? delay * 2 : 10000) / 1000.0);
		delay = delay < 5000 ? delay * 2 : 10000;
	}
	return -1;
}

/* A refusal no retry mends: the ACL, SSUBSCRIBE unknown, not a cluster. */
static int refused(const struct sess_err *e)
{
	return e->cls == SESS_E_AUTH || e->cls == SESS_E_CONFIG || e->cls == SESS_E_INTERNAL;
}

int sessctl_listen(struct cli_app *a, struct sess_listen *l, int n, const char *const *ids,
		   const char *why)
{
	long delay = 250;
	struct sess_err err;

	if (!why) {
		if (sess_listen_open(l, &a->conn, a->cfg.prefix, n, ids, &a->err) == 0)
			return 0;
		if (refused(&a->err))
			return -1;
		why = a->err.msg;
	}
	sess_listen_close(l);
	fprintf(stderr, "%s: listening on %s failed (%s); subscribing again\n", a->prog,
		a->conn.where, why);
	while (!cli_stop_signal()) {
		sleep_ms(delay);
		if (cli_stop_signal())
			break;
		if (sess_listen_open(l, &a->conn, a->cfg.prefix, n, ids, &err) == 0) {
			fprintf(stderr, "%s: subscribed again on the masters of %s\n", a->prog, a->conn.where);
			return 0;
		}
		if (refused(&err)) {
			a->err = err;
			return -1;
		}
		fprintf(stderr, "%s: still cannot subscribe (%s); next try in %.1f s\n",
			a->prog, err.msg, (delay < 5000 ? delay * 2 : 10000) / 1000.0);
		delay = delay < 5000 ? delay * 2 : 10000;
	}
	return -1;
}

int sessctl_subscribe(struct sess_conn *c, const char *cmd, int n, const char **chans,
		      struct sess_err *err)
{
	const char *argv[64];
	int i;

	argv[0] = cmd;
	for (i = 0; i < n && i < 63; i++)
		argv[i + 1] = chans[i];
	return sess_conn_append(c, i + 1, argv, NULL, err);
}
