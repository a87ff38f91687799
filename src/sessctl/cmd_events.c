/* sessctl events: a session's events, one per line; with --follow, then
 * the new ones as they come, gap-free from the log (pub/sub only wakes
 * it), across reconnects (live.c) with backoff said on stderr.
 * SIGINT/SIGTERM end it after the line in hand (exit 130/143); a closed
 * stdout ends it quietly. */
#include <stdlib.h>
#include <string.h>

#include "core/model/keys.h"
#include "core/model/limits.h"
#include "core/redis/sentinel.h"
#include "sessctl.h"

struct events_opts {
	long from, to, limit;
	int follow;
};

static const struct cli_opt events_o[] = {
	CLI_LONG("from", 0, "SEQ", "first seq", struct events_opts, from, 1, SESS_SEQ_MAX),
	CLI_LONG("to", 0, "SEQ", "last seq (default: the last)", struct events_opts, to, 1, SESS_SEQ_MAX),
	CLI_LONG("limit", 'l', "N", "at most N events", struct events_opts, limit, 1, SESS_SEQ_MAX),
	CLI_FLAG("follow", 'f', "then wait for new ones, without gaps or duplicates,\n"
		 "                         across reconnects (reads the log; pub/sub wakes it)",
		 struct events_opts, follow),
	CLI_END};
static const struct events_opts events_d = {1, 0, 0, 0};

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

/* events ID --follow: print the log from seq from on, forever. */
static int follow_log(struct cli_app *a, const char *id, long from)
{
	struct follow_st st = {a, from - 1, NULL, 0};
	struct sess_switch sw;
	struct sess_conn sub;
	struct sess_listen l; /* a cluster's: SSUBSCRIBE (session/listen.h) */
	char chan[SESS_KEY_MAX];
	const char *chans[1] = {chan};
	int first = 1, check = 0, d, cluster, refused = 0;

	cli_catch_stop_signals();
	sess_key_channel(chan, a->cfg.prefix, id);
	memset(&sub, 0, sizeof sub);
	sub.st.fd = -1;
	memset(&l, 0, sizeof l);
	if ((cluster = sess_conn_cluster(&a->conn, &a->err)) < 0)
		return cli_app_fail(a);
	if (cluster) {
		if (sessctl_listen(a, &l, 1, &id, NULL))
			return cli_stop_signal() ? cli_signal_exit() : cli_app_fail(a);
	} else {
		if (sess_conn_open(&sub, &a->cfg, &a->err))
			return cli_app_fail(a);
		if (sessctl_subscribe(&sub, "SUBSCRIBE", 1, chans, &a->err))
			return sess_conn_close(&sub), cli_app_fail(a);
	}
	sess_switch_open(&sw, &a->cfg);
	while (!cli_stop_signal() && !a->out.closed) {
		redisReply *r = NULL;
		int w;

		/* the sentinels switched the primary: leave the old one now */
		if (sess_switch_poll(&sw)) {
			fprintf(stderr, "%s: the sentinels switched the primary of %s; leaving %s\n",
				a->prog, a->cfg.sentinel_master, a->conn.where);
			if (sessctl_reconnect(a, &a->conn, "failover") ||
			    sessctl_reconnect(a, &sub, "failover") ||
			    sessctl_subscribe(&sub, "SUBSCRIBE", 1, chans, &a->err))
				break;
			check = 1;
		}

		/* reconnected: the history we printed must still be the server's */
		if (check && (d = check_last(a, id, &st)) != 0) {
			if (d > 0) {
				free(st.last_text);
				sess_switch_close(&sw), sess_conn_close(&sub), sess_listen_close(&l);
				return cli_app_fail(a);
			}
			if (sessctl_reconnect(a, &a->conn, a->err.msg))
				break;
			continue;
		}
		check = 0;
		/* the log is the truth: read everything after the last printed seq */
		if (sess_log_events(&a->ctx, id, st.last + 1, 0, 0, follow_each, &st, NULL, &a->err)) {
			if (a->err.cls == SESS_E_NEGATIVE) {
				sess_switch_close(&sw), sess_conn_close(&sub), sess_listen_close(&l);
				free(st.last_text);
				if (!first)
					fprintf(stderr, "%s: session %s ended (expired or deleted)\n", a->prog, id);
				return first ? cli_app_fail(a) : 1;
			}
			if (a->err.cls != SESS_E_UNAVAILABLE && a->err.cls != SESS_E_TEMP)
				return free(st.last_text), sess_switch_close(&sw), sess_conn_close(&sub), sess_listen_close(&l), cli_app_fail(a);
			if (sessctl_reconnect(a, &a->conn, a->err.msg))
				break;
			check = 1;
			continue;
		}
		first = 0;
		/* pub/sub only wakes us; a quiet second re-reads the log anyway */
		if (cluster) {
			w = sess_listen_wait(&l, 1000, &r, &a->err);
			if (r)
				freeReplyObject(r);
			if (w < 0 && (a->err.cls == SESS_E_AUTH || a->err.cls == SESS_E_CONFIG)) {
				refused = 1; /* SSUBSCRIBE refused (the ACL): said below */
				break;
			}
			if (w < 0 && sessctl_listen(a, &l, 1, &id, a->err.msg)) {
				refused = !cli_stop_signal();
				break;
			}
			continue;
		}
		w = sess_conn_wait(&sub, 1000, &r, &a->err);
		if (r && r->type == REDIS_REPLY_ERROR) { /* SUBSCRIBE refused (the ACL) */
			sess_conn_reply_error(&sub, r, &a->err);
			freeReplyObject(r);
			free(st.last_text);
			sess_switch_close(&sw), sess_conn_close(&sub), sess_listen_close(&l);
			return cli_app_fail(a);
		}
		if (r)
			freeReplyObject(r);
		if (w < 0) {
			if (sessctl_reconnect(a, &sub, a->err.msg) ||
			    sessctl_subscribe(&sub, "SUBSCRIBE", 1, chans, &a->err))
				break;
		}
	}
	sess_switch_close(&sw), sess_conn_close(&sub), sess_listen_close(&l);
	free(st.last_text);
	if (cli_stop_signal())
		return cli_signal_exit();
	return refused ? cli_app_fail(a) : 0;
}

