/* index.h - upkeep of the global indexes and counters after a session
 * script succeeded: the session index (PREFIX:index, scored by expiry), the
 * agent indexes (PREFIX:agent:A) and registry (PREFIX:agents), the stats
 * hash and the layout marker.
 *
 * They live outside the session's slot, so no script can update them with
 * the session: each function queues its commands on a pipeline (the caller
 * takes the replies with sess_pipe_run). If a client dies in between they
 * drift, and sess_maint_run repairs them. This is the one place that knows
 * what each change does to them; sessctl, batch and every other binary go
 * through it.
 */
#ifndef SESS_INDEX_H
#define SESS_INDEX_H

#include "core/model/config.h"
#include "core/redis/pipe.h"

int sess_index_created(struct sess_pipe *p, const struct sess_config *cfg,
		       const char *id, const char *agent, long long now,
		       long long expiry, struct sess_err *err);
int sess_index_joined(struct sess_pipe *p, const struct sess_config *cfg,
		      const char *id, const char *agent, long long now,
		      long long expiry, struct sess_err *err);
int sess_index_left(struct sess_pipe *p, const struct sess_config *cfg,
		    const char *id, const char *agent, long long expiry,
		    struct sess_err *err);
/* expiry: the session's new expiry (ms); the index entry follows it. */
int sess_index_touched(struct sess_pipe *p, const struct sess_config *cfg,
		       const char *id, long long expiry, struct sess_err *err);
/* The session is there (expiring at expiry, ms): add its index entry if
 * it has none, leave an existing one alone (a live sync resumed after a
 * kill between a session's arrival and its index entry). */
int sess_index_present(struct sess_pipe *p, const struct sess_config *cfg,
		       const char *id, long long expiry, struct sess_err *err);
int sess_index_completed(struct sess_pipe *p, const struct sess_config *cfg,
			 struct sess_err *err);
/* agents: the members the session had (the delete script returns them). */
int sess_index_deleted(struct sess_pipe *p, const struct sess_config *cfg,
		       const char *id, const char *const *agents, size_t nagents,
		       struct sess_err *err);
/* n events of type were stored in session id, which now expires at expiry. */
int sess_index_emitted(struct sess_pipe *p, const struct sess_config *cfg,
		       const char *id, const char *type, long n, long long expiry,
		       struct sess_err *err);

/* Coalesced upkeep of many emits (batch): one index update per run of
 * emits to one session, the counters every SESS_UPKEEP_EVERY events (and
 * at flush), instead of three commands per event. Same end state. */
#define SESS_UPKEEP_EVERY 1000
#define SESS_UPKEEP_TYPES 32
struct sess_upkeep {
	const struct sess_config *cfg;
	char last_id[SESS_ID_MAX + 1];
	long long last_expiry;
	long events;
	struct { char type[65]; long n; } types[SESS_UPKEEP_TYPES];
	int ntypes;
};
void sess_upkeep_init(struct sess_upkeep *u, const struct sess_config *cfg);
/* One event of type stored in id (expiring at expiry); may queue on p. */
int sess_upkeep_emitted(struct sess_upkeep *u, struct sess_pipe *p,
			const char *id, const char *type, long long expiry,
			struct sess_err *err);
/* Queue everything held back. */
int sess_upkeep_flush(struct sess_upkeep *u, struct sess_pipe *p,
		      struct sess_err *err);

/* Many sessions arriving at once (sess-migrate copy, import, sync): what
 * sess_index_created, _joined, _touched and _completed would queue per
 * session, gathered into one ZADD per index key and one HINCRBY per
 * counter when flushed. Same end state as the per-session calls in the
 * order added (a later score for one member wins, as it would). The
 * strings are copied; sess_arrivals_free drops them. */
struct sess_arrival {
	int key;              /* 0 the session index, 1 an agent's, 2 the registry */
	long long score;
	char *member;         /* owned */
	char *agent;          /* owned, for key 1; NULL otherwise */
	size_t order;         /* when added: ties keep it */
};
struct sess_arrivals {
	const struct sess_config *cfg;
	struct sess_arrival *v;
	size_t n, cap;
	long long sessions, events, completed;
	struct { char *type; long long n; } *types; /* type:* counters; owned */
	size_t ntypes, captypes;
};
void sess_arrivals_init(struct sess_arrivals *a, const struct sess_config *cfg);
void sess_arrivals_free(struct sess_arrivals *a);
/* A new session (the counters and layout marker too) created by agent. */
int sess_arrivals_created(struct sess_arrivals *a, const char *id, const char *agent,
			  long long now, long long expiry, struct sess_err *err);
/* The session's index entry only (its counters were counted elsewhere). */
int sess_arrivals_touched(struct sess_arrivals *a, const char *id,
			  long long expiry, struct sess_err *err);
/* agent is a member of id since when (the session's entry added before). */
int sess_arrivals_joined(struct sess_arrivals *a, const char *id, const char *agent,
			 long long when, long long expiry, struct sess_err *err);
void sess_arrivals_count(struct sess_arrivals *a, long long events, int completed);
/* n more events of type (the stats' type:TYPE counter). */
int sess_arrivals_type(struct sess_arrivals *a, const char *type, long long n,
		       struct sess_err *err);
/* Queue it all on p (tag 0) and start again empty. */
int sess_arrivals_flush(struct sess_arrivals *a, struct sess_pipe *p,
			struct sess_err *err);

#endif
