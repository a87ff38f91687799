/* engine.c - sess-bench's load generator.
 *
 * --threads workers, each one poll loop over its share of --clients
 * connections. A connection is opened like every sesskit connection
 * (sess_conn_open: URL, AUTH, SELECT) and then driven through the
 * transport's non-blocking calls: commands are queued in its output
 * buffer, flushed as the socket takes them, and replies parsed from what
 * arrived, while this loop polls: no thread or blocking call per client,
 * and no allocation per command beyond the reply objects, so the client
 * is not what is measured.
 *
 * Closed loop (the default): each connection keeps --pipeline operations
 * in flight and sends the next as soon as one completes; latency runs from
 * the send. Open loop (--rate N): each connection has its share of the
 * rate and a schedule of intended send times; an operation is sent at its
 * time, or as soon after as the pipeline allows, and its latency runs from
 * the intended time, so a stalled server shows as latency instead of
 * silently lowering the load (no coordinated omission; wrk2's method).
 * Think time (mixed): a client sends one operation, waits for it, thinks
 * a random 0..2x --think, and goes on.
 *
 * Operations sent during --warmup are not measured and not counted towards
 * --requests. Every reply is matched to its operation by order (Redis
 * answers a connection's commands in order); an operation of several
 * commands (get, list, a create batch) completes with its last reply.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench.h"
#include "core/session/emit.h"
#include "core/redis/scripts.h"
#include "core/redis/sentinel.h"

uint64_t sb_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

void sb_stats_init(struct sb_stats *st)
{
	int i;

	memset(st, 0, sizeof *st);
	for (i = 0; i < SB_NOPS; i++)
		sess_hist_init(&st->hist[i]);
}

void sb_stats_error(struct sb_stats *st, int op, const char *kind)
{
	int i;

	st->errors[op]++;
	for (i = 0; i < st->nkinds; i++)
		if (!strcmp(st->kinds[i].kind, kind))
			break;
	if (i == st->nkinds) {
		if (st->nkinds == SB_KINDS) { /* more kinds than we keep: lump them */
			i = SB_KINDS - 1;
			snprintf(st->kinds[i].kind, sizeof st->kinds[i].kind, "other");
		} else {
			snprintf(st->kinds[i].kind, sizeof st->kinds[i].kind, "%s", kind);
			st->nkinds++;
		}
	}
	st->kinds[i].n++;
}

void sb_stats_merge(struct sb_stats *dst, const struct sb_stats *src)
{
	int i, k;

	for (i = 0; i < SB_NOPS; i++) {
		sess_hist_merge(&dst->hist[i], &src->hist[i]);
		dst->errors[i] += src->errors[i];
	}
	dst->done += src->done;
	dst->moved += src->moved;
	dst->ask += src->ask;
	dst->tryagain += src->tryagain;
	for (k = 0; k < src->nkinds; k++) {
		for (i = 0; i < dst->nkinds; i++)
			if (!strcmp(dst->kinds[i].kind, src->kinds[k].kind))
				break;
		if (i == dst->nkinds) {
			if (dst->nkinds == SB_KINDS)
				i = SB_KINDS - 1;
			else
				dst->nkinds++;
			snprintf(dst->kinds[i].kind, sizeof dst->kinds[i].kind, "%s", src->kinds[k].kind);
		}
		dst->kinds[i].n += src->kinds[k].n;
	}
}

uint64_t sb_stats_count(const struct sb_stats *st, int op)
{
	return st->hist[op].count + st->errors[op];
}

/* An operation in flight. */
struct flight {
	uint64_t t0;     /* intended (open loop) or actual send time */
	int op, left;    /* replies still owed */
	int measured;    /* sent after the warmup */
	int redirect;    /* a cluster's master redirected it (sb_nodes_redirected) */
	char kind[SESS_ERR_KIND_MAX]; /* its first error, "" = none */
};

struct conn {
	struct sess_conn sc;
	struct sb_client cl;
	struct flight *q;       /* a ring of --pipeline */
	int head, n;
	uint64_t due;           /* open loop / think: next send time */
	long quota;             /* measured operations still to send; -1 = no limit */
	int stale;              /* READONLY through Sentinel: the primary moved */
	int gen;                /* the failovers heard when it was last opened */
	int redirected_row;     /* its operations redirected in a row */
};

