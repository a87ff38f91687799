#include "sess-health/probe.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/model/ids.h"
#include "core/model/keys.h"
#include "core/session/listen.h"
#include "core/session/tags.h"
#include "core/redis/pipe.h"
#include "core/session/view.h"

/* ---- INFO ---- */

int sess_info_parse(const char *text, size_t len, struct sess_info *in,
		    struct sess_err *err)
{
	char *p, *line, *colon;
	size_t cap = 0, lines = 1, i;

	memset(in, 0, sizeof *in);
	for (i = 0; i < len; i++)
		lines += text[i] == '\n';
	cap = lines;
	if (!(in->text = malloc(len + 1)) || !(in->f = calloc(cap, sizeof *in->f))) {
		sess_info_free(in);
		return sess_err_set(err, SESS_E_INTERNAL, NULL, "out of memory");
	}
	memcpy(in->text, text, len);
	in->text[len] = '\0';
	for (p = in->text; p && *p; p = line) {
		char *nl = strchr(p, '\n');
		line = nl ? nl + 1 : NULL;
		if (nl)
			*nl = '\0';
		if (nl && nl > p && nl[-1] == '\r')
			nl[-1] = '\0';
		if (*p == '#' || !*p || !(colon = strchr(p, ':')))
			continue;
		*colon = '\0';
		in->f[in->n].name = p;
		in->f[in->n].value = colon + 1;
		in->n++;
	}
	return 0;
}

void sess_info_free(struct sess_info *in)
{
	free(in->text);
	free(in->f);
	memset(in, 0, sizeof *in);
}

const char *sess_info_get(const struct sess_info *in, const char *name)
{
	size_t i;

	for (i = 0; i < in->n; i++)
		if (!strcmp(in->f[i].name, name))
			return in->f[i].value;
	return NULL;
}

int sess_info_num(const struct sess_info *in, const char *name, double *out)
{
	const char *v = sess_info_get(in, name);
	char *end;
	double d;

	if (!v || !*v)
		return -1;
	d = strtod(v, &end);
	if (*end)
		return -1;
	*out = d;
	return 0;
}

int sess_info_sub(const char *value, const char *key, double *out)
{
	size_t n = strlen(key);
	const char *p = value;
	char *end;

	while (p && *p) {
		if (!strncmp(p, key, n) && p[n] == '=') {
			*out = strtod(p + n + 1, &end);
			return end == p + n + 1 ? -1 : 0;
		}
		p = strchr(p, ',');
		if (p)
			p++;
	}
	return -1;
}

int sess_probe_info(struct sess_conn *c, struct sess_info *out,
		    struct sess_err *err)
{
	redisReply *r = sess_conn_cmdf(c, err, "INFO");
	int rc;

	memset(out, 0, sizeof *out);
	if (!r)
		return -1;
	if (r->type != REDIS_REPLY_STRING && r->type != REDIS_REPLY_STATUS) {
		freeReplyObject(r);
		return sess_err_set(err, SESS_E_INTERNAL, "bad_reply", "INFO gave no text");
	}
	rc = sess_info_parse(r->str, r->len, out, err);
	freeReplyObject(r);
	return rc;
}

/* ---- latency ---- */

double sess_probe_clock_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* nearest rank: the smallest sample with at least p% at or below it */
static double rank(const double *sorted, int n, double p)
{
	int k = (int)((p / 100.0) * n + 0.999999);

	if (k < 1)
		k = 1;
	if (k > n)
		k = n;
	return sorted[k - 1];
}

void sess_latency_of(double *ms, int n, struct sess_latency *out)
{
	memset(out, 0, sizeof *out);
	if (n <= 0)
		return;
	qsort(ms, (size_t)n, sizeof *ms, cmp_double);
	out->n = n;
	out->p50 = rank(ms, n, 50);
	out->p99 = rank(ms, n, 99);
	out->max = ms[n - 1];
}

int sess_probe_ping(struct sess_conn *c, int n, struct sess_latency *out,
		    struct sess_err *err)
{
	double ms[1000], t0;
	redisReply *r;
	int i;

