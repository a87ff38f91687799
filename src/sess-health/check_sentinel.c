/* check_sentinel.c - the "sentinel" component of a health check: what
 * every sentinel the settings name says about the master (reachable,
 * which primary, its flags, a failover under way, replicas, quorum and
 * whether a failover could be authorised now: SENTINEL CKQUORUM).
 *
 * Judged as an operator of Sentinel would: a sentinel that does not
 * answer or does not monitor the master is a warning (the others still
 * decide); the sentinels naming different primaries, a failover under
 * way or no replica to promote is a warning; the master subjectively or
 * objectively down, fewer sentinels answering than the quorum, or
 * CKQUORUM failing (no failover possible) is critical. */
#include "sess-health/check.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/redis/sentinel.h"

/* Append "host:port" of ep to buf (comma separated). */
static void add_text(char *buf, size_t n, const char *one)
{
	size_t have = strlen(buf), len = strlen(one);

	if (have + len + 3 > n)
		return; /* a long list keeps its first names */
	if (have)
		memcpy(buf + have, ", ", 2), have += 2;
	memcpy(buf + have, one, len + 1);
}

static void add_name(char *buf, size_t n, const struct sess_endpoint *ep)
{
	char one[300];

	snprintf(one, sizeof one, "%.255s:%d", ep->host, ep->port);
	add_text(buf, n, one);
}

static int same_ep(const struct sess_endpoint *a, const struct sess_endpoint *b)
{
	return a->port == b->port && !strcmp(a->host, b->host);
}

