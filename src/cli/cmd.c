/* cmd.c - the command framework: getopt from the tables, dispatch,
 * usage errors, a binary's main (see the notes at the top of cli.h). The
 * help texts are help.c's; the reading of the words before getopt (which
 * command they name) is words.c's. */
#include "cli/cli.h"

#include <getopt.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sesskit-config.h"
#include "core/model/when.h"

#define MAX_OPTS 64
#define VAL_BASE 256          /* getopt values of long-only options */
#define VAL_HELP (VAL_BASE + MAX_OPTS)
#define VAL_VERSION (VAL_HELP + 1)

/* getopt's view of one command's options and the common ones. */
struct spec {
	struct option longs[MAX_OPTS + 3];
	const struct cli_opt *opt[MAX_OPTS];
	struct cli_opt copy[MAX_OPTS]; /* common options without their letter */
	void *dst[MAX_OPTS];       /* the struct each option fills */
	char shorts[2 * MAX_OPTS + 4];
	int n;
};

const struct cli_opt *cli_common_for(const struct cli_cmd *c, const struct cli_opt *o,
				     struct cli_opt *tmp)
{
	const struct cli_opt *m;
	int letter = 0;

	if (c && c->no_letters && o->letter && strchr(c->no_letters, o->letter)) {
		*tmp = *o;
		tmp->letter = 0;
		return tmp;
	}
	if (!c || !c->own_common)
		return o;
	for (m = c->opts; m && m->name; m++) {
		if (!strcmp(m->name, o->name))
			return NULL;
		if (o->letter && m->letter == o->letter)
			letter = 1;
	}
	if (!letter)
		return o;
	*tmp = *o;
	tmp->letter = 0;
	return tmp;
}

/* Add table opts (filling dst) to sp; for the common table (own, the
 * command, not NULL) as that command takes it (cli_common_for). A long
 * name or a letter taken already is a bug in the tables: refused here, so
 * it cannot ship. */
static int spec_add(struct spec *sp, const struct cli_opt *opts, void *dst,
		    const struct cli_cmd *own, struct sess_err *err)
{
	const struct cli_opt *o0, *o;
	int i;

	for (o0 = opts; o0 && o0->name; o0++) {
		size_t len = strlen(sp->shorts);

		if (sp->n == MAX_OPTS)
			return sess_err_set(err, SESS_E_INTERNAL, NULL, "too many options");
		if (!(o = own ? cli_common_for(own, o0, &sp->copy[sp->n]) : o0))
			continue;
		for (i = 0; i < sp->n; i++)
			if (!strcmp(sp->opt[i]->name, o->name) ||
			    (o->letter && (sp->opt[i]->letter == o->letter || sp->opt[i]->old_letter == o->letter)) ||
			    (o->old_letter && (sp->opt[i]->letter == o->old_letter ||
					       sp->opt[i]->old_letter == o->old_letter)))
				return sess_err_set(err, SESS_E_INTERNAL, NULL,
						    "option --%s collides with --%s (a bug in the command table)",
						    o->name, sp->opt[i]->name);
		sp->opt[sp->n] = o;
		sp->dst[sp->n] = dst;
		sp->longs[sp->n] = (struct option){o->name,
			o->kind == CLI_OPT_FLAG ? no_argument : required_argument, NULL,
			o->letter ? o->letter : VAL_BASE + sp->n};
		if (o->letter || o->old_letter) {
			sp->shorts[len++] = (char)(o->letter ? o->letter : o->old_letter);
			if (o->kind != CLI_OPT_FLAG)
				sp->shorts[len++] = ':';
			sp->shorts[len] = '\0';
		}
		sp->n++;
	}
	return 0;
}

/* Finish: --help (and --version for the global options), then the end. */
static void spec_end(struct spec *sp, int with_version)
{
	int n = sp->n;

	sp->longs[n++] = (struct option){"help", no_argument, NULL, VAL_HELP};
	if (with_version)
		sp->longs[n++] = (struct option){"version", no_argument, NULL, VAL_VERSION};
	memset(&sp->longs[n], 0, sizeof sp->longs[n]);
}

/* getopt_long takes any unambiguous prefix of a long name ("--insec" for
 * --insecure-password-file); a flag that happens to be a prefix of another
 * would then change meaning when an option is added. So every "--word" up
 * to "--" (or up to the first non-option when stop is set) must name an
 * option whole. Values are skipped: the word after an option that takes
 * one, unless given as --name=V or -xV. */
