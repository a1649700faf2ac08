/* SPDX-License-Identifier: GPL-2.0-or-later */
/* commit.h: a container's writable layer as a new image (commit.c). */
#ifndef BERTH_COMMIT_H
#define BERTH_COMMIT_H

#include <stddef.h>
#include <stdint.h>

#include "../image/store.h"

/* The image image_id plus the writable layer in container_dir/upper, as a
 * new image named ref (or unnamed); its ID into id_out. */
int container_commit(struct store *s, const char *container_dir, const char *image_id,
		     const char *ref, const char *message, char *id_out, struct berth_error *err);

/* The writable layer in container_dir/upper (over the image image_id) as
 * commit writes it, an uncompressed tar to fd; *n_entries how many
 * entries it has (0: nothing changed, and the caller makes no layer).
 * mtime_clamp >= 0: no entry's mtime later (build --timestamp). */
int container_layer_write(struct store *s, const char *container_dir, const char *image_id,
			  int64_t mtime_clamp, int fd, size_t *n_entries, struct berth_error *err);

#endif
