/* Live events: `events ID --follow` (gap-free, from the log) and `watch`
 * (pub/sub, best effort). Both reconnect with backoff and say so on
 * stderr; SIGINT/SIGTERM end them after the line in hand (exit 130/143);
 * a closed stdout ends them quietly. */
#include <signal.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/model/keys.h"
#include "core/redis/sentinel.h"
#include "sessctl.h"

static void sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

	while (!cli_stop_signal() && nanosleep(&ts, &ts) == -1)
		;
}

/* Reopen conn after a failure, with backoff 0.25 s doubling to 10 s. */
static int reconnect(struct cli_app *a, struct sess_conn *conn, const char *why)
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

static int subscribe(struct sess_conn *c, const char *cmd, int n, const char **chans,
		     struct sess_err *err)
{
	const char *argv[64];
	int i;

	argv[0] = cmd;
	for (i = 0; i < n && i < 63; i++)
		argv[i + 1] = chans[i];
	return sess_conn_append(c, i + 1, argv, NULL, err);
}

struct follow_st {
	struct cli_app *a;
	long last;
	char *last_text;  /* the last event printed, as JSON text (owned) */
	int same;         /* check_last: the server's event at last matched */
};

static int follow_each(cJSON *ev, void *p)
{
	struct follow_st *st = p;
	cJSON *seq = cJSON_GetObjectItemCaseSensitive(ev, "seq");

	if (cJSON_IsNumber(seq))
		st->last = (long)seq->valuedouble;
	free(st->last_text);
	st->last_text = cJSON_PrintUnformatted(ev);
	return cli_out_json(&st->a->out, ev);
}

static int same_each(cJSON *ev, void *p)
{
	struct follow_st *st = p;
	char *text = cJSON_PrintUnformatted(ev);

	st->same = text && st->last_text && !strcmp(text, st->last_text);
	free(text);
	return 0;
}

/* After a reconnect (a failover may have lost writes the old server had):
 * the event last printed must still be there, byte for byte. 0 it is,
 * 1 it is not (a->err says "history diverged at seq N"), -1 the read
 * failed (a->err). */
static int check_last(struct cli_app *a, const char *id, struct follow_st *st)
{
	if (!st->last_text)
		return 0;
	st->same = 0;
	if (sess_log_events(&a->ctx, id, st->last, st->last, 1, same_each, st, NULL, &a->err))
		return a->err.cls == SESS_E_NEGATIVE ? 0 : -1; /* ended: said below */
	if (st->same)
		return 0;
	sess_err_set(&a->err, SESS_E_DATA, "diverged",
		     "history diverged at seq %ld: the server no longer holds the event printed there (lost in a failover?); what was printed from seq %ld on may not be in the log",
		     st->last, st->last);
	return 1;
}

int live_follow(struct cli_app *a, const char *id, long from)
{
	struct follow_st st = {a, from - 1, NULL, 0};
	struct sess_switch sw;
	struct sess_conn sub;
	char chan[SESS_KEY_MAX];
	const char *chans[1] = {chan};
	int first = 1, check = 0, d;

	cli_catch_stop_signals();
	sess_key_channel(chan, a->cfg.prefix, id);
	if (sess_conn_open(&sub, &a->cfg, &a->err))
		return cli_app_fail(a);
	if (subscribe(&sub, "SUBSCRIBE", 1, chans, &a->err))
		return sess_conn_close(&sub), cli_app_fail(a);
	sess_switch_open(&sw, &a->cfg);
	while (!cli_stop_signal() && !a->out.closed) {
		redisReply *r = NULL;
		int w;

		/* the sentinels switched the primary: leave the old one now */
		if (sess_switch_poll(&sw)) {
			fprintf(stderr, "%s: the sentinels switched the primary of %s; leaving %s\n",
				a->prog, a->cfg.sentinel_master, a->conn.where);
			if (reconnect(a, &a->conn, "failover") ||
			    reconnect(a, &sub, "failover") ||
			    subscribe(&sub, "SUBSCRIBE", 1, chans, &a->err))
				break;
			check = 1;
		}

		/* reconnected: the history we printed must still be the server's */
		if (check && (d = check_last(a, id, &st)) != 0) {
			if (d > 0) {
				free(st.last_text);
				sess_switch_close(&sw), sess_conn_close(&sub);
				return cli_app_fail(a);
			}
			if (reconnect(a, &a->conn, a->err.msg))
				break;
			continue;
		}
		check = 0;
		/* the log is the truth: read everything after the last printed seq */
		if (sess_log_events(&a->ctx, id, st.last + 1, 0, 0, follow_each, &st, NULL, &a->err)) {
			if (a->err.cls == SESS_E_NEGATIVE) {
				sess_switch_close(&sw), sess_conn_close(&sub);
				free(st.last_text);
				if (!first)
					fprintf(stderr, "%s: session %s ended (expired or deleted)\n", a->prog, id);
				return first ? cli_app_fail(a) : 1;
			}
			if (a->err.cls != SESS_E_UNAVAILABLE && a->err.cls != SESS_E_TEMP)
				return free(st.last_text), sess_switch_close(&sw), sess_conn_close(&sub), cli_app_fail(a);
			if (reconnect(a, &a->conn, a->err.msg))
				break;
			check = 1;
			continue;
		}
		first = 0;
		/* pub/sub only wakes us; a quiet second re-reads the log anyway */
		w = sess_conn_wait(&sub, 1000, &r, &a->err);
		if (r && r->type == REDIS_REPLY_ERROR) { /* SUBSCRIBE refused (the ACL) */
			sess_conn_reply_error(&sub, r, &a->err);
			freeReplyObject(r);
			free(st.last_text);
			sess_switch_close(&sw), sess_conn_close(&sub);
			return cli_app_fail(a);
		}
		if (r)
			freeReplyObject(r);
		if (w < 0) {
			if (reconnect(a, &sub, a->err.msg) ||
			    subscribe(&sub, "SUBSCRIBE", 1, chans, &a->err))
				break;
		}
	}
	sess_switch_close(&sw), sess_conn_close(&sub);
	free(st.last_text);
	return cli_stop_signal() ? cli_signal_exit() : 0;
}

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

int cmd_watch(struct cli_app *a, void *opts, int argc, char **argv)
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
	if (subscribe(&a->conn, how, n, names, &a->err)) {
		rc = cli_app_fail(a);
		goto out;
	}
	sess_switch_open(&sw, &a->cfg);
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
			if (reconnect(a, &a->conn, a->err.msg) ||
			    subscribe(&a->conn, how, n, names, &a->err))
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
