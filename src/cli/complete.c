/* complete.c - shell completion from the command tables.
 *
 * The completion scripts of bash, zsh and fish hold no word lists: they run
 * `TOOL __complete WORDS...` and offer what it prints, so a command or an
 * option added to a table is completed everywhere at once (cobra's
 * __complete is the model).
 */
#include "cli/cli.h"

#include <stdio.h>
#include <string.h>

#define MAX_IDS 100

/* The option of opts (or the common ones) that word names, or NULL;
 * *inline_value is set for "--name=value". */
static const struct cli_opt *find_opt(const struct cli_opt *opts, const char *word,
				      int *inline_value)
{
	const struct cli_opt *sets[2] = {opts, cli_common_opts}, *o;
	size_t len;
	int i;

	*inline_value = 0;
	if (word[0] != '-' || !word[1])
		return NULL;
	for (i = 0; i < 2; i++)
		for (o = sets[i]; o && o->name; o++) {
			if (word[1] != '-') {
				if (o->letter && word[1] == o->letter) {
					*inline_value = word[2] != '\0';
					return o;
				}
				continue;
			}
			len = strlen(o->name);
			if (!strncmp(word + 2, o->name, len) &&
			    (word[2 + len] == '\0' || word[2 + len] == '=')) {
				*inline_value = word[2 + len] == '=';
				return o;
			}
		}
	return NULL;
}

/* Remember the connection options given so far, so ids come from the
 * server the command will talk to. */
static void note_common(struct cli_app *a, const struct cli_opt *o, const char *v)
{
	const struct cli_opt *c;

	for (c = cli_common_opts; c->name; c++)
		if (c == o)
			cli_opt_set(o, &a->common, v, NULL);
}

static int print_id(cJSON *row, void *arg)
{
	const char *id = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(row, "id"));
	const char *prefix = arg;

	if (id && !strncmp(id, prefix, strlen(prefix)))
		printf("%s\n", id);
	return 0;
}

/* Session ids from the server; quietly none when it does not answer. */
static void session_ids(struct cli_app *a, const char *cur)
{
	struct sess_list_opts lo = {NULL, NULL, MAX_IDS, 0};
	int warn;

	if (cli_settings(&a->cfg, &a->common, &warn, &a->err) ||
	    sess_conn_open(&a->conn, &a->cfg, &a->err))
		return;
	a->ctx.conn = &a->conn;
	a->ctx.cfg = &a->cfg;
	sess_list(&a->ctx, &lo, print_id, (void *)cur, &a->err);
	sess_conn_close(&a->conn);
}

static void values(struct cli_app *a, const char *what, const char *cur)
{
	char buf[256], *w, *save = NULL;

	if (!what || !strcmp(what, CLI_LIST))
		return;
	if (!strcmp(what, CLI_COMPLETE_FILE)) {
		puts(":file");
		return;
	}
	if (!strcmp(what, CLI_COMPLETE_SESSION)) {
		session_ids(a, cur);
		return;
	}
	snprintf(buf, sizeof buf, "%s", what);
	for (w = strtok_r(buf, " ", &save); w; w = strtok_r(NULL, " ", &save))
		if (!strncmp(w, cur, strlen(cur)))
			puts(w);
}

static void options(const struct cli_opt *opts, const char *cur)
{
	const struct cli_opt *o;

	for (o = opts; o && o->name; o++)
		if (o->help && !strncmp(o->name, cur + 2 * (cur[0] == '-' && cur[1] == '-'),
					strlen(cur) > 2 ? strlen(cur) - 2 : 0) &&
		    (cur[0] != '-' || cur[1] == '-' || !cur[1]))
			printf("--%s\t%.*s\n", o->name, (int)strcspn(o->help, "\n"), o->help);
}

int cli_complete(struct cli_app *a, int nwords, char **words)
{
	const struct cli_tool *t = a->tool;
	const struct cli_cmd *c = NULL;
	const struct cli_opt *o;
	const char *cur = nwords > 0 ? words[nwords - 1] : "";
	int i, inl, help = 0;
	size_t k;

	for (i = 0; i < nwords - 1; i++) {
		const char *w = words[i];
		if (w[0] == '-') {
			o = find_opt(c ? c->opts : NULL, w, &inl);
			if (o && o->kind != CLI_OPT_FLAG && !inl) {
				if (i + 1 == nwords - 1) { /* cur is this option's value */
					values(a, o->values, cur);
					return 0;
				}
				note_common(a, o, words[i + 1]);
				i++;
			}
			continue;
		}
		if (!c && !help) {
			if (!strcmp(w, "help"))
				help = 1;
			else if (!(c = cli_find(t, w)))
				return 0; /* not a command: nothing to offer */
		}
	}
	if (help) {
		for (k = 0; k < t->ncmds; k++)
			if (!t->cmds[k].hidden && !strncmp(t->cmds[k].name, cur, strlen(cur)))
				printf("%s\t%s\n", t->cmds[k].name, t->cmds[k].summary);
		return 0;
	}
	if (cur[0] == '-') {
		if (c)
			options(c->opts, cur);
		options(cli_common_opts, cur);
		if (!strncmp("--help", cur, strlen(cur)))
			puts("--help");
		if (!c && !strncmp("--version", cur, strlen(cur)))
			puts("--version");
		return 0;
	}
	if (!c) {
		for (k = 0; k < t->ncmds; k++)
			if (!t->cmds[k].hidden && !strncmp(t->cmds[k].name, cur, strlen(cur)))
				printf("%s\t%s\n", t->cmds[k].name, t->cmds[k].summary);
		if (!strncmp("help", cur, strlen(cur)))
			printf("help\tshow a command's options\n");
		return 0;
	}
	values(a, c->complete, cur);
	return 0;
}
