// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * write.c: berth-fs's operations that change the tree (when it has an
 * upper layer): create, mkdir, mknod, symlink, link, unlink, rmdir,
 * rename, setattr, writes, xattrs. Each holds fs->rw for writing, copies
 * what it changes up into the upper layer first, records the new
 * metadata (upper.c) and points the kernel's nodes at the result.
 * Owners and modes live in the metadata, so chown and chmod never need a
 * privilege on the host.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

#include "../lib/util.h"
#include "dir.h"
#include "fs.h"
#include "write.h"

static struct bfs_meta *upper_meta(struct bfs_fs *fs)
{
	return fs->stack.layers[0].meta;
}

/* The reply for a name that now exists: its node and attributes. */
static int entry_param(struct bfs_fs *fs, const char *path, const struct bfs_node *parent,
		       struct fuse_entry_param *ep)
{
	struct bfs_node *n;
	int r;

	memset(ep, 0, sizeof(*ep));
	/* a node the kernel already knows is re-pointed at the new object */
	bool known = bfs_node_find(fs, path) != NULL;
	if ((r = bfs_node_get(fs, path, parent, &n)) != 0)
		return r;
	if ((known && (r = bfs_node_refresh(fs, n)) != 0) ||
	    (r = bfs_node_stat(fs, n, &ep->attr)) != 0) {
		bfs_node_forget(fs, n, 1);
		return r;
	}
	ep->ino = (fuse_ino_t)(uintptr_t)n;
	ep->attr_timeout = ep->entry_timeout = bfs_node_timeout(fs, n, &ep->attr);
	return 0;
}

/* A name a container may give a new object: not a whiteout's (.wh.*),
 * which the merged tree never shows (layers.c) and which `commit` would
 * write as a whiteout of a sibling. */
static int new_name_ok(const char *name)
{
	return bfs_name_is_whiteout(name, strlen(name)) ? EINVAL : 0;
}

static char *child_path(struct bfs_node *parent, const char *name, int *err)
{
	if (!parent->path) {
		*err = ENOENT;
		return NULL;
	}
	if (parent->e->type != BFS_DIR) {
		*err = ENOTDIR;
		return NULL;
	}
	if (strlen(name) > 255) {
		*err = ENAMETOOLONG;
		return NULL;
	}
	return bfs_path_join(parent->path, name);
}

static int now_entry(struct bfs_entry *e)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	e->mtime_sec = ts.tv_sec;
	e->mtime_nsec = (uint32_t)ts.tv_nsec;
	return 0;
}

/* An fd on the upper directory that holds path, into *fd: the parent
 * node's own when it is in the upper layer already (no walk from the
 * root). */
static int parent_dirfd(struct bfs_fs *fs, const struct bfs_node *parent, const char *path, int *fd)
{
	if (parent->path && parent->layer == 0 && parent->e->type == BFS_DIR) {
		*fd = fcntl(parent->fd, F_DUPFD_CLOEXEC, 3);
		return *fd < 0 ? errno : 0;
	}
	return bfs_upper_parent(fs, path, fd);
}

/* The entry type of a file type in mode (0: a regular file). */
static int type_of(mode_t mode, char *type)
{
	switch (mode & S_IFMT) {
	case S_IFDIR: *type = BFS_DIR; return 0;
	case S_IFLNK: *type = BFS_LNK; return 0;
	case S_IFIFO: *type = BFS_FIFO; return 0;
	case S_IFSOCK: *type = BFS_SOCK; return 0;
	case S_IFCHR: *type = BFS_CHR; return 0;
	case S_IFBLK: *type = BFS_BLK; return 0;
	case S_IFREG:
	case 0: *type = BFS_REG; return 0;
	default: return EINVAL;
	}
}

/* The host object of a new entry, base below pfd; other types than
 * directories and links get an open fd in *fd. */
