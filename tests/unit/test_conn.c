/* Unit tests of the transport (stream.c, conn.c): against a scripted fake
 * server (a forked child on a unix socket, which sends exactly the bytes
 * and pauses a case needs) and, when redis-server is installed, against a
 * real one on a private unix socket. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/model/config.h"
#include "core/redis/conn.h"
#include "core/redis/pipe.h"
#include "tap.h"

static char dir[64];
static char sock_path[100];

static void ms_sleep(int ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
	nanosleep(&ts, NULL);
}

static long long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- the fake server: one child per case ---- */

typedef void (*script_fn)(int fd);

static int write_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t k = write(fd, p, n);
		if (k <= 0)
			return -1;
		p += k;
		n -= (size_t)k;
	}
	return 0;
}

/* Read exactly n bytes (a known command length); -1 at the end. */
static int read_n(int fd, size_t n)
{
	char buf[4096];

	while (n) {
		ssize_t k = read(fd, buf, n < sizeof buf ? n : sizeof buf);
		if (k <= 0)
			return -1;
		n -= (size_t)k;
	}
	return 0;
}

/* Listen on sock_path and run fn on each of accepts connections in a
 * child; returns its pid. */
static pid_t fake_server(script_fn fn, int accepts)
{
	struct sockaddr_un sa;
	int l = socket(AF_UNIX, SOCK_STREAM, 0), i;
	pid_t pid;

	unlink(sock_path);
	memset(&sa, 0, sizeof sa);
	sa.sun_family = AF_UNIX;
	snprintf(sa.sun_path, sizeof sa.sun_path, "%s", sock_path);
	if (l < 0 || bind(l, (struct sockaddr *)&sa, sizeof sa) || listen(l, 4)) {
		perror("fake server");
		exit(2);
	}
	if ((pid = fork()) == 0) {
		/* never outlive a test run that went wrong; generous: under the
		 * sanitizers on a loaded machine the big pipeline took over 30 s
		 * once, and a server killed by its alarm lost the last replies */
		alarm(180);
		for (i = 0; i < accepts; i++) {
			int fd = accept(l, NULL, NULL);
			if (fd < 0)
				_exit(1);
			fn(fd);
			close(fd);
		}
		_exit(0);
	}
	close(l);
	return pid;
}

static void reap(pid_t pid)
{
	kill(pid, SIGTERM);
	waitpid(pid, NULL, 0);
}

static void cfg_for(struct sess_config *cfg, int command_ms)
{
	sess_config_defaults(cfg);
	snprintf(cfg->unix_path, sizeof cfg->unix_path, "%s", sock_path);
	cfg->command_timeout_ms = command_ms;
	cfg->connect_timeout_ms = 2000;
}

#define PING "*1\r\n$4\r\nPING\r\n"

/* A bulk reply one byte at a time, 2 ms apart. */
static void srv_split(int fd)
{
	const char *r = "$11\r\nhello world\r\n";
	size_t i;

	if (read_n(fd, strlen(PING)))
		return;
	for (i = 0; r[i]; i++) {
		if (write_all(fd, r + i, 1))
			return;
		ms_sleep(2);
	}
	ms_sleep(200);
}

static void test_split(void)
{
	struct sess_config cfg;
	struct sess_conn c;
	struct sess_err err;
	redisReply *r;
	pid_t pid = fake_server(srv_split, 1);

	cfg_for(&cfg, 2000);
	ok(sess_conn_open(&c, &cfg, &err) == 0, "connects to the fake server");
	r = sess_conn_cmdf(&c, &err, "PING");
	ok(r && r->type == REDIS_REPLY_STRING && r->len == 11 && !memcmp(r->str, "hello world", 11),
	   "a reply split over 18 reads is read whole");
	if (r)
		freeReplyObject(r);
	sess_conn_close(&c);
	reap(pid);
}

/* NPIPE PINGs read in full, then NPIPE replies in odd-sized chunks. */
#define NPIPE 5000
static void srv_pipeline(int fd)
{
	static char out[NPIPE * 7];
	size_t i, pos = 0, n = strlen(PING) * NPIPE;

	if (read_n(fd, n))
		return;
	for (i = 0; i < NPIPE; i++)
		memcpy(out + 7 * i, "+PONG\r\n", 7);
	while (pos < sizeof out) {
		size_t k = sizeof out - pos < 997 ? sizeof out - pos : 997;
		if (write_all(fd, out + pos, k))
			return;
		pos += k;
	}
	ms_sleep(200);
}

