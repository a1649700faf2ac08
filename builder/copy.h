/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * copy.h: what COPY, ADD and WORKDIR add to an image, as one layer
 * (copy.c): an uncompressed tar written straight from the sources (the
 * context, a heredoc, or another stage's or image's files through its
 * layer stack), with docker's rules for where each source lands; and the
 * digest of those sources that the step cache keys on (names, content,
 * mode, owner after --chown; never mtime or atime).
 */
#ifndef BERTH_COPY_H
#define BERTH_COPY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "../image/layers.h"
#include "../lib/digest.h"
#include "../lib/error.h"
#include "context.h"

/* A file given in the Dockerfile itself (COPY <<EOF /dest). */
struct copy_inline {
	const char *name;
	const char *data;
	size_t len;
	mode_t mode; /* 0: 0644 (a heredoc); ADD of a URL: 0600 */
};

struct copy_spec {
	/* the sources: paths in the context (ctx), or absolute paths in
	 * another stage's or image's files (from, for --from), or inline
	 * files; as expanded, globs unexpanded */
	const struct build_context *ctx;
	const struct bfs_stack *from;
	char *const *sources;
	size_t n_sources;
	const struct copy_inline *inline_files;
	size_t n_inline;
	/* where: absolute (the WORKDIR applied), a trailing '/' kept (it
	 * means a directory, as do several sources) */
	const char *dest;
	bool add;   /* ADD: a local tar archive (any compression) is extracted at dest */
	bool chown; /* --chown: every file and the directories made get uid:gid */
	uint32_t uid, gid;
	bool chmod; /* --chmod: files and directories copied get mode */
	mode_t mode;
	/* the image being built on (NULL: FROM scratch): what exists at dest
	 * and above it (a directory there is entered, not replaced) */
	const struct bfs_stack *base;
	int64_t mtime_clamp; /* >= 0: no entry's mtime later (--timestamp) */
};

/* The digest of the sources as c would copy them: for each, in order,
 * its destination name, kind, mode, owner as it will be, link target
 * and content's sha256. Reads what copy_write_layer reads and nothing
 * else; a missing source is the same error. */
int copy_digest(const struct copy_spec *c, char out[DIGEST_STR_LEN + 1], struct berth_error *err);

/* The layer: dest's missing parents (root-owned 0755, or --chown's),
 * then each source: a file to dest (or into it, when dest is a
 * directory or ends in '/'), a directory's contents (not itself) into
 * dest, a link as a link, hard links kept; for ADD a tar archive's
 * entries under dest. Written to fd as an uncompressed pax tar. */
int copy_write_layer(const struct copy_spec *c, int fd, struct berth_error *err);

/* WORKDIR's layer: path and its missing parents as directories (0755,
 * owner uid:gid, as docker makes them for USER). *made false (and
 * nothing written) when path is a directory in base already. */
int copy_write_mkdir(const struct bfs_stack *base, const char *path, uint32_t uid, uint32_t gid,
		     int64_t mtime_clamp, int fd, bool *made, struct berth_error *err);

/* --chown=USER[:GROUP] (names or numbers) through the /etc/passwd and
 * /etc/group of base (NULL: numbers only); a group not given is the
 * user's. An unknown name is an error naming it. */
int copy_resolve_owner(const struct bfs_stack *base, const char *spec, uint32_t *uid, uint32_t *gid,
		       struct berth_error *err);

#endif
