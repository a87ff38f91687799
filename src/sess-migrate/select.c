/* select.c - which sessions a command works on: --all, --since, --match,
 * --state, --ids, and the TypeScript layout's sessions for --from-layout
 * legacy. */
#include "migrate.h"
#include "idset.h"

#include <fnmatch.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/model/ids.h"
#include "core/model/json.h"
#include "core/model/when.h"
#include "core/base/schema.h"
#include "core/session/tags.h"
#include "core/session/view.h"

int mig_parse_since(const char *s, long long *out, struct sess_err *err)
{
	/* the one reading of a TIME (sesskit(7)); a bare number is epoch ms */
	return sess_time_parse(s, sess_now_ms(), 1, "--since", out, err);
}

void mig_sel_init(struct mig_sel *sel, const struct mig_opts *o, const char *prefix,
		  long page)
{
	memset(sel, 0, sizeof *sel);
	sel->kind = o->ids ? SEL_PLAN : (o->layout && !strcmp(o->layout, "legacy")) ? SEL_LEGACY : SEL_INDEX;
	sel->prefix = prefix;
	sel->since = -1;
	if (o->since)
		mig_parse_since(o->since, &sel->since, NULL);
	sel->floor_add = o->min_ttl > 1 ? (o->min_ttl - 1) * 1000 : 0;
	sel->match = o->match;
	sel->state = o->state;
	sel->page = page;
	sel->run_start = sess_now_ms();
	snprintf(sel->scan_cursor, sizeof sel->scan_cursor, "0");
}

static int matches(const struct mig_sel *sel, const char *id)
{
	return !sel->match || fnmatch(sel->match, id, 0) == 0;
}

/* One page of the index from (last_score, last_member) on. The index is
 * scored by expiry, and every write moves a session later: a walk by
 * score sees a session that moves ahead of it again (the task's done
 * marks make that harmless), and one that moves behind it (a shorter TTL
 * set meanwhile) changed after the walk began, so a second pass over
 * what changed since the start catches it. */
/* The page after the last member by rank (ZRANK, then ZRANGE from it):
 * O(log n) however many sessions share one expiry, as a bulk import's
 * do; by score every page would re-read all the ties before it. The page
 * starts with the last member itself: if it is not there with its score,
 * the index changed under the walk, and *r is NULL for the caller to read
 * by score. -1 only when the connection failed. */
static int rank_page(struct mig_sel *sel, struct sess_conn *c, const char *idx,
		     long want, redisReply **r, struct sess_err *err)
{
	redisReply *k = sess_conn_cmdf(c, err, "ZRANK %s %s", idx, sel->last_member);
	long long at;

	*r = NULL;
	if (!k)
		return -1;
	at = k->type == REDIS_REPLY_INTEGER ? k->integer : -1;
	freeReplyObject(k);
	if (at < 0)
		return 0;
	if (!(*r = sess_conn_cmdf(c, err, "ZRANGE %s %lld %lld WITHSCORES", idx, at, at + want)))
		return -1;
	if ((*r)->type != REDIS_REPLY_ARRAY || (*r)->elements < 2 ||
	    strcmp((*r)->element[0]->str, sel->last_member) ||
	    strtoll((*r)->element[1]->str, NULL, 10) != sel->last_score) {
		freeReplyObject(*r);
		*r = NULL;
	}
	return 0;
}

static int index_page(struct mig_sel *sel, struct sess_conn *c, char **ids, int max,
		      struct sess_err *err)
{
	char idx[SESS_KEY_MAX], min[40];
	long want = max, asked;
	int n = 0, rank_ok = 1;

