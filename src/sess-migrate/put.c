/* put.c - sessions arriving on a migration target, a batch at a time
 * (dump.h: sess_snaps_put, sess_snaps_put_take). A put of up to
 * SESS_PUT_MAX sessions of one group (on a cluster target, one slot's)
 * is one MULTI: one DEL of their staged keys, each
 * session's keys written to its staged keys, then one migput call
 * (src/core/lua/migput.lua) that decides for every session whether it is
 * put (dropping the staged keys of one that is not), with the task's done
 * marks, counts and upkeep set, then a plain RENAME staged final of each
 * staged key written (a put session's succeed, a dropped one's fail with
 * "no such key" and change nothing), and EXEC. */
#include "sess-migrate/dump.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/redis/reply.h"
#include "core/base/schema.h"
#include "core/redis/scripts.h"

/* A growable argv of borrowed strings. */
struct put_argv {
	const char **v;
	size_t *len, n, cap;
};

static int put_arg(struct put_argv *a, const char *p, size_t len, struct sess_err *err)
{
	if (a->n == a->cap) {
		size_t cap = a->cap ? a->cap * 2 : 32;
		const char **v = realloc(a->v, cap * sizeof *v);
		size_t *l = v ? realloc(a->len, cap * sizeof *l) : NULL;
		if (!v || !l) {
			if (v)
				a->v = v;
			return sess_err_set(err, SESS_E_INTERNAL, NULL, "out of memory");
		}
		a->v = v;
		a->len = l;
		a->cap = cap;
	}
	a->v[a->n] = p;
	a->len[a->n++] = len;
	return 0;
}

/* Send one command: argv as gathered, then start again. */
static int put_send(struct sess_pipe *p, struct put_argv *a, struct sess_err *err)
{
	int rc = sess_pipe_argv(p, -1, 0, (int)a->n, a->v, a->len, err);

	a->n = 0;
	return rc;
}

#define PUT_ARG(a, s) put_arg(a, s, strlen(s), err)

/* How many staged keys a session writes (its RENAMEs). */
static int sent_keys(const struct sess_snap *s)
{
	int j, n = 0;

	for (j = 0; j < SESS_NKEYS; j++)
		if (s->part[j].n)
			n++;
	return n;
}

/* How many commands a session's staging sends. */
static int stage_cmds(const struct sess_snap *s)
{
	int j, n = 0;

	for (j = 0; j < SESS_NKEYS; j++)
		if (s->part[j].n)
			n += s->form == 'd' ? 1 : 2;
	return n;
}

/* The per-session strings of a put: key names and arguments (mark: 'c'
 * then the chain head, its done mark when copied; sent: which staged
 * keys it writes, then its fence: migput.lua's ARGV). */
struct put_sess {
	char keys[2 * SESS_NKEYS][SESS_KEY_MAX];
	char upd[24], at[24], sent[SESS_NKEYS + 2];
	char *mark;
};

/* The staged keys' TTL of a session without an expiry (PEXPIRE). */
#define PUT_STR2(x) #x
#define PUT_STR(x) PUT_STR2(x)
static const char put_ttl[] = PUT_STR(SESS_S_STAGE_TTL);

/* v in decimal into buf (24 bytes): what "%lld" prints, without a printf
 * per number (a put formats two a session). */
static void put_ll(char buf[24], long long v)
{
	char t[24];
	unsigned long long u = v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;
	int n = 0, k = 0;

	do
		t[n++] = (char)('0' + u % 10);
	while (u /= 10);
	if (v < 0)
		buf[k++] = '-';
	while (n)
		buf[k++] = t[--n];
	buf[k] = '\0';
}

/* A session's keys, in struct sess_keys order. */
static void (*const put_key[SESS_NKEYS])(char *, const char *, const char *) = {
	sess_key_meta, sess_key_events, sess_key_checkpoints, sess_key_dedup, sess_key_history};

