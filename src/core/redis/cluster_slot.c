/* cluster_slot.c - the key of a command and its slot (see cluster.h;
 * the slot of a key is model/slot.c); pure functions, no I/O. */
#include "core/redis/cluster.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define LEN(i) (lens ? lens[i] : strlen(argv[i]))

static int is(const char *a, size_t n, const char *word)
{
	return n == strlen(word) && !strncasecmp(a, word, n);
}

/* The index of argv's first key, or -1 when it has none. */
static int first_key(int argc, const char **argv, const size_t *lens)
{
	static const char *const keyless[] = {
		"PING", "INFO", "SCRIPT", "FUNCTION", "DBSIZE", "SCAN", "CLUSTER", "CONFIG",
		"CLIENT", "MULTI", "EXEC", "DISCARD", "WAIT", "ROLE", "TIME", "COMMAND",
		"ECHO", "SELECT", "AUTH", "HELLO", "SLOWLOG", "LATENCY", "DEBUG",
		"FLUSHALL", "FLUSHDB", "SAVE", "BGSAVE", "BGREWRITEAOF", "LASTSAVE",
		"READONLY", "READWRITE", "ASKING", "QUIT", "RANDOMKEY", "KEYS", "SWAPDB",
		"PUBLISH", "SUBSCRIBE", "UNSUBSCRIBE", "PSUBSCRIBE", "PUNSUBSCRIBE",
		"PUBSUB", "ACL", "MONITOR", "RESET", "SHUTDOWN", "REPLICAOF", "SLAVEOF",
		"MODULE", "LOLWUT", "FAILOVER", "UNWATCH", "SYNC", "PSYNC", NULL,
	};
	size_t n0;
	int i;

	if (argc < 1)
		return -1;
	n0 = LEN(0);
	for (i = 0; keyless[i]; i++)
		if (is(argv[0], n0, keyless[i]))
			return -1;
	if (is(argv[0], n0, "EVAL") || is(argv[0], n0, "EVALSHA") || is(argv[0], n0, "EVAL_RO") ||
	    is(argv[0], n0, "EVALSHA_RO") || is(argv[0], n0, "FCALL") || is(argv[0], n0, "FCALL_RO")) {
		char nk[16];
		size_t n;
		if (argc < 4)
			return -1;
		n = LEN(2) < sizeof nk ? LEN(2) : sizeof nk - 1;
		memcpy(nk, argv[2], n);
		nk[n] = '\0';
		return atol(nk) > 0 ? 3 : -1;
	}
	if (is(argv[0], n0, "XREAD") || is(argv[0], n0, "XREADGROUP")) {
		for (i = 1; i + 1 < argc; i++)
			if (is(argv[i], LEN(i), "STREAMS"))
				return i + 1;
		return -1;
	}
	if (is(argv[0], n0, "MEMORY") || is(argv[0], n0, "OBJECT") || is(argv[0], n0, "XINFO"))
		return argc > 2 ? 2 : -1;
	return argc > 1 ? 1 : -1;
}

int sess_cluster_cmd_slot(int argc, const char **argv, const size_t *lens)
{
	int k = first_key(argc, argv, lens);

	return k < 0 ? -1 : sess_slot_of_key(argv[k], LEN(k));
}

int sess_cluster_cmd_reads(int argc, const char **argv, const size_t *lens)
{
	static const char *const reads[] = {
		"GET", "MGET", "STRLEN", "GETRANGE", "EXISTS", "TYPE", "TTL", "PTTL",
		"EXPIRETIME", "PEXPIRETIME", "DUMP", "MEMORY", "OBJECT", "HGET", "HMGET",
		"HGETALL", "HKEYS", "HVALS", "HLEN", "HEXISTS", "HSTRLEN", "HSCAN",
		"HRANDFIELD", "LRANGE", "LLEN", "LINDEX", "SMEMBERS", "SCARD",
		"SISMEMBER", "SSCAN", "ZRANGE", "ZREVRANGE", "ZRANGEBYSCORE",
		"ZREVRANGEBYSCORE", "ZRANGEBYLEX", "ZSCORE", "ZMSCORE", "ZRANK",
		"ZREVRANK", "ZCARD", "ZCOUNT", "ZSCAN", "ZRANDMEMBER", "XRANGE",
		"XREVRANGE", "XLEN", "XREAD", "XINFO", "EVAL_RO", "EVALSHA_RO",
		"FCALL_RO", NULL,
	};
	size_t n0;
	int i;

	if (argc < 1)
		return 0;
	n0 = LEN(0);
	for (i = 0; reads[i]; i++)
		if (is(argv[0], n0, reads[i]))
			return 1;
	return 0;
}

#undef LEN

/* A decimal after lead at *p up to CR LF; the position after it. */
static const char *num_line(const char *p, const char *end, char lead, long *out)
{
	long v = 0;

	if (p >= end || *p++ != lead)
		return NULL;
	if (p >= end || *p < '0' || *p > '9')
		return NULL;
	while (p < end && *p >= '0' && *p <= '9') {
		v = v * 10 + (*p++ - '0');
		if (v > 0x7fffffffL)
			return NULL;
	}
	if (end - p < 2 || p[0] != '\r' || p[1] != '\n')
		return NULL;
	*out = v;
	return p + 2;
}

int sess_cluster_parse_wire(const char *cmd, size_t len, const char **argv,
			    size_t *lens, int max)
{
	const char *p = cmd, *end = cmd + len;
	long argc, i, n;

	if (!(p = num_line(p, end, '*', &argc)))
		return -1;
	for (i = 0; i < argc; i++) {
		if (!(p = num_line(p, end, '$', &n)) || end - p < n + 2)
			return -1;
		if (i < max) {
			argv[i] = p;
			lens[i] = (size_t)n;
		}
		p += n + 2;
	}
	if (p != end)
		return -1;
	return (int)(argc < max ? argc : max);
}