static int spec_exact(const struct spec *sp, int argc, char **argv, int stop,
		      struct sess_err *err)
{
	int i, k;

	for (i = 1; i < argc; i++) {
		const char *w = argv[i];
		const struct option *lo = NULL;
		size_t len;

		if (!strcmp(w, "--"))
			return 0;
		if (w[0] != '-' || !w[1]) {
			if (stop)
				return 0;
			continue;
		}
		if (w[1] != '-') { /* -x, -xV, -abc */
			for (k = 0; k < sp->n; k++)
				if (sp->opt[k]->letter == w[1] || sp->opt[k]->old_letter == w[1])
					break;
			if (k < sp->n && sp->opt[k]->kind != CLI_OPT_FLAG && !w[2])
				i++;
			continue;
		}
		len = strcspn(w + 2, "=");
		for (k = 0; sp->longs[k].name; k++)
			if (strlen(sp->longs[k].name) == len &&
			    !strncmp(sp->longs[k].name, w + 2, len)) {
				lo = &sp->longs[k];
				break;
			}
		if (!lo) {
			const char *near = NULL;

			for (k = 0; sp->longs[k].name && len; k++)
				if (!strncmp(sp->longs[k].name, w + 2, len)) {
					near = sp->longs[k].name;
					break;
				}
			if (near)
				return sess_err_set(err, SESS_E_USAGE, NULL,
						    "unknown option --%.*s (options are taken by their whole name: did you mean --%s?)",
						    (int)len, w + 2, near);
			return sess_err_set(err, SESS_E_USAGE, NULL, "unknown option --%.*s",
					    (int)len, w + 2);
		}
		if (lo->has_arg == required_argument && !w[2 + len])
			i++;
	}
	return 0;
}

static int spec_find(const struct spec *sp, int val)
{
	int i;

	if (val >= VAL_BASE && val < VAL_BASE + sp->n)
		return val - VAL_BASE;
	for (i = 0; i < sp->n; i++)
		if (sp->opt[i]->letter == val || (val && sp->opt[i]->old_letter == val))
			return i;
	return -1;
}

/* The values of repeated CLI_LIST options, joined (kept to the end). */
static char *joined[16];
static size_t njoined;

/* A duration option's value: a DURATION, whole in the option's unit and
 * inside [min, max] of it. */
static int dur_set(const struct cli_opt *o, const char *arg, long *out,
		   struct sess_err *err)
{
	char what[64], lo[32], hi[32];
	long long ms, unit = o->unit_ms > 0 ? o->unit_ms : 1;

	snprintf(what, sizeof what, "--%s", o->name);
	if (sess_duration_parse(arg, unit, what, &ms, err))
		return -1;
	if (ms % unit) {
		sess_duration_format(unit, lo, sizeof lo);
		return sess_err_set(err, SESS_E_USAGE, NULL, "%s counts whole %s: '%s' is not; round it",
				    what, unit == 1000 ? "seconds" : unit == 60000 ? "minutes" :
				    unit == 3600000 ? "hours" : unit == 86400000 ? "days" : lo, arg);
	}
	if (ms / unit < o->min || ms / unit > o->max) {
		sess_duration_format((long long)o->min * unit, lo, sizeof lo);
		sess_duration_format((long long)o->max * unit, hi, sizeof hi);
		return sess_err_set(err, SESS_E_USAGE, NULL, "%s takes %s to %s, not '%s'", what, lo, hi, arg);
	}
	*out = (long)(ms / unit);
	return 0;
}

int cli_opt_set(const struct cli_opt *o, void *dst, const char *arg,
		struct sess_err *err)
{
	char *p = (char *)dst + o->off;
	const char *prev;
	char what[64], *j;

	switch (o->kind) {
	case CLI_OPT_FLAG:
		*(int *)(void *)p = 1;
		return 0;
	case CLI_OPT_STR:
		/* only a string option's slot holds a pointer (a flag's is an
		 * int: reading 8 bytes there overran the struct) */
		prev = *(const char **)(void *)p;
		if (o->values && !strcmp(o->values, CLI_LIST) && prev && arg) {
			if (njoined == sizeof joined / sizeof joined[0] ||
			    !(j = malloc(strlen(prev) + strlen(arg) + 2)))
				return sess_err_set(err, SESS_E_USAGE, NULL, "--%s given too often", o->name);
			sprintf(j, "%s,%s", prev, arg);
			joined[njoined++] = j;
			arg = j;
		}
		*(const char **)(void *)p = arg;
		return 0;
	case CLI_OPT_LONG:
		snprintf(what, sizeof what, "--%s", o->name);
		return sess_parse_long(arg, o->min, o->max, what, SESS_E_USAGE,
				       (long *)(void *)p, err);
	case CLI_OPT_DUR:
		return dur_set(o, arg, (long *)(void *)p, err);
	}
	return 0;
}

