/* complete.c - shell completion from the command tables.
 *
 * The completion scripts of bash, zsh and fish hold no word lists: they run
 * `TOOL __complete WORDS...` and offer what it prints, so a command or an
 * option added to a table is completed everywhere at once (cobra's
 * __complete is the model).
 *
 * WORDS are whole shell words as the command will get them (bash's
 * COMP_WORDBREAKS split is undone by its script), the last one up to the
 * cursor. Each line printed is one whole word, "WORD" or "WORD\tTEXT":
 * for "--format=js" that is "--format=json" (bash's script drops what
 * readline keeps itself). A first line ":file" asks the shell for file
 * names instead, ":file\tPREFIX" for file names after PREFIX
 * ("--config=").
 */
#include "cli/cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/base/schema.h"
#include "core/model/keys.h"

#define IDS_RECENT 100    /* ids offered for an empty word: the most recent */
#define IDS_MAX 1000      /* ids offered for a typed prefix, at most */
#define IDS_SCAN_MS 1000  /* how long the index scan for a prefix may take */
#define IDS_TIMEOUT_MS 1000 /* connect and command timeouts, at most */

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int by_name(const void *x, const void *y)
{
	return strcmp(*(char *const *)x, *(char *const *)y);
}

/* The server's clock in ms (the index is scored by expiry in ms), or -1. */
static double server_ms(struct cli_app *a)
{
	redisReply *r = sess_conn_cmdf(&a->conn, &a->err, "TIME");
	double ms = -1;

	if (r && r->type == REDIS_REPLY_ARRAY && r->elements == 2 && r->element[0]->str &&
	    r->element[1]->str)
		ms = strtod(r->element[0]->str, NULL) * 1000 + strtod(r->element[1]->str, NULL) / 1000;
	if (r)
		freeReplyObject(r);
	return ms;
}

/* The live ids of the index that start with cur: the exact one if it is
 * there (so a whole id always completes), then a ZSCAN MATCH cur* of the
 * index, bounded by IDS_MAX ids and IDS_SCAN_MS. Sorted, each once. */
static void ids_with_prefix(struct cli_app *a, const char *key, const char *cur,
			    double now, const char *pfx)
{
	char cursor[32] = "0", pat[SESS_ID_MAX + 2];
	char **ids = calloc(IDS_MAX + 1, sizeof *ids);
	long long deadline = now_ms() + IDS_SCAN_MS;
	redisReply *r;
	size_t n = 0, i;

	if (!ids)
		return;
	r = sess_conn_cmdf(&a->conn, &a->err, "ZSCORE %s %s", key, cur);
	if (r && r->str && strtod(r->str, NULL) >= now && (ids[n] = strdup(cur)))
		n++;
	if (r)
		freeReplyObject(r);
	snprintf(pat, sizeof pat, "%s*", cur);
	do {
		r = sess_conn_cmdf(&a->conn, &a->err, "ZSCAN %s %s MATCH %s COUNT 1000", key, cursor, pat);
		if (!r || r->type != REDIS_REPLY_ARRAY || r->elements != 2 || !r->element[0]->str ||
		    r->element[1]->type != REDIS_REPLY_ARRAY) {
			if (r)
				freeReplyObject(r);
			break;
		}
		snprintf(cursor, sizeof cursor, "%s", r->element[0]->str);
		for (i = 0; i + 1 < r->element[1]->elements && n < IDS_MAX; i += 2) {
			const redisReply *m = r->element[1]->element[i], *s = r->element[1]->element[i + 1];
			if (m->str && s->str && strtod(s->str, NULL) >= now && (ids[n] = strdup(m->str)))
				n++;
		}
		freeReplyObject(r);
	} while (strcmp(cursor, "0") && n < IDS_MAX && now_ms() < deadline);
	qsort(ids, n, sizeof *ids, by_name);
	for (i = 0; i < n; i++)
		if (!i || strcmp(ids[i], ids[i - 1]))
			printf("%s%s\n", pfx, ids[i]);
	for (i = 0; i < n; i++)
		free(ids[i]);
	free(ids);
}

/* Session ids from the server; quietly none when it does not answer.
 * For an empty word the IDS_RECENT most recently active; for a prefix
 * any id of the index that starts so, whatever its age. */