void check_sentinel(struct run *r, const struct sess_config *cfg)
{
	struct sess_sentinel_seen seen[SESS_SENTINELS_MAX];
	const struct sess_sentinel_seen *first = NULL, *ck = NULL;
	char silent[400] = "", strangers[400] = "", names[400] = "", label[300];
	struct sess_err e;
	int n, i, up = 0, knows = 0, differ = 0;

	sess_err_clear(&e);
	if ((n = sess_sentinel_view(cfg, seen, SESS_SENTINELS_MAX, &e)) < 0) {
		check_add(r, C_SENTINEL, "reachable", H_UNKNOWN, NULL, NULL, "%s", e.msg);
		return;
	}
	for (i = 0; i < n; i++) {
		char ep[300];
		snprintf(ep, sizeof ep, "%.255s:%d", seen[i].ep.host, seen[i].ep.port);
		health_prom_label(label, sizeof label, "sentinel", ep);
		check_prom(r, "sess_sentinel_up", "gauge",
			   "1 when this sentinel answered and monitors the master, 0 when not.", label,
			   seen[i].reachable && seen[i].knows);
		if (!seen[i].reachable) {
			add_name(silent, sizeof silent, &seen[i].ep);
			continue;
		}
		up++;
		if (!seen[i].knows) {
			add_name(strangers, sizeof strangers, &seen[i].ep);
			continue;
		}
		knows++;
		if (!first)
			first = &seen[i];
		else if (!same_ep(&first->master, &seen[i].master))
			differ = 1;
		if (!ck || (!seen[i].quorum_ok && ck->quorum_ok))
			ck = &seen[i]; /* a sentinel that says no quorum is heard */
	}

	/* reachable: how many of the listed sentinels answer and monitor it */
	if (knows == 0)
		check_add(r, C_SENTINEL, "reachable", H_CRIT, cJSON_CreateNumber(0), NULL,
			  "no sentinel monitors \"%s\"%s%s%s%s; check --sentinel and --sentinel-master",
			  cfg->sentinel_master, silent[0] ? "; not answering: " : "", silent,
			  strangers[0] ? "; not monitoring it: " : "", strangers);
	else if (silent[0] || strangers[0])
		check_add(r, C_SENTINEL, "reachable", H_WARN, cJSON_CreateNumber(knows), NULL,
			  "%d of %d sentinels monitor \"%s\"%s%s%s%s", knows, n, cfg->sentinel_master,
			  silent[0] ? "; not answering: " : "", silent,
			  strangers[0] ? "; not monitoring it: " : "", strangers);
	else
		check_add(r, C_SENTINEL, "reachable", H_OK, cJSON_CreateNumber(knows), NULL,
			  "%d of %d sentinels monitor \"%s\"", knows, n, cfg->sentinel_master);
	check_prom(r, "sess_sentinel_sentinels", "gauge", "Sentinels the settings name.", NULL, n);
	check_prom(r, "sess_sentinel_reachable", "gauge",
		   "Sentinels that answered and monitor the master.", NULL, knows);
	check_perf(r, "sentinels", knows, 0, n);
	if (!first)
		return;

	/* the primary they name, and how they see it */
	for (i = 0; i < n; i++)
		if (seen[i].knows) {
			char one[600];
			snprintf(one, sizeof one, "%.255s:%d (by %.255s:%d)", seen[i].master.host,
				 seen[i].master.port, seen[i].ep.host, seen[i].ep.port);
			add_text(names, sizeof names, one);
		}
	{
		char addr[300];
		snprintf(addr, sizeof addr, "%.255s:%d", first->master.host, first->master.port);
		if (differ)
			check_add(r, C_SENTINEL, "master", H_WARN, cJSON_CreateString(addr), NULL,
				  "the sentinels name different primaries: %s; a failover is settling or they are partitioned",
				  names);
		else if (strstr(first->flags, "o_down") || strstr(first->flags, "s_down"))
			check_add(r, C_SENTINEL, "master", H_CRIT, cJSON_CreateString(addr), NULL,
				  "the sentinels see the primary %s as down (flags %s)", addr, first->flags);
		else
			check_add(r, C_SENTINEL, "master", H_OK, cJSON_CreateString(addr), NULL,
				  "flags %s", first->flags);
		health_prom_label(label, sizeof label, "master", addr);
		check_prom(r, "sess_sentinel_master_info", "gauge",
			   "The primary the first answering sentinel names, always 1.", label, 1);
	}
	for (i = 0; i < n; i++)
		if (seen[i].knows && seen[i].failover[0])
			break;
	check_add(r, C_SENTINEL, "failover", i < n ? H_WARN : H_OK,
		  cJSON_CreateString(i < n ? seen[i].failover : "none"), NULL, "%s",
		  i < n ? "a failover is under way: writes may fail until it settles" : "");
	check_prom(r, "sess_sentinel_failover_in_progress", "gauge",
		   "1 while a sentinel reports a failover of the master under way.", NULL, i < n);
	if (first->replicas >= 0) {
		check_add(r, C_SENTINEL, "replicas", first->replicas > 0 ? H_OK : H_WARN,
			  cJSON_CreateNumber(first->replicas), NULL, "%s",
			  first->replicas > 0 ? "" : "the sentinels know no replica: a failover has nothing to promote");
		check_prom(r, "sess_sentinel_replicas", "gauge", "Replicas the sentinels know of the master.",
			   NULL, first->replicas);
	}
	if (first->quorum >= 0) {
		int short_of = knows < first->quorum;
		check_add(r, C_SENTINEL, "quorum", short_of || (ck && !ck->quorum_ok) ? H_CRIT : H_OK,
			  cJSON_CreateNumber(first->quorum), NULL, "%s%s",
			  short_of ? "fewer sentinels answer than the quorum: no failover can be agreed; " : "",
			  ck ? ck->quorum_msg : "");
		check_prom(r, "sess_sentinel_quorum", "gauge", "Sentinels that must agree the master is down.",
			   NULL, first->quorum);
		check_prom(r, "sess_sentinel_quorum_ok", "gauge",
			   "1 when SENTINEL CKQUORUM says a failover can be authorised now.", NULL,
			   !short_of && ck && ck->quorum_ok);
		check_perf(r, "quorum", first->quorum, 0, NAN);
	}
}
