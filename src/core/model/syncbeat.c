/* syncbeat.c - a sync task's state from its heartbeat (syncbeat.h). */
#include "syncbeat.h"

#include <math.h>
#include <string.h>

long long sess_sync_beat_bound(double every_ms)
{
	long long every = isnan(every_ms) || every_ms <= 0 || every_ms > 1e12
				  ? SESS_SYNC_BEAT_DEFAULT_MS : (long long)every_ms;
	long long b = every * SESS_SYNC_BEAT_TIMES;

	return b < SESS_SYNC_BEAT_FLOOR_MS ? SESS_SYNC_BEAT_FLOOR_MS : b;
}

const char *sess_sync_state(const char *status, double beat_at, double every_ms, long long now_ms)
{
	if (!status)
		status = "";
	if (strcmp(status, "running"))
		return status;
	if (isnan(beat_at) || beat_at <= 0)
		return "unknown";
	return (double)now_ms - beat_at > (double)sess_sync_beat_bound(every_ms) ? "stale" : "running";
}