static void session_ids(struct cli_app *a, const char *cur, const char *pfx)
{
	char key[SESS_KEY_MAX], min[48];
	redisReply *r;
	double now;
	size_t i;
	int warn;

	if (*cur && sess_key_check_id(cur, "session id", &a->err))
		return; /* no id starts so (and no glob can reach MATCH) */
	if (cli_settings(&a->cfg, &a->common, &warn, &a->err))
		return;
	/* a shell waits for this: never long */
	if (a->cfg.connect_timeout_ms <= 0 || a->cfg.connect_timeout_ms > IDS_TIMEOUT_MS)
		a->cfg.connect_timeout_ms = IDS_TIMEOUT_MS;
	if (a->cfg.command_timeout_ms <= 0 || a->cfg.command_timeout_ms > IDS_TIMEOUT_MS)
		a->cfg.command_timeout_ms = IDS_TIMEOUT_MS;
	if (sess_conn_open(&a->conn, &a->cfg, &a->err))
		return;
	/* the one index of a standalone server (a cluster's are one per slot:
	 * 16,384 reads are too many for a shell waiting on a Tab) */
	if (sess_conn_cluster(&a->conn, &a->err) != 0)
		goto out;
	sess_key_index(key, a->cfg.prefix, SESS_S_TAG_ONE);
	if ((now = server_ms(a)) < 0)
		goto out;
	if (*cur) {
		ids_with_prefix(a, key, cur, now, pfx);
		goto out;
	}
	snprintf(min, sizeof min, "%.0f", now);
	r = sess_conn_cmdf(&a->conn, &a->err, "ZREVRANGEBYSCORE %s +inf %s LIMIT 0 %d", key, min,
			   IDS_RECENT);
	if (r && r->type == REDIS_REPLY_ARRAY) {
		const char **ids = calloc(r->elements + 1, sizeof *ids);
		size_t n = 0;
		for (i = 0; ids && i < r->elements; i++)
			if (r->element[i]->str)
				ids[n++] = r->element[i]->str;
		if (ids)
			qsort(ids, n, sizeof *ids, by_name);
		for (i = 0; ids && i < n; i++)
			printf("%s%s\n", pfx, ids[i]);
		free(ids);
	}
	if (r)
		freeReplyObject(r);
out:
	sess_conn_close(&a->conn);
}

/* The candidates for cur, the value of an option that completes to what
 * (its table's values); pfx goes before each ("--format=" for
 * "--format=js"). */
static void values(struct cli_app *a, const char *what, const char *cur, const char *pfx)
{
	char buf[256], *w, *save = NULL;

	if (!what || !strcmp(what, CLI_LIST))
		return;
	if (!strcmp(what, CLI_COMPLETE_FILE)) {
		printf(":file%s%s\n", *pfx ? "\t" : "", pfx);
		return;
	}
	if (!strcmp(what, CLI_COMPLETE_SESSION)) {
		session_ids(a, cur, pfx);
		return;
	}
	snprintf(buf, sizeof buf, "%s", what);
	for (w = strtok_r(buf, " ", &save); w; w = strtok_r(NULL, " ", &save))
		if (!strncmp(w, cur, strlen(cur)))
			printf("%s%s\n", pfx, w);
}

/* The long options of opts that cur ("-", "--", "--fo") starts; of the
 * common table (own: the command, or NULL) those command own takes. */
static void options(const struct cli_opt *opts, const struct cli_cmd *own, const char *cur)
{
	const struct cli_opt *o;
	struct cli_opt tmp;
	const char *name = cur[1] == '-' ? cur + 2 : cur + 1;

	if (strcmp(cur, "-") && strncmp(cur, "--", 2))
		return;
	for (o = opts; o && o->name; o++)
		if (o->help && (!own || cli_common_for(own, o, &tmp)) &&
		    !strncmp(o->name, name, strlen(name)))
			printf("--%s\t%.*s\n", o->name, (int)strcspn(o->help, "\n"), o->help);
}

static void commands(const struct cli_tool *t, const char *cur, int with_help)
{
	const struct cli_cmd *c;
	size_t k;

	for (k = 0; (c = cli_tool_cmd(t, k)); k++)
		if (!c->hidden && !strncmp(c->name, cur, strlen(cur)))
			printf("%s\t%s\n", c->name, c->summary);
	if (with_help && !strncmp("help", cur, strlen(cur)))
		printf("help\tshow a command's options\n");
}

