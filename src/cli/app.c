/* app.c - one run of a binary: connect with the layered settings, print
 * results, run an operation for one id or for ids on stdin. */
#include "cli/cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/model/json.h"
#include "core/model/keys.h"

int cli_connect(struct cli_app *a)
{
	int warn = 0;

	if (a->connected && !a->keep)
		return 0; /* connected already: a command may ask twice */
	if (a->connected && a->keep) {
		/* the shell keeps its connection; a broken one is opened again */
		if (sess_conn_ok(&a->conn))
			return 0;
		sess_conn_close(&a->conn);
		if (sess_conn_open(&a->conn, &a->cfg, &a->err))
			return cli_app_fail(a);
		return 0;
	}

	if (cli_settings(&a->cfg, &a->common, &warn, &a->err))
		return cli_app_fail(a);
	if (warn)
		cli_warn(a->prog, "a password on the command line is visible to other users; use --password-file, --askpass or REDIS_PASSWORD");
	if (cli_out_init(&a->out, stdout, a->common.color, &a->err))
		return cli_app_fail(a);
	if (sess_conn_open(&a->conn, &a->cfg, &a->err))
		return cli_app_fail(a);
	a->ctx.conn = &a->conn;
	a->ctx.cfg = &a->cfg;
	a->ctx.progress = cli_meter; /* draws only on a terminal */
	a->connected = 1;
	return 0;
}

int cli_print(struct cli_app *a, cJSON *v)
{
	if (a->on_print)
		a->on_print(v);
	cli_out_json(&a->out, v);
	cJSON_Delete(v);
	return 0;
}

int cli_each_print(cJSON *row, void *app)
{
	struct cli_app *a = app;

	if (a->on_print)
		a->on_print(row);
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

int cli_run_ids(struct cli_app *a, const char *arg, cli_id_op op, void *st)
{
	char *line = NULL, id[SESS_ID_MAX + 2];
	size_t cap = 0;
	ssize_t len;
	long lineno = 0;
	int rc, first_fail = 0;

	if (strcmp(arg, "-") != 0) {
		if (sess_key_check_id(arg, "session id", &a->err))
			return cli_app_fail(a);
		if ((rc = cli_connect(a)))
			return rc;
		return op(a, arg, st) ? cli_app_fail(a) : 0;
	}
	if ((rc = cli_connect(a)))
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

int cli_app_fail(struct cli_app *a)
{
	return cli_fail(a->prog, &a->err);
}

