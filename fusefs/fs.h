/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fs.h: berth-fs's state: the layer stack it presents and its node table.
 * Each FUSE node is one path of the merged tree; it keeps the layer that
 * holds the visible entry, that entry's metadata and an O_PATH fd on the
 * host object, so attribute and data operations need no path walk.
 */
#ifndef BFS_FS_H
#define BFS_FS_H

#define FUSE_USE_VERSION 35
#include <fuse_lowlevel.h>
#include <pthread.h>
#include <stdint.h>

#include "layers.h"

struct bfs_node {
	char *path;
	size_t layer;		   /* index in the stack of the visible entry */
	const struct bfs_entry *e; /* its metadata (lower layers are immutable) */
	int fd;			   /* O_PATH on the host object */
	uint64_t nlookup;	   /* the kernel's references (under fs->lock) */
	struct bfs_node *hnext;
};

struct bfs_fs {
	struct bfs_stack stack;
	double timeout;	      /* entry and attribute cache, seconds */
	pthread_mutex_t lock; /* the node table; taken alone */
	struct bfs_node **buckets;
	size_t n_buckets, n_nodes;
	struct bfs_node *root;
};

extern const struct fuse_lowlevel_ops bfs_ops;

/* Find or make the node for a merged path (the lookup count is raised). */
int bfs_node_get(struct bfs_fs *fs, const char *path, struct bfs_node **out);
void bfs_node_forget(struct bfs_fs *fs, struct bfs_node *n, uint64_t count);
int bfs_node_stat(struct bfs_fs *fs, const struct bfs_node *n, struct stat *st);
void bfs_fs_init(struct bfs_fs *fs);
void bfs_fs_destroy(struct bfs_fs *fs);

#endif
