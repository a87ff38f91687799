/* out.c - JSON lines on stdout (indented and coloured on a terminal),
 * error lines and records on stderr, and standard output's write errors:
 * every line written through here is checked, and cli_exit_status checks
 * the final flush of whatever any part of a binary wrote to stdout. */
#include "cli/cli.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "core/base/utf8.h"

int cli_out_init(struct cli_out *o, FILE *f, const char *color,
		 struct sess_err *err)
{
	const char *nc = getenv("NO_COLOR"), *table = o->table;
	int tsv = o->tsv;

	memset(o, 0, sizeof *o);
	o->table = table; /* cli_run's choice for the command running */
	o->tsv = tsv;
	o->f = f;
	o->pretty = isatty(fileno(f));
	if (!color || !strcmp(color, "auto"))
		o->color = o->pretty && !(nc && *nc) && !(getenv("TERM") && !strcmp(getenv("TERM"), "dumb"));
	else if (!strcmp(color, "always"))
		o->color = o->color_always = 1;
	else if (!strcmp(color, "never"))
		o->color = 0;
	else
		return sess_err_set(err, SESS_E_USAGE, NULL,
				    "--color must be auto, always or never, not \"%.20s\"", color);
	return 0;
}

#define C_KEY "\033[34m"
#define C_STR "\033[32m"
#define C_NUM "\033[36m"
#define C_LIT "\033[35m"
#define C_OFF "\033[0m"

/* Write JSON text from cJSON as valid UTF-8. cJSON copies the bytes of
 * strings as they are, and text stored by another client (or before
 * sesskit checked its input) may hold invalid ones: each becomes \ufffd,
 * the replacement character. Such bytes are only ever inside strings, as
 * JSON's own syntax is ASCII, so the escape keeps the JSON valid. */
static void put_utf8(FILE *f, const char *s)
{
	size_t n = strlen(s), ok;

	while ((ok = sess_utf8_check(s, n)) < n) {
		fwrite(s, 1, ok, f);
		fputs("\\ufffd", f);
		s += ok + 1;
		n -= ok + 1;
	}
	fwrite(s, 1, n, f);
}

static void put_scalar(struct cli_out *o, const cJSON *v, const char *col)
{
	char *s = cJSON_PrintUnformatted(v);

	if (!s)
		return;
	if (o->color)
		fputs(col, o->f);
	put_utf8(o->f, s);
	if (o->color)
		fputs(C_OFF, o->f);
	cJSON_free(s);
}

/* v coloured (when o->color) and indented by depth, or on one line with
 * depth < 0 (--color always in a pipe: what jq -C -c prints). */
static void put_pretty(struct cli_out *o, const cJSON *v, int depth)
{
	const cJSON *it;
	int open = cJSON_IsObject(v) ? '{' : '[';

	if (!cJSON_IsObject(v) && !cJSON_IsArray(v)) {
		put_scalar(o, v, cJSON_IsString(v) ? C_STR : cJSON_IsNumber(v) ? C_NUM : C_LIT);
		return;
	}
	if (!v->child) {
		fputs(open == '{' ? "{}" : "[]", o->f);
		return;
	}
	fputc(open, o->f);
	for (it = v->child; it; it = it->next) {
		if (depth >= 0)
			fprintf(o->f, "\n%*s", 2 * (depth + 1), "");
		if (open == '{') {
			cJSON key;
			memset(&key, 0, sizeof key);
			key.type = cJSON_String;
			key.valuestring = it->string;
			put_scalar(o, &key, C_KEY);
			fputs(depth >= 0 ? ": " : ":", o->f);
		}
		put_pretty(o, it, depth >= 0 ? depth + 1 : -1);
		if (it->next)
			fputc(',', o->f);
	}
	if (depth >= 0)
		fprintf(o->f, "\n%*s", 2 * depth, "");
	fputc(open == '{' ? '}' : ']', o->f);
}

/* ---- write errors on standard output ---- */

static int stdout_errno; /* the first write error other than EPIPE; 0 none */

/* Why stdout's stream has its error flag set, when errno no longer says
 * (a write failed inside stdio, and later calls may have changed errno).
 * Nothing is written: a pipe or socket whose reader left polls as an
 * error; a write of no bytes fails as the last one did on a descriptor
 * not open for writing and on devices like /dev/full; a regular file on a
 * filesystem with no block left is a full disk. */
static int stdout_cause(void)
{
	struct stat st;
	struct statvfs vs;
	struct pollfd p = {STDOUT_FILENO, POLLOUT, 0};

	if (fstat(STDOUT_FILENO, &st) != 0)
		return errno;
	if ((S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode)) && poll(&p, 1, 0) == 1 &&
	    (p.revents & (POLLERR | POLLHUP)))
		return EPIPE;
	if (write(STDOUT_FILENO, "", 0) < 0)
		return errno;
	if (S_ISREG(st.st_mode) && fstatvfs(STDOUT_FILENO, &vs) == 0 && vs.f_bavail == 0)
		return ENOSPC;
	return EIO;
}

/* Note a failed write on f (e: its errno, 0 = not known). EPIPE, the
 * reader gone, is no error: the tool ends quietly. */
