/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * assemble.h: an image made from another's layers, one more layer and a
 * configuration (assemble.c): what commit and build end with. Its blobs
 * are staged as an OCI layout's and installed by `load`'s install
 * (image_install_staged), with all its checks.
 */
#ifndef BERTH_ASSEMBLE_H
#define BERTH_ASSEMBLE_H

#include <json-c/json.h>
#include <stdbool.h>

#include "../lib/digest.h"
#include "../lib/error.h"
#include "store.h"

struct assemble {
	const char *base_id; /* the image whose layers come first; NULL: none (scratch) */
	/* one more layer: an uncompressed tar read from its start; -1: none.
	 * A regular file on the store's filesystem is hard-linked in and
	 * becomes the stored blob itself: write no more to it after. A pipe
	 * or another file is copied. */
	int layer_fd;
	/* the configuration: rootfs (type, diff_ids: base's, then the new
	 * layer's) is set here; everything else, history included, is
	 * the caller's (with empty_layer on the entries that add none) */
	struct json_object *config;
	/* names to give it (NULL-terminated, normalised; NULL: none) */
	char *const *refs;
	/* a build step's image: `images` lists it only with -a, and the
	 * build cache's prune removes it. A named image never is one: an
	 * intermediate image assembled again with names stops being one. */
	bool intermediate;
};

int image_assemble(struct store *s, const struct assemble *a, char id_out[DIGEST_STR_LEN + 1],
		   struct berth_error *err);

#endif
