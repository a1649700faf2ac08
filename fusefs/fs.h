/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fs.h: berth-fs's state: the layer stack it presents (with the writable
 * upper layer, when there is one, as layers[0]) and its node table. Each
 * FUSE node is one path of the merged tree; it keeps the layer that holds
 * the visible entry, its own copy of that entry's metadata and an O_PATH
 * fd on the host object, so attribute and data operations need no walk.
 */
#ifndef BFS_FS_H
#define BFS_FS_H

#define FUSE_USE_VERSION 35
#include <fuse_lowlevel.h>
#include <pthread.h>
#include <stdint.h>

#include "../image/layers.h"

struct bfs_node {
	char *path;	     /* NULL once unlinked or replaced (an orphan) */
	size_t layer;	     /* index in the stack of the visible entry */
	struct bfs_entry *e; /* the node's own copy of the entry */
	int fd;		     /* O_PATH on the host object */
	/* Regular files: an open fd on the host object for reads and writes,
	 * made at first use (berth-fs does not take the kernel's opens, see
	 * ops.c); installed under fs->lock, replaced under fs->rw held for
	 * writing. rw: it was opened for writing (upper objects only). */
	int data_fd;
	bool data_rw;
	uint64_t nlookup; /* the kernel's references (under fs->lock) */
	struct bfs_node *hnext;
};

struct bfs_fs {
	struct bfs_stack stack;
	bool writable;		 /* layers[0] is the upper layer */
	int upper_dir;		 /* the upper layer directory (meta, meta.log, diff/) */
	int log_fd;		 /* meta.log, O_APPEND */
	double timeout;		 /* entry and attribute cache, seconds */
	bool no_open;		 /* the kernel sends no open/release for files */
	struct fuse_session *se; /* to tell the kernel what changed under it */
	/* Lock order: rw (the merged tree: metadata tables, host trees,
	 * node paths) before lock (the node table). */
	pthread_rwlock_t rw;
	pthread_mutex_t lock;
	struct bfs_node **buckets;
	size_t n_buckets, n_nodes;
	struct bfs_node *root;
};

extern const struct fuse_lowlevel_ops bfs_ops;

/* Find or make the node for a merged path (its lookup count is raised);
 * parent, when known, is the node of its directory. Callers hold fs->rw. */
int bfs_node_get(struct bfs_fs *fs, const char *path, const struct bfs_node *parent,
		 struct bfs_node **out);
void bfs_node_forget(struct bfs_fs *fs, struct bfs_node *n, uint64_t count);
int bfs_node_stat(struct bfs_fs *fs, const struct bfs_node *n, struct stat *st);
/* How long the kernel may cache a node's entry and attributes (given
 * the attributes bfs_node_stat presented). */
double bfs_node_timeout(const struct bfs_fs *fs, const struct bfs_node *n, const struct stat *st);
/* Point a node at what now holds its path (after copy-up or a change of
 * its entry). Caller holds fs->rw for writing. */
int bfs_node_refresh(struct bfs_fs *fs, struct bfs_node *n);
/* n's data fd (see struct bfs_node), made if needed, into *fd (which
 * stays the node's). Returns 0 or an errno. Callers hold fs->rw. */
int bfs_node_data_fd(struct bfs_fs *fs, struct bfs_node *n, int *fd);
/* Give n the data fd fd (taking it over). Callers hold fs->rw. */
void bfs_node_set_data_fd(struct bfs_fs *fs, struct bfs_node *n, int fd, bool rw);
/* Re-point the node at path, if the kernel knows one. */
void bfs_node_refresh_path(struct bfs_fs *fs, const char *path);
/* The node at path, if the kernel knows one (no reference taken). */
struct bfs_node *bfs_node_find(struct bfs_fs *fs, const char *path);
/* Detach the node at path (it was unlinked or replaced). */
void bfs_node_orphan(struct bfs_fs *fs, const char *path);
/* Re-point every node at or below path (after it moved or was copied up). */
void bfs_node_refresh_below(struct bfs_fs *fs, const char *path);
/* Rename every node at or below from to the same place below to. */
void bfs_node_rekey(struct bfs_fs *fs, const char *from, const char *to);
void bfs_fs_init(struct bfs_fs *fs);
void bfs_fs_destroy(struct bfs_fs *fs);

/* upper.c: the writable layer */
int bfs_upper_open(struct bfs_fs *fs, const char *upperdir, struct berth_error *err);
int bfs_upper_close(struct bfs_fs *fs, struct berth_error *err);
/* Record a changed entry / a removed path in the upper table and log;
 * subtree: records below it may remain (else only whiteouts can). */
int bfs_upper_put(struct bfs_fs *fs, struct bfs_entry *e);
int bfs_upper_remove(struct bfs_fs *fs, const char *path, bool subtree);
/* Directories down to dir exist in the upper layer (attributes cloned). */
int bfs_upper_ensure_dir(struct bfs_fs *fs, const char *dir);
/* Bring path (and, for a directory, its whole visible subtree when deep)
 * into the upper layer. */
int bfs_copy_up(struct bfs_fs *fs, const char *path, bool deep);
/* Is something at path in a lower layer (what a delete must white out)? */
bool bfs_lower_has(struct bfs_fs *fs, const char *path);
/* After a change of n's attributes: the same on the other names of its
 * host inode (hardlinks; each name has its own entry and node). */
int bfs_upper_sync_links(struct bfs_fs *fs, const struct bfs_node *n);
/* An orphaned lower file (unlinked while open) about to be written: its
 * data copied into an unnamed upper file, which becomes n's object. */
int bfs_upper_adopt_orphan(struct bfs_fs *fs, struct bfs_node *n);
/* An O_PATH fd on the parent directory of path in the upper tree, into
 * *fd (the caller's to close). Returns 0 or an errno. */
int bfs_upper_parent(struct bfs_fs *fs, const char *path, int *fd);

#endif
