/* SPDX-License-Identifier: GPL-2.0-or-later */
/* commit.h: a container's writable layer as a new image (commit.c). */
#ifndef BERTH_COMMIT_H
#define BERTH_COMMIT_H

#include "../image/store.h"

/* The image image_id plus the writable layer in container_dir/upper, as a
 * new image named ref (or unnamed); its ID into id_out. */
int container_commit(struct store *s, const char *container_dir, const char *image_id,
		     const char *ref, const char *message, char *id_out, struct berth_error *err);

#endif