/* A client's redirected operations in a row sent again (not counted
 * towards --requests); from then on they count, so that a --requests run
 * ends when they never stop (a list whose slots moved, a master left
 * without sessions). */
#define SB_REDIRECT_RESEND 10

struct run;

struct worker {
	struct run *run;
	int id;
	pthread_t th;
	struct conn *c;
	int nc;
	struct sb_stats *total, *iv;  /* iv: since the last interval, under mu */
	struct sb_stats *nodes;        /* a cluster: per master (its own, no lock) */
	pthread_mutex_t mu;
	uint64_t last_ns;              /* when its last measured op completed */
	uint64_t all_ops;              /* every op completed, warmup included */
	int gen;                       /* the failovers it has acted on */
	long reconnects;               /* connections opened again (failover) */
	int finished, fatal;
	struct sess_err err;
};

struct run {
	struct sb_scn *s;
	const struct sb_opts *o;
	uint64_t t_start, t_measure, t_stop; /* t_stop 0 = by --requests */
	uint64_t every_ns;       /* open loop: one connection's interval */
	volatile int stop;
	volatile int gen;        /* failovers heard (+switch-master): the
				  * workers open their connections again */
	char primary[280];       /* "host:port" the last switch named; written
				  * before gen is raised, read after it is seen */
	const struct sess_config *cfg;
	struct sess_config node_cfg;  /* a cluster: cfg for the plain conns to its masters */
	struct worker *w;
	int nw;
};

/* A redirected operation (slots moving): not run by the master it was
 * sent to, so neither a success nor an error, and not an operation the
 * servers' figures saw; counted as a redirection of its kind, and a
 * measured one is sent again (another session: --requests still
 * counts what ran), up to SB_REDIRECT_RESEND in a row. */
static void op_redirected(struct worker *w, struct conn *c, struct flight *f)
{
	struct sb_stats *n = w->nodes ? &w->nodes[c->cl.node] : NULL;

	if (f->measured && c->quota >= 0 && c->redirected_row++ < SB_REDIRECT_RESEND)
		c->quota++;
	if (!f->measured)
		return;
	pthread_mutex_lock(&w->mu);
	if (f->redirect == 1)
		w->total->moved++;
	else if (f->redirect == 2)
		w->total->ask++;
	else
		w->total->tryagain++;
	pthread_mutex_unlock(&w->mu);
	if (n)
		*(f->redirect == 1 ? &n->moved : f->redirect == 2 ? &n->ask : &n->tryagain) += 1;
}

static void op_done(struct worker *w, struct conn *c, struct flight *f, uint64_t now)
{
	if (f->redirect) {
		op_redirected(w, c, f);
		return;
	}
	c->redirected_row = 0;
	w->all_ops++;
	if (w->nodes)
		w->nodes[c->cl.node].done++;
	if (!f->measured)
		return;
	pthread_mutex_lock(&w->mu);
	if (f->kind[0]) {
		sb_stats_error(w->total, f->op, f->kind);
		sb_stats_error(w->iv, f->op, f->kind);
	} else {
		sess_hist_record(&w->total->hist[f->op], now - f->t0);
		sess_hist_record(&w->iv->hist[f->op], now - f->t0);
	}
	pthread_mutex_unlock(&w->mu);
	if (w->nodes) {
		if (f->kind[0])
			sb_stats_error(&w->nodes[c->cl.node], f->op, f->kind);
		else
			sess_hist_record(&w->nodes[c->cl.node].hist[f->op], now - f->t0);
	}
	w->last_ns = now;
}

