/* words.c - the reading of a command line's words before getopt: which
 * option a word names as a command takes it (cli_word_opt), and which
 * command the words name, its word moved first (cli_words_order), one
 * reading for main (cmd.c) and completion (complete.c) alike. Contracts
 * in cli.h. */
#include "cli/cli.h"

#include <string.h>

/* cli.h: own options, then the common ones as c takes them */
const struct cli_opt *cli_word_opt(const struct cli_cmd *c, const char *w,
				   const char **value, int *common, struct cli_opt *tmp)
{
	const struct cli_opt *sets[2] = {c ? c->opts : NULL, cli_common_opts}, *o0, *o;
	size_t len;
	int i;

	*value = NULL;
	if (w[0] != '-' || !w[1])
		return NULL;
	for (i = 0; i < 2; i++)
		for (o0 = sets[i]; o0 && o0->name; o0++) {
			if (!(o = i == 1 ? cli_common_for(c, o0, tmp) : o0))
				continue;
			*common = i == 1;
			if (w[1] != '-') {
				if (o->letter && w[1] == o->letter) {
					if (w[2] && o->kind != CLI_OPT_FLAG)
						*value = w + 2;
					return o;
				}
				continue;
			}
			len = strlen(o->name);
			if (!strncmp(w + 2, o->name, len) &&
			    (w[2 + len] == '\0' || w[2 + len] == '=')) {
				if (w[2 + len] == '=')
					*value = w + 3 + len;
				return o;
			}
		}
	return NULL;
}

/* The option word w ("-x...", "--name...") as command c (NULL: none)
 * reads it (cli_word_opt). 1 when the option's value is the next word
 * ("-c 5", not "-c5" nor "--name=V"), 0 when not, -1 when c takes no such
 * option (its parser says so; nothing skipped). */
static int opt_word_for(const struct cli_cmd *c, const char *w)
{
	const struct cli_opt *o;
	struct cli_opt tmp;
	const char *v;
	int common;

	if (!(o = cli_word_opt(c, w, &v, &common, &tmp)))
		return -1;
	return o->kind != CLI_OPT_FLAG && !v;
}

/* With a default command: does argv name a command (or help, __complete)
 * before its first positional? 2 when it asks for the version, 3 for the
 * tool's --help. Options are skipped
 * with their values as the common table and the default command's own
 * declare them, so "sess-health --url U --format json" runs the default
 * command while "sess-health --url U serve" runs serve. */
static int names_command(const struct cli_tool *t, const struct cli_cmd *def,
			 int argc, char **argv, int *at, int *unknown)
{
	int i, next = 0;

	*at = 0;
	*unknown = 0;
	for (i = 1; i < argc; i++) {
		const char *w = argv[i];

		if (!strcmp(w, "--"))
			return 0;
		/* the tool's help whatever the options before it ("sess-health
		 * --format nagios --help": --format is the default command's) */
		if (!strcmp(w, "--help"))
			return 3;
		/* the version whatever the options around it ("check_sesskit
		 * -H h -V", as plugins are asked) */
		if (!strcmp(w, "--version") ||
		    (t->version_letter && w[0] == '-' && w[1] == t->version_letter && !w[2]))
			return 2;
		if (w[0] == '-' && w[1]) {
			/* unknown: the command's parser says so */
			if ((next = opt_word_for(def, w)) < 0)
				*unknown = 1;
			i += next > 0;
			continue;
		}
		*at = i;
		return !strcmp(w, "help") || !strcmp(w, "__complete") || cli_find(t, w);
	}
	return 0;
}

/* The index of the first word of argv that is no option nor an option's
 * value, the options read as command c takes them (its own, then the
 * common ones as it takes them; c NULL: the common ones as they are), or
 * 0. */
static int first_word_for(const struct cli_cmd *c, int argc, char **argv)
{
	int i;

	for (i = 1; i < argc; i++) {
		const char *w = argv[i];

		if (!strcmp(w, "--"))
			return 0;
		if (w[0] != '-' || !w[1])
			return i;
		i += opt_word_for(c, w) > 0;
	}
	return 0;
}

/* cli.h: the parser's one reading of which command the words name */
int cli_words_order(const struct cli_tool *t, int argc, char **argv, int *at, int *unknown)
{
	const struct cli_cmd *def = t->default_cmd ? cli_find(t, t->default_cmd) : NULL, *c = NULL;
	int named = 0, w = 0;
	size_t k;

	*at = 0;
	*unknown = 0;
	if (def) {
		/* "sess-health --format nagios probe": the options before the
		 * command word are the command's too */
		named = names_command(t, def, argc, argv, at, unknown);
		if (named == 1)
			w = *at;
	} else {
		/* "sess-bench -c 50 -n 1000 emit", as redis-benchmark is run:
		 * a command whose letters win (own_common) reads the options
		 * before its word too */
		for (k = 0; !w && (c = cli_tool_cmd(t, k)); k++) {
			int i = c->own_common ? first_word_for(c, argc, argv) : 0;

			if (i > 1 && !strcmp(argv[i], c->name))
				w = i;
		}
		/* "sess-bench -n 3 cleanup ID": a command that gives common
		 * letters up (no_letters) reads the options before its word
		 * too, so a letter means there what it means after the word
		 * (-n is no --db in sess-bench) */
		if (!w) {
			int i = first_word_for(NULL, argc, argv);

			if (i > 1 && (c = cli_find(t, argv[i])) && c->no_letters)
				w = i;
		}
	}
	/* the command word goes first, so its parser reads them all */
	if (w > 1 && cli_find(t, argv[w])) {
		char *word = argv[w];
		memmove(argv + 2, argv + 1, (size_t)(w - 1) * sizeof *argv);
		argv[1] = word;
	}
	return named;
}
