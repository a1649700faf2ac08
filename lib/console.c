// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * console.c: `run -t` on the CLI's side: the user's terminal in raw mode
 * relayed to and from the master of the container's terminal, with the
 * window size passed on at start and on every SIGWINCH. The container's
 * side (a pty of its own devpts as controlling terminal) is launch.c's.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include "console.h"
#include "util.h"

static volatile sig_atomic_t winch;

static void on_winch(int sig)
{
	(void)sig;
	winch = 1;
}

static void copy_winsize(int master)
{
	struct winsize ws;
	if (ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) == 0)
		ioctl(master, TIOCSWINSZ, &ws);
}

/* Move what is readable from in to out; false at the end of in. */
static bool pump(int in, int out)
{
	char buf[16384];
	ssize_t n = read(in, buf, sizeof(buf));

	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return true;
	if (n <= 0)
		return false; /* EIO: the container's side is closed */
	return write_all(out, buf, (size_t)n) == 0;
}

void console_relay(int master, bool input, int end_fd)
{
	struct termios saved, raw;
	bool tty = input && isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &saved) == 0;
	struct sigaction sa = { .sa_handler = on_winch }, old;
	struct pollfd p[3] = { { .fd = input ? STDIN_FILENO : -1, .events = POLLIN },
			       { .fd = master, .events = POLLIN },
			       { .fd = end_fd, .events = POLLIN } };

	if (tty) {
		raw = saved;
		cfmakeraw(&raw);
		tcsetattr(STDIN_FILENO, TCSANOW, &raw);
		copy_winsize(master);
	}
	sigemptyset(&sa.sa_mask);
	sigaction(SIGWINCH, &sa, &old);
	for (;;) {
		if (winch) {
			winch = 0;
			copy_winsize(master);
		}
		if (poll(p, 3, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (end_fd >= 0 && (p[2].revents & POLLIN)) {
			/* the process ended: what it wrote, then stop */
			char buf[16384];
			ssize_t n;
			fcntl(master, F_SETFL, fcntl(master, F_GETFL) | O_NONBLOCK);
			while ((n = read(master, buf, sizeof(buf))) > 0)
				if (write_all(STDOUT_FILENO, buf, (size_t)n) < 0)
					break;
			break;
		}
		if (p[1].revents & (POLLIN | POLLHUP | POLLERR))
			if (!pump(master, STDOUT_FILENO))
				break;
		if (p[0].fd >= 0 && (p[0].revents & (POLLIN | POLLHUP | POLLERR)))
			if (!pump(STDIN_FILENO, master))
				p[0].fd = -1; /* our input ended; the container's output goes on */
	}
	sigaction(SIGWINCH, &old, NULL);
	if (tty)
		tcsetattr(STDIN_FILENO, TCSANOW, &saved);
}
