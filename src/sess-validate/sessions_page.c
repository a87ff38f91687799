/* sessions_page.c - pages of sessions for `sess-validate sessions`: a page's
 * reads go out in one pipeline (sessions_check.c's vs_send_reads) as soon
 * as it is full, and the page before it is checked while the server works
 * on them, so the server and the checks run side by side (issue 19).
 *
 * The findings come out in the order a page at a time gives them: a page's
 * findings made before it was checked (an id that is none, --all's stray
 * keys seen while it filled), its sessions in order, its long or trimmed
 * sessions (streamed: the connection must be idle), its repairs. A finding
 * made while an earlier page is not out yet is held in the page's list
 * (v->hold) and given when its turn comes. --all walks the keys on a
 * second connection (v->walk) so that its SCANs never wait behind the
 * reads. --serial (and --repair, whose commands share the connection)
 * reads and checks one session at a time, a page after the other: the
 * same findings in the same order, nothing in flight. */
#include "sessions.h"

#include <stdlib.h>
#include <string.h>

#include "core/model/ids.h"
#include "core/redis/reply.h"

int vs_pages_init(struct run *v)
{
	int i;

	for (i = 0; i < 2; i++) {
		v->pg[i].ids = malloc((size_t)v->o->page * sizeof *v->pg[i].ids);
		v->pg[i].slow = malloc((size_t)v->o->page * sizeof *v->pg[i].slow);
		if (!v->pg[i].ids || !v->pg[i].slow)
			return sess_err_set(&v->a->err, SESS_E_INTERNAL, NULL, "out of memory");
	}
	sess_pipe_init(&v->p, &v->a->conn);
	return 0;
}

static void give_held(struct run *v, struct vpage *pg);

void vs_pages_free(struct run *v)
{
	int i;

	/* stopped early (an error): what was found is still said, in order */
	if (v->fly)
		give_held(v, v->fly);
	give_held(v, &v->pg[v->cur]);
	for (i = 0; i < 2; i++) {
		free(v->pg[i].ids);
		free(v->pg[i].slow);
		cJSON_Delete(v->pg[i].held);
		memset(&v->pg[i], 0, sizeof v->pg[i]);
	}
	sess_pipe_free(&v->p);
	free(v->cpseen);
	v->cpseen = NULL;
	v->cpseen_cap = 0;
	v->fly = NULL;
	v->hold = NULL;
}

/* The findings held for pg, given now (their turn has come). */
static void give_held(struct run *v, struct vpage *pg)
{
	const cJSON *f;

	v->hold = NULL;
	cJSON_ArrayForEach(f, pg->held) {
		const char *id = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(f, "id"));
		vs_say(v, id, cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(f, "code")),
		       (long long)cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(f, "seq")), "%s",
		       cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(f, "message")));
	}
	cJSON_Delete(pg->held);
	pg->held = NULL;
}

static int send_page(struct run *v, struct vpage *pg)
{
	size_t i;

	/* on the wire as they are made: the server reads while we format */
	for (i = 0; i < pg->nids; i++)
		if (vs_send_reads(v, &v->p, pg->ids[i], &v->a->err) ||
		    ((i % 16 == 15 || i + 1 == pg->nids) && sess_pipe_send(&v->p, &v->a->err)))
			return -1;
	pg->sent = 1;
	return 0;
}

/* Session i's replies taken and checked (a long one noted for later). */
static int take_one(struct run *v, struct vpage *pg, size_t i)
{
	redisReply *x = NULL, *z = NULL;
	int rc = -1;

	if (sess_pipe_drain(&v->p, NREAD + 1, &v->a->err) || /* +OK and QUEUED */
	    sess_pipe_next(&v->p, &x, NULL, &v->a->err) || sess_pipe_next(&v->p, &z, NULL, &v->a->err))
		goto done;
	if (x->type != REDIS_REPLY_ARRAY || x->elements != NREAD) {
		if (x->type == REDIS_REPLY_ERROR)
			sess_conn_reply_error(&v->a->conn, x, &v->a->err);
		else
			sess_reply_bad(&v->a->err, "EXEC");
		goto done;
	}
	if (z->type == REDIS_REPLY_ERROR) { /* ZSCORE refused (the ACL): never "not indexed" */
		sess_conn_reply_error(&v->a->conn, z, &v->a->err);
		goto done;
	}
	v->sessions++;
	if (x->element[0]->type != REDIS_REPLY_ARRAY || x->element[0]->elements == 0) {
		if (v->explicit_ids)
			vs_say(v, pg->ids[i], "not_found", -1, "session %s not found (it never existed, expired or was deleted)",
			       pg->ids[i]);
		else
			v->sessions--; /* gone since the scan saw it */
	} else {
		const char *ver = vs_hget(x->element[0], SESS_S_F_VERSION), *base = vs_hget(x->element[0], SESS_S_F_BASE);
		if (!ver || strcmp(ver, SESS_S_LAYOUT))
			vs_say(v, pg->ids[i], "layout", -1, "the session has layout %s; this sesskit reads layout %s",
			       ver ? ver : "none", SESS_S_LAYOUT);
		else if ((base && strtoll(base, NULL, 10) > 0) || x->element[1]->elements >= FAST_MAX ||
			 x->element[2]->elements >= FAST_MAX)
			memcpy(pg->slow[pg->nslow++], pg->ids[i], sizeof pg->slow[0]);
		else
			vs_check_fast(v, pg->ids[i], x, z);
	}
	rc = v->fatal ? -1 : 0;
done:
	if (x)
		freeReplyObject(x);
	if (z)
		freeReplyObject(z);
	return rc;
}