	if (n < 1 || n > 1000)
		return sess_err_set(err, SESS_E_USAGE, NULL, "PING samples must be 1 to 1000, not %d", n);
	for (i = 0; i < n; i++) {
		t0 = sess_probe_clock_ms();
		if (!(r = sess_conn_cmdf(c, err, "PING")))
			return -1;
		ms[i] = sess_probe_clock_ms() - t0;
		freeReplyObject(r);
	}
	sess_latency_of(ms, n, out);
	return 0;
}

/* ---- pub/sub ---- */

/* Wait for the next reply whose first element is kind ("subscribe",
 * "message"), until the monotonic deadline. */
static int wait_kind(struct sess_conn *c, const char *kind, double deadline,
		     struct sess_err *err)
{
	redisReply *r;
	int n, left;

	for (;;) {
		left = (int)(deadline - sess_probe_clock_ms() + 0.999);
		if (left <= 0)
			return sess_err_set(err, SESS_E_TEMP, "timeout",
					    "the pub/sub probe got no \"%s\" from %s within the timeout (%d ms); check the server or raise --timeout",
					    kind, c->where, c->cfg->command_timeout_ms);
		n = sess_conn_wait(c, left, &r, err);
		if (n < 0)
			return -1;
		if (n == 0)
			continue; /* a signal or the deadline: the loop decides */
		if (r->type == REDIS_REPLY_ERROR) {
			sess_conn_reply_error(c, r, err);
			freeReplyObject(r);
			return -1;
		}
		if (r->type == REDIS_REPLY_ARRAY && r->elements >= 1 &&
		    r->element[0]->type == REDIS_REPLY_STRING &&
		    !strcmp(r->element[0]->str, kind)) {
			freeReplyObject(r);
			return 0;
		}
		freeReplyObject(r);
	}
}

/* On a cluster the session scripts SPUBLISH within the session's shard:
 * the probe takes that path, an SSUBSCRIBE on the master serving the
 * probe channel's slot (session/listen.h) and SPUBLISH routed there. */
static int probe_sharded(const struct sess_config *cfg, struct sess_conn *pub,
			 const char *chan, double deadline, double *ms,
			 long long *receivers, struct sess_err *err)
{
	const char *id = SESS_PROBE_ID;
	struct sess_listen l;
	char payload[96];
	redisReply *r;
	double t0;
	int n;

	if (sess_listen_open(&l, pub, cfg->prefix, 1, &id, err))
		return -1;
	t0 = sess_probe_clock_ms();
	snprintf(payload, sizeof payload, "%s\n{\"probe\":%.3f}", SESS_PROBE_ID, t0);
	if (!(r = sess_conn_cmdf(pub, err, "SPUBLISH %s %s", chan, payload)))
		goto fail;
	*receivers = r->type == REDIS_REPLY_INTEGER ? r->integer : 0;
	freeReplyObject(r);
	for (;;) {
		int left = (int)(deadline - sess_probe_clock_ms() + 0.999);
		if (left <= 0) {
			sess_err_set(err, SESS_E_TEMP, "timeout",
				     "the pub/sub probe got no \"smessage\" on %s within the timeout (%d ms); check the cluster or raise --timeout",
				     chan, cfg->command_timeout_ms);
			goto fail;
		}
		if ((n = sess_listen_wait(&l, left, &r, err)) < 0)
			goto fail;
		if (n > 0) {
			freeReplyObject(r); /* only the probe's channel is heard */
			break;
		}
	}
	*ms = sess_probe_clock_ms() - t0;
	sess_listen_close(&l);
	return 0;
fail:
	sess_listen_close(&l);
	return -1;
}

int sess_probe_pubsub(const struct sess_config *cfg, struct sess_conn *pub,
		      int timeout_ms, double *ms, long long *receivers,
		      struct sess_err *err)
{
	struct sess_conn sub;
	char chan[SESS_KEY_MAX], payload[96];
	redisReply *r;
	double deadline, t0;
	int rc = -1;

