/* breaker.c - the cache and circuit breaker in front of the check, shared
 * by watch and serve.
 *
 * The cache keeps scrapes from turning into load: a result younger than
 * cache_ms (at most a second) is served again. The breaker keeps a
 * flapping or dead Redis from making every request wait for a timeout:
 * after `threshold` checks in a row in which Redis did not answer it
 * opens, and for cooldown_ms answers "down" at once without touching
 * Redis; then one trial check runs (half-open) and its outcome closes or
 * reopens it. Not thread-safe: serve holds its lock around it, and runs
 * the check itself (peek, check, put) in its checker thread. */
#include "health.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sess-health/probe.h"
#include "sesskit-config.h"

static const char *const names[] = {"closed", "open", "half-open"};

const char *health_breaker_name(int state)
{
	return state >= B_CLOSED && state <= B_HALF_OPEN ? names[state] : "?";
}

void health_guard_init(struct health_guard *g, const struct health_params *hp,
		       const struct sess_config *cfg, double cache_ms,
		       int threshold, double cooldown_ms)
{
	memset(g, 0, sizeof *g);
	g->hp = hp;
	g->cfg = cfg;
	g->cache_ms = cache_ms;
	g->threshold = threshold > 0 ? threshold : 1;
	g->cooldown_ms = cooldown_ms;
}

void health_guard_free(struct health_guard *g)
{
	if (g->have_last)
		health_result_free(&g->last);
	g->have_last = 0;
}

static void stamp(struct health_guard *g, double now)
{
	cJSON *b = cJSON_GetObjectItem(g->last.doc, "breaker");

	if (!b)
		b = cJSON_AddObjectToObject(g->last.doc, "breaker");
	cJSON_DeleteItemFromObject(b, "state");
	cJSON_DeleteItemFromObject(b, "failures");
	cJSON_DeleteItemFromObject(b, "retryInMs");
	cJSON_AddStringToObject(b, "state", health_breaker_name(g->state));
	cJSON_AddNumberToObject(b, "failures", g->failures);
	if (g->state == B_OPEN)
		cJSON_AddNumberToObject(b, "retryInMs", (double)(long long)(g->opened_at + g->cooldown_ms - now));
}

/* The answer while open: the last result's shape would be stale, so a
 * small "down" document that says why Redis was not asked. */
static void open_result(struct health_guard *g, double now)
{
	char msg[200];
	cJSON *checks, *arr, *o;
	struct health_result *r = &g->last;
	char *prev_time = NULL;

	if (g->have_last) {
		const char *t = cJSON_GetStringValue(cJSON_GetObjectItem(r->doc, "time"));
		prev_time = t ? strdup(t) : NULL;
		health_result_free(r);
	}
	memset(r, 0, sizeof *r);
	r->status = H_DOWN;
	r->doc = cJSON_CreateObject();
	r->prom = cJSON_CreateArray();
	r->perf = cJSON_CreateArray();
	snprintf(msg, sizeof msg,
		 "circuit breaker open after %d failed checks in a row; Redis is not asked again for %.0f ms",
		 g->failures, g->opened_at + g->cooldown_ms - now);
	health_json_status(r->doc, H_DOWN);
	if (prev_time)
		cJSON_AddStringToObject(r->doc, "lastCheck", prev_time);
	free(prev_time);
	cJSON_AddStringToObject(r->doc, "output", msg);
	cJSON_AddStringToObject(cJSON_AddObjectToObject(r->doc, "components"), "redis", "down");
	checks = cJSON_AddObjectToObject(r->doc, "checks");
	arr = cJSON_AddArrayToObject(checks, "redis:reachable");
	o = cJSON_CreateObject();
	health_json_status(o, H_DOWN);
	cJSON_AddBoolToObject(o, "observedValue", 0);
	cJSON_AddStringToObject(o, "output", msg);
	cJSON_AddItemToArray(arr, o);
	{
		cJSON *s;
		char label[100];
		s = cJSON_CreateArray();
		cJSON_AddItemToArray(s, cJSON_CreateString("sess_up"));
		cJSON_AddItemToArray(s, cJSON_CreateString("gauge"));
		cJSON_AddItemToArray(s, cJSON_CreateString("1 when Redis answered the health check, 0 when not."));
		cJSON_AddItemToArray(s, cJSON_CreateString(""));
		cJSON_AddItemToArray(s, cJSON_CreateNumber(0));
		cJSON_AddItemToArray(r->prom, s);
		s = cJSON_CreateArray();
		cJSON_AddItemToArray(s, cJSON_CreateString("sess_health_breaker_open"));
		cJSON_AddItemToArray(s, cJSON_CreateString("gauge"));
		cJSON_AddItemToArray(s, cJSON_CreateString("1 while the circuit breaker keeps checks off Redis."));
		cJSON_AddItemToArray(s, cJSON_CreateString(""));
		cJSON_AddItemToArray(s, cJSON_CreateNumber(1));
		cJSON_AddItemToArray(r->prom, s);
		s = cJSON_CreateArray();
		health_prom_label(label, sizeof label, "version", PACKAGE_VERSION);
		cJSON_AddItemToArray(s, cJSON_CreateString("sesskit_build_info"));
		cJSON_AddItemToArray(s, cJSON_CreateString("gauge"));
		cJSON_AddItemToArray(s, cJSON_CreateString("The sesskit version of this sess-health, always 1."));
		cJSON_AddItemToArray(s, cJSON_CreateString(label));
		cJSON_AddItemToArray(s, cJSON_CreateNumber(1));
		cJSON_AddItemToArray(r->prom, s);
	}
	g->have_last = 1;
}

const struct health_result *health_guard_peek(struct health_guard *g)
{
	double now = sess_probe_clock_ms();

	if (g->have_last && now - g->checked_at < g->cache_ms)
		return &g->last;
	if (g->state == B_OPEN) {
		if (now < g->opened_at + g->cooldown_ms) {
			open_result(g, now);
			g->checked_at = now;
			stamp(g, now);
			return &g->last;
		}
		g->state = B_HALF_OPEN;
	}
	return NULL;
}

void health_guard_put(struct health_guard *g, struct health_result *fresh)
{
	double now = sess_probe_clock_ms();

	if (g->have_last)
		health_result_free(&g->last);
	g->last = *fresh;
	memset(fresh, 0, sizeof *fresh);
	g->have_last = 1;
	g->checks++;
	g->checked_at = now;
	if (g->last.up) {
		g->state = B_CLOSED;
		g->failures = 0;
	} else if (g->last.status != H_UNKNOWN) {
		/* Redis did not answer (down, or connected but silent); bad
		 * credentials are ours to fix and open nothing */
		g->failures++;
		if (g->state == B_HALF_OPEN || g->failures >= g->threshold) {
			g->state = B_OPEN;
			g->opened_at = now;
		}
	}
	stamp(g, now);
}

const struct health_result *health_guard_get(struct health_guard *g, int *fresh)
{
	const struct health_result *r = health_guard_peek(g);
	struct health_result res;

	*fresh = 0;
	if (r)
		return r;
	health_check(g->hp, g->cfg, &res);
	health_guard_put(g, &res);
	*fresh = 1;
	return &g->last;
}
