/* test_cluster - the Redis Cluster client (core/redis/cluster*.c) against
 * a real cluster: a driver run by tests/cluster.bats, one case per run
 * (`test_cluster CASE`), with CLUSTER_URL and CLUSTER_PORTS (the three
 * masters) from helpers/cluster.bash. Prints TAP; exits 1 on a failure.
 * `test_cluster slot` needs no server. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/redis/cluster.h"
#include "core/redis/conn.h"
#include "core/redis/pipe.h"
#include "core/redis/scan.h"
#include "core/redis/scripts.h"
#include "tap.h"

static struct sess_config cfg, plain_cfg;
static int ports[3];

static void ms_sleep(int ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
	nanosleep(&ts, NULL);
}

static int setup(const char *mode, int timeout_ms)
{
	const char *url = getenv("CLUSTER_URL"), *p = getenv("CLUSTER_PORTS");
	struct sess_err err;

	if (!url || !p || sscanf(p, "%d %d %d", &ports[0], &ports[1], &ports[2]) != 3) {
		printf("Bail out! CLUSTER_URL and CLUSTER_PORTS must be set (helpers/cluster.bash)\n");
		return -1;
	}
	sess_config_defaults(&cfg);
	if (sess_config_apply_url(&cfg, url, &err)) {
		printf("Bail out! %s\n", err.msg);
		return -1;
	}
	cfg.command_timeout_ms = timeout_ms;
	snprintf(cfg.cluster, sizeof cfg.cluster, "%s", mode);
	plain_cfg = cfg;
	snprintf(plain_cfg.cluster, sizeof plain_cfg.cluster, "no");
	return 0;
}

/* A plain conn to the master on port (no routing). */
static int node(struct sess_conn *c, int port)
{
	struct sess_endpoint ep;
	struct sess_err err;

	memset(&ep, 0, sizeof ep);
	snprintf(ep.host, sizeof ep.host, "127.0.0.1");
	ep.port = port;
	if (sess_conn_open_at(c, &plain_cfg, &ep, &err)) {
		printf("# node %d: %s\n", port, err.msg);
		return -1;
	}
	return 0;
}

/* The reply of one command on the master on port, as a string ("" when
 * not a string; an integer in decimal). */
static char *on_node(int port, const char *fmt, const char *a, const char *b)
{
	static char out[600];
	struct sess_conn c;
	struct sess_err err;
	redisReply *r;

	out[0] = '\0';
	if (node(&c, port))
		return out;
	if ((r = sess_conn_callf(&c, &err, fmt, a, b))) {
		if (r->type == REDIS_REPLY_INTEGER)
			snprintf(out, sizeof out, "%lld", r->integer);
		else if (r->str)
			snprintf(out, sizeof out, "%s", r->str);
		freeReplyObject(r);
	} else
		snprintf(out, sizeof out, "(%s)", err.msg);
	sess_conn_close(&c);
	return out;
}

/* The port of the node c's map says serves slot. */
static int port_of(struct sess_conn *c, int slot)
{
	int n = sess_cluster_slot_node(c, slot);
	return n < 0 ? -1 : c->cl->nodes[n].ep.port;
}

static int case_slot(void)
{
	const char *eval[] = {"EVALSHA", "abc", "2", "{u1}a", "{u1}b", "x"};
	const char *get[] = {"get", "somekey"};
	const char *ping[] = {"PING"};
	const char *xr[] = {"XREAD", "COUNT", "2", "STREAMS", "foo{hash_tag}", "0"};
	const char *argv[8];
	size_t lens[8];
	char wire[128];
	size_t n;

	/* the slot of a key alone: tests/unit/test_slot */
	ok(sess_cluster_cmd_slot(6, eval, NULL) == sess_slot_of_key("u1", 2), "EVALSHA: the first key after numkeys");
	ok(sess_cluster_cmd_slot(2, get, NULL) == 11058, "GET: argv[1]");
	ok(sess_cluster_cmd_slot(1, ping, NULL) == -1, "PING: no key");
	ok(sess_cluster_cmd_slot(6, xr, NULL) == 2515, "XREAD: the key after STREAMS");
	n = sess_cmd_format(wire, 2, get, NULL);
	ok(sess_cluster_parse_wire(wire, n, argv, lens, 8) == 2 && lens[1] == 7 &&
	   !memcmp(argv[1], "somekey", 7), "the wire format parsed back");
	ok(sess_cluster_parse_wire(wire, n - 1, argv, lens, 8) == -1, "a truncated command refused");
	{
		struct sess_config sc;
		struct sess_endpoint eps[4];
		sess_config_defaults(&sc);
		snprintf(sc.cluster_nodes, sizeof sc.cluster_nodes, "10.0.0.1:7000,[::1]:7001,node3");
		ok(sess_cluster_seeds(&sc, eps, 4) == 3 && !strcmp(eps[0].host, "10.0.0.1") && eps[0].port == 7000 &&
		   !strcmp(eps[1].host, "::1") && eps[1].port == 7001 && !strcmp(eps[2].host, "node3") &&
		   eps[2].port == 6379, "redis.clusterNodes: host:port, [v6]:port, a host alone on 6379");
	}
	return 0;
}

/* Keys written through the router: printed for the bats file to check on
 * each owner with redis-cli (no -c). */
static int case_route(void)
{
	struct sess_conn c;
	struct sess_err err;
	char key[32], val[32];
	int i, bad = 0;

	if (setup("yes", 5000))
		return 1;
	ok(sess_conn_open(&c, &cfg, &err) == 0 && c.cl, "a cluster conn (redis.cluster yes)");
	for (i = 0; i < 30; i++) {
		redisReply *r;
		snprintf(key, sizeof key, "route:%d", i);
		snprintf(val, sizeof val, "v%d", i);
		if (!(r = sess_conn_cmdf(&c, &err, "SET %s %s", key, val))) {
			printf("# SET %s: %s\n", key, err.msg);
			bad++;
			continue;
		}
		freeReplyObject(r);
		printf("# KEY %s %s\n", key, val);
	}
	ok(bad == 0, "30 SETs through the router");
	sess_conn_close(&c);
	return 0;
}