static int make_host_object(int pfd, const char *base, char type, mode_t mode, const char *target,
			    int *fd)
{
	switch (type) {
	case BFS_DIR: return mkdirat(pfd, base, bfs_host_mode(BFS_DIR, mode)) < 0 ? errno : 0;
	case BFS_LNK: return symlinkat(target, pfd, base) < 0 ? errno : 0;
	default:
		/* the fd becomes the node's, shared by every later open: none
		 * of this open's own flags (O_APPEND, O_SYNC, ...) */
		*fd = openat(pfd, base,
			     (type == BFS_REG ? O_RDWR : O_WRONLY) | O_CREAT | O_EXCL | O_NOFOLLOW |
				     O_CLOEXEC,
			     bfs_host_mode(type, mode));
		return *fd < 0 ? errno : 0;
	}
}

/* Create a new object at parent/name. For regular files *fd_out gets an
 * open fd (read-write). */
int bfs_create_entry(struct bfs_fs *fs, fuse_req_t req, struct bfs_node *parent, const char *name,
		     mode_t mode, dev_t rdev, const char *target, int *fd_out,
		     struct fuse_entry_param *ep)
{
	const struct fuse_ctx *ctx = fuse_req_ctx(req);
	_cleanup_free_ char *path = NULL;
	_cleanup_close_ int pfd = -1;
	struct bfs_entry *e, *e0;
	char type;
	bool was_whiteout;
	int r = 0, fd = -1;

	if ((r = new_name_ok(name)) != 0 || !(path = child_path(parent, name, &r)))
		return r;
	if (bfs_stack_lookup(&fs->stack, path, NULL))
		return EEXIST;
	if ((r = type_of(mode, &type)) != 0)
		return r;
	/* devices need what the kernel's mknod asks: CAP_MKNOD, here root */
	if ((type == BFS_CHR || type == BFS_BLK) && ctx->uid != 0)
		return EPERM;
	if ((r = bfs_upper_ensure_dir(fs, parent->path)) != 0)
		return r;
	if ((r = parent_dirfd(fs, parent, path, &pfd)) != 0)
		return r;
	e0 = bfs_meta_get(upper_meta(fs), path);
	was_whiteout = e0 && e0->type == BFS_WHITEOUT;
	if ((r = make_host_object(pfd, name, type, mode, target, &fd)) != 0)
		return r;
	e = bfs_entry_new(path, type);
	e->mode = type == BFS_LNK ? 0777 : mode & 07777;
	e->uid = ctx->uid;
	e->gid = ctx->gid;
	/* BSD group semantics in a setgid directory, as every Linux fs */
	if (parent->e->mode & S_ISGID) {
		e->gid = parent->e->gid;
		if (type == BFS_DIR)
			e->mode |= S_ISGID;
	}
	e->rdev_major = major(rdev);
	e->rdev_minor = minor(rdev);
	e->opaque = was_whiteout && type == BFS_DIR; /* lower content stays gone */
	now_entry(e);
	if ((r = bfs_upper_put(fs, e)) != 0 || (r = entry_param(fs, path, parent, ep)) != 0) {
		if (fd >= 0)
			close(fd);
		return r;
	}
	if (fd_out)
		*fd_out = fd;
	else if (fd >= 0)
		close(fd);
	return 0;
}

/* 0 for an empty directory, ENOTEMPTY, or why it could not be listed. */
static int dir_empty(struct bfs_fs *fs, const char *path)
{
	struct bfs_dir *d;
	int r = bfs_dir_list(fs, path, &d);

	if (r != 0)
		return r;
	r = d->n ? ENOTEMPTY : 0;
	bfs_dir_free(d);
	return r;
}

static bool is_below(const char *path, const char *dir)
{
	size_t l = strlen(dir);
	return strcmp(dir, "/") == 0 ? path[1] != '\0'
				     : strncmp(path, dir, l) == 0 && path[l] == '/';
}

