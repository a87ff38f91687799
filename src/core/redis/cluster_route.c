/* cluster_route.c - commands of a cluster conn to their nodes and their
 * replies back in input order, following MOVED, ASK, TRYAGAIN,
 * CLUSTERDOWN and lost nodes (see cluster.h). */
#include "core/redis/cluster.h"

#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define DISCARD (~0ULL)          /* a fifo entry whose reply is dropped (ASKING) */
#define SIDE (~0ULL - 1)         /* a fifo entry whose reply is the node's side WAIT */
#define MAXARGS 64               /* arguments parsed to find a command's key */

int sess_cluster_ok(const struct sess_conn *c)
{
	return c->cl && !c->cl->failed;
}

static struct sess_cluster_cmd *qat(struct sess_cluster *cl, size_t i)
{
	return &cl->q[(cl->qhead + i) % cl->qcap];
}

static int failed(struct sess_cluster *cl, struct sess_err *err)
{
	*err = cl->fail_err;
	return -1;
}

/* The router cannot go on (replies no longer match): every call fails. */
static int fail_all(struct sess_conn *c, struct sess_err *err)
{
	c->cl->failed = 1;
	c->cl->fail_err = *err;
	return -1;
}

int sess_cluster_append_raw(struct sess_conn *c, const char *cmd, size_t len,
			    struct sess_err *err)
{
	struct sess_cluster *cl = c->cl;
	struct sess_cluster_cmd *e;
	const char *argv[MAXARGS];
	size_t lens[MAXARGS];
	int argc;

	if (cl->failed)
		return failed(cl, err);
	if ((argc = sess_cluster_parse_wire(cmd, len, argv, lens, MAXARGS)) < 1)
		return sess_err_set(err, SESS_E_INTERNAL, NULL,
				    "a command for a cluster must be one RESP array of bulk strings");
	if (cl->qn == cl->qcap) {
		size_t cap = cl->qcap ? 2 * cl->qcap : 64, i;
		struct sess_cluster_cmd *q = calloc(cap, sizeof *q);
		if (!q)
			return sess_err_set(err, SESS_E_INTERNAL, NULL, "out of memory");
		for (i = 0; i < cl->qn; i++)
			q[i] = *qat(cl, i);
		free(cl->q);
		cl->q = q;
		cl->qcap = cap;
		cl->qhead = 0;
	}
	e = qat(cl, cl->qn);
	memset(e, 0, sizeof *e);
	if (!(e->cmd = malloc(len ? len : 1)))
		return sess_err_set(err, SESS_E_INTERNAL, NULL, "out of memory");
	memcpy(e->cmd, cmd, len);
	e->len = len;
	e->slot = sess_cluster_cmd_slot(argc, argv, lens);
	e->node = -1;
	if (lens[0] == 4 && !strncasecmp(argv[0], "WAIT", 4)) {
		/* to the node of the write before it (see cluster.h) */
		e->wait = 1;
		e->slot = cl->last_slot;
	} else if (e->slot >= 0 && !(e->reads = sess_cluster_cmd_reads(argc, argv, lens)))
		cl->last_slot = e->slot;
	if (lens[0] == 5 && !strncasecmp(argv[0], "MULTI", 5))
		e->txn = 1;
	else if ((lens[0] == 4 && !strncasecmp(argv[0], "EXEC", 4)) ||
		 (lens[0] == 7 && !strncasecmp(argv[0], "DISCARD", 7)))
		e->txn = 2;
	cl->qn++;
	return 0;
}

static int fifo_push(struct sess_cluster_node *n, unsigned long long seq)
{
	if (n->fn == n->fcap) {
		size_t cap = n->fcap ? 2 * n->fcap : 64, i;
		unsigned long long *f = malloc(cap * sizeof *f);
		if (!f)
			return -1;
		for (i = 0; i < n->fn; i++)
			f[i] = n->fifo[(n->fhead + i) % n->fcap];
		free(n->fifo);
		n->fifo = f;
		n->fcap = cap;
		n->fhead = 0;
	}
	n->fifo[(n->fhead + n->fn++) % n->fcap] = seq;
	return 0;
}

static unsigned long long fifo_pop(struct sess_cluster_node *n)
{
	unsigned long long s = n->fifo[n->fhead];

	n->fhead = (n->fhead + 1) % n->fcap;
	n->fn--;
	return s;
}

