// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * ops.c: berth-fs's FUSE low-level operations over the merged layers.
 * Each op_* sends exactly one reply; the do_* workers return 0 or an
 * errno (libfuse passthrough_ll's split). This first version presents
 * image layers read-only; the writable container layer comes next.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "../lib/util.h"
#include "dir.h"
#include "fs.h"
#include "write.h"

static struct bfs_fs *fs_of(fuse_req_t req)
{
	return fuse_req_userdata(req);
}

static struct bfs_node *node_of(fuse_req_t req, fuse_ino_t ino)
{
	struct bfs_fs *fs = fs_of(req);
	return ino == FUSE_ROOT_ID ? fs->root : (struct bfs_node *)(uintptr_t)ino;
}

static int do_lookup(struct bfs_fs *fs, struct bfs_node *parent, const char *name,
		     struct fuse_entry_param *ep)
{
	_cleanup_free_ char *path = NULL;
	struct bfs_node *n;
	int r;

	if (!parent->path)
		return ENOENT;
	if (parent->e->type != BFS_DIR)
		return ENOTDIR;
	if (strlen(name) > 255)
		return ENAMETOOLONG;
	path = bfs_path_join(parent->path, name);
	memset(ep, 0, sizeof(*ep));
	if ((r = bfs_node_get(fs, path, parent, &n)) != 0)
		return r;
	if ((r = bfs_node_stat(fs, n, &ep->attr)) != 0) {
		bfs_node_forget(fs, n, 1);
		return r;
	}
	ep->ino = (fuse_ino_t)(uintptr_t)n;
	ep->attr_timeout = ep->entry_timeout = bfs_node_timeout(fs, n, &ep->attr);
	return 0;
}

static void op_lookup(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	struct fuse_entry_param ep;
	struct bfs_fs *fs = fs_of(req);

	pthread_rwlock_rdlock(&fs->rw);
	int r = do_lookup(fs, node_of(req, parent), name, &ep);
	pthread_rwlock_unlock(&fs->rw);

	if (r == ENOENT) {
		/* a negative entry the kernel may cache as long as the rest:
		 * only a request through this mount makes the name appear */
		memset(&ep, 0, sizeof(ep));
		ep.entry_timeout = fs->timeout;
		fuse_reply_entry(req, &ep);
	} else if (r) {
		fuse_reply_err(req, r);
	} else {
		fuse_reply_entry(req, &ep);
	}
}

static void op_forget(fuse_req_t req, fuse_ino_t ino, uint64_t nlookup)
{
	bfs_node_forget(fs_of(req), node_of(req, ino), nlookup);
	fuse_reply_none(req);
}

static void op_forget_multi(fuse_req_t req, size_t count, struct fuse_forget_data *forgets)
{
	for (size_t i = 0; i < count; i++)
		bfs_node_forget(fs_of(req), node_of(req, forgets[i].ino), forgets[i].nlookup);
	fuse_reply_none(req);
}

static void op_getattr(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct stat st;
	struct bfs_fs *fs = fs_of(req);

	struct bfs_node *n = node_of(req, ino);

	pthread_rwlock_rdlock(&fs->rw);
	int r = bfs_node_stat(fs, n, &st);
	double timeout = r ? 0 : bfs_node_timeout(fs, n, &st);
	pthread_rwlock_unlock(&fs->rw);

	(void)fi;
	if (r)
		fuse_reply_err(req, r);
	else
		fuse_reply_attr(req, &st, timeout);
}

/* n's target into buf (PATH_MAX + 1 bytes). Caller holds fs->rw. */
static int do_readlink(const struct bfs_node *n, char *buf)
{
	ssize_t len;

	if (n->e->type != BFS_LNK)
		return EINVAL;
	if ((len = readlinkat(n->fd, "", buf, PATH_MAX)) < 0)
		return errno;
	buf[len] = '\0';
	return 0;
}

static void op_readlink(fuse_req_t req, fuse_ino_t ino)
{
	char buf[PATH_MAX + 1];

	pthread_rwlock_rdlock(&fs_of(req)->rw);
	int r = do_readlink(node_of(req, ino), buf);
	pthread_rwlock_unlock(&fs_of(req)->rw);
	if (r)
		fuse_reply_err(req, r);
	else
		fuse_reply_readlink(req, buf);
}

/* A node copied up by a request now has another inode number and link
 * count than the kernel cached for it (lower attributes are cached for
 * long): drop them once the reply is out. Only the number is used then:
 * once replied, the kernel may forget the node and it may be freed. */
static void invalidate_if(struct bfs_fs *fs, fuse_ino_t ino, bool moved)
{
	if (fs->se && moved)
		fuse_lowlevel_notify_inval_inode(fs->se, ino, -1, 0);
}

/*
 * Files have no handles here: each node keeps one data fd (fs.h), and
 * the kernel is told not to send opens at all (FUSE_CAP_NO_OPEN_SUPPORT:
 * the first open is answered ENOSYS), which saves the open and release
 * round trips on every file a container opens: most of the cost of
 * reading many small files. A copy-up happens at the first change (write,
 * truncate, attribute) instead of at an open for writing, so opening a
 * file for writing without writing copies nothing. Only kernels without
 * that support send opens; those get the same preparation at open.
 */

/* An open's end, under fs->rw (released here): r's error replied (false),
 * or fi made ready for the reply (true): no handle of ours, the node
 * holds the data fd, and the kernel keeps the file's cached pages. */
static bool open_done(struct bfs_fs *fs, fuse_req_t req, int r, struct fuse_file_info *fi)
{
	pthread_rwlock_unlock(&fs->rw);
	if (r) {
		fuse_reply_err(req, r);
		return false;
	}
	fi->fh = 0;
	fi->keep_cache = 1;
	return true;
}
static void op_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct bfs_fs *fs = fs_of(req);
	struct bfs_node *n = node_of(req, ino);
	bool wr = (fi->flags & O_ACCMODE) != O_RDONLY || (fi->flags & O_TRUNC);
	size_t before = n->layer;
	int fd, r;

	if (fs->no_open) {
		fuse_reply_err(req, ENOSYS);
		return;
	}
	if (wr && !fs->writable) {
		fuse_reply_err(req, EROFS);
		return;
	}
	if (wr)
		pthread_rwlock_wrlock(&fs->rw);
	else
		pthread_rwlock_rdlock(&fs->rw);
	r = wr ? bfs_writable_fd(fs, n, &fd) : bfs_node_data_fd(fs, n, &fd);
	bool moved = n->layer != before;
	if (!open_done(fs, req, r, fi))
		return;
	fuse_reply_open(req, fi);
	invalidate_if(fs, ino, moved);
}

