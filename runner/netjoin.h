/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * netjoin.h: a container joining and leaving its user network as it
 * starts and ends (netjoin.c).
 */
#ifndef BERTH_NETJOIN_H
#define BERTH_NETJOIN_H

#include "../lib/error.h"
#include "launchspec.h"
#include "../image/store.h"

/* What a start holds for the container's network until launch_start has
 * used it. */
struct netjoin {
	int userns_fd, bridge_fd;
	char peer[16];
};

/* For a container on network (its record's; a user network's name, else
 * nothing is done):
 * the keeper's namespaces, an address (the lowest free one, recorded for
 * this process's life: call it in the process that holds the container's
 * run lock until its end), /etc/hosts of every running container on the
 * network brought up to date, and ls filled for launch_start. */
int netjoin_prepare(struct store *s, const char *id, const char *network, struct launch_spec *ls,
		    struct netjoin *nj, struct berth_error *err);
void netjoin_release(struct netjoin *nj);
/* The container has ended: its address goes, and its name from the
 * others' /etc/hosts. */
void netjoin_leave(struct store *s, const char *id);

#endif
