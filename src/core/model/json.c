#include "core/model/json.h"

#include <math.h>
#include <string.h>

#include "core/base/jscan.h"
#include "core/model/limits.h"
#include "core/base/utf8.h"

/* The subject of a message, "WHAT is ", or nothing without one. */
#define SUBJECT(what, verb) (what) ? (what) : "", (what) ? (verb) : ""

/* One pass over the text before cJSON sees it, for what cJSON takes
 * silently or reports only as "not valid JSON": bytes that are not UTF-8
 * (cJSON copies them), \u0000 in a string or key (cJSON cuts the string
 * there), and nesting past SESS_JSON_DEPTH_MAX (cJSON stops at 1000 with
 * no word why). Offsets in messages count bytes from 1. */
static int prescan(const char *text, const char *what, size_t *at, struct sess_err *err)
{
	size_t i = 0, n = strlen(text), len;
	int in_str = 0, depth = 0;

	while (i < n) {
		unsigned char c = (unsigned char)text[i];
		if (c >= 0x80) {
			if (!(len = sess_utf8_seq(text + i, n - i)) && (*at = i, 1))
				return sess_err_set(err, SESS_E_DATA, "bad_json",
						    "%s%snot valid UTF-8 at byte %zu", SUBJECT(what, " is "), i + 1);
			i += len;
			continue;
		}
		if (in_str && c == '\\') {
			/* (the 'u' first: strncmp at every \" of a line of
			 * escaped events was a twentieth of an import) */
			if (text[i + 1] == 'u' && !strncmp(text + i + 1, "u0000", 5) && (*at = i, 1))
				return sess_err_set(err, SESS_E_DATA, "bad_json",
						    "%s%sa \\u0000 (NUL character) at byte %zu; text in sesskit cannot hold NUL",
						    SUBJECT(what, " holds "), i + 1);
			/* skip the escaped character when it is plain ASCII
			 * (\" must not end the string); anything else is
			 * checked as it comes */
			c = (unsigned char)text[i + 1];
			i += c && c < 0x80 ? 2 : 1;
			continue;
		}
		if (c == '"')
			in_str = !in_str;
		else if (!in_str && (c == '[' || c == '{') && ++depth > SESS_JSON_DEPTH_MAX && (*at = i, 1))
			return sess_err_set(err, SESS_E_DATA, "bad_json",
					    "%s%snested too deeply (limit %d)", SUBJECT(what, " is "),
					    SESS_JSON_DEPTH_MAX);
		else if (!in_str && (c == ']' || c == '}'))
			depth--;
		i++;
	}
	return 0;
}

void sess_json_line_col(const char *text, size_t off, long *line, long *col)
{
	size_t i;

	*line = 1;
	*col = 1;
	for (i = 0; i < off && text[i]; i++) {
		if (text[i] == '\n') {
			++*line;
			*col = 1;
		} else {
			++*col;
		}
	}
}

/* 1 when the byte at pos lies directly inside an array (the innermost
 * open container before it is '['), strings skipped. */
static int in_array(const char *text, size_t pos)
{
	char stack[128];
	int depth = 0;
	size_t i;

	for (i = 0; i < pos && text[i]; i++) {
		char ch = text[i];
		if (ch == '"') {
			for (i++; i < pos && text[i] && text[i] != '"'; i++)
				if (text[i] == '\\' && text[i + 1])
					i++;
		} else if (ch == '{' || ch == '[') {
			if (depth < (int)sizeof stack)
				stack[depth] = ch;
			depth++;
		} else if ((ch == '}' || ch == ']') && depth > 0) {
			depth--;
		}
	}
	return depth > 0 && depth <= (int)sizeof stack && stack[depth - 1] == '[';
}

/* Where a key was expected in an object (after '{' or ','), cJSON's
 * string parser fails one byte past the byte that is no '"': the error
 * is at that byte. at is cJSON's offset; returns the one to report. */
