/* signals.c - SIGPIPE, stop signals for long work, the progress bar. */
#include "cli/cli.h"

#include "core/model/ids.h"

#include <signal.h>
#include <string.h>
#include <unistd.h>

void cli_init_signals(void)
{
	signal(SIGPIPE, SIG_IGN);
}

static volatile sig_atomic_t stop_signal;

static void on_stop_signal(int sig)
{
	stop_signal = sig;
}

void cli_catch_stop_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_stop_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

int cli_stop_signal(void)
{
	return stop_signal;
}

void cli_clear_stop_signal(void)
{
	stop_signal = 0;
}

int cli_signal_exit(void)
{
	return stop_signal == SIGINT ? 130 : 143;
}

/* The one progress meter (cli.h). */
static struct {
	char what[32];
	long long start, last; /* ms */
	int drawn;
} meter;

static void thousands(char *buf, size_t n, long v)
{
	char raw[32];
	size_t len, i, o = 0;

	snprintf(raw, sizeof raw, "%ld", v);
	len = strlen(raw);
	for (i = 0; i < len && o + 2 < n; i++) {
		if (i && raw[i - 1] != '-' && (len - i) % 3 == 0)
			buf[o++] = ',';
		buf[o++] = raw[i];
	}
	buf[o] = 0;
}

static void clock_text(char *buf, size_t n, long long secs)
{
	if (secs >= 3600)
		snprintf(buf, n, "%lld:%02lld:%02lld", secs / 3600, secs / 60 % 60, secs % 60);
	else
		snprintf(buf, n, "%lld:%02lld", secs / 60, secs % 60);
}

void cli_meter(void *arg, const char *what, long done, long total)
{
	long long now = sess_now_ms(), el;
	char d[32], t[32], rate[32] = "", eta[48] = "";
	double per_s;

	(void)arg;
	if (!isatty(STDERR_FILENO))
		return;
	if (done < 0 || (total > 0 && done >= total)) {
		if (meter.drawn)
			fputs("\r\033[K", stderr);
		meter.drawn = 0;
		meter.what[0] = 0;
		return;
	}
	if (strncmp(meter.what, what, sizeof meter.what - 1) || !meter.start) {
		snprintf(meter.what, sizeof meter.what, "%s", what);
		meter.start = now;
		meter.last = 0;
	}
	if (meter.drawn && now - meter.last < 100)
		return; /* at most ten times a second */
	meter.last = now;
	el = now - meter.start;
	per_s = el > 0 ? done * 1000.0 / (double)el : 0;
	thousands(d, sizeof d, done);
	if (el >= 500 && per_s > 0) {
		thousands(rate, sizeof rate, (long)per_s);
		strcat(rate, "/s");
	}
	if (total > 0) {
		int width = 20, fill = (int)(done * width / total);
		thousands(t, sizeof t, total);
		if (rate[0]) {
			char c[24];
			clock_text(c, sizeof c, (long long)((double)(total - done) / per_s + 0.5));
			snprintf(eta, sizeof eta, "  ETA %s", c);
		}
		fprintf(stderr, "\r\033[K%s  %s/%s %3d%% [%.*s%*s]  %s%s", meter.what, d, t,
			(int)(done * 100 / total), fill, "####################", width - fill, "", rate, eta);
	} else {
		char c[24];
		clock_text(c, sizeof c, el / 1000);
		fprintf(stderr, "\r\033[K%s  %s  %s  %s", meter.what, d, rate, c);
	}
	meter.drawn = 1;
}

void cli_progress(const char *what, long done, long total)
{
	cli_meter(NULL, what, done, total);
}