/* The node for command i (queued at i from the head). */
static int node_for(struct sess_cluster *cl, size_t i)
{
	struct sess_cluster_cmd *e = qat(cl, i);
	size_t j;
	int slot = e->slot;

	if (cl->txn_node >= 0)
		return cl->txn_node;
	if (slot < 0 && e->txn == 1)
		for (j = i + 1; j < cl->qn && slot < 0; j++) {
			if (qat(cl, j)->txn == 2)
				break;
			slot = qat(cl, j)->slot;
		}
	if (slot >= 0 && cl->slot[slot] >= 0)
		return cl->slot[slot];
	return cl->any;
}

/* Give command i to node: open its conn, queue (ASKING and) the bytes. */
static int send_to(struct sess_conn *c, size_t i, int node, struct sess_err *err)
{
	struct sess_cluster *cl = c->cl;
	struct sess_cluster_cmd *e = qat(cl, i);
	struct sess_cluster_node *n;

	if (sess_cluster_node_open(c, node, err))
		return -1;
	n = &cl->nodes[node];
	if (e->asking) {
		if (sess_conn_appendf(&n->conn, err, "ASKING") || fifo_push(n, DISCARD))
			return err->msg[0] ? -1 : sess_err_set(err, SESS_E_INTERNAL, NULL, "out of memory");
		e->asking = 0;
	}
	if (sess_conn_append_raw(&n->conn, e->cmd, e->len, err))
		return -1;
	if (fifo_push(n, cl->qbase + i))
		return sess_err_set(err, SESS_E_INTERNAL, NULL, "out of memory");
	e->node = node;
	return 0;
}

/* Back off before sending command e again: 0, or -1 when its deadline
 * passed. */
static int backoff(struct sess_cluster *cl, struct sess_cluster_cmd *e)
{
	long long now = sess_stream_now_ms();

	if (!e->deadline)
		e->deadline = now + cl->cfg->command_timeout_ms;
	if (now >= e->deadline)
		return -1;
	e->backoff_ms = e->backoff_ms ? e->backoff_ms * 2 : 10;
	if (e->backoff_ms > 200)
		e->backoff_ms = 200;
	if (now + e->backoff_ms > e->deadline)
		e->backoff_ms = (int)(e->deadline - now);
	poll(NULL, 0, e->backoff_ms);
	return 0;
}

/* A node's conn failed: every command it owed a reply is to be sent
 * again (it may have run: see cluster.h). */
static void node_lost(struct sess_cluster *cl, int node)
{
	struct sess_cluster_node *n = &cl->nodes[node];

	while (n->fn) {
		unsigned long long s = fifo_pop(n);
		if (s != DISCARD && s != SIDE)
			qat(cl, (size_t)(s - cl->qbase))->node = -1;
	}
	sess_conn_close(&n->conn);
}

/* Give every queued command not yet sent to its node. */
static int dispatch(struct sess_conn *c, struct sess_err *err)
{
	struct sess_cluster *cl = c->cl;
	int k;

	while (cl->qsent < cl->qn) {
		size_t i = cl->qsent;
		struct sess_cluster_cmd *e = qat(cl, i);
		int node = node_for(cl, i);
		e->in_txn = e->txn || cl->txn_node >= 0;
		if (send_to(c, i, node, err)) {
			/* sent at read time, through the retry path */
			e->node = -1;
			if (!e->deadline)
				e->deadline = sess_stream_now_ms() + cl->cfg->command_timeout_ms;
		}
		if (e->txn == 1)
			cl->txn_node = node;
		else if (e->txn == 2)
			cl->txn_node = -1;
		cl->qsent++;
	}
	/* every node starts on its part now (a read waits on one node only) */
	for (k = 0; k < cl->nnodes; k++) {
		struct sess_cluster_node *n = &cl->nodes[k];
		if (n->fn && n->conn.opos < n->conn.olen && sess_conn_flush(&n->conn, err) < 0)
			node_lost(cl, k);
	}
	return 0;
}

int sess_cluster_send(struct sess_conn *c, struct sess_err *err)
{
	struct sess_cluster *cl = c->cl;
	int i;

	if (cl->failed)
		return failed(cl, err);
	dispatch(c, err);
	for (i = 0; i < cl->nnodes; i++)
		if (cl->nodes[i].fn && sess_conn_ok(&cl->nodes[i].conn) &&
		    sess_conn_send(&cl->nodes[i].conn, err))
			node_lost(cl, i);
	return 0;
}

