/* run.c - the check and probe commands, and --watch. */
#include "health.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Anything wrong before a check can run (settings, flags) is "could not
 * check": exit 3, one line naming the fix. */
static int could_not(struct cli_app *a)
{
	fprintf(stderr, "%s: %s\n", a->prog, a->err.msg);
	return 3;
}

int health_params_from(struct cli_app *a, const struct check_opts *o,
		       struct health_params *hp)
{
	int warn = 0;

	memset(hp, 0, sizeof *hp);
	if (cli_settings(&a->cfg, &a->common, &warn, &a->err))
		return could_not(a);
	if (warn)
		cli_warn(a->prog, "a password on the command line is visible to other users; use --password-file, --askpass or REDIS_PASSWORD");
	if (cli_out_init(&a->out, stdout, a->common.color, &a->err))
		return could_not(a);
	hp->pings = o->pings;
	hp->sample_ms = o->sample_ms;
	hp->window = o->window;
	hp->drift_sample = o->drift_sample;
	hp->role = o->role ? o->role : "master";
	hp->redis_only = o->redis_only;
	hp->no_pubsub = o->no_pubsub;
	hp->no_sessions = o->no_sessions;
	if (strcmp(hp->role, "master") && strcmp(hp->role, "replica") && strcmp(hp->role, "any")) {
		sess_err_set(&a->err, SESS_E_USAGE, NULL, "--role must be master, replica or any, not \"%.30s\"", hp->role);
		return could_not(a);
	}
	if (health_thresholds(&hp->th, &a->cfg, o->warn, o->crit, &a->err))
		return could_not(a);
	return 0;
}

static int print_result(struct cli_app *a, const struct health_result *r, int format)
{
	char *s;

	if (format == F_JSON) {
		cli_out_json(&a->out, r->doc);
		return 0;
	}
	if (!(s = health_render(r, format, a->out.color)))
		return -1;
	cli_out_raw(&a->out, s, strlen(s)); /* a write error: the exit status says */
	free(s);
	return 0;
}

/* What changed in checks since prev: {key: {status, level, observedValue,
 * was}},
 * with null for a check that went away. prev NULL: every check. */
static cJSON *changes(const cJSON *prev, const cJSON *cur)
{
	cJSON *out = cJSON_CreateObject();
	const cJSON *c, *p;

	cJSON_ArrayForEach(c, cur) {
		const cJSON *co = cJSON_GetArrayItem(c, 0), *po = NULL;
		cJSON *e;
		p = prev ? cJSON_GetObjectItem(prev, c->string) : NULL;
		po = p ? cJSON_GetArrayItem(p, 0) : NULL;
		if (po && cJSON_Compare(cJSON_GetObjectItem(co, "level"), cJSON_GetObjectItem(po, "level"), 1) &&
		    cJSON_Compare(cJSON_GetObjectItem(co, "observedValue"), cJSON_GetObjectItem(po, "observedValue"), 1))
			continue;
		e = cJSON_AddObjectToObject(out, c->string);
		cJSON_AddItemToObject(e, "status", cJSON_Duplicate(cJSON_GetObjectItem(co, "status"), 1));
		cJSON_AddItemToObject(e, "level", cJSON_Duplicate(cJSON_GetObjectItem(co, "level"), 1));
		if (cJSON_GetObjectItem(co, "observedValue"))
			cJSON_AddItemToObject(e, "observedValue", cJSON_Duplicate(cJSON_GetObjectItem(co, "observedValue"), 1));
		if (cJSON_GetObjectItem(co, "output"))
			cJSON_AddItemToObject(e, "output", cJSON_Duplicate(cJSON_GetObjectItem(co, "output"), 1));
		if (cJSON_GetObjectItem(co, "note"))
			cJSON_AddItemToObject(e, "note", cJSON_Duplicate(cJSON_GetObjectItem(co, "note"), 1));
		if (po) {
			cJSON *was = cJSON_AddObjectToObject(e, "was");
			cJSON_AddItemToObject(was, "status", cJSON_Duplicate(cJSON_GetObjectItem(po, "status"), 1));
			cJSON_AddItemToObject(was, "level", cJSON_Duplicate(cJSON_GetObjectItem(po, "level"), 1));
			if (cJSON_GetObjectItem(po, "observedValue"))
				cJSON_AddItemToObject(was, "observedValue", cJSON_Duplicate(cJSON_GetObjectItem(po, "observedValue"), 1));
		}
	}
	cJSON_ArrayForEach(p, prev) {
		if (!cJSON_GetObjectItem(cur, p->string))
			cJSON_AddNullToObject(out, p->string);
	}
	return out;
}

