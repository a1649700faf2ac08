/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * mount.h: mounting an image's merged layers with berth-fs on the host
 * (`berth image mount`), and unmounting it.
 */
#ifndef BERTH_MOUNT_H
#define BERTH_MOUNT_H

#include "store.h"

/* The berth-fs binary: $BERTH_FS, else next to berth, else on PATH. */
char *mount_berth_fs_path(void);
/* path with ':', ',' and '\\' escaped by a backslash, as berth-fs's
 * options take it (a store may live under any path). */
char *mount_escape(const char *path);
/* The berth-fs lowerdir= value of an image: its layer dirs, top first,
 * escaped. */
int mount_lowerdir(struct store *s, const char *id, char **out, struct berth_error *err);
/* upper: NULL for a read-only mount, else the writable layer directory
 * (created when missing; it keeps the changes across mounts). */
int image_mount(struct store *s, const char *id, const char *mountpoint, const char *upper,
		struct berth_error *err);
int image_umount(const char *mountpoint, struct berth_error *err);

#endif