static void note_failure(FILE *f, int e)
{
	if (f != stdout)
		return;
	if (!e || e == EINTR || e == EAGAIN)
		e = stdout_cause();
	if (e != EPIPE && !stdout_errno)
		stdout_errno = e;
}

/* After a line: flushed (unless bulk), and no error on o->f so far. The
 * writer set errno to 0 first: a write that failed inside stdio set it. */
int cli_out_line_done(struct cli_out *o)
{
	int e = errno;

	if (!o->bulk) {
		errno = 0;
		if (fflush(o->f) == EOF)
			e = errno;
	}
	if (!ferror(o->f))
		return 0;
	note_failure(o->f, e);
	o->closed = 1;
	return 1;
}

int cli_stdout_error(void)
{
	return stdout_errno;
}

void cli_std_fds(void)
{
	int fd, nfd;

	/* in order: open() takes the lowest free descriptor */
	for (fd = 0; fd <= 2; fd++) {
		if (fcntl(fd, F_GETFD) != -1 || errno != EBADF)
			continue;
		/* stdin reads nothing; stdout is open for reading only, so
		 * what is written fails (EBADF) and is reported, never lost
		 * in silence; stderr: nobody is left to tell */
		nfd = open("/dev/null", fd == 2 ? O_WRONLY : O_RDONLY);
		if (nfd < 0)
			_exit(70); /* no /dev/null: a socket would take the fd */
		if (nfd != fd) {
			dup2(nfd, fd);
			close(nfd);
		}
	}
}

int cli_exit_status(const char *prog, int rc)
{
	int failed;

	errno = 0;
	failed = fflush(stdout) == EOF;
	if (failed || ferror(stdout))
		note_failure(stdout, failed ? errno : 0);
	if (!stdout_errno)
		return rc;
	fprintf(stderr, "%s: write error on standard output: %s\n", prog, strerror(stdout_errno));
	stdout_errno = 0; /* once */
	clearerr(stdout);
	/* a negative answer or a check's verdict is worth nothing unprinted;
	 * usage, data, connection errors and signals keep their own codes */
	return rc < 64 ? sess_err_exit_code(SESS_E_IO) : rc;
}

int cli_out_raw(struct cli_out *o, const char *text, size_t len)
{
	if (o->closed)
		return 1;
	errno = 0;
	fwrite(text, 1, len, o->f);
	return cli_out_line_done(o);
}

int cli_out_json(struct cli_out *o, const cJSON *v)
{
	int rc;

	if (o->closed)
		return 1;
	if (o->table && (rc = cli_table_row(o, v)) >= 0)
		return rc;
	errno = 0;
	if (o->pretty) {
		put_pretty(o, v, 0);
	} else if (o->color_always) {
		put_pretty(o, v, -1);
	} else {
		char *s = cJSON_PrintUnformatted(v);
		if (s) {
			put_utf8(o->f, s);
			cJSON_free(s);
		}
	}
	fputc('\n', o->f);
	/* a line at a time for people and pipes that wait for each; a bulk
	 * writer (o->bulk) leaves it to the buffer and cli_out_flush */
	return cli_out_line_done(o);
}

int cli_out_text(struct cli_out *o, const char *text, size_t len)
{
	if (o->closed)
		return 1;
	if (o->pretty || o->table || o->color_always) {
		/* on a terminal: the indented form, through cJSON (a table's
		 * rows too) */
		cJSON *v = cJSON_ParseWithLength(text, len);
		int rc = v ? cli_out_json(o, v) : 0;
		cJSON_Delete(v);
		return rc;
	}
	errno = 0;
	fwrite(text, 1, len, o->f);
	fputc('\n', o->f);
	return cli_out_line_done(o);
}

void cli_out_bulk(struct cli_out *o)
{
	static char buf[1 << 16];

	/* before anything is written: a big buffer, flushed when full */
	if (!o->pretty)
		setvbuf(o->f, buf, _IOFBF, sizeof buf);
	o->bulk = 1;
}

int cli_out_flush(struct cli_out *o)
{
	int failed;

	if (o->closed)
		return 1;
	errno = 0;
	failed = fflush(o->f) == EOF;
	if (failed || ferror(o->f)) {
		note_failure(o->f, failed ? errno : 0);
		o->closed = 1;
		return 1;
	}
	return 0;
}

cJSON *cli_error_record(long line, const struct sess_err *err)
{
	cJSON *r = cJSON_CreateObject(), *e;

	cJSON_AddBoolToObject(r, "ok", 0);
	if (line > 0)
		cJSON_AddNumberToObject(r, "line", (double)line);
	e = cJSON_AddObjectToObject(r, "error");
	cJSON_AddStringToObject(e, "code", err->kind[0] ? err->kind : sess_err_class_name(err->cls));
	cJSON_AddStringToObject(e, "message", err->msg);
	return r;
}

int cli_fail(const char *prog, const struct sess_err *err)
{
	fprintf(stderr, "%s: %s\n", prog, err->msg);
	return sess_err_exit_code(err->cls);
}

void cli_warn(const char *prog, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: warning: ", prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

