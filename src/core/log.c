#include "log.h"
#include "probe.h"

#include <stdio.h>
#include <string.h>

#include "keys.h"
#include "reply.h"
#include "scripts.h"

int sess_log_events(struct sess_ctx *s, const char *id, long from, long to,
		long limit, sess_each_fn each, void *arg, long *last_seq,
		struct sess_err *err)
{
	char a0[24], a1[24], a2[24];
	struct sess_keys k;
	const char *args[3] = {a0, a1, a2};
	long emitted = 0, next = from < 1 ? 1 : from;

	if (sess_key_check_id(id, "session id", err))
		return -1;
	sess_keys_init(&k, s->cfg->prefix, id);
	for (;;) {
		long want = SESS_LOG_PAGE;
		redisReply *r;
		size_t i, items;
		long long last;
		long base;

		if (limit > 0 && limit - emitted < want)
			want = limit - emitted;
		snprintf(a0, sizeof a0, "%ld", next);
		snprintf(a1, sizeof a1, "%ld", to);
		snprintf(a2, sizeof a2, "%ld", want);
		r = sess_script_call(s->conn, SESS_LUA_EVENTS, 2, k.v, 3, args, err);
		if (!r)
			return -1;
		if (r->type != REDIS_REPLY_ARRAY || r->elements < 2) {
			freeReplyObject(r);
			return sess_reply_bad(err, "events");
		}
		last = sess_reply_int(r, 1);
		base = (long)sess_reply_int(r, 0);
		items = r->elements - 2;
		if (last_seq)
			*last_seq = (long)last;
		for (i = 2; i < r->elements; i++) {
			cJSON *ev = sess_event_decode(r->element[i]->str,
						      r->element[i]->len, id, err);
			int stop;
			if (!ev) {
				freeReplyObject(r);
				return -1;
			}
			stop = each(ev, arg);
			cJSON_Delete(ev);
			if (stop) {
				freeReplyObject(r);
				return 0;
			}
			emitted++;
		}
		freeReplyObject(r);
		if (items == 0)
			return 0;
		if (next <= base)
			next = base + 1;
		next += (long)items;
		if (next > last || (to > 0 && next > to) || (limit > 0 && emitted >= limit))
			return 0;
	}
}

int sess_log_message(const redisReply *r, cJSON **ev, struct sess_err *err)
{
	const redisReply *payload;
	const char *nl;
	char id[SESS_ID_MAX + 1];
	size_t idlen;

	*ev = NULL;
	if (r->type != REDIS_REPLY_ARRAY || r->elements < 3 ||
	    r->element[0]->type != REDIS_REPLY_STRING)
		return 0;
	if (!strcmp(r->element[0]->str, "message"))
		payload = r->element[2];
	else if (!strcmp(r->element[0]->str, "pmessage") && r->elements >= 4)
		payload = r->element[3];
	else
		return 0; /* subscribe confirmations */
	if (payload->type != REDIS_REPLY_STRING ||
	    !(nl = memchr(payload->str, '\n', payload->len)) ||
	    (idlen = (size_t)(nl - payload->str)) > SESS_ID_MAX)
		return sess_err_set(err, SESS_E_DATA, "bad_message",
				    "a message on %s is not \"ID\\nEVENT\"",
				    r->element[r->elements - 2]->str);
	memcpy(id, payload->str, idlen);
	id[idlen] = '\0';
	if (!strcmp(id, SESS_PROBE_ID))
		return 0; /* sess-health's pub/sub probe, not an event */
	*ev = sess_event_decode(nl + 1, payload->len - idlen - 1, id, err);
	return *ev ? 0 : -1;
}
