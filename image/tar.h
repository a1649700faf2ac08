/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tar.h: a streaming reader for the tar dialects found in image layers
 * (ustar, pax with SCHILY/LIBARCHIVE xattrs, GNU long names). berth reads
 * layer tars itself rather than through libarchive because libarchive
 * normalises UTF-8 names to NFC, and an image may hold "café" in NFC and
 * in NFD as two distinct files: names must stay the exact bytes.
 */
#ifndef BERTH_TAR_H
#define BERTH_TAR_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "meta.h"
#include "../lib/error.h"

/* Supplies the uncompressed stream: returns bytes read, 0 at EOF, <0 on
 * error (with err set). */
typedef ssize_t (*tar_read_fn)(void *ctx, void *buf, size_t len, struct berth_error *err);

struct tar_entry {
	char *path;	/* exactly as stored, no normalisation */
	char *linkpath; /* symlink target or hardlink target */
	char type;	/* enum bfs_type: f d l p c b (no 's' in tar) */
	bool hardlink;
	uint32_t mode, uid, gid;
	uint32_t devmajor, devminor;
	int64_t mtime_sec;
	uint32_t mtime_nsec;
	uint64_t size;
	size_t n_xattrs;
	struct bfs_xattr *xattrs;
};

struct tar_reader;

struct tar_reader *tar_reader_new(tar_read_fn fn, void *ctx);
void tar_reader_free(struct tar_reader *t);
/* 1: an entry in *e (valid until the next call); 0: end of archive. */
int tar_next(struct tar_reader *t, struct tar_entry **e, struct berth_error *err);
/* The next piece of the current entry's data, in the reader's buffer
 * (valid until the next call): its length, 0 when all read, <0 on error. */
ssize_t tar_read_data(struct tar_reader *t, const void **data, struct berth_error *err);

#endif
