/* test_cfgcheck: src/sess-validate/cfgcheck.c against the cases of
 * cfgcheck.test (format there and in cases.h). Each case is a config
 * file's text and the findings its check must make, in order: severity,
 * code, JSON pointer and line (and column when given). Every finding
 * also has a one-line message and a fix, the counters agree with the
 * findings, and a secret of the case is in no message or fix. */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sess-validate/cfgcheck.h"
#include "cases.h"
#include "tap.h"

static const char *const *env_now; /* NAME=VALUE, NULL-terminated */

static const char *fake_getenv(const char *name)
{
	size_t n = strlen(name);
	int i;

	for (i = 0; env_now && env_now[i]; i++)
		if (!strncmp(env_now[i], name, n) && env_now[i][n] == '=')
			return env_now[i] + n + 1;
	return NULL;
}

struct got {
	char list[8192];
	char fixes[8192];   /* every finding's fix, one a line */
	const char *secret;
	int bad;            /* a finding without a message, a fix, or with the secret */
	int stop_after;     /* the callback stops the check after this many (0: never) */
	int n;
};

static int collect(const struct sess_finding *f, void *arg)
{
	struct got *g = arg;
	size_t w = strlen(g->list);

	snprintf(g->list + w, sizeof g->list - w, "%s %s %s %ld", sess_sev_name(f->sev), f->code,
		 f->pointer[0] ? f->pointer : "\"\"", f->line);
	if (!strcmp(f->code, "config.bad_json"))
		snprintf(g->list + strlen(g->list), sizeof g->list - strlen(g->list), ":%ld", f->col);
	snprintf(g->list + strlen(g->list), sizeof g->list - strlen(g->list), "\n");
	snprintf(g->fixes + strlen(g->fixes), sizeof g->fixes - strlen(g->fixes), "%s\n", f->fix ? f->fix : "");
	if (!f->message || !f->message[0] || strchr(f->message, '\n') || !f->fix || !f->fix[0] ||
	    strchr(f->fix, '\n') || (g->secret && (strstr(f->message, g->secret) || strstr(f->fix, g->secret))))
		g->bad = 1;
	return g->stop_after && ++g->n >= g->stop_after;
}

/* The case's config text: "| LINE" lines joined by newlines, "|+ TEXT"
 * continuing the line before, "|x N TEXT" continuing it with TEXT N
 * times. Caller frees. */
static char *config_text(const struct tcase *c, size_t *len)
{
	size_t cap = 1024, n = 0, i;
	char *s = malloc(cap);
	int any = 0;

	for (i = 0; s && i < c->n; i++) {
		const struct tline *t = &c->l[i];
		const char *p = t->text;
		size_t plen = t->len, times = 1, k;
		if (!strcmp(t->tag, "|x")) {
			char *sp = strchr(t->text, ' ');
			times = strtoul(t->text, NULL, 10);
			p = sp ? sp + 1 : "";
			plen = sp ? t->len - (size_t)(sp + 1 - t->text) : 0;
		} else if (strcmp(t->tag, "|") && strcmp(t->tag, "|+")) {
			continue;
		}
		if (!strcmp(t->tag, "|") && any)
			s[n++] = '\n';
		any = 1;
		for (k = 0; k < times; k++) {
			while (n + plen + 2 >= cap)
				if (!(s = realloc(s, cap *= 2)))
					return NULL;
			memcpy(s + n, p, plen);
			n += plen;
		}
	}
	if (!s)
		return NULL;
	s[n++] = '\n';
	s[n] = '\0';
	*len = n;
	return s;
}

static const char *class_name(enum sess_class k)
{
	return k == SESS_OK ? "ok" : k == SESS_E_DATA ? "data" : k == SESS_E_NOINPUT ? "noinput" : "other";
}

