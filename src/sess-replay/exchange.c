/* exchange.c - export and import: a history as a JSON-lines file. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/history/integrity.h"
#include "core/model/json.h"
#include "core/model/keys.h"
#include "sess-replay/saved.h"
#include "replay.h"

/* ---- export / import: a history as JSON lines ----
 * line 1   {"sesskit":"history","v":1,"id":..,"lastSeq":..,"chain":..[,"start":CP]}
 * then     each record's exact stored text (events {"s":..}, lifecycle {"k":..})
 * then     {"checkpoint":{...}} per stored checkpoint
 * last     {"end":true,"records":N,"chain":HEAD}
 */

struct export_st {
	struct cli_app *a;
	FILE *f;
	long long n;
	int failed, stopped;
	const char *lost;         /* what a failure leaves: "nothing exported" */
	struct cp_check *check;   /* a live session's stored checkpoints */
	cJSON *derived;           /* number -> the checkpoint its record implies */
};

static int export_one(int kind, const char *text, size_t len, struct sess_fold *fold, void *p)
{
	struct export_st *st = p;

	(void)kind;
	(void)fold;
	if (cli_stop_signal())
		return st->stopped = 1;
	st->n++;
	if (fwrite(text, 1, len, st->f) != len || fputc('\n', st->f) == EOF)
		return st->failed = 1;
	return 0;
}

/* Before a record is folded (with the fold before it): a live session's
 * stored checkpoint is checked against the one its record implies, which
 * is what is exported (never the stored text unchecked). */
static int export_pre(int kind, const char *text, size_t len, struct sess_fold *fold, void *p)
{
	struct export_st *st = p;
	cJSON *cp;

	if (!st->check)
		return 0;
	cp_check_record(st->check, fold, kind, text, len);
	if (kind == SESS_REC_HISTORY && fold->known &&
	    (cp = sess_integrity_checkpoint_body(fold, fold->chain, text, len))) {
		char key[24];
		snprintf(key, sizeof key, "%.0f", cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(cp, "id")));
		/* a number twice is a finding of cp_check (its stored one was
		 * taken by the first): no lookup here, 10,000 would cost seconds */
		cJSON_AddItemToObject(st->derived, key, cp);
	}
	return 0;
}

/* The temporary file export -o writes: unique, beside FILE (so the rename
 * is atomic), removed on every way out but success. */
static char export_tmp[4096];

static void export_tmp_remove(void)
{
	if (export_tmp[0]) {
		unlink(export_tmp);
		export_tmp[0] = '\0';
	}
}

static FILE *export_tmp_open(struct cli_app *a, const char *out)
{
	int fd;
	mode_t um;
	FILE *f;

	if (snprintf(export_tmp, sizeof export_tmp, "%s.XXXXXX", out) >= (int)sizeof export_tmp) {
		export_tmp[0] = '\0';
		sess_err_set(&a->err, SESS_E_USAGE, NULL, "--output %s: the path is too long", out);
		return NULL;
	}
	if ((fd = mkstemp(export_tmp)) < 0) {
		sess_err_set(&a->err, SESS_E_NOINPUT, NULL, "cannot write beside %s: %s", out, strerror(errno));
		export_tmp[0] = '\0';
		return NULL;
	}
	/* the mode a plain create would give (mkstemp's is 0600) */
	um = umask(0);
	umask(um);
	if (fchmod(fd, 0666 & ~um) != 0 || !(f = fdopen(fd, "w"))) {
		sess_err_set(&a->err, SESS_E_NOINPUT, NULL, "cannot write %s: %s", export_tmp, strerror(errno));
		close(fd);
		export_tmp_remove();
		return NULL;
	}
	return f;
}

static void print_line(FILE *f, cJSON *o)
{
	char *text = cJSON_PrintUnformatted(o);

	if (text)
		fprintf(f, "%s\n", text);
	else
		fputs("\n", f); /* out of memory: the file fails its import */
	cJSON_free(text);
	cJSON_Delete(o);
}

/* Export src into st->f: the header, the records, the checkpoints and
 * the end line, which is written only when all was read and verified:
 * the records fold to the stored chain head, a live log holds nothing
 * past its meta's seq, every stored checkpoint is the one its record
 * implies. 0, or -1 with a->err. */
