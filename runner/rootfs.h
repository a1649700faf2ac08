/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * rootfs.h: the container's mounts and pivot_root, child side (rootfs.c).
 */
#ifndef BERTH_ROOTFS_H
#define BERTH_ROOTFS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../lib/error.h"
#include "mountspec.h"

/* A secret as a file: its value, read from the store when the container
 * starts, lands on a tmpfs only (never in the writable layer). */
struct rootfs_secret {
	const char *target; /* absolute */
	const char *data;
	size_t len;
	unsigned mode;
	uint32_t uid, gid;
};

struct rootfs_opts {
	const char *rootfs;  /* the berth-fs mount */
	const char *etc_dir; /* hostname, hosts, resolv.conf to bind */
	bool own_netns;	     /* a fresh sysfs is allowed */
	bool tty_gid;	     /* gid 5 is mapped (devpts gid=5) */
	bool read_only;
	bool keep_id;			/* the user's name goes into /etc/passwd and /etc/group */
	const char *workdir;		/* made when missing (docker does) */
	const struct mount_req *mounts; /* parents first (mountspec_sort) */
	size_t n_mounts;
	const struct rootfs_secret *secrets;
	size_t n_secrets;
};

/* In the child, in its own mount namespace: set up and pivot into the
 * root; on return the cwd is "/" of the container. */
int rootfs_setup(const struct rootfs_opts *o, struct berth_error *err);

#endif