/* Remove what the upper layer has at path, and hide what lowers have. */
static int remove_path(struct bfs_fs *fs, const char *path, bool dir)
{
	const struct bfs_entry *e0 = bfs_meta_get(upper_meta(fs), path);
	int r;

	if (e0 && e0->type != BFS_WHITEOUT) {
		_cleanup_close_ int pfd = -1;
		struct berth_error err = { 0 };
		if ((r = bfs_upper_parent(fs, path, &pfd)) != 0)
			return r;
		if (dir ? rm_rf_at(pfd, bfs_path_basename(path), &err) < 0
			: unlinkat(pfd, bfs_path_basename(path), 0) < 0) {
			r = dir ? (err.errnum ? err.errnum : EIO) : errno;
			berth_error_clear(&err);
			return r;
		}
	}
	if ((r = bfs_upper_remove(fs, path, false)) != 0)
		return r;
	if (bfs_lower_has(fs, path)) {
		_cleanup_free_ char *parent = bfs_path_dirname(path);
		if ((r = bfs_upper_ensure_dir(fs, parent)) != 0)
			return r;
		return bfs_upper_put(fs, bfs_entry_new(path, BFS_WHITEOUT));
	}
	return 0;
}

int bfs_remove_entry(struct bfs_fs *fs, struct bfs_node *parent, const char *name, bool dir)
{
	_cleanup_free_ char *path = NULL;
	const struct bfs_entry *e;
	int r = 0;

	if (!(path = child_path(parent, name, &r)))
		return r;
	if (!(e = bfs_stack_lookup(&fs->stack, path, NULL)))
		return ENOENT;
	if (dir) {
		if (e->type != BFS_DIR)
			return ENOTDIR;
		if ((r = dir_empty(fs, path)) != 0)
			return r;
	} else if (e->type == BFS_DIR) {
		return EISDIR;
	}
	if ((r = remove_path(fs, path, dir)) != 0)
		return r;
	bfs_node_orphan(fs, path);
	return 0;
}

struct collect {
	const char *dir;
	struct bfs_entry **v;
	size_t n;
};

static int collect_below(struct bfs_entry *e, void *data)
{
	struct collect *c = data;
	if (strcmp(e->path, c->dir) == 0 || is_below(e->path, c->dir)) {
		c->v = xrealloc(c->v, (c->n + 1) * sizeof(*c->v));
		c->v[c->n++] = bfs_entry_clone(e, e->path);
		c->v[c->n - 1]->opaque = e->opaque;
	}
	return 0;
}

/* Move the upper records at and below from to the same place below to. */
static int move_records(struct bfs_fs *fs, const char *from, const char *to)
{
	struct collect c = { .dir = from };
	int r;

	bfs_meta_foreach(upper_meta(fs), collect_below, &c);
	r = bfs_upper_remove(fs, from, true);
	for (size_t i = 0; i < c.n; i++) {
		if (r == 0) {
			char *np = xasprintf("%s%s", to, c.v[i]->path + strlen(from));
			free(c.v[i]->path);
			c.v[i]->path = np;
			r = bfs_upper_put(fs, c.v[i]);
		} else {
			bfs_entry_free(c.v[i]);
		}
	}
	free(c.v);
	return r;
}

static int set_opaque(struct bfs_fs *fs, const char *path)
{
	struct bfs_entry *e0 = bfs_meta_get(upper_meta(fs), path), *ne;

	if (!e0 || e0->type != BFS_DIR || e0->opaque)
		return 0;
	ne = bfs_entry_clone(e0, path);
	ne->opaque = true;
	return bfs_upper_put(fs, ne);
}

static int check_replace(struct bfs_fs *fs, const char *dst, const struct bfs_entry *se,
			 const struct bfs_entry *de)
{
	if (se->type == BFS_DIR)
		return de->type != BFS_DIR ? ENOTDIR : dir_empty(fs, dst);
	return de->type == BFS_DIR ? EISDIR : 0;
}

