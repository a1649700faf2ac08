/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * unpack.h: turn one layer blob (tar; gzip, zstd or plain) into a layer
 * directory of the store: a host data tree plus its metadata table. Every
 * path is resolved inside the merged rootfs of the layers below; nothing
 * is ever written outside the new layer's tree.
 */
#ifndef BERTH_UNPACK_H
#define BERTH_UNPACK_H

#include <stdint.h>

#include "layers.h"
#include "../lib/digest.h"

struct unpack_result {
	char diff_id[DIGEST_STR_LEN + 1]; /* sha256 of the uncompressed tar */
	uint64_t tar_size;		  /* uncompressed bytes */
	uint64_t entries;
};

/* What a layer may hold (docs/config.md, [limits]); 0 is no limit. The
 * image's share is what its lower layers already hold. Each is checked as
 * the stream is read: a layer over a limit fails before it is unpacked
 * any further. */
struct unpack_limits {
	uint64_t max_depth;	 /* directory levels of a path in the merged tree */
	uint64_t max_entries;	 /* tar members, or records of the layer's table */
	uint64_t max_layer_size; /* uncompressed tar bytes */
	uint64_t max_image_entries, image_entries;
	uint64_t max_image_size, image_size;
};

/* stack->layers[0] is the new layer: an empty directory and an empty
 * metadata table; the rest are its parents, top first. blob_fd is read
 * from its current offset. lim may be NULL (no limits). progress, when
 * set, is called with the number of compressed bytes consumed so far. */
int unpack_layer(struct bfs_stack *stack, int blob_fd, const struct unpack_limits *lim,
		 void (*progress)(uint64_t done, void *data), void *progress_data,
		 struct unpack_result *res, struct berth_error *err);

/* Normalise a tar member name to a canonical absolute path ("/" for the
 * root entry). Refuses absolute names and ".." components. */
int unpack_normalize_name(const char *raw, char **out, struct berth_error *err);

/* The diffID of a (possibly compressed) tar stream, read to its end;
 * a stream longer than max bytes (when not 0) fails with EFBIG. */
int unpack_diff_id(int fd, uint64_t max, char *diff_id, uint64_t *tar_size,
		   struct berth_error *err);

/* Enable the decompression filters berth accepts (gzip, zstd, bzip2, xz),
 * only those libarchive decodes in-process: never an external program. */
struct archive;
void unpack_support_filters(struct archive *a);

/* A reader that only decompresses fd (gzip, zstd or none): read the
 * uncompressed stream with archive_read_data(). */
struct archive *unpack_open_decompressor(int fd, struct berth_error *err);

/* A failure of libarchive's on a as berth's: "WHAT: <errno text>" when a
 * system call failed under it (a write to a full disk is ENOSPC, not
 * libarchive's "Write error"), else "WHAT: <libarchive's text>".
 * Returns -1. */
int unpack_archive_error(struct archive *a, const char *what, struct berth_error *err);
#endif
