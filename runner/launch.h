/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * launch.h: starting a container's processes (launch.c): the user
 * namespace, the other namespaces, berth-fs, the container's init, and
 * the wait for its end. What to start is a struct launch_spec
 * (launchspec.h).
 */
#ifndef BERTH_LAUNCH_H
#define BERTH_LAUNCH_H

#include <stdbool.h>
#include <sys/types.h>

#include "../lib/error.h"
#include "launchnet.h"
#include "launchspec.h"

/* A started container (or exec'd process), for the caller to relay and
 * wait for. */
struct launch_proc {
	/* the process that stands for the container: signals sent to it
	 * reach the container's pid 1 (launch_kill_signal() kills it) */
	pid_t pid;
	/* with s->tty: the terminal's master side, for the caller to relay
	 * (lib/console.h) and close; -1 otherwise */
	int console;
	/* ... and berth's own fd on its slave side, which keeps the terminal
	 * from hanging up (and dropping unread output) when the command
	 * ends: close it once the command has ended and the master is
	 * drained; -1 otherwise */
	int console_peer;
	/* the published ports' forwarder and the host-loopback relay (they
	 * end with the holder; launch_wait reaps them) */
	struct launch_net net;
};

/* Start the container and return once its command runs, with p filled.
 * On failure *status is what `run` exits with (125 setup, 126/127 when
 * the command could not start) and err says why. The caller's SIGINT,
 * SIGTERM, SIGHUP, SIGQUIT, SIGUSR1/2 and SIGWINCH are forwarded to the
 * container until launch_wait. */
int launch_start(const struct launch_spec *s, struct launch_proc *p, int *status,
		 struct berth_error *err);
/* Wait for its end: the command's code, 128+N for signal N. */
int launch_wait(struct launch_proc *p);
/* The last SIGINT, SIGTERM or SIGHUP this process was sent (and passed
 * on) since the last call, or 0; cleared. What an attached container's
 * caller was asked, which a build steps acts on after the step. */
int launch_asked_end(void);
/* Start s's command in the running container whose pid 1 is init (host
 * pid): its namespaces, then the same user switch, capabilities,
 * no_new_privs and seccomp as the container's command (and with s->tty a
 * terminal in p->console); launch_wait(p) for its status. */
int launch_exec_start(pid_t init, const struct launch_spec *s, struct launch_proc *p, int *status,
		      struct berth_error *err);
/* Mount a stopped container's root (berth-fs in a user and mount
 * namespace of its own, as the container's holder does) and run fn on
 * it in that process; fn's error travels back. */
int launch_with_root(const struct launch_spec *s,
		     int (*fn)(int rootfd, void *arg, struct berth_error *err), void *arg,
		     struct berth_error *err);

/* The text of END_REASON_FILE in dir (the caller frees it), or NULL;
 * the file is removed. launch_start removes a stale one. */
char *launch_end_reason(const char *dir);

#endif
