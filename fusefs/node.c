// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * node.c: berth-fs's node table: merged path -> node, with the lookup
 * counts the kernel holds. Presenting a node's attributes combines the
 * image metadata (type, mode, owner, device, mtime) with the host
 * object's data attributes (size, inode number, link count, times).
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "../lib/util.h"
#include "fs.h"

void bfs_fs_init(struct bfs_fs *fs)
{
	pthread_rwlock_init(&fs->rw, NULL);
	pthread_mutex_init(&fs->lock, NULL);
	fs->n_buckets = 4096;
	fs->buckets = xcalloc(fs->n_buckets, sizeof(*fs->buckets));
	fs->upper_dir = fs->log_fd = -1;
}

static void node_free(struct bfs_node *n)
{
	if (n->fd >= 0)
		close(n->fd);
	if (n->data_fd >= 0)
		close(n->data_fd);
	bfs_entry_free(n->e);
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
	pthread_rwlock_destroy(&fs->rw);
}

static void insert(struct bfs_fs *fs, struct bfs_node *n)
{
	size_t k = bfs_hash_path(n->path) & (fs->n_buckets - 1);
	n->hnext = fs->buckets[k];
	fs->buckets[k] = n;
}

static void unhash(struct bfs_fs *fs, struct bfs_node *n)
{
	struct bfs_node **pn = &fs->buckets[bfs_hash_path(n->path) & (fs->n_buckets - 1)];
	while (*pn && *pn != n)
		pn = &(*pn)->hnext;
	if (*pn)
		*pn = n->hnext;
	n->hnext = NULL;
}

static void grow(struct bfs_fs *fs)
{
	size_t old = fs->n_buckets;
	struct bfs_node **b = fs->buckets;

	fs->n_buckets *= 2;
	fs->buckets = xcalloc(fs->n_buckets, sizeof(*fs->buckets));
	for (size_t i = 0; i < old; i++) {
		struct bfs_node *n = b[i];
		while (n) {
			struct bfs_node *next = n->hnext;
			insert(fs, n);
			n = next;
		}
	}
	free(b);
}

static struct bfs_node *find_locked(struct bfs_fs *fs, const char *path)
{
	for (struct bfs_node *n = fs->buckets[bfs_hash_path(path) & (fs->n_buckets - 1)]; n;
	     n = n->hnext)
		if (strcmp(n->path, path) == 0)
			return n;
	return NULL;
}

struct bfs_node *bfs_node_find(struct bfs_fs *fs, const char *path)
{
	pthread_mutex_lock(&fs->lock);
	struct bfs_node *n = find_locked(fs, path);
	pthread_mutex_unlock(&fs->lock);
	return n;
}

/* What the merged tree holds at path: entry copy, layer and host fd.
 * With the parent's node in the same layer, the host object is opened
 * by name below the parent's fd: one component, no walk from the root. */
static int resolve(struct bfs_fs *fs, const char *path, const struct bfs_node *parent,
		   struct bfs_entry **e, size_t *layer, int *fd)
{
	const struct bfs_entry *found = bfs_stack_lookup(&fs->stack, path, layer);

	if (!found)
		return ENOENT;
	if (*layer == SIZE_MAX) /* the default root: no layer records "/" */
		*layer = 0;
	if (parent && parent->path && parent->layer == *layer && parent->e->type == BFS_DIR)
		*fd = openat(parent->fd, bfs_path_basename(path), O_PATH | O_NOFOLLOW | O_CLOEXEC);
	else
		*fd = bfs_layer_open(&fs->stack.layers[*layer], path, O_PATH | O_NOFOLLOW);
	if (*fd < 0)
		return errno == ENOENT ? EIO : errno; /* metadata without data */
	*e = bfs_entry_clone(found, path);
	(*e)->opaque = found->opaque;
	return 0;
}

