/* sess-health serve: the HTTP endpoints over GNU libmicrohttpd: the seeds' six
 * (/health, /health/detailed, /health/metrics, /health/components,
 * /health/redis, /health/sessions) plus /livez, /readyz and /metrics (the
 * Prometheus path, the same text as /health/metrics).
 *
 * Every request asks the guard (breaker.c) under one lock: a result at
 * most --cache-ms old is reused, so a burst of scrapes costs Redis one
 * check, and concurrent requests for a stale result wait for the one check
 * in flight instead of starting their own. No HTTP thread ever waits on
 * Redis: the check runs in one checker thread, and a request that needs it
 * is suspended (MHD_suspend_connection) and resumed when it is done, so
 * /livez, which never takes the lock, answers whatever Redis does. The
 * connections are bounded in all and per client address, and an idle one
 * is closed after --idle-timeout. */
#include "health.h"

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "options.h"

static const struct cli_opt serve_o[] = {
	SERVE_CHECK_OPTS(struct serve_opts, c.),
	RATE_OPTS(struct serve_opts, c.),
	CLI_STR_OLD("listen", 'l', "ADDR:PORT", "where to listen (default 127.0.0.1:9188;\n"
		"                         port 0 picks a free one)", struct serve_opts, listen, NULL),
	CLI_DUR("cache-ms", 0, "DURATION", "reuse a result this long",
		 struct serve_opts, cache_ms, 1, 0, 1000),
	CLI_LONG("threads", 0, "N", "HTTP worker threads", struct serve_opts, threads, 1, 64),
	CLI_LONG("max-connections", 0, "N", "open connections in all",
		 struct serve_opts, max_connections, 1, 100000),
	CLI_LONG("max-per-client", 0, "N", "open connections from one address",
		 struct serve_opts, max_per_client, 1, 100000),
	CLI_DUR("idle-timeout", 0, "DURATION", "close a connection idle this long",
		 struct serve_opts, idle_timeout, 1000, 1, 3600),
	CLI_END};
static const struct serve_opts serve_d = {.c = {CHECK_D}, .cache_ms = 1000, .threads = 2,
					  .max_connections = 512, .max_per_client = 32,
					  .idle_timeout = 10};

#define CT_HEALTH "application/health+json"
#define CT_PROM "text/plain; version=0.0.4; charset=utf-8"

struct server {
	struct health_guard guard;   /* under lock */
	pthread_mutex_t lock;
	pthread_cond_t wake;         /* the checker: a check is wanted, or stop */
	int want, busy, stop;
	unsigned long done;          /* checks completed */
	/* connections suspended until the next check completes */
	struct MHD_Connection **waiting;
	size_t nwaiting, capwaiting;
};

/* The checker thread: one check at a time, outside the lock; then the
 * waiting connections are resumed to be answered from its result. */
static void *checker(void *p)
{
	struct server *sv = p;
	struct health_result res;
	struct MHD_Connection **w;
	size_t n, i;

	pthread_mutex_lock(&sv->lock);
	for (;;) {
		while (!sv->want && !sv->stop)
			pthread_cond_wait(&sv->wake, &sv->lock);
		if (!sv->want)
			break;
		sv->want = 0;
		sv->busy = 1;
		pthread_mutex_unlock(&sv->lock);
		health_check(sv->guard.hp, sv->guard.cfg, &res);
		pthread_mutex_lock(&sv->lock);
		health_guard_put(&sv->guard, &res);
		sv->done++;
		sv->busy = 0;
		w = sv->waiting;
		n = sv->nwaiting;
		sv->waiting = NULL;
		sv->nwaiting = sv->capwaiting = 0;
		pthread_mutex_unlock(&sv->lock);
		for (i = 0; i < n; i++)
			MHD_resume_connection(w[i]);
		free(w);
		pthread_mutex_lock(&sv->lock);
	}
	pthread_mutex_unlock(&sv->lock);
	return NULL;
}

