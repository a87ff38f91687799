/* sessctl - session lifecycle and inspection for sesskit. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "core/json.h"
#include "sessctl.h"

static const struct cmd commands[] = {
	{"create", cmd_create, "--agent AGENT [--id ID] [--ttl SECONDS] [--metadata JSON]",
	 "create a session with its first agent",
	 "  -a, --agent AGENT      the creating agent (required)\n"
	 "      --id ID            the session id (default: a new time-ordered UUID)\n"
	 "      --ttl SECONDS      time to live (default defaultTTL, 3600)\n"
	 "      --metadata JSON    a JSON object kept with the session\n"},
	{"join", cmd_join, "ID AGENT", "add an agent to a session", NULL},
	{"leave", cmd_leave, "ID AGENT",
	 "remove an agent; the last one leaving puts the session on graceTTL", NULL},
	{"emit", cmd_emit,
	 "ID --actor AGENT --type TYPE [--change JSON] [--transition JSON] [--impact JSON] [--event-id KEY]",
	 "append an event; the server assigns seq and timestamp",
	 "  -a, --actor AGENT      the emitting agent, a member of the session\n"
	 "  -T, --type TYPE        modified, broke, fixed, ...\n"
	 "      --change JSON      changeInfo {elementType, entityIds, operation}\n"
	 "      --transition JSON  stateTransition {from, to, verifiedBy, confidence}\n"
	 "      --impact JSON      impact, any JSON object\n"
	 "      --event-id KEY     makes a retried emit a no-op instead of a duplicate\n"
	 "      --event JSON       the whole event in the seeds' shape; flags override it\n"},
	{"get", cmd_get, "ID [--events]", "show a session, its agents and last seq",
	 "  -e, --events           include the event log\n"},
	{"events", cmd_events, "ID [--from SEQ] [--to SEQ] [--limit N] [--follow]",
	 "print a session's events, one per line",
	 "      --from SEQ         first seq (default 1)\n"
	 "      --to SEQ           last seq (default: the last)\n"
	 "  -l, --limit N          at most N events\n"
	 "  -f, --follow           then wait for new ones, without gaps or duplicates,\n"
	 "                         across reconnects (reads the log; pub/sub wakes it)\n"},
	{"watch", cmd_watch, "[ID...]",
	 "print live events of some or all sessions (pub/sub; may miss events while disconnected)",
	 NULL},
	{"list", cmd_list, "[--agent A] [--state S] [--limit N] [--cursor C]",
	 "list sessions, most recently active first",
	 "  -a, --agent AGENT      only this agent's sessions\n"
	 "      --state STATE      only working, broken or completed sessions\n"
	 "  -l, --limit N          at most N rows\n"
	 "      --cursor C         resume after the row whose \"cursor\" was C\n"},
	{"agents", cmd_agents, "AGENT [--limit N] [--cursor C]",
	 "list an agent's sessions (same as list --agent)",
	 "  -l, --limit N          at most N rows\n"
	 "      --cursor C         resume after the row whose \"cursor\" was C\n"},
	{"checkpoint", cmd_checkpoint, "ID|-|--all [--reason TEXT] | checkpoint show ID N",
	 "take a checkpoint, or print one",
	 "      --reason TEXT      recorded with the checkpoint (default manual)\n"
	 "      --all              every session that is not completed (graceful\n"
	 "                         shutdown); progress on stderr on a terminal\n"},
	{"checkpoints", cmd_checkpoints, "ID", "list a session's checkpoints", NULL},
	{"complete", cmd_complete, "ID", "mark a session completed; it takes no more events", NULL},
	{"touch", cmd_touch, "ID [--ttl SECONDS]", "restart a session's TTL (optionally a new one)",
	 "      --ttl SECONDS      the new TTL (default: keep the session's)\n"},
	{"delete", cmd_delete, "ID", "delete a session and its index entries", NULL},
	{"batch", cmd_batch, "[--pipeline N] [--group N] [--fail-fast] < OPS.jsonl",
	 "run many operations from JSON lines on stdin, pipelined",
	 "  Each line is {\"op\":OP, ...} with OP create, join, leave, emit, get,\n"
	 "  checkpoint, complete, touch or delete, and the fields named as in the\n"
	 "  seeds (id, agent, ttl, metadata, actor, type, changeInfo,\n"
	 "  stateTransition, impact, eventId, reason, events). One result line per\n"
	 "  input line, in order: {\"ok\":true,\"line\":N,\"op\":OP,\"result\":{...}}\n"
	 "  or {\"ok\":false,\"line\":N,\"error\":{\"code\",\"message\"}}.\n"
	 "  Consecutive emits to one session go in one script call, run in order\n"
	 "  exactly as one call each would (they share one timestamp). When the\n"
	 "  input pauses, what is pending is sent and its results printed.\n"
	 "      --pipeline N       emits in flight at once (1-100000, default 256)\n"
	 "      --group N          most emits in one script call (1-1000, default\n"
	 "                         64, at most --pipeline; 1 sends each alone)\n"
	 "      --fail-fast        stop reading at the first failed line\n"},
	{"stats", cmd_stats, "", "active sessions, events by type, averages", NULL},
	{"shell", cmd_shell, "",
	 "interactive shell: every command, line editing, history, completion, 'use ID'",
	 "  In the shell: use ID (current session), help [CMD], quit. History in\n"
	 "  $SESSCTL_HISTFILE (default ~/.sessctl_history, mode 0600; /dev/null: none).\n"
	 "  With stdin not a terminal it runs commands line by line (plain JSON lines).\n"},
	{"maintenance", cmd_maintenance, "[--dry-run] [--no-trim]",
	 "prune expired index entries, trim logs to maxEventsPerSession",
	 "      --dry-run          count what would be done, change nothing\n"
	 "      --no-trim          only prune indexes\n"},
};
#define NCMDS (sizeof commands / sizeof commands[0])

const struct cmd *sessctl_find(const char *name)
{
	size_t i;

	for (i = 0; i < NCMDS; i++)
		if (!strcmp(commands[i].name, name))
			return &commands[i];
	return NULL;
}

static void usage(FILE *f)
{
	size_t i;

	fprintf(f, "usage: sessctl [OPTIONS] COMMAND [ARGS]\n\n"
		   "Create, inspect and maintain Redis-backed multi-agent sessions.\n"
		   "Every command prints JSON lines on stdout; errors go to stderr.\n\n"
		   "Commands:\n");
	for (i = 0; i < NCMDS; i++)
		fprintf(f, "  %-12s %s\n", commands[i].name, commands[i].summary);
	fprintf(f, "\n" CLI_COMMON_HELP
		   "  --help, --version\n\n"
		   "Wherever a command takes a session ID, - reads ids from stdin as JSON\n"
		   "lines ({\"id\":...} objects, strings or bare words):\n"
		   "  sessctl list --state broken | sessctl checkpoint -\n\n"
		   "'sessctl COMMAND --help' shows a command's options; man sessctl has it all.\n"
		   "Exit: 0 ok, 1 not found or refused, 64 usage, 65 bad data, 66 no input,\n"
		   "69 Redis unreachable, 70 internal, 75 try again, 77 auth, 78 config.\n");
}

void sessctl_help(FILE *f, const struct cmd *c)
{
	fprintf(f, "usage: sessctl %s %s\n\n%s.\n", c->name, c->synopsis, c->summary);
	if (c->help)
		fprintf(f, "\n%s", c->help);
	fprintf(f, "\n" CLI_COMMON_HELP);
}

int app_usage(struct app *a, const struct cmd *c, const char *fmt, ...)
{
	char buf[SESS_ERR_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	/* through sess_err_set, which escapes the bytes of arguments that
	 * are not UTF-8 */
	sess_err_set(&a->err, SESS_E_USAGE, NULL, "%s", buf);
	fprintf(stderr, "%s %s: %s; see 'sessctl %s --help'\n", a->prog, c->name, a->err.msg, c->name);
	return 64;
}

