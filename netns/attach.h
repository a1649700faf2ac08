/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * attach.h: a container's place on a user network (attach.c): a veth
 * pair from its network namespace into the network's bridge namespace.
 */
#ifndef BERTH_NETNS_ATTACH_H
#define BERTH_NETNS_ATTACH_H

#include <netinet/in.h>
#include <stdbool.h>

#include "../lib/error.h"

struct netns_attach {
	int bridge_fd;	     /* the bridge namespace (keeper_join) */
	const char *peer;    /* the bridge-side end's name, unique in it */
	struct in_addr addr; /* eth0's */
	unsigned prefix;
	struct in_addr gw; /* slirp's gateway; 0: --internal, no default route */
	bool block_gw;	   /* --no-host-loopback: the gateway itself unreachable */
};

/* From the container's holder, in the shared user namespace and in the
 * container's new network namespace (where it stays): eth0 up with its
 * address and routes, the other end a port of br0. */
int netns_attach(const struct netns_attach *a, struct berth_error *err);

#endif
