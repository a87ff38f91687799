/* sess-replay play: a history's records as frames, filtered and paced. */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/model/event.h"
#include "core/base/utf8.h"
#include "replay.h"

struct play_opts {
	const char *from, *to, *type, *actor, *speed;
	int events_only, with_state, saved;
};

static const struct cli_opt play_o[] = {
	CLI_STR("from", 0, "SEQ|TIME", "start at this point of the history: a seq, or a time\n"
		"                         (epoch ms, @MS, RFC 3339, 2h ago)", struct play_opts, from, NULL),
	CLI_STR("to", 0, "SEQ|TIME", "stop after this point of the history: a seq or a time", struct play_opts, to, NULL),
	CLI_STR("type", 0, "TYPE", "only events of this type", struct play_opts, type, NULL),
	CLI_STR("actor", 0, "AGENT", "only this agent's events and lifecycle records",
		struct play_opts, actor, NULL),
	CLI_FLAG("events-only", 0, "leave the lifecycle records out", struct play_opts, events_only),
	CLI_FLAG("with-state", 0, "add the session's state after each frame", struct play_opts, with_state),
	CLI_STR("speed", 0, "X", "keep the original gaps divided by X, 0.001 to 1e6\n"
		"                         (default: 1 on a terminal, as fast as possible otherwise)", struct play_opts, speed, NULL),
	CLI_FLAG("saved", 0, "read the saved replay even while the session lives",
		 struct play_opts, saved),
	CLI_END};

/* A lifecycle record as a frame: {"frame":"lifecycle","kind",...}. */
static cJSON *record_frame(const char *id, const char *text, size_t len)
{
	static const struct { const char *from, *to; } names[] = {
		{"a", "agent"}, {"m", "metadata"}, {"n", "checkpoint"}, {"r", "reason"},
		{"at", "seq"}, {"ts", "timestamp"}, {"k", "kind"}, {NULL, NULL}};
	cJSON *r = cJSON_ParseWithLength(text, len), *o, *it;

	if (!r || !(o = cJSON_CreateObject())) {
		cJSON_Delete(r);
		return NULL;
	}
	cJSON_AddStringToObject(o, "frame", "lifecycle");
	cJSON_AddStringToObject(o, "sessionId", id);
	while ((it = r->child)) {
		const char *key = it->string;
		size_t i;
		cJSON_DetachItemViaPointer(r, it);
		for (i = 0; names[i].from; i++)
			if (!strcmp(key, names[i].from))
				key = names[i].to;
		cJSON_AddItemToObject(o, key, it);
	}
	cJSON_Delete(r);
	return o;
}

static cJSON *event_frame(const char *id, const char *text, size_t len, struct sess_err *err)
{
	cJSON *ev = sess_event_decode(text, len, id, err), *o;

	if (!ev)
		return NULL;
	if (!(o = cJSON_CreateObject())) {
		cJSON_Delete(ev);
		return NULL;
	}
	cJSON_AddStringToObject(o, "frame", "event");
	while (ev->child) {
		cJSON *it = ev->child;
		cJSON_DetachItemViaPointer(ev, it);
		cJSON_AddItemToObject(o, it->string, it);
	}
	cJSON_Delete(ev);
	return o;
}

/* ---- text that is not UTF-8 ----
 * Stored texts are sesskit's own, but a store can hold anything: a byte
 * that is no part of a valid UTF-8 sequence is written as U+FFFD, never
 * raw (stdout is UTF-8, DESIGN.md "Interfaces"). Such bytes can only sit
 * inside JSON strings (the text parsed), where U+FFFD is valid as is. */

/* s[0..n) with each invalid byte as U+FFFD, malloc'ed (*out_len), or
 * NULL when s is valid UTF-8 (nothing to do) or memory ran out. */
static char *utf8_repaired(const char *s, size_t n, size_t *out_len)
{
	size_t bad = sess_utf8_check(s, n), i, o = 0, l;
	char *r;

	if (bad == n || !(r = malloc(n * 3 + 1)))
		return NULL;
	for (i = 0; i < n; i += l) {
		if ((l = sess_utf8_seq(s + i, n - i))) {
			memcpy(r + o, s + i, l);
			o += l;
		} else {
			memcpy(r + o, "\xef\xbf\xbd", 3);
			o += 3;
			l = 1;
		}
	}
	r[o] = '\0';
	*out_len = o;
	return r;
}