static void op_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		    struct fuse_file_info *fi)
{
	struct bfs_fs *fs = fs_of(req);
	struct fuse_bufvec buf = FUSE_BUFVEC_INIT(size);
	int fd, r;

	(void)fi;
	/* the lock keeps a copy-up from replacing the fd while it is read */
	pthread_rwlock_rdlock(&fs->rw);
	if ((r = bfs_node_data_fd(fs, node_of(req, ino), &fd)) != 0) {
		pthread_rwlock_unlock(&fs->rw);
		fuse_reply_err(req, r);
		return;
	}
	/* the fd goes to libfuse, which splices from it when it can; never
	 * with SPLICE_F_MOVE: the kernel would take the pages out of the
	 * layer file's page cache, and the next mount reads them from disk */
	buf.buf[0].flags = FUSE_BUF_IS_FD | FUSE_BUF_FD_SEEK;
	buf.buf[0].fd = fd;
	buf.buf[0].pos = off;
	fuse_reply_data(req, &buf, 0);
	pthread_rwlock_unlock(&fs->rw);
}

static void op_release(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	/* only files made by create get here: their fd stays the node's */
	(void)ino;
	(void)fi;
	fuse_reply_err(req, 0);
}

/* An open directory; its merged listing is made on the first readdir. */
struct dir_handle {
	struct bfs_dir *d;
};

static void op_opendir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct bfs_fs *fs = fs_of(req);
	struct bfs_node *n = node_of(req, ino);
	int r;

	pthread_rwlock_rdlock(&fs->rw);
	r = !n->path ? ENOENT : n->e->type != BFS_DIR ? ENOTDIR : 0;
	pthread_rwlock_unlock(&fs->rw);
	if (r) {
		fuse_reply_err(req, r);
		return;
	}
	/* the listing is made at the first readdir, not here: when the
	 * kernel has the directory cached it opens it but never reads it */
	fi->fh = (uint64_t)(uintptr_t)xcalloc(1, sizeof(struct dir_handle));
	/* the kernel drops a directory's cached listing itself when a
	 * change through this mount touches the directory */
	fi->cache_readdir = 1;
	fi->keep_cache = 1;
	fuse_reply_open(req, fi);
}