	sess_key_channel(chan, cfg->prefix, SESS_PROBE_ID);
	deadline = sess_probe_clock_ms() + timeout_ms;
	switch (sess_conn_cluster(pub, err)) {
	case 0:
		break;
	case 1:
		return probe_sharded(cfg, pub, chan, deadline, ms, receivers, err);
	default:
		return -1;
	}
	if (sess_conn_open(&sub, cfg, err))
		return -1;
	if (sess_conn_appendf(&sub, err, "SUBSCRIBE %s", chan))
		goto done;
	if (wait_kind(&sub, "subscribe", deadline, err))
		goto done;
	t0 = sess_probe_clock_ms();
	/* the payload has the message shape ("ID\n...") with the probe's id,
	 * so a watcher can tell it from an event and skip it */
	snprintf(payload, sizeof payload, "%s\n{\"probe\":%.3f}", SESS_PROBE_ID, t0);
	if (!(r = sess_conn_cmdf(pub, err, "PUBLISH %s %s", chan, payload)))
		goto done;
	*receivers = r->type == REDIS_REPLY_INTEGER ? r->integer : 0;
	freeReplyObject(r);
	if (wait_kind(&sub, "message", deadline, err))
		goto done;
	*ms = sess_probe_clock_ms() - t0;
	rc = 0;
done:
	sess_conn_close(&sub);
	return rc;
}

/* ---- the session system ---- */

static long long int_reply(const redisReply *r)
{
	if (r && r->type == REDIS_REPLY_INTEGER)
		return r->integer;
	if (r && r->type == REDIS_REPLY_STRING)
		return strtoll(r->str, NULL, 10);
	return 0;
}

/* The per-type fields of an HGETALL reply added into out (a type seen
 * in an earlier tag's hash adds up). */
static int take_types(const redisReply *r, struct sess_counters *out, struct sess_err *err)
{
	const size_t plen = sizeof SESS_S_STAT_TYPE_PREFIX - 1;
	size_t i, j;

	for (i = 0; i + 1 < r->elements; i += 2) {
		const redisReply *f = r->element[i];
		if (f->type != REDIS_REPLY_STRING || strncmp(f->str, SESS_S_STAT_TYPE_PREFIX, plen))
			continue;
		for (j = 0; j < out->ntypes; j++)
			if (!strcmp(out->types[j].type, f->str + plen))
				break;
		if (j == out->ntypes) {
			void *v = realloc(out->types, (out->ntypes + 1) * sizeof *out->types);
			if (!v)
				return sess_err_set(err, SESS_E_INTERNAL, NULL, "out of memory");
			out->types = v;
			out->types[j].n = 0;
			if (!(out->types[j].type = strdup(f->str + plen)))
				return sess_err_set(err, SESS_E_INTERNAL, NULL, "out of memory");
			out->ntypes++;
		}
		out->types[j].n += int_reply(r->element[i + 1]);
	}
	return 0;
}

/* The value of field name in an HGETALL reply (0 when absent). */
static long long field(const redisReply *r, const char *name)
{
	size_t i;

	for (i = 0; i + 1 < r->elements; i += 2)
		if (r->element[i]->type == REDIS_REPLY_STRING && !strcmp(r->element[i]->str, name))
			return int_reply(r->element[i + 1]);
	return 0;
}

int sess_probe_counters(struct sess_ctx *s, int with_types,
			struct sess_counters *out, struct sess_err *err)
{
	char stats[SESS_KEY_MAX];
	const char **tags;
	struct sess_pipe p;
	int ntags, i, rc = 0;

