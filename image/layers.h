/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * layers.h: the merged view of a stack of layers, by the overlay rules
 * (whiteouts, opaque directories, a non-directory hiding everything below
 * it). Lookups use the metadata tables only; the host trees hold data.
 * The importer uses it to resolve tar paths inside the rootfs, `berth image
 * tree` to list an image, berth-fs to answer lookups.
 */
#ifndef BFS_LAYERS_H
#define BFS_LAYERS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>

#include "../lib/error.h"
#include "meta.h"

struct bfs_layer {
	int dirfd;	       /* the layer's host data tree (diff/) */
	struct bfs_meta *meta; /* its metadata table */
	char *name;	       /* for messages: the layer's digest */
};

struct bfs_stack {
	size_t n;
	struct bfs_layer *layers; /* [0] is the top layer */
};

/* The visible entry at a canonical path (no symlinks followed), and which
 * layer holds it; NULL when the path does not exist in the merged view. */
const struct bfs_entry *bfs_stack_lookup(const struct bfs_stack *s, const char *path,
					 size_t *layer);

/* As bfs_stack_lookup, and for a directory the layers whose directory at
 * path is merged into it, top first (contrib has room for s->n). */
const struct bfs_entry *bfs_stack_lookup_dir(const struct bfs_stack *s, const char *path,
					     size_t *layer, size_t *contrib, size_t *n);

/* A directory of the merged tree held for looking up its children (a
 * listing): each lookup costs the name, not the directory's path. NULL
 * (and *e NULL) when path does not exist; *e is its entry. */
struct bfs_stack_dir;
struct bfs_stack_dir *bfs_stack_opendir(const struct bfs_stack *s, const char *path,
					const struct bfs_entry **e);
const struct bfs_entry *bfs_stack_dir_lookup(struct bfs_stack_dir *d, const char *name,
					     size_t *layer);
/* The layers whose directory takes part (top first; contrib has room for
 * s->n); 0 when it is no directory. */
size_t bfs_stack_dir_layers(const struct bfs_stack_dir *d, size_t *contrib);
void bfs_stack_closedir(struct bfs_stack_dir *d);
/* The names in the merged directory path, sorted, each once: each
 * taking part layer's tree listed, a name kept when the merged lookup
 * finds it (a whiteout or an opaque directory above hides it
 * otherwise). *out holds *n names (free each, then *out). */
int bfs_stack_list(const struct bfs_stack *s, const char *path, char ***out, size_t *n,
		   struct berth_error *err);

enum bfs_resolve_flags {
	BFS_FOLLOW_LAST = 1, /* follow a symlink in the last component too */
};

/* Resolve path inside the merged root the way openat2(RESOLVE_IN_ROOT)
 * would: ".." stops at "/", absolute symlink targets restart at the
 * layer root. *out gets the canonical path; *missing is set when some
 * component (the last or an intermediate one) does not exist, in which
 * case the rest is appended lexically. Fails with ENOTDIR or ELOOP. */
int bfs_stack_resolve(const struct bfs_stack *s, const char *path, int flags, char **out,
		      bool *missing, struct berth_error *err);

/* Open the host object behind path in layer l (O_PATH unless flags say
 * otherwise), strictly beneath the layer's tree. */
int bfs_layer_open(const struct bfs_layer *l, const char *path, int flags);
int bfs_layer_readlink(const struct bfs_layer *l, const char *path, char **target);
/* Open a stored layer directory (its meta table and diff/ tree). */
int bfs_layer_load(int dirfd, const char *path, const char *name, struct bfs_layer *out,
		   struct berth_error *err);
/* Close the tree fd and free the table and name. */
void bfs_layer_release(struct bfs_layer *l);

/* Does a path component (len bytes) name a whiteout marker: ".wh."
 * followed by anything (".wh.NAME", ".wh..wh..opq", aufs's ".wh..wh.*")?
 * The OCI image spec reserves these names: no file of a merged tree has
 * one, so a lookup never finds one and a listing never shows one. */
bool bfs_name_is_whiteout(const char *name, size_t len);

/* "/a/b" -> "/a", "/a" -> "/", and the last component. */
char *bfs_path_dirname(const char *path);
const char *bfs_path_basename(const char *path);
char *bfs_path_join(const char *dir, const char *name);

#endif