int app_parse(struct app *a, const struct cmd *c, int argc, char **argv,
	      const char *shortopts, const struct option *opts, opt_fn fn,
	      void *st, int npos_min, int npos_max, int *first)
{
	struct option all[48];
	char sopts[64];
	size_t nopts = 0;
	int opt, npos, rc;

	while (opts && opts[nopts].name)
		nopts++;
	if (nopts + CLI_COMMON_OPTS + 2 > sizeof all / sizeof all[0])
		return 70;
	cli_merge_options(opts, all);
	all[nopts + CLI_COMMON_OPTS - 1] = (struct option){"help", no_argument, NULL, 'H'};
	memset(&all[nopts + CLI_COMMON_OPTS], 0, sizeof all[0]);
	snprintf(sopts, sizeof sopts, ":%su:h:p:n:s:c:t:", shortopts ? shortopts : "");
	optind = 0;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, sopts, all, NULL)) != -1) {
		if (opt == 'H') {
			sessctl_help(stdout, c);
			return -1;
		}
		if (opt == '?') {
			if (optopt)
				return app_usage(a, c, "unknown option -%c", optopt);
			return app_usage(a, c, "unknown option %s", argv[optind - 1]);
		}
		if (opt == ':')
			return app_usage(a, c, "%s needs a value", argv[optind - 1]);
		rc = cli_common_take(&a->common, opt, optarg, &a->err);
		if (rc < 0) {
			fprintf(stderr, "%s %s: %s\n", a->prog, c->name, a->err.msg);
			return 64;
		}
		if (rc == 1)
			continue;
		if (fn && (rc = fn(a, opt, optarg, st)) != 0)
			return rc;
	}
	npos = argc - optind;
	if (npos < npos_min)
		return app_usage(a, c, "expects %s", c->synopsis);
	if (npos_max >= 0 && npos > npos_max)
		return app_usage(a, c, "unexpected argument \"%s\"", argv[optind + npos_max]);
	*first = optind;
	return 0;
}