/* --watch: one line per interval until SIGINT/SIGTERM (exit 130/143). */
static int watch(struct cli_app *a, const struct check_opts *o, const struct health_params *hp)
{
	struct health_guard g;
	cJSON *prev = NULL;
	int fresh;

	cli_catch_stop_signals();
	/* no cache: each interval is a new check; the breaker spares a dead
	 * Redis a timeout per line */
	health_guard_init(&g, hp, &a->cfg, 0, (int)o->breaker_failures, (double)o->breaker_cooldown * 1000);
	while (!cli_stop_signal() && !a->out.closed) {
		const struct health_result *r = health_guard_get(&g, &fresh);
		const cJSON *checks = cJSON_GetObjectItem(r->doc, "checks");
		cJSON *line = cJSON_CreateObject();
		double end;

		cJSON_AddItemToObject(line, "time", cJSON_Duplicate(cJSON_GetObjectItem(r->doc, "time"), 1));
		health_json_status(line, r->status);
		cJSON_AddBoolToObject(line, "checked", fresh);
		cJSON_AddItemToObject(line, "changed", changes(prev, checks));
		cJSON_AddItemToObject(line, "breaker", cJSON_Duplicate(cJSON_GetObjectItem(r->doc, "breaker"), 1));
		if (cJSON_GetObjectItem(r->doc, "output"))
			cJSON_AddItemToObject(line, "output", cJSON_Duplicate(cJSON_GetObjectItem(r->doc, "output"), 1));
		a->out.pretty = 0; /* a stream: one line each, even on a terminal */
		cli_out_json(&a->out, line);
		cJSON_Delete(line);
		cJSON_Delete(prev);
		prev = cJSON_Duplicate(checks, 1);
		/* sleep until the next interval; a signal ends the wait */
		end = (double)o->watch * 1000;
		while (end > 0 && !cli_stop_signal()) {
			int ms = end > 1000 ? 1000 : (int)end;
			if (poll(NULL, 0, ms) < 0 && errno != EINTR)
				break;
			end -= ms;
		}
	}
	cJSON_Delete(prev);
	health_guard_free(&g);
	return cli_stop_signal() ? cli_signal_exit() : 0;
}

int cmd_check(struct cli_app *a, void *opts, int argc, char **argv)
{
	struct check_opts *o = opts;
	struct health_params hp;
	struct health_result r;
	int rc, format;

	(void)argc;
	(void)argv;
	if ((rc = health_params_from(a, o, &hp)))
		return rc;
	if (health_format_parse(o->format, a->out.pretty, &format, &a->err))
		return could_not(a);
	if (o->watch) {
		if (o->format && format != F_JSON) {
			sess_err_set(&a->err, SESS_E_USAGE, NULL, "--watch prints JSON lines; drop --format %s", o->format);
			return could_not(a);
		}
		return watch(a, o, &hp);
	}
	health_check(&hp, &a->cfg, &r);
	if (print_result(a, &r, format)) {
		health_result_free(&r);
		return 3;
	}
	rc = health_exit_code(r.status);
	health_result_free(&r);
	return rc;
}

int cmd_probe(struct cli_app *a, void *opts, int argc, char **argv)
{
	struct check_opts *o = opts;
	struct health_params hp;
	struct health_result r;
	int rc, format;

	(void)argc;
	(void)argv;
	if ((rc = health_params_from(a, o, &hp)))
		return rc;
	if (health_format_parse(o->format, 0, &format, &a->err))
		return could_not(a);
	health_check(&hp, &a->cfg, &r);
	if (format == F_JSON) {
		/* one short line: a probe's log should not fill a pod's */
		cJSON *line = cJSON_CreateObject();
		health_json_status(line, r.status);
		cJSON_AddNumberToObject(line, "durationMs", (double)(long long)(r.duration_ms * 1000) / 1000);
		cJSON_AddItemToObject(line, "components", cJSON_Duplicate(cJSON_GetObjectItem(r.doc, "components"), 1));
		if (cJSON_GetObjectItem(r.doc, "output"))
			cJSON_AddItemToObject(line, "output", cJSON_Duplicate(cJSON_GetObjectItem(r.doc, "output"), 1));
		a->out.pretty = 0;
		cli_out_json(&a->out, line);
		cJSON_Delete(line);
	} else {
		print_result(a, &r, format);
	}
	rc = health_exit_code(r.status);
	health_result_free(&r);
	return rc;
}