static void test_pipeline(void)
{
	struct sess_config cfg;
	struct sess_conn c;
	struct sess_err err;
	redisReply *r;
	int i, good = 0, appended = 0;
	pid_t pid = fake_server(srv_pipeline, 1);

	cfg_for(&cfg, 5000);
	ok(sess_conn_open(&c, &cfg, &err) == 0, "pipeline: connected");
	for (i = 0; i < NPIPE; i++)
		appended += sess_conn_appendf(&c, &err, "PING") == 0;
	ok(appended == NPIPE, "%d commands queued", NPIPE);
	ok(sess_conn_send(&c, &err) == 0, "and sent");
	for (i = 0; i < NPIPE; i++) {
		if (sess_conn_read(&c, &r, &err))
			break;
		good += r->type == REDIS_REPLY_STATUS && !strcmp(r->str, "PONG");
		freeReplyObject(r);
	}
	ok(good == NPIPE, "%d replies in 997-byte chunks read in order (got %d)", NPIPE, good);
	sess_conn_close(&c);
	reap(pid);
}

/* Answers every command (a fixed size) with a 4 KB bulk reply as soon as
 * it has read it: a client that only writes fills both socket buffers. */
#define BIGARG 4096
#define NBIG 2000
static void srv_echo_big(int fd)
{
	static char reply[BIGARG + 32];
	size_t cmdlen = 4 + 10 + 7 + BIGARG + 2, rl; /* *2 $4 ECHO $4096 ... */
	int i;

	rl = (size_t)snprintf(reply, sizeof reply, "$%d\r\n", BIGARG);
	memset(reply + rl, 'y', BIGARG);
	memcpy(reply + rl + BIGARG, "\r\n", 2);
	rl += BIGARG + 2;
	for (i = 0; i < NBIG; i++)
		if (read_n(fd, cmdlen) || write_all(fd, reply, rl))
			return;
	/* stay until the client closes: closing first resets the connection
	 * (ECONNRESET) while the client still reads, however long it takes */
	while (read(fd, reply, sizeof reply) > 0)
		;
}

static void test_no_deadlock(void)
{
	struct sess_config cfg;
	struct sess_conn c;
	struct sess_err err;
	static char arg[BIGARG];
	const char *argv[2] = {"ECHO", arg};
	size_t lens[2] = {4, BIGARG};
	redisReply *r;
	int i, good = 0, sent;
	pid_t pid = fake_server(srv_echo_big, 1);

	memset(arg, 'x', sizeof arg);
	/* a generous timeout: under the sanitizers on a loaded 2-core
	 * machine 8 MB through hiredis's reader is slow; what is tested is
	 * that nothing deadlocks or is lost, not speed */
	cfg_for(&cfg, 15000);
	ok(sess_conn_open(&c, &cfg, &err) == 0, "big pipeline: connected");
	for (i = 0; i < NBIG; i++)
		sess_conn_append(&c, 2, argv, lens, &err);
	/* 8 MB each way: far more than both sockets' buffers hold */
	sent = sess_conn_send(&c, &err);
	ok(sent == 0, "sending 8 MB while the server answers each command does not deadlock%s%s",
	   sent ? ": " : "", sent ? err.msg : "");
	err.msg[0] = '\0';
	for (i = 0; i < NBIG && sent == 0; i++) {
		if (sess_conn_read(&c, &r, &err))
			break;
		good += r->type == REDIS_REPLY_STRING && r->len == BIGARG;
		freeReplyObject(r);
	}
	ok(good == NBIG, "every one of its %d replies kept, in order (got %d%s%s)", NBIG, good,
	   err.msg[0] ? ": " : "", err.msg);
	sess_conn_close(&c);
	reap(pid);
}

/* Reads and never answers. */
static void srv_silent(int fd)
{
	char buf[256];
	while (read(fd, buf, sizeof buf) > 0)
		;
}