	memset(out, 0, sizeof *out);
	if (sess_tags_used(s, &tags, &ntags, err))
		return -1;
	/* every tag's counters (one hash on a standalone server) */
	sess_pipe_init(&p, s->conn);
	for (i = 0; i < ntags && !rc; i++) {
		sess_key_stats(stats, s->cfg->prefix, tags[i]);
		rc = sess_pipe_cmdf(&p, 0, err, "HGETALL %s", stats);
	}
	free(tags);
	while (!rc && sess_pipe_pending(&p)) {
		redisReply *r;
		if ((rc = sess_pipe_next(&p, &r, NULL, err)))
			break;
		if (r->type == REDIS_REPLY_ERROR) {
			rc = sess_conn_reply_error(s->conn, r, err);
		} else if (r->type != REDIS_REPLY_ARRAY) {
			rc = sess_err_set(err, SESS_E_INTERNAL, "bad_reply", "HGETALL of %s gave no array", stats);
		} else {
			out->sessions += field(r, SESS_S_STAT_SESSIONS);
			out->events += field(r, SESS_S_STAT_EVENTS);
			out->completed += field(r, SESS_S_STAT_COMPLETED);
			out->deleted += field(r, SESS_S_STAT_DELETED);
			if (with_types)
				rc = take_types(r, out, err);
		}
		freeReplyObject(r);
	}
	if (rc) {
		sess_pipe_drain(&p, SESS_PIPE_ALL, NULL);
		sess_counters_free(out);
	}
	sess_pipe_free(&p);
	out->t_ms = sess_probe_clock_ms();
	return rc;
}

void sess_counters_free(struct sess_counters *c)
{
	size_t i;

	for (i = 0; i < c->ntypes; i++)
		free(c->types[i].type);
	free(c->types);
	c->types = NULL;
	c->ntypes = 0;
}

static int check_int(const redisReply *r, long long *out, const char *what,
		     struct sess_conn *c, struct sess_err *err)
{
	if (r->type == REDIS_REPLY_ERROR)
		return sess_conn_reply_error(c, r, err);
	if (r->type != REDIS_REPLY_INTEGER)
		return sess_err_set(err, SESS_E_INTERNAL, "bad_reply", "%s gave no number", what);
	*out = r->integer;
	return 0;
}

int sess_probe_each_meta(struct sess_ctx *s, const redisReply *m, size_t n, long long now,
			 const char *cmd, const char *field, sess_probe_meta_fn each, void *arg,
			 struct sess_err *err)
{
	struct sess_pipe p;
	char key[SESS_KEY_MAX];
	redisReply *r;
	size_t i, step = now < 0 ? 1 : 2;
	int rc = -1;

	sess_pipe_init(&p, s->conn);
	for (i = 0; i + step - 1 < m->elements && i / step < n; i += step) {
		const char *id = m->element[i]->str;
		if (!id || (step == 2 && strtod(m->element[i + 1]->str, NULL) <= (double)now) ||
		    sess_key_check_id(id, "session id", NULL))
			continue;
		sess_key_meta(key, s->cfg->prefix, id);
		if (sess_pipe_strs(&p, 0, err, field ? 3 : 2, cmd, key, field))
			goto done;
	}
	while (sess_pipe_pending(&p)) {
		if (sess_pipe_next(&p, &r, NULL, err))
			goto done;
		if (r->type == REDIS_REPLY_ERROR) {
			sess_conn_reply_error(s->conn, r, err);
			freeReplyObject(r);
			goto done;
		}
		if (each(r, arg, s->conn, err)) {
			freeReplyObject(r);
			goto done;
		}
		freeReplyObject(r);
	}
	rc = 0;
done:
	if (rc)
		sess_pipe_drain(&p, SESS_PIPE_ALL, NULL);
	sess_pipe_free(&p);
	return rc;
}

/* An EXISTS reply of a drift sample counted into arg's out. */
static int drift_one(const redisReply *r, void *arg, struct sess_conn *c, struct sess_err *err)
{
	struct sess_probe_sessions *out = arg;
	long long e = 0;

	if (check_int(r, &e, "EXISTS", c, err))
		return -1;
	out->sampled++;
	out->missing += e == 0;
	return 0;
}

/* Four counts of one tag's index (its replies next on p) added into out. */
static int add_index(struct sess_pipe *p, struct sess_ctx *s, struct sess_probe_sessions *out,
		     struct sess_err *err)
{
	redisReply *r[4] = {0};
	long long v[4] = {0, 0, 0, 0};
	int i, rc = 0;

