#include "core/redis/sentinel.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* A sentinel's connect and command timeouts: short, the next one is
 * asked when one does not answer. */
#define ASK_TIMEOUT_MS 500
/* How long a failover may take to settle: rounds over the sentinels
 * until then (a primary that is down or not yet promoted). */
#define SETTLE_MS 6000
#define ROUND_PAUSE_MS 200

/* The order the sentinels are asked in, the last one that answered first:
 * per process, for the list it was made for. */
static char order_for[sizeof ((struct sess_config *)0)->sentinels];
static int order[SESS_SENTINELS_MAX];

int sess_sentinel_parse(const char *list, struct sess_endpoint *eps, int max,
			struct sess_err *err)
{
	const char *p = list;
	int n = 0;

	while (*p) {
		size_t len = strcspn(p, ",");
		char item[sizeof eps[0].host], *colon;
		long port = 26379;
		if (len == 0 || len >= sizeof item || n == max)
			return sess_err_set(err, SESS_E_CONFIG, "bad_sentinels",
					    "sentinel list \"%.80s\" is not host:port[,host:port...] (at most %d); check --sentinel or REDIS_SENTINELS",
					    list, max);
		memcpy(item, p, len);
		item[len] = '\0';
		colon = strrchr(item, ':');
		if (colon && !strchr(colon, ']')) {
			*colon++ = '\0';
			if (strspn(colon, "0123456789") != strlen(colon))
				return sess_err_set(err, SESS_E_CONFIG, "bad_sentinels",
						    "sentinel port \"%.20s\" is not a number of digits; give one from 1 to 65535",
						    colon);
			if (sess_parse_long(colon, 1, 65535, "sentinel port", SESS_E_CONFIG, &port, err))
				return -1;
		}
		memset(&eps[n], 0, sizeof eps[n]);
		if (item[0] == '[' && item[strlen(item) - 1] == ']') {
			item[strlen(item) - 1] = '\0';
			snprintf(eps[n].host, sizeof eps[n].host, "%s", item + 1);
		} else {
			snprintf(eps[n].host, sizeof eps[n].host, "%s", item);
		}
		eps[n].port = (int)port;
		n++;
		p += len;
		if (*p == ',')
			p++;
	}
	if (n == 0)
		return sess_err_set(err, SESS_E_CONFIG, "bad_sentinels",
				    "no sentinel given; set --sentinel HOST:PORT or REDIS_SENTINELS");
	return n;
}

/* The settings a sentinel connection uses: the sentinels' credentials, no
 * database, short timeouts. */
static void sentinel_cfg(struct sess_config *s, const struct sess_config *cfg)
{
	*s = *cfg;
	memcpy(s->username, cfg->sentinel_username, sizeof s->username);
	memcpy(s->password, cfg->sentinel_password, sizeof s->password);
	s->db = 0;
	s->sentinels[0] = '\0';
	s->tls = 0;
	if (s->connect_timeout_ms > ASK_TIMEOUT_MS)
		s->connect_timeout_ms = ASK_TIMEOUT_MS;
	if (s->command_timeout_ms > ASK_TIMEOUT_MS)
		s->command_timeout_ms = ASK_TIMEOUT_MS;
	snprintf(s->url_flag, sizeof s->url_flag, "--sentinel");
}

static void pause_ms(int ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};

	nanosleep(&ts, NULL);
}

static void names(const struct sess_endpoint *eps, int n, char *buf, size_t len)
{
	size_t used = 0;
	int i;

	buf[0] = '\0';
	for (i = 0; i < n && used < len; i++) {
		int w = snprintf(buf + used, len - used, "%s%s:%d", i ? ", " : "", eps[i].host, eps[i].port);
		if (w < 0)
			break;
		used += (size_t)w;
	}
}

/* The order for this list (reset when the list changed). */
static void load_order(const struct sess_config *cfg, int n)
{
	int i;

	if (strcmp(order_for, cfg->sentinels)) {
		memcpy(order_for, cfg->sentinels, sizeof order_for);
		for (i = 0; i < n; i++)
			order[i] = i;
	}
}