/* cur holds an option and its value ("--format=js", "-fjs"): the value's
 * candidates, each with the option before it. 1 when it did. */
static int inline_value(struct cli_app *a, const struct cli_cmd *c, const char *cur)
{
	const struct cli_opt *o;
	const char *v;
	struct cli_opt tmp;
	char pfx[128];
	int common;

	if (!(o = cli_word_opt(c, cur, &v, &common, &tmp)) || !v || o->kind == CLI_OPT_FLAG ||
	    (size_t)(v - cur) >= sizeof pfx)
		return 0;
	snprintf(pfx, sizeof pfx, "%.*s", (int)(v - cur), cur);
	values(a, o->values, v, pfx);
	return 1;
}

int cli_complete(struct cli_app *a, int nwords, char **words)
{
	const struct cli_tool *t = a->tool;
	const struct cli_cmd *c = NULL, *def = t->default_cmd ? cli_find(t, t->default_cmd) : NULL;
	const struct cli_opt *o;
	struct cli_opt tmp; /* a common option without its letter */
	const char *cur = nwords > 0 ? words[nwords - 1] : "", *v;
	int i, help = 0, npos = 0, dashdash = 0, common, at, unknown;
	int argc = nwords > 0 ? nwords : 1;
	char **argv;

	/* the words before cur as the parser reads them: argv[0] the tool's,
	 * and the command word first where the parser puts it first
	 * (cli_words_order: "sess-health -w5000 probe" is probe's line) */
	if (!(argv = malloc((size_t)argc * sizeof *argv)))
		return sess_err_set(&a->err, SESS_E_INTERNAL, NULL, "out of memory"), cli_app_fail(a);
	argv[0] = (char *)t->name;
	memcpy(argv + 1, words, (size_t)(argc - 1) * sizeof *argv);
	cli_words_order(t, argc, argv, &at, &unknown);
	for (i = 1; i < argc; i++) {
		const char *w = argv[i];

		if (!dashdash && !strcmp(w, "--")) {
			dashdash = 1;
			continue;
		}
		if (!dashdash && w[0] == '-' && w[1]) {
			/* before a command word: as the default command reads
			 * it; the line is no command's yet ("sess-health
			 * --format json probe" is probe's) */
			o = cli_word_opt(c ? c : def, w, &v, &common, &tmp);
			if (!o)
				continue;
			if (o->kind == CLI_OPT_FLAG)
				continue;
			if (!v) {
				if (i + 1 == argc) { /* cur is this option's value */
					values(a, o->values, cur, "");
					free(argv);
					return 0;
				}
				v = argv[++i];
			}
			if (common) /* ids come from the server the line names */
				cli_opt_set(o, &a->common, v, NULL);
			continue;
		}
		if (!c && !help) {
			if (!strcmp(w, "help"))
				help = 1;
			else if ((c = cli_find(t, w)))
				continue;
			else if (def)
				c = def; /* the default command's argument */
			else
				break; /* not a command: nothing to offer */
			if (help)
				continue;
		}
		npos++;
	}
	free(argv);
	if (i < argc)
		return 0;
	if (help) {
		if (!npos)
			commands(t, cur, 0);
		return 0;
	}
	if (!dashdash && cur[0] == '-') {
		const struct cli_cmd *own = c ? c : def;
		if (inline_value(a, own, cur))
			return 0;
		options(own ? own->opts : NULL, NULL, cur);
		options(cli_common_opts, own, cur);
		if (!strncmp("--help", cur, strlen(cur)))
			puts("--help");
		if (!c && !strncmp("--version", cur, strlen(cur)))
			puts("--version");
		return 0;
	}
	if (!c) {
		commands(t, cur, 1);
		c = def; /* and what the default command's argument takes */
	}
	/* only as many arguments as the command takes; of a command on one
	 * session (id_arg) only the first is an id */
	if (!c || (c->id_arg && npos > 0) || (c->npos_max >= 0 && npos >= c->npos_max))
		return 0;
	values(a, c->complete, cur, "");
	return 0;
}