static unsigned dtype(char type)
{
	switch (type) {
	case BFS_DIR: return DT_DIR;
	case BFS_LNK: return DT_LNK;
	case BFS_FIFO: return DT_FIFO;
	case BFS_SOCK: return DT_SOCK;
	case BFS_CHR: return DT_CHR;
	case BFS_BLK: return DT_BLK;
	default: return DT_REG;
	}
}

/* The handle's listing, made at its first readdir (not at opendir: when
 * the kernel has the directory cached it opens it but never reads it).
 * The kernel serialises readdir on one handle, so no race here; the
 * listing then stays fixed, so offsets stay stable. */
static int dir_listing(struct bfs_fs *fs, struct bfs_node *n, struct dir_handle *h)
{
	int r;

	if (h->d)
		return 0;
	pthread_rwlock_rdlock(&fs->rw);
	r = n->path ? bfs_dir_list(fs, n->path, &h->d) : ENOENT;
	pthread_rwlock_unlock(&fs->rw);
	return r;
}

/* Entry i of a readdirplus reply (offsets: 0 ".", 1 "..", 2 + k the k-th
 * merged name) into buf: its size, more than room when it did not fit
 * (nothing is added then, and no lookup kept). Caller holds fs->rw. */
static size_t add_plus(fuse_req_t req, struct bfs_fs *fs, struct bfs_node *n,
		       const struct bfs_dir *d, off_t i, char *buf, size_t room)
{
	const char *name = i == 0 ? "." : i == 1 ? ".." : d->v[i - 2].name;
	struct fuse_entry_param ep = { 0 };
	size_t len;

	if (i < 2) {
		/* nodeid 0: no lookup for "." and ".."; an inode number of 0
		 * would make the C library skip the entry */
		ep.attr.st_mode = DT_DIR << 12;
		ep.attr.st_ino = 1;
	} else {
		int lr = do_lookup(fs, n, name, &ep);
		if (lr == ENOENT)
			return 0;
		if (lr != 0) {
			/* no node now (out of descriptors: each known node holds
			 * one): the name without attributes (nodeid 0), which the
			 * kernel looks up when it is used, rather than a listing
			 * that silently lacks it */
			memset(&ep, 0, sizeof(ep));
			ep.attr.st_mode = dtype(d->v[i - 2].type) << 12;
			ep.attr.st_ino = 1;
		}
	}
	len = fuse_add_direntry_plus(req, buf, room, name, &ep, i + 1);
	if (len > room && ep.ino)
		bfs_node_forget(fs, (struct bfs_node *)(uintptr_t)ep.ino, 1);
	return len;
}

/* Entry i of a plain readdir reply into buf: as add_plus, no lookup. */
static size_t add_plain(fuse_req_t req, const struct bfs_dir *d, off_t i, char *buf, size_t room)
{
	const char *name = i == 0 ? "." : i == 1 ? ".." : d->v[i - 2].name;
	struct stat st = { .st_ino = 1 };

	st.st_mode = (i < 2 ? DT_DIR : dtype(d->v[i - 2].type)) << 12;
	return fuse_add_direntry(req, buf, room, name, &st, i + 1);
}

/* The entries from off that fit in size bytes, into *buf (*used bytes). */
static int do_readdir(fuse_req_t req, struct bfs_node *n, struct dir_handle *h, size_t size,
		      off_t off, bool plus, char **buf, size_t *used)
{
	struct bfs_fs *fs = fs_of(req);
	int r = dir_listing(fs, n, h);

	if (r)
		return r;
	*buf = xmalloc(size);
	*used = 0;
	if (plus)
		pthread_rwlock_rdlock(&fs->rw);
	for (off_t i = off; i < (off_t)h->d->n + 2; i++) {
		size_t room = size - *used;
		size_t len = plus ? add_plus(req, fs, n, h->d, i, *buf + *used, room)
				  : add_plain(req, h->d, i, *buf + *used, room);
		if (len > room)
			break;
		*used += len;
	}
	if (plus)
		pthread_rwlock_unlock(&fs->rw);
	return 0;
}