static int spec_set(const struct spec *sp, int i, char *arg,
		    struct sess_err *err)
{
	/* a password: kept aside, overwritten in argv */
	return cli_opt_set(sp->opt[i], sp->dst[i], cli_secret_arg(sp->opt[i], arg), err);
}

int cli_usage_exit(const struct cli_tool *t)
{
	return t && t->usage_exit ? t->usage_exit : 64;
}

const struct cli_cmd *cli_tool_cmd(const struct cli_tool *t, size_t i)
{
	size_t k;

	/* any i: the list is not read past its NULL */
	for (k = 0; t->entries && t->entries[k]; k++)
		if (k == i)
			return t->entries[k];
	return NULL;
}

const struct cli_cmd *cli_find(const struct cli_tool *t, const char *name)
{
	const struct cli_cmd *c;
	size_t i;

	for (i = 0; (c = cli_tool_cmd(t, i)); i++)
		if (!strcmp(c->name, name))
			return c;
	return NULL;
}

int cli_usage_error(struct cli_app *a, const char *fmt, ...)
{
	char buf[SESS_ERR_MSG_MAX];
	va_list ap;
	const char *name = a->cmd ? a->cmd->name : NULL;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	/* through sess_err_set, which escapes the bytes of arguments that
	 * are not UTF-8 */
	sess_err_set(&a->err, SESS_E_USAGE, NULL, "%s", buf);
	fprintf(stderr, "%s%s%s: %s; see '%s%s%s --help'\n", a->prog, name ? " " : "",
		name ? name : "", a->err.msg, a->prog, name ? " " : "", name ? name : "");
	if (a->tool && a->tool->on_usage_error)
		a->tool->on_usage_error(a, a->err.msg);
	return cli_usage_exit(a->tool);
}

/* A usage problem in err (main_run's): its line, the tool's hook, the
 * tool's usage exit code. */
static int main_usage_fail(struct cli_app *a)
{
	cli_fail(a->prog, &a->err);
	if (a->tool->on_usage_error)
		a->tool->on_usage_error(a, a->err.msg);
	return cli_usage_exit(a->tool);
}

/* What a letter means across the six tools (sesskit(7), LETTERS), for
 * the warning when an option's old letter is used. */
static const char *letter_meaning(int letter)
{
	switch (letter) {
	case 'a':
		return "--agent, an agent id";
	case 'e':
		return "--events";
	case 'f':
		return "--follow";
	case 'l':
		return "--limit";
	default:
		return "another option";
	}
}

/* How the command's rows print (cli.h, "Tables"): its table on a
 * terminal or with --table, TSV with --tsv, JSON lines in a pipe or with
 * --json. --table or --tsv for a command that prints no list is refused. */
static int table_mode(struct cli_app *a, const struct cli_cmd *c)
{
	const struct cli_common *k = &a->common;

	a->out.table = NULL;
	a->out.tsv = 0;
	a->out.header_done = 0;
	if (k->as_json)
		return 0;
	if (!c->table) {
		if (k->as_tsv || k->as_table)
			return cli_usage_error(a, "%s prints no list: --%s is for list, events, agents and the like; drop it",
					       c->name, k->as_tsv ? "tsv" : "table");
		return 0;
	}
	if (k->as_tsv || k->as_table || isatty(STDOUT_FILENO)) {
		a->out.table = c->table;
		a->out.tsv = k->as_tsv;
	}
	return 0;
}

