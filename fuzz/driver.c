/* driver.c - replay inputs through a fuzz target without libFuzzer: the
 * `make check` test of every fuzz/corpus/NAME file, and the way to
 * reproduce a finding with the ordinary compiler.
 *
 *   fuzz/replay_NAME                 every file of $SESSKIT_SRCDIR/fuzz/corpus/NAME
 *                                    (NAME from the program's name)
 *   fuzz/replay_NAME FILE|DIR...     these files, the files of these dirs
 *
 * Prints TAP: one "ok" per input, after the target returned on it. A
 * target that crashes (or a sanitizer that stops it) ends the run before
 * its line, and the test fails on the missing plan and the exit status.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz.h"

static int ntest;

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Read path whole; NULL (and a "not ok") when it cannot be read. */
static unsigned char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	unsigned char *buf = NULL, *nb;
	size_t cap = 0, n;

	*len = 0;
	if (!f)
		return NULL;
	do {
		if (*len == cap) {
			cap = cap ? 2 * cap : 65536;
			if (!(nb = realloc(buf, cap))) {
				free(buf);
				fclose(f);
				return NULL;
			}
			buf = nb;
		}
		n = fread(buf + *len, 1, cap - *len, f);
		*len += n;
	} while (n > 0);
	if (ferror(f)) {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	return buf ? buf : malloc(1);
}

static int run_file(const char *path)
{
	size_t len;
	unsigned char *data = slurp(path, &len);

	if (!data) {
		printf("not ok %d - %s: cannot read: %s\n", ++ntest, path, strerror(errno));
		return 1;
	}
	fflush(stdout);
	/* an exact-size copy, so ASan sees a read past the input's end */
	{
		unsigned char *exact = malloc(len ? len : 1);
		if (!exact) {
			free(data);
			printf("not ok %d - %s: out of memory\n", ++ntest, path);
			return 1;
		}
		memcpy(exact, data, len);
		free(data);
		LLVMFuzzerTestOneInput(exact, len);
		free(exact);
	}
	printf("ok %d - %s (%zu bytes)\n", ++ntest, path, len);
	fflush(stdout);
	return 0;
}

/* Every regular file of dir (not starting with '.'), in name order. */
static int run_dir(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char **names = NULL, **nn;
	size_t n = 0, cap = 0, i;
	int bad = 0;

	if (!d) {
		printf("not ok %d - %s: cannot open: %s\n", ++ntest, dir, strerror(errno));
		return 1;
	}
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		if (n == cap) {
			cap = cap ? 2 * cap : 64;
			if (!(nn = realloc(names, cap * sizeof *names)))
				break;
			names = nn;
		}
		if (!(names[n] = malloc(strlen(dir) + strlen(e->d_name) + 2)))
			break;
		sprintf(names[n++], "%s/%s", dir, e->d_name);
	}
	closedir(d);
	if (n)
		qsort(names, n, sizeof *names, by_name);
	for (i = 0; i < n; i++) {
		struct stat st;
		if (stat(names[i], &st) == 0 && S_ISREG(st.st_mode))
			bad |= run_file(names[i]);
		free(names[i]);
	}
	free(names);
	return bad;
}

static int run_path(const char *path)
{
	struct stat st;

	if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
		return run_dir(path);
	return run_file(path);
}

int main(int argc, char **argv)
{
	int i, bad = 0;

	if (argc > 1) {
		for (i = 1; i < argc; i++)
			bad |= run_path(argv[i]);
	} else {
		/* fuzz/replay_NAME: the corpus of NAME in the source tree */
		const char *base = strrchr(argv[0], '/'), *src = getenv("SESSKIT_SRCDIR");
		char *dir;
		base = base ? base + 1 : argv[0];
		if (!strncmp(base, "replay_", 7))
			base += 7;
		if (!src)
			src = ".";
		if (!(dir = malloc(strlen(src) + strlen(base) + 16)))
			return 70;
		sprintf(dir, "%s/fuzz/corpus/%s", src, base);
		bad = run_dir(dir);
		free(dir);
	}
	printf("1..%d\n", ntest);
	return bad;
}