/* Write s's keys to its staged keys (ps->keys[5..9]). */
static int stage(struct sess_pipe *p, const struct sess_snap *s, const struct put_sess *ps,
		 struct put_argv *a, struct sess_err *err)
{
	/* the staged keys expire with the session (a put that never reaches
	 * its script leaves nothing that outlives it), or, for a session
	 * without an expiry, soon (the script makes the real keys persist) */
	const char *expire = s->expire_at ? ps->at : put_ttl;
	size_t i;
	int j;

	for (j = 0; j < SESS_NKEYS; j++) {
		const struct sess_strv *v = &s->part[j];
		const char *staged = ps->keys[SESS_NKEYS + j];
		if (!v->n)
			continue;
		if (s->form == 'd') {
			if (PUT_ARG(a, "RESTORE") || PUT_ARG(a, staged) || PUT_ARG(a, expire) ||
			    put_arg(a, v->v[0], v->len[0], err) || PUT_ARG(a, "REPLACE") ||
			    (s->expire_at && PUT_ARG(a, "ABSTTL")) || put_send(p, a, err))
				return -1;
			continue;
		}
		/* meta, checkpoints, eventids are hashes; events, history lists */
		if (PUT_ARG(a, j == 1 || j == 4 ? "RPUSH" : "HSET") || PUT_ARG(a, staged))
			return -1;
		for (i = 0; i < v->n; i++)
			if (put_arg(a, v->v[i], v->len[i], err))
				return -1;
		if (put_send(p, a, err) || PUT_ARG(a, s->expire_at ? "PEXPIREAT" : "PEXPIRE") ||
		    PUT_ARG(a, staged) || PUT_ARG(a, expire) || put_send(p, a, err))
			return -1;
	}
	return 0;
}

/* A test hook, not a feature: SESSKIT_FAULT_EXIT_MID_PUT=N makes the tool
 * exit at once (as kill -9 would) once the N-th session's keys are staged,
 * with what was queued of its put (its MULTI, never its EXEC) on the wire:
 * the instant inside a batch's put (tests/sess-migrate_faults.bats). */
static void fault_mid_put(struct sess_pipe *p)
{
	static long total, limit = -1;
	struct sess_err e;

	if (limit == -1) {
		const char *v = getenv("SESSKIT_FAULT_EXIT_MID_PUT");
		limit = v && *v ? strtol(v, NULL, 10) : 0;
	}
	if (limit > 0 && ++total >= limit) {
		sess_pipe_send(p, &e);
		_exit(137);
	}
}

/* One put: the sessions idx[0..m-1] of snaps. */
static int put_one(struct sess_pipe *p, const char *prefix, const struct sess_snap *snaps,
		   const int *idx, int m, const char *mode, const char *const task[3],
		   struct sess_err *err)
{
	/* (not zeroed: every byte used is written below) */
	struct put_sess *ps = malloc((size_t)m * sizeof *ps);
	size_t nk = 3 + 2 * SESS_NKEYS * (size_t)m, na = 1 + 5 * (size_t)m;
	const char **keys = calloc(nk, sizeof *keys), **args = calloc(na, sizeof *args);
	const char **argv = calloc(3 + nk + na, sizeof *argv);
	size_t *lens = calloc(3 + nk + na, sizeof *lens);
	struct put_argv a = {0};
	char numkeys[8];
	int i, j, argc, rc = -1;

