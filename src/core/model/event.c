#include "core/model/event.h"

#include "core/model/json.h"
#include "core/base/jscan.h"
#include "core/model/limits.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/model/json.h"

int sess_state_valid(const char *s)
{
	return !strcmp(s, "working") || !strcmp(s, "broken") || !strcmp(s, "completed");
}

void sess_event_init(struct sess_event *ev)
{
	memset(ev, 0, sizeof *ev);
	ev->expect_seq = -1;
}

void sess_event_free(struct sess_event *ev)
{
	cJSON_Delete(ev->change);
	cJSON_Delete(ev->transition);
	cJSON_Delete(ev->impact);
	sess_event_init(ev);
}

static int check_type(const char *t, struct sess_err *err)
{
	size_t i, n = strlen(t);

	if (n == 0 || n > SESS_TYPE_MAX)
		return sess_err_set(err, SESS_E_DATA, "bad_event",
				    "event type must be 1 to %d characters (modified, broke, fixed, ...)",
				    SESS_TYPE_MAX);
	for (i = 0; i < n; i++) {
		char c = t[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (i > 0 && ((c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.'))))
			return sess_err_set(err, SESS_E_DATA, "bad_event",
					    "event type \"%.40s\" has '%c' at position %zu; use a word such as modified, broke or fixed",
					    t, c, i + 1);
	}
	return 0;
}

static int copy_field(char *dst, size_t n, const cJSON *v, const char *what,
		      struct sess_err *err)
{
	if (!cJSON_IsString(v))
		return sess_err_set(err, SESS_E_DATA, "bad_event", "%s must be a string", what);
	if (strlen(v->valuestring) >= n)
		return sess_err_set(err, SESS_E_DATA, "bad_event",
				    "%s is longer than %zu characters", what, n - 1);
	memcpy(dst, v->valuestring, strlen(v->valuestring) + 1);
	return 0;
}

static int replace_part(cJSON **slot, const cJSON *v, const char *what,
			struct sess_err *err)
{
	cJSON *dup;

	if (!cJSON_IsObject(v))
		return sess_err_set(err, SESS_E_DATA, "bad_event", "%s must be a JSON object", what);
	dup = cJSON_Duplicate(v, 1);
	if (!dup)
		return sess_err_set(err, SESS_E_INTERNAL, NULL, "out of memory");
	cJSON_Delete(*slot);
	*slot = dup;
	return 0;
}

int sess_event_from_json(struct sess_event *ev, const cJSON *obj,
			 struct sess_err *err)
{
	const cJSON *it;
	const char *twice;

	if (!cJSON_IsObject(obj))
		return sess_err_set(err, SESS_E_DATA, "bad_event", "an event must be a JSON object");
	if ((twice = sess_json_dup_key(obj)))
		return sess_err_set(err, SESS_E_DATA, "bad_event",
				    "the event names \"%.40s\" twice in one object; give each key once", twice);
	cJSON_ArrayForEach(it, obj) {
		const char *k = it->string;
		int rc;
		if (!strcmp(k, "type"))
			rc = copy_field(ev->type, sizeof ev->type, it, "type", err);
		else if (!strcmp(k, "actor"))
			rc = copy_field(ev->actor, sizeof ev->actor, it, "actor", err);
		else if (!strcmp(k, "eventId"))
			rc = copy_field(ev->event_id, sizeof ev->event_id, it, "eventId", err);
		else if (!strcmp(k, "expectSeq"))
			rc = sess_json_long(it, 0, SESS_SEQ_MAX, "\"expectSeq\"", &ev->expect_seq, err);
		else if (!strcmp(k, "changeInfo"))
			rc = replace_part(&ev->change, it, "changeInfo", err);
		else if (!strcmp(k, "stateTransition"))
			rc = replace_part(&ev->transition, it, "stateTransition", err);
		else if (!strcmp(k, "impact"))
			rc = replace_part(&ev->impact, it, "impact", err);
		else if (!strcmp(k, "seq") || !strcmp(k, "timestamp"))
			return sess_err_set(err, SESS_E_DATA, "bad_event",
					    "\"%s\" is assigned by the server; leave it out", k);
		else
			return sess_err_set(err, SESS_E_DATA, "bad_event",
					    "unknown event field \"%.40s\"; the fields are type, actor, changeInfo, stateTransition, impact, eventId, expectSeq",
					    k);
		if (rc)
			return -1;
	}
	return 0;
}

int sess_event_set_part(struct sess_event *ev, const char *which,
			const char *json, struct sess_err *err)
{
	cJSON *v = sess_json_parse_err(json, which,
				       "quote it for the shell, e.g. '{\"operation\":\"modified\"}'", err);
	const char *twice = v ? sess_json_dup_key(v) : NULL;
	int rc;

	if (!v)
		return -1;
	if (twice) {
		sess_err_set(err, SESS_E_DATA, "bad_event", "%s names \"%.40s\" twice in one object; give each key once",
			     which, twice);
		cJSON_Delete(v);
		return -1;
	}
	rc = replace_part(!strcmp(which, "changeInfo") ? &ev->change :
			  !strcmp(which, "stateTransition") ? &ev->transition : &ev->impact,
			  v, which, err);
	cJSON_Delete(v);
	return rc;
}

/* names: elementType, entityIds, operation as c names them (the given
 * long ones, or the stored short e, i, o) */
static int check_change(const cJSON *c, const char *const names[3], struct sess_err *err)
{
	const cJSON *it, *ids;
	int have = 0;

	if (!cJSON_IsObject(c))
		return sess_err_set(err, SESS_E_DATA, "bad_event", "changeInfo must be an object");
	cJSON_ArrayForEach(it, c) {
		if (!strcmp(it->string, names[0]) || !strcmp(it->string, names[2])) {
			if (!cJSON_IsString(it) || !*it->valuestring)
				return sess_err_set(err, SESS_E_DATA, "bad_event",
						    "changeInfo.%s must be a non-empty string", it->string);
			have++;
		} else if (!strcmp(it->string, names[1])) {
			have++;
		} else {
			return sess_err_set(err, SESS_E_DATA, "bad_event",
					    "unknown changeInfo field \"%.40s\"; the fields are %s, %s, %s",
					    it->string, names[0], names[1], names[2]);
		}
	}
	if (have != 3)
		return sess_err_set(err, SESS_E_DATA, "bad_event",
				    "changeInfo needs %s, %s and %s", names[0], names[1], names[2]);
	ids = cJSON_GetObjectItemCaseSensitive(c, names[1]);
	if (!cJSON_IsArray(ids))
		return sess_err_set(err, SESS_E_DATA, "bad_event",
				    "changeInfo.%s must be an array of strings", names[1]);
	cJSON_ArrayForEach(it, ids)
		if (!cJSON_IsString(it))
			return sess_err_set(err, SESS_E_DATA, "bad_event",
					    "changeInfo.%s must hold only strings", names[1]);
	return 0;
}

static const char *const change_long[3] = {"elementType", "entityIds", "operation"};
static const char *const change_short[3] = {"e", "i", "o"};

static int check_transition(struct sess_event *ev, struct sess_err *err)
{
	const cJSON *it;

	ev->from[0] = ev->to[0] = '\0';
	if (!cJSON_IsObject(ev->transition))
		return sess_err_set(err, SESS_E_DATA, "bad_event", "stateTransition must be an object");
	cJSON_ArrayForEach(it, ev->transition) {
		const char *k = it->string;
		if (!strcmp(k, "from") || !strcmp(k, "to")) {
			char *dst = !strcmp(k, "from") ? ev->from : ev->to;
			if (!cJSON_IsString(it) || !sess_state_valid(it->valuestring))
				return sess_err_set(err, SESS_E_DATA, "bad_event",
						    "stateTransition.%s must be working, broken or completed", k);
			snprintf(dst, SESS_STATE_MAX + 1, "%s", it->valuestring);
		} else if (!strcmp(k, "verifiedBy")) {
			if (!cJSON_IsString(it))
				return sess_err_set(err, SESS_E_DATA, "bad_event",
						    "stateTransition.verifiedBy must be a string");
		} else if (!strcmp(k, "confidence")) {
			if (!cJSON_IsNumber(it) || it->valuedouble < 0 || it->valuedouble > 1)
				return sess_err_set(err, SESS_E_DATA, "bad_event",
						    "stateTransition.confidence must be a number from 0 to 1");
		} else {
			return sess_err_set(err, SESS_E_DATA, "bad_event",
					    "unknown stateTransition field \"%.40s\"; the fields are from, to, verifiedBy, confidence",
					    k);
		}
	}
	if (!ev->from[0] || !ev->to[0])
		return sess_err_set(err, SESS_E_DATA, "bad_event",
				    "stateTransition needs both from and to (working, broken or completed)");
	return 0;
}

int sess_event_validate(struct sess_event *ev, struct sess_err *err)
{
	if (!ev->type[0])
		return sess_err_set(err, SESS_E_DATA, "bad_event",
				    "the event has no type; give --type (modified, broke, fixed, ...)");
	if (check_type(ev->type, err))
		return -1;
	if (!ev->actor[0])
		return sess_err_set(err, SESS_E_DATA, "bad_event",
				    "the event has no actor; give --actor AGENT (a member of the session)");
	if (sess_key_check_id(ev->actor, "actor", err))
		return -1;
	if (ev->event_id[0] && sess_key_check_id(ev->event_id, "event id", err))
		return -1;
	if (ev->change && check_change(ev->change, change_long, err))
		return -1;
	if (ev->transition)
		return check_transition(ev, err);
	ev->from[0] = ev->to[0] = '\0';
	return 0;
}

int sess_event_check_stored(const cJSON *c, const cJSON *st, struct sess_err *err)
{
	struct sess_event ev;

	if (c && check_change(c, change_short, err))
		return -1;
	if (!st)
		return 0;
	sess_event_init(&ev);
	ev.transition = (cJSON *)st; /* only read; not freed here */
	return check_transition(&ev, err);
}

static int check_stored_text(const char *text, size_t len, int scanned, struct sess_err *err);

int sess_event_check_stored_text(const char *text, size_t len, struct sess_err *err)
{
	return check_stored_text(text, len, 0, err);
}

int sess_event_check_stored_scanned(const char *text, size_t len, struct sess_err *err)
{
	return check_stored_text(text, len, 1, err);
}

static const char *skip_ws(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
		p++;
	return p;
}

/* A string at p without an escape or a NUL byte: one past its closing
 * quote, its length in *n; NULL when it is not one. */
static const char *plain_str(const char *p, const char *end, size_t *n)
{
	const char *q;

	if (p >= end || *p != '"')
		return NULL;
	for (q = ++p; q < end && *q != '"'; q++)
		if (*q == '\\' || *q == '\0')
			return NULL;
	if (q >= end)
		return NULL;
	*n = (size_t)(q - p);
	return q + 1;
}

/* 1 when the text [p, end) is a "c" as emit writes it, plainly: the
 * members "e", "i" and "o", each once, in any order, e and o non-empty
 * strings, i an array of strings, no string with an escape or a NUL byte,
 * JSON's whitespace between tokens and nothing after. cJSON parses such a
 * text and check_change passes it, so it is not parsed; 0 for anything
 * else, which is parsed and checked (and so gets its message). */
static int plain_change(const char *p, const char *end)
{
	int have = 0, bit;
	const char *k;
	size_t n;

	p = skip_ws(p, end);
	if (p >= end || *p != '{')
		return 0;
	for (p = skip_ws(p + 1, end);; p = skip_ws(p + 1, end)) {
		k = p;
		if (!(p = plain_str(p, end, &n)) || n != 1)
			return 0;
		bit = k[1] == 'e' ? 1 : k[1] == 'i' ? 2 : k[1] == 'o' ? 4 : 0;
		if (!bit || (have & bit))
			return 0;
		have |= bit;
		p = skip_ws(p, end);
		if (p >= end || *p != ':')
			return 0;
		p = skip_ws(p + 1, end);
		if (bit != 2) {
			if (!(p = plain_str(p, end, &n)) || !n)
				return 0;
		} else {
			if (p >= end || *p != '[')
				return 0;
			p = skip_ws(p + 1, end);
			if (p < end && *p == ']')
				p++;
			else
				for (;;) {
					if (!(p = plain_str(p, end, &n)))
						return 0;
					p = skip_ws(p, end);
					if (p < end && *p == ']') {
						p++;
						break;
					}
					if (p >= end || *p != ',')
						return 0;
					p = skip_ws(p + 1, end);
				}
		}
		p = skip_ws(p, end);
		if (p < end && *p == '}')
			break;
		if (p >= end || *p != ',')
			return 0;
	}
	return have == 7 && skip_ws(p + 1, end) == end;
}

/* A stored event's "c" (is_c) or "st" at [v, ve). */
static int check_part(int is_c, const char *v, const char *ve, int scanned, struct sess_err *err)
{
	cJSON *part;
	int rc;

	if (scanned && is_c && plain_change(v, ve))
		return 0;
	part = scanned ? cJSON_ParseWithLength(v, (size_t)(ve - v)) : sess_json_parse_stored(v, (size_t)(ve - v));
	if (!part)
		return sess_err_set(err, SESS_E_DATA, "bad_event", "a stored event's \"%s\" is damaged",
				    is_c ? "c" : "st");
	rc = is_c ? sess_event_check_stored(part, NULL, err) : sess_event_check_stored(NULL, part, err);
	cJSON_Delete(part);
	return rc;
}

int sess_event_check_stored_spans(const char *c, const char *c_end, const char *st,
				  const char *st_end, int st_first, struct sess_err *err)
{
	if (st && st_first && check_part(0, st, st_end, 1, err))
		return -1;
	if (c && check_part(1, c, c_end, 1, err))
		return -1;
	if (st && !st_first && check_part(0, st, st_end, 1, err))
		return -1;
	return 0;
}

/* scanned: sess_jscan_dup found no duplicate in the whole text, so none
 * is in a member's value (the same scan over a part of it), and a plain
 * "c" is taken without a parse */
static int check_stored_text(const char *text, size_t len, int scanned, struct sess_err *err)
{
	struct sess_jscan js;
	const char *k, *v, *ve;
	size_t kl;
	int r = 0, rc = 0;

	if (sess_jscan_init(&js, text, len))
		return sess_err_set(err, SESS_E_DATA, "bad_event", "a stored event is not a JSON object");
	while (!rc && (r = sess_jscan_next(&js, &k, &kl, &v, &ve)) == 1) {
		int is_c = sess_jscan_is(k, kl, "c");
		if (is_c || sess_jscan_is(k, kl, "st"))
			rc = check_part(is_c, v, ve, scanned, err);
	}
	if (!rc && r < 0)
		return sess_err_set(err, SESS_E_DATA, "bad_event", "a stored event is not a JSON object");
	return rc;
}

/* Append "name": JSON-of-v to a cJSON-printed buffer. */
static int add_compact(cJSON *out, const char *name, const cJSON *v)
{
	cJSON *dup = cJSON_Duplicate(v, 1);

	if (!dup)
		return -1;
	cJSON_AddItemToObject(out, name, dup);
	return 0;
}

char *sess_event_encode_body(const struct sess_event *ev, struct sess_err *err)
{
	cJSON *o = cJSON_CreateObject(), *c = NULL;
	char *text = NULL, *body = NULL;
	size_t n;

	if (!o)
		goto oom;
	if (!cJSON_AddStringToObject(o, "t", ev->type) ||
	    !cJSON_AddStringToObject(o, "a", ev->actor))
		goto oom;
	if (ev->change) {
		c = cJSON_AddObjectToObject(o, "c");
		if (!c ||
		    add_compact(c, "e", cJSON_GetObjectItemCaseSensitive(ev->change, "elementType")) ||
		    add_compact(c, "i", cJSON_GetObjectItemCaseSensitive(ev->change, "entityIds")) ||
		    add_compact(c, "o", cJSON_GetObjectItemCaseSensitive(ev->change, "operation")))
			goto oom;
	}
	if (ev->impact && add_compact(o, "imp", ev->impact))
		goto oom;
	if (ev->transition && add_compact(o, "st", ev->transition))
		goto oom;
	if (ev->event_id[0] && !cJSON_AddStringToObject(o, "eid", ev->event_id))
		goto oom;
	text = cJSON_PrintUnformatted(o);
	if (!text)
		goto oom;
	/* drop the opening brace: the server writes {"s":N,"ts":T, before it */
	n = strlen(text);
	body = malloc(n);
	if (!body)
		goto oom;
	memcpy(body, text + 1, n);
	cJSON_free(text);
	cJSON_Delete(o);
	return body;
oom:
	cJSON_free(text);
	cJSON_Delete(o);
	sess_err_set(err, SESS_E_INTERNAL, NULL, "out of memory encoding the event");
	return NULL;
}

static int move_item(cJSON *dst, const char *name, cJSON *src, const char *from)
{
	cJSON *v = cJSON_DetachItemFromObjectCaseSensitive(src, from);

	if (!v)
		return 0;
	cJSON_AddItemToObject(dst, name, v);
	return 1;
}

cJSON *sess_event_decode(const char *stored, size_t len, const char *id,
			 struct sess_err *err)
{
	cJSON *in = sess_json_parse_stored(stored, len), *out, *c;

	if (!in || !cJSON_IsObject(in)) {
		cJSON_Delete(in);
		sess_err_set(err, SESS_E_DATA, "corrupt_event",
			     "a stored event is not valid JSON or names a key twice (\"%.40s\"); the session's data is damaged",
			     stored);
		return NULL;
	}
	out = cJSON_CreateObject();
	if (!out) {
		cJSON_Delete(in);
		sess_err_set(err, SESS_E_INTERNAL, NULL, "out of memory");
		return NULL;
	}
	if (id)
		cJSON_AddStringToObject(out, "sessionId", id);
	move_item(out, "seq", in, "s");
	move_item(out, "timestamp", in, "ts");
	move_item(out, "type", in, "t");
	move_item(out, "actor", in, "a");
	c = cJSON_GetObjectItemCaseSensitive(in, "c");
	if (cJSON_IsObject(c)) {
		cJSON *ci = cJSON_AddObjectToObject(out, "changeInfo");
		move_item(ci, "elementType", c, "e");
		move_item(ci, "entityIds", c, "i");
		move_item(ci, "operation", c, "o");
	}
	move_item(out, "stateTransition", in, "st");
	move_item(out, "impact", in, "imp");
	move_item(out, "eventId", in, "eid");
	cJSON_Delete(in);
	return out;
}

/* Room for n more bytes and a NUL, so the appends after it need no check
 * (the hot path of play formats every event). */
static int text_reserve(struct sess_text *t, size_t n)
{
	size_t cap;
	char *q;

	if (t->len + n + 1 <= t->cap)
		return 0;
	cap = t->cap ? 2 * t->cap : 4096;
	while (cap < t->len + n + 1)
		cap *= 2;
	if (!(q = realloc(t->p, cap)))
		return -1;
	t->p = q;
	t->cap = cap;
	return 0;
}

/* Append n bytes where text_reserve made room. */
static void text_add(struct sess_text *t, const char *p, size_t n)
{
	memcpy(t->p + t->len, p, n);
	t->len += n;
}

/* A member name as it is written: ,"name": with its length (the comma is
 * skipped for the first member). */
struct fmt_name {
	const char *text;
	size_t len;
};
#define FMT_NAME(s) {",\"" s "\":", sizeof(",\"" s "\":") - 1}

static void add_member(struct sess_text *t, int *first, const struct fmt_name *n,
		       const char *v, const char *vend)
{
	text_add(t, n->text + *first, n->len - (size_t)*first);
	*first = 0;
	text_add(t, v, (size_t)(vend - v));
}

enum { F_S, F_TS, F_T, F_A, F_C, F_ST, F_IMP, F_EID, F_N };

/* Which stored member key k is (F_*), or -1: by length and bytes, the
 * hot path of play (a loop of name compares per key cost a tenth of it). */
static int stored_key(const char *k, size_t kl)
{
	switch (kl) {
	case 1:
		switch (k[0]) {
		case 's': return F_S;
		case 't': return F_T;
		case 'a': return F_A;
		case 'c': return F_C;
		}
		break;
	case 2:
		if (k[0] == 't' && k[1] == 's')
			return F_TS;
		if (k[0] == 's' && k[1] == 't')
			return F_ST;
		break;
	case 3:
		if (!memcmp(k, "imp", 3))
			return F_IMP;
		if (!memcmp(k, "eid", 3))
			return F_EID;
		break;
	}
	return -1;
}

int sess_event_format(const char *stored, size_t len, const char *id,
		      const char *frame, struct sess_text *out, struct sess_err *err)
{
	enum { S = F_S, TS = F_TS, C = F_C, N = F_N };
	static const struct fmt_name to[N] = {
		FMT_NAME("seq"), FMT_NAME("timestamp"), FMT_NAME("type"), FMT_NAME("actor"),
		FMT_NAME("changeInfo"), FMT_NAME("stateTransition"), FMT_NAME("impact"),
		FMT_NAME("eventId")};
	static const struct fmt_name ct[3] = {
		FMT_NAME("elementType"), FMT_NAME("entityIds"), FMT_NAME("operation")};
	static const struct fmt_name frame_name = FMT_NAME("frame"), id_name = FMT_NAME("sessionId");
	const char *v[N] = {0}, *ve[N] = {0}, *k, *a, *b;
	const char *cv[3] = {0}, *cve[3] = {0};
	struct sess_jscan js;
	size_t kl, start = out->len, flen = frame ? strlen(frame) : 0, idlen = id ? strlen(id) : 0;
	int i, r, first = 1;

	if (sess_jscan_init(&js, stored, len) || sess_jscan_dup(stored, len) != 0)
		goto damaged;
	while ((r = sess_jscan_next(&js, &k, &kl, &a, &b)) == 1)
		if ((i = stored_key(k, kl)) >= 0) {
			v[i] = a;
			ve[i] = b;
		}
	if (r < 0 || !v[S] || !v[TS])
		goto damaged;
	if (v[C] && *v[C] == '{') {
		/* changeInfo: its own members renamed, in their order */
		struct sess_jscan in;
		if (sess_jscan_init(&in, v[C], (size_t)(ve[C] - v[C])))
			goto damaged;
		while ((r = sess_jscan_next(&in, &k, &kl, &a, &b)) == 1)
			if (kl == 1 && (i = k[0] == 'e' ? 0 : k[0] == 'i' ? 1 : k[0] == 'o' ? 2 : -1) >= 0) {
				cv[i] = a;
				cve[i] = b;
			}
		if (r < 0)
			goto damaged;
	}
	/* the output is the stored text with longer names and the frame and
	 * id added: 256 bytes covers the names */
	if (text_reserve(out, len + flen + idlen + 256))
		goto oom;
	text_add(out, "{", 1);
	if (frame) {
		add_member(out, &first, &frame_name, "\"", "\"" + 1);
		text_add(out, frame, flen);
		text_add(out, "\"", 1);
	}
	if (id) {
		add_member(out, &first, &id_name, "\"", "\"" + 1);
		text_add(out, id, idlen);
		text_add(out, "\"", 1);
	}
	for (i = 0; i < N; i++) {
		if (!v[i])
			continue;
		if (i == C && *v[C] == '{') {
			int j, cfirst = 1;
			add_member(out, &first, &to[C], "{", "{" + 1);
			for (j = 0; j < 3; j++)
				if (cv[j])
					add_member(out, &cfirst, &ct[j], cv[j], cve[j]);
			text_add(out, "}", 1);
			continue;
		}
		add_member(out, &first, &to[i], v[i], ve[i]);
	}
	text_add(out, "}", 1);
	out->p[out->len] = '\0';
	return 0;
damaged:
	out->len = start;
	return sess_err_set(err, SESS_E_DATA, "corrupt_event",
			    "a stored event is not valid JSON or names a key twice (\"%.40s\"); the session's data is damaged",
			    stored);
oom:
	out->len = start;
	return sess_err_set(err, SESS_E_INTERNAL, NULL, "out of memory");
}