static int op_events(struct cli_app *a, const char *id, void *opts)
{
	struct events_opts *o = opts;

	return sess_log_events(&a->ctx, id, o->from, o->to, o->limit, cli_each_print, a,
			       NULL, &a->err);
}

static int cmd_events(struct cli_app *a, void *opts, int argc, char **argv)
{
	struct events_opts *o = opts;
	int rc;

	(void)argc;
	if (o->follow && (o->to || o->limit))
		return cli_usage_error(a, "--follow goes on forever; it does not take --to or --limit");
	if (o->to && o->to < o->from)
		return cli_usage_error(a, "--to %ld is before --from %ld", o->to, o->from);
	if (o->follow) {
		if (!strcmp(argv[0], "-"))
			return cli_usage_error(a, "--follow takes one session id, not ids on stdin");
		if (sess_key_check_id(argv[0], "session id", &a->err))
			return cli_app_fail(a);
		if ((rc = cli_connect(a)))
			return rc;
		return follow_log(a, argv[0], o->from);
	}
	return cli_run_ids(a, argv[0], op_events, o);
}

const struct cli_cmd sessctl_cmd_events = {
	.name = "events", .synopsis = "ID",
	.summary = "print a session's events, one per line",
	.opts = events_o, .opts_size = sizeof(struct events_opts), .defaults = &events_d,
	.npos_min = 1, .npos_max = 1, .complete = CLI_COMPLETE_SESSION, .id_arg = 1,
	.run = cmd_events};
