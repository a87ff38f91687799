/* Event commands: emit, events. */
#include <string.h>

#include "core/model/json.h"
#include "core/model/keys.h"
#include "sessctl.h"

struct emit_st {
	struct sess_event ev;
	const struct emit_opts *o;
};

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
	const struct emit_opts *o = st->o;

	if (o->event) {
		cJSON *j = sess_json_parse_err(o->event, "--event", NULL, err);
		int rc;
		if (!j)
			return -1;
		rc = sess_event_from_json(ev, j, err);
		cJSON_Delete(j);
		if (rc)
			return -1;
	}
	if (o->actor && set_str(ev->actor, sizeof ev->actor, o->actor, "--actor", err))
		return -1;
	if (o->type && set_str(ev->type, sizeof ev->type, o->type, "--type", err))
		return -1;
	if (o->event_id && set_str(ev->event_id, sizeof ev->event_id, o->event_id, "--event-id", err))
		return -1;
	if (o->change && sess_event_set_part(ev, "changeInfo", o->change, err))
		return -1;
	if (o->transition && sess_event_set_part(ev, "stateTransition", o->transition, err))
		return -1;
	if (o->impact && sess_event_set_part(ev, "impact", o->impact, err))
		return -1;
	if (o->expect_seq >= 0)
		ev->expect_seq = o->expect_seq;
	return sess_event_validate(ev, err);
}

static int op_emit(struct cli_app *a, const char *id, void *p)
{
	struct emit_st *st = p;
	cJSON *out = NULL;

	if (sess_emit(&a->ctx, id, &st->ev, &out, &a->err) ||
	    sessctl_durable(a, st->ev.event_id[0] ?
			    "the event may have been stored: re-run with the same --event-id (a duplicate is dropped)" :
			    "the event may have been stored, and without --event-id a re-run may store it twice: check sessctl events first",
			    &out))
		return -1;
	cli_print(a, out);
	return 0;
}

int cmd_emit(struct cli_app *a, void *opts, int argc, char **argv)
{
	struct emit_st st;
	int rc;

	(void)argc;
	st.o = opts;
	sess_event_init(&st.ev);
	if (build_event(&st, &a->err))
		rc = cli_app_fail(a);
	else
		rc = cli_run_ids(a, argv[0], op_emit, &st);
	sess_event_free(&st.ev);
	return rc;
}

static int op_events(struct cli_app *a, const char *id, void *opts)
{
	struct events_opts *o = opts;

	return sess_log_events(&a->ctx, id, o->from, o->to, o->limit, cli_each_print, a,
			       NULL, &a->err);
}

int cmd_events(struct cli_app *a, void *opts, int argc, char **argv)
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
		return live_follow(a, argv[0], o->from);
	}
	return cli_run_ids(a, argv[0], op_events, o);
}
