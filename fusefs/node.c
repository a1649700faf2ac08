// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * node.c: berth-fs's node table: merged path -> node, with the lookup
 * counts the kernel holds. Presenting a node's attributes combines the
 * image metadata (type, mode, owner, device) with the host object's data
 * attributes (size, times, inode number, link count).
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "../runner/util.h"
#include "fs.h"

static uint64_t hash_path(const char *s)
{
	uint64_t h = 1469598103934665603ULL;
	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 1099511628211ULL;
	}
	return h;
}

void bfs_fs_init(struct bfs_fs *fs)
{
	pthread_mutex_init(&fs->lock, NULL);
	fs->n_buckets = 4096;
	fs->buckets = xcalloc(fs->n_buckets, sizeof(*fs->buckets));
}

static void node_free(struct bfs_node *n)
{
	if (n->fd >= 0)
		close(n->fd);
	free(n->path);
	free(n);
}

void bfs_fs_destroy(struct bfs_fs *fs)
{
	for (size_t i = 0; i < fs->n_buckets; i++) {
		struct bfs_node *n = fs->buckets[i];
		while (n) {
			struct bfs_node *next = n->hnext;
			node_free(n);
			n = next;
		}
	}
	free(fs->buckets);
	pthread_mutex_destroy(&fs->lock);
}

static void grow(struct bfs_fs *fs)
{
	size_t nb = fs->n_buckets * 2;
	struct bfs_node **b = xcalloc(nb, sizeof(*b));

	for (size_t i = 0; i < fs->n_buckets; i++) {
		struct bfs_node *n = fs->buckets[i];
		while (n) {
			struct bfs_node *next = n->hnext;
			size_t k = hash_path(n->path) & (nb - 1);
			n->hnext = b[k];
			b[k] = n;
			n = next;
		}
	}
	free(fs->buckets);
	fs->buckets = b;
	fs->n_buckets = nb;
}

int bfs_node_get(struct bfs_fs *fs, const char *path, struct bfs_node **out)
{
	uint64_t h = hash_path(path);
	struct bfs_node *n;
	const struct bfs_entry *e;
	size_t layer;
	int fd;

	pthread_mutex_lock(&fs->lock);
	for (n = fs->buckets[h & (fs->n_buckets - 1)]; n; n = n->hnext) {
		if (strcmp(n->path, path) == 0) {
			n->nlookup++;
			pthread_mutex_unlock(&fs->lock);
			*out = n;
			return 0;
		}
	}
	pthread_mutex_unlock(&fs->lock);

	/* resolve outside the lock: metadata tables are read-only */
	e = bfs_stack_lookup(&fs->stack, path, &layer);
	if (!e)
		return ENOENT;
	if (layer == SIZE_MAX) /* the default root: no layer records "/" */
		layer = 0;
	fd = bfs_layer_open(&fs->stack.layers[layer], path, O_PATH | O_NOFOLLOW);
	if (fd < 0)
		return errno == ENOENT ? EIO : errno; /* metadata without data */

	pthread_mutex_lock(&fs->lock);
	for (n = fs->buckets[h & (fs->n_buckets - 1)]; n; n = n->hnext) {
		if (strcmp(n->path, path) == 0) { /* another thread was faster */
			n->nlookup++;
			pthread_mutex_unlock(&fs->lock);
			close(fd);
			*out = n;
			return 0;
		}
	}
	n = xcalloc(1, sizeof(*n));
	n->path = xstrdup(path);
	n->layer = layer;
	n->e = e;
	n->fd = fd;
	n->nlookup = 1;
	if (fs->n_nodes >= fs->n_buckets)
		grow(fs);
	n->hnext = fs->buckets[h & (fs->n_buckets - 1)];
	fs->buckets[h & (fs->n_buckets - 1)] = n;
	fs->n_nodes++;
	pthread_mutex_unlock(&fs->lock);
	*out = n;
	return 0;
}

void bfs_node_forget(struct bfs_fs *fs, struct bfs_node *n, uint64_t count)
{
	pthread_mutex_lock(&fs->lock);
	if (n == fs->root || n->nlookup > count) {
		n->nlookup = n == fs->root ? n->nlookup : n->nlookup - count;
		pthread_mutex_unlock(&fs->lock);
		return;
	}
	struct bfs_node **pn = &fs->buckets[hash_path(n->path) & (fs->n_buckets - 1)];
	while (*pn && *pn != n)
		pn = &(*pn)->hnext;
	if (*pn)
		*pn = n->hnext;
	fs->n_nodes--;
	pthread_mutex_unlock(&fs->lock);
	node_free(n);
}

static mode_t type_bits(char type)
{
	switch (type) {
	case BFS_DIR: return S_IFDIR;
	case BFS_LNK: return S_IFLNK;
	case BFS_FIFO: return S_IFIFO;
	case BFS_SOCK: return S_IFSOCK;
	case BFS_CHR: return S_IFCHR;
	case BFS_BLK: return S_IFBLK;
	default: return S_IFREG;
	}
}

int bfs_node_stat(struct bfs_fs *fs, const struct bfs_node *n, struct stat *st)
{
	const struct bfs_entry *e = n->e;

	(void)fs;
	if (fstatat(n->fd, "", st, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) < 0)
		return errno;
	st->st_mode = type_bits(e->type) | (e->type == BFS_LNK ? 0777 : (e->mode & 07777));
	st->st_uid = e->uid;
	st->st_gid = e->gid;
	if (e->type == BFS_CHR || e->type == BFS_BLK)
		st->st_rdev = makedev(e->rdev_major, e->rdev_minor);
	else
		st->st_rdev = 0;
	if (e->type != BFS_REG && e->type != BFS_LNK && e->type != BFS_DIR)
		st->st_size = 0; /* fifos, sockets and devices are empty placeholders */
	/* the image's time, not that of the unpacking */
	st->st_mtim.tv_sec = e->mtime_sec;
	st->st_mtim.tv_nsec = e->mtime_nsec;
	return 0;
}
