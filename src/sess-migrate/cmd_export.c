/* sess-migrate export: sessions as JSON lines (one session a line, with
 * its expiry), for backups, pipes and ssh.
 *
 * A file (-o) appears whole or not at all: the lines go to a temporary
 * file in the same directory, every write checked, flushed and fsync'd,
 * then renamed over FILE; on a failure to write (a full disk), a server
 * that refuses the reads, or a signal, the temporary file is removed and
 * FILE, an older backup, is left as it was. A session that cannot be read,
 * or whose hash chain does not verify (chain.c, as import checks it),
 * is a failed line (on stderr when the data goes to stdout), counted in
 * the summary, and makes the exit non-zero (65). */
#include "copy.h"
#include "chain.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "options.h"

static const struct cli_opt export_o[] = {
	FROM, SELECT, BATCH,
	CLI_STR("output", 'o', "FILE", "write to FILE instead of stdout", O, output, CLI_COMPLETE_FILE),
	CLI_END};
static const struct mig_opts defaults = MIG_DEFAULTS;

/* Where the lines go: stdout, or a temporary file renamed over path. */
struct exp_out {
	FILE *f;
	const char *path;   /* NULL: stdout */
	char tmp[4096];     /* the temporary file, "" once gone */
	int werr;           /* errno of the first failed write, 0 none */
};

static int out_open(struct exp_out *x, const char *path, struct sess_err *err)
{
	const char *slash;
	int fd, n;

	memset(x, 0, sizeof *x);
	x->f = stdout;
	if (!path || !strcmp(path, "-"))
		return 0;
	x->path = path;
	slash = strrchr(path, '/');
	if (slash)
		n = snprintf(x->tmp, sizeof x->tmp, "%.*s.%s.XXXXXX", (int)(slash - path + 1), path, slash + 1);
	else
		n = snprintf(x->tmp, sizeof x->tmp, ".%s.XXXXXX", path);
	if (n < 0 || (size_t)n >= sizeof x->tmp)
		return sess_err_set(err, SESS_E_USAGE, NULL, "-o %s: the path is too long", path);
	if ((fd = mkstemp(x->tmp)) < 0 || !(x->f = fdopen(fd, "w"))) {
		int e = errno;
		if (fd >= 0) {
			close(fd);
			unlink(x->tmp);
		}
		x->tmp[0] = '\0';
		x->f = NULL;
		return sess_err_set(err, SESS_E_NOINPUT, "io",
				    "cannot write a file beside %s: %s; check the directory and its permissions",
				    path, strerror(e));
	}
	return 0;
}

static void out_line(struct exp_out *x, const char *t)
{
	if (x->werr)
		return;
	if (fputs(t, x->f) == EOF || fputc('\n', x->f) == EOF)
		x->werr = errno ? errno : EIO;
}

/* Done: for a file, flush, fsync and rename it over path when ok, else
 * drop it. Returns 0, or -1 with err when the data did not all land. */
static int out_close(struct exp_out *x, int ok, struct sess_err *err)
{
	int rc = 0;

	if (!x->path) {
		if (fflush(stdout) == EOF || ferror(stdout))
			x->werr = x->werr ? x->werr : (errno ? errno : EIO);
		return 0; /* the reader went away: quietly (the caller says so) */
	}
	if (!x->f)
		return 0;
	if (!x->werr && (fflush(x->f) == EOF || ferror(x->f) || fsync(fileno(x->f))))
		x->werr = errno ? errno : EIO;
	if (fclose(x->f) == EOF && !x->werr)
		x->werr = errno ? errno : EIO;
	x->f = NULL;
	if (ok && !x->werr && rename(x->tmp, x->path))
		x->werr = errno;
	else if (ok && !x->werr)
		x->tmp[0] = '\0';
	if (x->tmp[0]) {
		unlink(x->tmp);
		x->tmp[0] = '\0';
	}
	if (x->werr)
		rc = sess_err_set(err, SESS_E_NOINPUT, "io",
				  "writing %s failed: %s (disk full?); the file was left as it was, make room and export again",
				  x->path, strerror(x->werr));
	return rc;
}