/* One reply for the oldest operation in flight on c. */
static void on_reply(struct worker *w, struct conn *c, redisReply *r, uint64_t now)
{
	struct run *run = w->run;
	struct flight *f = &c->q[c->head];
	struct sess_err err;

	if (!f->kind[0] && !f->redirect) {
		sess_err_clear(&err);
		if (r->type == REDIS_REPLY_ERROR && run->s->nnodes &&
		    (f->redirect = sb_nodes_redirected(run->s, r->str, c->cl.node))) {
			/* slots moving: counted apart (op_redirected) */
		} else if (r->type == REDIS_REPLY_ERROR) {
			if (run->cfg->sentinels[0] && !strncmp(r->str, "READONLY", 8))
				c->stale = 1; /* demoted: the new primary is asked for */
			sess_script_error(&c->sc, r, &err);
			snprintf(f->kind, sizeof f->kind, "%s", err.kind[0] ? err.kind : "error");
		} else if (f->op == SB_EMIT) {
			/* an emit's refusal is inside the script's reply */
			struct sess_ctx ctx = {.conn = &c->sc, .cfg = run->s->cfg};
			struct sess_emit_res res;
			if (sess_emit_parse(&ctx, r, 0, &res, &err))
				snprintf(f->kind, sizeof f->kind, "%s", err.kind[0] ? err.kind : "error");
		}
	}
	freeReplyObject(r);
	if (--f->left > 0)
		return;
	op_done(w, c, f, now);
	c->head = (c->head + 1) % (int)run->o->pipeline;
	c->n--;
	if (run->s->think_ns) /* think 0..2x the mean before the next */
		c->due = now + sb_rand(&c->cl.rng) % (2 * (uint64_t)run->s->think_ns + 1);
}

/* Send what c may send now; *wait_ns is lowered to when it may send next. */
static int fill(struct worker *w, struct conn *c, uint64_t now, int stopping, uint64_t *wait_ns)
{
	struct run *run = w->run;
	const struct sb_opts *o = run->o;
	int limit = run->s->think_ns ? 1 : (int)o->pipeline;

	while (!stopping && c->n < limit && c->quota != 0) {
		struct flight *f;
		uint64_t t0 = now;
		int op, nrep;
		if (run->every_ns || run->s->think_ns) {
			if (c->due > now) {
				if (c->due - now < *wait_ns)
					*wait_ns = c->due - now;
				break;
			}
			t0 = c->due;
			c->due = run->every_ns ? c->due + run->every_ns : UINT64_MAX;
		}
		op = sb_scn_next(run->s, &c->cl, &c->sc, &nrep);
		if (op < 0)
			return sess_err_set(&w->err, SESS_E_INTERNAL, NULL, "out of memory");
		f = &c->q[(c->head + c->n) % (int)o->pipeline];
		f->t0 = t0;
		f->op = op;
		f->left = nrep;
		f->kind[0] = '\0';
		f->redirect = 0;
		f->measured = t0 >= run->t_measure;
		if (f->measured && c->quota > 0)
			c->quota--;
		c->n++;
	}
	return 0;
}

/* The connection failed (w->err says how): say so as sesskit does
 * everywhere. */
static int conn_lost(struct worker *w, struct conn *c)
{
	if (w->err.cls != SESS_E_UNAVAILABLE && w->err.cls != SESS_E_TEMP)
		w->err.cls = SESS_E_UNAVAILABLE;
	sess_err_prefix(&w->err, "lost the connection to %s mid-run", c->sc.where);
	return -1;
}

/* Through Sentinel, a connection that failed, was demoted (READONLY) or
 * whose master the sentinels switched is opened again where they say the
 * primary is now (sess_conn_reopen asks them, ROLE checked) and its
 * scripts loaded: its operations in flight count as errors of kind
 * "failover" and the run goes on; the report counts the reconnects. Not
 * through Sentinel, or no primary found in time: the run stops (-1). */