/* The replies of pg's reads (sent) taken and its sessions checked; with
 * serial, each session read only when the one before it is checked. */
static int take_page(struct run *v, struct vpage *pg, int serial)
{
	size_t i;

	if (v->a->out.closed) { /* the reader is gone: take what is owed */
		sess_pipe_drain(&v->p, SESS_PIPE_ALL, NULL);
		pg->sent = 0;
		return 0;
	}
	v->now = sess_now_ms();
	for (i = 0; i < pg->nids; i++) {
		if (serial && (vs_send_reads(v, &v->p, pg->ids[i], &v->a->err) || sess_pipe_send(&v->p, &v->a->err)))
			return -1;
		if (take_one(v, pg, i))
			return -1;
		if (v->a->out.closed) {
			/* the reader went away mid-page: drop the rest */
			sess_pipe_drain(&v->p, SESS_PIPE_ALL, &v->a->err);
			break;
		}
	}
	pg->sent = 0;
	return 0;
}

/* The end of pg's turn (nothing in flight): its long sessions streamed,
 * its repairs; then it is empty. */
static int finish_page(struct run *v, struct vpage *pg)
{
	size_t i;
	int rc = 0;

	for (i = 0; rc == 0 && i < pg->nslow && !v->a->out.closed; i++)
		if (vs_check_slow(v, pg->slow[i]))
			rc = -1;
	pg->nids = pg->nslow = 0;
	if (rc == 0 && vs_run_repairs(v))
		rc = -1;
	return rc;
}

/* The page being filled is full (or the input is over): a page at a
 * time, or sent now and the page in flight before it checked meanwhile. */
static int page_full(struct run *v)
{
	struct vpage *b = &v->pg[v->cur], *a = v->fly;

	if (!v->overlap) {
		give_held(v, b);
		if ((!v->o->serial && send_page(v, b)) || take_page(v, b, v->o->serial))
			return -1;
		return finish_page(v, b);
	}
	if (send_page(v, b))
		return -1;
	if (a) {
		/* a's turn: everything before it is out */
		give_held(v, a);
		if (a->sent && take_page(v, a, 0))
			return -1;
		if (a->nslow) {
			/* a's long sessions need the connection: b's replies
			 * first, its findings held until a's are out */
			if (!b->held && !(b->held = cJSON_CreateArray()))
				return sess_err_set(&v->a->err, SESS_E_INTERNAL, NULL, "out of memory");
			v->hold = b->held;
			if (take_page(v, b, 0))
				return -1;
			v->hold = NULL;
			if (finish_page(v, a))
				return -1;
			give_held(v, b);
		} else if (finish_page(v, a)) {
			return -1;
		}
	}
	v->fly = b;
	v->cur = !v->cur;
	/* what is said before the next page's turn waits for it */
	b = &v->pg[v->cur];
	if (!b->held && !(b->held = cJSON_CreateArray()))
		return sess_err_set(&v->a->err, SESS_E_INTERNAL, NULL, "out of memory");
	v->hold = b->held;
	return 0;
}

int vs_check_page(struct run *v)
{
	struct vpage *a;

	if (v->pg[v->cur].nids && page_full(v))
		return -1;
	if (!(a = v->fly)) {
		give_held(v, &v->pg[v->cur]); /* ids that were none, with no page after them */
		return 0;
	}
	v->fly = NULL;
	give_held(v, a);
	if (a->sent && take_page(v, a, 0))
		return -1;
	if (finish_page(v, a))
		return -1;
	give_held(v, &v->pg[v->cur]);
	return 0;
}

int vs_add_id(struct run *v, const char *id, size_t len)
{
	struct vpage *pg = &v->pg[v->cur];

	if (len == 0 || len > SESS_ID_MAX)
		return 0;
	memcpy(pg->ids[pg->nids], id, len);
	pg->ids[pg->nids++][len] = '\0';
	if (pg->nids >= (size_t)v->o->page)
		return page_full(v);
	return 0;
}