static void readdir_reply(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
			  struct fuse_file_info *fi, bool plus)
{
	struct dir_handle *h = (struct dir_handle *)(uintptr_t)fi->fh;
	_cleanup_free_ char *buf = NULL;
	size_t used;
	int r = do_readdir(req, node_of(req, ino), h, size, off, plus, &buf, &used);

	if (r)
		fuse_reply_err(req, r);
	else
		fuse_reply_buf(req, buf, used);
}

static void op_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		       struct fuse_file_info *fi)
{
	readdir_reply(req, ino, size, off, fi, false);
}

static void op_readdirplus(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
			   struct fuse_file_info *fi)
{
	readdir_reply(req, ino, size, off, fi, true);
}

static void op_releasedir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	(void)ino;
	struct dir_handle *h = (struct dir_handle *)(uintptr_t)fi->fh;
	bfs_dir_free(h->d);
	free(h);
	fuse_reply_err(req, 0);
}

static void op_statfs(fuse_req_t req, fuse_ino_t ino)
{
	struct statvfs sv;

	(void)ino;
	if (fstatvfs(fs_of(req)->stack.layers[0].dirfd, &sv) < 0)
		fuse_reply_err(req, errno);
	else
		fuse_reply_statfs(req, &sv);
}

/* trusted.* stays hidden: only the host's root could see it there. */
static bool xattr_visible(const char *name)
{
	return !str_has_prefix(name, "trusted.");
}

/* The attribute name of e, into *x: ENODATA, or ERANGE when it is longer
 * than size (0: only its size is asked for). */
static int do_getxattr(const struct bfs_entry *e, const char *name, size_t size,
		       const struct bfs_xattr **x)
{
	for (size_t i = 0; i < e->n_xattrs; i++) {
		if (strcmp(e->xattrs[i].name, name) != 0 || !xattr_visible(name))
			continue;
		if (size != 0 && size < e->xattrs[i].len)
			return ERANGE;
		*x = &e->xattrs[i];
		return 0;
	}
	return ENODATA;
}

static void op_getxattr(fuse_req_t req, fuse_ino_t ino, const char *name, size_t size)
{
	struct bfs_fs *fs = fs_of(req);
	const struct bfs_xattr *x;

	/* the reply is sent under the lock: the value is the entry's, which
	 * a change of attributes replaces */
	pthread_rwlock_rdlock(&fs->rw);
	int r = do_getxattr(node_of(req, ino)->e, name, size, &x);
	if (r)
		fuse_reply_err(req, r);
	else if (size == 0)
		fuse_reply_xattr(req, x->len);
	else
		fuse_reply_buf(req, (const char *)x->value, x->len);
	pthread_rwlock_unlock(&fs->rw);
}

/* The names of e's visible attributes, each ending in NUL, into *buf
 * (with size 0 only their length, *len, is asked for); ERANGE when they
 * are longer than size. */
static int do_listxattr(const struct bfs_entry *e, size_t size, char **buf, size_t *len)
{
	size_t total = 0;

	for (size_t i = 0; i < e->n_xattrs; i++)
		if (xattr_visible(e->xattrs[i].name))
			total += strlen(e->xattrs[i].name) + 1;
	*len = total;
	if (size == 0)
		return 0;
	if (size < total)
		return ERANGE;
	*buf = xmalloc(total + 1);
	total = 0;
	for (size_t i = 0; i < e->n_xattrs; i++) {
		if (!xattr_visible(e->xattrs[i].name))
			continue;
		size_t l = strlen(e->xattrs[i].name) + 1;
		memcpy(*buf + total, e->xattrs[i].name, l);
		total += l;
	}
	return 0;
}

static void op_listxattr(fuse_req_t req, fuse_ino_t ino, size_t size)
{
	struct bfs_fs *fs = fs_of(req);
	_cleanup_free_ char *buf = NULL;
	size_t len;

	pthread_rwlock_rdlock(&fs->rw);
	int r = do_listxattr(node_of(req, ino)->e, size, &buf, &len);
	pthread_rwlock_unlock(&fs->rw);
	if (r)
		fuse_reply_err(req, r);
	else if (size == 0)
		fuse_reply_xattr(req, len);
	else
		fuse_reply_buf(req, buf, len);
}