/* The real server's CLUSTER KEYSLOT of "{tag}" for every slot's tag
 * (core/model/slot.h), in one pipeline: the generated table agrees. */
static int case_tags(void)
{
	struct sess_conn c;
	struct sess_err err;
	char key[SESS_SLOT_TAG_MAX + 3];
	int s, bad = 0;

	if (setup("yes", 5000))
		return 1;
	ok(sess_conn_open(&c, &cfg, &err) == 0 && c.cl, "connected");
	for (s = 0; s < SESS_SLOTS; s++) {
		snprintf(key, sizeof key, "{%s}", sess_slot_tag(s));
		if (sess_conn_appendf(&c, &err, "CLUSTER KEYSLOT %s", key))
			bad++;
	}
	ok(bad == 0 && sess_conn_send(&c, &err) == 0, "%d CLUSTER KEYSLOT sent", SESS_SLOTS);
	for (s = 0; s < SESS_SLOTS; s++) {
		redisReply *r;
		if (sess_conn_read(&c, &r, &err)) {
			printf("# read %d: %s\n", s, err.msg);
			return 1;
		}
		if (!(r->type == REDIS_REPLY_INTEGER && r->integer == s) && bad++ < 3)
			printf("# slot %d: the server puts {%s} in %lld\n", s, sess_slot_tag(s),
			       r->type == REDIS_REPLY_INTEGER ? r->integer : -1LL);
		freeReplyObject(r);
	}
	ok(bad == 0, "the server puts {tag} in its slot, for every slot (%d wrong)", bad);
	sess_conn_close(&c);
	return 0;
}

static int case_pipeline(void)
{
	enum { N = 600 };
	struct sess_conn c;
	struct sess_err err;
	char key[32], val[32];
	int i, bad = 0, seen[3] = {0}, k;

	if (setup("yes", 5000))
		return 1;
	ok(sess_conn_open(&c, &cfg, &err) == 0 && c.cl, "connected");
	for (i = 0; i < N; i++) {
		snprintf(key, sizeof key, "pipe:%d", i);
		snprintf(val, sizeof val, "%d", i);
		if (sess_conn_appendf(&c, &err, "SET %s %s", key, val) ||
		    sess_conn_appendf(&c, &err, "INCR %s", key) ||
		    sess_conn_appendf(&c, &err, "GET %s", key))
			bad++;
		for (k = 0; k < 3; k++)
			if (port_of(&c, sess_slot_of_key(key, strlen(key))) == ports[k])
				seen[k] = 1;
	}
	ok(bad == 0, "%d commands queued", 3 * N);
	ok(seen[0] && seen[1] && seen[2], "their keys are on all three masters");
	ok(sess_conn_send(&c, &err) == 0, "sent");
	for (i = 0; i < N; i++) {
		redisReply *r[3];
		char want[32];
		for (k = 0; k < 3; k++)
			if (sess_conn_read(&c, &r[k], &err)) {
				printf("# read %d: %s\n", i, err.msg);
				return 1;
			}
		snprintf(want, sizeof want, "%d", i + 1);
		if (!(r[0]->type == REDIS_REPLY_STATUS && !strcmp(r[0]->str, "OK") &&
		      r[1]->type == REDIS_REPLY_INTEGER && r[1]->integer == i + 1 &&
		      r[2]->type == REDIS_REPLY_STRING && !strcmp(r[2]->str, want)))
			bad++;
		for (k = 0; k < 3; k++)
			freeReplyObject(r[k]);
	}
	ok(bad == 0, "every reply in input order (OK, i+1, \"i+1\" for key i)");

	/* a transaction goes whole to the node of its keys */
	{
		char tk[32];
		redisReply *r[5];
		int got = 0, t;
		/* a key the seed (the node of keyless commands) does not serve */
		for (t = 0; t < 100; t++) {
			snprintf(tk, sizeof tk, "{t%d}a", t);
			if (port_of(&c, sess_slot_of_key(tk, strlen(tk))) != ports[0])
				break;
		}
		sess_conn_appendf(&c, &err, "PING");
		sess_conn_appendf(&c, &err, "MULTI");
		sess_conn_appendf(&c, &err, "SET %s 1", tk);
		sess_conn_appendf(&c, &err, "INCR %s", tk);
		sess_conn_appendf(&c, &err, "EXEC");
		for (; got < 5 && !sess_conn_read(&c, &r[got], &err); got++)
			;
		ok(got == 5 && r[1]->type == REDIS_REPLY_STATUS && r[2]->type == REDIS_REPLY_STATUS &&
		   !strcmp(r[2]->str, "QUEUED") && r[4]->type == REDIS_REPLY_ARRAY && r[4]->elements == 2 &&
		   r[4]->element[1]->integer == 2, "MULTI, SET, INCR, EXEC on the key's node: [OK, 2]");
		while (got > 0)
			freeReplyObject(r[--got]);
	}
	/* a transaction over two slots: EXEC names why it was discarded */
	{
		redisReply *r[4];
		struct sess_err e2;
		char xk[32];
		int got = 0, t, pass;
		/* 0: queued whole (the server answers EXEC with CROSSSLOT);
		 * 1: MULTI sent before its keys were known, so it went to the
		 * keyless node, which refuses a key of another (MOVED at queue
		 * time, then "EXECABORT ... previous errors") */
		for (pass = 0; pass < 2; pass++) {
			for (t = 0; t < 100; t++) {
				snprintf(xk, sizeof xk, "{x%d}a", t);
				if (port_of(&c, sess_slot_of_key(xk, strlen(xk))) != ports[0])
					break;
			}
			got = 0;
			sess_conn_appendf(&c, &err, "MULTI");
			if (pass)
				sess_conn_send(&c, &err);
			sess_conn_appendf(&c, &err, "SET %s 1", xk);
			sess_conn_appendf(&c, &err, "SET {y%d}b 1", t);
			sess_conn_appendf(&c, &err, "EXEC");
			for (; got < 4 && !sess_conn_read(&c, &r[got], &err); got++)
				;
			ok(got == 4 && r[3]->type == REDIS_REPLY_ERROR && strstr(r[3]->str, "CROSSSLOT"),
			   "EXEC of a transaction over two slots (%s): %s", pass ? "MULTI sent first" : "queued whole",
			   got == 4 && r[3]->str ? r[3]->str : "?");
			ok(got == 4 && sess_conn_reply_error(&c, r[3], &e2) == -1 && !strcmp(e2.kind, "crossslot") &&
			   e2.cls == SESS_E_CONFIG, "mapped to the CROSSSLOT message (78): %s", got == 4 ? e2.msg : "");
			while (got > 0)
				freeReplyObject(r[--got]);
		}
	}
	sess_conn_close(&c);
	return 0;
}

