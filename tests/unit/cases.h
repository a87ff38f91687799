/* cases.h - the reader of the unit tests' data files (fold.test,
 * integrity.test, cfgcheck.test, legacy.test), after jq's tests/jq.test:
 * a file is cases separated by blank lines; a case is lines "TAG TEXT"
 * (TEXT: the rest of the line after one space, byte for byte); a line
 * starting with '#' is a comment, and a case's first comment names it.
 * A tag ending in '!' ("E! ...") has its text's \xNN decoded (for bytes
 * that are not UTF-8 or a NUL; \x never occurs in JSON text otherwise);
 * the '!' is dropped from the tag.
 *
 * The files are found in $SESSKIT_SRCDIR/tests/unit (make check and make
 * distcheck export it), else beside this source file (a binary run by
 * hand from the build directory). Header only: each driver includes it
 * once, and runs its file with tcase_run_all.
 */
#ifndef SESS_TEST_CASES_H
#define SESS_TEST_CASES_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"

struct tline {
	char tag[16];
	char *text;   /* NUL-terminated; len bytes (may hold NULs when decoded) */
	size_t len;
	int lineno;
};

struct tcase {
	char name[200];
	int lineno;          /* the case's first line */
	struct tline *l;
	size_t n, cap;
};

static FILE *tcase_open(const char *file)
{
	const char *src = getenv("SESSKIT_SRCDIR");
	char path[4096];
	FILE *fp;

	if (src && *src) {
		snprintf(path, sizeof path, "%s/tests/unit/%s", src, file);
	} else {
		const char *here = __FILE__, *slash = strrchr(here, '/');
		snprintf(path, sizeof path, "%.*s%s", slash ? (int)(slash - here + 1) : 0, here, file);
	}
	if (!(fp = fopen(path, "rb")))
		printf("Bail out! cannot open %s (set SESSKIT_SRCDIR to the source tree)\n", path);
	return fp;
}

static void tcase_free(struct tcase *c)
{
	size_t i;

	for (i = 0; i < c->n; i++)
		free(c->l[i].text);
	free(c->l);
	memset(c, 0, sizeof *c);
}

static int hexval(int ch)
{
	return ch >= '0' && ch <= '9' ? ch - '0' : ch >= 'a' && ch <= 'f' ? ch - 'a' + 10
		: ch >= 'A' && ch <= 'F' ? ch - 'A' + 10 : -1;
}

/* The next case of fp into c (freed first); 0 at the end of the file. */
static int tcase_next(FILE *fp, struct tcase *c, int *lineno)
{
	char *buf = NULL;
	size_t bcap = 0;
	ssize_t got;

	tcase_free(c);
	while ((got = getline(&buf, &bcap, fp)) >= 0) {
		size_t len = (size_t)got, tl;
		struct tline *t;
		char *sp;
		++*lineno;
		if (len && buf[len - 1] == '\n')
			buf[--len] = '\0';
		if (len == 0) {
			if (c->n)
				break;
			/* a block of comments only (a file's header) is no case */
			c->name[0] = '\0';
			c->lineno = 0;
			continue;
		}
		if (!c->lineno)
			c->lineno = *lineno;
		if (buf[0] == '#') {
			if (!c->name[0])
				snprintf(c->name, sizeof c->name, "%s", buf + 1 + (buf[1] == ' '));
			continue;
		}
		if (c->n == c->cap) {
			c->cap = c->cap ? 2 * c->cap : 16;
			c->l = realloc(c->l, c->cap * sizeof *c->l);
			if (!c->l)
				abort();
		}
		t = &c->l[c->n++];
		memset(t, 0, sizeof *t);
		t->lineno = *lineno;
		sp = memchr(buf, ' ', len);
		tl = sp ? (size_t)(sp - buf) : len;
		snprintf(t->tag, sizeof t->tag, "%.*s", (int)tl, buf);
		t->text = malloc(len + 1);
		if (!t->text)
			abort();
		if (sp)
			memcpy(t->text, sp + 1, len - tl - 1);
		t->len = sp ? len - tl - 1 : 0;
		t->text[t->len] = '\0';
		if (tl && t->tag[strlen(t->tag) - 1] == '!') {
			size_t i, w = 0;
			t->tag[strlen(t->tag) - 1] = '\0';
			for (i = 0; i < t->len; i++) {
				if (t->text[i] == '\\' && i + 3 < t->len && t->text[i + 1] == 'x' &&
				    hexval(t->text[i + 2]) >= 0 && hexval(t->text[i + 3]) >= 0) {
					t->text[w++] = (char)(hexval(t->text[i + 2]) * 16 + hexval(t->text[i + 3]));
					i += 3;
				} else {
					t->text[w++] = t->text[i];
				}
			}
			t->len = w;
			t->text[w] = '\0';
		}
	}
	free(buf);
	if (!c->name[0])
		snprintf(c->name, sizeof c->name, "case at line %d", c->lineno);
	return c->n > 0;
}

/* The text of the first line tagged tag, or NULL. */
static const char *tcase_get(const struct tcase *c, const char *tag)
{
	size_t i;

	for (i = 0; i < c->n; i++)
		if (!strcmp(c->l[i].tag, tag))
			return c->l[i].text;
	return NULL;
}

/* Run every case of file through run (arg passed on), in order; then one
 * test that the file held at least min cases. 0, or 1 when the file cannot
 * be opened (a "Bail out!" line says so). The case given to run is freed
 * after it returns. */
static int tcase_run_all(const char *file, int min,
			 void (*run)(const struct tcase *c, void *arg), void *arg)
{
	FILE *fp = tcase_open(file);
	struct tcase c;
	int lineno = 0, ncases = 0;

	if (!fp)
		return 1;
	memset(&c, 0, sizeof c);
	while (tcase_next(fp, &c, &lineno)) {
		run(&c, arg);
		ncases++;
	}
	tcase_free(&c);
	fclose(fp);
	ok(ncases >= min, "%s holds its cases (%d)", file, ncases);
	return 0;
}

#endif