	if (!ps || !keys || !args || !argv || !lens) {
		sess_err_set(err, SESS_E_INTERNAL, NULL, "out of memory");
		goto out;
	}
	for (i = 0; i < m; i++)
		ps[i].mark = NULL;
	for (j = 0; j < 3; j++)
		keys[j] = task[j];
	args[0] = mode;
	for (i = 0; i < m; i++) {
		const struct sess_snap *s = &snaps[idx[i]];
		const char *h = sess_snap_meta(s, SESS_S_F_CHAIN);
		size_t hl;
		for (j = 0; j < SESS_NKEYS; j++) {
			put_key[j](ps[i].keys[j], prefix, s->id);
			sess_key_arriving(ps[i].keys[SESS_NKEYS + j], prefix, s->id, j);
			ps[i].sent[j] = s->part[j].n ? '1' : '0';
		}
		/* every session's keys, then every session's staged keys */
		for (j = 0; j < SESS_NKEYS; j++) {
			keys[3 + SESS_NKEYS * i + j] = ps[i].keys[j];
			keys[3 + SESS_NKEYS * (m + i) + j] = ps[i].keys[SESS_NKEYS + j];
		}
		ps[i].sent[SESS_NKEYS] = sess_snap_meta(s, SESS_S_F_MOVED) ? '1' : '0';
		ps[i].sent[SESS_NKEYS + 1] = '\0';
		put_ll(ps[i].upd, sess_snap_meta_ll(s, SESS_S_F_UPDATED, 0));
		put_ll(ps[i].at, s->expire_at);
		/* the head the mark records: the meta's, read in the same
		 * snapshot as the keys it sends */
		if (!h)
			h = "";
		hl = strlen(h);
		if (!(ps[i].mark = malloc(hl + 2))) {
			sess_err_set(err, SESS_E_INTERNAL, NULL, "out of memory");
			goto out;
		}
		ps[i].mark[0] = 'c';
		memcpy(ps[i].mark + 1, h, hl + 1);
		/* the (id, mark) pairs; per session its three */
		args[1 + 2 * i] = s->id;
		args[2 + 2 * i] = ps[i].mark;
		args[1 + 2 * m + 3 * i] = ps[i].upd;
		args[2 + 2 * m + 3 * i] = ps[i].at;
		args[3 + 2 * m + 3 * i] = ps[i].sent;
	}
	if (PUT_ARG(&a, "MULTI") || put_send(p, &a, err))
		goto out;
	/* no staged key but this put's (a lost put's could be there) */
	if (PUT_ARG(&a, "DEL"))
		goto out;
	for (i = 0; i < m; i++)
		for (j = 0; j < SESS_NKEYS; j++)
			if (PUT_ARG(&a, ps[i].keys[SESS_NKEYS + j]))
				goto out;
	if (put_send(p, &a, err))
		goto out;
	for (i = 0; i < m; i++) {
		if (stage(p, &snaps[idx[i]], &ps[i], &a, err))
			goto out;
		fault_mid_put(p);
	}
	/* the script by its text (EVAL; Redis caches it by its SHA-1), never
	 * by a name the server may have lost (a SCRIPT FLUSH, a restart, a
	 * failover): the staged keys are then never left behind by a put
	 * that the server refused, and a put is sent once. (The text is about
	 * 10 kB a batch; its SHA-1 costs the server well under 1 us a
	 * session.) A plain command for the pipe: inside MULTI its reply is
	 * QUEUED, the script's comes inside EXEC's (sess_snaps_put_take). */
	argc = sess_script_argv(SESS_LUA_MIGPUT, (int)nk, keys, (int)na, args, argv, lens, numkeys);
	argv[0] = "EVAL";
	argv[1] = sess_script_source(SESS_LUA_MIGPUT);
	lens[0] = 4;
	lens[1] = strlen(argv[1]);
	if (sess_pipe_argv(p, -1, 0, argc, argv, lens, err))
		goto out;
	/* the staged keys to their places: plain commands (1-2 us less each
	 * than from Lua); those of a session migput did not put are gone, so
	 * its RENAMEs fail and change nothing (take_one checks which) */
	for (i = 0; i < m; i++)
		for (j = 0; j < SESS_NKEYS; j++)
			if (snaps[idx[i]].part[j].n &&
			    (PUT_ARG(&a, "RENAME") || PUT_ARG(&a, ps[i].keys[SESS_NKEYS + j]) ||
			     PUT_ARG(&a, ps[i].keys[j]) || put_send(p, &a, err)))
				goto out;
	if (PUT_ARG(&a, "EXEC") || put_send(p, &a, err))
		goto out;
	rc = 0;
out:
	free(a.v);
	free(a.len);
	for (i = 0; ps && i < m; i++)
		free(ps[i].mark);
	free(ps);
	free(keys);
	free(args);
	free(argv);
	free(lens);
	return rc;
}