static void op_init(void *userdata, struct fuse_conn_info *conn)
{
	struct bfs_fs *fs = userdata;

	/* no opens or releases for files (see op_open); a truncating open
	 * then reaches berth-fs as a setattr of the size */
	if (conn->capable & FUSE_CAP_NO_OPEN_SUPPORT) {
		conn->want |= FUSE_CAP_NO_OPEN_SUPPORT;
		fs->no_open = true;
	}
	conn->want &= ~FUSE_CAP_ATOMIC_O_TRUNC;
	/* pages stay cached across opens; a size or mtime the kernel sees
	 * change (another hardlink name's write) drops them */
	if (conn->capable & FUSE_CAP_AUTO_INVAL_DATA)
		conn->want |= FUSE_CAP_AUTO_INVAL_DATA;
	/* the tuning of fast FUSE filesystems: see docs/design.md */
	if (conn->capable & FUSE_CAP_READDIRPLUS)
		conn->want |= FUSE_CAP_READDIRPLUS;
	if (conn->capable & FUSE_CAP_SPLICE_WRITE)
		conn->want |= FUSE_CAP_SPLICE_WRITE;
	if (conn->capable & FUSE_CAP_CACHE_SYMLINKS)
		conn->want |= FUSE_CAP_CACHE_SYMLINKS;
	/* plus for a directory's first listing, plain once its entries are
	 * cached: a warm walk then costs no attribute replies */
	if (conn->capable & FUSE_CAP_READDIRPLUS_AUTO)
		conn->want |= FUSE_CAP_READDIRPLUS_AUTO;
	conn->max_readahead = 1 << 20;
}

/* ---- operations that change the tree (writable mounts only) ---- */

static struct bfs_fs *wrlock(fuse_req_t req)
{
	struct bfs_fs *fs = fs_of(req);
	pthread_rwlock_wrlock(&fs->rw);
	return fs;
}

static void reply_entry(fuse_req_t req, int r, struct fuse_entry_param *ep)
{
	if (r)
		fuse_reply_err(req, r);
	else
		fuse_reply_entry(req, ep);
}

static void make(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode, dev_t rdev,
		 const char *target)
{
	struct fuse_entry_param ep;
	struct bfs_fs *fs = wrlock(req);
	int r = fs->writable ? bfs_create_entry(fs, req, node_of(req, parent), name, mode, rdev,
						target, NULL, &ep)
			     : EROFS;

	pthread_rwlock_unlock(&fs->rw);
	reply_entry(req, r, &ep);
}

static void op_mkdir(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode)
{
	make(req, parent, name, S_IFDIR | (mode & 07777), 0, NULL);
}

static void op_mknod(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode, dev_t rdev)
{
	make(req, parent, name, mode, rdev, NULL);
}

static void op_symlink(fuse_req_t req, const char *link, fuse_ino_t parent, const char *name)
{
	make(req, parent, name, S_IFLNK | 0777, 0, link);
}

static void op_create(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode,
		      struct fuse_file_info *fi)
{
	struct fuse_entry_param ep;
	struct bfs_fs *fs = wrlock(req);
	int fd = -1;
	int r = fs->writable ? bfs_create_entry(fs, req, node_of(req, parent), name,
						S_IFREG | (mode & 07777), 0, NULL, &fd, &ep)
			     : EROFS;

	/* the new file's fd becomes its node's data fd (before the reply:
	 * after it, the kernel may forget the node) */
	if (r == 0)
		bfs_node_set_data_fd(fs, (struct bfs_node *)(uintptr_t)ep.ino, fd, true);
	if (!open_done(fs, req, r, fi))
		return;
	fuse_reply_create(req, &ep, fi);
}

static void remove_op(fuse_req_t req, fuse_ino_t parent, const char *name, bool dir)
{
	struct bfs_fs *fs = wrlock(req);
	int r = fs->writable ? bfs_remove_entry(fs, node_of(req, parent), name, dir) : EROFS;

	pthread_rwlock_unlock(&fs->rw);
	fuse_reply_err(req, r);
}

static void op_unlink(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	remove_op(req, parent, name, false);
}

static void op_rmdir(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	remove_op(req, parent, name, true);
}

static void op_rename(fuse_req_t req, fuse_ino_t parent, const char *name, fuse_ino_t newparent,
		      const char *newname, unsigned int flags)
{
	struct bfs_fs *fs = wrlock(req);
	int r = fs->writable ? bfs_rename(fs, node_of(req, parent), name, node_of(req, newparent),
					  newname, flags)
			     : EROFS;

	pthread_rwlock_unlock(&fs->rw);
	fuse_reply_err(req, r);
}