int bfs_rename(struct bfs_fs *fs, struct bfs_node *parent, const char *name,
	       struct bfs_node *newparent, const char *newname, unsigned flags)
{
	_cleanup_free_ char *src = NULL, *dst = NULL;
	_cleanup_close_ int spfd = -1, dpfd = -1;
	const struct bfs_entry *se, *de;
	bool exchange = flags & RENAME_EXCHANGE, sdir, ddir = false;
	int r = 0;

	if (flags & ~(unsigned)(RENAME_NOREPLACE | RENAME_EXCHANGE))
		return EINVAL;
	if ((r = new_name_ok(newname)) != 0 || !(src = child_path(parent, name, &r)) ||
	    !(dst = child_path(newparent, newname, &r)))
		return r;
	if (!(se = bfs_stack_lookup(&fs->stack, src, NULL)))
		return ENOENT;
	de = bfs_stack_lookup(&fs->stack, dst, NULL);
	if ((flags & RENAME_NOREPLACE) && de)
		return EEXIST;
	if (exchange && !de)
		return ENOENT;
	if (strcmp(src, dst) == 0)
		return 0;
	if (is_below(dst, src) || (exchange && is_below(src, dst)))
		return EINVAL;
	sdir = se->type == BFS_DIR;
	if (de) {
		ddir = de->type == BFS_DIR;
		if (!exchange && (r = check_replace(fs, dst, se, de)) != 0)
			return r;
	}
	/* a moved directory takes its whole visible subtree along */
	if ((r = bfs_copy_up(fs, src, sdir)) != 0 ||
	    (exchange && (r = bfs_copy_up(fs, dst, ddir)) != 0))
		return r;
	if ((r = bfs_upper_ensure_dir(fs, newparent->path)) != 0)
		return r;
	if (de && !exchange) {
		if ((r = remove_path(fs, dst, ddir)) != 0)
			return r;
		bfs_node_orphan(fs, dst);
	}
	if ((r = bfs_upper_parent(fs, src, &spfd)) != 0 ||
	    (r = bfs_upper_parent(fs, dst, &dpfd)) != 0)
		return r;
	if (renameat2(spfd, bfs_path_basename(src), dpfd, bfs_path_basename(dst),
		      exchange ? RENAME_EXCHANGE : 0) < 0)
		return errno;
	if (exchange) {
		_cleanup_free_ char *tmp = xasprintf("%s\001"
						     "berth-exchange",
						     src);
		if ((r = move_records(fs, src, tmp)) != 0 ||
		    (r = move_records(fs, dst, src)) != 0 || (r = move_records(fs, tmp, dst)) != 0)
			return r;
		bfs_node_rekey(fs, src, tmp);
		bfs_node_rekey(fs, dst, src);
		bfs_node_rekey(fs, tmp, dst);
		if ((sdir && (r = set_opaque(fs, dst)) != 0) ||
		    (ddir && (r = set_opaque(fs, src)) != 0))
			return r;
	} else {
		if ((r = move_records(fs, src, dst)) != 0)
			return r;
		bfs_node_rekey(fs, src, dst);
		if (bfs_lower_has(fs, src) &&
		    (r = bfs_upper_put(fs, bfs_entry_new(src, BFS_WHITEOUT))) != 0)
			return r;
		/* what lowers have at the destination must not merge in */
		if (sdir && bfs_lower_has(fs, dst) && (r = set_opaque(fs, dst)) != 0)
			return r;
	}
	bfs_node_refresh_below(fs, dst);
	if (exchange)
		bfs_node_refresh_below(fs, src);
	return 0;
}

int bfs_link(struct bfs_fs *fs, struct bfs_node *n, struct bfs_node *newparent, const char *newname,
	     struct fuse_entry_param *ep)
{
	_cleanup_free_ char *dst = NULL;
	_cleanup_close_ int dpfd = -1;
	char proc[64];
	int r = 0;