/* The order of a batch's puts: the indexes i with which[i] set, group
 * by group (which[i] 1, then 2 ...), each group in index order (a
 * counting sort); put and take walk the same. */
struct put_walk {
	int *order, n, at;
};

static int walk_init(struct put_walk *w, const int *which, int n, struct sess_err *err)
{
	int i, g, ng = 0, *start;

	memset(w, 0, sizeof *w);
	for (i = 0; i < n; i++)
		if (which[i] > ng)
			ng = which[i];
	if (!(w->order = malloc(((size_t)n + 1) * sizeof *w->order)) ||
	    !(start = calloc((size_t)ng + 2, sizeof *start))) {
		free(w->order);
		w->order = NULL;
		return sess_err_set(err, SESS_E_INTERNAL, NULL, "out of memory");
	}
	for (i = 0; i < n; i++)
		if (which[i] > 0)
			start[which[i] + 1]++;
	for (g = 1; g <= ng; g++)
		start[g + 1] += start[g];
	for (i = 0; i < n; i++)
		if (which[i] > 0)
			w->order[start[which[i]]++] = i;
	w->n = start[ng];
	free(start);
	return 0;
}

/* The next put's sessions: up to SESS_PUT_MAX of one group, into idx;
 * how many (0: no more), their group in *g. */
static int next_put(struct put_walk *w, const int *which, int idx[SESS_PUT_MAX], int *g)
{
	int m = 0;

	if (w->at >= w->n)
		return 0;
	*g = which[w->order[w->at]];
	while (w->at < w->n && m < SESS_PUT_MAX && which[w->order[w->at]] == *g)
		idx[m++] = w->order[w->at++];
	return m;
}

int sess_snaps_put(struct sess_pipe *p, const char *prefix, const struct sess_snap *snaps,
		   const int *which, int n, const char *mode, const struct sess_put_task *tasks,
		   struct sess_err *err)
{
	struct put_walk w;
	int idx[SESS_PUT_MAX], m, g, rc = 0;

	if (walk_init(&w, which, n, err))
		return -1;
	while (!rc && (m = next_put(&w, which, idx, &g)) > 0) {
		const struct sess_put_task *t = &tasks[g - 1];
		const char *const task[3] = {t->done, t->backup, t->upkeep};
		rc = put_one(p, prefix, snaps, idx, m, mode, task, err);
	}
	free(w.order);
	return rc;
}

/* The RENAMEs' replies of a put (EXEC's r, from element at on), session
 * by session: a session put (put[i] 1) must have every RENAME succeed,
 * one not put (0) every RENAME fail; anything else is the put's contract
 * broken (what the server holds is then not what migput said), an
 * internal error. */
static int check_renames(const redisReply *r, size_t at, const struct sess_snap *snaps,
			 const int *idx, int m, const char *put, struct sess_err *err)
{
	int i, c;

	for (i = 0; i < m; i++) {
		int nr = sent_keys(&snaps[idx[i]]);
		for (c = 0; c < nr; c++, at++) {
			const redisReply *y = r->element[at];
			int failed = y->type == REDIS_REPLY_ERROR;
			if (put[i] ? !failed && y->type == REDIS_REPLY_STATUS : failed)
				continue;
			return sess_err_set(err, SESS_E_INTERNAL, NULL,
					    "migput: a staged key of session %s was %s against the script's reply (%s); nothing of this batch is reported copied",
					    snaps[idx[i]].id, put[i] ? "not renamed" : "renamed", failed ? y->str : "OK");
		}
	}
	return 0;
}

/* One put's replies into res/status/errs of its sessions idx[0..m-1].
 * -1 with err: the transaction refused, or a reply that makes no sense. */