static void op_link(fuse_req_t req, fuse_ino_t ino, fuse_ino_t newparent, const char *newname)
{
	struct fuse_entry_param ep;
	struct bfs_fs *fs = wrlock(req);
	int r = fs->writable
			? bfs_link(fs, node_of(req, ino), node_of(req, newparent), newname, &ep)
			: EROFS;

	pthread_rwlock_unlock(&fs->rw);
	reply_entry(req, r, &ep);
	/* the source gained a link (and may have been copied up) */
	invalidate_if(fs, ino, r == 0);
}

static void op_setattr(fuse_req_t req, fuse_ino_t ino, struct stat *attr, int to_set,
		       struct fuse_file_info *fi)
{
	struct bfs_fs *fs = wrlock(req);
	struct bfs_node *n = node_of(req, ino);
	struct stat st;
	int r = fs->writable ? bfs_setattr(fs, n, attr, to_set, fi) : EROFS;

	if (r == 0)
		r = bfs_node_stat(fs, n, &st);
	double timeout = r ? 0 : bfs_node_timeout(fs, n, &st);
	pthread_rwlock_unlock(&fs->rw);
	if (r)
		fuse_reply_err(req, r);
	else
		fuse_reply_attr(req, &st, timeout);
}

/* Write in at off into n, copied up first when it is a lower file;
 * *written: how much. *moved: n changed layer. */
static int do_write(struct bfs_fs *fs, struct bfs_node *n, struct fuse_bufvec *in, off_t off,
		    size_t *written, bool *moved)
{
	struct fuse_bufvec out = FUSE_BUFVEC_INIT(fuse_buf_size(in));
	size_t before;
	ssize_t w;
	int fd, r = 0;

	/* the common case, an upper file already open for writing, shares
	 * the lock; a copy-up or a new fd takes it alone */
	pthread_rwlock_rdlock(&fs->rw);
	before = n->layer;
	fd = n->layer == 0 && n->data_rw ? n->data_fd : -1;
	if (fd < 0) {
		pthread_rwlock_unlock(&fs->rw);
		pthread_rwlock_wrlock(&fs->rw);
		r = fs->writable ? bfs_writable_fd(fs, n, &fd) : EROFS;
	}
	*moved = n->layer != before;
	if (r == 0) {
		out.buf[0].flags = FUSE_BUF_IS_FD | FUSE_BUF_FD_SEEK;
		out.buf[0].fd = fd;
		out.buf[0].pos = off;
		/* libfuse's own convention: bytes copied, or -errno */
		w = fuse_buf_copy(&out, in, 0);
		if (w < 0)
			r = (int)-w;
		else
			*written = (size_t)w;
	}
	pthread_rwlock_unlock(&fs->rw);
	return r;
}

static void op_write_buf(fuse_req_t req, fuse_ino_t ino, struct fuse_bufvec *in, off_t off,
			 struct fuse_file_info *fi)
{
	struct bfs_fs *fs = fs_of(req);
	size_t written = 0;
	bool moved;
	int r = do_write(fs, node_of(req, ino), in, off, &written, &moved);

	(void)fi;
	if (r)
		fuse_reply_err(req, r);
	else
		fuse_reply_write(req, written);
	invalidate_if(fs, ino, moved);
}

/* Run fn on n's data fd (for writing when wr), under the lock. */
static int with_data_fd(fuse_req_t req, fuse_ino_t ino, bool wr, int (*fn)(int fd, void *arg),
			void *arg, bool *moved)
{
	struct bfs_fs *fs = fs_of(req);
	struct bfs_node *n = node_of(req, ino);
	size_t before;
	int fd, r;

	if (wr)
		pthread_rwlock_wrlock(&fs->rw);
	else
		pthread_rwlock_rdlock(&fs->rw);
	before = n->layer;
	r = !wr ? bfs_node_data_fd(fs, n, &fd) : fs->writable ? bfs_writable_fd(fs, n, &fd) : EROFS;
	if (r == 0)
		r = fn(fd, arg);
	*moved = n->layer != before;
	pthread_rwlock_unlock(&fs->rw);
	return r;
}

