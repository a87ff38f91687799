/* tags.h - which companion keys (layout 3, sesskit-layout(7)) describe a
 * session on the server s talks to: one set, tag SESS_S_TAG_ONE, on a
 * standalone server; on a cluster the set of the session's own slot. And
 * every tag a reader of all sessions (list, stats, agents, maintenance)
 * must visit: the one, or all 16,384 slot tags.
 *
 * The first call asks the server whether it is a cluster (one INFO
 * cluster under redis.cluster auto; none when it is set, or a cluster
 * conn already) and the conn remembers the answer. */
#ifndef SESS_TAGS_H
#define SESS_TAGS_H

#include "core/model/keys.h"
#include "core/session/ctx.h"

/* Session id's tag into *tag (a static string). 0, or -1 with err. */
int sess_tag_of(struct sess_ctx *s, const char *id, const char **tag,
		struct sess_err *err);

/* The session's keys and its companions (ready for the scripts that take
 * SESS_NKEYS_ALL keys). 0, or -1 with err. */
int sess_keys_for(struct sess_ctx *s, struct sess_keys *k, const char *id,
		  struct sess_err *err);

/* How many tags hold companions on s's server (1, or SESS_SLOTS on a
 * cluster) into *n; sess_tag_at(i) names the i-th. 0, or -1 with err. */
int sess_tags_count(struct sess_ctx *s, int *n, struct sess_err *err);
/* The i-th tag of a server with n tags (sess_tags_count). */
const char *sess_tag_at(int n, int i);

/* The tags that hold companions now (their index, agents, stats, saved
 * replays' index or fence exist): on a standalone server the one tag always; on a cluster those of
 * the 16,384 that do (one pipelined EXISTS per slot, routed per master).
 * *tags is a malloc'd array of *n static strings: the caller frees the
 * array. 0, or -1 with err. */
int sess_tags_used(struct sess_ctx *s, const char ***tags, int *n, struct sess_err *err);

/* The entries of one companion sorted set (the index, an agent's index or
 * the saved replays' index) of every tag in tags, merged as one ZREVRANGE
 * WITHSCORES of one set would give them: score descending, then member
 * descending. m->all is an array reply of (member, score) pairs whose
 * elements point into m->parts; release with sess_merged_free. 0, or -1
 * with err (m released). */
enum sess_comp { SESS_COMP_INDEX, SESS_COMP_AGENT, SESS_COMP_REPLAYS };
struct sess_merged {
	redisReply all;
	redisReply **parts;
	int nparts;
};
int sess_merged_read(struct sess_ctx *s, enum sess_comp which, const char *agent,
		     const char *const *tags, int ntags, struct sess_merged *m, struct sess_err *err);
void sess_merged_free(struct sess_merged *m);

#endif
