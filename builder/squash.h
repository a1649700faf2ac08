/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * squash.h: the layers of an image above its first n_base ones, as one
 * layer (squash.c), for `build --squash`.
 */
#ifndef BERTH_SQUASH_H
#define BERTH_SQUASH_H

#include <stddef.h>
#include <stdint.h>

#include "../image/store.h"
#include "../lib/error.h"

/* Image id's layers above its n_base bottom ones as one uncompressed
 * layer tar to fd (clamp >= 0: no mtime later); *n_entries written. */
int squash_write(struct store *s, const char *id, size_t n_base, int64_t clamp, int fd,
		 size_t *n_entries, struct berth_error *err);

#endif