	sess_key_index(idx, sel->prefix, sel->tags ? sel->tags[sel->tag_at] : SESS_S_TAG_ONE);
	for (;;) {
		redisReply *r = NULL;
		size_t i;
		long long floor = sel->since >= 0 ? sel->since + sel->floor_add : 0;
		if (sel->started && sel->last_score > floor)
			floor = sel->last_score;
		snprintf(min, sizeof min, "%lld", floor);
		asked = want;
		if (sel->started && rank_ok && floor == sel->last_score) {
			if (rank_page(sel, c, idx, want, &r, err))
				return -1;
			rank_ok = r != NULL;
			asked = want + 1; /* the first is the last one again */
		}
		if (!r && !(r = sess_conn_cmdf(c, err, "ZRANGEBYSCORE %s %s +inf WITHSCORES LIMIT 0 %ld",
					       idx, min, asked = want)))
			return -1;
		for (i = 0; i + 1 < r->elements && n < max; i += 2) {
			const char *m = r->element[i]->str;
			long long sc = strtoll(r->element[i + 1]->str, NULL, 10);
			if (sel->started && sc == sel->last_score && strcmp(m, sel->last_member) <= 0)
				continue;
			sel->started = 1;
			sel->last_score = sc;
			snprintf(sel->last_member, sizeof sel->last_member, "%s", m);
			if (!matches(sel, m) || sess_key_check_id(m, "id", NULL))
				continue;
			ids[n++] = strdup(m);
		}
		i = r->elements;
		freeReplyObject(r);
		if (n > 0)
			return n;
		if ((long)i < 2 * asked)
			return 0; /* the end of the index */
		/* a whole page of ties already seen, or filtered: look further
		 * (by rank, or by score with a longer page when the ties fill it) */
		if (!rank_ok && sel->last_score == floor && want < 1000000)
			want *= 2;
		if (sel->waiting)
			sel->waiting(sel->waiting_arg);
	}
}

static int plan_page(struct mig_sel *sel, struct sess_conn *c, char **ids, int max,
		     struct sess_err *err)
{
	redisReply *r = sess_conn_cmdf(c, err, "LRANGE %s %ld %ld", sel->plan_key, sel->plan_pos,
				       sel->plan_pos + max - 1);
	int n = 0;
	size_t i;

	if (!r)
		return -1;
	for (i = 0; i < r->elements; i++) {
		sel->plan_pos++;
		if (matches(sel, r->element[i]->str))
			ids[n++] = strdup(r->element[i]->str);
	}
	if (r->elements == 0)
		sel->done = 1;
	freeReplyObject(r);
	return n;
}

/* The TypeScript system keeps no index: its sessions are found by SCAN
 * over session:* (the one place sesskit scans: there is nothing else). */
static int legacy_page(struct mig_sel *sel, struct sess_conn *c, char **ids, int max,
		       struct sess_err *err)
{
	int n = 0;

	/* (one SCAN cursor walks one node: a cluster would be read in part) */
	if (c->cl)
		return sess_err_set(err, SESS_E_CONFIG, "cluster",
				    "--from-layout legacy reads a standalone server, and the source is a Redis Cluster; copy the TypeScript data to a standalone server first (or set REDIS_CLUSTER=no per node)");
	while (n == 0 && !sel->done) {
		redisReply *r = sess_conn_cmdf(c, err, "SCAN %s MATCH session:* COUNT %d", sel->scan_cursor,
					       max);
		size_t i;
		if (!r)
			return -1;
		snprintf(sel->scan_cursor, sizeof sel->scan_cursor, "%s", r->element[0]->str);
		for (i = 0; i < r->element[1]->elements && n < max; i++) {
			const char *id = r->element[1]->element[i]->str + 8;
			if (matches(sel, id))
				ids[n++] = strdup(id);
		}
		if (!strcmp(sel->scan_cursor, "0"))
			sel->done = 1;
		freeReplyObject(r);
	}
	return n;
}

/* The slot tags of a cluster source (sess_tags_used); none on a
 * standalone server. */
