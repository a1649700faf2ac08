// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * upper.c: berth-fs's writable layer. It has a store layer's shape
 * (diff/ + meta, docs/storage.md) so a container's changes can become an
 * image layer as they are. The metadata table lives in memory; every
 * change is appended to meta.log first ("+<TAB>entry" or "-<TAB>path"),
 * which a later mount replays, and folded into meta at unmount.
 * Copy-up brings lower objects into the upper tree before they change.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../lib/syscalls.h"
#include "../lib/util.h"
#include "dir.h"
#include "fs.h"

#define LOG_MAX ((size_t)1 << 30)

static int copy_data(int in, int out);

static bool is_regular(int fd)
{
	struct stat st;
	return fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
}

static struct bfs_meta *upper_meta(struct bfs_fs *fs)
{
	return fs->stack.layers[0].meta;
}

static int log_line(struct bfs_fs *fs, const char *tag, const char *body)
{
	_cleanup_free_ char *line = xasprintf("%s\t%s", tag, body);
	return write_all(fs->log_fd, line, strlen(line)) < 0 ? errno : 0;
}

int bfs_upper_put(struct bfs_fs *fs, struct bfs_entry *e)
{
	_cleanup_free_ char *line = bfs_entry_format(e);
	int r = log_line(fs, "+", line);

	if (r) {
		bfs_entry_free(e);
		return r;
	}
	bfs_meta_put(upper_meta(fs), e);
	return 0;
}

int bfs_upper_remove(struct bfs_fs *fs, const char *path, bool subtree)
{
	const struct bfs_entry *e0 = bfs_meta_get(upper_meta(fs), path);
	_cleanup_free_ char *esc = NULL, *body = NULL;
	int r;

	/* the upper layer records every parent of what it holds: without an
	 * entry at path there is nothing below it either */
	if (!e0)
		return 0;
	esc = bfs_escape(path);
	body = xasprintf("%s\n", esc);
	if ((r = log_line(fs, "-", body)) != 0)
		return r;
	/* a directory's subtree means a scan of the table: an emptied one
	 * (rmdir) can only have whiteouts left below it */
	bfs_meta_remove(upper_meta(fs), path,
			e0->type == BFS_DIR && (subtree || bfs_meta_whiteouts(upper_meta(fs)) > 0));
	return 0;
}