int bfs_node_get(struct bfs_fs *fs, const char *path, const struct bfs_node *parent,
		 struct bfs_node **out)
{
	struct bfs_node *n;
	struct bfs_entry *e;
	size_t layer;
	int fd, r;

	pthread_mutex_lock(&fs->lock);
	if ((n = find_locked(fs, path))) {
		n->nlookup++;
		pthread_mutex_unlock(&fs->lock);
		*out = n;
		return 0;
	}
	pthread_mutex_unlock(&fs->lock);

	if ((r = resolve(fs, path, parent, &e, &layer, &fd)) != 0)
		return r;
	pthread_mutex_lock(&fs->lock);
	if ((n = find_locked(fs, path))) { /* another reader was faster */
		n->nlookup++;
		pthread_mutex_unlock(&fs->lock);
		close(fd);
		bfs_entry_free(e);
		*out = n;
		return 0;
	}
	n = xcalloc(1, sizeof(*n));
	n->path = xstrdup(path);
	n->layer = layer;
	n->e = e;
	n->fd = fd;
	n->data_fd = -1;
	n->nlookup = 1;
	if (fs->n_nodes >= fs->n_buckets)
		grow(fs);
	insert(fs, n);
	fs->n_nodes++;
	pthread_mutex_unlock(&fs->lock);
	*out = n;
	return 0;
}

int bfs_node_refresh(struct bfs_fs *fs, struct bfs_node *n)
{
	struct bfs_entry *e;
	size_t layer;
	int fd, r;

	if (!n->path)
		return 0;
	/* while a node has its path, the object there in one layer stays the
	 * same (an unlink or a rename over it makes the node an orphan): a
	 * change of attributes needs only the new entry */
	const struct bfs_entry *found = bfs_stack_lookup(&fs->stack, n->path, &layer);
	if (found && (layer == n->layer || (layer == SIZE_MAX && n->layer == 0))) {
		e = bfs_entry_clone(found, n->path);
		e->opaque = found->opaque;
		bfs_entry_free(n->e);
		n->e = e;
		return 0;
	}
	if ((r = resolve(fs, n->path, NULL, &e, &layer, &fd)) != 0)
		return r;
	close(n->fd);
	bfs_entry_free(n->e);
	n->fd = fd;
	n->e = e;
	if (n->data_fd >= 0) { /* another object: another layer */
		close(n->data_fd);
		n->data_fd = -1;
	}
	n->layer = layer;
	return 0;
}

int bfs_node_data_fd(struct bfs_fs *fs, struct bfs_node *n, int *out)
{
	int fd = __atomic_load_n(&n->data_fd, __ATOMIC_ACQUIRE);
	char proc[64];
	bool rw;

	if (fd >= 0) {
		*out = fd;
		return 0;
	}
	if (n->e->type != BFS_REG)
		return n->e->type == BFS_DIR ? EISDIR : ENXIO;
	/* upper objects open for writing too, so a later write needs no
	 * other fd; an object some host process runs (ETXTBSY) is read-only */
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", n->fd);
	rw = fs->writable && n->layer == 0;
	fd = rw ? open(proc, O_RDWR | O_CLOEXEC) : -1;
	if (fd < 0) {
		rw = false;
		fd = open(proc, O_RDONLY | O_CLOEXEC);
	}
	if (fd < 0)
		return errno;
	pthread_mutex_lock(&fs->lock);
	if (n->data_fd >= 0) { /* another reader was faster */
		close(fd);
		fd = n->data_fd;
	} else {
		n->data_rw = rw;
		__atomic_store_n(&n->data_fd, fd, __ATOMIC_RELEASE);
	}
	pthread_mutex_unlock(&fs->lock);
	*out = fd;
	return 0;
}

void bfs_node_set_data_fd(struct bfs_fs *fs, struct bfs_node *n, int fd, bool rw)
{
	pthread_mutex_lock(&fs->lock);
	if (n->data_fd >= 0)
		close(n->data_fd);
	n->data_rw = rw;
	__atomic_store_n(&n->data_fd, fd, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&fs->lock);
}

