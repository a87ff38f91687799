/* run.c - what the check-running commands (check, probe, serve) share:
 * their options made a check's parameters, a result printed. */
#include "health.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int health_params_from(struct cli_app *a, const struct check_opts *o,
		       struct health_params *hp)
{
	int warn = 0;
	const char *crit = o->crit;
	char wbuf[SESS_RANGE_TEXT_MAX + 16], cbuf[SESS_RANGE_TEXT_MAX + 16];

	memset(hp, 0, sizeof *hp);
	if (health_plugin_opts(a, o, &crit))
		return health_could_not(a);
	if (cli_settings(&a->cfg, &a->common, &warn, &a->err))
		return health_could_not(a);
	if (warn)
		cli_warn(a->prog, "a password on the command line is visible to other users; use --password-file, --askpass or REDIS_PASSWORD");
	if (cli_out_init(&a->out, stdout, a->common.color, &a->err))
		return health_could_not(a);
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
		return health_could_not(a);
	}
	if (health_thresholds(&hp->th, &a->cfg, health_bare_range(wbuf, sizeof wbuf, o->warn),
			      health_bare_range(cbuf, sizeof cbuf, crit), &a->err))
		return health_could_not(a);
	return 0;
}

int health_print_result(struct cli_app *a, const struct health_result *r, int format,
			int verbose)
{
	char *s;

	if (format == F_JSON) {
		cli_out_json(&a->out, r->doc);
		return 0;
	}
	if (!(s = format == F_NAGIOS && verbose ? health_render_nagios_long(r)
						: health_render(r, format, a->out.color)))
		return -1;
	cli_out_raw(&a->out, s, strlen(s)); /* a write error: the exit status says */
	free(s);
	return 0;
}
