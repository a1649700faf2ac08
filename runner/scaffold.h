/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * scaffold.h: berth's own objects in a container's writable layer (the
 * mount points it made for /proc, /dev, /sys, the generated /etc files,
 * secrets, volumes, tmpfs and binds), which commit and diff leave out
 * (scaffold.c).
 */
#ifndef BERTH_SCAFFOLD_H
#define BERTH_SCAFFOLD_H

#include <stdbool.h>
#include <stddef.h>

#include "../image/layers.h"
#include "../image/meta.h"

struct scaffold {
	char **paths; /* sorted */
	size_t n;
};

/* The paths berth noted for the container whose directory is cfd (its
 * "mountpoints" file, written by rootfs.c), plus the fixed ones that
 * containers made before the notes existed have. Never fails: without
 * notes, only the fixed ones. */
void scaffold_load(int cfd, struct scaffold *sc);
void scaffold_free(struct scaffold *sc);

/* For the upper layer's entries v[0..n), sorted by path (bfs_meta_sorted),
 * which to keep: false for berth's objects still as it made them (a
 * directory with nothing kept below it, an empty file) and for
 * directories that are only the image's, copied up with their attributes
 * unchanged, with nothing kept below them. lower is the image's stack,
 * diff the upper layer's diff/ directory (the files' sizes). A container
 * that wrote into one of berth's objects keeps it. The result is
 * allocated; "/" is never kept. */
bool *scaffold_filter(const struct scaffold *sc, struct bfs_entry **v, size_t n,
		      const struct bfs_stack *lower, int diff);

#endif
