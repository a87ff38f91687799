/* scenario.c - what each sess-bench scenario sends.
 *
 * Every operation is sent as the core lays it out for sessctl: an emit is
 * the command sess_emit_req builds (so a comparison with redis-benchmark
 * running the same EVALSHA is like for like), the other changes are the
 * same session scripts with the same keys and arguments as lifecycle.c
 * and checkpoint.c pass them, get is view.c's HGETALL + PTTL, list is one
 * page of the index and its rows' meta (on a cluster one master's part of
 * it, and create's ids on the client's master: nodes.c). The scripts keep
 * the companion index and counters themselves (layout 3), so their cost
 * is included.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "core/session/emit.h"
#include "core/model/json.h"
#include "core/model/keys.h"
#include "core/base/schema.h"
#include "core/redis/scripts.h"

const char *const sb_op_names[SB_NOPS] = {"create", "emit", "get", "list", "checkpoint",
					    "join", "leave"};

uint64_t sb_rand(uint64_t *state)
{
	uint64_t x = *state; /* xorshift64*: fast, good enough to pick ops */

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*state = x;
	return x * 2685821657736338717ULL;
}

static int find_op(const char *name)
{
	int i;

	for (i = 0; i < SB_NOPS; i++)
		if (!strcmp(sb_op_names[i], name))
			return i;
	return -1;
}

/* "emit=70,get=20,checkpoint=10" */
static int parse_ratios(struct sb_scn *s, const char *text, struct sess_err *err)
{
	char buf[256], *tok, *save = NULL;

	if (strlen(text) >= sizeof buf)
		return sess_err_set(err, SESS_E_USAGE, "bad_ratio", "--ratio is too long");
	snprintf(buf, sizeof buf, "%s", text);
	memset(s->ratio, 0, sizeof s->ratio);
	s->ratio_sum = 0;
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(tok, '='), *end;
		long w;
		int op;
		if (!eq)
			return sess_err_set(err, SESS_E_USAGE, "bad_ratio",
					    "--ratio: \"%s\" is not OP=WEIGHT; e.g. --ratio emit=70,get=20,checkpoint=10", tok);
		*eq = '\0';
		if ((op = find_op(tok)) < 0 || op == SB_CREATE)
			return sess_err_set(err, SESS_E_USAGE, "bad_ratio",
					    "--ratio: unknown op \"%s\"; ops are emit, get, list, checkpoint, join, leave", tok);
		w = strtol(eq + 1, &end, 10);
		if (*end || end == eq + 1 || w < 0 || w > 1000000)
			return sess_err_set(err, SESS_E_USAGE, "bad_ratio",
					    "--ratio: the weight of %s must be a whole number 0-1000000", tok);
		s->ratio[op] = (int)w;
		s->ratio_sum += (int)w;
	}
	if (s->ratio_sum <= 0)
		return sess_err_set(err, SESS_E_USAGE, "bad_ratio", "--ratio: the weights add up to 0");
	return 0;
}

int sb_scn_init(struct sb_scn *s, const char *name, const struct sb_opts *o,
		const struct sess_config *cfg, struct sess_err *err)
{
	memset(s, 0, sizeof *s);
	s->name = name;
	s->o = o;
	s->cfg = cfg;
	if (o->threads > o->clients)
		return sess_err_set(err, SESS_E_USAGE, "bad_option",
				    "--threads %ld is more than --clients %ld; each thread needs a client",
				    o->threads, o->clients);
	if (o->ratios && strcmp(name, "mixed"))
		return sess_err_set(err, SESS_E_USAGE, "bad_option", "--ratio is for the mixed scenario");
	if (o->batch != 1 && strcmp(name, "create"))
		return sess_err_set(err, SESS_E_USAGE, "bad_option", "--batch is for the create scenario");
	if (!strcmp(name, "mixed")) {
		/* the seeds' simulated user: 70% emit, 20% get, 10% checkpoint,
		 * with a random think time between its operations */
		if (parse_ratios(s, o->ratios ? o->ratios : "emit=70,get=20,checkpoint=10", err))
			return -1;
		if (s->ratio[SB_JOIN] || s->ratio[SB_LEAVE])
			return sess_err_set(err, SESS_E_USAGE, "bad_ratio",
					    "--ratio: join and leave belong to the join-leave and agents scenarios");
	}
	s->think_ns = o->think >= 0 ? o->think * 1000000L : !strcmp(name, "mixed") ? 100000000L : 0;
	if (s->think_ns && o->rate)
		return sess_err_set(err, SESS_E_USAGE, "bad_option",
				    "--think and --rate both set when clients send; use one (--think 0 with --rate)");
	return 0;
}

