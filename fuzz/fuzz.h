/* fuzz.h - what the fuzz targets share.
 *
 * Each fuzz/fuzz_NAME.c defines LLVMFuzzerTestOneInput for one parser of
 * the project. It is linked two ways: with libFuzzer (clang
 * -fsanitize=fuzzer, `make fuzz`, tools/fuzz) and with fuzz/driver.c, a
 * plain main() that feeds it every file of fuzz/corpus/NAME (the
 * `make check` replay, TAP). A target must return 0 on every input: a
 * crash, a leak or undefined behaviour is the finding.
 */
#ifndef SESS_FUZZ_H
#define SESS_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A NUL-terminated copy of data (what a C string API receives: it stops
 * at the first NUL inside, as the callers' strings would). Caller frees;
 * NULL when out of memory (the target then returns). */
static inline char *fuzz_str(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	if (s) {
		if (size)
			memcpy(s, data, size);
		s[size] = '\0';
	}
	return s;
}

/* The next line of [*p, end) (without its '\n'), NUL-terminated in a
 * fresh copy in *line (caller frees) and its length in *len (NULs inside
 * kept, as getline keeps them). 0 at the end, -1 out of memory. */
static inline int fuzz_line(const uint8_t **p, const uint8_t *end, char **line, size_t *len)
{
	const uint8_t *nl;

	if (*p >= end)
		return 0;
	nl = memchr(*p, '\n', (size_t)(end - *p));
	*len = (size_t)((nl ? nl : end) - *p);
	if (!(*line = fuzz_str(*p, *len)))
		return -1;
	*p = nl ? nl + 1 : end;
	return 1;
}

#endif
