/* listen.h - hearing the session channels of a Redis Cluster
 * (sesskit-layout(7), the notify channel). On a cluster the session
 * scripts SPUBLISH each message, within the session's shard, on the
 * session's channel PREFIX:{ID}:notify and on its slot's channel
 * PREFIX:#{TAG}:notify (keys.h). Sharded pub/sub is heard only on the
 * master serving the channel's slot, and SSUBSCRIBE has no pattern form,
 * so a listener here:
 * - for some sessions: SSUBSCRIBEs to each session's channel on the
 *   master serving its slot;
 * - for every session: SSUBSCRIBEs to the 16,384 slot channels, one
 *   SSUBSCRIBE per slot (a call takes channels of one slot), pipelined
 *   on one connection per master (about 5,500 channels per master of
 *   three; the server keeps one small dict entry per channel).
 * It holds one struct sess_conn per master it listens on (opened with
 * sess_conn_open_at: TLS and ACL as for the cluster conn), and subscribes
 * a channel again, on the master the map then names, when the server
 * says its slot moved (the sunsubscribe a master sends when it loses a
 * slot, or -MOVED/-ASK/-TRYAGAIN/-CLUSTERDOWN refusing an SSUBSCRIBE):
 * the map is read again (at most every 100 ms) and the channel
 * subscribed where it now lives. A master lost (a failover) is the
 * caller's to handle: sess_listen_wait fails, the caller closes the
 * listener, reconnects and opens it again (messages meanwhile are lost,
 * as with any pub/sub).
 *
 * On a standalone server the scripts PUBLISH as before layout 3 and the
 * callers SUBSCRIBE/PSUBSCRIBE as before: this file is for clusters only.
 *
 * Ownership: the caller's struct sess_listen, zeroed or closed before
 * sess_listen_open; the cluster conn is borrowed (its map is read and
 * refreshed; nothing may be in flight on it while the listener works) and
 * must outlive the listener. sess_listen_close releases everything. */
#ifndef SESS_LISTEN_H
#define SESS_LISTEN_H

#include "core/redis/conn.h"

struct sess_listen_sub;

struct sess_listen {
	struct sess_conn *cl;         /* the cluster conn (borrowed) */
	int n;                        /* channels */
	char **chan;                  /* owned: the channels, then their slots */
	int *slot;
	unsigned char *state;         /* per channel: LISTEN_* (listen.c) */
	int all;                      /* the slot channels (index = slot) */
	struct sess_listen_sub **subs; /* one per master listened on */
	int nsubs;
	int on;                       /* channels subscribed (confirmed) */
	int pending;                  /* channels to subscribe (again) */
	long long retry_ms;           /* not before then */
	redisReply **held;            /* messages read while subscribing */
	int nheld, hcap;
};

/* Listen on cluster conn cl (sess_conn_cluster said 1) to the sessions
 * ids[0..n-1] of prefix, or every session when n is 0. Returns once every
 * SSUBSCRIBE is confirmed (a message published after that is heard), or
 * -1 with err: a master unreachable (69/75), SSUBSCRIBE refused (NOPERM:
 * 77; an unknown command: Redis before 7.0, 78), a slot not served within
 * the command timeout (75). l is then closed. */
int sess_listen_open(struct sess_listen *l, struct sess_conn *cl, const char *prefix,
		     int n, const char *const *ids, struct sess_err *err);

/* The next message, waiting up to timeout_ms: 1 with *out, an
 * ["smessage", channel, payload] array reply (caller frees); 0 on timeout
 * or a signal; -1 with err when a master's connection failed or the
 * server refused a subscription (the caller closes and opens again, or
 * gives up on a refusal: err's class says which). Subscriptions confirmed
 * and slots moved are handled inside. */
int sess_listen_wait(struct sess_listen *l, int timeout_ms, redisReply **out,
		     struct sess_err *err);

/* How many channels are subscribed now (confirmed by their master). */
int sess_listen_subscribed(const struct sess_listen *l);

void sess_listen_close(struct sess_listen *l);

#endif