/* The event emits send: the seeds' example, with --payload bytes of impact. */
static char *event_json(const struct sb_opts *o, const char *actor)
{
	cJSON *e = cJSON_CreateObject(), *c, *ids, *imp;
	char *pay, *text;

	cJSON_AddStringToObject(e, "type", "modified");
	cJSON_AddStringToObject(e, "actor", actor);
	c = cJSON_AddObjectToObject(e, "changeInfo");
	cJSON_AddStringToObject(c, "elementType", "function");
	ids = cJSON_AddArrayToObject(c, "entityIds");
	cJSON_AddItemToArray(ids, cJSON_CreateString("src/app.ts"));
	cJSON_AddStringToObject(c, "operation", "modified");
	if (o->payload > 0 && (pay = malloc((size_t)o->payload + 1))) {
		memset(pay, 'x', (size_t)o->payload);
		pay[o->payload] = '\0';
		imp = cJSON_AddObjectToObject(e, "impact");
		cJSON_AddStringToObject(imp, "data", pay);
		free(pay);
	}
	text = cJSON_PrintUnformatted(e);
	cJSON_Delete(e);
	return text;
}

/* The emit command of actor's event to session id, formatted. */
static int emit_cmd(const struct sb_scn *s, const char *id, const char *actor,
		    char **cmd, size_t *len, struct sess_err *err)
{
	struct sess_emit_req req;
	struct sess_keys k;
	struct sess_event ev;
	cJSON *j = NULL;
	char *text = actor ? event_json(s->o, actor) : NULL;
	int argc, n, rc = -1;

	sess_event_init(&ev);
	j = sess_json_parse(text ? text : s->event_json);
	free(text);
	if (!j || sess_event_from_json(&ev, j, err) || sess_event_validate(&ev, err))
		goto done;
	sess_keys_init(&k, s->cfg->prefix, id);
	sess_keys_tag(&k, s->cfg->prefix, sess_key_tag(id, s->per_slot));
	if (sess_emit_req_init_keys(s->cfg, id, &k, &req, err))
		goto done;
	if (sess_emit_req_add(&req, &ev, err) == 0 && (argc = sess_emit_req_argv(&req)) > 0) {
		if (s->scripts == SESS_SCRIPTS_FCALL) { /* FCALL fn: EVALSHA's shape */
			req.argv[0] = "FCALL";
			req.argv[1] = sess_script_fn(SESS_LUA_EMIT);
			req.lens[0] = 5;
			req.lens[1] = strlen(req.argv[1]);
		}
		n = redisFormatCommandArgv(cmd, argc, req.argv, req.lens);
		if (n > 0) {
			*len = (size_t)n;
			rc = 0;
		}
	}
	if (rc && !err->cls)
		sess_err_set(err, SESS_E_INTERNAL, NULL, "out of memory");
	sess_emit_req_free(&req);
done:
	cJSON_Delete(j);
	sess_event_free(&ev);
	return rc;
}

int sb_scn_setup(struct sb_scn *s, struct sess_ctx *ctx, struct sess_err *err)
{
	long i, n = s->o->sessions;
	int need_emit = !strcmp(s->name, "emit") || !strcmp(s->name, "mixed");

	if (sess_script_prepare(ctx->conn, err) || (s->per_slot = sess_conn_cluster(ctx->conn, err)) < 0)
		return -1;
	s->scripts = (int)sess_script_mode(ctx->conn);
	s->event_json = event_json(s->o, "a1");
	if (!(s->ids = calloc((size_t)n, sizeof *s->ids)) || !s->event_json)
		return sess_err_set(err, SESS_E_INTERNAL, NULL, "out of memory");
	if (need_emit && (!(s->emit_cmd = calloc((size_t)n, sizeof *s->emit_cmd)) ||
			  !(s->emit_len = calloc((size_t)n, sizeof *s->emit_len))))
		return sess_err_set(err, SESS_E_INTERNAL, NULL, "out of memory");
	for (i = 0; i < n; i++) {
		cJSON *out = NULL;
		snprintf(s->ids[i], sizeof s->ids[i], "s%ld", i + 1);
		if (!strcmp(s->name, "create"))
			continue; /* it makes its own */
		/* as sessctl create does, index and all: list reads that */
		if (sess_create(ctx, s->ids[i], "a1", 0, NULL, &out, err)) {
			sess_err_prefix(err, "setting up session %ld of %ld", i + 1, n);
			return -1;
		}
		cJSON_Delete(out);
		if (need_emit && emit_cmd(s, s->ids[i], NULL, &s->emit_cmd[i], &s->emit_len[i], err))
			return -1;
	}
	return 0;
}