	if (!n->path)
		return ENOENT;
	if (n->e->type == BFS_DIR)
		return EPERM;
	if ((r = new_name_ok(newname)) != 0 || !(dst = child_path(newparent, newname, &r)))
		return r;
	if (bfs_stack_lookup(&fs->stack, dst, NULL))
		return EEXIST;
	if ((r = bfs_copy_up(fs, n->path, false)) != 0 || (r = bfs_node_refresh(fs, n)) != 0 ||
	    (r = bfs_upper_ensure_dir(fs, newparent->path)) != 0)
		return r;
	if ((r = bfs_upper_parent(fs, dst, &dpfd)) != 0)
		return r;
	/* link the O_PATH handle itself: no path walk, no race */
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", n->fd);
	if (linkat(AT_FDCWD, proc, dpfd, bfs_path_basename(dst), AT_SYMLINK_FOLLOW) < 0)
		return errno;
	if ((r = bfs_upper_put(fs, bfs_entry_clone(n->e, dst))) != 0)
		return r;
	return entry_param(fs, dst, newparent, ep);
}

/* n's new attributes: into the table, the node and n's other names. */
static int put_node_entry(struct bfs_fs *fs, struct bfs_node *n, struct bfs_entry *ne)
{
	int r;

	if ((r = bfs_upper_put(fs, ne)) != 0 || (r = bfs_node_refresh(fs, n)) != 0)
		return r;
	return bfs_upper_sync_links(fs, n);
}

/* Bring n into the upper layer (if it is not there) and re-point it. */
int bfs_make_upper(struct bfs_fs *fs, struct bfs_node *n)
{
	int r;

	if (n->layer == 0)
		return 0;
	if (!n->path) /* unlinked while open: it has no path to copy up */
		return n->e->type == BFS_REG ? bfs_upper_adopt_orphan(fs, n) : 0;
	if ((r = bfs_copy_up(fs, n->path, false)) != 0)
		return r;
	return bfs_node_refresh(fs, n);
}

int bfs_writable_fd(struct bfs_fs *fs, struct bfs_node *n, int *out)
{
	char proc[64];
	int fd, r;

	if (n->e->type != BFS_REG)
		return n->e->type == BFS_DIR ? EISDIR : EINVAL;
	if ((r = bfs_make_upper(fs, n)) != 0)
		return r;
	/* never write through to a lower layer, whatever went wrong above */
	if (n->layer != 0)
		return EIO;
	if (n->data_fd >= 0 && n->data_rw) {
		*out = n->data_fd;
		return 0;
	}
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", n->fd);
	if ((fd = open(proc, O_RDWR | O_CLOEXEC)) < 0)
		return errno;
	bfs_node_set_data_fd(fs, n, fd, true);
	*out = fd;
	return 0;
}

int bfs_setattr(struct bfs_fs *fs, struct bfs_node *n, struct stat *attr, int to_set,
		struct fuse_file_info *fi)
{
	struct bfs_entry *ne;
	char proc[64];
	int r;