/* SETSLOT slot NODE id on every master (the new owner first). */
static void setslot_node(int slot, int owner)
{
	char s[16];
	char id[64];
	int k;

	snprintf(s, sizeof s, "%d", slot);
	snprintf(id, sizeof id, "%s", on_node(owner, "CLUSTER MYID", NULL, NULL));
	on_node(owner, "CLUSTER SETSLOT %s NODE %s", s, id);
	for (k = 0; k < 3; k++)
		if (ports[k] != owner)
			on_node(ports[k], "CLUSTER SETSLOT %s NODE %s", s, id);
}

static int other(int port)
{
	return port == ports[0] ? ports[1] : ports[0];
}

static int is_str_reply(const redisReply *r, const char *s)
{
	return r->str && !strcmp(r->str, s);
}

static int case_moved(void)
{
	struct sess_conn c;
	struct sess_err err;
	const char *key = "moved:1";
	int slot = sess_slot_of_key(key, strlen(key)), a, b;
	char s[16];
	redisReply *r;

	if (setup("yes", 5000))
		return 1;
	ok(sess_conn_open(&c, &cfg, &err) == 0 && c.cl, "connected, the map read");
	a = port_of(&c, slot);
	b = other(a);
	snprintf(s, sizeof s, "%d", slot);
	ok(!strcmp(on_node(a, "CLUSTER COUNTKEYSINSLOT %s", s, NULL), "0"), "slot %d is empty on %d", slot, a);
	setslot_node(slot, b);
	r = sess_conn_cmdf(&c, &err, "SET %s moved", key);
	ok(r != NULL, "SET after the slot moved: %s", r ? "ok" : err.msg);
	if (r)
		freeReplyObject(r);
	ok(port_of(&c, slot) == b, "MOVED updated the map: slot %d on %d", slot, b);
	is_str(on_node(b, "GET %s", key, NULL), "moved", "the key is on the new owner");
	sess_conn_close(&c);

	/* the same in the middle of a pipeline, with a stale map (a new
	 * conn from the cache... or read again: move the slot back after the
	 * map is read): the redirected command goes to a node that already
	 * has later commands of the pipeline in flight */
	ok(sess_conn_open(&c, &cfg, &err) == 0 && port_of(&c, slot) == b, "connected again, slot %d on %d", slot, b);
	on_node(b, "DEL %s", key, NULL);
	setslot_node(slot, a);
	{
		char k[32], want[32];
		int i, bad = 0;
		for (i = 0; i < 40; i++) {
			snprintf(k, sizeof k, "mp:%d", i);
			sess_conn_appendf(&c, &err, "SET %s %d", k, i);
			if (i == 10)
				sess_conn_appendf(&c, &err, "INCR %s", key);
		}
		for (i = 0; i < 41; i++) {
			redisReply *x;
			if (sess_conn_read(&c, &x, &err)) {
				printf("# read %d: %s\n", i, err.msg);
				bad++;
				break;
			}
			if (i == 11)
				bad += !(x->type == REDIS_REPLY_INTEGER && x->integer == 1);
			else
				bad += !(x->type == REDIS_REPLY_STATUS && !strcmp(x->str, "OK"));
			freeReplyObject(x);
		}
		ok(bad == 0, "a pipeline with a MOVED in its middle: every reply in input order");
		for (i = 0; i < 40; i++) {
			snprintf(k, sizeof k, "mp:%d", i);
			snprintf(want, sizeof want, "%d", i);
			r = sess_conn_cmdf(&c, &err, "GET %s", k);
			bad += !(r && r->str && !strcmp(r->str, want));
			if (r)
				freeReplyObject(r);
		}
		ok(bad == 0, "and every value where it belongs");
	}
	ok(port_of(&c, slot) == a && !strcmp(on_node(a, "GET %s", key, NULL), "1"), "the INCR ran on %d", a);
	sess_conn_close(&c);
	return 0;
}