static void utf8_repair_text(struct sess_text *t)
{
	size_t n;
	char *r = utf8_repaired(t->p, t->len, &n);

	if (!r)
		return;
	free(t->p);
	t->p = r;
	t->len = n;
	t->cap = n + 1;
}

/* Every string and member name of a tree. */
static void utf8_repair_json(cJSON *j)
{
	cJSON *it;
	size_t n;
	char *r;

	for (; j; j = j->next) {
		if (j->string && (r = utf8_repaired(j->string, strlen(j->string), &n))) {
			if (!(j->type & cJSON_StringIsConst))
				cJSON_free(j->string);
			j->string = r;
			j->type &= ~cJSON_StringIsConst;
		}
		if (cJSON_IsString(j) && j->valuestring &&
		    (r = utf8_repaired(j->valuestring, strlen(j->valuestring), &n))) {
			cJSON_free(j->valuestring);
			j->valuestring = r;
		}
		if ((it = j->child))
			utf8_repair_json(it);
	}
}

/* ---- play ---- */

/* --speed's range: slower than a thousandth stretches a second past a
 * quarter hour; faster than a million is as fast as possible anyway */
#define PLAY_SPEED_MIN 0.001
#define PLAY_SPEED_MAX 1000000.0

struct play_st {
	struct cli_app *a;
	struct play_opts *o;
	struct point from, to;
	int has_from, has_to;
	double speed;
	long long last_ts;
	long frames;
	struct sess_text buf;
	int failed;
	int plain;  /* no filter and no pace: nothing to read from a record */
};

static void wait_gap(struct play_st *st, long long ts)
{
	long long gap;
	struct timespec t;

	if (st->speed <= 0 || !st->last_ts || ts <= st->last_ts)
		return;
	/* speed is within PLAY_SPEED_MIN..MAX (cmd_play): the double is
	 * finite; a long pause is shown as a minute at most */
	{
		double g = (double)(ts - st->last_ts) / st->speed;
		gap = g > 60000 ? 60000 : (long long)g;
	}
	if (gap <= 0)
		return;
	t.tv_sec = gap / 1000;
	t.tv_nsec = (gap % 1000) * 1000000L;
	while (!cli_stop_signal() && nanosleep(&t, &t) == -1 && errno == EINTR)
		;
}

static int play_one(int kind, const char *text, size_t len, struct sess_fold *f, void *p)
{
	struct play_st *st = p;
	struct play_opts *o = st->o;
	struct sess_fold_ev ev;
	long long pos, ts;
	int rc;

	if (st->a->out.closed || cli_stop_signal())
		return 1;
	if (!st->plain && record_position(kind, text, len, &pos, &ts, &ev, &st->a->err))
		return st->failed = 1;
	if (st->has_from && !(st->from.is_time ? ts >= st->from.v : pos >= st->from.v))
		return 0;
	if (kind != SESS_REC_EVENT && o->events_only)
		return 0;
	if (o->type && (kind != SESS_REC_EVENT || strlen(o->type) != ev.type_len ||
			memcmp(o->type, ev.type, ev.type_len)))
		return 0;
	if (o->actor) {
		if (kind == SESS_REC_EVENT) {
			if (strlen(o->actor) != ev.actor_len || memcmp(o->actor, ev.actor, ev.actor_len))
				return 0;
		} else {
			/* the record's own agent, never a member of its metadata */
			const char *a;
			size_t n;
			if (record_str(text, len, "a", &a, &n) != 1 || strlen(o->actor) != n ||
			    memcmp(o->actor, a, n))
				return 0;
		}
	}
	if (!st->plain) {
		wait_gap(st, ts);
		st->last_ts = ts;
	}
	st->frames++;
	if (kind == SESS_REC_EVENT && !o->with_state) {
		/* the hot path: the frame written from the stored text, no tree */
		st->buf.len = 0;
		if (sess_event_format(text, len, f->id, "event", &st->buf, &st->a->err))
			return st->failed = 1;
		utf8_repair_text(&st->buf);
		cli_out_text(&st->a->out, st->buf.p, st->buf.len);
	} else {
		cJSON *frame = kind == SESS_REC_EVENT ? event_frame(f->id, text, len, &st->a->err)
						      : record_frame(f->id, text, len);
		if (!frame)
			return st->failed = 1;
		if (o->with_state)
			cJSON_AddItemToObject(frame, "state", sess_fold_json(f));
		utf8_repair_json(frame);
		rc = cli_out_json(&st->a->out, frame);
		cJSON_Delete(frame);
		(void)rc;
	}
	if (st->speed > 0)
		cli_out_flush(&st->a->out); /* paced: show each frame as it comes */
	return 0;
}

