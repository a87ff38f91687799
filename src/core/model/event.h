/* event.h - the event model: validation, the compact stored form, and the
 * seeds' JSON shape.
 *
 * An event as users give and get it keeps the TypeScript system's names:
 *   {"type","seq","timestamp","actor",
 *    "changeInfo":{"elementType","entityIds":[...],"operation"},
 *    "stateTransition":{"from","to","verifiedBy","confidence"},
 *    "impact":{...}, "eventId"}
 * In Redis it is stored in the seeds' own compact serialisation
 * (serializeEvent: t, s, ts, a, c{e,i,o}, st, imp) plus "eid", one list
 * entry per event; seq and timestamp are written by the server.
 * Pure module: no I/O.
 */
#ifndef SESS_EVENT_H
#define SESS_EVENT_H

#include <cjson/cJSON.h>

#include "core/base/err.h"
#include "core/model/keys.h"
#include "core/base/schema.h"

#define SESS_TYPE_MAX SESS_S_TYPE_MAX
#define SESS_STATE_MAX 16

struct sess_event {
	char type[SESS_TYPE_MAX + 1];
	char actor[SESS_ID_MAX + 1];
	char event_id[SESS_ID_MAX + 1]; /* "" = none */
	long expect_seq;   /* append only if the last seq is this; -1 = any */
	char from[SESS_STATE_MAX + 1];  /* "" = no state transition */
	char to[SESS_STATE_MAX + 1];
	cJSON *change;     /* owned; NULL when absent */
	cJSON *transition; /* owned; NULL when absent */
	cJSON *impact;     /* owned; NULL when absent */
};

/* 1 if s is a session state: working, broken or completed. */
int sess_state_valid(const char *s);

void sess_event_init(struct sess_event *ev);
void sess_event_free(struct sess_event *ev);

/* Set fields from a JSON object with the seeds' names (type, actor,
 * changeInfo, stateTransition, impact, eventId, expectSeq); fields it does not name are
 * left as they are, unknown fields are an error. obj is borrowed. */
int sess_event_from_json(struct sess_event *ev, const cJSON *obj,
			 struct sess_err *err);

/* Set one part from JSON text: which is "changeInfo", "stateTransition" or
 * "impact" (what --change, --transition and --impact give). */
int sess_event_set_part(struct sess_event *ev, const char *which,
			const char *json, struct sess_err *err);

/* Check the whole event (type and actor present, parts well formed) and
 * fill from/to from the transition. */
int sess_event_validate(struct sess_event *ev, struct sess_err *err);

/* A stored event's parts by sess_event_validate's rules, in their stored
 * short form: c ({"e","i","o"}: all three, e and o non-empty strings, i an
 * array of strings) and st (from and to states, verifiedBy a string,
 * confidence 0..1, nothing else); either NULL when absent. What import
 * takes must be what emit could have stored. 0, or -1 with err
 * (SESS_E_DATA, "bad_event"). */
int sess_event_check_stored(const cJSON *c, const cJSON *st, struct sess_err *err);

/* The same on a stored event's text (its "c" and "st" read by structure). */
int sess_event_check_stored_text(const char *text, size_t len, struct sess_err *err);
/* The same on a text sess_jscan_dup found sound (0) already (as
 * sess_fold_scan does): its "c" and "st" are parsed, not scanned for
 * duplicate keys a second time. */
int sess_event_check_stored_scanned(const char *text, size_t len, struct sess_err *err);
/* The same on the "c" and "st" value spans such a text holds (c or st
 * NULL when absent; st_first: st comes first in the text), as
 * sess_fold_scan finds them: the text is not walked again. */
int sess_event_check_stored_spans(const char *c, const char *c_end, const char *st,
				  const char *st_end, int st_first, struct sess_err *err);

/* The stored form after its opening brace and the server's "s" and "ts":
 * "\"t\":...}" . Caller frees with free(). NULL + err on failure. */
char *sess_event_encode_body(const struct sess_event *ev, struct sess_err *err);

/* A growable text buffer (the caller frees p). */
struct sess_text {
	char *p;
	size_t len, cap;
};

/* Append to out the seeds' shape of a stored event as one JSON object's
 * text, exactly what sess_event_decode then cJSON would print for texts
 * our encoder wrote (values are copied, so a \u escape of a printable
 * character another writer used stays one): "frame"
 * first when frame is not NULL, "sessionId" when id is not NULL, then
 * seq, timestamp, type, actor, changeInfo, stateTransition, impact,
 * eventId. Values are copied as stored (no tree is built: the fast path of
 * sess-replay play). -1 with err when the text is damaged. */
int sess_event_format(const char *stored, size_t len, const char *id,
		      const char *frame, struct sess_text *out, struct sess_err *err);

/* Decode one stored event into the seeds' shape, adding "sessionId" when
 * id is not NULL. Caller frees with cJSON_Delete. */
cJSON *sess_event_decode(const char *stored, size_t len, const char *id,
			 struct sess_err *err);

#endif
