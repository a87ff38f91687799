/* signals.c - SIGPIPE, stop signals for long work, the progress bar. */
#include "cli/cli.h"

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

void cli_progress(const char *what, long done, long total)
{
	int width = 30, fill;

	if (!isatty(STDERR_FILENO) || total <= 0)
		return;
	if (done >= total) {
		fprintf(stderr, "\r\033[K");
		return;
	}
	fill = (int)(done * width / total);
	fprintf(stderr, "\r%s [%.*s%*s] %ld/%ld", what, fill,
		"##############################", width - fill, "", done, total);
}