static void test_timeout(void)
{
	struct sess_config cfg;
	struct sess_conn c;
	struct sess_err err;
	redisReply *r;
	long long t0, dt;
	pid_t pid = fake_server(srv_silent, 1);

	cfg_for(&cfg, 300);
	ok(sess_conn_open(&c, &cfg, &err) == 0, "timeout: connected");
	t0 = now_ms();
	r = sess_conn_cmdf(&c, &err, "PING");
	dt = now_ms() - t0;
	ok(!r && err.cls == SESS_E_TEMP && !strcmp(err.kind, "timeout"),
	   "a silent server is a timeout (75): %s", err.msg);
	ok(strstr(err.msg, "did not answer in time") && strstr(err.msg, "command 300 ms"),
	   "the message names the timeout");
	ok(dt >= 290 && dt < 3000, "after the command timeout (%lld ms)", dt);
	ok(!sess_conn_ok(&c), "the conn is failed after a timeout");
	t0 = now_ms();
	r = sess_conn_cmdf(&c, &err, "PING");
	ok(!r && err.cls == SESS_E_TEMP && now_ms() - t0 < 100,
	   "and refuses the next command at once with the same error");
	sess_conn_close(&c);
	reap(pid);
}

/* Reads one command and closes. */
static void srv_close(int fd)
{
	read_n(fd, strlen(PING));
}

static void test_closed(void)
{
	struct sess_config cfg;
	struct sess_conn c;
	struct sess_err err;
	redisReply *r;
	pid_t pid = fake_server(srv_close, 1);

	cfg_for(&cfg, 2000);
	ok(sess_conn_open(&c, &cfg, &err) == 0, "closed: connected");
	r = sess_conn_cmdf(&c, &err, "PING");
	ok(!r && err.cls == SESS_E_UNAVAILABLE && strstr(err.msg, "closed the connection"),
	   "a server closing mid-command is unavailable (69): %s", err.msg);
	sess_conn_close(&c);
	reap(pid);
}

/* Not RESP. */
static void srv_garbage(int fd)
{
	if (read_n(fd, strlen(PING)) == 0)
		write_all(fd, "HTTP/1.1 400\r\n", 14);
	ms_sleep(200);
}

static void test_protocol(void)
{
	struct sess_config cfg;
	struct sess_conn c;
	struct sess_err err;
	redisReply *r;
	pid_t pid = fake_server(srv_garbage, 1);

	cfg_for(&cfg, 2000);
	ok(sess_conn_open(&c, &cfg, &err) == 0, "protocol: connected");
	r = sess_conn_cmdf(&c, &err, "PING");
	ok(!r && err.cls == SESS_E_UNAVAILABLE && strstr(err.msg, "Protocol error"),
	   "bytes that are not RESP are a protocol error: %s", err.msg);
	sess_conn_close(&c);
	reap(pid);
}

static void test_refused(void)
{
	struct sess_config cfg;
	struct sess_conn c;
	struct sess_err err;
	struct sockaddr_un sa;
	int l;

	unlink(sock_path);
	cfg_for(&cfg, 1000);
	ok(sess_conn_open(&c, &cfg, &err) == -1 && err.cls == SESS_E_UNAVAILABLE &&
	   strstr(err.msg, "no such socket"), "no socket at the path: %s", err.msg);
	ok(!sess_conn_is_open(&c), "and the conn is left closed");
	/* a socket bound but not listening refuses */
	l = socket(AF_UNIX, SOCK_STREAM, 0);
	memset(&sa, 0, sizeof sa);
	sa.sun_family = AF_UNIX;
	snprintf(sa.sun_path, sizeof sa.sun_path, "%s", sock_path);
	bind(l, (struct sockaddr *)&sa, sizeof sa);
	ok(sess_conn_open(&c, &cfg, &err) == -1 && strstr(err.msg, "connection refused"),
	   "a socket nobody listens on refuses: %s", err.msg);
	close(l);
	unlink(sock_path);
	sess_config_defaults(&cfg);
	snprintf(cfg.host, sizeof cfg.host, "no-such-host.invalid");
	ok(sess_conn_open(&c, &cfg, &err) == -1 && strstr(err.msg, "unknown host"),
	   "an unknown host: %s", err.msg);
	ok(sess_conn_cmdf(&c, &err, "PING") == NULL && err.cls == SESS_E_INTERNAL,
	   "a closed conn refuses commands");
	ok(sess_conn_append(&c, 1, (const char *[]){"PING"}, NULL, &err) == -1 &&
	   err.cls == SESS_E_UNAVAILABLE, "and appends");
	sess_conn_close(&c);
	sess_conn_close(&c); /* twice is fine */
}

