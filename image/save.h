/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * save.h: writing images out as docker-archive or oci-archive tarballs
 * that docker, podman and berth itself load with identical IDs.
 */
#ifndef BERTH_SAVE_H
#define BERTH_SAVE_H

#include <stdbool.h>

#include "store.h"

enum save_format {
	SAVE_DOCKER_ARCHIVE,
	SAVE_OCI_ARCHIVE,
};

struct save_item {
	char id[DIGEST_STR_LEN + 1];
	char *ref; /* normalised reference it was named by, or NULL */
};

struct save_opts {
	enum save_format format;
	const char *output; /* path, or NULL for stdout */
	size_t n;
	struct save_item *items;
	bool quiet;
};

int image_save(struct store *s, const struct save_opts *o, struct berth_error *err);

#endif
