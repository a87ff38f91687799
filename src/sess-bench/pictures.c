/* pictures.c - --hgrm DIR and --svg FILE: the run's latency histograms
 * (the ones the summary's percentiles come from) written as
 * HdrHistogram percentile distributions and as a plot (plot.c renders
 * both in memory).
 *
 * Where they go is tried before the run (a file made and removed in the
 * directory), so a long run does not end in a path that cannot be
 * written. After the run every file is written whole or not at all: the
 * text goes to a temporary file in the same directory, checked, flushed
 * and fsync'd, then renamed over the name; on a failure every temporary
 * file is removed and files already there are left as they were. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bench.h"
#include "sess-bench/plot.h"

#define FIX "; choose a directory you can write in"

/* The directory of path ("." for a bare name) into buf. */
static void dir_of(const char *path, char *buf, size_t n)
{
	const char *slash = strrchr(path, '/');

	if (!slash)
		snprintf(buf, n, ".");
	else if (slash == path)
		snprintf(buf, n, "/");
	else
		snprintf(buf, n, "%.*s", (int)(slash - path), path);
}

/* A temporary file beside path: its name into tmp, open for writing. */
static FILE *tmp_beside(const char *path, char *tmp, size_t n)
{
	const char *slash = strrchr(path, '/');
	int fd, len;
	mode_t um;
	FILE *f = NULL;

	if (slash)
		len = snprintf(tmp, n, "%.*s.%s.XXXXXX", (int)(slash - path + 1), path, slash + 1);
	else
		len = snprintf(tmp, n, ".%s.XXXXXX", path);
	if (len < 0 || (size_t)len >= n) {
		errno = ENAMETOOLONG;
		return NULL;
	}
	if ((fd = mkstemp(tmp)) < 0)
		return NULL;
	/* the mode a new file gets, not mkstemp's 0600: the pictures are
	 * for others to read */
	um = umask(0);
	umask(um);
	if (fchmod(fd, 0666 & ~um) || !(f = fdopen(fd, "w"))) {
		int e = errno;
		close(fd);
		unlink(tmp);
		errno = e;
	}
	return f;
}

/* Can a file be made in dir (what: the option, for the message)? */
static int try_dir(const char *opt, const char *arg, const char *dir, struct sess_err *err)
{
	char probe[4096];
	struct stat st;
	FILE *f;

	if (stat(dir, &st) && errno == ENOENT)
		return sess_err_set(err, SESS_E_NOINPUT, "io", "%s %s: %s: no such directory; create it first (mkdir -p %s)",
				    opt, arg, dir, dir);
	if (stat(dir, &st))
		return sess_err_set(err, SESS_E_NOINPUT, "io", "%s %s: %s: %s" FIX, opt, arg, dir, strerror(errno));
	if (!S_ISDIR(st.st_mode))
		return sess_err_set(err, SESS_E_NOINPUT, "io", "%s %s: %s is not a directory" FIX, opt, arg, dir);
	snprintf(probe, sizeof probe, "%s/x", dir);
	if (!(f = tmp_beside(probe, probe, sizeof probe)))
		return sess_err_set(err, SESS_E_NOINPUT, "io", "%s %s: cannot write in %s: %s" FIX,
				    opt, arg, dir, strerror(errno));
	fclose(f);
	unlink(probe);
	return 0;
}

int sb_pictures_check(const struct sb_opts *o, struct sess_err *err)
{
	char dir[4096];
	struct stat st;

	if (o->hgrm && !o->hgrm[0])
		return sess_err_set(err, SESS_E_USAGE, NULL, "--hgrm wants a directory, such as --hgrm .");
	if (o->hgrm && try_dir("--hgrm", o->hgrm, o->hgrm, err))
		return -1;
	if (o->svg) {
		if (!o->svg[0] || o->svg[strlen(o->svg) - 1] == '/')
			return sess_err_set(err, SESS_E_USAGE, NULL, "--svg %s: name a file, such as %splot.svg",
					    o->svg, o->svg);
		if (!stat(o->svg, &st) && S_ISDIR(st.st_mode))
			return sess_err_set(err, SESS_E_USAGE, NULL, "--svg %s is a directory; name a file, such as %s/plot.svg",
					    o->svg, o->svg);
		dir_of(o->svg, dir, sizeof dir);
		if (try_dir("--svg", o->svg, dir, err))
			return -1;
	}
	return 0;
}

/* The files to write: each name, its text and its temporary file. */
struct pic {
	char path[4096], tmp[4096];
	char *text;
};

