/* listen.c - the session channels of a Redis Cluster, heard with
 * SSUBSCRIBE on each slot's master (listen.h says how). */
#include "core/session/listen.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/model/keys.h"
#include "core/model/slot.h"
#include "core/redis/cluster.h"
#include "core/redis/stream.h"

/* a channel's state */
enum { LISTEN_PENDING, LISTEN_SENT, LISTEN_ON };
/* a moved slot: the map is read again at most this often */
#define LISTEN_RETRY_MS 100

/* One master's subscriber: the channels whose SSUBSCRIBE reply it owes,
 * in the order sent (an error reply names no channel). */
struct sess_listen_sub {
	struct sess_conn c;
	struct sess_endpoint ep;
	int *fifo;
	size_t fhead, fn, fcap;
};

static int oom(struct sess_err *err)
{
	return sess_err_set(err, SESS_E_INTERNAL, NULL, "out of memory");
}

static int fifo_push(struct sess_listen_sub *s, int ch)
{
	if (s->fhead + s->fn == s->fcap) {
		if (s->fhead) { /* slide down before growing */
			memmove(s->fifo, s->fifo + s->fhead, s->fn * sizeof *s->fifo);
			s->fhead = 0;
		}
		if (s->fn == s->fcap) {
			size_t cap = s->fcap ? s->fcap * 2 : 64;
			int *v = realloc(s->fifo, cap * sizeof *v);
			if (!v)
				return -1;
			s->fifo = v;
			s->fcap = cap;
		}
	}
	s->fifo[s->fhead + s->fn++] = ch;
	return 0;
}

static int fifo_pop(struct sess_listen_sub *s)
{
	int ch;

	if (!s->fn)
		return -1;
	ch = s->fifo[s->fhead++];
	if (!--s->fn)
		s->fhead = 0;
	return ch;
}

static int same_ep(const struct sess_endpoint *a, const struct sess_endpoint *b)
{
	return a->port == b->port && !strcmp(a->host, b->host) && !strcmp(a->unix_path, b->unix_path);
}

/* The subscriber of the master that is node i of the map, opened when
 * new; NULL with err. */
static struct sess_listen_sub *sub_for(struct sess_listen *l, int node, struct sess_err *err)
{
	const struct sess_endpoint *ep = &l->cl->cl->nodes[node].ep;
	struct sess_listen_sub *s, **v;
	int i;

	for (i = 0; i < l->nsubs; i++)
		if (same_ep(&l->subs[i]->ep, ep))
			return l->subs[i];
	if (!(v = realloc(l->subs, (size_t)(l->nsubs + 1) * sizeof *v))) {
		oom(err);
		return NULL;
	}
	l->subs = v;
	if (!(s = calloc(1, sizeof *s))) {
		oom(err);
		return NULL;
	}
	s->ep = *ep;
	s->c.st.fd = -1;
	if (sess_conn_open_at(&s->c, l->cl->cfg, ep, err)) {
		free(s);
		return NULL;
	}
	l->subs[l->nsubs++] = s;
	return s;
}

/* SSUBSCRIBE every pending channel whose slot the map knows, on its
 * master. 0, or -1 with err. */
static int send_pending(struct sess_listen *l, struct sess_err *err)
{
	int ch, i;

	for (ch = 0; ch < l->n && l->pending; ch++) {
		struct sess_listen_sub *s;
		int node;

		if (l->state[ch] != LISTEN_PENDING)
			continue;
		if ((node = sess_cluster_slot_node(l->cl, l->slot[ch])) < 0)
			continue; /* not served now: the next map may say */
		if (!(s = sub_for(l, node, err)))
			return -1;
		if (fifo_push(s, ch))
			return oom(err);
		if (sess_conn_appendf(&s->c, err, "SSUBSCRIBE %s", l->chan[ch]))
			return -1;
		l->state[ch] = LISTEN_SENT;
		l->pending--;
	}
	for (i = 0; i < l->nsubs; i++)
		if (l->subs[i]->fn && sess_conn_send(&l->subs[i]->c, err))
			return -1;
	return 0;
}

