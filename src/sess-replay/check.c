/* check.c - what import accepts: every record as sesskit's scripts would
 * have written it (the id rules of keys.h, the ranges of limits.h, the
 * strict JSON of json.h), so a file cannot bring into a replay, and a fork
 * from it into live keys, what sesskit itself never writes. */
#include <stdio.h>
#include <string.h>

#include "core/model/event.h"
#include "core/model/json.h"
#include "core/model/keys.h"
#include "core/model/limits.h"
#include "replay.h"

static int bad(struct sess_err *err, const char *what)
{
	return sess_err_set(err, SESS_E_DATA, "bad_import", "%s", what);
}

/* A member's value; NULL when absent. */
static const cJSON *get(const cJSON *o, const char *k)
{
	return cJSON_GetObjectItemCaseSensitive(o, k);
}

/* A whole number in [min, max] (absent: when optional, fine). */
static int whole(const cJSON *o, const char *k, long min, long max, int optional, struct sess_err *err)
{
	const cJSON *v = get(o, k);
	char what[48];
	long out;

	if (!v && optional)
		return 0;
	snprintf(what, sizeof what, "\"%s\"", k);
	if (!v)
		return sess_err_set(err, SESS_E_DATA, "bad_import", "has no %s", what);
	return sess_json_long(v, min, max, what, &out, err);
}

static int id(const cJSON *o, const char *k, int optional, struct sess_err *err)
{
	const cJSON *v = get(o, k);
	char what[48];

	if (!v && optional)
		return 0;
	snprintf(what, sizeof what, "\"%s\"", k);
	if (!cJSON_IsString(v))
		return sess_err_set(err, SESS_E_DATA, "bad_import", "%s must be an id string", what);
	return sess_key_check_id(v->valuestring, what, err) ? (err->cls = SESS_E_DATA, -1) : 0;
}

static int hex40(const cJSON *o, const char *k, int empty_ok, struct sess_err *err)
{
	const char *s = cJSON_GetStringValue(get(o, k));

	if (s && empty_ok && !*s)
		return 0;
	if (!s || strlen(s) != 40 || strspn(s, "0123456789abcdef") != 40)
		return sess_err_set(err, SESS_E_DATA, "bad_import", "\"%s\" must be 40 hex digits", k);
	return 0;
}

static int state(const cJSON *o, const char *k, struct sess_err *err)
{
	const char *s = cJSON_GetStringValue(get(o, k));

	if (!s || !sess_state_valid(s))
		return sess_err_set(err, SESS_E_DATA, "bad_import",
				    "\"%s\" must be working, broken or completed", k);
	return 0;
}

/* Only the members named in allowed (NULL-terminated), each once. */
static int members(const cJSON *o, const char *const *allowed, struct sess_err *err)
{
	const cJSON *it, *jt;
	size_t i;

	cJSON_ArrayForEach(it, o) {
		for (i = 0; allowed[i] && strcmp(allowed[i], it->string); i++)
			;
		if (!allowed[i])
			return sess_err_set(err, SESS_E_DATA, "bad_import", "has a member \"%.40s\" sesskit never writes",
					    it->string);
		for (jt = it->next; jt; jt = jt->next)
			if (!strcmp(jt->string, it->string))
				return sess_err_set(err, SESS_E_DATA, "bad_import", "has member \"%s\" twice",
						    it->string);
	}
	return 0;
}