	for (i = 0; i < 4 && !rc; i++)
		rc = sess_pipe_next(p, &r[i], NULL, err);
	for (i = 0; i < 4 && !rc; i++)
		rc = check_int(r[i], &v[i], i == 2 ? "ZCARD" : "ZCOUNT", s->conn, err);
	if (!rc) {
		out->active += v[0];
		out->expiring += v[1];
		out->indexed += v[2];
		out->stale += v[3];
	}
	for (i = 0; i < 4; i++)
		if (r[i])
			freeReplyObject(r[i]);
	return rc;
}

int sess_probe_sessions(struct sess_ctx *s, long long window_ms, int sample,
			struct sess_probe_sessions *out, struct sess_err *err)
{
	char idx[SESS_KEY_MAX], layout[SESS_KEY_MAX], fence[SESS_KEY_MAX];
	redisReply *r[2] = {0}, *m = NULL;
	struct sess_pipe p;
	const char **tags = NULL;
	long long now = sess_now_ms();
	int rc = -1, i, ntags, all;

	memset(out, 0, sizeof *out);
	if (sample < 0 || sample > 1000)
		return sess_err_set(err, SESS_E_USAGE, NULL, "the drift sample must be 0 to 1000, not %d", sample);
	if (sess_tags_count(s, &all, err) || sess_tags_used(s, &tags, &ntags, err))
		return -1;
	sess_key_layout(layout, s->cfg->prefix);
	/* a cutover fences every tag at once: the first one tells */
	sess_key_fence(fence, s->cfg->prefix, sess_tag_at(all, 0));
	sess_pipe_init(&p, s->conn);
	if (sess_pipe_cmdf(&p, 0, err, "GET %s", layout) ||
	    sess_pipe_cmdf(&p, 0, err, "GET %s", fence))
		goto done;
	for (i = 0; i < ntags; i++) {
		sess_key_index(idx, s->cfg->prefix, tags[i]);
		if (sess_pipe_cmdf(&p, 0, err, "ZCOUNT %s (%lld +inf", idx, now) ||
		    sess_pipe_cmdf(&p, 0, err, "ZCOUNT %s (%lld %lld", idx, now, now + window_ms) ||
		    sess_pipe_cmdf(&p, 0, err, "ZCARD %s", idx) ||
		    sess_pipe_cmdf(&p, 0, err, "ZCOUNT %s -inf %lld", idx, now))
			goto done;
	}
	for (i = 0; i < 2; i++)
		if (sess_pipe_next(&p, &r[i], NULL, err))
			goto done;
	for (i = 0; i < ntags; i++)
		if (add_index(&p, s, out, err))
			goto done;
	if (r[0]->type == REDIS_REPLY_STRING)
		snprintf(out->layout, sizeof out->layout, "%s", r[0]->str);
	out->layout_known = sess_layout_ok(out->layout[0] ? out->layout : NULL, NULL) == 0;
	if (r[1]->type == REDIS_REPLY_STRING) {
		out->fenced = 1;
		snprintf(out->fence, sizeof out->fence, "%s", r[1]->str);
	}
	if (sample > 0 && out->active > 0 && ntags > 0) {
		/* ZRANDMEMBER (6.2+) samples the whole index (on a cluster,
		 * the first slot's in use); ZRANGE (older servers) only its
		 * soonest-expiring entries */
		sess_key_index(idx, s->cfg->prefix, tags[0]);
		m = sess_conn_cmdf(s->conn, NULL, "ZRANDMEMBER %s %d WITHSCORES", idx, sample);
		if (!m && !(m = sess_conn_cmdf(s->conn, err, "ZRANGE %s 0 %d WITHSCORES", idx, sample - 1)))
			goto done;
		/* the meta key of each live entry sampled: missing ones drift */
		if (m->type == REDIS_REPLY_ARRAY &&
		    sess_probe_each_meta(s, m, m->elements, now, "EXISTS", NULL, drift_one, out, err))
			goto done;
	}
	rc = 0;
done:
	if (rc)
		sess_pipe_drain(&p, SESS_PIPE_ALL, NULL);
	sess_pipe_free(&p);
	for (i = 0; i < 2; i++)
		if (r[i])
			freeReplyObject(r[i]);
	if (m)
		freeReplyObject(m);
	free(tags);
	return rc;
}
