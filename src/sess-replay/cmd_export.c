/* sess-replay export: a history as a JSON-lines file (records as stored,
 * checkpoints, its chain); import (cmd_import.c) takes it back. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/history/integrity.h"
#include "replay.h"

struct export_opts {
	const char *output;
	int saved;
};

static const struct cli_opt export_o[] = {
	CLI_STR("output", 'o', "FILE", "write FILE (whole or not at all) instead of stdout",
		struct export_opts, output, CLI_COMPLETE_FILE),
	CLI_FLAG("saved", 0, "export the saved replay even while the session lives",
		 struct export_opts, saved),
	CLI_END};

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

static int cmd_export(struct cli_app *a, void *opts, int argc, char **argv)
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
		/* a signal after the last record (during the final checks) stops
		 * it too: nothing renamed, exit 130/143 means no file */
		if (!rc && cli_stop_signal())
			rc = sess_err_set(&a->err, SESS_E_TEMP, "interrupted", "export of %s interrupted by a signal (%s)",
					  src.id, st.lost);
		if (!rc && rename(export_tmp, o->output) != 0)
			rc = sess_err_set(&a->err, SESS_E_NOINPUT, NULL, "cannot write %s: %s", o->output,
					  strerror(errno));
		if (!rc)
			export_tmp[0] = '\0'; /* renamed: nothing to remove */
		export_tmp_remove();
		if (!rc)
			return 0; /* whole and in place: a signal after the rename stopped nothing */
	} else if (st.failed || (!rc && wfail)) {
		return 0; /* the reader went away: quietly, as play */
	}
	if (cli_stop_signal())
		return cli_signal_exit();
	return rc ? cli_app_fail(a) : 0;
}

const struct cli_cmd replay_cmd_export = {
	.name = "export", .synopsis = "ID",
	.summary = "a history as a JSON-lines file (records as stored, checkpoints, its chain)",
	.opts = export_o, .opts_size = sizeof(struct export_opts), .npos_min = 1, .npos_max = 1,
	.complete = CLI_COMPLETE_SESSION, .id_arg = 1,
	.run = cmd_export};
