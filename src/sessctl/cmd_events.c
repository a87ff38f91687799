/* Event commands: emit, events. */
#include <string.h>

#include "core/json.h"
#include "core/limits.h"
#include "sessctl.h"

struct emit_st {
	struct sess_event ev;
	const char *event_json;
	const char *change, *transition, *impact;
	const char *actor, *type, *event_id;
};

static int emit_opt(struct app *a, int opt, const char *arg, void *p)
{
	struct emit_st *st = p;

	(void)a;
	switch (opt) {
	case 'a': st->actor = arg; return 0;
	case 'T': st->type = arg; return 0;
	case 'C': st->change = arg; return 0;
	case 'S': st->transition = arg; return 0;
	case 'P': st->impact = arg; return 0;
	case 'E': st->event_id = arg; return 0;
	case 'J': st->event_json = arg; return 0;
	}
	return 70;
}

static int set_str(char *dst, size_t n, const char *v, const char *what, struct sess_err *err)
{
	if (strlen(v) >= n)
		return sess_err_set(err, SESS_E_DATA, "bad_event", "%s is longer than %zu characters", what, n - 1);
	memcpy(dst, v, strlen(v) + 1);
	return 0;
}

/* Build the event from --event, then the single-field flags on top. */
static int build_event(struct emit_st *st, struct sess_err *err)
{
	struct sess_event *ev = &st->ev;

	if (st->event_json) {
		cJSON *j = sess_json_parse_err(st->event_json, "--event", NULL, err);
		int rc;
		if (!j)
			return -1;
		rc = sess_event_from_json(ev, j, err);
		cJSON_Delete(j);
		if (rc)
			return -1;
	}
	if (st->actor && set_str(ev->actor, sizeof ev->actor, st->actor, "--actor", err))
		return -1;
	if (st->type && set_str(ev->type, sizeof ev->type, st->type, "--type", err))
		return -1;
	if (st->event_id && set_str(ev->event_id, sizeof ev->event_id, st->event_id, "--event-id", err))
		return -1;
	if (st->change && sess_event_set_part(ev, "changeInfo", st->change, err))
		return -1;
	if (st->transition && sess_event_set_part(ev, "stateTransition", st->transition, err))
		return -1;
	if (st->impact && sess_event_set_part(ev, "impact", st->impact, err))
		return -1;
	return sess_event_validate(ev, err);
}

static int op_emit(struct app *a, const char *id, void *p)
{
	struct emit_st *st = p;
	cJSON *out = NULL;

	if (sess_emit(&a->ctx, id, &st->ev, &out, &a->err))
		return -1;
	app_print(a, out);
	return 0;
}

int cmd_emit(struct app *a, int argc, char **argv)
{
	static const struct option o[] = {
		{"actor", required_argument, NULL, 'a'},
		{"type", required_argument, NULL, 'T'},
		{"change", required_argument, NULL, 'C'},
		{"transition", required_argument, NULL, 'S'},
		{"impact", required_argument, NULL, 'P'},
		{"event-id", required_argument, NULL, 'E'},
		{"event", required_argument, NULL, 'J'},
		{NULL, 0, NULL, 0}};
	const struct cmd *c = sessctl_find("emit");
	struct emit_st st;
	int first, rc;

	memset(&st, 0, sizeof st);
	sess_event_init(&st.ev);
	if ((rc = app_parse(a, c, argc, argv, "a:T:", o, emit_opt, &st, 1, 1, &first)))
		goto done;
	if (build_event(&st, &a->err)) {
		rc = app_fail(a);
		goto done;
	}
	rc = app_run_ids(a, argv[first], op_emit, &st);
done:
	sess_event_free(&st.ev);
	return rc;
}

struct events_st {
	long from, to, limit;
	int follow;
};

static int events_opt(struct app *a, int opt, const char *arg, void *p)
{
	struct events_st *st = p;
	const char *what;
	long *dst;

	if (opt == 'f') {
		st->follow = 1;
		return 0;
	}
	what = opt == 'F' ? "--from" : opt == 'U' ? "--to" : "--limit";
	dst = opt == 'F' ? &st->from : opt == 'U' ? &st->to : &st->limit;

	if (sess_parse_long(arg, 1, SESS_SEQ_MAX, what, SESS_E_USAGE, dst, &a->err))
		return fprintf(stderr, "%s events: %s\n", a->prog, a->err.msg), 64;
	return 0;
}

static int op_events(struct app *a, const char *id, void *p)
{
	struct events_st *st = p;

	return sess_events(&a->ctx, id, st->from, st->to, st->limit, app_each_print, a,
			   NULL, &a->err);
}

int cmd_events(struct app *a, int argc, char **argv)
{
	static const struct option o[] = {
		{"from", required_argument, NULL, 'F'},
		{"to", required_argument, NULL, 'U'},
		{"limit", required_argument, NULL, 'l'},
		{"follow", no_argument, NULL, 'f'},
		{NULL, 0, NULL, 0}};
	const struct cmd *c = sessctl_find("events");
	struct events_st st = {1, 0, 0, 0};
	int first, rc;

	if ((rc = app_parse(a, c, argc, argv, "l:f", o, events_opt, &st, 1, 1, &first)))
		return rc;
	if (st.follow && (st.to || st.limit))
		return app_usage(a, c, "--follow goes on forever; it does not take --to or --limit");
	if (st.to && st.to < st.from)
		return app_usage(a, c, "--to %ld is before --from %ld", st.to, st.from);
	if (st.follow) {
		if (!strcmp(argv[first], "-"))
			return app_usage(a, c, "--follow takes one session id, not ids on stdin");
		if (sess_key_check_id(argv[first], "session id", &a->err))
			return app_fail(a);
		if ((rc = app_connect(a)))
			return rc;
		return live_follow(a, argv[first], st.from);
	}
	return app_run_ids(a, argv[first], op_events, &st);
}
