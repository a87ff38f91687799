/* fuzz_jscan.c - the tree-less JSON object reader the hot paths use on
 * stored texts (src/core/jscan.c): every member of the object the input
 * holds, into nested objects, each value read as a whole number and as a
 * string, and the duplicate-key check (sess_jscan_dup) over the whole
 * text. Malformed text must be reported (-1), never read past.
 */
#include "core/base/jscan.h"
#include "fuzz.h"

static void walk(const char *text, size_t len, int depth)
{
	struct sess_jscan js;
	const char *k, *v, *ve, *s;
	size_t kl, sn;
	long long x;

	if (depth > 40 || sess_jscan_init(&js, text, len))
		return;
	while (sess_jscan_next(&js, &k, &kl, &v, &ve) == 1) {
		sess_jscan_is(k, kl, "s");
		sess_jscan_whole(v, ve, &x);
		sess_jscan_str(v, ve, &s, &sn);
		if (ve > v && *v == '{')
			walk(v, (size_t)(ve - v), depth + 1);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* an exact-size buffer, no NUL after it: the scanner gets a length */
	walk((const char *)data, size, 0);
	sess_jscan_dup((const char *)data, size);
	return 0;
}