static void to_front(int pos)
{
	int k = order[pos];

	memmove(order + 1, order, (size_t)pos * sizeof order[0]);
	order[0] = k;
}

/* One sentinel asked: 1 with *out, 0 it knows no such master, -1 it did
 * not answer (e says why). */
static int ask_one(const struct sess_config *scfg, const struct sess_endpoint *ep,
		   const char *master, struct sess_endpoint *out, struct sess_err *e)
{
	struct sess_conn s;
	redisReply *r;
	int rc = -1;
	long port;

	if (sess_conn_open_at(&s, scfg, ep, e))
		return -1;
	r = sess_conn_cmdf(&s, e, "SENTINEL GET-MASTER-ADDR-BY-NAME %s", master);
	if (r && r->type == REDIS_REPLY_NIL) {
		rc = 0;
	} else if (r && r->type == REDIS_REPLY_ARRAY && r->elements == 2 &&
		   r->element[0]->type == REDIS_REPLY_STRING && r->element[1]->type == REDIS_REPLY_STRING &&
		   sess_parse_long(r->element[1]->str, 1, 65535, "port", SESS_E_INTERNAL, &port, NULL) == 0 &&
		   r->element[0]->len < sizeof out->host) {
		memset(out, 0, sizeof *out);
		memcpy(out->host, r->element[0]->str, r->element[0]->len);
		out->port = (int)port;
		rc = 1;
	} else if (r) {
		sess_err_set(e, SESS_E_INTERNAL, "bad_reply",
			     "%s:%d is no sentinel (SENTINEL GET-MASTER-ADDR-BY-NAME gave no address)",
			     ep->host, ep->port);
	}
	if (r)
		freeReplyObject(r);
	sess_conn_close(&s);
	return rc;
}

/* The sentinels cfg names (into eps) and the settings to ask them with
 * (*scfg, the caller frees): their number, or -1 with err (no list, no
 * master name, out of memory). */
static int sentinels_of(const struct sess_config *cfg, struct sess_endpoint *eps,
			struct sess_config **scfg, struct sess_err *err)
{
	int n;

	if ((n = sess_sentinel_parse(cfg->sentinels, eps, SESS_SENTINELS_MAX, err)) < 0)
		return -1;
	if (!cfg->sentinel_master[0])
		return sess_err_set(err, SESS_E_CONFIG, "no_master",
				    "Sentinel needs the master name; set --sentinel-master NAME, REDIS_SENTINEL_MASTER or ?master=NAME");
	if (!(*scfg = malloc(sizeof **scfg)))
		return sess_err_set(err, SESS_E_INTERNAL, NULL, "out of memory");
	sentinel_cfg(*scfg, cfg);
	return n;
}

int sess_sentinel_ask(const struct sess_config *cfg, struct sess_endpoint *out,
		      struct sess_err *err)
{
	struct sess_endpoint eps[SESS_SENTINELS_MAX];
	struct sess_config *scfg;
	struct sess_err e, last;
	char list[1024];
	int n, i, unknown = 0, rc;

	if ((n = sentinels_of(cfg, eps, &scfg, err)) < 0)
		return -1;
	load_order(cfg, n);
	sess_err_clear(&last);
	for (i = 0; i < n; i++) {
		sess_err_clear(&e);
		rc = ask_one(scfg, &eps[order[i]], cfg->sentinel_master, out, &e);
		if (rc == 1) {
			to_front(i);
			free(scfg);
			return 0;
		}
		if (rc == 0)
			unknown++;
		else if (last.cls == SESS_OK || e.cls == SESS_E_AUTH)
			last = e;
	}
	free(scfg);
	names(eps, n, list, sizeof list);
	if (unknown)
		return sess_err_set(err, SESS_E_CONFIG, "unknown_master",
				    "the sentinels (%s) know no master named \"%s\"; check --sentinel-master, REDIS_SENTINEL_MASTER or ?master=",
				    list, cfg->sentinel_master);
	if (last.cls == SESS_E_AUTH)
		return *err = last, -1;
	return sess_err_set(err, SESS_E_UNAVAILABLE, "unavailable",
			    "no sentinel answered (%s): %s",
			    list, last.msg);
}