/* "MOVED 3999 127.0.0.1:6381" / "ASK ...": the slot and the node. */
static int redirect_node(struct sess_cluster *cl, const char *s, int *slot)
{
	char host[256];
	const char *sp, *colon;
	int port;

	if (!(sp = strchr(s, ' ')))
		return -1;
	*slot = atoi(sp + 1);
	if (!(sp = strchr(sp + 1, ' ')) || !(colon = strrchr(sp, ':')))
		return -1;
	sp++;
	if ((size_t)(colon - sp) >= sizeof host || *slot < 0 || *slot >= SESS_CLUSTER_SLOTS)
		return -1;
	memcpy(host, sp, (size_t)(colon - sp));
	host[colon - sp] = '\0';
	if (!host[0]) /* "MOVED 12 :6380": the node's ip is unknown to itself */
		snprintf(host, sizeof host, "%s", cl->nodes[cl->any].ep.host);
	port = atoi(colon + 1);
	if (port <= 0 || port > 65535)
		return -1;
	return sess_cluster_node_at(cl, host, port, NULL);
}

static int starts(const redisReply *r, const char *w)
{
	return r->type == REDIS_REPLY_ERROR && r->str && !strncmp(r->str, w, strlen(w)) &&
	       (r->str[strlen(w)] == ' ' || !r->str[strlen(w)]);
}

/* The map read again, at most every SESS_CLUSTER_REFRESH_MS (a
 * resharding answers many MOVED). */
static void refresh_soon(struct sess_conn *c, int force)
{
	struct sess_err ignored;

	if (force || sess_stream_now_ms() - c->cl->refreshed_ms >= SESS_CLUSTER_REFRESH_MS) {
		if (!sess_cluster_refresh(c, &ignored)) {
			sess_cluster_cache_save(c);
			c->cl->dirty = 0;
		}
		c->cl->refreshed_ms = sess_stream_now_ms();
	}
}

/* A transaction's replies: the first command refused is kept, and EXEC's
 * "EXECABORT ... previous errors" becomes "EXECABORT ... because of: that
 * refusal". */
static void note_txn(struct sess_cluster *cl, struct sess_cluster_cmd *e)
{
	static const char head[] = "EXECABORT Transaction discarded because of: ";
	redisReply *r = e->reply, *made;
	char line[sizeof head + sizeof cl->txn_err];
	size_t i;

	if (e->txn == 1) {
		cl->txn_err[0] = '\0';
		return;
	}
	if (r->type != REDIS_REPLY_ERROR || !r->str)
		return;
	if (e->txn == 0) {
		/* a key of another node than the transaction's: as CROSSSLOT,
		 * which it is for a transaction (not the caller's settings) */
		if (!cl->txn_err[0] && (starts(r, "MOVED") || starts(r, "ASK")))
			snprintf(cl->txn_err, sizeof cl->txn_err,
				 "CROSSSLOT a transaction's keys are served by different nodes (%s)", r->str);
		else if (!cl->txn_err[0])
			snprintf(cl->txn_err, sizeof cl->txn_err, "%s", r->str);
		return;
	}
	if (!cl->txn_err[0] || strncmp(r->str, "EXECABORT", 9) || strstr(r->str, "because of:"))
		return;
	for (i = 0; cl->txn_err[i]; i++)
		if (cl->txn_err[i] == '\r' || cl->txn_err[i] == '\n')
			cl->txn_err[i] = ' ';
	snprintf(line, sizeof line, "%s%s", head, cl->txn_err);
	cl->txn_err[0] = '\0';
	if ((made = sess_reply_error_new(line))) {
		freeReplyObject(r);
		e->reply = made;
	}
}

/* Read node's next reply and give it to whom it is owed (the queued
 * command, the side WAIT, or nobody). 0, or -1 with err (the node was
 * lost). */
static int read_one(struct sess_cluster *cl, int node, struct sess_err *err)
{
	struct sess_cluster_node *n = &cl->nodes[node];
	unsigned long long s;
	redisReply *r;

	if (sess_conn_read(&n->conn, &r, err)) {
		node_lost(cl, node);
		return -1;
	}
	s = fifo_pop(n);
	if (s == DISCARD)
		freeReplyObject(r);
	else if (s == SIDE)
		n->side = r;
	else
		qat(cl, (size_t)(s - cl->qbase))->reply = r;
	return 0;
}

/* Read replies from the node of command e until e has its own. 0, or -1
 * (the node was lost: e->node is -1 then) with err. */
static int read_for(struct sess_conn *c, struct sess_cluster_cmd *e, struct sess_err *err)
{
	struct sess_cluster *cl = c->cl;

	while (!e->reply && e->node >= 0)
		if (read_one(cl, e->node, err))
			return -1;
	return 0;
}

/* ---- WAIT for the masters written (durable writes; see cluster.h) ---- */

/* Node k wrote since the last WAIT and still has the conn that carried
 * the write. */
static int vouches(const struct sess_cluster_node *n)
{
	return sess_conn_ok(&n->conn) && n->gen == n->wgen;
}

