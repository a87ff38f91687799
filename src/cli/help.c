/* help.c - the help texts, generated from the command tables so they
 * cannot drift from what the parser checks: a tool's --help (cli_usage)
 * and a command's (cli_cmd_help), with each option's range, default,
 * "required" and the common options as the command takes them
 * (cli_common_for). Contracts in cli.h; the parser is cmd.c. */
#include "cli/cli.h"

#include <string.h>

#include "core/model/when.h"

/* "  -a, --agent AGENT      help" */
/* What the table says of a whole-number option's value, generated so help
 * cannot drift from what is checked: " (MIN-MAX, default D)"; the default
 * only when the command's defaults hold one inside the range (a value
 * outside it means "not given": the help text says what happens then;
 * common options have no defaults struct: their defaults are settings). */
static void long_range(char *buf, size_t n, const struct cli_opt *o,
		       const void *defaults)
{
	char range[64];
	long d = 0;

	if (defaults)
		memcpy(&d, (const char *)defaults + o->off, sizeof d);
	if (o->max >= 1000000000000L) /* a bound nobody reaches: say so */
		snprintf(range, sizeof range, "%ld or more", o->min);
	else
		snprintf(range, sizeof range, "%ld-%ld", o->min, o->max);
	if (defaults && d >= o->min && d <= o->max)
		snprintf(buf, n, " (%s, default %ld)", range, d);
	else
		snprintf(buf, n, " (%s)", range);
}

/* The same for a duration option, in durations: " (1s-7d, default 1h;
 * a bare number: seconds)". */
static void dur_range(char *buf, size_t n, const struct cli_opt *o,
		      const void *defaults)
{
	static const struct {
		long ms;
		const char *name;
	} names[] = {{1, "milliseconds"}, {1000, "seconds"}, {60000, "minutes"},
		     {3600000, "hours"}, {86400000, "days"}};
	char lo[32], hi[32], def[48] = "";
	const char *uname = "milliseconds";
	long long unit = o->unit_ms > 0 ? o->unit_ms : 1;
	long d = 0;
	size_t i;

	for (i = 0; i < sizeof names / sizeof names[0]; i++)
		if (names[i].ms == unit)
			uname = names[i].name;
	if (defaults)
		memcpy(&d, (const char *)defaults + o->off, sizeof d);
	sess_duration_format((long long)o->min * unit, lo, sizeof lo);
	sess_duration_format((long long)o->max * unit, hi, sizeof hi);
	if (defaults && d >= o->min && d <= o->max) {
		snprintf(def, sizeof def, ", default ");
		sess_duration_format((long long)d * unit, def + strlen(def), sizeof def - strlen(def));
	}
	snprintf(buf, n, " (%s-%s%s; a bare number: %s)", lo, hi, def, uname);
}

static void opt_line(FILE *f, const struct cli_opt *o, const void *defaults)
{
	char left[64], range[128] = "";
	int n;

	if (!o->help)
		return;
	if (o->kind == CLI_OPT_LONG)
		long_range(range, sizeof range, o, defaults);
	else if (o->kind == CLI_OPT_DUR)
		dur_range(range, sizeof range, o, defaults);
	if (o->required) { /* one parenthesis: " (1-10, required)" */
		size_t n0 = strlen(range);
		if (n0)
			snprintf(range + n0 - 1, sizeof range - n0 + 1, ", required)");
		else
			snprintf(range, sizeof range, " (required)");
	}
	n = snprintf(left, sizeof left, "  %c%c%c --%s%s%s", o->letter ? '-' : ' ',
		     o->letter ? o->letter : ' ', o->letter ? ',' : ' ', o->name,
		     o->arg ? " " : "", o->arg ? o->arg : "");
	if (n < 25)
		fprintf(f, "%-25s%s%s\n", left, o->help, range);
	else
		fprintf(f, "%s\n%25s%s%s\n", left, "", o->help, range);
}

/* "usage: TOOL CMD" with the positionals, each required option, and
 * [OPTIONS] when there are others: all from the table. */
static void synopsis(FILE *f, const struct cli_tool *t, const struct cli_cmd *c)
{
	const struct cli_opt *o;
	int optional = 0;

	fprintf(f, "usage: %s %s%s%s", t->name, c->name, c->synopsis[0] ? " " : "", c->synopsis);
	for (o = c->opts; o && o->name; o++) {
		if (!o->required) {
			optional += o->help != NULL;
			continue;
		}
		if (o->arg)
			fprintf(f, " --%s %s", o->name, o->arg);
		else
			fprintf(f, " --%s", o->name);
	}
	fputs(optional ? " [OPTIONS]\n" : "\n", f);
}

/* The common options as command c takes them (NULL: as they are). */
static void common_help(FILE *f, const struct cli_cmd *c)
{
	const struct cli_opt *o, *as;
	struct cli_opt tmp;

	fputs("Connection and settings (any command):\n", f);
	for (o = cli_common_opts; o->name; o++)
		if ((as = cli_common_for(c, o, &tmp)))
			opt_line(f, as, NULL);
}

void cli_cmd_help(FILE *f, const struct cli_tool *t, const struct cli_cmd *c)
{
	const struct cli_opt *o;

	synopsis(f, t, c);
	fprintf(f, "\n%s.\n", c->summary);
	if (c->details)
		fprintf(f, "\n%s", c->details);
	if (c->opts && c->opts->name) {
		fputs("\nOptions:\n", f);
		for (o = c->opts; o->name; o++)
			opt_line(f, o, c->defaults);
	}
	fputc('\n', f);
	common_help(f, c);
}

void cli_usage(FILE *f, const struct cli_tool *t)
{
	const struct cli_cmd *c;
	size_t i;

	if (t->default_cmd)
		fprintf(f, "usage: %s [OPTIONS] [COMMAND] [ARGS]   (no COMMAND: %s)\n\n%s\n\nCommands:\n",
			t->name, t->default_cmd, t->about);
	else
		fprintf(f, "usage: %s [OPTIONS] COMMAND [ARGS]\n\n%s\n\nCommands:\n", t->name, t->about);
	for (i = 0; (c = cli_tool_cmd(t, i)); i++)
		if (!c->hidden)
			fprintf(f, "  %-12s %s\n", c->name, c->summary);
	fputc('\n', f);
	/* before a command word the options are the default command's */
	common_help(f, t->default_cmd ? cli_find(t, t->default_cmd) : NULL);
	if (t->version_letter)
		fprintf(f, "  --help, -%c, --version\n", t->version_letter);
	else
		fputs("  --help, --version\n", f);
	if (t->epilog)
		fprintf(f, "\n%s", t->epilog);
}