int cli_run(struct cli_app *a, const struct cli_cmd *c, int argc, char **argv)
{
	struct spec sp;
	unsigned char seen[MAX_OPTS] = {0};
	void *opts = NULL;
	int opt, i, npos, rc;

	a->cmd = c;
	memset(&sp, 0, sizeof sp);
	if (c->opts_size) {
		if (!(opts = calloc(1, c->opts_size)))
			return sess_err_set(&a->err, SESS_E_INTERNAL, NULL, "out of memory"),
			       cli_app_fail(a);
		if (c->defaults)
			memcpy(opts, c->defaults, c->opts_size);
	}
	sp.shorts[0] = ':'; /* report a missing value as ':' */
	if (spec_add(&sp, c->opts, opts, NULL, &a->err) ||
	    spec_add(&sp, cli_common_opts, &a->common, c, &a->err)) {
		rc = cli_app_fail(a);
		goto done;
	}
	spec_end(&sp, 0);
	if (spec_exact(&sp, argc, argv, 0, &a->err)) {
		rc = cli_usage_error(a, "%s", a->err.msg);
		goto done;
	}
	optind = 0;
	opterr = 0;
	rc = 0;
	while ((opt = getopt_long(argc, argv, sp.shorts, sp.longs, NULL)) != -1) {
		if (opt == VAL_HELP) {
			cli_cmd_help(stdout, a->tool, c);
			goto done;
		}
		if (opt == '?') {
			const char *w = argv[optind - 1];
			/* every --name was checked whole (spec_exact): "--flag=V" */
			if (!strncmp(w, "--", 2) && strchr(w, '='))
				rc = cli_usage_error(a, "--%.*s takes no value", (int)strcspn(w + 2, "="), w + 2);
			else
				rc = optopt && optopt < VAL_BASE
					     ? cli_usage_error(a, "unknown option -%c", optopt)
					     : cli_usage_error(a, "unknown option %s", w);
			goto done;
		}
		if (opt == ':') {
			rc = cli_usage_error(a, "%s needs a value", argv[optind - 1]);
			goto done;
		}
		if ((i = spec_find(&sp, opt)) < 0) {
			rc = 70;
			goto done;
		}
		if (!sp.opt[i]->letter && sp.opt[i]->old_letter == opt)
			cli_warn(a->prog, "-%c is read as --%s for this release only; write --%s "
				 "(-%c is %s in every sesskit tool: sesskit(7), LETTERS)",
				 opt, sp.opt[i]->name, sp.opt[i]->name, opt, letter_meaning(opt));
		if (spec_set(&sp, i, optarg, &a->err)) {
			fprintf(stderr, "%s %s: %s\n", a->prog, c->name, a->err.msg);
			if (a->tool->on_usage_error)
				a->tool->on_usage_error(a, a->err.msg);
			rc = cli_usage_exit(a->tool);
			goto done;
		}
		seen[i] = 1;
	}
	for (i = 0; i < sp.n; i++)
		if (sp.opt[i]->required && !seen[i]) {
			rc = sp.opt[i]->arg
				     ? cli_usage_error(a, "--%s %s is required", sp.opt[i]->name, sp.opt[i]->arg)
				     : cli_usage_error(a, "--%s is required", sp.opt[i]->name);
			goto done;
		}
	npos = argc - optind;
	if (npos < c->npos_min) {
		rc = cli_usage_error(a, "expects %s", c->synopsis);
		goto done;
	}
	if (c->npos_max >= 0 && npos > c->npos_max) {
		rc = cli_usage_error(a, "unexpected argument \"%s\"", argv[optind + c->npos_max]);
		goto done;
	}
	if ((rc = table_mode(a, c)))
		goto done;
	rc = c->run(a, opts, npos, argv + optind);
	cli_table_end(&a->out); /* a write error shows in the exit status */
	a->out.table = NULL;
done:
	free(opts);
	return rc;
}

/* Run the default command with every argument (argv[0] stands for its
 * name: getopt starts after it). */
static int run_default(struct cli_app *a, const struct cli_cmd *def, int argc,
		       char **argv)
{
	int rc;

	rc = cli_run(a, def, argc, argv);
	if (a->connected)
		sess_conn_close(&a->conn);
	memset(a->cfg.password, 0, sizeof a->cfg.password);
	return rc < 0 ? 0 : rc;
}

