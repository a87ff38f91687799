#include "core/model/thresh.h"

#include <stdio.h>
#include <string.h>

struct metric_def {
	const char *name, *warn, *crit; /* defaults (NULL: none) */
};

/* Defaults are documented in sess-health(1), THRESHOLDS. */
static const struct metric_def metrics[SESS_THRESH_METRICS] = {
	{"latency", "50", "500"},        /* PING p99, ms */
	{"pubsub", "100", "1000"},       /* round trip, ms */
	{"clients", "80", "95"},         /* % of maxclients */
	{"blocked", NULL, NULL},
	{"rejected", NULL, NULL},
	{"memory", "80", "95"},          /* % of maxmemory */
	{"fragmentation", NULL, NULL},
	{"evicted", NULL, NULL},
	{"lag", "10", "60"},             /* seconds */
	{"sessions", NULL, NULL},
	{"expiring", NULL, NULL},
	{"drift", "10", NULL},           /* % of sampled entries */
	{"events-rate", NULL, NULL},
	{"created-rate", NULL, NULL},
};

const char *sess_thresh_name(int m)
{
	return m >= 0 && m < SESS_THRESH_METRICS ? metrics[m].name : NULL;
}

void sess_thresh_defaults(struct sess_range *warn, struct sess_range *crit)
{
	int m;

	for (m = 0; m < SESS_THRESH_METRICS; m++) {
		memset(&warn[m], 0, sizeof warn[m]);
		memset(&crit[m], 0, sizeof crit[m]);
		sess_range_parse(metrics[m].warn, metrics[m].name, &warn[m], NULL);
		sess_range_parse(metrics[m].crit, metrics[m].name, &crit[m], NULL);
	}
}

int sess_thresh_apply(struct sess_range *ranges, const char *list, const char *side,
		      const char *source, struct sess_err *err)
{
	char buf[512], what[96], *item, *save = NULL, *eq;
	int m;

	if (!list || !*list)
		return 0;
	if (strlen(list) >= sizeof buf)
		return sess_err_set(err, SESS_E_USAGE, "bad_threshold", "%s is too long", source);
	strcpy(buf, list);
	for (item = strtok_r(buf, ",", &save); item; item = strtok_r(NULL, ",", &save)) {
		if (!(eq = strchr(item, '=')))
			return sess_err_set(err, SESS_E_USAGE, "bad_threshold",
					    "%s: \"%s\" is not NAME=RANGE; write for example latency=50,memory=80:",
					    source, item);
		*eq = '\0';
		for (m = 0; m < SESS_THRESH_METRICS && strcmp(metrics[m].name, item); m++)
			;
		if (m == SESS_THRESH_METRICS)
			return sess_err_set(err, SESS_E_USAGE, "bad_threshold",
					    "%s: no metric \"%s\"; the names are latency, pubsub, clients, blocked, rejected, memory, fragmentation, evicted, lag, sessions, expiring, drift, events-rate, created-rate",
					    source, item);
		snprintf(what, sizeof what, "%s (%s %s)", item, source, side);
		if (sess_range_parse(eq + 1, what, &ranges[m], err))
			return -1;
	}
	return 0;
}