/* Non-blocking: half a reply, a pause, the rest; then a push message. */
static void srv_halves(int fd)
{
	if (read_n(fd, strlen(PING)))
		return;
	write_all(fd, "+PO", 3);
	ms_sleep(150);
	write_all(fd, "NG\r\n", 4);
	ms_sleep(300);
	write_all(fd, "*3\r\n$7\r\nmessage\r\n$1\r\nc\r\n$2\r\nhi\r\n", 32);
	ms_sleep(300);
}

static void test_nonblocking(void)
{
	struct sess_config cfg;
	struct sess_conn c;
	struct sess_err err;
	struct pollfd p;
	redisReply *r = NULL;
	int n, w;
	pid_t pid = fake_server(srv_halves, 1);

	cfg_for(&cfg, 2000);
	ok(sess_conn_open(&c, &cfg, &err) == 0, "non-blocking: connected");
	ok(sess_conn_fd(&c) >= 0, "it has an fd to poll");
	ok(sess_conn_appendf(&c, &err, "PING") == 0 && (sess_conn_events(&c) & POLLOUT),
	   "queued bytes ask for POLLOUT");
	ok(sess_conn_flush(&c, &err) == 1 && sess_conn_events(&c) == POLLIN, "flushed: POLLIN only");
	ok(sess_conn_take(&c, &r, &err) == 0 && !r, "no reply yet");
	p.fd = sess_conn_fd(&c);
	p.events = POLLIN;
	poll(&p, 1, 2000);
	ok(sess_conn_fill(&c, &err) == 0 && sess_conn_take(&c, &r, &err) == 0,
	   "half a reply read: still none to take");
	ok(!sess_conn_buffered(&c), "a plain socket holds nothing poll cannot see");
	poll(&p, 1, 2000);
	n = sess_conn_fill(&c, &err);
	ok(n == 0 && sess_conn_take(&c, &r, &err) == 1 && r && !strcmp(r->str, "PONG"),
	   "the rest read: the reply is taken");
	if (r)
		freeReplyObject(r);
	r = NULL;
	w = sess_conn_wait(&c, 50, &r, &err);
	ok(w == 0 && !r, "wait: nothing within 50 ms");
	w = sess_conn_wait(&c, 2000, &r, &err);
	ok(w == 1 && r && r->type == REDIS_REPLY_ARRAY && r->elements == 3 &&
	   !strcmp(r->element[2]->str, "hi"), "wait: a pushed message arrives");
	if (r)
		freeReplyObject(r);
	sess_conn_close(&c);
	reap(pid);
}

/* Two connections: each answers one PING. */
static void srv_pong(int fd)
{
	if (read_n(fd, strlen(PING)) == 0)
		write_all(fd, "+PONG\r\n", 7);
}

static void test_reopen(void)
{
	struct sess_config cfg;
	struct sess_conn c;
	struct sess_err err;
	redisReply *r;
	pid_t pid = fake_server(srv_pong, 2);

	cfg_for(&cfg, 2000);
	ok(sess_conn_open(&c, &cfg, &err) == 0, "reopen: connected");
	r = sess_conn_cmdf(&c, &err, "PING");
	ok(r != NULL, "first connection answers");
	if (r)
		freeReplyObject(r);
	r = sess_conn_cmdf(&c, &err, "PING");
	ok(!r && !sess_conn_ok(&c), "then it is closed by the server");
	ok(sess_conn_reopen(&c, &err) == 0 && sess_conn_ok(&c), "reopen connects again to the same endpoint");
	r = sess_conn_cmdf(&c, &err, "PING");
	ok(r && !strcmp(r->str, "PONG"), "and the new connection answers");
	if (r)
		freeReplyObject(r);
	sess_conn_close(&c);
	reap(pid);
}

/* ---- a real redis-server, when installed ---- */

static pid_t redis_pid;

