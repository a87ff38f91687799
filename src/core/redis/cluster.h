/* cluster.h - Redis Cluster inside the transport: a struct sess_conn that
 * is a cluster connection routes each command to the master serving its
 * key's hash slot, so callers of sess_conn_cmd/call/append/send/read do
 * not change.
 *
 * Design (who owns what):
 * - A cluster conn is the caller's struct sess_conn with c->cl set; its
 *   own stream is unused (the seed's socket moved into the node table).
 *   c->cl, the node table, one struct sess_conn per node (opened with
 *   sess_conn_open_at: TLS, ACL user, password and timeouts as for one
 *   server) and the queue of commands in flight are owned by c and freed
 *   by sess_conn_close(c).
 * - Appending queues the command (a copy of its wire bytes, kept until
 *   its reply is taken, for a resend) and does no I/O. Send and read
 *   give queued commands to their node's conn in input order (a
 *   pipeline is split per node) and read replies in input order: the
 *   reply of command i is read from its node, replies that node owes for
 *   earlier-queued commands are kept with those. MULTI...EXEC go to the
 *   node of the first key inside them, and are never redirected or sent
 *   again (a command alone outside its transaction would run unguarded):
 *   their replies are the caller's (EXEC's "EXECABORT ... previous errors"
 *   names the first refusal instead: "EXECABORT ... because of: CROSSSLOT
 *   ...", which sess_conn_reply_error maps).
 * - Redirections (cluster_route.c): MOVED: the slot is mapped to the
 *   node named, the command sent there, the whole map read again (at
 *   most every SESS_CLUSTER_REFRESH_MS); ASK: ASKING + the command once
 *   at the node named; TRYAGAIN, CLUSTERDOWN or a node lost: back off
 *   (10 ms doubling to 200 ms), read the map from another node and send
 *   again until the command timeout has passed since the first failure;
 *   then the last error reply is returned (or the transport error).
 *   A command whose node was lost may have run before the loss: it is
 *   sent again, as a reconnecting caller would (an emit with an eventId
 *   is dropped the second time; one without may be stored twice, as
 *   after a Sentinel failover).
 * - Seeds: the node named (URL, host, port), then redis.clusterNodes
 *   when it is down; sess_conn_reopen of a cluster conn whose seed is
 *   gone opens at another master it knew.
 * - Scripts are per node: EVALSHA refused with NOSCRIPT is sent again as
 *   EVAL (scripts.c, pipe.c), which routes by its keys to the same node
 *   and loads the script there; sess_script_load_all loads on every
 *   master.
 * - Cluster mode (config "redis.cluster"): "yes" (or redis.clusterNodes
 *   set): the seed must be a cluster node, its map is read on open;
 *   "no": never (MOVED is an error naming the setting); "auto" (the
 *   default): no extra round trip on a standalone server: the conn
 *   becomes a cluster conn when the slot-map cache knows the seed, when
 *   a single command (nothing else in flight) is redirected, or when a
 *   caller asks for the masters (sess_cluster_masters). A pipeline on an
 *   undetected cluster sees the MOVED error replies (set "yes").
 * - The slot-map cache (cluster_cache.c): $XDG_CACHE_HOME/sesskit (or
 *   ~/.cache/sesskit), one file per seed and user, mode 0600, written
 *   with a temp file and rename. Trusted only when the seed answers
 *   CLUSTER MYID with the id the file names for it; every other node is
 *   asked CLUSTER MYID when first opened from the cache, and a mismatch
 *   (another server on that port now) drops the file and reads the map
 *   again. A file unreadable or malformed is ignored (and replaced).
 * - Fan-out: sess_cluster_masters / sess_cluster_master give each
 *   master's own conn (a standalone conn is its own one master), for SCAN
 *   per master (scan.c walks them all) and commands every master runs.
 *   Nothing may be in flight on the cluster conn meanwhile.
 * - The non-blocking calls (sess_conn_fd, flush, fill, take...) are not
 *   routed: on a cluster conn they fail (fd -1); sess_conn_wait reads
 *   owed replies through the router, then waits on the node of keyless
 *   commands (classic pub/sub is cluster-wide).
 * - WAIT (durable writes) is answered for the masters that stored the
 *   writes: every node that answered a command with a key (but a read:
 *   sess_cluster_cmd_reads) since the previous WAIT (on the conn that carried it) is asked WAIT, and the
 *   reply is the smallest count (one WAIT on that node when there is one,
 *   the pipelined fast path: it is sent to the node of the command
 *   before it). A master lost since it answered (its conn reopened or
 *   gone) cannot vouch for the write any more: the reply is an error
 *   (NOTDURABLE), never a WAIT sent again elsewhere (a fresh conn has
 *   nothing to wait for and would answer at once).
 * - The /db of a URL: a cluster has only database 0; SELECT refused by
 *   a cluster node is SESS_E_CONFIG (78) naming the fix.
 */
#ifndef SESS_CLUSTER_H
#define SESS_CLUSTER_H

#include <stddef.h>

#include "core/base/err.h"
#include "core/model/config.h"
#include "core/model/slot.h"
#include "core/redis/conn.h"

#define SESS_CLUSTER_SLOTS SESS_SLOTS
/* MOVED reads the whole map again at most this often */
#define SESS_CLUSTER_REFRESH_MS 250
/* most redirections of one command before its reply is returned as is */
#define SESS_CLUSTER_MAX_REDIRECTS 16

/* ---- pure: the key of a command (the slot of a key: model/slot.h) ---- */

