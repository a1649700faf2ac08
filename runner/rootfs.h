/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * rootfs.h: the container's mounts and pivot_root, child side (rootfs.c).
 */
#ifndef BERTH_ROOTFS_H
#define BERTH_ROOTFS_H

#include <stdbool.h>
#include <stddef.h>

#include "error.h"

struct rootfs_opts {
	const char *rootfs;  /* the berth-fs mount */
	const char *etc_dir; /* hostname, hosts, resolv.conf to bind */
	bool own_netns;	     /* a fresh sysfs is allowed */
	bool tty_gid;	     /* gid 5 is mapped (devpts gid=5) */
	bool read_only;
	const char *workdir; /* made when missing (docker does) */
	char **tmpfs;
	size_t n_tmpfs;
	char **volumes; /* directories made when missing (the image's VOLUMEs) */
	size_t n_volumes;
};

/* In the child, in its own mount namespace: set up and pivot into the
 * root; on return the cwd is "/" of the container. */
int rootfs_setup(const struct rootfs_opts *o, struct berth_error *err);

#endif
