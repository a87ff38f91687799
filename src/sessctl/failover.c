/* failover.c - long-lived sessctl commands (events --follow, watch) learn
 * of a failover at once: a second connection, to a sentinel, subscribed to
 * +switch-master and polled (never waited on) beside their own. */
#include <stdio.h>
#include <string.h>

#include "core/redis/sentinel.h"
#include "sessctl.h"

void sessctl_switch_open(struct cli_app *a, struct sessctl_switch *s)
{
	struct sess_err err;

	memset(s, 0, sizeof *s);
	s->c.st.fd = -1;
	if (!a->cfg.sentinels[0])
		return;
	s->on = 1;
	if (sess_sentinel_open_any(&s->c, &s->scfg, &a->cfg, &err) ||
	    sess_conn_appendf(&s->c, &err, "SUBSCRIBE +switch-master") ||
	    sess_conn_send(&s->c, &err))
		sess_conn_close(&s->c); /* polled again later */
}

int sessctl_switch_poll(struct cli_app *a, struct sessctl_switch *s)
{
	struct sess_err err;
	redisReply *r = NULL;
	int w, hit = 0;

	if (!s->on)
		return 0;
	if (!sess_conn_ok(&s->c)) {
		sess_conn_close(&s->c);
		sessctl_switch_open(a, s);
		return 0;
	}
	while ((w = sess_conn_wait(&s->c, 0, &r, &err)) > 0) {
		/* ["message", "+switch-master", "NAME OLDIP OLDPORT NEWIP NEWPORT"] */
		if (r->type == REDIS_REPLY_ARRAY && r->elements == 3 &&
		    r->element[2]->type == REDIS_REPLY_STRING) {
			size_t n = strlen(a->cfg.sentinel_master);
			if (!strncmp(r->element[2]->str, a->cfg.sentinel_master, n) &&
			    r->element[2]->str[n] == ' ')
				hit = 1;
		}
		freeReplyObject(r);
		r = NULL;
	}
	if (w < 0)
		sess_conn_close(&s->c);
	return hit;
}

void sessctl_switch_close(struct sessctl_switch *s)
{
	sess_conn_close(&s->c);
}
