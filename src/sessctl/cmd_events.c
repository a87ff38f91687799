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
	long tail;
	const char *type;
};

static const struct cli_opt events_o[] = {
	CLI_LONG("from", 0, "SEQ", "first seq", struct events_opts, from, 1, SESS_SEQ_MAX),
	CLI_LONG("to", 0, "SEQ", "last seq (default: the last)", struct events_opts, to, 1, SESS_SEQ_MAX),
	CLI_LONG("limit", 'l', "N", "at most N events", struct events_opts, limit, 1, SESS_SEQ_MAX),
	CLI_FLAG("follow", 'f', "then wait for new ones, without gaps or duplicates,\n"
		 "                         across reconnects (reads the log; pub/sub wakes it)",
		 struct events_opts, follow),
	CLI_LONG("tail", 0, "N", "the last N events (of --type, when given)", struct events_opts, tail, 1,
		 1000000),
	CLI_STR("type", 'T', "TYPE", "only events of this type (modified, broke, ...)", struct events_opts,
		type, NULL),
	CLI_END};
static const struct events_opts events_d = {.from = 1};

struct follow_st {
	struct cli_app *a;
	long last;
	char *last_text;  /* the last event printed, as JSON text (owned) */
	int same;         /* check_last: the server's event at last matched */
	int recheck;      /* the next event read is the one printed last */
	int diverged;     /* ...and it was not */
};

static int follow_each(cJSON *ev, void *p)
{
	struct follow_st *st = p;
	cJSON *seq = cJSON_GetObjectItemCaseSensitive(ev, "seq");

	if (st->recheck) {
		/* every read starts at the event printed last: a server that
		 * no longer holds it (a failover the transport followed by
		 * itself, as a cluster's does) is found before anything else
		 * is printed */
		char *text = cJSON_PrintUnformatted(ev);
		st->recheck = 0;
		st->diverged = !text || !cJSON_IsNumber(seq) || (long)seq->valuedouble != st->last ||
			       strcmp(text, st->last_text);
		free(text);
		return st->diverged;
	}
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

/* The event printed last is not in the log because maintenance trimmed
 * it away (the log now starts after it): nothing was lost, and the
 * follow goes on after it without the byte-for-byte check (last_text
 * dropped). 1 so, 0 not (a divergence), 1 with *first -1 when the read
 * failed (a->err). */
static int trimmed_away(struct cli_app *a, const char *id, struct follow_st *st, long *first)
{
	if (sess_log_first(&a->ctx, id, first, &a->err)) {
		*first = -1;
		return 1;
	}
	if (*first <= st->last)
		return 0;
	if (*first > st->last + 1) /* a slow reader: said, not hidden */
		cli_warn(a->prog, "events %ld to %ld of %s were trimmed (maintenance) before they were printed",
			 st->last + 1, *first - 1, id);
	free(st->last_text);
	st->last_text = NULL;
	return 1;
}

/* After a reconnect (a failover may have lost writes the old server had):
 * the event last printed must still be there, byte for byte. 0 it is,
 * 1 it is not (a->err says "history diverged at seq N"), -1 the read
 * failed (a->err). */
static int check_last(struct cli_app *a, const char *id, struct follow_st *st)
{
	long first;

	if (!st->last_text)
		return 0;
	st->same = 0;
	if (sess_log_events(&a->ctx, id, st->last, st->last, 1, same_each, st, NULL, &a->err))
		return a->err.cls == SESS_E_NEGATIVE ? 0 : -1; /* ended: said below */
	if (st->same)
		return 0;
	if (trimmed_away(a, id, st, &first))
		return first < 0 ? -1 : 0;
	sess_err_set(&a->err, SESS_E_DATA, "diverged",
		     "history diverged at seq %ld: the server no longer holds the event printed there (lost in a failover?); what was printed from seq %ld on may not be in the log",
		     st->last, st->last);
	return 1;
}

/* events ID --follow: print the log from seq from on, forever. */
static int follow_log(struct cli_app *a, const char *id, long from)
{
	struct follow_st st = {a, from - 1, NULL, 0, 0, 0};
	struct sess_switch sw;
	struct sess_conn sub;
	struct sess_listen l; /* a cluster's: SSUBSCRIBE (session/listen.h) */
	char chan[SESS_KEY_MAX];
	const char *chans[1] = {chan};
	int first = 1, check = 0, d, cluster, refused = 0;
	int rc = -1; /* an exit code; -1: the loop ended (a signal, stdout closed,
		      * a reconnect given up, refused) */

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
				rc = cli_app_fail(a);
				goto out;
			}
			if (sessctl_reconnect(a, &a->conn, a->err.msg))
				break;
			continue;
		}
		check = 0;
		/* the log is the truth: read everything after the last printed
		 * seq, from that one (which must still be the same) */
		st.recheck = st.last_text != NULL;
		if (sess_log_events(&a->ctx, id, st.last + (st.recheck ? 0 : 1), 0, 0, follow_each, &st,
				    NULL, &a->err)) {
			if (a->err.cls == SESS_E_NEGATIVE) {
				if (!first)
					fprintf(stderr, "%s: session %s ended (expired or deleted)\n", a->prog, id);
				rc = first ? cli_app_fail(a) : 1;
				goto out;
			}
			if (a->err.cls != SESS_E_UNAVAILABLE && a->err.cls != SESS_E_TEMP) {
				rc = cli_app_fail(a);
				goto out;
			}
			if (sessctl_reconnect(a, &a->conn, a->err.msg))
				break;
			check = 1;
			continue;
		}
		if (st.recheck || st.diverged) { /* not there, or another event */
			long f;
			if (trimmed_away(a, id, &st, &f)) {
				if (f < 0) { /* the read failed: as any read */
					if (a->err.cls != SESS_E_UNAVAILABLE && a->err.cls != SESS_E_TEMP) {
						rc = cli_app_fail(a);
						goto out;
					}
					if (sessctl_reconnect(a, &a->conn, a->err.msg))
						break;
					check = 1;
				}
				st.recheck = st.diverged = 0;
				continue; /* read on after it */
			}
			sess_err_set(&a->err, SESS_E_DATA, "diverged",
				     "history diverged at seq %ld: the server no longer holds the event printed there (lost in a failover?); what was printed from seq %ld on may not be in the log",
				     st.last, st.last);
			rc = cli_app_fail(a);
			goto out;
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
			rc = cli_app_fail(a);
			goto out;
		}
		if (r)
			freeReplyObject(r);
		if (w < 0) {
			if (sessctl_reconnect(a, &sub, a->err.msg) ||
			    sessctl_subscribe(&sub, "SUBSCRIBE", 1, chans, &a->err))
				break;
		}
	}