static void run_case(const struct tcase *c, void *arg)
{
	const char *tmpdir = arg;
	const char *envs[16], *path = tcase_get(c, "path"), *mode = tcase_get(c, "mode");
	const char *want_class = tcase_get(c, "class"), *stop = tcase_get(c, "stop");
	struct sess_cfgcheck chk;
	char want[8192] = "", file[4200];
	size_t i, ne = 0, len = 0;
	long errs = 0, warns = 0, recs = 0;
	struct got g;
	enum sess_class rc;
	char *text = config_text(c, &len);

	memset(&g, 0, sizeof g);
	g.secret = tcase_get(c, "secret");
	g.stop_after = stop ? atoi(stop) : 0;
	for (i = 0; i < c->n; i++) {
		const struct tline *t = &c->l[i];
		if (!strcmp(t->tag, "setenv") && ne < 15)
			envs[ne++] = t->text;
		else if (!strcmp(t->tag, "finding")) {
			snprintf(want + strlen(want), sizeof want - strlen(want), "%s\n", t->text);
			errs += !strncmp(t->text, "error ", 6);
			warns += !strncmp(t->text, "warning ", 8);
			recs += !strncmp(t->text, "recommendation ", 15);
		}
	}
	envs[ne] = NULL;
	env_now = envs;
	memset(&chk, 0, sizeof chk);
	chk.env = tcase_get(c, "env");
	chk.getenv = fake_getenv;
	chk.fn = collect;
	chk.arg = &g;
	if (!path) {
		/* the text as a file of mode 0600 unless told: what sess-validate config reads */
		rc = sess_cfgcheck_text(&chk, text, len, "c.json",
					(unsigned)(S_IFREG | (mode ? strtoul(mode, NULL, 8) : 0600)));
	} else {
		if (!strcmp(path, "missing")) {
			snprintf(file, sizeof file, "%s/no-such.json", tmpdir);
		} else if (!strcmp(path, "dir")) {
			snprintf(file, sizeof file, "%s", tmpdir);
		} else {
			/* "file": the text written to a file of that mode;
			 * "big": one byte more than the largest config file */
			FILE *fp;
			snprintf(file, sizeof file, "%s/c.json", tmpdir);
			if ((fp = fopen(file, "wb"))) {
				if (!strcmp(path, "big")) {
					long k;
					for (k = 0; k <= SESS_CFGCHECK_MAX; k++)
						fputc(' ', fp);
				} else {
					fwrite(text, 1, len, fp);
				}
				fclose(fp);
			}
			chmod(file, mode ? (mode_t)strtoul(mode, NULL, 8) : 0600);
		}
		rc = sess_cfgcheck_file(&chk, file);
		if (strcmp(path, "dir"))
			unlink(file);
	}
	/* a case named "TODO: ..." is a known defect (see its comment) */
	tap_todo = !strncmp(c->name, "TODO:", 5) ? "known defect, see its case in cfgcheck.test" : NULL;
	ok(!strcmp(g.list, want), "%s: findings", c->name);
	tap_todo = NULL;
	if (strcmp(g.list, want)) {
		char *p;
		for (p = strtok(g.list, "\n"); p; p = strtok(NULL, "\n"))
			printf("#   got  %s\n", p);
		for (p = strtok(want, "\n"); p; p = strtok(NULL, "\n"))
			printf("#   want %s\n", p);
	}
	for (i = 0; i < c->n; i++)
		if (!strcmp(c->l[i].tag, "fix"))
			ok(strstr(g.fixes, c->l[i].text) != NULL, "%s: a fix says \"%s\"", c->name, c->l[i].text);
	ok(!g.bad, "%s: each finding has one line of message and fix%s", c->name,
	   g.secret ? ", and neither shows the secret" : "");
	if (!stop)
		ok(chk.errors == errs && chk.warnings == warns && chk.recommendations == recs,
		   "%s: counted %ld errors, %ld warnings, %ld recommendations", c->name, errs, warns, recs);
	if (want_class)
		is_str(class_name(rc), want_class, "%s: returns %s", c->name, want_class);
	free(text);
}

int main(void)
{
	char tmpdir[4096];
	const char *t = getenv("TMPDIR");
	int rc;

	snprintf(tmpdir, sizeof tmpdir, "%s/test_cfgcheck.XXXXXX", t && *t ? t : "/tmp");
	if (!mkdtemp(tmpdir)) {
		printf("Bail out! cannot make a temporary directory\n");
		return 1;
	}
	rc = tcase_run_all("cfgcheck.test", 20, run_case, tmpdir);
	rmdir(tmpdir);
	return rc ? rc : done_testing();
}
