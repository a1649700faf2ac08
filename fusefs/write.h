/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * write.h: the tree-changing workers behind berth-fs's FUSE operations.
 * Each returns 0 or an errno (never -errno: docs/design.md, berth-fs);
 * callers hold fs->rw for writing.
 */
#ifndef BFS_WRITE_H
#define BFS_WRITE_H

#include "fs.h"

int bfs_create_entry(struct bfs_fs *fs, fuse_req_t req, struct bfs_node *parent, const char *name,
		     mode_t mode, dev_t rdev, const char *target, int *fd_out,
		     struct fuse_entry_param *ep);
int bfs_remove_entry(struct bfs_fs *fs, struct bfs_node *parent, const char *name, bool dir);
int bfs_rename(struct bfs_fs *fs, struct bfs_node *parent, const char *name,
	       struct bfs_node *newparent, const char *newname, unsigned flags);
int bfs_link(struct bfs_fs *fs, struct bfs_node *n, struct bfs_node *newparent, const char *newname,
	     struct fuse_entry_param *ep);
int bfs_make_upper(struct bfs_fs *fs, struct bfs_node *n);
/* n's data fd, opened for writing, after a copy-up when n is in a lower
 * layer, into *fd (which stays the node's). */
int bfs_writable_fd(struct bfs_fs *fs, struct bfs_node *n, int *fd);
int bfs_setattr(struct bfs_fs *fs, struct bfs_node *n, struct stat *attr, int to_set,
		struct fuse_file_info *fi);
int bfs_setxattr(struct bfs_fs *fs, struct bfs_node *n, const char *name, const char *value,
		 size_t size, int flags);
int bfs_removexattr(struct bfs_fs *fs, struct bfs_node *n, const char *name);

#endif