/* The channel named name, or -1. */
static int find(const struct sess_listen *l, const char *name, size_t len)
{
	int ch;

	if (l->all) {
		ch = sess_slot_of_key(name, len);
		return !strcmp(l->chan[ch], name) ? ch : -1;
	}
	for (ch = 0; ch < l->n; ch++)
		if (!strcmp(l->chan[ch], name))
			return ch;
	return -1;
}

static void again(struct sess_listen *l, int ch)
{
	if (ch < 0 || l->state[ch] == LISTEN_PENDING)
		return;
	l->state[ch] = LISTEN_PENDING;
	l->pending++;
}

static int is_error(const redisReply *r, const char *word)
{
	size_t n = strlen(word);

	return r->len >= n && !strncmp(r->str, word, n) && (r->len == n || r->str[n] == ' ');
}

/* One reply of subscriber s: 1 a message (*r stays the caller's), 0
 * taken here (freed), -1 with err (freed). */
static int handle(struct sess_listen *l, struct sess_listen_sub *s, redisReply *r,
		  struct sess_err *err)
{
	const char *kind;
	int ch;

	if (r->type == REDIS_REPLY_ERROR) {
		ch = fifo_pop(s);
		if (is_error(r, "MOVED") || is_error(r, "ASK") || is_error(r, "TRYAGAIN") ||
		    is_error(r, "CLUSTERDOWN")) {
			if (ch >= 0 && l->state[ch] == LISTEN_ON)
				l->on--;
			again(l, ch); /* the slot lives elsewhere now */
			freeReplyObject(r);
			return 0;
		}
		sess_conn_reply_error(&s->c, r, err);
		freeReplyObject(r);
		return -1;
	}
	if (r->type != REDIS_REPLY_ARRAY || r->elements < 3 || r->element[0]->type != REDIS_REPLY_STRING) {
		freeReplyObject(r);
		return 0;
	}
	kind = r->element[0]->str;
	if (!strcmp(kind, "smessage"))
		return 1;
	if (!strcmp(kind, "ssubscribe")) {
		if ((ch = fifo_pop(s)) >= 0 && l->state[ch] == LISTEN_SENT) {
			l->state[ch] = LISTEN_ON;
			l->on++;
		}
	} else if (!strcmp(kind, "sunsubscribe") && r->element[1]->type == REDIS_REPLY_STRING) {
		/* the master lost the slot (resharded, or it became a replica) */
		ch = find(l, r->element[1]->str, r->element[1]->len);
		if (ch >= 0 && l->state[ch] == LISTEN_ON) {
			l->on--;
			again(l, ch);
		}
	}
	freeReplyObject(r);
	return 0;
}

/* Wait up to timeout_ms for a message (1), 0 none (or, when opening,
 * every channel subscribed), -1 err. */
static int pump(struct sess_listen *l, int timeout_ms, int opening, redisReply **out,
		struct sess_err *err)
{
	long long deadline = sess_stream_now_ms() + timeout_ms;
	struct pollfd *pfd;
	int i, n, rc;

	*out = NULL;
	for (;;) {
		long long now = sess_stream_now_ms(), left;
		int wait, buffered = 0;

		if (l->nheld) {
			*out = l->held[0];
			memmove(l->held, l->held + 1, (size_t)--l->nheld * sizeof *l->held);
			return 1;
		}
		if (l->pending && now >= l->retry_ms) {
			struct sess_err ignored;
			l->retry_ms = now + LISTEN_RETRY_MS;
			/* a map not read now is read at the next retry */
			if (sess_cluster_refresh(l->cl, &ignored) == 0 && send_pending(l, err))
				return -1;
		}
		for (i = 0; i < l->nsubs; i++) {
			redisReply *r;
			while ((n = sess_conn_wait(&l->subs[i]->c, 0, &r, err)) > 0) {
				if ((rc = handle(l, l->subs[i], r, err)) != 0) {
					if (rc > 0)
						*out = r;
					return rc;
				}
			}
			if (n < 0)
				return -1;
			buffered |= sess_conn_buffered(&l->subs[i]->c);
		}
		if (opening && l->on == l->n)
			return 0;
		if (l->pending && l->retry_ms <= sess_stream_now_ms())
			continue;
		left = deadline - sess_stream_now_ms();
		if (left <= 0)
			return 0;
		wait = buffered ? 0 : (int)left;
		if (l->pending && l->retry_ms - now < wait)
			wait = (int)(l->retry_ms - now > 0 ? l->retry_ms - now : 0);
		if (!(pfd = calloc(l->nsubs ? (size_t)l->nsubs : 1, sizeof *pfd)))
			return oom(err);
		for (i = 0; i < l->nsubs; i++) {
			pfd[i].fd = sess_conn_fd(&l->subs[i]->c);
			pfd[i].events = sess_conn_events(&l->subs[i]->c);
		}
		n = poll(pfd, (nfds_t)l->nsubs, wait);
		free(pfd);
		if (n < 0 && errno == EINTR)
			return 0; /* a signal: the caller looks at its flags */
		if (n < 0)
			return sess_err_set(err, SESS_E_INTERNAL, NULL, "poll: %s", strerror(errno));
	}
}

