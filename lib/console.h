/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * console.h: the user's terminal relayed to a container's (console.c):
 * the one raw-terminal relay, for a pty master (`run -t`, `exec -t`) and
 * for a container's monitor over the attach protocol (`attach`, `run
 * -it`), which brings its own peer.
 */
#ifndef BERTH_CONSOLE_H
#define BERTH_CONSOLE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/ioctl.h>

/* The other side of the relay. */
struct console_peer {
	int fd; /* polled for the other side's output */
	/* Read what fd has and write it to stdout (or stderr): true to go
	 * on, false at the other side's end. */
	bool (*output)(void *arg, int fd);
	/* The user's input: false when it cannot be taken any more (the
	 * relay then reads no more input). */
	bool (*input)(void *arg, const char *buf, size_t len);
	/* The user's terminal size, at the start (when the terminal is
	 * raw) and on every SIGWINCH; NULL: never passed on. */
	void (*resize)(void *arg, const struct winsize *ws);
	/* A pidfd (or -1): once readable, drain(arg, fd) takes what is
	 * left and the relay ends. */
	int end_fd;
	void (*drain)(void *arg, int fd);
	/* docker's detach keys, ctrl-p ctrl-q, end the relay (the input
	 * that holds them is not passed on) */
	bool detach_keys;
	void *arg;
};

/* Relay p's output to stdout (and with input, stdin to p) until p ends,
 * its end_fd says so, or the user detaches (the return value); the
 * user's terminal, when stdin is one and input is given, is raw
 * meanwhile. */
bool console_relay(const struct console_peer *p, bool input);
/* The same for a terminal's master: the user's input to it, its output
 * to stdout, the window size passed on; end_fd (a pidfd, or -1) says the
 * process ended, and what the master still holds is read then. */
void console_relay_pty(int master, bool input, int end_fd);

#endif