static int main_run(const struct cli_tool *t, int argc, char **argv)
{
	struct cli_app a;
	struct spec sp;
	const struct cli_cmd *c;
	int opt, i, rc;

	memset(&a, 0, sizeof a);
	memset(&sp, 0, sizeof sp);
	a.prog = t->name;
	a.tool = t;
	a.argc = argc;
	a.argv = argv;
	cli_common_init(&a.common);
	cli_init_signals();
	{
		int at, unknown, named = cli_words_order(t, argc, argv, &at, &unknown);

		c = t->default_cmd ? cli_find(t, t->default_cmd) : NULL;
		/* "sess-health watch --help": a word where a command would be,
		 * no command of ours, and the default command takes no
		 * argument: a mistyped command, not the default's --help
		 * (after an unknown option the word may be its value: the
		 * command's parser names that option) */
		if (c && !named && at > 0 && !unknown && c->npos_max == 0) {
			sess_err_set(&a.err, SESS_E_USAGE, NULL, "unknown command \"%s\"; see '%s --help'",
				     argv[at], t->name);
			return main_usage_fail(&a);
		}
		if (c && !named)
			return run_default(&a, c, argc, argv);
		if (named == 2) {
			printf("%s (sesskit) %s\n", t->name, PACKAGE_VERSION);
			return 0;
		}
		if (named == 3) {
			cli_usage(stdout, t);
			return 0;
		}
	}
	strcpy(sp.shorts, "+:"); /* options up to the command only */
	/* before a command word: the common options as the default command
	 * takes them (a tool without one: as they are) */
	if (spec_add(&sp, cli_common_opts, &a.common,
		     t->default_cmd ? cli_find(t, t->default_cmd) : NULL, &a.err))
		return cli_app_fail(&a);
	if (t->version_letter) {
		size_t n = strlen(sp.shorts);
		sp.shorts[n] = (char)t->version_letter;
		sp.shorts[n + 1] = '\0';
	}
	spec_end(&sp, 1);
	if (spec_exact(&sp, argc, argv, 1, &a.err)) {
		sess_err_set(&a.err, SESS_E_USAGE, NULL, "%s; see '%s --help'", a.err.msg, t->name);
		return main_usage_fail(&a);
	}
	opterr = 0;
	while ((opt = getopt_long(argc, argv, sp.shorts, sp.longs, NULL)) != -1) {
		if (opt == VAL_HELP) {
			cli_usage(stdout, t);
			return 0;
		}
		if (opt == VAL_VERSION || (t->version_letter && opt == t->version_letter)) {
			printf("%s (sesskit) %s\n", t->name, PACKAGE_VERSION);
			return 0;
		}
		if (opt == '?' || opt == ':' || (i = spec_find(&sp, opt)) < 0) {
			const char *w = argv[optind - 1];
			if (opt == '?' && !strncmp(w, "--", 2) && strchr(w, '='))
				sess_err_set(&a.err, SESS_E_USAGE, NULL, "--%.*s takes no value; see '%s --help'",
					     (int)strcspn(w + 2, "="), w + 2, t->name);
			else
				sess_err_set(&a.err, SESS_E_USAGE, NULL, "%s %s; see '%s --help'",
					     opt == ':' ? "missing value for" : "unknown option", w, t->name);
			return main_usage_fail(&a);
		}
		if (spec_set(&sp, i, optarg, &a.err)) {
			fprintf(stderr, "%s: %s\n", t->name, a.err.msg);
			if (t->on_usage_error)
				t->on_usage_error(&a, a.err.msg);
			return cli_usage_exit(t);
		}
	}
	if (optind >= argc) {
		cli_usage(stderr, t);
		if (t->on_usage_error)
			t->on_usage_error(&a, "no command given");
		return cli_usage_exit(t);
	}
	if (!strcmp(argv[optind], "help")) {
		if (optind + 1 >= argc) {
			cli_usage(stdout, t);
			return 0;
		}
		if (!(c = cli_find(t, argv[optind + 1]))) {
			sess_err_set(&a.err, SESS_E_USAGE, NULL,
				     "no command \"%s\"; see '%s --help' for the list",
				     argv[optind + 1], t->name);
			return main_usage_fail(&a);
		}
		cli_cmd_help(stdout, t, c);
		return 0;
	}
	if (!strcmp(argv[optind], "__complete"))
		return cli_complete(&a, argc - optind - 1, argv + optind + 1);
	if (!(c = cli_find(t, argv[optind]))) {
		sess_err_set(&a.err, SESS_E_USAGE, NULL, "unknown command \"%s\"; see '%s --help'",
			     argv[optind], t->name);
		return main_usage_fail(&a);
	}
	rc = cli_run(&a, c, argc - optind, argv + optind);
	if (a.connected)
		sess_conn_close(&a.conn);
	memset(a.cfg.password, 0, sizeof a.cfg.password);
	return rc < 0 ? 0 : rc;
}

int cli_main(const struct cli_tool *t, int argc, char **argv)
{
	int rc;

	cli_std_fds();
	rc = main_run(t, argc, argv);
	cli_secrets_free();
	return cli_exit_status(t->name, rc);
}