static int read_tags(struct mig_sel *sel, struct sess_conn *c, struct sess_err *err)
{
	struct sess_config cfg;
	struct sess_ctx ctx;

	free(sel->tags);
	sel->tags = NULL;
	sel->ntags = sel->tag_at = 0;
	sel->tags_read = 1;
	if (!c->cl)
		return 0;
	memset(&cfg, 0, sizeof cfg);
	snprintf(cfg.prefix, sizeof cfg.prefix, "%s", sel->prefix);
	ctx.conn = c;
	ctx.cfg = &cfg;
	return sess_tags_used(&ctx, &sel->tags, &sel->ntags, err);
}

void mig_sel_free(struct mig_sel *sel)
{
	free(sel->tags);
	sel->tags = NULL;
	sel->ntags = 0;
}

int mig_sel_next(struct mig_sel *sel, struct sess_conn *c, char **ids, int max,
		 struct sess_err *err)
{
	int n;

	if (sel->done && sel->kind != SEL_INDEX)
		return 0;
	if (sel->kind == SEL_PLAN)
		return sel->done ? 0 : (n = plan_page(sel, c, ids, max, err)) != 0 || sel->done ? n :
			mig_sel_next(sel, c, ids, max, err);
	if (sel->kind == SEL_LEGACY)
		return legacy_page(sel, c, ids, max, err);
	for (;;) {
		if (sel->done)
			return 0;
		if (!sel->tags_read && read_tags(sel, c, err))
			return -1;
		n = sel->tag_at < sel->ntags || !sel->tags ? index_page(sel, c, ids, max, err) : 0;
		if (n != 0)
			return n;
		/* a cluster: the next slot's index, from its start */
		if (sel->tags && ++sel->tag_at < sel->ntags) {
			sel->started = 0;
			if (sel->waiting)
				sel->waiting(sel->waiting_arg);
			continue;
		}
		/* (each pass reads the tags in use again: a slot's first
		 * session may have come since) */
		sel->tags_read = 0;
		if (sel->second_pass) {
			sel->done = 1;
			return 0;
		}
		/* second pass: what changed since the walk began (a session that
		 * moved behind the walk); done marks skip what was copied */
		sel->second_pass = 1;
		sel->started = 0;
		if (sel->since < sel->run_start - 1000)
			sel->since = sel->run_start - 1000;
		if (sel->pause)
			return 0;
	}
}

/* The second pass of an index walk looks for what changed since the walk
 * began (a session a write moved behind it): of its ids, keep those whose
 * meta updated is at or after sel.since (one HGET each, not a read of the
 * session: the first pass read the others, and reading them again would
 * count them twice). */
int mig_sel_drop_unchanged(struct mig_sel *sel, struct sess_conn *src, char **ids, int n,
			    struct sess_err *err)
{
	struct sess_pipe p;
	struct sess_keys k;
	int i, keep = 0, rc = 0;

	if (n == 0)
		return n;
	sess_pipe_init(&p, src);
	for (i = 0; i < n && !rc; i++) {
		sess_keys_init(&k, sel->prefix, ids[i]);
		rc = sess_pipe_cmdf(&p, i, err, "HGET %s " SESS_S_F_UPDATED, k.meta);
	}
	for (i = 0; i < n && !rc; i++) {
		redisReply *r;
		long tag;
		if ((rc = sess_pipe_next(&p, &r, &tag, err)))
			break;
		if (r->type == REDIS_REPLY_STRING && strtoll(r->str, NULL, 10) >= sel->since) {
			char *t = ids[keep];
			ids[keep++] = ids[i];
			ids[i] = t;
		}
		freeReplyObject(r);
	}
	sess_pipe_free(&p);
	return rc ? -1 : keep;
}

int mig_sel_keep(const struct mig_sel *sel, const struct sess_snap *s)
{
	const char *st = sess_snap_meta(s, SESS_S_F_STATE);

	if (sel->state && (!st || strcmp(st, sel->state)))
		return 0;
	/* --since: the index only narrows it down; the meta's updated decides
	 * (in the second pass, since is the walk's start: what changed during
	 * it, which changed after the user's since too) */
	if (sel->since >= 0 && sess_snap_meta_ll(s, SESS_S_F_UPDATED, 0) < sel->since)
		return 0;
	return 1;
}