static int take_one(struct sess_pipe *p, const struct sess_snap *snaps, const int *idx, int m,
		    int *res, char (*status)[16], struct sess_err *errs, struct sess_err *err)
{
	int ncmd = 2, nstage, i, at, rc = 0;
	char put[SESS_PUT_MAX];
	redisReply *r, *x;
	struct sess_err first;

	for (i = 0; i < m; i++)
		ncmd += stage_cmds(&snaps[idx[i]]);
	nstage = ncmd;
	for (i = 0; i < m; i++)
		ncmd += sent_keys(&snaps[idx[i]]);
	sess_err_clear(&first);
	/* MULTI's OK, then QUEUED each: an error here (out of memory, a
	 * read-only replica) aborts the transaction, and EXEC says so */
	for (i = 0; i < ncmd + 1; i++) {
		if (sess_pipe_next(p, &r, NULL, err))
			return -1;
		if (r->type == REDIS_REPLY_ERROR && !first.msg[0])
			sess_conn_reply_error(p->conn, r, &first);
		freeReplyObject(r);
	}
	if (sess_pipe_next(p, &r, NULL, err))
		return -1;
	if (r->type != REDIS_REPLY_ARRAY) {
		if (first.msg[0])
			*err = first;
		else if (r->type == REDIS_REPLY_ERROR)
			sess_conn_reply_error(p->conn, r, err);
		else
			sess_reply_bad(err, "migput");
		freeReplyObject(r);
		return -1;
	}
	if ((int)r->elements != ncmd) {
		freeReplyObject(r);
		return sess_reply_bad(err, "migput");
	}
	x = r->element[nstage - 1];
	if (x->type == REDIS_REPLY_ERROR) {
		/* (the script dropped every staged key: no RENAME put any) */
		memset(put, 0, sizeof put);
		if (check_renames(r, (size_t)nstage, snaps, idx, m, put, err))
			rc = -1;
		else
			rc = sess_script_error(p->conn, x, err);
		goto out;
	}
	if (x->type != REDIS_REPLY_ARRAY || (int)x->elements != 2 * m) {
		rc = sess_reply_bad(err, "migput");
		goto out;
	}
	for (i = 0; i < 2 * m; i++)
		if (x->element[i]->type != REDIS_REPLY_STRING) {
			rc = sess_reply_bad(err, "migput");
			goto out;
		}
	/* only a session copied or replaced keeps its staged keys */
	for (i = 0; i < m; i++) {
		const char *st = x->element[2 * i]->str;
		put[i] = !strcmp(st, "copied") || !strcmp(st, "replaced");
	}
	if (check_renames(r, (size_t)nstage, snaps, idx, m, put, err)) {
		rc = -1;
		goto out;
	}
	/* the staging replies start after the DEL's */
	for (i = 0, at = 1; i < m; i++) {
		int k = idx[i], nc = stage_cmds(&snaps[k]), c;
		const redisReply *refused = NULL;
		for (c = 0; c < nc; c++)
			if (r->element[at + c]->type == REDIS_REPLY_ERROR && !refused)
				refused = r->element[at + c];
		at += nc;
		sess_err_clear(&errs[k]);
		if (!strcmp(x->element[2 * i]->str, "refused")) {
			res[k] = -1;
			sess_err_set(&errs[k], SESS_E_DATA, "restore_refused",
				     "the target refused the session's data (%s); if the target's Redis is older than the source's, use --method structural",
				     refused ? refused->str : "a staged key is missing");
		} else {
			res[k] = 0;
			snprintf(status[k], 16, "%s", x->element[2 * i]->str);
		}
	}
out:
	freeReplyObject(r);
	return rc;
}

int sess_snaps_put_take(struct sess_pipe *p, const struct sess_snap *snaps, const int *which,
			int n, int *res, char (*status)[16], struct sess_err *errs,
			struct sess_err *err)
{
	struct put_walk w;
	int idx[SESS_PUT_MAX], m, g, rc = 0;

	if (walk_init(&w, which, n, err))
		return -1;
	while (!rc && (m = next_put(&w, which, idx, &g)) > 0)
		rc = take_one(p, snaps, idx, m, res, status, errs, err);
	free(w.order);
	return rc;
}