static int fsync_fd(int fd, void *arg)
{
	return (*(int *)arg ? fdatasync(fd) : fsync(fd)) < 0 ? errno : 0;
}

static void op_fsync(fuse_req_t req, fuse_ino_t ino, int datasync, struct fuse_file_info *fi)
{
	struct bfs_fs *fs = fs_of(req);
	bool moved;
	int r = with_data_fd(req, ino, false, fsync_fd, &datasync, &moved);

	(void)fi;
	/* the metadata of what was synced must survive a crash too */
	if (r == 0 && fs->log_fd >= 0 && fdatasync(fs->log_fd) < 0)
		r = errno;
	fuse_reply_err(req, r);
}

struct falloc_args {
	int mode;
	off_t offset, length;
};

static int fallocate_fd(int fd, void *arg)
{
	struct falloc_args *a = arg;
	return fallocate(fd, a->mode, a->offset, a->length) < 0 ? errno : 0;
}

static void op_fallocate(fuse_req_t req, fuse_ino_t ino, int mode, off_t offset, off_t length,
			 struct fuse_file_info *fi)
{
	struct falloc_args a = { mode, offset, length };
	struct bfs_fs *fs = fs_of(req); /* req is gone after the reply */
	bool moved;
	int r = with_data_fd(req, ino, true, fallocate_fd, &a, &moved);

	(void)fi;
	fuse_reply_err(req, r);
	invalidate_if(fs, ino, moved);
}

struct lseek_args {
	off_t off;
	int whence;
};

static int lseek_fd(int fd, void *arg)
{
	struct lseek_args *a = arg;
	/* SEEK_DATA/SEEK_HOLE answered by the host file's own extents; the
	 * fd is shared, so the answer must not depend on its position */
	a->off = lseek(fd, a->off, a->whence);
	return a->off < 0 ? errno : 0;
}

static void op_lseek(fuse_req_t req, fuse_ino_t ino, off_t off, int whence,
		     struct fuse_file_info *fi)
{
	struct lseek_args a = { off, whence };
	bool moved;
	int r = with_data_fd(req, ino, false, lseek_fd, &a, &moved);

	(void)fi;
	if (r)
		fuse_reply_err(req, r);
	else
		fuse_reply_lseek(req, a.off);
}

static void op_setxattr(fuse_req_t req, fuse_ino_t ino, const char *name, const char *value,
			size_t size, int flags)
{
	struct bfs_fs *fs = wrlock(req);
	struct bfs_node *n = node_of(req, ino);
	size_t before = n->layer;
	int r = fs->writable ? bfs_setxattr(fs, n, name, value, size, flags) : EROFS;
	bool moved = n->layer != before;

	pthread_rwlock_unlock(&fs->rw);
	fuse_reply_err(req, r);
	invalidate_if(fs, ino, moved);
}

static void op_removexattr(fuse_req_t req, fuse_ino_t ino, const char *name)
{
	struct bfs_fs *fs = wrlock(req);
	struct bfs_node *n = node_of(req, ino);
	size_t before = n->layer;
	int r = fs->writable ? bfs_removexattr(fs, n, name) : EROFS;
	bool moved = n->layer != before;

	pthread_rwlock_unlock(&fs->rw);
	fuse_reply_err(req, r);
	invalidate_if(fs, ino, moved);
}

const struct fuse_lowlevel_ops bfs_ops = {
	.init = op_init,
	.lookup = op_lookup,
	.forget = op_forget,
	.forget_multi = op_forget_multi,
	.getattr = op_getattr,
	.readlink = op_readlink,
	.open = op_open,
	.read = op_read,
	.release = op_release,
	.opendir = op_opendir,
	.readdir = op_readdir,
	.readdirplus = op_readdirplus,
	.releasedir = op_releasedir,
	.statfs = op_statfs,
	.getxattr = op_getxattr,
	.listxattr = op_listxattr,
	.mkdir = op_mkdir,
	.mknod = op_mknod,
	.symlink = op_symlink,
	.create = op_create,
	.unlink = op_unlink,
	.rmdir = op_rmdir,
	.rename = op_rename,
	.link = op_link,
	.setattr = op_setattr,
	.write_buf = op_write_buf,
	.fsync = op_fsync,
	.setxattr = op_setxattr,
	.removexattr = op_removexattr,
	.fallocate = op_fallocate,
	.lseek = op_lseek,
};