long mig_sel_total(struct mig_sel *sel, struct sess_conn *c)
{
	redisReply *r;
	long n = 0;

	if (sel->kind == SEL_INDEX) {
		/* the index's entries from the floor on: the one tag's on a
		 * standalone server, summed over the tags in use (on every
		 * master) on a cluster; refused or failed, no total */
		struct sess_config cfg;
		struct sess_ctx ctx;
		struct sess_err e;
		memset(&cfg, 0, sizeof cfg);
		snprintf(cfg.prefix, sizeof cfg.prefix, "%s", sel->prefix);
		ctx.conn = c;
		ctx.cfg = &cfg;
		ctx.progress = NULL;
		ctx.progress_arg = NULL;
		if (sess_index_count(&ctx, sel->since >= 0 ? sel->since + sel->floor_add : 0, &n, &e))
			return 0;
		return n;
	}
	if (sel->kind == SEL_PLAN)
		r = sess_conn_cmdf(c, NULL, "LLEN %s", sel->plan_key);
	else
		r = sess_conn_cmdf(c, NULL, "DBSIZE");
	if (r && r->type == REDIS_REPLY_INTEGER)
		n = (long)r->integer;
	if (r)
		freeReplyObject(r);
	return n;
}

/* The id on one line: {"id":...}, "id" or a bare id. */
static int line_id(char *line, char *out, size_t n, struct sess_err *err)
{
	cJSON *j = NULL;
	const char *id = line;

	if (line[0] == '{' || line[0] == '"') {
		if (!(j = sess_json_parse_err(line, NULL, NULL, err)))
			return -1;
		id = cJSON_IsObject(j) ? cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(j, "id"))
				       : cJSON_GetStringValue(j);
		if (!id) {
			cJSON_Delete(j);
			return sess_err_set(err, SESS_E_DATA, "bad_input", "the line has no \"id\" string");
		}
	}
	snprintf(out, n, "%s", id);
	cJSON_Delete(j);
	return sess_key_check_id(out, "session id", err);
}

int mig_ids_from_args(struct cli_app *a, struct mig_opts *o, int argc, char **argv)
{
	int k;

	/* the ids would win over --all (the plan is the selection): one
	 * stray word must not narrow "every session" to it */
	if (o->all && (argc || o->ids))
		return cli_usage_error(a, "--all and %s: give one of them",
				       argc ? "ids as arguments" : "--ids");
	if (!argc)
		return 0;
	if (o->ids)
		return cli_usage_error(a, "ids as arguments and --ids %s: give them one way", o->ids);
	if (argc == 1 && !strcmp(argv[0], "-")) {
		o->ids = "-";
		return 0;
	}
	for (k = 0; k < argc; k++)
		if (!strcmp(argv[k], "-"))
			return cli_usage_error(a, "- (ids on stdin) stands alone: give ids as arguments or -, not both");
	o->ids = "(arguments)";
	o->id_args = argv;
	o->nid_args = argc;
	return 0;
}

/* The ids given as arguments, one a line, as a stream (buf: its text, the
 * caller frees it after fclose). */
static FILE *args_stream(const struct mig_opts *o, char **buf)
{
	size_t len = 0, at = 0;
	int k;
	FILE *f;

	for (k = 0; k < o->nid_args; k++)
		len += strlen(o->id_args[k]) + 1;
	if (!(*buf = malloc(len + 1)))
		return NULL;
	for (k = 0; k < o->nid_args; k++) {
		size_t l = strlen(o->id_args[k]);
		memcpy(*buf + at, o->id_args[k], l);
		at += l;
		(*buf)[at++] = '\n';
	}
	(*buf)[at] = '\0';
	if (!(f = fmemopen(*buf, len, "r"))) {
		free(*buf);
		*buf = NULL;
	}
	return f;
}

