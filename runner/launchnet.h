/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * launchnet.h: a container's network, parent side (launchnet.c): what
 * launch.c runs between the holder's word that the container's network
 * namespace is there and the command's start, and the relays it forks
 * once the command runs.
 */
#ifndef BERTH_LAUNCHNET_H
#define BERTH_LAUNCHNET_H

#include <stdbool.h>
#include <sys/types.h>

#include "../lib/error.h"
#include "launchspec.h"

struct launch_net {
	int relay_fds[HOSTLOOP_MAX_PORTS]; /* the host-loopback listeners */
	size_t n_relay_fds;
	pid_t forwarder, relay; /* 0: none */
};

/* Does the parent have a step to take in the container's network before
 * its command runs (so that pid 1 waits for its word)? */
bool launchnet_has_step(const struct launch_spec *s);
/* The step: slirp4netns (the default network's, or on a user network a
 * container's own for the host's loopback; it ends when exit_fd's write
 * end, which the holder holds, closes), then the host-loopback tap or
 * listeners. */
int launchnet_configure(const struct launch_spec *s, pid_t holder, int exit_fd,
			struct launch_net *ln, struct berth_error *err);
/* Once the command runs: the published ports' forwarder and the
 * host-loopback relay, which take the sockets (closed here). */
int launchnet_relays(const struct launch_spec *s, pid_t holder, struct launch_net *ln,
		     struct berth_error *err);
/* After the container's end: reap them (they watch the holder's end). */
void launchnet_wait(struct launch_net *ln);
/* Close what the step left (a failed start). */
void launchnet_clear(struct launch_net *ln);

#endif