static int reconnect(struct worker *w, struct conn *c, uint64_t now)
{
	struct run *run = w->run;

	if (!run->cfg->sentinels[0])
		return conn_lost(w, c);
	while (c->n > 0) {
		struct flight *f = &c->q[c->head];
		if (!f->kind[0])
			snprintf(f->kind, sizeof f->kind, "failover");
		op_done(w, c, f, now);
		c->head = (c->head + 1) % (int)run->o->pipeline;
		c->n--;
	}
	c->head = 0;
	c->stale = 0;
	sess_err_clear(&w->err);
	/* opened after the failovers heard so far: a switch heard before
	 * this reopen must not reopen it again */
	c->gen = __atomic_load_n(&run->gen, __ATOMIC_ACQUIRE);
	if (sess_conn_reopen(&c->sc, &w->err) || sess_script_prepare(&c->sc, &w->err)) {
		sess_err_prefix(&w->err, "after a failover, no primary to go on with");
		return -1;
	}
	w->reconnects++;
	return 0;
}

/* 1 when c is open at "host:port" (the primary a switch named): a
 * connection that went there already is not opened again. */
static int at_primary(const struct conn *c, const char *primary)
{
	char here[300];

	if (!primary[0] || !sess_conn_ok(&c->sc))
		return 0;
	snprintf(here, sizeof here, "%.255s:%d", c->sc.ep.host, c->sc.ep.port);
	return !strcmp(here, primary);
}

static int loop(struct worker *w)
{
	struct run *run = w->run;
	struct pollfd *pf = calloc((size_t)w->nc, sizeof *pf);
	int i, rc = -1;

	if (!pf)
		return sess_err_set(&w->err, SESS_E_INTERNAL, NULL, "out of memory");
	for (;;) {
		uint64_t now = sb_now_ns(), wait_ns = 100000000ULL; /* look at stop at least every 100 ms */
		int stopping = run->stop || cli_stop_signal() || (run->t_stop && now >= run->t_stop);
		int busy = 0, more = 0, held = 0;
		struct timespec ts;

		if (w->gen != run->gen) { /* the sentinels switched the master */
			w->gen = __atomic_load_n(&run->gen, __ATOMIC_ACQUIRE);
			for (i = 0; i < w->nc; i++)
				if (w->c[i].gen != w->gen && !at_primary(&w->c[i], run->primary))
					w->c[i].stale = 1;
		}
		for (i = 0; i < w->nc; i++) {
			struct conn *c = &w->c[i];
			if (c->stale && reconnect(w, c, now))
				goto out;
			if (fill(w, c, now, stopping, &wait_ns))
				goto out;
			/* after a reconnect nothing is queued: polled as new */
			if (sess_conn_flush(&c->sc, &w->err) < 0 && reconnect(w, c, now))
				goto out;
			pf[i].fd = sess_conn_fd(&c->sc);
			pf[i].events = sess_conn_events(&c->sc);
			pf[i].revents = 0;
			/* input the transport holds already: no waiting for it */
			held += sess_conn_buffered(&c->sc);
			busy += c->n > 0;
			more += !stopping && c->quota != 0;
		}
		if (!busy && !more)
			break;
		if (held)
			wait_ns = 0;
		ts.tv_sec = (time_t)(wait_ns / 1000000000ULL);
		ts.tv_nsec = (long)(wait_ns % 1000000000ULL);
		if (ppoll(pf, (nfds_t)w->nc, &ts, NULL) < 0 && errno != EINTR) {
			sess_err_set(&w->err, SESS_E_INTERNAL, NULL, "poll: %s", strerror(errno));
			goto out;
		}
		now = sb_now_ns();
		for (i = 0; i < w->nc; i++) {
			struct conn *c = &w->c[i];
			redisReply *r;
			int got;
			if (!(pf[i].revents & (POLLIN | POLLERR | POLLHUP)) && !sess_conn_buffered(&c->sc))
				continue;
			if (sess_conn_fill(&c->sc, &w->err)) {
				if (reconnect(w, c, now))
					goto out;
				continue;
			}
			for (;;) {
				if ((got = sess_conn_take(&c->sc, &r, &w->err)) < 0) {
					if (reconnect(w, c, now))
						goto out;
					break;
				}
				if (!got)
					break;
				if (!c->n) { /* nothing asked: a protocol error */
					freeReplyObject(r);
					sess_err_set(&w->err, SESS_E_INTERNAL, NULL, "a reply nobody asked for");
					goto out;
				}
				on_reply(w, c, r, now);
			}
		}
	}
	rc = 0;
out:
	free(pf);
	return rc;
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	sigset_t block;

	/* signals go to the main thread, which wakes us through run->stop */
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &block, NULL);
	if (loop(w)) {
		w->fatal = 1;
		w->run->stop = 1;
	}
	__atomic_store_n(&w->finished, 1, __ATOMIC_RELEASE);
	return NULL;
}