static int event_check(const cJSON *o, struct sess_err *err)
{
	static const char *const allowed[] = {"s", "ts", "t", "a", "c", "st", "imp", "eid", NULL};
	const char *t = cJSON_GetStringValue(get(o, "t"));
	const cJSON *st = get(o, "st");

	if (members(o, allowed, err) || whole(o, "s", 1, SESS_SEQ_MAX, 0, err) ||
	    whole(o, "ts", 0, SESS_SEQ_MAX, 0, err) || id(o, "a", 0, err) || id(o, "eid", 1, err))
		return -1;
	/* the emit script's type rule: a letter, then letters, digits, _ . - */
	if (!t || !*t || strlen(t) > SESS_TYPE_MAX ||
	    !((*t >= 'A' && *t <= 'Z') || (*t >= 'a' && *t <= 'z')) ||
	    strspn(t, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-") != strlen(t))
		return bad(err, "\"t\" (type) must be 1 to 64 of A-Z a-z, then 0-9 _ - .");
	if (st && (!cJSON_IsObject(st) || state(st, "from", err) || state(st, "to", err)))
		return err->kind[0] ? -1 : bad(err, "\"st\" (transition) must be an object with from and to");
	if (get(o, "c") && !cJSON_IsObject(get(o, "c")))
		return bad(err, "\"c\" (changeInfo) must be an object");
	if (get(o, "imp") && !cJSON_IsObject(get(o, "imp")))
		return bad(err, "\"imp\" (impact) must be an object");
	/* its parts by emit's rules ("c":{} or a confidence of 9 never stored) */
	return sess_event_check_stored(get(o, "c"), st, err);
}

static int ttl(const cJSON *o, struct sess_err *err)
{
	return whole(o, "ttl", SESS_TTL_MIN, SESS_TTL_MAX, 0, err);
}

static int record_check(const cJSON *o, struct sess_err *err)
{
	static const char *const base[] = {"k", "at", "ts", NULL};
	static const char *const create[] = {"k", "at", "ts", "a", "ttl", "m", NULL};
	static const char *const member[] = {"k", "at", "ts", "a", NULL};
	static const char *const touch[] = {"k", "at", "ts", "ttl", NULL};
	static const char *const cp[] = {"k", "at", "ts", "n", "r", "sd", NULL};
	static const char *const trim[] = {"k", "at", "ts", "base", NULL};
	static const char *const upgrade[] = {"k", "at", "ts", "from", "state", "creator", "created",
					      "ttl", "base", "agents", "m", NULL};
	static const char *const fork[] = {"k", "at", "ts", "from", "chain", NULL};
	const char *k = cJSON_GetStringValue(get(o, "k"));
	const cJSON *it;

	if (!k)
		return bad(err, "has no \"k\" (kind)");
	if (whole(o, "at", 0, SESS_SEQ_MAX, 0, err) || whole(o, "ts", 0, SESS_SEQ_MAX, 0, err))
		return -1;
	if (!strcmp(k, "create"))
		return members(o, create, err) || id(o, "a", 0, err) || ttl(o, err) ||
		       (get(o, "m") && !cJSON_IsObject(get(o, "m")) && bad(err, "\"m\" (metadata) must be an object"));
	if (!strcmp(k, "join") || !strcmp(k, "leave"))
		return members(o, member, err) || id(o, "a", 0, err);
	if (!strcmp(k, "complete"))
		return members(o, base, err);
	if (!strcmp(k, "touch"))
		return members(o, touch, err) || ttl(o, err);
	if (!strcmp(k, "checkpoint"))
		return members(o, cp, err) || whole(o, "n", 1, SESS_SEQ_MAX, 0, err) ||
		       sess_check_reason(cJSON_GetStringValue(get(o, "r")), "\"r\" (reason)", err) ||
		       hex40(o, "sd", 0, err);
	if (!strcmp(k, "trim"))
		return members(o, trim, err) || whole(o, "base", 0, SESS_SEQ_MAX, 0, err);
	if (!strcmp(k, "fork"))
		return members(o, fork, err) || id(o, "from", 0, err) || hex40(o, "chain", 1, err);
	if (!strcmp(k, "upgrade")) {
		if (members(o, upgrade, err) || state(o, "state", err) || id(o, "creator", 0, err) ||
		    whole(o, "created", 0, SESS_SEQ_MAX, 0, err) || ttl(o, err) ||
		    whole(o, "base", 0, SESS_SEQ_MAX, 0, err) || !cJSON_IsString(get(o, "from")))
			return err->kind[0] ? -1 : bad(err, "\"from\" must be a string");
		if (!cJSON_IsArray(get(o, "agents")))
			return bad(err, "\"agents\" must be an array of ids");
		cJSON_ArrayForEach(it, get(o, "agents"))
			if (!cJSON_IsString(it) || sess_key_check_id(it->valuestring, "an agent", err))
				return err->cls = SESS_E_DATA, bad(err, "\"agents\" must be an array of ids");
		if (get(o, "m") && !cJSON_IsObject(get(o, "m")))
			return bad(err, "\"m\" (metadata) must be an object");
		return 0;
	}
	return sess_err_set(err, SESS_E_DATA, "bad_import", "has a kind \"%.40s\" sesskit never writes", k);
}

int import_record_check(int kind, const char *text, size_t len, struct sess_err *err)
{
	cJSON *o;
	int rc;

	err->kind[0] = '\0';
	if (strlen(text) != len)
		return bad(err, "holds a NUL byte");
	/* strict: one value, valid UTF-8, no \u0000, nested at most
	 * SESS_JSON_DEPTH_MAX deep (what sesskit takes from users) */
	if (!(o = sess_json_parse_err(text, "the record", NULL, err)))
		return err->cls = SESS_E_DATA, -1;
	if (!cJSON_IsObject(o)) {
		cJSON_Delete(o);
		return bad(err, "is not a JSON object");
	}
	rc = kind == SESS_REC_EVENT ? event_check(o, err) : record_check(o, err);
	cJSON_Delete(o);
	if (rc)
		err->cls = SESS_E_DATA;
	return rc ? -1 : 0;
}

ssize_t import_getline(char **buf, size_t *cap, FILE *f, size_t max)
{
	size_t n = 0;
	int c;

	while ((c = getc_unlocked(f)) != EOF) {
		if (n + 2 > *cap) {
			size_t nc = *cap ? *cap * 2 : 4096;
			char *b;
			if (nc > max + 2)
				nc = max + 2;
			if (n + 2 > nc || !(b = realloc(*buf, nc)))
				return -2; /* longer than max (or out of memory) */
			*buf = b;
			*cap = nc;
		}
		(*buf)[n++] = (char)c;
		if (c == '\n')
			break;
	}
	if (!n)
		return -1;
	(*buf)[n] = '\0';
	return (ssize_t)n;
}