static int export_source(struct cli_app *a, struct source *src, struct export_st *st)
{
	struct cp_check check = {NULL, 0, "", src->id, NULL};
	struct sess_fold f;
	cJSON *hdr, *cps = NULL, *it, *end, *map = NULL;
	const char *head;
	int rc;

	hdr = cJSON_CreateObject();
	cJSON_AddStringToObject(hdr, "sesskit", "history");
	cJSON_AddNumberToObject(hdr, "v", 1);
	cJSON_AddStringToObject(hdr, "id", src->id);
	cJSON_AddStringToObject(hdr, "source", src->saved ? "saved" : "live");
	print_line(st->f, hdr);
	if (!src->saved) {
		/* read first: each is checked against the fold as its record
		 * comes (one taken while the records are read is read then;
		 * one taken after the instant they are read up to is dropped at
		 * the end, as a save does) */
		if (!(check.cps = source_checkpoints(a, src)) || !(st->derived = cJSON_CreateObject())) {
			cJSON_Delete(check.cps);
			return -1;
		}
		st->check = &check;
	}
	rc = source_fold_pre(a, src, &f, SRC_FOLD | SRC_CHAIN, 0, NULL, export_pre, export_one, st);
	if (!rc && st->stopped)
		rc = sess_err_set(&a->err, SESS_E_TEMP, "interrupted", "export of %s interrupted by a signal (%s)",
				  src->id, st->lost);
	if (!rc && st->failed)
		rc = sess_err_set(&a->err, SESS_E_NOINPUT, NULL, "writing the export of %s failed: %s", src->id,
				  strerror(errno));
	head = src->saved ? cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(src->meta, "chain"))
			  : src->head.chain;
	if (!rc && (!head || strcmp(head, f.chain)))
		rc = sess_err_set(&a->err, SESS_E_DATA, "chain_mismatch",
				  "the records of %s do not fold to its stored chain head: it was changed; run 'sess-replay verify %s' (%s)",
				  src->id, src->id, st->lost);
	if (!rc)
		rc = source_check_log(a, src);
	if (!rc && st->check)
		rc = cp_check_end(a, &check, &f, src->head.start, src->id, "session", st->lost);
	if (!rc) {
		map = src->saved ? source_checkpoints(a, src) : st->derived;
		st->derived = NULL;
		if (!map || !(cps = checkpoints_in_order(map)))
			rc = -1;
		cJSON_Delete(map);
	}
	if (!rc) {
		cJSON_ArrayForEach(it, cps) {
			cJSON *line = cJSON_CreateObject();
			/* one taken after the records were read is not this history's */
			if (cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(it, "seq")) > (double)f.seq) {
				cJSON_Delete(line);
				continue;
			}
			cJSON_AddItemToObject(line, "checkpoint", cJSON_Duplicate(it, 1));
			print_line(st->f, line);
		}
		end = cJSON_CreateObject();
		cJSON_AddBoolToObject(end, "end", 1);
		cJSON_AddNumberToObject(end, "records", (double)st->n);
		cJSON_AddNumberToObject(end, "lastSeq", (double)f.seq);
		cJSON_AddStringToObject(end, "chain", head); /* the stored head (equal, checked) */
		if (src->head.start)
			cJSON_AddItemToObject(end, "start", cJSON_Duplicate(src->head.start, 1));
		else if (src->saved && cJSON_GetObjectItemCaseSensitive(src->meta, "start"))
			cJSON_AddItemToObject(end, "start",
					      cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(src->meta, "start"), 1));
		print_line(st->f, end);
	}
	cJSON_Delete(cps);
	cJSON_Delete(check.cps);
	cJSON_Delete(check.late);
	cJSON_Delete(st->derived);
	st->derived = NULL;
	sess_fold_free(&f);
	return rc ? -1 : 0;
}

int cmd_export(struct cli_app *a, void *opts, int argc, char **argv)
{
	struct export_opts *o = opts;
	struct export_st st;
	struct source src;
	int rc, wfail;

	(void)argc;
	memset(&st, 0, sizeof st);
	st.a = a;
	st.f = stdout;
	/* to stdout, the lines before a failure were written */
	st.lost = o->output ? "nothing exported"
			    : "the output is incomplete: no end line was written; discard it";
	if ((rc = cli_connect(a)))
		return rc;
	/* SIGINT/SIGTERM end the export between records: the temporary file
	 * is removed, nothing is renamed into place */
	cli_catch_stop_signals();
	if (source_open(a, argv[0], o->saved, &src))
		return cli_app_fail(a);
	if (o->output && !(st.f = export_tmp_open(a, o->output))) {
		source_close(&src);
		return cli_app_fail(a);
	}
	rc = export_source(a, &src, &st);
	source_close(&src);
	wfail = fflush(st.f) == EOF || ferror(st.f);
	if (o->output) {
		wfail |= fclose(st.f) != 0;
		if (!rc && wfail)
			rc = sess_err_set(&a->err, SESS_E_NOINPUT, NULL, "cannot write %s: %s", o->output,
					  strerror(errno));
		if (!rc && rename(export_tmp, o->output) != 0)
			rc = sess_err_set(&a->err, SESS_E_NOINPUT, NULL, "cannot write %s: %s", o->output,
					  strerror(errno));
		if (!rc)
			export_tmp[0] = '\0'; /* renamed: nothing to remove */
		export_tmp_remove();
	} else if (st.failed || (!rc && wfail)) {
		return 0; /* the reader went away: quietly, as play */
	}
	if (cli_stop_signal())
		return cli_signal_exit();
	return rc ? cli_app_fail(a) : 0;
}

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

int cmd_import(struct cli_app *a, void *opts, int argc, char **argv)
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