static int case_ask(void)
{
	struct sess_conn c;
	struct sess_err err;
	const char *k1 = "ask{t}1", *k2 = "ask{t}2";
	int slot = sess_slot_of_key(k1, strlen(k1)), a, b;
	char s[16], ida[64], idb[64], bport[16];
	redisReply *r;

	if (setup("yes", 5000))
		return 1;
	ok(sess_conn_open(&c, &cfg, &err) == 0 && c.cl, "connected");
	a = port_of(&c, slot);
	b = other(a);
	snprintf(s, sizeof s, "%d", slot);
	snprintf(bport, sizeof bport, "%d", b);
	snprintf(ida, sizeof ida, "%s", on_node(a, "CLUSTER MYID", NULL, NULL));
	snprintf(idb, sizeof idb, "%s", on_node(b, "CLUSTER MYID", NULL, NULL));
	r = sess_conn_cmdf(&c, &err, "MSET %s one %s two", k1, k2);
	ok(r != NULL, "two keys of one slot written");
	if (r)
		freeReplyObject(r);
	on_node(b, "CLUSTER SETSLOT %s IMPORTING %s", s, ida);
	on_node(a, "CLUSTER SETSLOT %s MIGRATING %s", s, idb);
	{
		struct sess_conn n;
		if (!node(&n, a)) {
			r = sess_conn_cmdf(&n, &err, "MIGRATE 127.0.0.1 %s %s 0 5000 KEYS %s", bport, "", k1);
			/* OK, not NOKEY: it moved */
			ok(r != NULL && is_str_reply(r, "OK"), "%s migrated to %d: %s", k1, b,
			   r ? (r->str ? r->str : "?") : err.msg);
			if (r)
				freeReplyObject(r);
			sess_conn_close(&n);
		}
	}
	r = sess_conn_cmdf(&c, &err, "GET %s", k1);
	ok(r && r->str && !strcmp(r->str, "one"), "GET of the migrated key follows ASK: %s", r ? (r->str ? r->str : "?") : err.msg);
	if (r)
		freeReplyObject(r);
	ok(port_of(&c, slot) == a, "ASK leaves the map alone");
	r = sess_conn_cmdf(&c, &err, "GET %s", k2);
	ok(r && r->str && !strcmp(r->str, "two"), "the key not migrated yet is read at the source");
	if (r)
		freeReplyObject(r);
	/* a request for both keys mid-migration is TRYAGAIN until the
	 * migration ends (here 600 ms later, in a child) */
	{
		pid_t pid;
		long long t0 = sess_stream_now_ms();
		if ((pid = fork()) == 0) {
			struct sess_conn n;
			ms_sleep(600);
			if (!node(&n, a)) {
				r = sess_conn_cmdf(&n, &err, "MIGRATE 127.0.0.1 %s %s 0 5000 KEYS %s", bport, "", k2);
				if (r)
					freeReplyObject(r);
				sess_conn_close(&n);
			}
			setslot_node(slot, b);
			_exit(0);
		}
		r = sess_conn_cmdf(&c, &err, "MGET %s %s", k1, k2);
		ok(r && r->type == REDIS_REPLY_ARRAY && r->elements == 2 && r->element[0]->str &&
		   !strcmp(r->element[0]->str, "one") && r->element[1]->str && !strcmp(r->element[1]->str, "two"),
		   "MGET of both keys mid-migration waits out TRYAGAIN: %s", r ? "[one, two]" : err.msg);
		ok(sess_stream_now_ms() - t0 >= 500, "it waited for the migration (%lld ms)", sess_stream_now_ms() - t0);
		if (r)
			freeReplyObject(r);
		waitpid(pid, NULL, 0);
	}
	r = sess_conn_cmdf(&c, &err, "GET %s", k2);
	ok(r && r->str && !strcmp(r->str, "two") && port_of(&c, slot) == b, "after the migration: MOVED to %d", b);
	if (r)
		freeReplyObject(r);
	sess_conn_close(&c);
	return 0;
}

static int case_down(void)
{
	struct sess_conn c;
	struct sess_err err;
	const char *key = "down:1";
	int slot = sess_slot_of_key(key, strlen(key)), a, k;
	char s[16];
	redisReply *r;
	long long t0;
	pid_t pid;

	if (setup("yes", 15000))
		return 1;
	ok(sess_conn_open(&c, &cfg, &err) == 0 && c.cl, "connected");
	a = port_of(&c, slot);
	snprintf(s, sizeof s, "%d", slot);
	for (k = 0; k < 3; k++)
		on_node(ports[k], "CLUSTER DELSLOTS %s", s, NULL);
	/* the slot served again 700 ms later */
	if ((pid = fork()) == 0) {
		ms_sleep(700);
		on_node(a, "CLUSTER ADDSLOTS %s", s, NULL);
		_exit(0);
	}
	t0 = sess_stream_now_ms();
	r = sess_conn_cmdf(&c, &err, "SET %s up", key);
	ok(r != NULL, "SET waits out CLUSTERDOWN until the slot is back: %s", r ? "ok" : err.msg);
	ok(sess_stream_now_ms() - t0 >= 600, "it waited (%lld ms)", sess_stream_now_ms() - t0);
	if (r)
		freeReplyObject(r);
	waitpid(pid, NULL, 0);
	sess_conn_close(&c);

	/* and gives up at the command timeout, naming the problem */
	cfg.command_timeout_ms = 400;
	ok(sess_conn_open(&c, &cfg, &err) == 0, "connected again (400 ms command timeout)");
	for (k = 0; k < 3; k++)
		on_node(ports[k], "CLUSTER DELSLOTS %s", s, NULL);
	ms_sleep(100);
	r = sess_conn_cmdf(&c, &err, "SET %s up", key);
	ok(!r && err.cls == SESS_E_TEMP && strstr(err.msg, "CLUSTERDOWN"), "an uncovered slot: 75, %s", r ? "(a reply)" : err.msg);
	if (r)
		freeReplyObject(r);
	on_node(a, "CLUSTER ADDSLOTS %s", s, NULL);
	sess_conn_close(&c);
	return 0;
}

/* cache PHASE: write (cluster yes writes the file), use (auto opens
 * through it without CLUSTER SLOTS), stale/bad (auto: read again). */
