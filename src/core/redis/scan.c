/* scan.c - see scan.h */
#include "core/redis/scan.h"

#include <stdio.h>
#include <string.h>

#include "core/redis/cluster.h"
#include "core/redis/reply.h"

void sess_scan_init(struct sess_scan *it, struct sess_conn *c, const char *verb,
		    const char *key, const char *match, long count)
{
	memset(it, 0, sizeof *it);
	it->conn = c;
	it->verb = verb;
	it->key = key;
	it->match = match;
	it->count = count;
	strcpy(it->cursor, "0");
}

int sess_scan_next(struct sess_scan *it, const redisReply **items, struct sess_err *err)
{
	const char *argv[8];
	size_t lens[8];
	char count[24];
	int argc = 0, i;
	struct sess_conn *conn = it->conn;
	redisReply *r;

	sess_scan_free(it);
	if (it->done)
		return 0;
	if (!it->key) {
		if (!it->masters && (it->masters = sess_cluster_masters(it->conn, err)) < 0)
			return it->masters = 0, -1;
		if (!(conn = sess_cluster_master(it->conn, it->master, err)))
			return -1;
	}
	argv[argc++] = it->verb;
	if (it->key)
		argv[argc++] = it->key;
	argv[argc++] = it->cursor;
	if (it->match) {
		argv[argc++] = "MATCH";
		argv[argc++] = it->match;
	}
	if (it->count > 0) {
		snprintf(count, sizeof count, "%ld", it->count);
		argv[argc++] = "COUNT";
		argv[argc++] = count;
	}
	for (i = 0; i < argc; i++)
		lens[i] = strlen(argv[i]);
	if (!(r = sess_conn_cmd(conn, err, argc, argv, lens)))
		return -1;
	if (r->type != REDIS_REPLY_ARRAY || r->elements != 2 ||
	    r->element[0]->type != REDIS_REPLY_STRING || r->element[0]->len >= sizeof it->cursor ||
	    r->element[1]->type != REDIS_REPLY_ARRAY) {
		freeReplyObject(r);
		return sess_reply_bad(err, it->verb);
	}
	memcpy(it->cursor, r->element[0]->str, r->element[0]->len + 1);
	it->done = !strcmp(it->cursor, "0");
	/* the next master's keys, from its first page */
	if (it->done && !it->key && it->master + 1 < it->masters) {
		it->master++;
		it->done = 0;
	}
	it->reply = r;
	*items = r->element[1];
	return 1;
}

void sess_scan_free(struct sess_scan *it)
{
	if (it->reply)
		freeReplyObject(it->reply);
	it->reply = NULL;
}