static int cmd_export(struct cli_app *a, void *opts, int argc, char **argv)
{
	struct mig_opts *o = opts;
	struct mig_side src = {0};
	struct mig_run run;
	struct exp_out x;
	char **ids = NULL;
	struct sess_snap *snaps = NULL;
	int *ok = NULL, n, i, rc, failed = 0;
	long exported = 0;
	struct sess_err err;
	cJSON *sum;

	(void)argc;
	(void)argv;
	memset(&x, 0, sizeof x);
	if ((rc = mig_check_common(a, o)))
		return rc;
	if (!o->all && !o->since && !o->ids && !o->match && !o->state)
		return cli_usage_error(a, "say which sessions: --all, --since TIME, --ids FILE|-, --match GLOB or --state STATE");
	if (o->ids)
		return cli_usage_error(a, "export takes --all, --since, --match or --state (an id list: use copy --ids)");
	memset(&run, 0, sizeof run);
	run.a = a;
	run.src = &src;
	run.legacy = o->layout && !strcmp(o->layout, "legacy");
	run.form = 's';
	run.batch = o->batch > 0 ? o->batch : 100;
	if ((rc = mig_open_side(a, &src, o->from, "--from")))
		return rc;
	if (out_open(&x, o->output, &a->err)) {
		rc = cli_app_fail(a);
		goto out;
	}
	/* stdout is the data: what is said about sessions goes to stderr */
	run.report_stderr = !x.path;
	mig_sel_init(&run.sel, o, src.cfg.prefix, run.batch);
	run.sel.second_pass = 1; /* one walk: a line per session, never two */
	run.meter.start_ms = sess_now_ms();
	run.meter.total = mig_sel_total(&run.sel, &src.conn);
	ids = calloc((size_t)run.batch, sizeof *ids);
	snaps = calloc((size_t)run.batch, sizeof *snaps);
	ok = calloc((size_t)run.batch, sizeof *ok);
	if (!ids || !snaps || !ok) {
		sess_err_set(&a->err, SESS_E_INTERNAL, NULL, "out of memory");
		rc = cli_app_fail(a);
		goto drop;
	}
	cli_catch_stop_signals();
	while (!cli_stop_signal() && !x.werr) {
		if ((n = mig_sel_next(&run.sel, &src.conn, ids, (int)run.batch, &err)) < 0 ||
		    (n > 0 && mig_read_batch(&run, ids, n, snaps, ok, &err))) {
			if (n > 0)
				for (i = 0; i < n; i++) {
					sess_snap_free(&snaps[i]);
					free(ids[i]);
				}
			a->err = err;
			rc = cli_app_fail(a);
			goto drop;
		}
		if (n == 0)
			break;
		for (i = 0; i < n; i++) {
			if (ok[i] && snaps[i].present && mig_sel_keep(&run.sel, &snaps[i]) &&
			    !(snaps[i].expire_at && snaps[i].expire_at <= snaps[i].now)) {
				/* a backup that import would refuse is no backup:
				 * its chain is checked as import checks it */
				struct sess_err ce;
				int bad = mig_chain_check(&snaps[i], &ce);
				cJSON *j = bad ? NULL : sess_snap_to_json(&snaps[i]);
				char *t = j ? cJSON_PrintUnformatted(j) : NULL;
				if (bad) {
					mig_report(&run, snaps[i].id, MIG_FAILED, &ce);
				} else if (t) {
					out_line(&x, t);
					exported++;
				} else {
					x.werr = ENOMEM;
				}
				free(t);
				cJSON_Delete(j);
			}
			sess_snap_free(&snaps[i]);
			free(ids[i]);
		}
		mig_meter_tick(&run.meter, "exporting", n);
	}
	mig_meter_end();
	failed = (int)run.count[MIG_FAILED];
	/* a walk stopped by a signal leaves the old file; sessions that could
	 * not be read are named (failed lines) and make the exit non-zero,
	 * the others are in the file */
	if (out_close(&x, !cli_stop_signal(), &err)) {
		a->err = err;
		rc = cli_app_fail(a);
		goto out;
	}
	if (!x.path && x.werr)
		goto out; /* stdout closed (| head): quietly */
	sum = cJSON_CreateObject();
	cJSON_AddBoolToObject(sum, "summary", 1);
	cJSON_AddNumberToObject(sum, "exported", (double)exported);
	cJSON_AddNumberToObject(sum, "failed", (double)failed);
	if (x.path && cli_stop_signal())
		cJSON_AddStringToObject(sum, "file", "not written (the old file, if any, is unchanged)");
	cJSON_AddNumberToObject(sum, "elapsedMs", (double)(sess_now_ms() - run.meter.start_ms));
	if (!x.path) { /* stdout is the data: the summary goes to stderr */
		char *t = cJSON_PrintUnformatted(sum);
		fprintf(stderr, "%s\n", t);
		free(t);
		cJSON_Delete(sum);
	} else {
		cli_print(a, sum);
	}
	if (cli_stop_signal())
		rc = cli_signal_exit();
	else if (failed) {
		fprintf(stderr, "%s: %d session%s could not be read or did not verify and %s not exported (see the failed lines)\n",
			a->prog, failed, failed == 1 ? "" : "s", failed == 1 ? "is" : "are");
		rc = run.rc ? run.rc : 65;
	}
	goto out;
drop:
	out_close(&x, 0, &err);
out:
	mig_sel_free(&run.sel);
	free(ids);
	free(snaps);
	free(ok);
	mig_close_side(&src);
	return rc;
}

const struct cli_cmd migrate_cmd_export = {
	.name = "export", .synopsis = "--all|--since TIME|--match GLOB",
	.summary = "write sessions as JSON lines (one a line, with expiry)", .opts = export_o,
	.opts_size = sizeof(struct mig_opts), .defaults = &defaults,
	.run = cmd_export};