/* 1 when c's server says it is a master, 0 not (e says what it is), -1
 * the connection failed. */
static int is_master(struct sess_conn *c, struct sess_err *e)
{
	redisReply *r = sess_conn_cmdf(c, e, "ROLE");
	int ok;

	if (!r)
		return -1;
	ok = r->type == REDIS_REPLY_ARRAY && r->elements > 0 &&
	     r->element[0]->type == REDIS_REPLY_STRING && !strcmp(r->element[0]->str, "master");
	if (!ok)
		sess_err_set(e, SESS_E_TEMP, "not_master",
			     "%s is not the primary yet (ROLE says %s); a failover is under way, try again",
			     c->where, r->type == REDIS_REPLY_ARRAY && r->elements > 0 &&
			     r->element[0]->type == REDIS_REPLY_STRING ? r->element[0]->str : "something else");
	freeReplyObject(r);
	return ok;
}

int sess_conn_open_sentinel(struct sess_conn *c, const struct sess_config *cfg,
			    struct sess_err *err)
{
	long long deadline = sess_stream_now_ms() + SETTLE_MS;
	struct sess_endpoint ep;
	struct sess_err e;
	int rc;

	for (;;) {
		if (sess_sentinel_ask(cfg, &ep, err)) {
			memset(c, 0, sizeof *c);
			c->st.fd = -1;
			c->cfg = cfg;
			return -1; /* no sentinel, or no such master: final */
		}
		ep.tls = cfg->tls;
		sess_err_clear(&e);
		if (sess_conn_open_at(c, cfg, &ep, &e) == 0) {
			if ((rc = is_master(c, &e)) == 1)
				return 0;
			sess_conn_close(c);
		}
		/* auth and configuration faults do not settle with time */
		if (e.cls == SESS_E_AUTH || e.cls == SESS_E_CONFIG ||
		    sess_stream_now_ms() + ROUND_PAUSE_MS > deadline) {
			*err = e;
			if (err->cls == SESS_E_UNAVAILABLE)
				sess_err_prefix(err, "the primary of \"%s\" the sentinels name", cfg->sentinel_master);
			return -1;
		}
		pause_ms(ROUND_PAUSE_MS);
	}
}

int sess_sentinel_open_any(struct sess_conn *sc, struct sess_config *scfg,
			   const struct sess_config *cfg, struct sess_err *err)
{
	struct sess_endpoint eps[SESS_SENTINELS_MAX];
	int n, i;

	if ((n = sess_sentinel_parse(cfg->sentinels, eps, SESS_SENTINELS_MAX, err)) < 0)
		return -1;
	sentinel_cfg(scfg, cfg);
	load_order(cfg, n);
	for (i = 0; i < n; i++)
		if (sess_conn_open_at(sc, scfg, &eps[order[i]], err) == 0)
			return 0;
	return -1;
}

/* ---- +switch-master ---- */

/* Connect s to a sentinel: the primary it names now into s->primary
 * (have_primary), then SUBSCRIBE +switch-master. Left closed when no
 * sentinel answers. */
static void switch_connect(struct sess_switch *s)
{
	struct sess_err err;
	redisReply *r;

	s->last_try = sess_stream_now_ms();
	if (sess_sentinel_open_any(&s->c, &s->scfg, s->cfg, &err)) {
		sess_conn_close(&s->c);
		return;
	}
	r = sess_conn_cmdf(&s->c, &err, "SENTINEL GET-MASTER-ADDR-BY-NAME %s", s->cfg->sentinel_master);
	s->now_known = 0;
	if (r && r->type == REDIS_REPLY_ARRAY && r->elements == 2 && r->element[0]->type == REDIS_REPLY_STRING &&
	    r->element[1]->type == REDIS_REPLY_STRING) {
		snprintf(s->now_primary, sizeof s->now_primary, "%.255s:%.10s", r->element[0]->str, r->element[1]->str);
		s->now_known = 1;
	}
	if (r)
		freeReplyObject(r);
	if (sess_conn_appendf(&s->c, &err, "SUBSCRIBE +switch-master") || sess_conn_send(&s->c, &err))
		sess_conn_close(&s->c); /* polled again later */
}