void sb_scn_free(struct sb_scn *s)
{
	long i;

	sb_nodes_free(s);
	if (s->emit_cmd)
		for (i = 0; i < s->o->sessions; i++)
			redisFreeCommand(s->emit_cmd[i]);
	free(s->emit_cmd);
	free(s->emit_len);
	free(s->ids);
	cJSON_free(s->event_json);
	s->emit_cmd = NULL;
	s->ids = NULL;
	s->event_json = NULL;
}

void sb_client_init(struct sb_client *c, const struct sb_scn *s, int thread, int index)
{
	memset(c, 0, sizeof *c);
	c->thread = thread;
	c->index = index;
	c->node = s->nnodes ? index % s->nnodes : 0;
	c->rng = (uint64_t)s->o->seed * 0x9E3779B97F4A7C15ULL + (uint64_t)index * 0xBF58476D1CE4E5B9ULL + 1;
	sb_rand(&c->rng);
	snprintf(c->agent, sizeof c->agent, "agent%d", index + 1);
}

static int pick_session(const struct sb_scn *s, struct sb_client *c)
{
	if (s->nnodes) /* a cluster: a session of the client's master */
		return (int)sb_nodes_pick(s, c);
	return (int)(sb_rand(&c->rng) % (uint64_t)s->o->sessions);
}

/* EVALSHA of script sc on session id with args, queued on conn. */
static int script(const struct sb_scn *s, struct sess_conn *conn, enum sess_script sc, int nkeys,
		  const char *id, int nargs, const char **args)
{
	struct sess_keys k;
	const char *argv[SESS_SCRIPT_MAXARGS + 3];
	size_t lens[SESS_SCRIPT_MAXARGS + 3];
	char nk[8];
	int argc;

	sess_keys_init(&k, s->cfg->prefix, id);
	sess_keys_tag(&k, s->cfg->prefix, sess_key_tag(id, s->per_slot));
	argc = sess_script_argv(sc, nkeys, k.v, nargs, args, argv, lens, nk);
	sess_script_word(conn, sc, argv, lens);
	return sess_conn_append(conn, argc, argv, lens, NULL);
}

static int op_join_leave(const struct sb_scn *s, struct sess_conn *conn, int op, const char *id,
			 const char *agent)
{
	char field[SESS_KEY_MAX], grace[24];
	const char *args[2] = {field, grace};

	sess_key_agent_field(field, agent);
	snprintf(grace, sizeof grace, "%ld", s->cfg->grace_ttl);
	return script(s, conn, op == SB_JOIN ? SESS_LUA_JOIN : SESS_LUA_LEAVE, SESS_NKEYS_ALL, id,
		      op == SB_JOIN ? 1 : 2, args);
}

static int op_emit(struct sb_scn *s, struct sb_client *c, struct sess_conn *conn, int sess,
		   const char *actor)
{
	struct sess_err err;
	char *cmd;
	size_t len;
	int rc;

	if (!actor) /* the fixed event: built once */
		return sess_conn_append_raw(conn, s->emit_cmd[sess], s->emit_len[sess], NULL);
	(void)c;
	sess_err_clear(&err);
	if (emit_cmd(s, s->ids[sess], actor, &cmd, &len, &err))
		return -1;
	rc = sess_conn_append_raw(conn, cmd, len, NULL);
	redisFreeCommand(cmd);
	return rc;
}

static int op_get(const struct sb_scn *s, struct sess_conn *conn, const char *id)
{
	char meta[SESS_KEY_MAX];

	sess_key_meta(meta, s->cfg->prefix, id);
	if (sess_conn_appendf(conn, NULL, "HGETALL %s", meta) ||
	    sess_conn_appendf(conn, NULL, "PTTL %s", meta))
		return -1;
	return 0;
}

/* A page of the index, newest first, and each row's meta fields, as
 * view.c's list reads them (the rows are ours, so their ids are known). */
static int op_list(const struct sb_scn *s, const struct sb_client *c, struct sess_conn *conn,
		   int *nreplies)
{
	char idx[SESS_KEY_MAX], meta[SESS_KEY_MAX];
	long i, n = s->o->sessions < SB_LIST_PAGE ? s->o->sessions : SB_LIST_PAGE;

	if (s->nnodes) { /* a cluster: the part of the client's master (nodes.c) */
		const struct sb_node *m = &s->nodes[c->node];
		*nreplies = m->list_slots + m->list_tags + m->list_rows;
		return sess_conn_append_raw(conn, m->list_cmd, m->list_len, NULL);
	}
	/* the standalone server's one index */
	sess_key_index(idx, s->cfg->prefix, SESS_S_TAG_ONE);
	if (sess_conn_appendf(conn, NULL, "ZREVRANGE %s 0 %ld WITHSCORES", idx, n - 1))
		return -1;
	for (i = 0; i < n; i++) {
		sess_key_meta(meta, s->cfg->prefix, s->ids[s->o->sessions - 1 - i]);
		if (sess_conn_appendf(conn, NULL, "HMGET %s " SESS_S_F_VERSION " " SESS_S_F_STATE " "
				       SESS_S_F_CREATED " " SESS_S_F_UPDATED " " SESS_S_F_SEQ " "
				       SESS_S_F_AGENTS " " SESS_S_F_CREATOR, meta))
			return -1;
	}
	*nreplies = 1 + (int)n;
	return 0;
}