/* Read node k's replies until its side WAIT's. 0, or -1 (node lost). */
static int read_side(struct sess_conn *c, int k, struct sess_err *err)
{
	struct sess_cluster *cl = c->cl;
	struct sess_cluster_node *n = &cl->nodes[k];

	while (!n->side) {
		if (!n->fn) { /* nothing owed: the side WAIT was lost */
			node_lost(cl, k);
			return -1;
		}
		if (read_one(cl, k, err))
			return -1;
	}
	return 0;
}

/* The reply for the WAIT e at the head of the queue: the smallest count
 * of the nodes written since the last WAIT, or an error reply naming a
 * node lost meanwhile. 0 with e->reply set (and e->node the node that
 * answered, or -1), or 1 when nothing was written: e goes as any other
 * command. */
static int wait_written(struct sess_conn *c, struct sess_cluster_cmd *e)
{
	struct sess_cluster *cl = c->cl;
	redisReply *best = NULL, *r;
	struct sess_err ignored;
	char lost[300] = "";
	int k, nw = 0, own = -1, where = -1, early = e->reply != NULL;

	for (k = 0; k < cl->nnodes; k++)
		nw += cl->nodes[k].wrote;
	if (!nw)
		return 1;
	if (early) {
		/* its reply was read before the commands ahead of it were
		 * answered (one of them sent again after it: a redirection, a
		 * TRYAGAIN): it vouches for none of them; ask every node
		 * written, that one included */
		freeReplyObject(e->reply);
		e->reply = NULL;
	} else if (e->node >= 0 && !read_for(c, e, &ignored) && e->reply) {
		/* the WAIT as sent (the fast path: it went to the one node written) */
		if (cl->nodes[e->node].wrote && vouches(&cl->nodes[e->node]))
			own = e->node;
		else
			freeReplyObject(e->reply);
		if (own < 0)
			e->reply = NULL;
	}
	/* WAIT aside on every other node written, all at once */
	for (k = 0; k < cl->nnodes; k++) {
		struct sess_cluster_node *n = &cl->nodes[k];
		if (!n->wrote || k == own)
			continue;
		if (!vouches(n) || sess_conn_append_raw(&n->conn, e->cmd, e->len, &ignored) ||
		    fifo_push(n, SIDE)) {
			if (!lost[0])
				snprintf(lost, sizeof lost, "%s:%d", n->ep.host, n->ep.port);
			n->wrote = 0;
			continue;
		}
		if (sess_conn_flush(&n->conn, &ignored) < 0) {
			node_lost(cl, k);
			if (!lost[0])
				snprintf(lost, sizeof lost, "%s:%d", n->ep.host, n->ep.port);
			n->wrote = 0;
		}
	}
	if (own >= 0) {
		best = e->reply;
		where = own;
		e->reply = NULL;
	}
	for (k = 0; k < cl->nnodes; k++) {
		struct sess_cluster_node *n = &cl->nodes[k];
		if (!n->wrote || k == own)
			continue;
		n->wrote = 0;
		if (read_side(c, k, &ignored)) {
			if (!lost[0])
				snprintf(lost, sizeof lost, "%s:%d", n->ep.host, n->ep.port);
			continue;
		}
		r = n->side;
		n->side = NULL;
		/* an error, else the smallest count */
		if (!best || (best->type == REDIS_REPLY_INTEGER &&
			      (r->type != REDIS_REPLY_INTEGER || r->integer < best->integer))) {
			if (best)
				freeReplyObject(best);
			best = r;
			where = k;
		} else
			freeReplyObject(r);
	}
	for (k = 0; k < cl->nnodes; k++)
		cl->nodes[k].wrote = 0;
	if (lost[0]) {
		char msg[400];
		if (best)
			freeReplyObject(best);
		snprintf(msg, sizeof msg,
			 "NOTDURABLE the master %s was lost before its replicas acknowledged the write",
			 lost);
		best = sess_reply_error_new(msg);
		where = -1;
	}
	e->reply = best;
	e->node = where;
	return best ? 0 : -1;
}

