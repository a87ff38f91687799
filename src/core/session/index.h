/* index.h - the companion keys' upkeep (layout 3: the session index
 * PREFIX:#{TAG}:index scored by expiry, the agent indexes
 * PREFIX:#{TAG}:agent:A, the registry PREFIX:#{TAG}:agents, the stats
 * hash PREFIX:#{TAG}:stats, and the layout marker) for the writes that are
 * not session scripts: sessions written whole (sess-replay fork, sess-migrate
 * copy, import, sync and rollback). The session scripts update them
 * themselves, atomically with the session.
 *
 * Each function queues commands on a pipeline (the caller takes the
 * replies). The tag of each session is its slot's when p's conn is a
 * cluster conn, else the one tag: call sess_conn_cluster on that conn
 * before queuing (a caller inside a MULTI must have asked before it). All
 * of one session's upkeep shares its slot, so it may ride in the MULTI that
 * writes the session.
 */
#ifndef SESS_INDEX_H
#define SESS_INDEX_H

#include "core/model/config.h"
#include "core/redis/pipe.h"

/* agent joined session id (expiring at expiry) at now. */
int sess_index_joined(struct sess_pipe *p, const struct sess_config *cfg,
		      const char *id, const char *agent, long long now,
		      long long expiry, struct sess_err *err);
/* expiry: the session's new expiry (ms); the index entry follows it. */
int sess_index_touched(struct sess_pipe *p, const struct sess_config *cfg,
		       const char *id, long long expiry, struct sess_err *err);
/* The session is there (expiring at expiry, ms): add its index entry if
 * it has none, leave an existing one alone (a live sync resumed after a
 * kill between a session's arrival and its index entry). */
int sess_index_present(struct sess_pipe *p, const struct sess_config *cfg,
		       const char *id, long long expiry, struct sess_err *err);
/* agents: the members the session had; counted as deleted. */
int sess_index_deleted(struct sess_pipe *p, const struct sess_config *cfg,
		       const char *id, const char *const *agents, size_t nagents,
		       struct sess_err *err);

/* Many sessions arriving at once (sess-migrate copy, import, sync, a fork):
 * their index entries, agent indexes, registry and counters, gathered
 * into one ZADD per key and one HINCRBY per counter of each tag when
 * flushed. Same end state as one change at a time in the order added (a
 * later score for one member wins, as it would). Counters (count, type)
 * belong to the session last named by created, touched or joined. The
 * strings are copied; sess_arrivals_free drops them. */
struct sess_arrival {
	int key;              /* 0 the index, 1 an agent's, 2 the registry, 3 a counter */
	long long score;      /* key 3: the increment */
	char *member;         /* owned; key 3: the stats field */
	char *agent;          /* owned, for key 1; NULL otherwise */
	char *sid;            /* owned: the session it is about (its tag) */
	const char *tag;      /* set by flush */
	size_t order;         /* when added: ties keep it */
};
struct sess_arrivals {
	const struct sess_config *cfg;
	struct sess_arrival *v;
	size_t n, cap;
	int sessions;         /* a session was created: set the layout marker */
	char last[SESS_KEY_MAX]; /* the session last named */
	/* type:* counts of mig_snap_count_types (sess_arrivals_type with no
	 * session named yet): owned */
	struct { char *type; long long n; } *types;
	size_t ntypes, captypes;
};
void sess_arrivals_init(struct sess_arrivals *a, const struct sess_config *cfg);
void sess_arrivals_free(struct sess_arrivals *a);
/* A new session (counted, and the layout marker set) created by agent. */
int sess_arrivals_created(struct sess_arrivals *a, const char *id, const char *agent,
			  long long now, long long expiry, struct sess_err *err);
/* The session's index entry only (its counters are counted elsewhere). */
int sess_arrivals_touched(struct sess_arrivals *a, const char *id,
			  long long expiry, struct sess_err *err);
/* agent is a member of id since when (the session's entry added before). */
int sess_arrivals_joined(struct sess_arrivals *a, const char *id, const char *agent,
			 long long when, long long expiry, struct sess_err *err);
/* Name id as the session the counters that follow belong to. */
void sess_arrivals_about(struct sess_arrivals *a, const char *id);
/* The last named session's events, and whether it is completed. */
int sess_arrivals_count(struct sess_arrivals *a, long long events, int completed,
			struct sess_err *err);
/* n more events of type (the stats' type:TYPE counter) in the last named
 * session; with none named yet, a tally in a->types (no upkeep). */
int sess_arrivals_type(struct sess_arrivals *a, const char *type, long long n,
		       struct sess_err *err);
/* Queue it all on p (tag 0) and start again empty. */
int sess_arrivals_flush(struct sess_arrivals *a, struct sess_pipe *p,
			struct sess_err *err);

#endif