/* The slot of the command argv: its first key's (argv[1] for most;
 * after numkeys for EVAL, EVALSHA, FCALL and their _RO forms; after
 * STREAMS for XREAD/XREADGROUP; argv[2] for MEMORY USAGE, OBJECT),
 * or -1 for a command without keys (PING, INFO, SCRIPT, ...: any node). */
int sess_cluster_cmd_slot(int argc, const char **argv, const size_t *lens);
/* 1 when argv is a command that only reads (GET, HGETALL, ZRANGE,
 * XRANGE, EVAL_RO...): WAIT need not ask its node; 0 a write or unknown. */
int sess_cluster_cmd_reads(int argc, const char **argv, const size_t *lens);
/* Split a command in the wire format into at most max arguments (pointers
 * into cmd); returns argc, or -1 when it is not one RESP array of bulk
 * strings. */
int sess_cluster_parse_wire(const char *cmd, size_t len, const char **argv,
			    size_t *lens, int max);

/* ---- the cluster conn ---- */

struct sess_cluster_node {
	char id[41];              /* its node id, "" unknown */
	struct sess_endpoint ep;
	struct sess_conn conn;    /* closed until first used */
	int master;               /* serves a slot in the current map */
	int verify;               /* from the cache: check CLUSTER MYID on open */
	unsigned long long *fifo; /* sequence numbers its replies answer */
	size_t fcap, fhead, fn;
	unsigned gen;             /* its conn's opens: another conn, another WAIT */
	int wrote;                /* answered a command with a key since the last WAIT */
	unsigned wgen;            /* gen then */
	redisReply *side;         /* a WAIT sent aside (durable writes), owned */
};

struct sess_cluster_cmd {
	char *cmd;                /* wire bytes, owned */
	size_t len;
	int slot;                 /* -1 keyless */
	int node;                 /* where it was sent; -1 not (yet, again) */
	int asking;               /* send ASKING first */
	int txn;                  /* 1 MULTI, 2 EXEC or DISCARD, else 0 */
	int in_txn;               /* sent inside MULTI...EXEC: never sent again */
	int wait;                 /* WAIT: answered for the masters written (see above) */
	int reads;                /* only reads: its node need not be waited on */
	int redirects;
	long long deadline;       /* retries stop here; 0 none yet */
	int backoff_ms;
	redisReply *reply;        /* read, not taken yet; owned */
};

struct sess_cluster {
	const struct sess_config *cfg;           /* borrowed */
	struct sess_cluster_node *nodes;
	int nnodes, ncap;
	short slot[SESS_CLUSTER_SLOTS];          /* node index, -1 unknown */
	int any;                                 /* node of keyless commands */
	int txn_node;                            /* inside MULTI: its node */
	int last_slot;                           /* of the last command with a key appended */
	long long refreshed_ms;
	struct sess_cluster_cmd *q;              /* ring, oldest at qhead */
	size_t qcap, qhead, qn, qsent;           /* [0, qsent) given to nodes */
	unsigned long long qbase;                /* sequence number of q[qhead] */
	int dirty;                               /* the map changed since the cache was written */
	char txn_err[256];                       /* a command refused inside MULTI, for EXECABORT */
	int failed;                              /* err below, every call */
	struct sess_err fail_err;
};

/* Make c (open, nothing in flight) a cluster conn whose seed has node id
 * myid (may be NULL: asked), its map from the cache (when it matches) or
 * CLUSTER SLOTS. 0, or -1 with err (c is then left as it was). */
int sess_cluster_attach(struct sess_conn *c, const char *myid, struct sess_err *err);

/* Read the map again from a node (the one answering first of those
 * known and the configured seeds). 0, or -1 with err. */
int sess_cluster_refresh(struct sess_conn *c, struct sess_err *err);

/* The node serving slot, or -1 unknown. */
int sess_cluster_slot_node(const struct sess_conn *c, int slot);

/* The masters: their number (1 for a standalone conn, which is its own
 * master; in "auto" the seed is asked whether it is a cluster node), or
 * -1 with err. */
int sess_cluster_masters(struct sess_conn *c, struct sess_err *err);
/* The i-th master's conn, opened (owned by c, valid until c is closed or
 * the map changes), or NULL with err. */
struct sess_conn *sess_cluster_master(struct sess_conn *c, int i, struct sess_err *err);
/* Run one command on every master: replies[i] for master i (each the
 * caller's to free; the array too), *n their count. Error replies are
 * returned as replies. 0, or -1 with err (nothing to free). */
int sess_cluster_each(struct sess_conn *c, int argc, const char **argv,
		      const size_t *lens, redisReply ***replies, int *n,
		      struct sess_err *err);

/* The routed calls conn.c makes are declared in conn.h (conn.c does not
 * include this header: the layers stay acyclic). */

/* ---- the slot-map cache (cluster_cache.c) ---- */

/* The cache file's path for c's seed and user into buf; -1 when there
 * is no cache directory (no HOME). */
int sess_cluster_cache_path(const struct sess_conn *c, char *buf, size_t n);
/* Load the map for seed id myid into cl (nodes flagged verify): 0, or -1
 * when there is no usable file for it. */
int sess_cluster_cache_load(struct sess_conn *c, const char *myid);
/* Write cl's map (best effort: a cache that cannot be written is not an
 * error). */
void sess_cluster_cache_save(const struct sess_conn *c);
void sess_cluster_cache_drop(const struct sess_conn *c);

/* Internal to cluster*.c: node of host:port (added when new), -1 out of
 * memory. */
int sess_cluster_node_at(struct sess_cluster *cl, const char *host, int port,
			 const char *id);
/* Open node i's conn when closed (checking its id when it came from the
 * cache). 0, or -1 with err. */
int sess_cluster_node_open(struct sess_conn *c, int i, struct sess_err *err);

#endif