static size_t key_expected_at(const char *text, size_t at)
{
	size_t i;

	if (at == 0 || text[at - 1] == '"')
		return at;
	for (i = at - 1; i > 0 && strchr(" \t\r\n", text[i - 1]); i--)
		;
	if (i > 0 && (text[i - 1] == '{' || (text[i - 1] == ',' && !in_array(text, i - 1))))
		return at - 1;
	return at;
}

cJSON *sess_json_parse_pos(const char *text, const char *what, const char *hint,
			   struct sess_json_pos *pos, struct sess_err *err)
{
	size_t at = 0;
	cJSON *v;

	memset(pos, 0, sizeof *pos);
	if (prescan(text, what, &at, err)) {
		pos->offset = at;
		sess_json_line_col(text, at, &pos->line, &pos->col);
		return NULL;
	}
	v = cJSON_ParseWithOpts(text, NULL, 1);
	if (!v) {
		const char *near = sess_json_near();
		/* cJSON points at the byte it stopped at, inside text */
		at = near >= text && near <= text + strlen(text) ? (size_t)(near - text) : 0;
		at = key_expected_at(text, at);
		pos->offset = at;
		sess_json_line_col(text, at, &pos->line, &pos->col);
		sess_err_set(err, SESS_E_DATA, "bad_json", "%s%snot valid JSON (near \"%.20s\")%s%s",
			     SUBJECT(what, " is "), near, hint ? "; " : "", hint ? hint : "");
	}
	return v;
}

cJSON *sess_json_parse_err(const char *text, const char *what,
			   const char *hint, struct sess_err *err)
{
	struct sess_json_pos pos;

	return sess_json_parse_pos(text, what, hint, &pos, err);
}

cJSON *sess_json_parse(const char *text)
{
	return sess_json_parse_err(text, NULL, NULL, NULL);
}

const char *sess_json_dup_key(const cJSON *v)
{
	const cJSON *it, *b;
	const char *d;

	for (it = v ? v->child : NULL; it; it = it->next) {
		if (cJSON_IsObject(v) && it->string)
			for (b = v->child; b != it; b = b->next)
				if (b->string && !strcmp(b->string, it->string))
					return it->string;
		if ((d = sess_json_dup_key(it)))
			return d;
	}
	return NULL;
}

cJSON *sess_json_parse_stored(const char *text, size_t len)
{
	cJSON *v = cJSON_ParseWithLength(text, len);

	if (v && sess_jscan_dup(text, len) != 0) {
		cJSON_Delete(v);
		return NULL;
	}
	return v;
}

const char *sess_json_near(void)
{
	const char *p = cJSON_GetErrorPtr();

	return p ? p : "";
}
const char *sess_json_type_name(const cJSON *v)
{
	if (cJSON_IsString(v))
		return "a string";
	if (cJSON_IsNumber(v))
		return "a number";
	if (cJSON_IsBool(v))
		return "a boolean";
	if (cJSON_IsNull(v))
		return "null";
	if (cJSON_IsArray(v))
		return "an array";
	return "an object";
}

int sess_json_long(const cJSON *v, long min, long max, const char *what,
		   long *out, struct sess_err *err)
{
	double d;

	if (!cJSON_IsNumber(v))
		return sess_err_set(err, SESS_E_DATA, "bad_input",
				    "%s must be a whole number from %ld to %ld, not %s",
				    what, min, max, sess_json_type_name(v));
	/* compare as doubles before any cast: casting an out-of-range
	 * double (1e400 reads as infinity) to long is undefined */
	d = v->valuedouble;
	if (!isfinite(d) || d < (double)min || d > (double)max)
		return sess_err_set(err, SESS_E_DATA, "bad_input",
				    "%s: %.17g is out of range; give a whole number from %ld to %ld",
				    what, d, min, max);
	if (d != (double)(long)d) /* in range now: the cast is defined */
		return sess_err_set(err, SESS_E_DATA, "bad_input",
				    "%s: %.17g is not a whole number; give one from %ld to %ld",
				    what, d, min, max);
	*out = (long)d;
	return 0;
}