static int cmd_play(struct cli_app *a, void *opts, int argc, char **argv)
{
	struct play_opts *o = opts;
	struct play_st st;
	struct source src;
	struct sess_fold f;
	int rc;

	(void)argc;
	memset(&st, 0, sizeof st);
	st.a = a;
	st.o = o;
	if (o->from && point_parse(o->from, "--from", &st.from, &a->err))
		return cli_usage_error(a, "%s", a->err.msg);
	if (o->to && point_parse(o->to, "--to", &st.to, &a->err))
		return cli_usage_error(a, "%s", a->err.msg);
	st.has_from = o->from != NULL;
	st.has_to = o->to != NULL;
	if (o->speed) {
		char *end;
		st.speed = strtod(o->speed, &end);
		if (end == o->speed || *end || !(st.speed >= PLAY_SPEED_MIN && st.speed <= PLAY_SPEED_MAX))
			return cli_usage_error(a, "--speed takes a number from %g to %g (2 = twice as fast), not \"%s\"",
					       PLAY_SPEED_MIN, PLAY_SPEED_MAX, o->speed);
	} else {
		st.speed = isatty(STDOUT_FILENO) ? 1 : 0;
	}
	st.plain = !st.has_from && !o->type && !o->actor && st.speed <= 0;
	if ((rc = cli_connect(a)))
		return rc;
	cli_catch_stop_signals();
	cli_out_bulk(&a->out);
	if (source_open(a, argv[0], o->saved, &src))
		return cli_app_fail(a);
	rc = source_fold(a, &src, &f, (o->with_state ? SRC_FOLD : 0) | (o->events_only ? SRC_EVENTS : 0),
			 st.has_from && !st.from.is_time ? st.from.v : 0,
			 st.has_to ? &st.to : NULL, play_one, &st);
	if (st.failed)
		rc = -1;
	if (!rc && o->with_state && !a->out.closed && !cli_stop_signal()) {
		/* the states shown are derived: the records they came from are
		 * checked to their chain's anchor (state does the same), and a
		 * changed record fails the play after its frames, exit 65 */
		struct point end = {0, LLONG_MAX};
		struct sess_fold chk;
		rc = fold_anchored(a, &src, st.has_to ? &st.to : &end, &chk);
		sess_fold_free(&chk);
	}
	cli_out_flush(&a->out);
	free(st.buf.p);
	if (!rc && src.head.start && !src.saved)
		cli_warn(a->prog, "the log of %s was trimmed: the history starts at checkpoint %g (seq %g)",
			 src.id, cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(src.head.start, "id")),
			 cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(src.head.start, "seq")));
	sess_fold_free(&f);
	source_close(&src);
	if (rc)
		return cli_app_fail(a);
	return cli_stop_signal() ? cli_signal_exit() : 0;
}

const struct cli_cmd replay_cmd_play = {
	.name = "play",
	.synopsis = "ID",
	.summary = "the history as JSON-line frames, in order",
	.details = "A frame is an event ({\"frame\":\"event\",...}, as 'sessctl events' prints it) or a\n"
		    "lifecycle record ({\"frame\":\"lifecycle\",\"kind\":create|join|leave|complete|touch|\n"
		    "checkpoint|trim|upgrade|fork,\"seq\":the event it follows,...}). ID is a live\n"
		    "session or, once it is gone, its saved replay.\n",
	.opts = play_o, .opts_size = sizeof(struct play_opts), .npos_min = 1, .npos_max = 1,
	.complete = CLI_COMPLETE_SESSION, .id_arg = 1,
	.run = cmd_play};
