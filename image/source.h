/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * source.h: where an image being loaded comes from: an OCI layout
 * directory read in place, or an archive (docker-archive, oci-archive,
 * possibly compressed, possibly on stdin) unpacked once into a staging
 * directory. Either way the loader sees a directory without symlinks and
 * reads members through verified, size-checked accessors.
 */
#ifndef BERTH_SOURCE_H
#define BERTH_SOURCE_H

#include <stdbool.h>
#include <stdint.h>

#include "store.h"

struct source_file {
	char *name;
	char digest[DIGEST_STR_LEN + 1];
	uint64_t size;
};

struct source {
	int dirfd;
	char *label;		   /* the input as the user named it */
	bool staged;		   /* members live in our staging dir */
	struct source_file *files; /* hashes computed while staging */
	size_t n_files;
	void (*progress)(uint64_t done, uint64_t total, void *data);
	void *progress_data;
};

/* path NULL or "-" reads an archive from stdin. */
int source_open(struct source *src, const char *path, struct store_stage *stage,
		struct berth_error *err);
void source_close(struct source *src);
bool source_exists(struct source *src, const char *member);
/* Read a whole member (at most max bytes) and its sha256. */
int source_read(struct source *src, const char *member, size_t max, char **buf, size_t *len,
		char *digest, struct berth_error *err);
/* Read blobs/sha256/<hex> checking the descriptor's size and digest. */
int source_read_blob(struct source *src, const char *digest, uint64_t size, size_t max, char **buf,
		     size_t *len, struct berth_error *err);
/* Put a member into the staging dir under name, checking its size and
 * digest when given (want_digest may be NULL: then *digest_out is set). */
int source_stage_member(struct source *src, const char *member, const char *want_digest,
			int64_t want_size, struct store_stage *stage, const char *name,
			char *digest_out, uint64_t *size_out, struct berth_error *err);

/* sha256 and size of a member (from the staging hashes when known). */
int source_digest(struct source *src, const char *member, char *digest, uint64_t *size,
		  struct berth_error *err);
/* The first bytes of a member, to tell gzip/zstd/tar apart. */
const char *source_layer_media_type(struct source *src, const char *member);
const char *layer_media_type_fd(int fd);
#endif