static int case_cache(const char *phase)
{
	struct sess_conn c;
	struct sess_err err;
	char path[1100], line[256], id[64], before[64];
	struct stat st;
	FILE *f;
	redisReply *r;

	if (setup(!strcmp(phase, "write") ? "yes" : "auto", 5000))
		return 1;
	{
		/* CLUSTER SLOTS calls on the seed so far */
		struct sess_conn n;
		before[0] = '\0';
		if (!node(&n, ports[0])) {
			const char *p;
			r = sess_conn_cmdf(&n, &err, "INFO commandstats");
			p = r && r->str ? strstr(r->str, "cmdstat_cluster|slots:calls=") : NULL;
			snprintf(before, sizeof before, "%ld", p ? atol(p + 28) : 0L);
			if (r)
				freeReplyObject(r);
			sess_conn_close(&n);
		}
	}
	ok(sess_conn_open(&c, &cfg, &err) == 0, "connected (%s)", cfg.cluster);
	ok(c.cl != NULL, "a cluster conn");
	ok(sess_cluster_cache_path(&c, path, sizeof path) == 0, "a cache path: %s", path);
	r = sess_conn_cmdf(&c, &err, "SET cache:%s x", phase);
	ok(r != NULL, "a command routed");
	if (r)
		freeReplyObject(r);
	ok(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600, "the file is there, mode 0600");
	snprintf(id, sizeof id, "%s", on_node(ports[0], "CLUSTER MYID", NULL, NULL));
	ok((f = fopen(path, "r")) && fgets(line, sizeof line, f) && fgets(line, sizeof line, f) &&
	   !strncmp(line, "seed ", 5) && !strncmp(line + 5, id, 40), "it names the seed's node id now");
	if (f)
		fclose(f);
	{
		struct sess_conn n;
		long after = -1;
		if (!node(&n, ports[0])) {
			const char *p;
			r = sess_conn_cmdf(&n, &err, "INFO commandstats");
			p = r && r->str ? strstr(r->str, "cmdstat_cluster|slots:calls=") : NULL;
			after = p ? atol(p + 28) : 0L;
			if (r)
				freeReplyObject(r);
			sess_conn_close(&n);
		}
		printf("# CLUSTER SLOTS on the seed: %s before, %ld after\n", before, after);
		if (!strcmp(phase, "use"))
			ok(after == atol(before), "the cache was used: no CLUSTER SLOTS");
		else
			ok(after > atol(before), "the map was read (CLUSTER SLOTS)");
	}
	sess_conn_close(&c);
	return 0;
}

static int case_scan(void)
{
	struct sess_conn c;
	struct sess_err err;
	struct sess_scan it;
	const redisReply *page;
	char key[32];
	int i, rc, n = 0;
	size_t j;

	if (setup("yes", 5000))
		return 1;
	ok(sess_conn_open(&c, &cfg, &err) == 0, "connected");
	for (i = 0; i < 100; i++) {
		snprintf(key, sizeof key, "scan:%d", i);
		sess_conn_appendf(&c, &err, "SET %s 1", key);
	}
	for (i = 0; i < 100; i++) {
		redisReply *r;
		if (!sess_conn_read(&c, &r, &err))
			freeReplyObject(r);
	}
	ok(sess_cluster_masters(&c, &err) == 3, "three masters");
	sess_scan_init(&it, &c, "SCAN", NULL, "scan:*", 10);
	while ((rc = sess_scan_next(&it, &page, &err)) == 1)
		for (j = 0; j < page->elements; j++)
			n++;
	sess_scan_free(&it);
	ok(rc == 0, "the walk ended");
	ok(n >= 100, "SCAN over every master saw the 100 keys (%d, duplicates allowed)", n);
	{
		const char *dbsize[] = {"DBSIZE"};
		redisReply **rs;
		long long sum = 0;
		int m = 0, k;
		ok(sess_cluster_each(&c, 1, dbsize, NULL, &rs, &m, &err) == 0 && m == 3, "DBSIZE on every master");
		for (k = 0; k < m; k++) {
			sum += rs[k]->type == REDIS_REPLY_INTEGER ? rs[k]->integer : 0;
			freeReplyObject(rs[k]);
		}
		if (m)
			free(rs);
		ok(sum == 100, "their sum is the 100 keys (%lld)", sum);
	}
	sess_conn_close(&c);
	return 0;
}

/* redis.cluster auto without a cache: a standalone conn until the first
 * redirection, then a cluster conn. */
static int case_auto(void)
{
	struct sess_conn c;
	struct sess_err err;
	char key[32];
	int i, slot = -1;
	redisReply *r;

	if (setup("auto", 5000))
		return 1;
	ok(sess_conn_open(&c, &cfg, &err) == 0 && !c.cl, "auto without a cache: no probe, a plain conn");
	/* a key on another master than the seed */
	for (i = 0; i < 100; i++) {
		snprintf(key, sizeof key, "auto:%d", i);
		slot = sess_slot_of_key(key, strlen(key));
		if (strstr(on_node(ports[0], "GET %s", key, NULL), "MOVED"))
			break;
	}
	r = sess_conn_cmdf(&c, &err, "SET %s auto", key);
	ok(r != NULL && c.cl, "a key of another master: the redirection made it a cluster conn (%s)", r ? "ok" : err.msg);
	if (r)
		freeReplyObject(r);
	is_str(on_node(port_of(&c, slot), "GET %s", key, NULL), "auto", "the key is on its owner");
	sess_conn_close(&c);
	return 0;
}