void sess_switch_open(struct sess_switch *s, const struct sess_config *cfg)
{
	memset(s, 0, sizeof *s);
	s->c.st.fd = -1;
	s->cfg = cfg;
	if (!cfg->sentinels[0])
		return;
	s->on = 1;
	switch_connect(s);
	if (s->now_known)
		memcpy(s->primary, s->now_primary, sizeof s->primary);
}

int sess_switch_poll(struct sess_switch *s)
{
	const struct sess_config *cfg = s->cfg;
	struct sess_err err;
	redisReply *r = NULL;
	int w, hit = 0;

	if (!s->on)
		return 0;
	if (!sess_conn_ok(&s->c)) {
		/* at most one try a second: a sentinel that does not answer
		 * must not stall the caller's loop */
		if (sess_stream_now_ms() - s->last_try < 1000)
			return 0;
		sess_conn_close(&s->c);
		switch_connect(s);
		/* a switch while no sentinel was heard: the primary they name
		 * now is not the one known */
		if (s->now_known) {
			hit = s->primary[0] && strcmp(s->primary, s->now_primary) != 0;
			memcpy(s->primary, s->now_primary, sizeof s->primary);
		}
		return hit;
	}
	while ((w = sess_conn_wait(&s->c, 0, &r, &err)) > 0) {
		/* ["message", "+switch-master", "NAME OLDIP OLDPORT NEWIP NEWPORT"] */
		if (r->type == REDIS_REPLY_ARRAY && r->elements == 3 &&
		    r->element[2]->type == REDIS_REPLY_STRING) {
			size_t n = strlen(cfg->sentinel_master);
			const char *m = r->element[2]->str;
			if (!strncmp(m, cfg->sentinel_master, n) && m[n] == ' ') {
				char oip[256], oport[16], nip[256], nport[16];
				hit = 1;
				if (sscanf(m + n + 1, "%255s %15s %255s %15s", oip, oport, nip, nport) == 4)
					snprintf(s->primary, sizeof s->primary, "%.255s:%.10s", nip, nport);
			}
		}
		freeReplyObject(r);
		r = NULL;
	}
	if (w < 0)
		sess_conn_close(&s->c);
	return hit;
}

void sess_switch_close(struct sess_switch *s)
{
	sess_conn_close(&s->c);
}

/* ---- the sentinels' view ---- */

/* The value of field name in a flat field/value array reply, or NULL. */
static const char *field(const redisReply *r, const char *name)
{
	size_t i;

	for (i = 0; i + 1 < r->elements; i += 2)
		if (r->element[i]->type == REDIS_REPLY_STRING && r->element[i + 1]->type == REDIS_REPLY_STRING &&
		    !strcmp(r->element[i]->str, name))
			return r->element[i + 1]->str;
	return NULL;
}

static long field_long(const redisReply *r, const char *name)
{
	const char *v = field(r, name);
	long n = -1;

	if (v)
		sess_parse_long(v, 0, 1L << 30, name, SESS_E_INTERNAL, &n, NULL);
	return n;
}

/* SENTINEL MASTER and CKQUORUM of one sentinel into s. */
static void view_one(const struct sess_config *scfg, const char *master,
		     struct sess_sentinel_seen *s)
{
	struct sess_conn c;
	struct sess_err e;
	redisReply *r;
	const char *ip, *port;
	long p = 0;

