/* sessctl emit: append an event; the server assigns seq and timestamp. */
#include <string.h>

#include "core/model/json.h"
#include "core/model/limits.h"
#include "sessctl.h"

struct emit_opts {
	const char *actor, *type, *change, *transition, *impact, *event_id, *event;
	long expect_seq; /* -1: not given */
};

static const struct cli_opt emit_o[] = {
	CLI_STR("actor", 'a', "AGENT", "the emitting agent, a member of the session",
		struct emit_opts, actor, NULL),
	CLI_STR("type", 'T', "TYPE", "modified, broke, fixed, ...", struct emit_opts, type,
		"modified broke fixed created deleted verified"),
	CLI_STR("change", 0, "JSON", "changeInfo {elementType, entityIds, operation}",
		struct emit_opts, change, NULL),
	CLI_STR("transition", 0, "JSON", "stateTransition {from, to, verifiedBy, confidence}",
		struct emit_opts, transition, NULL),
	CLI_STR("impact", 0, "JSON", "impact, any JSON object", struct emit_opts, impact, NULL),
	CLI_STR("event-id", 0, "KEY", "makes a retried emit a no-op instead of a duplicate",
		struct emit_opts, event_id, NULL),
	CLI_STR("event", 0, "JSON", "the whole event in the seeds' shape; flags override it",
		struct emit_opts, event, NULL),
	CLI_LONG("expect-seq", 0, "N", "append only if the session's last seq is N (else\n"
		 "                         refused, exit 1, naming the current one)",
		 struct emit_opts, expect_seq, 0, SESS_SEQ_MAX),
	CLI_END};
static const struct emit_opts emit_d = {.expect_seq = -1};

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

static int cmd_emit(struct cli_app *a, void *opts, int argc, char **argv)
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

const struct cli_cmd sessctl_cmd_emit = {
	.name = "emit",
	.synopsis = "ID --actor AGENT --type TYPE | ID --event JSON",
	.summary = "append an event; the server assigns seq and timestamp",
	.opts = emit_o, .opts_size = sizeof(struct emit_opts), .defaults = &emit_d,
	.npos_min = 1, .npos_max = 1, .complete = CLI_COMPLETE_SESSION, .id_arg = 1,
	.run = cmd_emit};