/* Under the lock: c waits for the next check to complete. */
static int wait_for_check(struct server *sv, struct MHD_Connection *c, void **req)
{
	if (sv->nwaiting == sv->capwaiting) {
		size_t cap = sv->capwaiting ? 2 * sv->capwaiting : 16;
		struct MHD_Connection **w = realloc(sv->waiting, cap * sizeof *w);
		if (!w)
			return -1;
		sv->waiting = w;
		sv->capwaiting = cap;
	}
	sv->waiting[sv->nwaiting++] = c;
	/* answered by the check that completes next: done + 1 (never 0) */
	*req = (void *)(uintptr_t)(sv->done + 1);
	if (!sv->busy) {
		sv->want = 1;
		pthread_cond_signal(&sv->wake);
	}
	MHD_suspend_connection(c);
	return 0;
}

/* Open, bind and listen on spec: "HOST:PORT", ":PORT", "PORT" or
 * "[V6]:PORT"; no host means the loopback. shown gets "HOST:PORT" as
 * bound (the port the OS picked for 0). */
static int listen_on(const char *spec, char *shown, size_t n, struct sess_err *err)
{
	char host[256] = "127.0.0.1", port[16];
	const char *colon = strrchr(spec, ':');
	struct addrinfo hints, *ai = NULL, *p;
	struct sockaddr_storage ss;
	socklen_t sl = sizeof ss;
	int fd = -1, one = 1, e = 0, rc;

	if (!colon) {
		snprintf(port, sizeof port, "%s", spec);
	} else {
		size_t hl = (size_t)(colon - spec);
		snprintf(port, sizeof port, "%s", colon + 1);
		if (hl > 0) {
			if (spec[0] == '[' && hl >= 2 && spec[hl - 1] == ']')
				snprintf(host, sizeof host, "%.*s", (int)(hl - 2), spec + 1);
			else
				snprintf(host, sizeof host, "%.*s", (int)hl, spec);
		}
	}
	if (!port[0] || strspn(port, "0123456789") != strlen(port) || atol(port) > 65535)
		return sess_err_set(err, SESS_E_USAGE, NULL,
				    "--listen \"%s\" has no port number; write ADDR:PORT, for example 127.0.0.1:9188", spec);
	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	if ((rc = getaddrinfo(host, port, &hints, &ai)))
		return sess_err_set(err, SESS_E_USAGE, NULL, "--listen \"%s\": %s; give an address of this machine",
				    spec, gai_strerror(rc));
	for (p = ai; p; p = p->ai_next) {
		if ((fd = socket(p->ai_family, p->ai_socktype | SOCK_CLOEXEC, p->ai_protocol)) < 0) {
			e = errno;
			continue;
		}
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
		if (bind(fd, p->ai_addr, p->ai_addrlen) == 0 && listen(fd, 128) == 0)
			break;
		e = errno;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(ai);
	if (fd < 0)
		return sess_err_set(err, SESS_E_UNAVAILABLE, NULL,
				    "cannot listen on %s: %s; %s", spec, strerror(e),
				    e == EADDRINUSE ? "another process holds the port: pick another with --listen or stop it"
						    : "check the address and your permissions");
	if (getsockname(fd, (struct sockaddr *)&ss, &sl) == 0) {
		char a[INET6_ADDRSTRLEN] = "?";
		int pn = 0;
		if (ss.ss_family == AF_INET6) {
			struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
			inet_ntop(AF_INET6, &s6->sin6_addr, a, sizeof a);
			pn = ntohs(s6->sin6_port);
			snprintf(shown, n, "[%s]:%d", a, pn);
		} else {
			struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
			inet_ntop(AF_INET, &s4->sin_addr, a, sizeof a);
			pn = ntohs(s4->sin_port);
			snprintf(shown, n, "%s:%d", a, pn);
		}
	}
	return fd;
}

/* 200 only when healthy, as probes and load balancers read it; /readyz
 * is the endpoint that stays 200 through warnings (Redis answers). */
static int ok_status(int s)
{
	return s == H_OK;
}

/* A copy of doc with only the checks of the named components. */
static cJSON *only(const cJSON *doc, const char *const *comps)
{
	cJSON *d = cJSON_Duplicate(doc, 1), *checks = cJSON_GetObjectItem(d, "checks"), *c, *next;
	cJSON *cs = cJSON_GetObjectItem(d, "components"), *cc;
	int i, keep, worst = H_OK, s;

	for (c = checks ? checks->child : NULL; c; c = next) {
		next = c->next;
		for (i = 0, keep = 0; comps[i] && !keep; i++)
			keep = !strncmp(c->string, comps[i], strlen(comps[i])) && c->string[strlen(comps[i])] == ':';
		if (!keep)
			cJSON_DeleteItemFromObject(checks, c->string);
	}
	for (cc = cs ? cs->child : NULL; cc; cc = next) {
		next = cc->next;
		for (i = 0, keep = 0; comps[i] && !keep; i++)
			keep = !strcmp(cc->string, comps[i]);
		if (!keep) {
			cJSON_DeleteItemFromObject(cs, cc->string);
			continue;
		}
		for (s = 0; s <= H_DOWN && strcmp(health_status_name(s), cc->valuestring); s++)
			;
		if (s > worst)
			worst = s;
	}
	cJSON_ReplaceItemInObject(d, "status", cJSON_CreateString(health_status_hc(worst)));
	cJSON_ReplaceItemInObject(d, "level", cJSON_CreateString(health_status_name(worst)));
	return d;
}

static char *print_free(cJSON *d)
{
	char *s = cJSON_PrintUnformatted(d);

	cJSON_Delete(d);
	return s;
}

/* The body, its type and code for path, from result r. */
static char *endpoint(const char *path, const struct health_result *r, const char **type, int *code)
{
	static const char *const redis_comps[] = {"redis", "memory", "persistence", "replication", "cluster", NULL};
	static const char *const sess_comps[] = {"sessions", "pubsub", NULL};
	const cJSON *doc = r->doc;
	cJSON *d;
	int ok = ok_status(r->status);

	*type = CT_HEALTH;
	*code = ok ? 200 : 503;
	if (!strcmp(path, "/health") || !strcmp(path, "/health/")) {
		d = cJSON_CreateObject();
		health_json_status(d, r->status);
		cJSON_AddItemToObject(d, "time", cJSON_Duplicate(cJSON_GetObjectItem(doc, "time"), 1));
		if (cJSON_GetObjectItem(doc, "output"))
			cJSON_AddItemToObject(d, "output", cJSON_Duplicate(cJSON_GetObjectItem(doc, "output"), 1));
		cJSON_AddItemToObject(d, "breaker", cJSON_Duplicate(cJSON_GetObjectItem(doc, "breaker"), 1));
		return print_free(d);
	}
	if (!strcmp(path, "/health/detailed"))
		return cJSON_PrintUnformatted(doc);
	if (!strcmp(path, "/metrics") || !strcmp(path, "/health/metrics")) {
		*type = CT_PROM;
		*code = 200; /* a scrape of a sick Redis is a good scrape: sess_up says it */
		return health_render_prometheus(r);
	}
	if (!strcmp(path, "/health/components")) {
		d = cJSON_CreateObject();
		health_json_status(d, r->status);
		cJSON_AddItemToObject(d, "components", cJSON_Duplicate(cJSON_GetObjectItem(doc, "components"), 1));
		cJSON_AddItemToObject(d, "breaker", cJSON_Duplicate(cJSON_GetObjectItem(doc, "breaker"), 1));
		return print_free(d);
	}
	if (!strcmp(path, "/health/redis") || !strcmp(path, "/health/sessions")) {
		d = only(doc, path[8] == 'r' ? redis_comps : sess_comps);
		{
			const char *st = cJSON_GetStringValue(cJSON_GetObjectItem(d, "status"));
			*code = st && !strcmp(st, "pass") ? 200 : 503;
		}
		return print_free(d);
	}
	if (!strcmp(path, "/readyz")) {
		/* ready = Redis answers; thresholds are /health's business */
		d = cJSON_CreateObject();
		cJSON_AddStringToObject(d, "status", r->up ? "pass" : "fail");
		if (!r->up && cJSON_GetObjectItem(doc, "output"))
			cJSON_AddItemToObject(d, "output", cJSON_Duplicate(cJSON_GetObjectItem(doc, "output"), 1));
		*code = r->up ? 200 : 503;
		return print_free(d);
	}
	*code = 404;
	return strdup("{\"status\":\"fail\",\"output\":\"no such endpoint; try /metrics, /health, /health/detailed, /health/metrics, /health/components, /health/redis, /health/sessions, /livez or /readyz\"}");
}

static enum MHD_Result reply(struct MHD_Connection *c, int code, const char *type, char *body)
{
	struct MHD_Response *resp;
	enum MHD_Result ret;

	resp = MHD_create_response_from_buffer(body ? strlen(body) : 0, body ? body : (char *)"",
					       body ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_PERSISTENT);
	if (!resp) {
		free(body);
		return MHD_NO;
	}
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	if (code == 405)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
	ret = MHD_queue_response(c, (unsigned)code, resp);
	MHD_destroy_response(resp);
	return ret;
}

/* *req of a request past its first call that is not waiting for a check
 * (a waiting one holds the number of the check it waits for) */
static char headers_seen;

static enum MHD_Result handle(void *cls, struct MHD_Connection *c, const char *url,
			      const char *method, const char *version, const char *upload,
			      size_t *upload_size, void **req)
{
	struct server *sv = cls;
	const struct health_result *r;
	const char *type;
	char *body;
	int code;

	(void)version;
	(void)upload;
	(void)upload_size;
	/* answer from the second call on: libmicrohttpd closes a connection
	 * whose response is queued in the first one (the headers alone, the
	 * body not yet read), which would defeat keep-alive */
	if (!*req) {
		*req = (void *)&headers_seen;
		return MHD_YES;
	}
	if (strcmp(method, "GET") && strcmp(method, "HEAD"))
		return reply(c, 405, CT_HEALTH, strdup("{\"status\":\"fail\",\"output\":\"only GET and HEAD\"}"));
	if (!strcmp(url, "/livez"))
		return reply(c, 200, CT_HEALTH, strdup("{\"status\":\"pass\"}"));
	if (strcmp(url, "/readyz") && strcmp(url, "/metrics") && strncmp(url, "/health", 7))
		return reply(c, 404, CT_HEALTH, strdup("{\"status\":\"fail\",\"output\":\"no such endpoint; try /metrics, /health, /health/detailed, /health/metrics, /health/components, /health/redis, /health/sessions, /livez or /readyz\"}"));
	pthread_mutex_lock(&sv->lock);
	if (*req != &headers_seen && sv->done >= (uintptr_t)*req)
		r = &sv->guard.last; /* resumed: the check it waited for is done */
	else
		r = health_guard_peek(&sv->guard);
	if (!r && sv->stop) {
		pthread_mutex_unlock(&sv->lock);
		return reply(c, 503, CT_HEALTH, strdup("{\"status\":\"fail\",\"output\":\"shutting down\"}"));
	}
	if (!r) {
		if (wait_for_check(sv, c, req)) {
			pthread_mutex_unlock(&sv->lock);
			return MHD_NO;
		}
		pthread_mutex_unlock(&sv->lock);
		return MHD_YES; /* called again once resumed */
	}
	body = endpoint(url, r, &type, &code);
	pthread_mutex_unlock(&sv->lock);
	return reply(c, code, type, body);
}

static void stop_checker_only(struct server *sv, pthread_t chk)
{
	pthread_mutex_lock(&sv->lock);
	sv->stop = 1;
	pthread_cond_signal(&sv->wake);
	pthread_mutex_unlock(&sv->lock);
	pthread_join(chk, NULL);
}

static void free_server(struct server *sv)
{
	free(sv->waiting);
	health_guard_free(&sv->guard);
	pthread_cond_destroy(&sv->wake);
	pthread_mutex_destroy(&sv->lock);
}

static void stop_checker(struct server *sv, pthread_t chk)
{
	stop_checker_only(sv, chk);
	free_server(sv);
}

static int cmd_serve(struct cli_app *a, void *opts, int argc, char **argv)
{
	struct serve_opts *o = opts;
	struct health_params hp;
	struct server sv;
	struct MHD_Daemon *d;
	pthread_t chk;
	char shown[300] = "?";
	sigset_t set;
	int rc, fd, sig = 0, i;

	(void)argc;
	(void)argv;
	if ((rc = health_params_from(a, &o->c, &hp)))
		return rc;
	if (o->c.format || o->c.watch) {
		fprintf(stderr, "%s serve: --format does not apply: each endpoint has its own format; see 'sess-health serve --help'\n", a->prog);
		return 3;
	}
	if ((fd = listen_on(o->listen ? o->listen : "127.0.0.1:9188", shown, sizeof shown, &a->err)) < 0) {
		fprintf(stderr, "%s serve: %s\n", a->prog, a->err.msg);
		return 3;
	}
	memset(&sv, 0, sizeof sv);
	pthread_mutex_init(&sv.lock, NULL);
	pthread_cond_init(&sv.wake, NULL);
	health_guard_init(&sv.guard, &hp, &a->cfg, (double)o->cache_ms, (int)o->c.breaker_failures,
			  (double)o->c.breaker_cooldown * 1000);
	/* the workers inherit this mask: only this thread takes the signals */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	if ((rc = pthread_create(&chk, NULL, checker, &sv)) != 0) {
		close(fd);
		fprintf(stderr, "%s serve: cannot start a thread: %s\n", a->prog, strerror(rc));
		free_server(&sv);
		return 3;
	}
	d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO | MHD_USE_ITC |
			     MHD_ALLOW_SUSPEND_RESUME,
			     0, NULL, NULL, handle, &sv,
			     MHD_OPTION_LISTEN_SOCKET, fd,
			     MHD_OPTION_THREAD_POOL_SIZE, (unsigned int)o->threads,
			     MHD_OPTION_CONNECTION_LIMIT, (unsigned int)o->max_connections,
			     MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned int)o->max_per_client,
			     MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)o->idle_timeout,
			     MHD_OPTION_END);
	if (!d) {
		close(fd);
		fprintf(stderr, "%s serve: the HTTP server did not start on %s (libmicrohttpd); try --threads 1\n",
			a->prog, shown);
		stop_checker(&sv, chk);
		return 3;
	}
	fprintf(stderr, "%s: serving http://%s (/metrics, /health, /health/detailed, /health/metrics, /health/components, /health/redis, /health/sessions, /livez, /readyz)\n",
		a->prog, shown);
	sigwait(&set, &sig);
	/* drain: stop accepting, give requests in flight up to 5 s */
	MHD_quiesce_daemon(d);
	for (i = 0; i < 100; i++) {
		const union MHD_DaemonInfo *info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_CURRENT_CONNECTIONS);
		if (!info || info->num_connections == 0)
			break;
		usleep(50000);
	}
	/* the checker ends after the check in flight, whose waiting
	 * requests it resumes; any later one is answered "shutting down" */
	stop_checker_only(&sv, chk);
	MHD_stop_daemon(d);
	close(fd);
	fprintf(stderr, "%s: stopped (%s); %lld checks reached Redis\n", a->prog,
		sig == SIGTERM ? "SIGTERM" : "SIGINT", sv.guard.checks);
	free_server(&sv);
	return 0;
}

const struct cli_cmd health_cmd_serve = {
	.name = "serve", .synopsis = "",
	.summary = "HTTP endpoints: /metrics, /health, /health/{detailed,metrics,components,redis,sessions}, /livez, /readyz",
	.details =
	"Each request checks Redis for real, behind a cache (at most a second)\n"
	"and a circuit breaker. 200 when healthy, 503 otherwise (/readyz: 200\n"
	"while Redis answers); application/health+json, and Prometheus text on\n"
	"/metrics and /health/metrics (the metrics: man sess-health, METRICS).\n"
	"Connections are kept alive between requests (HTTP/1.1).\n"
	"The address in use is printed on stderr at start. SIGTERM or SIGINT\n"
	"drains the requests in flight and exits 0. Redis is checked by one\n"
	"thread of its own: no HTTP thread waits on it, and /livez never touches it.\n"
	"Connections are bounded in all and per client address; more are refused.\n",
	.opts = serve_o, .opts_size = sizeof(struct serve_opts), .defaults = &serve_d,
	.own_common = 1, /* -c critical, -t seconds, ... (options.h) */
	.run = cmd_serve};