/* A node's connection lost between two commands: sent again there. */
static int case_lost(void)
{
	struct sess_conn c;
	struct sess_err err;
	const char *key = "lost:1";
	int slot = sess_slot_of_key(key, strlen(key)), owner;
	redisReply *r, *g;

	if (setup("yes", 5000))
		return 1;
	ok(sess_conn_open(&c, &cfg, &err) == 0, "connected");
	r = sess_conn_cmdf(&c, &err, "SET %s 1", key);
	ok(r != NULL, "a first command opened its node's connection");
	if (r)
		freeReplyObject(r);
	owner = port_of(&c, slot);
	on_node(owner, "CLIENT KILL TYPE normal", NULL, NULL);
	sess_conn_appendf(&c, &err, "INCR %s", key);
	sess_conn_appendf(&c, &err, "GET %s", key);
	r = g = NULL;
	ok(sess_conn_read(&c, &r, &err) == 0 && sess_conn_read(&c, &g, &err) == 0 &&
	   r->type == REDIS_REPLY_INTEGER && r->integer == 2 && g->str && !strcmp(g->str, "2"),
	   "after its node closed the connection: reconnected, sent again (%s)", err.msg);
	if (r)
		freeReplyObject(r);
	if (g)
		freeReplyObject(g);
	ok(sess_conn_ok(&c), "the cluster conn is fine");
	sess_conn_close(&c);
	return 0;
}

/* Durable writes (WAIT, cluster.h): a write answered on a connection that
 * was lost afterwards is vouched for by nobody, even when a later write in
 * the same WAIT window went through the reopened connection: the WAIT says
 * NOTDURABLE. */
static int case_wgen(void)
{
	struct sess_conn c;
	struct sess_err err = {0};
	const char *a = "{wg}a", *b = "{wg}b";
	int owner;
	redisReply *r;

	if (setup("yes", 5000))
		return 1;
	ok(sess_conn_open(&c, &cfg, &err) == 0, "connected");
	r = sess_conn_cmdf(&c, &err, "SET %s 1", a);
	ok(r != NULL, "the first write answered");
	if (r)
		freeReplyObject(r);
	owner = port_of(&c, sess_slot_of_key(a, strlen(a)));
	on_node(owner, "CLIENT KILL TYPE normal", NULL, NULL);
	r = sess_conn_cmdf(&c, &err, "SET %s 2", b);
	ok(r != NULL, "the second write answered on a reopened connection (%s)", r ? "" : err.msg);
	if (r)
		freeReplyObject(r);
	/* (an error reply comes back as err) */
	r = sess_conn_cmdf(&c, &err, "WAIT 0 100");
	ok(!r && strstr(err.msg, "NOTDURABLE"), "WAIT: NOTDURABLE, the first write's connection is gone (%s)",
	   r ? "an integer reply" : err.msg);
	if (r)
		freeReplyObject(r);
	sess_conn_close(&c);
	return 0;
}

/* A pipelined WAIT whose reply is read before the write ahead of it is
 * answered (the write sent again after it, here after CLUSTERDOWN) vouches
 * for nothing: the WAIT is asked again behind the write. Counted on the
 * node: two WAITs there (the early one and the one asked again). */
static int case_earlywait(void)
{
	struct sess_conn c;
	struct sess_err err = {0};
	const char *key = "ew:1";
	int slot = sess_slot_of_key(key, strlen(key)), a, k;
	char s[16], *st;
	redisReply *r = NULL, *w = NULL;
	pid_t pid;

	if (setup("yes", 15000))
		return 1;
	ok(sess_conn_open(&c, &cfg, &err) == 0 && c.cl, "connected");
	a = port_of(&c, slot);
	snprintf(s, sizeof s, "%d", slot);
	on_node(a, "CONFIG RESETSTAT", NULL, NULL);
	for (k = 0; k < 3; k++)
		on_node(ports[k], "CLUSTER DELSLOTS %s", s, NULL);
	if ((pid = fork()) == 0) {
		ms_sleep(700);
		on_node(a, "CLUSTER ADDSLOTS %s", s, NULL);
		_exit(0);
	}
	sess_conn_appendf(&c, &err, "SET %s up", key);
	sess_conn_appendf(&c, &err, "WAIT 0 100");
	ok(sess_conn_read(&c, &r, &err) == 0 && r && r->type == REDIS_REPLY_STATUS, "the write, after CLUSTERDOWN (%s)",
	   r ? "" : err.msg);
	ok(sess_conn_read(&c, &w, &err) == 0 && w && w->type == REDIS_REPLY_INTEGER, "the WAIT's count");
	if (r)
		freeReplyObject(r);
	if (w)
		freeReplyObject(w);
	waitpid(pid, NULL, 0);
	st = on_node(a, "INFO commandstats", NULL, NULL);
	st = strstr(st, "cmdstat_wait:calls=");
	ok(st && atoi(st + 19) == 2, "the WAIT asked again behind the write sent again (%d WAITs)",
	   st ? atoi(st + 19) : -1);
	sess_conn_close(&c);
	return 0;
}

/* The master of a key killed (kill -9): its replica is promoted, the
 * map is read again from the other nodes, the command goes there. */
