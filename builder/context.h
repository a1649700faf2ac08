/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * context.h: a build's context (context.c): a directory, or a tar stream
 * unpacked into a stage of the store, with its .dockerignore; and the
 * sources a COPY or ADD names, found in it. Everything is read through
 * descriptors beneath the context's root: a source never resolves
 * outside it ("/x" and "../x" are the context's x, as docker has it), a
 * symbolic link in the context is a link (never followed out of it),
 * and an excluded path is never read.
 */
#ifndef BERTH_CONTEXT_H
#define BERTH_CONTEXT_H

#include <stdbool.h>
#include <stddef.h>

#include "../image/store.h"
#include "../lib/error.h"
#include "ignore.h"

struct build_context {
	int dirfd;   /* the root (O_PATH | O_DIRECTORY); -1: no context (a Dockerfile from stdin) */
	char *label; /* what messages call it: the directory as given, or "the context from stdin" */
	struct ignore *ignore;	   /* never NULL once opened (an empty one without a file) */
	struct store_stage *stage; /* the stage a tar context is unpacked into, else NULL */
};

/* The directory dir. ignore_file: the ignore file to use (a host path,
 * FILE.dockerignore beside `-f FILE`); when it is NULL or does not
 * exist, DIR/.dockerignore, else DIR/.containerignore, else none. */
int context_open_dir(const char *dir, const char *ignore_file, struct build_context *c,
		     struct berth_error *err);
/* A tar stream read from fd (`berth build - < ctx.tar`), unpacked into a
 * stage of s: regular files, directories and symbolic links only, every
 * entry beneath the root, bounded by the user's [limits]. */
int context_open_tar(struct store *s, int fd, struct build_context *c, struct berth_error *err);
/* No context: a Dockerfile from stdin. Every COPY from it fails. */
void context_open_none(struct build_context *c);
void context_close(struct build_context *c);

/* The regular file rel of the context (the Dockerfile), at most max
 * bytes, into *out (NUL-terminated, to free) and *len; read whether
 * excluded or not (the Dockerfile and the ignore file always are). */
int context_read_file(const struct build_context *c, const char *rel, size_t max, char **out,
		      size_t *len, struct berth_error *err);

/* One source a COPY or ADD names, found in the context. rel is its
 * path there, cleaned ("" for the root), every directory in it a real
 * one (a link on the way was resolved inside the context), so
 * open_beneath(dirfd, rel) reaches it; only its last component may be
 * a link. */
struct ctx_match {
	char *rel;
	bool dir;  /* a directory (never a link to one) */
	bool link; /* a symbolic link, as found: never followed out of the context */
};

/* The sources patterns[0..n) (expanded) name: each cleaned and resolved
 * inside the context, then matched component by component with
 * go_path_match (ignore.h) against what the walk finds, excluded paths
 * never matching. In pattern order, each pattern's matches sorted. A
 * pattern with no match: an error "PATTERN: not found in the build
 * context (or excluded by .dockerignore)"; the caller adds the line. */
int context_match(const struct build_context *c, char *const *patterns, size_t n,
		  struct ctx_match **out, size_t *n_out, struct berth_error *err);
void ctx_matches_free(struct ctx_match *m, size_t n);

#endif
