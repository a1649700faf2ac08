/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * layertar.h: an uncompressed OCI layer tar written entry by entry from
 * layer trees and their metadata tables (layertar.c).
 */
#ifndef BERTH_LAYERTAR_H
#define BERTH_LAYERTAR_H

#include <stdint.h>

#include "../lib/error.h"
#include "meta.h"

struct layer_tar;

/* A layer written to fd; clamp >= 0: no entry's mtime later. */
int layer_tar_open(int fd, int64_t clamp, struct layer_tar **out, struct berth_error *err);
/* The entry e (its path absolute: "/etc/x"), its content and link target
 * read from the layer tree diff: a whiteout entry as .wh.NAME, an opaque
 * directory followed by its marker, a second name of a file already
 * written as a hard link to the first. */
int layer_tar_entry(struct layer_tar *t, int diff, const struct bfs_entry *e,
		    struct berth_error *err);
/* path removed: .wh.NAME beside it. */
int layer_tar_whiteout(struct layer_tar *t, const char *path, struct berth_error *err);
/* What lower layers have in dir stays hidden: dir/.wh..wh..opq. */
int layer_tar_opaque(struct layer_tar *t, const char *dir, struct berth_error *err);
/* The tar's end written. */
int layer_tar_finish(struct layer_tar *t, struct berth_error *err);
void layer_tar_free(struct layer_tar *t);

#endif