/* create: --batch new sessions, pipelined, as one operation. */
static int op_create(const struct sb_scn *s, struct sb_client *c, struct sess_conn *conn, int *nreplies)
{
	char id[48], field[SESS_KEY_MAX], ttl[24];
	const char *args[4] = {field, "a1", ttl, ""};
	long i;

	sess_key_agent_field(field, "a1");
	snprintf(ttl, sizeof ttl, "%ld", s->cfg->default_ttl);
	for (i = 0; i < s->o->batch; i++) {
		if (s->nnodes) /* a cluster: on the client's master */
			sb_nodes_create_id(s, c, i, id, sizeof id);
		else
			snprintf(id, sizeof id, "c%d-%ld-%ld", c->index, c->made, i);
		if (script(s, conn, SESS_LUA_CREATE, SESS_NKEYS_ALL, id, 4, args))
			return -1;
	}
	*nreplies = (int)s->o->batch;
	return 0;
}

int sb_scn_next(struct sb_scn *s, struct sb_client *c, struct sess_conn *conn, int *nreplies)
{
	const char *n = s->name;
	int op, rc = 0;

	*nreplies = 1;
	c->made++;
	if (!strcmp(n, "create")) {
		op = SB_CREATE;
		rc = op_create(s, c, conn, nreplies);
	} else if (!strcmp(n, "emit")) {
		op = SB_EMIT;
		rc = op_emit(s, c, conn, pick_session(s, c), NULL);
	} else if (!strcmp(n, "get")) {
		op = SB_GET;
		*nreplies = 2;
		rc = op_get(s, conn, s->ids[pick_session(s, c)]);
	} else if (!strcmp(n, "list")) {
		op = SB_LIST;
		rc = op_list(s, c, conn, nreplies);
	} else if (!strcmp(n, "checkpoint")) {
		const char *args[1] = {"bench"};
		op = SB_CHECKPOINT;
		rc = script(s, conn, SESS_LUA_CHECKPOINT, SESS_NKEYS, s->ids[pick_session(s, c)], 1, args);
	} else if (!strcmp(n, "join-leave")) {
		/* join a session, then leave it */
		if (c->phase == 0)
			c->sess = pick_session(s, c);
		op = c->phase == 0 ? SB_JOIN : SB_LEAVE;
		c->phase = !c->phase;
		rc = op_join_leave(s, conn, op, s->ids[c->sess], c->agent);
	} else if (!strcmp(n, "agents")) {
		/* the seeds' collaboration: an agent joins a shared session,
		 * emits --events events as itself, leaves, and goes on */
		if (c->phase == 0) {
			c->sess = pick_session(s, c);
			op = SB_JOIN;
			rc = op_join_leave(s, conn, op, s->ids[c->sess], c->agent);
		} else if (c->phase <= s->o->events) {
			op = SB_EMIT;
			rc = op_emit(s, c, conn, c->sess, c->agent);
		} else {
			op = SB_LEAVE;
			rc = op_join_leave(s, conn, op, s->ids[c->sess], c->agent);
		}
		c->phase = c->phase > s->o->events ? 0 : c->phase + 1;
	} else { /* mixed */
		int r = (int)(sb_rand(&c->rng) % (uint64_t)s->ratio_sum), sess = pick_session(s, c);
		for (op = 0; op < SB_NOPS - 1 && r >= s->ratio[op]; op++)
			r -= s->ratio[op];
		switch (op) {
		case SB_EMIT: rc = op_emit(s, c, conn, sess, NULL); break;
		case SB_GET: *nreplies = 2; rc = op_get(s, conn, s->ids[sess]); break;
		case SB_LIST: rc = op_list(s, c, conn, nreplies); break;
		default: {
			const char *args[1] = {"bench"};
			op = SB_CHECKPOINT;
			rc = script(s, conn, SESS_LUA_CHECKPOINT, SESS_NKEYS, s->ids[sess], 1, args);
		}
		}
	}
	return rc ? -1 : op;
}