int mig_sel_load_plan(struct cli_app *a, const struct mig_opts *o, struct sess_conn *c,
		      const char *key, long *count, void (*tick)(void *), void *tick_arg)
{
	const char *path = o->ids;
	char *argbuf = NULL;
	FILE *f = o->id_args ? args_stream(o, &argbuf) : strcmp(path, "-") ? fopen(path, "r") : stdin;
	char *line = NULL, id[SESS_ID_MAX + 2];
	size_t cap = 0;
	ssize_t len;
	long lineno = 0, n = 0;
	long long ticked = 0;
	struct sess_pipe p;
	struct mig_idset seen = {0};
	int rc = 0;

	*count = 0;
	sess_err_clear(&a->err);
	if (!f && o->id_args) {
		sess_err_set(&a->err, SESS_E_INTERNAL, NULL, "out of memory");
		return cli_app_fail(a);
	}
	if (!f) {
		sess_err_set(&a->err, SESS_E_NOINPUT, NULL, "cannot read --ids file %s; check the path", path);
		return cli_app_fail(a);
	}
	sess_pipe_init(&p, c);
	while ((len = getline(&line, &cap, f)) != -1) {
		lineno++;
		while (len > 0 && strchr("\r\n \t", line[len - 1]))
			line[--len] = '\0';
		if (!len)
			continue;
		if (line_id(line, id, sizeof id, &a->err) == 0) {
			long first = mig_idset_add(&seen, id, lineno);
			if (first < 0) {
				sess_err_set(&a->err, SESS_E_INTERNAL, NULL, "out of memory");
				break;
			}
			if (first > 0)
				sess_err_set(&a->err, SESS_E_DATA, "duplicate",
					     "session %s was on line %ld already; it is copied once", id, first);
		}
		if (a->err.msg[0] && a->err.cls != SESS_E_INTERNAL) {
			/* a bad line, or an id again: its record, the rest go on */
			cJSON *rec = cli_error_record(lineno, &a->err);
			cli_out_json(&a->out, rec);
			cJSON_Delete(rec);
			if (!rc)
				rc = sess_err_exit_code(a->err.cls);
			sess_err_clear(&a->err);
			continue;
		}
		if (a->err.msg[0])
			break;
		if (sess_pipe_cmdf(&p, 0, &a->err, "RPUSH %s %s", key, id))
			break;
		n++;
		if (sess_pipe_pending(&p) >= 1000 && sess_pipe_run(&p, &a->err))
			break;
		/* (the plan's RPUSHes answered first: the tick writes on c) */
		if (tick && sess_now_ms() - ticked >= 250) {
			if (sess_pipe_run(&p, &a->err))
				break;
			tick(tick_arg);
			ticked = sess_now_ms();
		}
	}
	free(line);
	mig_idset_free(&seen);
	if (f != stdin)
		fclose(f);
	free(argbuf);
	if (a->err.msg[0] || sess_pipe_run(&p, &a->err)) {
		sess_pipe_free(&p);
		return cli_app_fail(a);
	}
	sess_pipe_free(&p);
	*count = n;
	return rc;
}

void mig_meter_tick(struct mig_meter *m, const char *what, long n)
{
	long long el;

	m->done += n;
	el = sess_now_ms() - m->start_ms;
	if (m->rate > 0) { /* the ceiling: never ahead of done/rate seconds */
		long long due = m->done * 1000 / m->rate, left = due - el;
		/* (a second at a time when someone waits with us) */
		while (left > 0) {
			long long step = m->waiting && left > 1000 ? 1000 : left;
			usleep((useconds_t)(step * 1000));
			if ((left -= step) > 0 && m->waiting)
				m->waiting(m->waiting_arg);
		}
	}
	/* the one meter (src/cli): a total that was passed (sessions added
	 * meanwhile) is no total any more */
	cli_meter(NULL, what, m->done, m->total > m->done ? m->total : -1);
}

void mig_meter_end(void)
{
	cli_meter(NULL, "", -1, -1);
}