static int redis_start(void)
{
	char rsock[100];
	int i;

	snprintf(rsock, sizeof rsock, "%.80s/redis.sock", dir);
	if ((redis_pid = fork()) == 0) {
		int devnull;
		prctl(PR_SET_PDEATHSIG, SIGKILL); /* dies with the test */
		devnull = open("/dev/null", O_WRONLY);
		dup2(devnull, 1);
		dup2(devnull, 2);
		execlp("redis-server", "redis-server", "--port", "0", "--unixsocket", rsock,
		       "--save", "", "--appendonly", "no", "--dir", dir, (char *)NULL);
		_exit(127);
	}
	snprintf(sock_path, sizeof sock_path, "%s", rsock);
	for (i = 0; i < 200; i++) {
		struct sess_config cfg;
		struct sess_conn c;
		struct sess_err err;
		int st;
		if (waitpid(redis_pid, &st, WNOHANG) == redis_pid)
			return -1;
		cfg_for(&cfg, 2000);
		if (sess_conn_open(&c, &cfg, &err) == 0) {
			sess_conn_close(&c);
			return 0;
		}
		ms_sleep(50);
	}
	return -1;
}

/* pipe.h's helpers on c: a command built by sess_argv (grown past its
 * first arrays), sess_pipe_drain over replies of every kind. */
static void test_pipe_helpers(struct sess_conn *c)
{
	struct sess_argv av;
	struct sess_pipe p;
	struct sess_err err;
	char items[40][8];
	redisReply *r = NULL;
	int i;

	sess_argv_init(&av);
	sess_argv_add(&av, "RPUSH");
	sess_argv_addb(&av, "listXYZ", 4); /* "list" */
	for (i = 0; i < 40; i++) {
		snprintf(items[i], sizeof items[i], "i%d", i);
		sess_argv_add(&av, items[i]);
	}
	ok(av.n == 42 && !av.oom, "argv: 42 arguments added (%d)", av.n);
	sess_pipe_init(&p, c);
	ok(sess_argv_pipe(&p, -1, 0, &av, &err) == 0 && sess_pipe_cmdf(&p, 0, &err, "NOSUCHCOMMAND") == 0 &&
	   sess_pipe_cmdf(&p, 0, &err, "PING") == 0 && sess_pipe_cmdf(&p, 0, &err, "LRANGE list 39 39") == 0,
	   "pipe: four commands queued");
	sess_argv_free(&av);
	ok(sess_pipe_drain(&p, 3, &err) == 0 && sess_pipe_pending(&p) == 1,
	   "drain: three replies taken, an error reply among them, one still owed");
	ok(sess_pipe_next(&p, &r, NULL, &err) == 0 && r->type == REDIS_REPLY_ARRAY && r->elements == 1 &&
	   !strcmp(r->element[0]->str, "i39"), "drain: the fourth reply is the next one, the list whole");
	if (r)
		freeReplyObject(r);
	ok(sess_pipe_cmdf(&p, 0, &err, "PING") == 0 && sess_pipe_cmdf(&p, 0, &err, "DEL list") == 0 &&
	   sess_pipe_drain(&p, SESS_PIPE_ALL, &err) == 0 && sess_pipe_pending(&p) == 0,
	   "drain: SESS_PIPE_ALL takes every reply owed");
	sess_pipe_free(&p);
	sess_argv_init(&av);
	sess_argv_add(&av, "PING");
	av.oom = 1; /* as after an add that could not grow the arrays */
	ok(!sess_argv_cmd(c, &av, &err) && !strcmp(err.msg, "out of memory"),
	   "argv: a command that lost an argument is never sent: %s", err.msg);
	sess_argv_free(&av);
	r = sess_conn_cmdf(c, &err, "EXISTS list");
	ok(r && r->integer == 0, "pipe: nothing left behind");
	if (r)
		freeReplyObject(r);
}

