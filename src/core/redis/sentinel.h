/* sentinel.h - Redis Sentinel: which server is the primary, asked of the
 * sentinels the settings name (config.h: sentinels, sentinel_master and
 * the sentinels' own credentials), as the Sentinel client spec says:
 * each sentinel in turn, with a short timeout, SENTINEL
 * GET-MASTER-ADDR-BY-NAME; connect there; ROLE must say master, else ask
 * again (the next sentinel, then another round while a failover settles);
 * the sentinel that answered moves to the front for the next time.
 *
 * conn.c opens through here whenever cfg->sentinels is set
 * (sess_conn_open_sentinel, declared in conn.h), in sess_conn_open and
 * sess_conn_reopen alike, so every tool gets it and a reconnect never goes
 * back to the old address without asking. A connection through Sentinel
 * that gets READONLY or LOADING is marked failed (conn.c), so its next use
 * or reopen asks again.
 *
 * Errors: no sentinel reachable: SESS_E_UNAVAILABLE (69), naming them;
 * no sentinel knows the master name: SESS_E_CONFIG (78, kind
 * "unknown_master"); the primary they name unreachable or no primary after
 * the retries: SESS_E_TEMP (75).
 */
#ifndef SESS_SENTINEL_H
#define SESS_SENTINEL_H

#include "core/base/err.h"
#include "core/model/config.h"
#include "core/redis/conn.h"
#include "core/redis/stream.h"

/* Most sentinels a setting may list. */
#define SESS_SENTINELS_MAX 16

/* Parse "host:port,host:port" into eps (up to max); returns how many, or
 * -1 with err (SESS_E_CONFIG). */
int sess_sentinel_parse(const char *list, struct sess_endpoint *eps, int max,
			struct sess_err *err);

/* Ask the sentinels for the primary's address (no ROLE check): 0 with
 * *out, or -1 with err as above. */
int sess_sentinel_ask(const struct sess_config *cfg, struct sess_endpoint *out,
		      struct sess_err *err);

/* Open a connection to a sentinel of cfg (the first that answers PING),
 * with the sentinels' credentials; scfg is filled and must outlive sc.
 * For a subscriber to +switch-master. */
int sess_sentinel_open_any(struct sess_conn *sc, struct sess_config *scfg,
			   const struct sess_config *cfg, struct sess_err *err);

/* ---- +switch-master: a failover heard at once ---- */

/* For long-lived commands (follow, watch, sess-bench): a second
 * connection, to a sentinel, subscribed to +switch-master and polled
 * (never waited on) beside their own. open is a no-op without Sentinel
 * (cfg->sentinels empty); a sentinel that does not answer is tried again
 * at each poll. poll returns 1 when the sentinels switched cfg's master
 * (drop the connections to the old one and open again), else 0; also when
 * the watcher's own connection was lost and, connected again (at most
 * once a second), the sentinels name another primary than before. cfg is
 * borrowed and must outlive s; close is safe on an opened-as-no-op s. */
struct sess_switch {
	struct sess_conn c;
	struct sess_config scfg; /* c's settings (the sentinels') */
	const struct sess_config *cfg;
	int on;
	long long last_try;      /* when a sentinel was last connected to (ms) */
	char primary[280];       /* "host:port" the sentinels named last; "" unknown */
	char now_primary[280];   /* what a (re)connect was told */
	int now_known;
};
void sess_switch_open(struct sess_switch *s, const struct sess_config *cfg);
int sess_switch_poll(struct sess_switch *s);
void sess_switch_close(struct sess_switch *s);

/* ---- what the sentinels see (sess-health, sess-validate server) ---- */

/* One sentinel's view of cfg's master, as SENTINEL MASTER and SENTINEL
 * CKQUORUM tell it. */
struct sess_sentinel_seen {
	struct sess_endpoint ep;     /* the sentinel */
	int reachable;               /* it answered */
	int knows;                   /* it monitors cfg->sentinel_master */
	char error[200];             /* why not reachable, or what it said */
	struct sess_endpoint master; /* the primary it names (knows) */
	long quorum, other_sentinels, replicas;
	char flags[100];             /* "master", "master,s_down", ... */
	char failover[48];           /* failover-state; empty: none under way */
	int quorum_ok;               /* CKQUORUM said OK */
	char quorum_msg[200];        /* CKQUORUM's answer, either way */
};

/* Ask every sentinel cfg names (each with the short timeout, in the order
 * listed) about cfg->sentinel_master; fills out[0..n) and returns n (how
 * many are listed, at most max), or -1 with err when the settings are bad
 * (no list, no master name). A sentinel that does not answer is an entry
 * with reachable 0, never an error. */
int sess_sentinel_view(const struct sess_config *cfg, struct sess_sentinel_seen *out,
		       int max, struct sess_err *err);

/* ---- durable writes: WAIT ---- */

/* Whether writes wait for replicas: sess_config_wait_replicas(cfg) > 0. */
int sess_durable_on(const struct sess_config *cfg);

/* Append "WAIT n timeout" for cfg to a pipeline or a conn: the argv
 * (argv[0..2], buffers nbuf and tbuf of 24 bytes each are the caller's). */
int sess_durable_argv(const struct sess_config *cfg, const char **argv,
		      char *nbuf, char *tbuf);

/* Judge WAIT's reply r: 0 when enough replicas acknowledged, else -1 with
 * err SESS_E_TEMP, kind "not_durable" ("only K of N replicas ... the
 * write was applied on the primary and may be lost in a failover"); an
 * error reply or a reply that is no integer too (then err says it). */
int sess_durable_check(const struct sess_config *cfg, const redisReply *r,
		       struct sess_err *err);

/* Send WAIT on c and judge it (no-op returning 0 when off). */
int sess_durable_wait(struct sess_conn *c, struct sess_err *err);

#endif