int bfs_upper_open(struct bfs_fs *fs, const char *upperdir, struct berth_error *err)
{
	struct bfs_layer up = { .dirfd = -1 };
	_cleanup_free_ char *buf = NULL;
	size_t len = 0;
	int fd;

	if (mkdir(upperdir, 0700) < 0 && errno != EEXIST)
		return berth_error_set(err, errno, "upperdir %s", upperdir);
	fs->upper_dir = open(upperdir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fs->upper_dir < 0)
		return berth_error_set(err, errno, "upperdir %s", upperdir);
	if (mkdirat(fs->upper_dir, "diff", 0700) < 0 && errno != EEXIST)
		return berth_error_set(err, errno, "upperdir %s/diff", upperdir);
	if (faccessat(fs->upper_dir, "meta", F_OK, AT_SYMLINK_NOFOLLOW) == 0) {
		if (bfs_meta_read(fs->upper_dir, "meta", &up.meta, err) < 0)
			return berth_error_wrap(err, "upperdir %s", upperdir);
	} else {
		up.meta = bfs_meta_new();
	}
	/* the directory may be one the user named (image mount --upper):
	 * nothing in it is followed, and a FIFO in place of a file is
	 * refused rather than waited on */
	fd = openat(fs->upper_dir, "meta.log", O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	if (fd >= 0 && !is_regular(fd)) {
		close(fd);
		bfs_meta_free(up.meta);
		return berth_error_set(err, 0, "upperdir %s: meta.log is not a regular file",
				       upperdir);
	}
	if (fd >= 0) {
		int r = read_fd_all(fd, LOG_MAX, &buf, &len, err);
		close(fd);
		if (r < 0) {
			bfs_meta_free(up.meta);
			return berth_error_wrap(err, "upperdir %s: meta.log", upperdir);
		}
		bfs_meta_replay(up.meta, buf, len);
	}
	up.dirfd = openat(fs->upper_dir, "diff", O_PATH | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	up.name = xstrdup(upperdir);
	fs->log_fd =
		openat(fs->upper_dir, "meta.log",
		       O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK, 0600);
	if (fs->log_fd >= 0 && !is_regular(fs->log_fd)) {
		close(fs->log_fd);
		fs->log_fd = -1;
		errno = EINVAL;
	}
	if (up.dirfd < 0 || fs->log_fd < 0) {
		bfs_layer_release(&up);
		return berth_error_set(err, errno, "upperdir %s", upperdir);
	}
	/* the upper layer goes on top of the stack */
	fs->stack.layers =
		xrealloc(fs->stack.layers, (fs->stack.n + 1) * sizeof(*fs->stack.layers));
	memmove(fs->stack.layers + 1, fs->stack.layers, fs->stack.n * sizeof(*fs->stack.layers));
	fs->stack.layers[0] = up;
	fs->stack.n++;
	fs->writable = true;
	if (!bfs_meta_get(up.meta, "/")) {
		const struct bfs_entry *root = bfs_stack_lookup(&fs->stack, "/", NULL);
		struct bfs_entry *e =
			root ? bfs_entry_clone(root, "/") : bfs_entry_new("/", BFS_DIR);
		if (!root)
			e->mode = 0755;
		int r = bfs_upper_put(fs, e);
		if (r)
			return berth_error_set(err, r, "upperdir %s: meta.log", upperdir);
	}
	return 0;
}

int bfs_upper_close(struct bfs_fs *fs, struct berth_error *err)
{
	_cleanup_close_ int fd = -1;

	if (!fs->writable)
		return 0;
	/* fold the log into the table: meta first, then an empty log, so a
	 * crash in between only replays changes meta already has. A new
	 * file, never what a name left there leads to (a link planted in a
	 * directory the user named). */
	if (unlinkat(fs->upper_dir, "meta.tmp", 0) < 0 && errno != ENOENT)
		return berth_error_set(err, errno, "writing the upper layer's metadata");
	fd = openat(fs->upper_dir, "meta.tmp", O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
		    0644);
	if (fd < 0 || bfs_meta_write(upper_meta(fs), fd, err) < 0 || fsync(fd) < 0 ||
	    renameat(fs->upper_dir, "meta.tmp", fs->upper_dir, "meta") < 0) {
		if (!err->msg)
			berth_error_set(err, errno, "writing the upper layer's metadata");
		return -1;
	}
	if (ftruncate(fs->log_fd, 0) < 0)
		return berth_error_set(err, errno, "truncating meta.log");
	return 0;
}

bool bfs_lower_has(struct bfs_fs *fs, const char *path)
{
	struct bfs_stack lowers = { .n = fs->stack.n - 1, .layers = fs->stack.layers + 1 };
	return fs->stack.n > 1 && bfs_stack_lookup(&lowers, path, NULL) != NULL;
}

/* The other names of one file (its host object dev, ino), found in a
 * walk of a layer's table: the table does not group names by inode. */
struct names_of {
	const char *self;
	dev_t dev;
	ino_t ino;
	char **v;
	size_t n;
};

/* e, when it is another name of that file, opened in layer. */
static void names_of_add(struct names_of *no, const struct bfs_entry *e,
			 const struct bfs_layer *layer)
{
	struct stat st;
	int fd;

	if (e->type != BFS_REG || strcmp(e->path, no->self) == 0)
		return;
	fd = bfs_layer_open(layer, e->path, O_PATH | O_NOFOLLOW);
	if (fd < 0)
		return;
	if (fstat(fd, &st) == 0 && st.st_dev == no->dev && st.st_ino == no->ino) {
		no->v = xrealloc(no->v, (no->n + 1) * sizeof(*no->v));
		no->v[no->n++] = xstrdup(e->path);
	}
	close(fd);
}

static void names_of_free(struct names_of *no)
{
	for (size_t i = 0; i < no->n; i++)
		free(no->v[i]);
	free(no->v);
}

struct link_names {
	struct names_of names;
	const struct bfs_layer *upper;
};

static int find_link_name(struct bfs_entry *e, void *data)
{
	struct link_names *ln = data;

	names_of_add(&ln->names, e, ln->upper);
	return 0;
}

int bfs_upper_adopt_orphan(struct bfs_fs *fs, struct bfs_node *n)
{
	_cleanup_close_ int in = -1;
	char proc[64];
	int out, keep, r;

	/* O_TMPFILE: no name in the upper tree, gone with its last fd */
	out = openat(fs->stack.layers[0].dirfd, ".", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (out < 0)
		return errno;
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", n->fd);
	in = open(proc, O_RDONLY | O_CLOEXEC);
	if (in < 0 || (r = copy_data(in, out)) != 0 ||
	    (keep = fcntl(out, F_DUPFD_CLOEXEC, 3)) < 0) {
		r = in < 0 ? errno : r ? r : errno;
		close(out);
		return r;
	}
	close(n->fd);
	n->fd = keep;
	n->layer = 0;
	bfs_node_set_data_fd(fs, n, out, true);
	return 0;
}

int bfs_upper_sync_links(struct bfs_fs *fs, const struct bfs_node *n)
{
	struct link_names ln = { .names.self = n->path, .upper = &fs->stack.layers[0] };
	struct stat st;
	int r = 0;

	if (!n->path || n->layer != 0 || n->e->type != BFS_REG ||
	    fstatat(n->fd, "", &st, AT_EMPTY_PATH) < 0 || st.st_nlink < 2)
		return 0;
	/* the table does not group names by inode: find them by their host
	 * object (a scan, paid only for a file with several names) */
	ln.names.dev = st.st_dev;
	ln.names.ino = st.st_ino;
	bfs_meta_foreach(upper_meta(fs), find_link_name, &ln);
	for (size_t i = 0; i < ln.names.n && r == 0; i++)
		if ((r = bfs_upper_put(fs, bfs_entry_clone(n->e, ln.names.v[i]))) == 0)
			bfs_node_refresh_path(fs, ln.names.v[i]);
	names_of_free(&ln.names);
	return r;
}

int bfs_upper_parent(struct bfs_fs *fs, const char *path, int *fd)
{
	_cleanup_free_ char *dir = bfs_path_dirname(path);

	*fd = bfs_layer_open(&fs->stack.layers[0], dir, O_PATH | O_DIRECTORY);
	return *fd < 0 ? errno : 0;
}

int bfs_upper_ensure_dir(struct bfs_fs *fs, const char *dir)
{
	_cleanup_free_ char *prefix = xmalloc(strlen(dir) + 2);

	for (const char *p = dir;;) {
		const char *end = strchr(p + 1, '/');
		size_t len = end ? (size_t)(end - dir) : strlen(dir);
		const struct bfs_entry *e0, *lower;

		memcpy(prefix, dir, len);
		prefix[len] = '\0';
		if (len == 0 || strcmp(prefix, "/") == 0)
			goto next;
		e0 = bfs_meta_get(upper_meta(fs), prefix);
		if (e0 && e0->type == BFS_DIR)
			goto next;
		if (e0)
			return e0->type == BFS_WHITEOUT ? ENOENT : ENOTDIR;
		lower = bfs_stack_lookup(&fs->stack, prefix, NULL);
		if (!lower)
			return ENOENT;
		if (lower->type != BFS_DIR)
			return ENOTDIR;
		{
			_cleanup_close_ int pfd = -1;
			struct bfs_entry *ne = bfs_entry_clone(lower, prefix);
			int r = bfs_upper_parent(fs, prefix, &pfd);
			if (r == 0 && mkdirat(pfd, bfs_path_basename(prefix),
					      bfs_host_mode(BFS_DIR, ne->mode)) < 0)
				r = errno;
			if (r) {
				bfs_entry_free(ne);
				return r;
			}
			if ((r = bfs_upper_put(fs, ne)) != 0)
				return r;
		}
	next:
		if (!end)
			return 0;
		p = end;
	}
}

static int copy_data(int in, int out)
{
	for (;;) {
		ssize_t n = copy_file_range(in, NULL, out, NULL, 1 << 30, 0);
		if (n == 0)
			return 0;
		if (n > 0)
			continue;
		if (errno != EXDEV && errno != ENOSYS && errno != EINVAL && errno != EOPNOTSUPP)
			return errno;
		break; /* no in-kernel copy here: do it by hand */
	}
	char buf[1 << 16];
	for (;;) {
		ssize_t n = read(in, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return errno;
		if (n == 0)
			return 0;
		if (write_all(out, buf, (size_t)n) < 0)
			return errno;
	}
}

struct siblings {
	struct names_of names;
	struct bfs_fs *fs;
};

static int find_sibling(struct bfs_entry *e, void *data)
{
	struct siblings *sb = data;
	size_t layer;

	/* only names still visible from a lower layer: the upper has the rest */
	if (e->type != BFS_REG || !bfs_stack_lookup(&sb->fs->stack, e->path, &layer) || layer == 0)
		return 0;
	names_of_add(&sb->names, e, &sb->fs->stack.layers[layer]);
	return 0;
}

/* A lower file with several names is copied up once: every other name
 * still visible is linked to the copy, so the names keep one inode. */
static int link_siblings(struct bfs_fs *fs, const char *path, const struct stat *lower_st)
{
	struct siblings sb = {
		.names = { .self = path, .dev = lower_st->st_dev, .ino = lower_st->st_ino },
		.fs = fs,
	};
	const char *base = bfs_path_basename(path);
	int r = 0;

	for (size_t l = 1; l < fs->stack.n; l++)
		bfs_meta_foreach(fs->stack.layers[l].meta, find_sibling, &sb);
	for (size_t i = 0; i < sb.names.n; i++) {
		_cleanup_free_ char *dir = bfs_path_dirname(sb.names.v[i]);
		_cleanup_close_ int spfd = -1, dpfd = -1;
		const struct bfs_entry *e = bfs_stack_lookup(&fs->stack, sb.names.v[i], NULL);

		if (r || !e)
			continue;
		if ((r = bfs_upper_ensure_dir(fs, dir)) != 0)
			continue;
		if ((r = bfs_upper_parent(fs, path, &spfd)) != 0 ||
		    (r = bfs_upper_parent(fs, sb.names.v[i], &dpfd)) != 0)
			continue;
		if (linkat(spfd, base, dpfd, bfs_path_basename(sb.names.v[i]), 0) < 0) {
			r = errno;
			continue;
		}
		if ((r = bfs_upper_put(fs, bfs_entry_clone(e, sb.names.v[i]))) != 0)
			continue;
		/* a node the kernel knows for that name: re-point it and drop
		 * its cached attributes and pages */
		struct bfs_node *n = bfs_node_find(fs, sb.names.v[i]);
		if (n && bfs_node_refresh(fs, n) == 0 && fs->se)
			fuse_lowlevel_notify_inval_inode(fs->se, (fuse_ino_t)(uintptr_t)n, 0, 0);
	}
	names_of_free(&sb.names);
	return r;
}

/* Copy one object from its lower layer into the upper tree. */
static int copy_one(struct bfs_fs *fs, const char *path, const struct bfs_entry *e, size_t layer)
{
	_cleanup_free_ char *dir = bfs_path_dirname(path);
	_cleanup_close_ int pfd = -1, in = -1, out = -1;
	const char *base = bfs_path_basename(path);
	struct stat lower_st = { .st_nlink = 1 };
	struct bfs_entry *ne;
	int r;

	if ((r = bfs_upper_ensure_dir(fs, dir)) != 0)
		return r;
	if ((r = bfs_upper_parent(fs, path, &pfd)) != 0)
		return r;
	switch (e->type) {
	case BFS_DIR:
		if (mkdirat(pfd, base, bfs_host_mode(BFS_DIR, e->mode)) < 0)
			return errno;
		break;
	case BFS_LNK: {
		_cleanup_free_ char *target = NULL;
		if (bfs_layer_readlink(&fs->stack.layers[layer], path, &target) < 0)
			return errno;
		if (symlinkat(target, pfd, base) < 0)
			return errno;
		break;
	}
	default:
		out = openat(pfd, base, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
			     bfs_host_mode(e->type, e->mode));
		if (out < 0)
			return errno;
		if (e->type == BFS_REG) {
			in = bfs_layer_open(&fs->stack.layers[layer], path, O_RDONLY | O_NOFOLLOW);
			if (in < 0 || (r = copy_data(in, out)) != 0 || fstat(in, &lower_st) < 0) {
				r = in < 0 || r == 0 ? errno : r;
				unlinkat(pfd, base, 0);
				return r;
			}
		}
	}
	/* the copy keeps the image's time (the data is the same) */
	struct timespec ts[2] = { { .tv_sec = e->mtime_sec, .tv_nsec = e->mtime_nsec },
				  { .tv_sec = e->mtime_sec, .tv_nsec = e->mtime_nsec } };
	utimensat(pfd, base, ts, AT_SYMLINK_NOFOLLOW);
	ne = bfs_entry_clone(e, path);
	if ((r = bfs_upper_put(fs, ne)) != 0)
		return r;
	if (lower_st.st_nlink <= 1)
		return 0;
	/* the names now share the copy's inode number: the kernel must drop
	 * the lower one it caches for this name too (attributes only: the
	 * request copying up may hold this file's pages locked) */
	struct bfs_node *self = bfs_node_find(fs, path);
	if (self && fs->se)
		fuse_lowlevel_notify_inval_inode(fs->se, (fuse_ino_t)(uintptr_t)self, -1, 0);
	return link_siblings(fs, path, &lower_st);
}

int bfs_copy_up(struct bfs_fs *fs, const char *path, bool deep)
{
	size_t layer;
	const struct bfs_entry *e = bfs_stack_lookup(&fs->stack, path, &layer);
	struct bfs_dir *d = NULL;
	int r;

	if (!e)
		return ENOENT;
	if (layer != 0 && layer != SIZE_MAX && (r = copy_one(fs, path, e, layer)) != 0)
		return r;
	if (!deep || e->type != BFS_DIR)
		return 0;
	if ((r = bfs_dir_list(fs, path, &d)) != 0)
		return r;
	for (size_t i = 0; i < d->n && r == 0; i++) {
		_cleanup_free_ char *child = bfs_path_join(path, d->v[i].name);
		r = bfs_copy_up(fs, child, true);
	}
	bfs_dir_free(d);
	return r;
}
