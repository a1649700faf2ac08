/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * cache.h: the build's step cache in the store (cache.c), under
 * builder/: for each step that makes a layer, its key (the parent's key,
 * the instruction after substitution, the build args in its scope, its
 * sources' digest: build.c computes it) and the image the step made,
 * an intermediate image (image.h). Also the RUN --mount=type=cache
 * directories, per user and id. `berth builder prune` empties both.
 */
#ifndef BERTH_CACHE_H
#define BERTH_CACHE_H

#include <stdbool.h>
#include <stdint.h>

#include "../image/store.h"
#include "../lib/digest.h"
#include "../lib/error.h"

/* The image the step keyed key made: 1 and its ID in id when the entry
 * exists and its image is still in the store, else 0. */
int build_cache_lookup(struct store *s, const char *key, char id[DIGEST_STR_LEN + 1]);
/* Record key -> id (replacing an entry), written atomically. */
int build_cache_record(struct store *s, const char *key, const char *id, struct berth_error *err);

/* The directory of RUN --mount=type=cache,id=ID (made 0755 when
 * missing): an fd (O_PATH | O_DIRECTORY) and its path in *path. */
int build_cache_mount_dir(struct store *s, const char *id, char **path, struct berth_error *err);

struct build_cache_usage {
	size_t entries, images, mounts;
	uint64_t bytes; /* what removing them frees (layers no other image uses) */
};
/* What the cache holds, for `system df` and prune's report. */
int build_cache_usage(struct store *s, struct build_cache_usage *out, struct berth_error *err);
/* Remove every entry, the intermediate images no container or other
 * image's name uses, and (all) the cache mounts; *out what went. */
int build_cache_prune(struct store *s, bool all, struct build_cache_usage *out,
		      struct berth_error *err);

#endif