static void free_workers(struct run *run)
{
	int i, k;

	for (i = 0; i < run->nw; i++) {
		struct worker *w = &run->w[i];
		for (k = 0; k < w->nc; k++) {
			sess_conn_close(&w->c[k].sc);
			free(w->c[k].q);
		}
		free(w->c);
		free(w->total);
		free(w->iv);
		free(w->nodes);
		pthread_mutex_destroy(&w->mu);
	}
	free(run->w);
}

int sb_run(struct sb_scn *s, const struct sess_config *cfg, sb_interval_fn each,
	   void *arg, struct sb_result *res, struct sess_err *err)
{
	const struct sb_opts *o = s->o;
	struct run run;
	struct sess_switch sw;
	struct sb_stats *iv = malloc(sizeof *iv);
	long per_conn, extra;
	uint64_t next_tick, last_tick, interval_ns = (uint64_t)o->interval * 1000000ULL;
	int i, k, idx = 0, started = 0, rc = -1;

	memset(&run, 0, sizeof run);
	memset(&sw, 0, sizeof sw);
	sw.c.st.fd = -1; /* closed: safe to close before it is opened */
	run.s = s;
	run.o = o;
	run.cfg = cfg;
	run.nw = (int)o->threads;
	sb_stats_init(&res->total);
	res->elapsed_s = 0;
	res->interrupted = 0;
	res->all_ops = 0;
	res->failovers = 0;
	res->reconnects = 0;
	res->node_stats = NULL;
	if (s->nnodes) {
		/* plain conns, each to its master (nodes.c) */
		run.node_cfg = *cfg;
		snprintf(run.node_cfg.cluster, sizeof run.node_cfg.cluster, "no");
	}
	if (!iv || !(run.w = calloc((size_t)run.nw, sizeof *run.w))) {
		free(iv);
		return sess_err_set(err, SESS_E_INTERNAL, NULL, "out of memory");
	}
	/* --requests shared out over the clients */
	per_conn = o->requests / o->clients;
	extra = o->requests % o->clients;
	for (i = 0; i < run.nw; i++) {
		struct worker *w = &run.w[i];
		w->run = &run;
		w->id = i;
		w->nc = (int)(o->clients / o->threads + (i < o->clients % o->threads));
		pthread_mutex_init(&w->mu, NULL);
		w->c = calloc((size_t)w->nc, sizeof *w->c);
		w->total = malloc(sizeof *w->total);
		w->iv = malloc(sizeof *w->iv);
		if (!w->c || !w->total || !w->iv) {
			sess_err_set(err, SESS_E_INTERNAL, NULL, "out of memory");
			goto done;
		}
		sb_stats_init(w->total);
		sb_stats_init(w->iv);
		if (s->nnodes) {
			if (!(w->nodes = malloc((size_t)s->nnodes * sizeof *w->nodes))) {
				sess_err_set(err, SESS_E_INTERNAL, NULL, "out of memory");
				goto done;
			}
			for (k = 0; k < s->nnodes; k++)
				sb_stats_init(&w->nodes[k]);
		}
		for (k = 0; k < w->nc; k++, idx++) {
			struct conn *c = &w->c[k];
			if (!(c->q = calloc((size_t)o->pipeline, sizeof *c->q))) {
				sess_err_set(err, SESS_E_INTERNAL, NULL, "out of memory");
				goto done;
			}
			sb_client_init(&c->cl, s, i, idx);
			c->quota = o->duration ? -1 : per_conn + (idx < extra);
			if (s->nnodes ? sess_conn_open_at(&c->sc, &run.node_cfg, &s->nodes[c->cl.node].ep, err)
				      : sess_conn_open(&c->sc, cfg, err))
				goto done;
			/* the setup loaded what this mode needs on every master */
			c->sc.scripts = s->scripts;
		}
	}
	run.t_start = sb_now_ns();
	run.t_measure = run.t_start + (uint64_t)o->warmup * 1000000000ULL;
	run.t_stop = o->duration ? run.t_measure + (uint64_t)o->duration * 1000000000ULL : 0;
	if (o->rate)
		run.every_ns = (uint64_t)(1e9 * (double)o->clients / (double)o->rate);
	for (i = 0, idx = 0; i < run.nw; i++)
		for (k = 0; k < run.w[i].nc; k++, idx++)
			/* stagger the clients' schedules over one interval */
			run.w[i].c[k].due = run.t_start + (run.every_ns ? run.every_ns * (uint64_t)idx / (uint64_t)o->clients : 0);
	for (i = 0; i < run.nw; i++) {
		if (pthread_create(&run.w[i].th, NULL, worker_main, &run.w[i])) {
			run.stop = 1;
			sess_err_set(err, SESS_E_INTERNAL, NULL, "cannot start a thread");
			break;
		}
		started++;
	}
	/* the main thread hears the sentinels (no-op without them) and
	 * reports every interval until the workers are done */
	sess_switch_open(&sw, cfg);
	last_tick = run.t_measure;
	next_tick = run.t_measure + (interval_ns ? interval_ns : 100000000ULL);
	for (;;) {
		int done = 0;
		uint64_t now = sb_now_ns();
		for (i = 0; i < started; i++)
			done += __atomic_load_n(&run.w[i].finished, __ATOMIC_ACQUIRE);
		if (cli_stop_signal()) {
			run.stop = 1;
			res->interrupted = 1;
		}
		if (sess_switch_poll(&sw)) {
			snprintf(run.primary, sizeof run.primary, "%s", sw.primary);
			res->failovers++;
			__atomic_add_fetch(&run.gen, 1, __ATOMIC_RELEASE);
		}
		if (done == started || now >= next_tick) {
			if (interval_ns && each && now > run.t_measure && !run.stop) {
				sb_stats_init(iv);
				for (i = 0; i < started; i++) {
					pthread_mutex_lock(&run.w[i].mu);
					sb_stats_merge(iv, run.w[i].iv);
					sb_stats_init(run.w[i].iv);
					pthread_mutex_unlock(&run.w[i].mu);
				}
				if (done != started || now - last_tick >= interval_ns / 2)
					each(iv, (double)(now - run.t_measure) / 1e9,
					     (double)(now - last_tick) / 1e9, arg);
			}
			last_tick = now;
			next_tick = now + (interval_ns ? interval_ns : 100000000ULL);
			if (done == started)
				break;
		}
		{
			uint64_t w8 = next_tick - now;
			struct timespec ts;
			if (w8 > 20000000ULL) /* see workers finish within 20 ms */
				w8 = 20000000ULL;
			ts.tv_sec = 0;
			ts.tv_nsec = (long)w8;
			nanosleep(&ts, NULL);
		}
	}
	rc = 0;
	for (i = 0; i < started; i++) {
		struct worker *w = &run.w[i];
		pthread_join(w->th, NULL);
		if (w->fatal && rc == 0) {
			*err = w->err;
			rc = -1;
		}
		sb_stats_merge(&res->total, w->total);
		res->all_ops += w->all_ops;
		res->reconnects += w->reconnects;
		if (w->last_ns > run.t_measure && (double)(w->last_ns - run.t_measure) / 1e9 > res->elapsed_s)
			res->elapsed_s = (double)(w->last_ns - run.t_measure) / 1e9;
	}
	if (started < run.nw)
		rc = -1;
	if (s->nnodes && (res->node_stats = malloc((size_t)s->nnodes * sizeof *res->node_stats))) {
		for (k = 0; k < s->nnodes; k++) {
			sb_stats_init(&res->node_stats[k]);
			for (i = 0; i < started; i++)
				sb_stats_merge(&res->node_stats[k], &run.w[i].nodes[k]);
		}
	}
done:
	sess_switch_close(&sw);
	free_workers(&run);
	free(iv);
	return rc;
}