void bfs_node_refresh_path(struct bfs_fs *fs, const char *path)
{
	/* under the table's lock: a forget cannot free it meanwhile */
	pthread_mutex_lock(&fs->lock);
	struct bfs_node *n = find_locked(fs, path);
	if (n)
		bfs_node_refresh(fs, n);
	pthread_mutex_unlock(&fs->lock);
}

void bfs_node_orphan(struct bfs_fs *fs, const char *path)
{
	pthread_mutex_lock(&fs->lock);
	struct bfs_node *n = find_locked(fs, path);
	if (n && n != fs->root) {
		unhash(fs, n);
		free(n->path);
		n->path = NULL;
	}
	pthread_mutex_unlock(&fs->lock);
}

static bool at_or_below(const char *path, const char *dir)
{
	size_t l = strlen(dir);
	return strncmp(path, dir, l) == 0 && (path[l] == '\0' || path[l] == '/');
}

void bfs_node_rekey(struct bfs_fs *fs, const char *from, const char *to)
{
	struct bfs_node *moved = NULL;

	pthread_mutex_lock(&fs->lock);
	for (size_t i = 0; i < fs->n_buckets; i++) {
		struct bfs_node **pn = &fs->buckets[i];
		while (*pn) {
			struct bfs_node *n = *pn;
			if (n != fs->root && at_or_below(n->path, from)) {
				*pn = n->hnext;
				char *np = xasprintf("%s%s", to, n->path + strlen(from));
				free(n->path);
				n->path = np;
				free(n->e->path);
				n->e->path = xstrdup(np);
				n->hnext = moved;
				moved = n;
				continue;
			}
			pn = &n->hnext;
		}
	}
	while (moved) {
		struct bfs_node *next = moved->hnext;
		insert(fs, moved);
		moved = next;
	}
	pthread_mutex_unlock(&fs->lock);
}

void bfs_node_refresh_below(struct bfs_fs *fs, const char *path)
{
	pthread_mutex_lock(&fs->lock);
	for (size_t i = 0; i < fs->n_buckets; i++)
		for (struct bfs_node *n = fs->buckets[i]; n; n = n->hnext)
			if (n != fs->root && at_or_below(n->path, path))
				bfs_node_refresh(fs, n); /* the path is unchanged */
	pthread_mutex_unlock(&fs->lock);
}

void bfs_node_forget(struct bfs_fs *fs, struct bfs_node *n, uint64_t count)
{
	pthread_mutex_lock(&fs->lock);
	if (n == fs->root || n->nlookup > count) {
		if (n != fs->root)
			n->nlookup -= count;
		pthread_mutex_unlock(&fs->lock);
		return;
	}
	if (n->path)
		unhash(fs, n);
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

double bfs_node_timeout(const struct bfs_fs *fs, const struct bfs_node *n, const struct stat *st)
{
	/* Every change to the merged tree comes through this mount and the
	 * kernel updates or drops what it cached itself; where berth-fs
	 * changes more than the request's node, it tells the kernel. Except
	 * hardlinks in the upper layer: each name is its own node here, so a
	 * change through one would leave the others stale. */
	if (fs->writable && n->layer == 0 && st->st_nlink > 1 && !S_ISDIR(st->st_mode))
		return 0;
	return fs->timeout;
}

int bfs_node_stat(struct bfs_fs *fs, const struct bfs_node *n, struct stat *st)
{
	const struct bfs_entry *e = n->e;

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
	/* a lower object shows the image's time, not that of the unpacking;
	 * the upper layer's objects have their real times */
	if (!fs->writable || n->layer != 0) {
		st->st_mtim.tv_sec = e->mtime_sec;
		st->st_mtim.tv_nsec = e->mtime_nsec;
	}
	return 0;
}
