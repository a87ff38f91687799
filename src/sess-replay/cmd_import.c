/* sess-replay import: an exported history (cmd_export.c tells its form)
 * back, as a saved replay, checked against its chain. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/model/json.h"
#include "core/model/keys.h"
#include "sess-replay/saved.h"
#include "replay.h"

struct import_opts {
	const char *id;
	int replace;
};

static const struct cli_opt import_o[] = {
	CLI_STR("id", 0, "ID", "save it under this id (default: the file's)", struct import_opts, id, NULL),
	CLI_FLAG("replace", 0, "replace a saved replay of that id", struct import_opts, replace),
	CLI_END};

/* The bad line of an import: its number, the problem and the fix. */
static int bad_line(struct cli_app *a, long line, const char *what, const char *fix)
{
	return sess_err_set(&a->err, SESS_E_DATA, "bad_import", "line %ld %s; %s", line, what, fix);
}

/* An import's checkpoint lines come after its records: once all are
 * read, the encoded records are folded again to check each against them. */
struct recheck {
	struct sess_fold f;
	struct cp_check *c;
	struct sess_err *err;
};

static int recheck_one(int kind, const char *text, size_t len, void *p)
{
	struct recheck *r = p;

	cp_check_record(r->c, &r->f, kind, text, len);
	return kind == SESS_REC_EVENT ? sess_fold_event(&r->f, text, len, r->err) != 0
				      : sess_fold_record(&r->f, text, len, r->err) != 0;
}

static int import_check(struct cli_app *a, const struct sess_replay_enc *enc, struct cp_check *c,
			const char *id)
{
	struct recheck r = {.c = c, .err = &a->err};
	size_t i;
	int rc = 0;

	sess_fold_init(&r.f, id, 1);
	for (i = 0; !rc && i < enc->nblocks; i++)
		rc = sess_replay_block_each(enc->blocks[i].data, enc->blocks[i].len, NULL, recheck_one, &r,
					    &a->err) != 0;
	if (!rc)
		rc = cp_check_end(a, c, &r.f, NULL, id, "file", "nothing saved");
	sess_fold_free(&r.f);
	return rc ? -1 : 0;
}