	sess_err_clear(&e);
	if (sess_conn_open_at(&c, scfg, &s->ep, &e)) {
		snprintf(s->error, sizeof s->error, "%.199s", e.msg);
		return;
	}
	if (!(r = sess_conn_callf(&c, &e, "SENTINEL MASTER %s", master))) {
		snprintf(s->error, sizeof s->error, "%.199s", e.msg);
		sess_conn_close(&c);
		return;
	}
	s->reachable = 1;
	if (r->type == REDIS_REPLY_ERROR) {
		/* "ERR No such master with that name", or no sentinel at all */
		snprintf(s->error, sizeof s->error, "%.199s", r->str);
	} else if (r->type == REDIS_REPLY_ARRAY) {
		s->knows = 1;
		ip = field(r, "ip");
		port = field(r, "port");
		if (ip && port && sess_parse_long(port, 1, 65535, "port", SESS_E_INTERNAL, &p, NULL) == 0) {
			snprintf(s->master.host, sizeof s->master.host, "%s", ip);
			s->master.port = (int)p;
		}
		snprintf(s->flags, sizeof s->flags, "%s", field(r, "flags") ? field(r, "flags") : "");
		snprintf(s->failover, sizeof s->failover, "%s",
			 field(r, "failover-state") ? field(r, "failover-state") : "");
		s->quorum = field_long(r, "quorum");
		s->other_sentinels = field_long(r, "num-other-sentinels");
		s->replicas = field_long(r, "num-slaves");
	}
	freeReplyObject(r);
	if (s->knows && (r = sess_conn_callf(&c, &e, "SENTINEL CKQUORUM %s", master))) {
		s->quorum_ok = r->type == REDIS_REPLY_STATUS;
		snprintf(s->quorum_msg, sizeof s->quorum_msg, "%.199s", r->str ? r->str : "");
		freeReplyObject(r);
	}
	sess_conn_close(&c);
}

int sess_sentinel_view(const struct sess_config *cfg, struct sess_sentinel_seen *out,
		       int max, struct sess_err *err)
{
	struct sess_endpoint eps[SESS_SENTINELS_MAX];
	struct sess_config *scfg;
	int n, i;

	if ((n = sentinels_of(cfg, eps, &scfg, err)) < 0)
		return -1;
	if (n > max)
		n = max;
	for (i = 0; i < n; i++) {
		memset(&out[i], 0, sizeof out[i]);
		out[i].ep = eps[i];
		out[i].quorum = out[i].other_sentinels = out[i].replicas = -1;
		view_one(scfg, cfg->sentinel_master, &out[i]);
	}
	free(scfg);
	return n;
}

/* ---- durable writes ---- */

int sess_durable_on(const struct sess_config *cfg)
{
	return sess_config_wait_replicas(cfg) > 0;
}

int sess_durable_argv(const struct sess_config *cfg, const char **argv,
		      char *nbuf, char *tbuf)
{
	snprintf(nbuf, 24, "%d", sess_config_wait_replicas(cfg));
	snprintf(tbuf, 24, "%d", cfg->wait_timeout_ms);
	argv[0] = "WAIT";
	argv[1] = nbuf;
	argv[2] = tbuf;
	return 3;
}

int sess_durable_check(const struct sess_config *cfg, const redisReply *r,
		       struct sess_err *err)
{
	int want = sess_config_wait_replicas(cfg);

	if (r->type == REDIS_REPLY_INTEGER && r->integer >= want)
		return 0;
	if (r->type == REDIS_REPLY_INTEGER)
		return sess_err_set(err, SESS_E_TEMP, "not_durable",
				    "only %lld of %d replicas acknowledged the write within %d ms: it was applied on the primary and may be lost in a failover",
				    r->integer, want, cfg->wait_timeout_ms);
	return sess_err_set(err, SESS_E_TEMP, "not_durable",
			    "WAIT failed (%.200s): the write was applied on the primary and may be lost in a failover",
			    r->type == REDIS_REPLY_ERROR && r->str ? r->str : "no number of replicas");
}

int sess_durable_wait(struct sess_conn *c, struct sess_err *err)
{
	const char *argv[3];
	char n[24], t[24];
	redisReply *r;
	int rc;

	if (!c->cfg || !sess_durable_on(c->cfg))
		return 0;
	sess_durable_argv(c->cfg, argv, n, t);
	if (!(r = sess_conn_call(c, err, 3, argv, NULL)))
		return -1;
	rc = sess_durable_check(c->cfg, r, err);
	freeReplyObject(r);
	return rc;
}