int app_connect(struct app *a)
{
	int warn = 0;

	if (a->connected && a->keep) {
		/* the shell keeps its connection; a broken one is opened again */
		if (a->conn.ctx && !a->conn.ctx->err)
			return 0;
		sess_conn_close(&a->conn);
		if (sess_conn_open(&a->conn, &a->cfg, &a->err))
			return app_fail(a);
		return 0;
	}

	if (cli_settings(&a->cfg, &a->common, &warn, &a->err))
		return app_fail(a);
	if (warn)
		cli_warn(a->prog, "a password on the command line is visible to other users; use --password-file, --askpass or REDIS_PASSWORD");
	if (cli_out_init(&a->out, stdout, a->common.color, &a->err))
		return app_fail(a);
	if (sess_conn_open(&a->conn, &a->cfg, &a->err))
		return app_fail(a);
	a->ctx.conn = &a->conn;
	a->ctx.cfg = &a->cfg;
	a->connected = 1;
	return 0;
}

int app_print(struct app *a, cJSON *v)
{
	if (a->keep)
		shell_note_ids(v);
	cli_out_json(&a->out, v);
	cJSON_Delete(v);
	return 0;
}

int app_each_print(cJSON *row, void *app)
{
	struct app *a = app;

	if (a->keep)
		shell_note_ids(row);
	return cli_out_json(&a->out, row);
}

/* The id on one stdin line: {"id":...}, "id" or id. */
static int line_id(char *line, char *out, size_t n, struct sess_err *err)
{
	cJSON *j = NULL;
	const char *id = line;

	if (line[0] == '{' || line[0] == '"') {
		j = sess_json_parse_err(line, NULL, NULL, err);
		if (!j)
			return -1;
		if (cJSON_IsObject(j))
			id = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(j, "id"));
		else
			id = cJSON_GetStringValue(j);
		if (!id) {
			cJSON_Delete(j);
			return sess_err_set(err, SESS_E_DATA, "bad_input",
					    "the line has no \"id\" string");
		}
	}
	if (strlen(id) >= n) {
		cJSON_Delete(j);
		return sess_err_set(err, SESS_E_DATA, "bad_id", "session id is longer than %d characters",
				    SESS_ID_MAX);
	}
	memcpy(out, id, strlen(id) + 1);
	cJSON_Delete(j);
	if (sess_key_check_id(out, "session id", err)) {
		out[0] = '\0'; /* records name only valid ids */
		return -1;
	}
	return 0;
}

