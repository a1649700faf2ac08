/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * dir.h: the merged listing of a directory: the names the overlay rules
 * leave visible across the layers whose directory takes part.
 */
#ifndef BFS_DIR_H
#define BFS_DIR_H

#include "fs.h"

struct bfs_dirent {
	char *name;
	char type;
};

struct bfs_dir {
	size_t n;
	struct bfs_dirent *v;
};

/* Caller holds fs->rw (read is enough). Returns 0 or an errno. */
int bfs_dir_list(struct bfs_fs *fs, const char *path, struct bfs_dir **out);
void bfs_dir_free(struct bfs_dir *d);

#endif