int sess_cluster_read(struct sess_conn *c, redisReply **out, struct sess_err *err)
{
	struct sess_cluster *cl = c->cl;
	struct sess_cluster_cmd *e;
	struct sess_err last = {0};
	int slot, node;

	*out = NULL;
	if (cl->failed)
		return failed(cl, err);
	if (!cl->qn)
		return sess_err_set(err, SESS_E_INTERNAL, NULL, "no reply is owed on this cluster connection");
	dispatch(c, err);
	e = qat(cl, 0);
	for (;;) {
		redisReply *r;
		if (e->in_txn && !e->reply) {
			/* inside a transaction: its own node, once */
			if (e->node >= 0 && !read_for(c, e, &last) && e->reply) {
				note_txn(cl, e);
				break;
			}
			if (!last.msg[0])
				sess_err_set(&last, SESS_E_UNAVAILABLE, "unavailable",
					     "a transaction's node was lost; its commands were not sent again");
			return fail_all(c, (*err = last, err));
		}
		if (e->in_txn) {
			note_txn(cl, e);
			break;
		}
		if (e->wait == 1) {
			/* (a reply read early is no answer: wait_written) */
			int w = wait_written(c, e);
			if (w == 0)
				break;
			if (w < 0) {
				sess_err_set(&last, SESS_E_INTERNAL, NULL, "out of memory");
				return fail_all(c, (*err = last, err));
			}
			e->wait = 2; /* nothing written: as any command */
		}
		if (e->node < 0 && !e->reply) {
			/* not sent, or its node was lost: the map again */
			node = e->slot >= 0 && cl->slot[e->slot] >= 0 ? cl->slot[e->slot] : cl->any;
			if (send_to(c, 0, node, &last) == 0)
				continue;
			e->node = -1;
			node_lost(cl, node);
			if (backoff(cl, e))
				return fail_all(c, (*err = last, err));
			refresh_soon(c, 1);
			continue;
		}
		if (read_for(c, e, &last)) {
			if (backoff(cl, e))
				return fail_all(c, (*err = last, err));
			refresh_soon(c, 1);
			continue;
		}
		r = e->reply;
		if (e->redirects < SESS_CLUSTER_MAX_REDIRECTS && (starts(r, "MOVED") || starts(r, "ASK")) &&
		    (node = redirect_node(cl, r->str, &slot)) >= 0) {
			int ask = starts(r, "ASK");
			e->redirects++;
			if (!ask) {
				cl->slot[slot] = (short)node;
				cl->nodes[node].master = 1;
				cl->dirty = 1;
				refresh_soon(c, 0);
			}
			freeReplyObject(r);
			e->reply = NULL;
			e->asking = ask;
			if (send_to(c, 0, node, &last)) {
				e->node = -1;
				if (backoff(cl, e))
					return fail_all(c, (*err = last, err));
			}
			continue;
		}
		if ((starts(r, "TRYAGAIN") || starts(r, "CLUSTERDOWN")) && !backoff(cl, e)) {
			freeReplyObject(r);
			e->reply = NULL;
			e->node = -1;
			refresh_soon(c, 0);
			continue;
		}
		break;
	}
	*out = e->reply;
	node = e->node;
	if (node >= 0)
		memcpy(c->where, cl->nodes[node].conn.where, sizeof c->where);
	if (node >= 0 && e->slot >= 0 && !e->wait && !e->reads) {
		/* a write there, maybe: the next WAIT asks that node; the
		 * first write's conn must still be there to vouch (a later
		 * write on a reopened conn does not cover the earlier one) */
		if (!cl->nodes[node].wrote) {
			cl->nodes[node].wrote = 1;
			cl->nodes[node].wgen = cl->nodes[node].gen;
		}
	}
	e->reply = NULL;
	free(e->cmd);
	cl->qhead = (cl->qhead + 1) % cl->qcap;
	cl->qn--;
	cl->qsent--;
	cl->qbase++;
	return 0;
}

int sess_cluster_wait(struct sess_conn *c, int timeout_ms, redisReply **out,
		      struct sess_err *err)
{
	struct sess_cluster *cl = c->cl;

	if (cl->failed)
		return failed(cl, err);
	if (cl->qn)
		return sess_cluster_read(c, out, err) ? -1 : 1;
	if (sess_cluster_node_open(c, cl->any, err))
		return -1;
	return sess_conn_wait(&cl->nodes[cl->any].conn, timeout_ms, out, err);
}

int sess_cluster_redirected(struct sess_conn *c, redisReply *r, const char *cmd,
			    size_t len, redisReply **out, struct sess_err *err)
{
	if (!r || r->type != REDIS_REPLY_ERROR || !r->str || !strcmp(c->cfg->cluster, "no") ||
	    c->cfg->sentinels[0] || c->ep.unix_path[0] ||
	    !(starts(r, "MOVED") || starts(r, "ASK") || starts(r, "CLUSTERDOWN")))
		return 0;
	if (sess_cluster_attach(c, NULL, err)) {
		freeReplyObject(r);
		return -1;
	}
	freeReplyObject(r);
	if (sess_cluster_append_raw(c, cmd, len, err) || sess_cluster_read(c, out, err))
		return -1;
	return 1;
}