static void test_redis(void)
{
	struct sess_config cfg;
	struct sess_conn c, sub;
	struct sess_err err;
	struct sess_pipe p;
	redisReply *r;
	char *big;
	size_t bn = 3 * 1024 * 1024;
	int i, good = 0, w;

	if (redis_start()) {
		printf("ok %d # SKIP no redis-server\n", ++tap_n);
		return;
	}
	cfg_for(&cfg, 5000);
	ok(sess_conn_open(&c, &cfg, &err) == 0, "redis: connected");
	/* a pipeline of 20000 commands through sess_pipe */
	sess_pipe_init(&p, &c);
	for (i = 0; i < 10000; i++) {
		char k[32], v[32];
		snprintf(k, sizeof k, "k%d", i);
		snprintf(v, sizeof v, "v%d", i);
		sess_pipe_argv(&p, -1, i, 3, (const char *[]){"SET", k, v}, NULL, &err);
		sess_pipe_argv(&p, -1, i, 2, (const char *[]){"GET", k}, NULL, &err);
	}
	for (i = 0; i < 20000; i++) {
		long tag;
		char v[32];
		if (sess_pipe_next(&p, &r, &tag, &err))
			break;
		snprintf(v, sizeof v, "v%ld", tag);
		good += i % 2 ? r->type == REDIS_REPLY_STRING && !strcmp(r->str, v)
			      : r->type == REDIS_REPLY_STATUS;
		freeReplyObject(r);
	}
	sess_pipe_free(&p);
	ok(good == 20000, "redis: a pipeline of 20000 commands, every reply in order (%d)", good);
	/* a 3 MB value: many reads each way */
	big = malloc(bn);
	memset(big, 'z', bn);
	r = sess_conn_cmd(&c, &err, 3, (const char *[]){"SET", "big", big}, (const size_t[]){3, 3, bn});
	ok(r && r->type == REDIS_REPLY_STATUS, "redis: a 3 MB value stored");
	if (r)
		freeReplyObject(r);
	r = sess_conn_cmdf(&c, &err, "GET big");
	ok(r && r->len == bn && !memcmp(r->str, big, bn), "redis: and read back whole");
	if (r)
		freeReplyObject(r);
	free(big);
	test_pipe_helpers(&c);
	/* an error reply: cmd turns it into err, call returns it */
	r = sess_conn_cmdf(&c, &err, "NOSUCHCOMMAND");
	ok(!r && err.cls == SESS_E_INTERNAL && strstr(err.msg, "unknown command"),
	   "redis: an error reply becomes err: %s", err.msg);
	r = sess_conn_callf(&c, &err, "NOSUCHCOMMAND");
	ok(r && r->type == REDIS_REPLY_ERROR, "redis: sess_conn_call returns it as a reply");
	if (r)
		freeReplyObject(r);
	ok(sess_conn_ok(&c), "redis: an error reply does not fail the connection");
	/* pub/sub */
	ok(sess_conn_open(&sub, &cfg, &err) == 0 && sess_conn_appendf(&sub, &err, "SUBSCRIBE ch") == 0,
	   "redis: a subscriber");
	w = sess_conn_wait(&sub, 2000, &r, &err);
	ok(w == 1 && r->type == REDIS_REPLY_ARRAY && !strcmp(r->element[0]->str, "subscribe"),
	   "redis: subscribed");
	if (w == 1)
		freeReplyObject(r);
	r = sess_conn_cmdf(&c, &err, "PUBLISH ch hello");
	ok(r && r->integer == 1, "redis: published to one subscriber");
	if (r)
		freeReplyObject(r);
	w = sess_conn_wait(&sub, 2000, &r, &err);
	ok(w == 1 && r->elements == 3 && !strcmp(r->element[2]->str, "hello"), "redis: the message arrives");
	if (w == 1)
		freeReplyObject(r);
	sess_conn_close(&sub);
	/* the server goes away */
	kill(redis_pid, SIGKILL);
	waitpid(redis_pid, NULL, 0);
	r = sess_conn_cmdf(&c, &err, "PING");
	ok(!r && err.cls == SESS_E_UNAVAILABLE, "redis: a killed server is unavailable: %s", err.msg);
	ok(sess_conn_reopen(&c, &err) == -1 && err.cls == SESS_E_UNAVAILABLE,
	   "redis: and reopening it fails as a connect: %s", err.msg);
	sess_conn_close(&c);
}

int main(void)
{
	signal(SIGPIPE, SIG_IGN);
	snprintf(dir, sizeof dir, "/tmp/sesskit-conn.XXXXXX");
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 2;
	}
	snprintf(sock_path, sizeof sock_path, "%.80s/fake.sock", dir);
	test_split();
	test_pipeline();
	test_no_deadlock();
	test_timeout();
	test_closed();
	test_protocol();
	test_refused();
	test_nonblocking();
	test_reopen();
	test_redis();
	{
		char cmd[128];
		snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
		if (system(cmd) != 0)
			fprintf(stderr, "could not remove %s\n", dir);
	}
	return done_testing();
}