static int write_all(struct pic *p, int n, struct sess_err *err)
{
	int i, e = 0, bad = -1;

	for (i = 0; i < n && !e; i++) {
		FILE *f = tmp_beside(p[i].path, p[i].tmp, sizeof p[i].tmp);
		if (!f) {
			e = errno;
			p[i].tmp[0] = '\0';
		} else {
			size_t len = strlen(p[i].text);
			if (fwrite(p[i].text, 1, len, f) != len || fflush(f) || fsync(fileno(f)))
				e = errno ? errno : EIO;
			if (fclose(f) && !e)
				e = errno ? errno : EIO;
		}
		if (e)
			bad = i;
	}
	for (i = 0; i < n && !e; i++)
		if (rename(p[i].tmp, p[i].path)) {
			e = errno;
			bad = i;
		} else {
			p[i].tmp[0] = '\0';
		}
	for (i = 0; i < n; i++)
		if (p[i].tmp[0])
			unlink(p[i].tmp);
	if (e)
		return sess_err_set(err, SESS_E_NOINPUT, "io", "writing %s failed: %s; nothing was left half-written, make room and run again",
				    p[bad].path, strerror(e));
	return 0;
}

static int op_index(const char *name)
{
	int i;

	for (i = 0; i < SB_NOPS; i++)
		if (!strcmp(sb_op_names[i], name))
			return i;
	return SB_NOPS;
}

/* The plot's text: the run's operations, with the baseline's beside. */
static char *svg_text(const struct sb_scn *s, const struct sb_result *r, struct sess_err *err)
{
	struct sb_series *ser = calloc(2 * SB_NOPS + 2, sizeof *ser);
	cJSON *base = NULL;
	const cJSON *op;
	const char *bname = NULL;
	char title[128], *out;
	int i, n = 0;

	if (!ser) {
		sess_err_set(err, SESS_E_INTERNAL, "oom", "out of memory");
		return NULL;
	}
	if (s->o->compare) {
		if (sb_baseline_load(s->o->compare, &base, NULL, err)) {
			free(ser);
			return NULL;
		}
		bname = strrchr(s->o->compare, '/') ? strrchr(s->o->compare, '/') + 1 : s->o->compare;
	}
	for (i = 0; i < SB_NOPS; i++) {
		if (sb_series_hist(&ser[n], &r->total.hist[i]))
			continue;
		ser[n].color = i;
		snprintf(ser[n].label, sizeof ser[n].label, "%s%s", sb_op_names[i], base ? " (this run)" : "");
		n++;
	}
	cJSON_ArrayForEach(op, cJSON_GetObjectItemCaseSensitive(base, "ops")) {
		if (n >= 2 * SB_NOPS + 2 || sb_series_summary(&ser[n], op))
			continue;
		ser[n].color = op_index(op->string);
		ser[n].dashed = 1;
		snprintf(ser[n].label, sizeof ser[n].label, "%s (baseline %s)", op->string, bname);
		n++;
	}
	snprintf(title, sizeof title, "sess-bench %s: latency by percentile", s->name);
	out = sb_plot_svg(title, ser, n);
	if (!out)
		sess_err_set(err, SESS_E_INTERNAL, "oom", "out of memory");
	cJSON_Delete(base);
	free(ser);
	return out;
}

int sb_pictures_write(const struct sb_scn *s, const struct sb_result *r, struct sess_err *err)
{
	struct pic *p = calloc(SB_NOPS + 1, sizeof *p);
	int i, n = 0, rc = -1;

	if (!p)
		return sess_err_set(err, SESS_E_INTERNAL, "oom", "out of memory");
	for (i = 0; s->o->hgrm && i < SB_NOPS; i++) {
		if (!r->total.hist[i].count)
			continue;
		snprintf(p[n].path, sizeof p[n].path, "%s/%s.hgrm", s->o->hgrm, sb_op_names[i]);
		if (!(p[n].text = sb_hgrm_text(&r->total.hist[i]))) {
			sess_err_set(err, SESS_E_INTERNAL, "oom", "out of memory");
			goto out;
		}
		n++;
	}
	if (s->o->svg) {
		snprintf(p[n].path, sizeof p[n].path, "%s", s->o->svg);
		if (!(p[n].text = svg_text(s, r, err)))
			goto out;
		n++;
	}
	rc = write_all(p, n, err);
out:
	for (i = 0; i <= SB_NOPS; i++)
		free(p[i].text);
	free(p);
	return rc;
}
