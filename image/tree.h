/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tree.h: an image's merged root filesystem as a TSV listing (the format
 * of the fixtures' EXPECTED files): what berth-fs will present, computed
 * from the store without mounting anything.
 */
#ifndef BERTH_TREE_H
#define BERTH_TREE_H

#include <stdio.h>

#include "store.h"

/* Open the layers of image id as a stack (top first). */
int image_open_stack(struct store *s, const char *id, struct bfs_stack *out,
		     struct berth_error *err);
void image_close_stack(struct bfs_stack *st);

int image_tree(struct store *s, const char *id, FILE *out, struct berth_error *err);

#endif