static int case_failover(void)
{
	struct sess_conn c;
	struct sess_err err;
	char key[32];
	int slot = 0, owner, now, i;
	char info[600];
	const char *pp;
	long pid;
	redisReply *r;

	/* 60 s for the promotion: node timeout 2 s, then the election, slower
	 * on a loaded 2-core machine */
	if (setup("yes", 60000))
		return 1;
	ok(sess_conn_open(&c, &cfg, &err) == 0, "connected");
	/* a key of the seed's, so the seed itself goes */
	for (i = 0; i < 1000; i++) {
		snprintf(key, sizeof key, "fo:%d", i);
		slot = sess_slot_of_key(key, strlen(key));
		if (port_of(&c, slot) == ports[0])
			break;
	}
	r = sess_conn_cmdf(&c, &err, "SET %s before", key);
	ok(r != NULL, "written on its master");
	if (r)
		freeReplyObject(r);
	owner = port_of(&c, slot);
	/* the write reached the replica before the kill: WAIT counts the
	 * writes of its own connection, so the value is written again on a
	 * plain connection to the owner, and WAIT asked there (a WAIT on a
	 * fresh connection answered at once, and under load the replica could
	 * be promoted without the value) */
	{
		struct sess_conn pc;
		redisReply *w = NULL;
		if (node(&pc, owner) == 0) {
			if ((w = sess_conn_callf(&pc, &err, "SET %s before", key)))
				freeReplyObject(w);
			w = sess_conn_callf(&pc, &err, "WAIT 1 20000");
		}
		ok(w && w->type == REDIS_REPLY_INTEGER && w->integer >= 1, "the replica acknowledged the write");
		if (w)
			freeReplyObject(w);
		sess_conn_close(&pc);
	}
	snprintf(info, sizeof info, "%s", on_node(owner, "INFO server", NULL, NULL));
	pp = strstr(info, "process_id:");
	pid = pp ? atol(pp + 11) : 0;
	ok(pid > 0 && kill((pid_t)pid, SIGKILL) == 0, "master %d, the seed (pid %ld), killed", owner, pid);
	ms_sleep(100);
	ok(sess_conn_reopen(&c, &err) == 0 && c.cl, "reopened at another master it knew (%s)", err.msg);
	r = sess_conn_cmdf(&c, &err, "APPEND %s +after", key);
	ok(r != NULL, "a write to its slot waits for the failover and lands (%s)", r ? "ok" : err.msg);
	if (r)
		freeReplyObject(r);
	now = port_of(&c, slot);
	ok(now > 0 && now != owner, "the slot is served by the promoted replica (%d)", now);
	is_str(on_node(now, "GET %s", key, NULL), "before+after", "the value there holds both writes");
	sess_conn_close(&c);
	return 0;
}

static int case_scripts(void)
{
	struct sess_conn c;
	struct sess_err err;
	const char *key = "{scr}k";
	const char *sha = sess_script_sha(SESS_LUA_CREATE);
	int slot = sess_slot_of_key(key, strlen(key)), k, owner, loaded = 0;
	redisReply *r;

	if (setup("yes", 5000))
		return 1;
	snprintf(cfg.scripts, sizeof cfg.scripts, "eval"); /* the EVALSHA path */
	ok(sess_conn_open(&c, &cfg, &err) == 0, "connected");
	owner = port_of(&c, slot);
	for (k = 0; k < 3; k++)
		on_node(ports[k], "SCRIPT FLUSH", NULL, NULL);
	r = sess_script_call(&c, SESS_LUA_CREATE, 1, &key, 0, NULL, &err);
	ok(r || !strstr(err.msg, "NOSCRIPT"), "EVALSHA after SCRIPT FLUSH ran (%s)", r ? "a reply" : err.msg);
	if (r)
		freeReplyObject(r);
	for (k = 0; k < 3; k++) {
		struct sess_conn n;
		if (node(&n, ports[k]))
			continue;
		r = sess_conn_cmdf(&n, &err, "SCRIPT EXISTS %s", sha);
		if (r && r->type == REDIS_REPLY_ARRAY && r->elements == 1 && r->element[0]->integer == 1)
			loaded |= 1 << k;
		if (r)
			freeReplyObject(r);
		sess_conn_close(&n);
	}
	ok(loaded == 1 << (owner == ports[0] ? 0 : owner == ports[1] ? 1 : 2),
	   "it was loaded on the node of its key only (mask %d)", loaded);
	ok(sess_script_load_all(&c, &err) == 0, "sess_script_load_all");
	loaded = 0;
	for (k = 0; k < 3; k++) {
		struct sess_conn n;
		if (node(&n, ports[k]))
			continue;
		r = sess_conn_cmdf(&n, &err, "SCRIPT EXISTS %s", sha);
		if (r && r->type == REDIS_REPLY_ARRAY && r->elements == 1 && r->element[0]->integer == 1)
			loaded |= 1 << k;
		if (r)
			freeReplyObject(r);
		sess_conn_close(&n);
	}
	ok(loaded == 7, "then on every master (mask %d)", loaded);

	/* a pipeline of EVALSHAs over every master after SCRIPT FLUSH: each
	 * node's NOSCRIPT is met by EVAL there (pipe.c through the router) */
	{
		struct sess_pipe p;
		const char *argv[SESS_SCRIPT_MAXARGS + 3];
		size_t lens[SESS_SCRIPT_MAXARGS + 3];
		char nk[8], keys[30][32];
		int i, argc, bad = 0, nos = 0;
		for (k = 0; k < 3; k++)
			on_node(ports[k], "SCRIPT FLUSH", NULL, NULL);
		sess_pipe_init(&p, &c);
		for (i = 0; i < 30; i++) {
			const char *kp = keys[i];
			snprintf(keys[i], sizeof keys[i], "{p%d}k", i);
			argc = sess_script_argv(SESS_LUA_CREATE, 1, &kp, 0, NULL, argv, lens, nk);
			if (sess_pipe_argv(&p, SESS_LUA_CREATE, i, argc, argv, lens, &err))
				bad++;
		}
		for (i = 0; i < 30; i++) {
			long tag = -1;
			if (sess_pipe_next(&p, &r, &tag, &err)) {
				bad++;
				break;
			}
			bad += tag != i;
			nos += sess_script_is_noscript(r);
			freeReplyObject(r);
		}
		sess_pipe_free(&p);
		ok(bad == 0 && nos == 0, "30 EVALSHAs over 3 flushed masters: every one ran, in order (%d bad, %d NOSCRIPT)",
		   bad, nos);
	}
	sess_conn_close(&c);
	return 0;
}

/* The masters (a bit per port) that hold this sesskit's library. */
static int with_library(void)
{
	int k, mask = 0;

	for (k = 0; k < 3; k++) {
		struct sess_conn n;
		struct sess_err err;
		redisReply *r;
		if (node(&n, ports[k]))
			continue;
		r = sess_conn_cmdf(&n, &err, "FUNCTION LIST LIBRARYNAME %s", sess_lua_library_name);
		if (r && r->type == REDIS_REPLY_ARRAY && r->elements == 1)
			mask |= 1 << k;
		if (r)
			freeReplyObject(r);
		sess_conn_close(&n);
	}
	return mask;
}