out: /* the one way out: everything opened is closed here */
	sess_switch_close(&sw), sess_conn_close(&sub), sess_listen_close(&l);
	free(st.last_text);
	if (rc >= 0)
		return rc;
	if (cli_stop_signal())
		return cli_signal_exit();
	return refused ? cli_app_fail(a) : 0;
}

/* --type and --tail: the events that pass, the last tail of them held
 * (a ring of copies) until the read ends. */
struct pick_st {
	struct cli_app *a;
	const char *type;
	long tail, n, printed, limit; /* n: held; limit: --limit, 0 none */
	cJSON **ring;
	size_t head;
};

static int pick_each(cJSON *ev, void *p)
{
	struct pick_st *st = p;
	const cJSON *t = cJSON_GetObjectItemCaseSensitive(ev, "type");

	if (st->type && !(cJSON_IsString(t) && !strcmp(t->valuestring, st->type)))
		return 0;
	if (!st->tail) {
		if (st->limit && st->printed >= st->limit)
			return 1;
		st->printed++;
		return cli_each_print(ev, st->a);
	}
	if (st->n == st->tail) { /* full: the oldest goes */
		cJSON_Delete(st->ring[st->head]);
		st->ring[st->head] = cJSON_Duplicate(ev, 1);
		st->head = (st->head + 1) % (size_t)st->tail;
	} else {
		st->ring[(st->head + (size_t)st->n++) % (size_t)st->tail] = cJSON_Duplicate(ev, 1);
	}
	return 0;
}

static int none_each(cJSON *ev, void *p)
{
	(void)ev;
	(void)p;
	return 0;
}

static int op_events(struct cli_app *a, const char *id, void *opts)
{
	struct events_opts *o = opts;
	struct pick_st st = {a, o->type, o->tail, 0, 0, o->limit, NULL, 0};
	long from = o->from, last = 0, i;
	int rc, stop = 0;

	if (!o->type && !o->tail)
		return sess_log_events(&a->ctx, id, o->from, o->to, o->limit, cli_each_print, a,
				       NULL, &a->err);
	if (o->tail && !o->type) {
		/* the last seq first (nothing read past it), then only the tail */
		if (sess_log_events(&a->ctx, id, SESS_SEQ_MAX, 0, 1, none_each, NULL, &last, &a->err))
			return -1;
		if (o->to && o->to < last)
			last = o->to;
		if (last - o->tail + 1 > from)
			from = last - o->tail + 1;
	}
	if (o->tail && !(st.ring = calloc((size_t)o->tail, sizeof *st.ring)))
		return sess_err_set(&a->err, SESS_E_INTERNAL, NULL, "out of memory");
	rc = sess_log_events(&a->ctx, id, from, o->to, 0, pick_each, &st, NULL, &a->err);
	for (i = 0; st.ring && i < st.n; i++) {
		cJSON *ev = st.ring[(st.head + (size_t)i) % (size_t)o->tail];
		if (!rc && !stop && (!o->limit || i < o->limit))
			stop = cli_each_print(ev, a);
		cJSON_Delete(ev);
	}
	free(st.ring);
	return rc;
}

static int cmd_events(struct cli_app *a, void *opts, int argc, char **argv)
{
	struct events_opts *o = opts;
	int rc;

	(void)argc;
	if (o->follow && (o->to || o->limit || o->tail || o->type))
		return cli_usage_error(a, "--follow goes on forever; it does not take --to, --limit, --tail or --type "
				       "(filter with jq: --follow | jq -c 'select(.type == \"broke\")')");
	if (o->to && o->to < o->from)
		return cli_usage_error(a, "--to %ld is before --from %ld", o->to, o->from);
	if (o->follow) {
		if (!strcmp(argv[0], "-"))
			return cli_usage_error(a, "--follow takes one session id, not ids on stdin");
		if (sess_key_check_id(argv[0], "session id", &a->err))
			return cli_app_fail(a);
		if ((rc = cli_connect(a)))
			return rc;
		/* rows go out as they come: TSV lines, or JSON (a table waits
		 * for its last row to know its widths, and this has none) */
		if (!a->out.tsv)
			a->out.table = NULL;
		return follow_log(a, argv[0], o->from);
	}
	return cli_run_ids(a, argv[0], op_events, o);
}

const struct cli_cmd sessctl_cmd_events = {
	.name = "events", .synopsis = "ID",
	.summary = "print a session's events, one per line",
	.opts = events_o, .opts_size = sizeof(struct events_opts), .defaults = &events_d,
	.npos_min = 1, .npos_max = 1, .complete = CLI_COMPLETE_SESSION, .id_arg = 1,
	.table = "seq timestamp@:time actor type changeInfo.operation:operation stateTransition.to:to",
	.run = cmd_events};