	(void)fi; /* files have no handles of their own (ops.c) */
	if ((r = bfs_make_upper(fs, n)) != 0)
		return r;
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", n->fd);
	if (to_set & FUSE_SET_ATTR_SIZE) {
		int fd;
		if ((r = bfs_writable_fd(fs, n, &fd)) != 0)
			return r;
		if (ftruncate(fd, attr->st_size) < 0)
			return errno;
	}
	ne = bfs_entry_clone(n->e, n->e->path);
	ne->opaque = n->e->opaque;
	if (to_set & FUSE_SET_ATTR_MODE)
		ne->mode = attr->st_mode & 07777;
	if (to_set & FUSE_SET_ATTR_UID)
		ne->uid = attr->st_uid;
	if (to_set & FUSE_SET_ATTR_GID)
		ne->gid = attr->st_gid;
	/* a change of owner drops setuid/setgid, as the kernel does */
	if ((to_set & (FUSE_SET_ATTR_UID | FUSE_SET_ATTR_GID)) && !(to_set & FUSE_SET_ATTR_MODE) &&
	    ne->type == BFS_REG)
		ne->mode &= ~(uint32_t)(S_ISUID | ((ne->mode & S_IXGRP) ? S_ISGID : 0));
	if (to_set & (FUSE_SET_ATTR_MTIME | FUSE_SET_ATTR_ATIME)) {
		struct timespec ts[2] = { { .tv_nsec = UTIME_OMIT }, { .tv_nsec = UTIME_OMIT } };
		if (to_set & FUSE_SET_ATTR_ATIME)
			ts[0] = (to_set & FUSE_SET_ATTR_ATIME_NOW)
					? (struct timespec){ .tv_nsec = UTIME_NOW }
					: attr->st_atim;
		if (to_set & FUSE_SET_ATTR_MTIME)
			ts[1] = (to_set & FUSE_SET_ATTR_MTIME_NOW)
					? (struct timespec){ .tv_nsec = UTIME_NOW }
					: attr->st_mtim;
		if (n->e->type != BFS_LNK && utimensat(AT_FDCWD, proc, ts, 0) < 0) {
			bfs_entry_free(ne);
			return errno;
		}
		if (to_set & FUSE_SET_ATTR_MTIME) {
			if (to_set & FUSE_SET_ATTR_MTIME_NOW)
				now_entry(ne);
			else {
				ne->mtime_sec = attr->st_mtim.tv_sec;
				ne->mtime_nsec = (uint32_t)attr->st_mtim.tv_nsec;
			}
		}
	}
	return put_node_entry(fs, n, ne);
}

int bfs_setxattr(struct bfs_fs *fs, struct bfs_node *n, const char *name, const char *value,
		 size_t size, int flags)
{
	struct bfs_entry *ne;
	size_t i;
	int r;

	if (str_has_prefix(name, "trusted."))
		return EPERM;
	for (i = 0; i < n->e->n_xattrs && strcmp(n->e->xattrs[i].name, name) != 0; i++)
		;
	if ((flags & XATTR_CREATE) && i < n->e->n_xattrs)
		return EEXIST;
	if ((flags & XATTR_REPLACE) && i == n->e->n_xattrs)
		return ENODATA;
	if ((r = bfs_make_upper(fs, n)) != 0)
		return r;
	ne = bfs_entry_clone(n->e, n->e->path);
	ne->opaque = n->e->opaque;
	for (i = 0; i < ne->n_xattrs && strcmp(ne->xattrs[i].name, name) != 0; i++)
		;
	if (i < ne->n_xattrs) {
		free(ne->xattrs[i].value);
		ne->xattrs[i].value = xmalloc(size + 1);
		memcpy(ne->xattrs[i].value, value, size);
		ne->xattrs[i].len = size;
	} else {
		bfs_entry_add_xattr(ne, name, value, size);
	}
	return put_node_entry(fs, n, ne);
}

int bfs_removexattr(struct bfs_fs *fs, struct bfs_node *n, const char *name)
{
	struct bfs_entry *ne;
	size_t i;
	int r;

	for (i = 0; i < n->e->n_xattrs && strcmp(n->e->xattrs[i].name, name) != 0; i++)
		;
	if (i == n->e->n_xattrs)
		return ENODATA;
	if ((r = bfs_make_upper(fs, n)) != 0)
		return r;
	ne = bfs_entry_clone(n->e, n->e->path);
	ne->opaque = n->e->opaque;
	for (i = 0; i < ne->n_xattrs; i++) {
		if (strcmp(ne->xattrs[i].name, name) == 0) {
			free(ne->xattrs[i].name);
			free(ne->xattrs[i].value);
			ne->xattrs[i] = ne->xattrs[--ne->n_xattrs];
			break;
		}
	}
	return put_node_entry(fs, n, ne);
}
