/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * relay.h: the byte mover shared by berth's two relays (relay.c): the
 * published ports' forwarder (forward.c: host listeners, connections made
 * inside the container's network namespace) and the host-loopback relay
 * (hostloop.c: listeners inside the container's namespace, connections
 * made on the host's loopback). Which namespace a new connection is made
 * in is simply the one the relay process is in.
 */
#ifndef BERTH_NETNS_RELAY_H
#define BERTH_NETNS_RELAY_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>

#include "../lib/util.h"

struct relay_route {
	int fd; /* listening (TCP) or bound (UDP) */
	bool udp;
	struct sockaddr_in to; /* each connection, or UDP flow, goes here */
};

/* In a relay just forked: every descriptor but keep[] closed (the
 * parent's others, a container's output pipes among them, must not be
 * held open by it), stdio on /dev/null, its name, SIGKILL when its parent
 * dies, SIGPIPE ignored. */
void relay_child_init(const char *name, const int *keep, size_t n_keep);

/* Serve the routes until end_fd (a pidfd of the container's holder)
 * says the container has ended; then _exit(0). TCP: each accepted
 * connection is joined to a new connection to its route's address, and
 * bytes move both ways by splice(2) through a pipe per direction,
 * half-closes passed on. UDP: one connected socket per client address,
 * closed after a minute idle. */
_noreturn_ void relay_run(const struct relay_route *r, size_t n, int end_fd);

#endif
