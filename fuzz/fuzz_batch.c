/* fuzz_batch.c - one line of `sessctl batch` input, as cmd_batch.c's
 * handle() reads it before anything is sent: the NUL check, the strict
 * JSON parse, "op" and "id", then for an emit the session id check, the
 * event (sess_event_from_json, sess_event_validate) and its place in an
 * emit request (sess_emit_req_init/add/argv, the bytes that would go to
 * the server), and for the other ops their fields ("ttl", "metadata", ...)
 * as run_sync reads them. handle() and run_sync() are static in the
 * binary and talk to Redis; this is the same sequence of core calls. The
 * input may hold several lines: each is one batch line.
 */
#include <cjson/cJSON.h>

#include "core/session/emit.h"
#include "core/model/event.h"
#include "core/model/json.h"
#include "core/model/keys.h"
#include "core/model/limits.h"
#include "fuzz.h"

static void emit_line(const struct sess_config *cfg, cJSON *in, const char *id_in)
{
	struct sess_conn none = {0};
	struct sess_ctx ctx = {.conn = &none, .cfg = cfg};
	struct sess_emit_req req;
	struct sess_event ev;
	struct sess_err err;
	char id[SESS_ID_MAX + 1];
	char *body;

	none.standalone = 1; /* no server: the one tag */
	sess_event_init(&ev);
	if (sess_key_check_id(id_in, "session id", &err))
		goto done;
	strcpy(id, id_in);
	cJSON_DeleteItemFromObjectCaseSensitive(in, "op");
	cJSON_DeleteItemFromObjectCaseSensitive(in, "id");
	if (sess_event_from_json(&ev, in, &err) || sess_event_validate(&ev, &err))
		goto done;
	if ((body = sess_event_encode_body(&ev, &err)))
		free(body);
	if (sess_emit_req_init(&ctx, id, &req, &err))
		goto done;
	if (!sess_emit_req_add(&req, &ev, &err))
		sess_emit_req_add(&req, &ev, &err); /* a second event, as a group */
	sess_emit_req_argv(&req);
	sess_emit_req_free(&req);
done:
	sess_event_free(&ev);
}

static void other_line(cJSON *in)
{
	struct sess_err err;
	const cJSON *v;
	long ttl;
	char *mt;

	if ((v = cJSON_GetObjectItemCaseSensitive(in, "ttl")))
		sess_json_long(v, SESS_TTL_MIN, SESS_TTL_MAX, "\"ttl\" (seconds)", &ttl, &err);
	if ((v = cJSON_GetObjectItemCaseSensitive(in, "reason")) && cJSON_IsString(v))
		sess_check_reason(v->valuestring, "\"reason\"", &err);
	if ((v = cJSON_GetObjectItemCaseSensitive(in, "agent")) && cJSON_IsString(v))
		sess_key_check_id(v->valuestring, "agent id", &err);
	v = cJSON_GetObjectItemCaseSensitive(in, "metadata");
	if (cJSON_IsObject(v) && (mt = cJSON_PrintUnformatted(v))) {
		/* sess_create parses the printed metadata again */
		cJSON *m = sess_json_parse_err(mt, "metadata", NULL, &err);
		cJSON_Delete(m);
		cJSON_free(mt);
	}
}

static void one_line(const struct sess_config *cfg, const char *text, size_t len)
{
	struct sess_err err;
	cJSON *in;
	const cJSON *op, *id;

	if (strlen(text) != len) /* handle(): a NUL byte is refused */
		return;
	in = sess_json_parse_err(text, NULL, NULL, &err);
	if (!cJSON_IsObject(in)) {
		cJSON_Delete(in);
		return;
	}
	op = cJSON_GetObjectItemCaseSensitive(in, "op");
	id = cJSON_GetObjectItemCaseSensitive(in, "id");
	if (cJSON_IsString(op) && !strcmp(op->valuestring, "emit")) {
		if (cJSON_IsString(id)) {
			emit_line(cfg, in, id->valuestring);
			/* the error record of a refused line names it */
		}
	} else if (cJSON_IsString(op)) {
		other_line(in);
		if (cJSON_IsString(id))
			sess_key_check_id(id->valuestring, "session id", &err);
	}
	cJSON_Delete(in);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct sess_config cfg;
	static int init;
	const uint8_t *p = data, *end = data + size;
	char *line;
	size_t len;

	if (!init) {
		sess_config_defaults(&cfg);
		init = 1;
	}
	while (fuzz_line(&p, end, &line, &len) > 0) {
		/* the reader drops a '\r' before the '\n' */
		if (len && line[len - 1] == '\r')
			line[--len] = '\0';
		one_line(&cfg, line, len);
		free(line);
	}
	return 0;
}