static int cmd_import(struct cli_app *a, void *opts, int argc, char **argv)
{
	struct import_opts *o = opts;
	struct sess_replay_enc enc;
	FILE *f = stdin;
	char *line = NULL, id[SESS_ID_MAX + 1] = "";
	size_t cap = 0;
	ssize_t len;
	long lineno = 0;
	cJSON *end = NULL, *out = NULL;
	struct cp_check check = {cJSON_CreateObject(), 0, "", NULL, NULL};
	int rc = -1, started = 0, have;

	memset(&enc, 0, sizeof enc);
	if (argc > 0 && strcmp(argv[0], "-") && !(f = fopen(argv[0], "r"))) {
		cJSON_Delete(check.cps);
		return sess_err_set(&a->err, SESS_E_NOINPUT, NULL, "cannot read %s: %s", argv[0],
				    strerror(errno)), cli_app_fail(a);
	}
	if ((rc = cli_connect(a)))
		goto out;
	rc = -1;
	while ((len = import_getline(&line, &cap, f, IMPORT_LINE_MAX)) != -1) {
		cJSON *j;
		lineno++;
		if (len == -2) {
			bad_line(a, lineno, "is longer than " IMPORT_LINE_MAX_TEXT " (or memory ran out)",
				 "sesskit never exports such a record; the file is not an export");
			goto out;
		}
		while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
			line[--len] = '\0';
		if (!len)
			continue;
		if (strlen(line) != (size_t)len) {
			bad_line(a, lineno, "holds a NUL byte", "sesskit never writes one; the file is damaged");
			goto out;
		}
		if (end) {
			bad_line(a, lineno, "follows the end line", "the file was joined with another: split it");
			goto out;
		}
		if (lineno == 1) {
			cJSON *h = sess_json_parse(line);
			const char *hid = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(h, "id"));
			if (!h || strcmp(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(h, "sesskit")) ?
					 cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(h, "sesskit")) : "",
					 "history") || !hid) {
				cJSON_Delete(h);
				bad_line(a, lineno, "is not a sesskit history header", "give a file 'sess-replay export' wrote");
				goto out;
			}
			{
				/* a newer export format is not read as if it were this one */
				const cJSON *v = cJSON_GetObjectItemCaseSensitive(h, "v");
				if (!cJSON_IsNumber(v) || v->valuedouble != 1) {
					if (cJSON_IsNumber(v) && v->valuedouble > 1)
						sess_err_set(&a->err, SESS_E_CONFIG, "unknown_export_version",
							     "line 1: the file has export format version %.0f, which this sesskit (version 1) does not know; import it with the sesskit that wrote it, or a newer one",
							     v->valuedouble);
					else
						bad_line(a, lineno, "has no export format version 1 (\"v\")",
							 "give a file 'sess-replay export' wrote");
					cJSON_Delete(h);
					goto out;
				}
			}
			snprintf(id, sizeof id, "%s", o->id ? o->id : hid);
			cJSON_Delete(h);
			if (sess_key_check_id(id, "replay id", &a->err))
				goto out;
			continue;
		}
		if (!strncmp(line, "{\"s\":", 5) || !strncmp(line, "{\"k\":", 5)) {
			if (!started) {
				/* a trimmed history's start is in the end line: not known
				 * yet; such files carry it in the header's stead below */
				if (sess_replay_enc_init(&enc, id, SESS_REPLAY_INTERVAL, NULL, &a->err))
					goto out;
				started = 1;
			}
			/* as the scripts would have written it, or not at all */
			if (import_record_check(line[2] == 's' ? SESS_REC_EVENT : SESS_REC_HISTORY, line,
						(size_t)len, &a->err)) {
				char why[SESS_ERR_MSG_MAX];
				snprintf(why, sizeof why, "%s", a->err.msg);
				sess_err_set(&a->err, SESS_E_DATA, "bad_import",
					     "line %ld: %s; sesskit never writes such a record: the file was changed (nothing imported)",
					     lineno, why);
				goto out;
			}
			if (sess_replay_enc_add(&enc, line[2] == 's' ? SESS_REC_EVENT : SESS_REC_HISTORY,
						line, (size_t)len, &a->err)) {
				sess_err_prefix(&a->err, "line %ld", lineno);
				goto out;
			}
			continue;
		}
		if (!(j = sess_json_parse(line))) {
			bad_line(a, lineno, "is not JSON", "the file is damaged; export it again");
			goto out;
		}
		if (cJSON_GetObjectItemCaseSensitive(j, "checkpoint")) {
			/* export writes them after the records: kept to check
			 * against the records' at the end */
			cJSON *cp = cJSON_DetachItemFromObjectCaseSensitive(j, "checkpoint");
			char key[24];
			snprintf(key, sizeof key, "%.0f", cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(cp, "id")));
			cJSON_AddItemToObject(check.cps, key, cp);
			cJSON_Delete(j);
		} else if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(j, "end"))) {
			end = j;
		} else {
			cJSON_Delete(j);
			bad_line(a, lineno, "is no record, checkpoint or end line", "the file is damaged; export it again");
			goto out;
		}
	}
	if (ferror(f)) {
		sess_err_set(&a->err, SESS_E_NOINPUT, NULL, "reading %s failed: %s", argc ? argv[0] : "stdin",
			     strerror(errno));
		goto out;
	}
	if (!id[0] || !end) {
		sess_err_set(&a->err, SESS_E_DATA, "bad_import",
			     "the file ends before its end line (%ld lines): it was cut short; export it again",
			     lineno);
		goto out;
	}
	if (!started && sess_replay_enc_init(&enc, id, SESS_REPLAY_INTERVAL, NULL, &a->err))
		goto out;
	{
		const char *chain = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(end, "chain"));
		double n = cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(end, "records"));
		if (cJSON_GetObjectItemCaseSensitive(end, "start")) {
			sess_err_set(&a->err, SESS_E_DATA, "bad_import",
				     "this history starts at a checkpoint (its log was trimmed); importing those is not supported");
			goto out;
		}
		if (n != (double)(enc.fold.events + enc.fold.records) || !chain || strcmp(chain, enc.fold.chain)) {
			sess_err_set(&a->err, SESS_E_DATA, "chain_mismatch",
				     "the file's records do not fold to its end line's chain and count: it was changed; nothing imported");
			goto out;
		}
	}
	if (sess_replay_enc_finish(&enc, &a->err) || import_check(a, &enc, &check, id))
		goto out;
	have = sess_replay_exists(&a->ctx, id, &a->err);
	if (have < 0)
		goto out;
	if (have && !o->replace) {
		sess_err_set(&a->err, SESS_E_NEGATIVE, "exists",
			     "a saved replay %s exists; give --replace, or --id NEW", id);
		goto out;
	}
	rc = store(a, id, &enc, &out);
	if (!rc) {
		cJSON_AddBoolToObject(out, "imported", 1);
		cli_print(a, out);
	}
out:
	if (f != stdin)
		fclose(f);
	free(line);
	cJSON_Delete(check.cps);
	cJSON_Delete(end);
	sess_replay_enc_free(&enc);
	if (rc > 0)
		return rc;
	return rc ? cli_app_fail(a) : 0;
}

const struct cli_cmd replay_cmd_import = {
	.name = "import", .synopsis = "[FILE|-]",
	.summary = "an exported history back, as a saved replay, checked against its chain",
	.opts = import_o, .opts_size = sizeof(struct import_opts), .npos_max = 1,
	.complete = CLI_COMPLETE_FILE,
	.run = cmd_import};