int sess_listen_open(struct sess_listen *l, struct sess_conn *cl, const char *prefix,
		     int n, const char *const *ids, struct sess_err *err)
{
	char buf[SESS_KEY_MAX];
	long long deadline;
	int ch;

	memset(l, 0, sizeof *l);
	l->cl = cl;
	l->all = n == 0;
	l->n = l->all ? SESS_SLOTS : n;
	if (!(l->chan = calloc((size_t)l->n, sizeof *l->chan)) ||
	    !(l->slot = calloc((size_t)l->n, sizeof *l->slot)) ||
	    !(l->state = calloc((size_t)l->n, sizeof *l->state))) {
		sess_listen_close(l);
		return oom(err);
	}
	for (ch = 0; ch < l->n; ch++) {
		if (l->all)
			sess_key_slot_channel(buf, prefix, sess_slot_tag(ch));
		else
			sess_key_channel(buf, prefix, ids[ch]);
		if (!(l->chan[ch] = strdup(buf))) {
			sess_listen_close(l);
			return oom(err);
		}
		l->slot[ch] = sess_slot_of_key(buf, strlen(buf));
		l->state[ch] = LISTEN_PENDING;
	}
	l->pending = l->n;
	/* the map as it is now (a cached one may be old) */
	if (sess_cluster_refresh(cl, err) || send_pending(l, err)) {
		sess_listen_close(l);
		return -1;
	}
	l->retry_ms = sess_stream_now_ms() + LISTEN_RETRY_MS;
	deadline = sess_stream_now_ms() + cl->cfg->command_timeout_ms;
	while (l->on < l->n) {
		long long left = deadline - sess_stream_now_ms();
		redisReply *r;
		int rc;

		if (left <= 0) {
			sess_err_set(err, SESS_E_TEMP, "timeout",
				     "%d of %d session channels not subscribed within the command timeout (%d ms): a slot not served? check the cluster (CLUSTER INFO)",
				     l->n - l->on, l->n, cl->cfg->command_timeout_ms);
			sess_listen_close(l);
			return -1;
		}
		if ((rc = pump(l, (int)left, 1, &r, err)) < 0) {
			sess_listen_close(l);
			return -1;
		}
		if (rc > 0) { /* a message already: kept for the first wait */
			if (l->nheld == l->hcap) {
				int cap = l->hcap ? l->hcap * 2 : 8;
				redisReply **v = realloc(l->held, (size_t)cap * sizeof *v);
				if (!v) {
					freeReplyObject(r);
					sess_listen_close(l);
					return oom(err);
				}
				l->held = v;
				l->hcap = cap;
			}
			l->held[l->nheld++] = r;
		}
	}
	return 0;
}

int sess_listen_wait(struct sess_listen *l, int timeout_ms, redisReply **out,
		     struct sess_err *err)
{
	return pump(l, timeout_ms, 0, out, err);
}

int sess_listen_subscribed(const struct sess_listen *l)
{
	return l->on;
}

void sess_listen_close(struct sess_listen *l)
{
	int i;

	for (i = 0; i < l->nsubs; i++) {
		sess_conn_close(&l->subs[i]->c);
		free(l->subs[i]->fifo);
		free(l->subs[i]);
	}
	free(l->subs);
	for (i = 0; l->chan && i < l->n; i++)
		free(l->chan[i]);
	free(l->chan);
	free(l->slot);
	free(l->state);
	for (i = 0; i < l->nheld; i++)
		freeReplyObject(l->held[i]);
	free(l->held);
	memset(l, 0, sizeof *l);
}