/* The FCALL path (redis.scripts auto on Redis 7): the library is loaded on
 * every master when one lacks it, in a single call and in a pipeline
 * over every master after FUNCTION FLUSH ("Function not found" is the
 * NOSCRIPT of functions: a new node, a failover to an empty one). */
static int case_functions(void)
{
	struct sess_conn c;
	struct sess_err err;
	const char *key = "{scr}k";
	int k, fcalls = 0;
	redisReply *r;

	if (setup("yes", 5000))
		return 1;
	ok(sess_conn_open(&c, &cfg, &err) == 0, "connected");
	for (k = 0; k < 3; k++) {
		on_node(ports[k], "FUNCTION FLUSH", NULL, NULL);
		on_node(ports[k], "SCRIPT FLUSH", NULL, NULL);
		on_node(ports[k], "CONFIG RESETSTAT", NULL, NULL);
	}
	r = sess_script_call(&c, SESS_LUA_CREATE, 1, &key, 0, NULL, &err);
	ok(r || !strstr(err.msg, "Function"), "FCALL after FUNCTION FLUSH ran (%s)", r ? "a reply" : err.msg);
	if (r)
		freeReplyObject(r);
	ok(with_library() == 7, "the library was loaded on every master (mask %d)", with_library());
	ok(sess_script_mode(&c) == SESS_SCRIPTS_FCALL, "the connection calls functions");
	/* FUNCTION FLUSH on one master only: a new node, or a failover */
	on_node(ports[1], "FUNCTION FLUSH", NULL, NULL);
	ok(sess_script_prepare(&c, &err) == 0 && with_library() == 7,
	   "sess_script_prepare loads it where it is missing (mask %d)", with_library());
	{
		struct sess_pipe p;
		const char *argv[SESS_SCRIPT_MAXARGS + 3];
		size_t lens[SESS_SCRIPT_MAXARGS + 3];
		char nk[8], keys[30][32];
		int i, argc, bad = 0, refused = 0;
		for (k = 0; k < 3; k++)
			on_node(ports[k], "FUNCTION FLUSH", NULL, NULL);
		sess_pipe_init(&p, &c);
		for (i = 0; i < 30; i++) {
			const char *kp = keys[i];
			snprintf(keys[i], sizeof keys[i], "{f%d}k", i);
			argc = sess_script_argv(SESS_LUA_CREATE, 1, &kp, 0, NULL, argv, lens, nk);
			if (sess_pipe_argv(&p, SESS_LUA_CREATE, i, argc, argv, lens, &err))
				bad++;
		}
		for (i = 0; i < 30; i++) {
			long tag = -1;
			if (sess_pipe_next(&p, &r, &tag, &err)) {
				bad++;
				break;
			}
			bad += tag != i;
			refused += sess_script_is_fn_refusal(r) || sess_script_is_noscript(r);
			/* create refuses one key: the script ran */
			bad += !(r->type == REDIS_REPLY_ERROR && strstr(r->str, "SESSBADARG"));
			freeReplyObject(r);
		}
		sess_pipe_free(&p);
		ok(bad == 0 && refused == 0,
		   "30 FCALLs over 3 flushed masters: every one ran, in order (%d bad, %d refused)", bad, refused);
	}
	ok(with_library() == 7, "the library is back on every master (mask %d)", with_library());
	for (k = 0; k < 3; k++) {
		const char *st;
		struct sess_conn n;
		if (node(&n, ports[k]))
			continue;
		if ((r = sess_conn_cmdf(&n, &err, "INFO commandstats"))) {
			st = r->str ? strstr(r->str, "cmdstat_fcall:calls=") : NULL;
			fcalls += st ? atoi(st + 20) : 0;
			ok(!r->str || !strstr(r->str, "cmdstat_evalsha:"), "no EVALSHA on master %d", k);
			freeReplyObject(r);
		}
		sess_conn_close(&n);
	}
	ok(fcalls >= 31, "the calls were FCALLs (%d)", fcalls);
	sess_conn_close(&c);
	return 0;
}

int main(int argc, char **argv)
{
	const char *what = argc > 1 ? argv[1] : "slot";
	int rc = 0;

	signal(SIGPIPE, SIG_IGN);
	if (!strcmp(what, "slot"))
		rc = case_slot();
	else if (!strcmp(what, "tags"))
		rc = case_tags();
	else if (!strcmp(what, "route"))
		rc = case_route();
	else if (!strcmp(what, "pipeline"))
		rc = case_pipeline();
	else if (!strcmp(what, "moved"))
		rc = case_moved();
	else if (!strcmp(what, "ask"))
		rc = case_ask();
	else if (!strcmp(what, "down"))
		rc = case_down();
	else if (!strcmp(what, "cache"))
		rc = case_cache(argc > 2 ? argv[2] : "write");
	else if (!strcmp(what, "scan"))
		rc = case_scan();
	else if (!strcmp(what, "auto"))
		rc = case_auto();
	else if (!strcmp(what, "failover"))
		rc = case_failover();
	else if (!strcmp(what, "lost"))
		rc = case_lost();
	else if (!strcmp(what, "wgen"))
		rc = case_wgen();
	else if (!strcmp(what, "earlywait"))
		rc = case_earlywait();
	else if (!strcmp(what, "functions"))
		rc = case_functions();
	else if (!strcmp(what, "scripts"))
		rc = case_scripts();
	else {
		printf("Bail out! unknown case %s\n", what);
		return 2;
	}
	return rc || done_testing() ? 1 : 0;
}
