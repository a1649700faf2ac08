/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * keeper.h: the per-user network keeper (keeper.c). A network namespace
 * can only be joined with CAP_SYS_ADMIN in the user namespace that owns
 * it, so containers that share a network share a user namespace: the
 * keeper holds it (podman's pause process plays this role), and the
 * bridge namespace of each user network in use, with its slirp4netns.
 */
#ifndef BERTH_NETNS_KEEPER_H
#define BERTH_NETNS_KEEPER_H

#include <netinet/in.h>
#include <stdbool.h>

#include "../lib/error.h"

struct keeper_net {
	const char *name;      /* the network's ID: unique across the user's stores */
	const char *label;     /* its name, for messages */
	struct in_addr subnet; /* slirp4netns's --cidr too */
	unsigned prefix;
	bool internal;	 /* no slirp4netns */
	const char *log; /* slirp4netns's messages (absolute path) */
};

/* The shared user namespace and the network's bridge namespace (made,
 * with its slirp4netns, if the keeper does not hold it yet; the keeper
 * started if none runs): two close-on-exec fds. */
int keeper_join(const struct keeper_net *n, int *userns_fd, int *netns_fd, struct berth_error *err);
/* The network is gone from the store: drop its namespace now (0 when no
 * keeper runs or it does not hold it). */
int keeper_down(const char *id, struct berth_error *err);

/* berth run as "berth-netd PATH": the keeper itself, listening on PATH
 * (main.c). */
int keeper_main(const char *path);

#endif
