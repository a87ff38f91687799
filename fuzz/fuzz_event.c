/* fuzz_event.c - an event body as users give it (src/core/event.c):
 * line 1 is the event object (`sessctl emit --event`, a batch line),
 * lines 2, 3, 4 the --change, --transition and --impact texts
 * (sess_event_set_part); then the event is validated and encoded as it
 * would be stored, and that stored text read back by every reader of
 * stored events (sess_event_decode, sess_event_format, sess_fold_scan):
 * what the encoder writes, the readers must take.
 */
#include <stdio.h>

#include <cjson/cJSON.h>

#include "core/model/event.h"
#include "core/history/fold.h"
#include "core/model/json.h"
#include "fuzz.h"

static void read_back(const char *body)
{
	struct sess_err err;
	struct sess_text out = {0};
	struct sess_fold_ev fe;
	size_t n = strlen(body) + 64;
	char *stored = malloc(n);
	cJSON *d;
	int len;

	if (!stored)
		return;
	len = snprintf(stored, n, "{\"s\":7,\"ts\":1700000000000,%s", body);
	if ((d = sess_event_decode(stored, (size_t)len, "s-1", &err)))
		cJSON_Delete(d);
	sess_event_format(stored, (size_t)len, "s-1", "{}", &out, &err);
	free(out.p);
	sess_fold_scan(stored, (size_t)len, &fe, &err);
	free(stored);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const parts[] = {"changeInfo", "stateTransition", "impact"};
	const uint8_t *p = data, *end = data + size;
	struct sess_event ev;
	struct sess_err err;
	char *line, *body;
	size_t len;
	int i = -1;

	sess_event_init(&ev);
	while (i < 3 && fuzz_line(&p, end, &line, &len) > 0) {
		if (i < 0) {
			cJSON *o = sess_json_parse_err(line, "--event", NULL, &err);
			sess_event_from_json(&ev, o, &err);
			cJSON_Delete(o);
		} else if (len) {
			sess_event_set_part(&ev, parts[i], line, &err);
		}
		free(line);
		i++;
	}
	if (sess_event_validate(&ev, &err) == 0 && (body = sess_event_encode_body(&ev, &err))) {
		read_back(body);
		free(body);
	}
	sess_event_free(&ev);
	return 0;
}