int app_run_ids(struct app *a, const char *arg, id_op op, void *st)
{
	char *line = NULL, id[SESS_ID_MAX + 2];
	size_t cap = 0;
	ssize_t len;
	long lineno = 0;
	int rc, first_fail = 0;

	if (strcmp(arg, "-") != 0) {
		if (sess_key_check_id(arg, "session id", &a->err))
			return app_fail(a);
		if ((rc = app_connect(a)))
			return rc;
		return op(a, arg, st) ? app_fail(a) : 0;
	}
	if ((rc = app_connect(a)))
		return rc;
	while (!a->out.closed && (len = getline(&line, &cap, stdin)) != -1) {
		lineno++;
		while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r' ||
				   line[len - 1] == ' ' || line[len - 1] == '\t'))
			line[--len] = '\0';
		if (len == 0)
			continue;
		id[0] = '\0';
		if (line_id(line, id, sizeof id, &a->err) == 0 && op(a, id, st) == 0)
			continue;
		if (a->err.cls == SESS_E_UNAVAILABLE) {
			free(line);
			fprintf(stderr, "%s: %s; stopped at stdin line %ld\n", a->prog, a->err.msg, lineno);
			return sess_err_exit_code(a->err.cls);
		}
		{
			cJSON *rec = cli_error_record(lineno, &a->err);
			if (id[0])
				cJSON_AddStringToObject(rec, "id", id);
			cli_out_json(&a->out, rec);
			cJSON_Delete(rec);
		}
		if (!first_fail)
			first_fail = sess_err_exit_code(a->err.cls);
	}
	free(line);
	return first_fail;
}

int app_fail(struct app *a)
{
	return cli_fail(a->prog, &a->err);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"help", no_argument, NULL, 'H'},
		{"version", no_argument, NULL, 'V'},
	};
	struct option all[CLI_COMMON_OPTS + 3];
	struct app a;
	const struct cmd *c;
	int opt, rc;

	memset(&a, 0, sizeof a);
	a.prog = "sessctl";
	cli_common_init(&a.common);
	cli_init_signals();
	memcpy(all, opts, sizeof opts);
	memcpy(all + 2, cli_common_options, sizeof cli_common_options);
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "+:u:h:p:n:s:c:t:", all, NULL)) != -1) {
		if (opt == 'H') {
			usage(stdout);
			return 0;
		}
		if (opt == 'V') {
			printf("sessctl (sesskit) %s\n", PACKAGE_VERSION);
			return 0;
		}
		if (opt == '?' || opt == ':') {
			sess_err_set(&a.err, SESS_E_USAGE, NULL, "%s %s; see 'sessctl --help'",
				     opt == '?' ? "unknown option" : "missing value for", argv[optind - 1]);
			return cli_fail(a.prog, &a.err);
		}
		if (cli_common_take(&a.common, opt, optarg, &a.err) < 0) {
			fprintf(stderr, "sessctl: %s\n", a.err.msg);
			return 64;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return 64;
	}
	if (!strcmp(argv[optind], "help")) {
		if (optind + 1 < argc && (c = sessctl_find(argv[optind + 1]))) {
			sessctl_help(stdout, c);
			return 0;
		}
		usage(stdout);
		return 0;
	}
	c = sessctl_find(argv[optind]);
	if (!c) {
		sess_err_set(&a.err, SESS_E_USAGE, NULL, "unknown command \"%s\"; see 'sessctl --help'",
			     argv[optind]);
		return cli_fail(a.prog, &a.err);
	}
	rc = c->run(&a, argc - optind, argv + optind);
	if (a.connected)
		sess_conn_close(&a.conn);
	memset(a.cfg.password, 0, sizeof a.cfg.password);
	return rc < 0 ? 0 : rc;
}
