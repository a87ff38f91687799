/* plugin.c - sess-health as a monitoring plugin (the monitoring-plugins'
 * guidelines): the check_sesskit name, the plugin options' values (-t
 * SECONDS, -H HOST) and the old meanings of -c and -t kept one release,
 * and a usage problem as a status line in the nagios format. */
#include "health.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int health_as_plugin;

/* The --format the command line asks for (the last one), or NULL. Read
 * from the words themselves: a usage error can come before the options
 * are all parsed. */
static const char *format_word(const struct cli_app *a)
{
	const char *f = NULL;
	int i;

	for (i = 1; a->argv && i < a->argc; i++) {
		const char *w = a->argv[i];

		if (!strcmp(w, "--"))
			break;
		if ((!strcmp(w, "--format") || !strcmp(w, "-f")) && i + 1 < a->argc)
			f = a->argv[++i];
		else if (!strncmp(w, "--format=", 9))
			f = w + 9;
		else if (!strncmp(w, "-f", 2) && w[2])
			f = w + 2;
	}
	return f;
}

/* Is the output to be Nagios's status line? --format nagios, or no
 * --format under the name check_sesskit. serve has no status line. */
static int wants_nagios(const struct cli_app *a)
{
	const char *f = format_word(a);

	if (a->cmd && a->cmd != &health_cmd_check && a->cmd != &health_cmd_probe)
		return 0;
	return f ? !strcmp(f, "nagios") : health_as_plugin;
}

/* "SESS-HEALTH UNKNOWN - problem" on stdout: nothing in it a plugin line
 * may not hold (a pipe starts perfdata, a newline long output). */
static void unknown_line(const char *problem)
{
	char line[SESS_ERR_MSG_MAX + 32];
	size_t i;

	snprintf(line, sizeof line, "SESS-HEALTH UNKNOWN - %s", problem);
	for (i = 0; line[i]; i++)
		if (line[i] == '|' || line[i] == '\n' || line[i] == '\r')
			line[i] = '/';
	printf("%s\n", line);
}

void health_usage_status(struct cli_app *a, const char *problem)
{
	if (wants_nagios(a))
		unknown_line(problem);
}

int health_could_not(struct cli_app *a)
{
	fprintf(stderr, "%s: %s\n", a->prog, a->err.msg);
	health_usage_status(a, a->err.msg);
	return 3;
}

/* -t SECONDS as the command timeout in ms (a->common.timeout). Above 60
 * (no plugin waits that long: Nagios's own service_check_timeout is 60)
 * it is the old meaning, milliseconds, with a warning. */
static int plugin_timeout(struct cli_app *a, const char *s)
{
	char *end;
	double v = strtod(s, &end);

	if (end == s || *end || !isfinite(v) || v <= 0)
		return sess_err_set(&a->err, SESS_E_USAGE, NULL,
				    "--timeout must be a number of seconds above 0, not \"%.30s\"", s);
	if (v > 60) {
		if (v != floor(v) || v > 3600000)
			return sess_err_set(&a->err, SESS_E_USAGE, NULL,
					    "--timeout is in seconds, at most 60 (\"%.30s\")", s);
		cli_warn(a->prog, "-t %s is read as milliseconds (the old meaning, kept one release); "
			 "-t is in seconds now: -t %g", s, v / 1000);
		a->common.timeout = (long)v;
		return 0;
	}
	a->common.timeout = (long)ceil(v * 1000);
	return 0;
}

/* -c V: a threshold, unless V is no threshold (no NAME=, no RANGE) but a
 * file: the old --config letter, read so with a warning. */
static int old_config(struct cli_app *a, const char **crit)
{
	struct sess_range r;
	struct sess_err e;
	struct stat st;
	const char *v = *crit;

	size_t n = v ? strlen(v) : 0;

	if (!v || strchr(v, '=') || !sess_range_parse(v, "-c", &r, &e))
		return 0;
	if (stat(v, &st) || !S_ISREG(st.st_mode)) {
		/* a config file that is not there: say what -c is now */
		if (strchr(v, '/') || (n > 5 && !strcmp(v + n - 5, ".json")))
			return sess_err_set(&a->err, SESS_E_USAGE, NULL,
					    "-c %.200s: no such file; -c is --critical now, the config file is --config FILE", v);
		return 0;
	}
	if (a->common.config)
		return sess_err_set(&a->err, SESS_E_USAGE, NULL,
				    "-c %.200s is the old letter of --config: give --config once", v);
	cli_warn(a->prog, "-c %s is read as the config file (the old meaning, kept one release); "
		 "-c is --critical now: use --config FILE", v);
	a->common.config = v;
	*crit = NULL;
	return 0;
}

int health_plugin_opts(struct cli_app *a, const struct check_opts *o, const char **crit)
{
	if (o->timeout && plugin_timeout(a, o->timeout))
		return -1;
	if (o->hostname) {
		if (a->common.host)
			return sess_err_set(&a->err, SESS_E_USAGE, NULL,
					    "give -H or --host, not both (they are one setting)");
		a->common.host = o->hostname;
	}
	return old_config(a, crit);
}

const char *health_bare_range(char *buf, size_t n, const char *list)
{
	struct sess_range r;
	struct sess_err e;

	/* not a range ("latency"): left for NAME=RANGE's own error */
	if (!list || !*list || strchr(list, '=') || sess_range_parse(list, "latency", &r, &e))
		return list;
	snprintf(buf, n, "latency=%s", list);
	return buf;
}
