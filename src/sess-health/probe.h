/* probe.h - the measurements sess-health makes of a Redis server and of the
 * session system on it. Each probe is bounded by the connection's command
 * timeout (sess_conn_open sets it), so a stopped or paused server makes a
 * probe fail with a timeout instead of hanging. Probes measure and report;
 * judging the numbers (thresholds, statuses) is the caller's.
 *
 * Pure parts (INFO parsing, latency statistics) are separate functions so
 * unit tests reach them without a server.
 */
#ifndef SESS_PROBE_H
#define SESS_PROBE_H

#include <stddef.h>

#include "core/redis/conn.h"
#include "core/session/ctx.h"
#include "core/base/err.h"

/* (its session id, SESS_PROBE_ID, is in model/keys.h) */

/* ---- INFO ---- */

struct sess_info_field {
	const char *name, *value; /* point into text */
};

struct sess_info {
	char *text;                  /* owned copy, split in place */
	struct sess_info_field *f;   /* owned */
	size_t n;
};

/* Parse INFO's "name:value" lines (sections and blank lines skipped) into
 * in, which the caller releases with sess_info_free. */
int sess_info_parse(const char *text, size_t len, struct sess_info *in,
		    struct sess_err *err);
void sess_info_free(struct sess_info *in);

/* The value of field name, or NULL. */
const char *sess_info_get(const struct sess_info *in, const char *name);

/* The numeric value of field name into *out; -1 when it is missing or not
 * a number (out untouched). */
int sess_info_num(const struct sess_info *in, const char *name, double *out);

/* Within a value of the form "k1=v1,k2=v2" (slaveN, dbN), the number after
 * "key="; -1 when absent. */
int sess_info_sub(const char *value, const char *key, double *out);

/* Run INFO (the default sections) and parse it. */
int sess_probe_info(struct sess_conn *c, struct sess_info *out,
		    struct sess_err *err);

/* ---- latency ---- */

struct sess_latency {
	int n;                 /* samples */
	double p50, p99, max;  /* milliseconds */
};

/* Milliseconds on a monotonic clock (only differences mean anything). */
double sess_probe_clock_ms(void);

/* Statistics of ms[0..n) (sorted in place): nearest-rank percentiles. */
void sess_latency_of(double *ms, int n, struct sess_latency *out);

/* n PINGs one after another (1 <= n <= 1000), each timed. */
int sess_probe_ping(struct sess_conn *c, int n, struct sess_latency *out,
		    struct sess_err *err);

/* ---- pub/sub ---- */

/* A real round trip: a second connection (opened from cfg) SUBSCRIBEs to
 * the probe session's channel; pub PUBLISHes one message there; *ms is the
 * time from PUBLISH until the subscriber holds the message. Bounded by
 * timeout_ms overall; a message that does not arrive in time is
 * SESS_E_TEMP, kind "timeout". *receivers gets PUBLISH's count (other
 * clients listening on the pattern included). On a cluster (pub a
 * cluster conn, or found one) the path the session scripts take there:
 * SSUBSCRIBE on the master serving the channel's slot, SPUBLISH (the
 * count: that shard's subscribers of the channel). */
int sess_probe_pubsub(const struct sess_config *cfg, struct sess_conn *pub,
		      int timeout_ms, double *ms, long long *receivers,
		      struct sess_err *err);

/* ---- the session system ---- */

/* One per-type event counter of the stats hash (its "type:TYPE" field). */
struct sess_type_count {
	char *type;          /* owned */
	long long n;
};

/* The stats hash's counters at one moment (a monotonic time in ms), and
 * with_types, its per-type counters too (types, ntypes: owned, released
 * by sess_counters_free; NULL and 0 otherwise). Without types it is one
 * HMGET; with them one HGETALL of the hash (a field per event type). */
struct sess_counters {
	double t_ms;
	long long sessions, events, completed, deleted;
	struct sess_type_count *types;
	size_t ntypes;
};
int sess_probe_counters(struct sess_ctx *s, int with_types,
			struct sess_counters *out, struct sess_err *err);
void sess_counters_free(struct sess_counters *c);

/* One command per live entry of the index reply m on the entry's meta
 * key, pipelined: cmd KEY, or cmd KEY field when field is not NULL
 * ("EXISTS", "HGET" ... "state"). m holds ids (now < 0: all live, the
 * first n of them) or ids and their scores (WITHSCORES; now >= 0: those
 * expiring after now, of the first n pairs). An entry that is no session
 * id is skipped. Each reply in turn, but an error reply (the error, then),
 * goes to each(r, arg, conn, err) (r borrowed; nonzero stops with err
 * set). The replies still owed after an error are read and dropped. 0, or
 * -1 with err set. */
typedef int (*sess_probe_meta_fn)(const redisReply *r, void *arg, struct sess_conn *c,
				  struct sess_err *err);
int sess_probe_each_meta(struct sess_ctx *s, const redisReply *m, size_t n, long long now,
			 const char *cmd, const char *field, sess_probe_meta_fn each, void *arg,
			 struct sess_err *err);

struct sess_probe_sessions {
	long long active;    /* index entries not expired */
	long long expiring;  /* of those, expiring within the window */
	long long indexed;   /* all index entries */
	long long stale;     /* expired entries maintenance has not pruned */
	long long sampled;   /* live index entries whose meta key was looked up */
	long long missing;   /* of those, with no meta key: index drift */
	char layout[16];     /* the layout version stored, "" when none */
	int layout_known;    /* this build reads it (none stored counts) */
	int fenced;          /* PREFIX:#{TAG}:fence is set (sess-migrate cutover) */
	char fence[520];     /* its text: where the data went ("" if none) */
};

/* Index counts, a drift sample of up to sample (0..1000) random live
 * index entries, the layout version and the fence (one GET each). */
int sess_probe_sessions(struct sess_ctx *s, long long window_ms, int sample,
			struct sess_probe_sessions *out, struct sess_err *err);

#endif
