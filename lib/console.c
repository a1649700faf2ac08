// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * console.c: the CLI's side of a container's terminal: the user's
 * terminal in raw mode relayed to and from the container's, with the
 * window size passed on at start and on every SIGWINCH, and docker's
 * detach keys where the peer allows them. The peer is a pty master
 * (console_relay_pty) or a container's monitor (the attach protocol,
 * runner/engine.c). The container's side (a pty of its own devpts as
 * controlling terminal) is runner/launch.c's.
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

/* Set by the SIGWINCH handler, which can reach only static storage;
 * read and cleared by the relay's loop. */
static volatile sig_atomic_t winch;

static void on_winch(int sig)
{
	(void)sig;
	winch = 1;
}

static void pass_size(const struct console_peer *p)
{
	struct winsize ws;

	if (p->resize && ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) == 0)
		p->resize(p->arg, &ws);
}

/* The user's input: true to go on reading it. With detach keys, true in
 * *detached when ctrl-p ctrl-q came (saw_p carries a ctrl-p across
 * reads). */
static bool take_input(const struct console_peer *p, bool *saw_p, bool *detached)
{
	char in[4096];
	ssize_t n = read(STDIN_FILENO, in, sizeof(in));

	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return true;
	if (n <= 0)
		return false; /* our input ended; the container's output goes on */
	for (ssize_t i = 0; p->detach_keys && i < n && !*detached; i++) {
		if (*saw_p && in[i] == 0x11)
			*detached = true;
		*saw_p = in[i] == 0x10;
	}
	if (*detached)
		return false;
	return p->input(p->arg, in, (size_t)n);
}

/* The loop: until the peer ends, its end_fd fires, or the user detaches. */
static bool relay_loop(const struct console_peer *p, bool input)
{
	struct pollfd pf[3] = { { .fd = input ? STDIN_FILENO : -1, .events = POLLIN },
				{ .fd = p->fd, .events = POLLIN },
				{ .fd = p->end_fd, .events = POLLIN } };
	bool saw_p = false, detached = false;

	for (;;) {
		if (winch) {
			winch = 0;
			pass_size(p);
		}
		if (poll(pf, 3, -1) < 0) {
			if (errno == EINTR)
				continue;
			return false;
		}
		if (p->end_fd >= 0 && (pf[2].revents & POLLIN)) {
			/* the process ended: what it wrote, then stop */
			if (p->drain)
				p->drain(p->arg, p->fd);
			return false;
		}
		if ((pf[1].revents & (POLLIN | POLLHUP | POLLERR)) && !p->output(p->arg, p->fd))
			return false;
		if (pf[0].fd >= 0 && (pf[0].revents & (POLLIN | POLLHUP | POLLERR)) &&
		    !take_input(p, &saw_p, &detached)) {
			if (detached)
				return true;
			pf[0].fd = -1;
		}
	}
}

bool console_relay(const struct console_peer *p, bool input)
{
	struct termios saved, raw;
	bool tty = input && isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &saved) == 0;
	struct sigaction sa = { .sa_handler = on_winch }, old;
	bool detached;

	if (tty) {
		raw = saved;
		cfmakeraw(&raw);
		tcsetattr(STDIN_FILENO, TCSANOW, &raw);
		pass_size(p);
	}
	sigemptyset(&sa.sa_mask);
	sigaction(SIGWINCH, &sa, &old);
	detached = relay_loop(p, input);
	sigaction(SIGWINCH, &old, NULL);
	if (tty)
		tcsetattr(STDIN_FILENO, TCSANOW, &saved);
	return detached;
}

/* ---- a pty master as the peer ---- */

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

static bool pty_output(void *arg, int master)
{
	(void)arg;
	return pump(master, STDOUT_FILENO);
}

static bool pty_input(void *arg, const char *buf, size_t len)
{
	return write_all(*(int *)arg, buf, len) == 0;
}

static void pty_resize(void *arg, const struct winsize *ws)
{
	ioctl(*(int *)arg, TIOCSWINSZ, ws);
}

static void pty_drain(void *arg, int master)
{
	char buf[16384];
	ssize_t n;

	(void)arg;
	fcntl(master, F_SETFL, fcntl(master, F_GETFL) | O_NONBLOCK);
	while ((n = read(master, buf, sizeof(buf))) > 0)
		if (write_all(STDOUT_FILENO, buf, (size_t)n) < 0)
			break;
}

void console_relay_pty(int master, bool input, int end_fd)
{
	struct console_peer p = { .fd = master,
				  .output = pty_output,
				  .input = pty_input,
				  .resize = pty_resize,
				  .end_fd = end_fd,
				  .drain = pty_drain,
				  .arg = &master };

	console_relay(&p, input);
}
