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

#include "../runner/util.h"
#include "fs.h"

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

	if (parent->e->type != BFS_DIR)
		return ENOTDIR;
	if (strlen(name) > 255)
		return ENAMETOOLONG;
	path = bfs_path_join(parent->path, name);
	memset(ep, 0, sizeof(*ep));
	if ((r = bfs_node_get(fs, path, &n)) != 0)
		return r;
	if ((r = bfs_node_stat(fs, n, &ep->attr)) != 0) {
		bfs_node_forget(fs, n, 1);
		return r;
	}
	ep->ino = (fuse_ino_t)(uintptr_t)n;
	ep->attr_timeout = fs->timeout;
	ep->entry_timeout = fs->timeout;
	return 0;
}

static void op_lookup(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	struct fuse_entry_param ep;
	int r = do_lookup(fs_of(req), node_of(req, parent), name, &ep);

	if (r == ENOENT) {
		/* a negative entry the kernel may cache as long as the rest */
		memset(&ep, 0, sizeof(ep));
		ep.entry_timeout = fs_of(req)->timeout;
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
	int r = bfs_node_stat(fs_of(req), node_of(req, ino), &st);

	(void)fi;
	if (r)
		fuse_reply_err(req, r);
	else
		fuse_reply_attr(req, &st, fs_of(req)->timeout);
}

static void op_readlink(fuse_req_t req, fuse_ino_t ino)
{
	struct bfs_node *n = node_of(req, ino);
	char buf[PATH_MAX + 1];
	ssize_t len;

	if (n->e->type != BFS_LNK) {
		fuse_reply_err(req, EINVAL);
		return;
	}
	len = readlinkat(n->fd, "", buf, PATH_MAX);
	if (len < 0) {
		fuse_reply_err(req, errno);
		return;
	}
	buf[len] = '\0';
	fuse_reply_readlink(req, buf);
}

static int do_open(struct bfs_node *n, struct fuse_file_info *fi)
{
	char proc[64];
	int fd;

	if (n->e->type == BFS_DIR)
		return EISDIR;
	if ((fi->flags & O_ACCMODE) != O_RDONLY || (fi->flags & O_TRUNC))
		return EROFS;
	/* fifos, sockets and devices have no data here */
	if (n->e->type != BFS_REG)
		return ENXIO;
	/* reopen the O_PATH handle: no path walk, no symlink to follow */
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", n->fd);
	fd = open(proc, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno;
	fi->fh = (uint64_t)fd;
	fi->keep_cache = 1; /* image layers never change under the cache */
	return 0;
}

static void op_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	int r = do_open(node_of(req, ino), fi);

	if (r)
		fuse_reply_err(req, r);
	else
		fuse_reply_open(req, fi);
}

static void op_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		    struct fuse_file_info *fi)
{
	struct fuse_bufvec buf = FUSE_BUFVEC_INIT(size);

	(void)ino;
	/* the fd goes to libfuse, which splices from it when it can */
	buf.buf[0].flags = FUSE_BUF_IS_FD | FUSE_BUF_FD_SEEK;
	buf.buf[0].fd = (int)fi->fh;
	buf.buf[0].pos = off;
	fuse_reply_data(req, &buf, FUSE_BUF_SPLICE_MOVE);
}

static void op_release(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	(void)ino;
	close((int)fi->fh);
	fuse_reply_err(req, 0);
}

struct dir_entry {
	char *name;
	char type;
};

struct dir_handle {
	size_t n;
	struct dir_entry *v;
};

static void dir_free(struct dir_handle *d)
{
	for (size_t i = 0; i < d->n; i++)
		free(d->v[i].name);
	free(d->v);
	free(d);
}

static bool dir_has(const struct dir_handle *d, const char *name)
{
	for (size_t i = 0; i < d->n; i++)
		if (strcmp(d->v[i].name, name) == 0)
			return true;
	return false;
}

/* Merge the children of every layer whose directory takes part, keeping
 * those the overlay rules leave visible; the order then stays fixed for
 * the handle's life, so offsets are stable. */
static int do_opendir(struct bfs_fs *fs, struct bfs_node *n, struct dir_handle **out)
{
	_cleanup_free_ size_t *contrib = xmalloc((fs->stack.n + 1) * sizeof(size_t));
	struct dir_handle *d;
	size_t nc = 0;

	if (n->e->type != BFS_DIR)
		return ENOTDIR;
	if (!bfs_stack_lookup_dir(&fs->stack, n->path, NULL, contrib, &nc))
		return ENOENT;
	d = xcalloc(1, sizeof(*d));
	for (size_t i = 0; i < nc; i++) {
		int fd = bfs_layer_open(&fs->stack.layers[contrib[i]], n->path,
					O_RDONLY | O_DIRECTORY);
		DIR *dir = fd >= 0 ? fdopendir(fd) : NULL;
		struct dirent *de;

		if (!dir) {
			int e = errno;
			if (fd >= 0)
				close(fd);
			dir_free(d);
			return e;
		}
		while ((de = readdir(dir))) {
			_cleanup_free_ char *child = NULL;
			const struct bfs_entry *ce;

			if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..") ||
			    dir_has(d, de->d_name))
				continue;
			child = bfs_path_join(n->path, de->d_name);
			ce = bfs_stack_lookup(&fs->stack, child, NULL);
			if (!ce)
				continue; /* whited out, or hidden by an opaque dir */
			d->v = xrealloc(d->v, (d->n + 1) * sizeof(*d->v));
			d->v[d->n].name = xstrdup(de->d_name);
			d->v[d->n].type = ce->type;
			d->n++;
		}
		closedir(dir);
	}
	*out = d;
	return 0;
}

static void op_opendir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct dir_handle *d = NULL;
	int r = do_opendir(fs_of(req), node_of(req, ino), &d);

	if (r) {
		fuse_reply_err(req, r);
		return;
	}
	fi->fh = (uint64_t)(uintptr_t)d;
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

static void do_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		       struct fuse_file_info *fi, bool plus)
{
	struct bfs_fs *fs = fs_of(req);
	struct bfs_node *n = node_of(req, ino);
	struct dir_handle *d = (struct dir_handle *)(uintptr_t)fi->fh;
	_cleanup_free_ char *buf = xmalloc(size);
	size_t used = 0;

	/* offsets: 0 ".", 1 "..", 2 + i the i-th merged entry */
	for (off_t i = off; i < (off_t)d->n + 2; i++) {
		const char *name = i == 0 ? "." : i == 1 ? ".." : d->v[i - 2].name;
		struct fuse_entry_param ep = { 0 };
		size_t len;

		ep.attr.st_mode = (i < 2 ? DT_DIR : dtype(d->v[i - 2].type)) << 12;
		if (plus && i >= 2) {
			if (do_lookup(fs, n, name, &ep) != 0)
				continue;
			len = fuse_add_direntry_plus(req, buf + used, size - used, name, &ep,
						     i + 1);
			if (len > size - used) {
				bfs_node_forget(fs, (struct bfs_node *)(uintptr_t)ep.ino, 1);
				break;
			}
		} else if (plus) {
			ep.attr.st_ino = 0;
			len = fuse_add_direntry_plus(req, buf + used, size - used, name, &ep,
						     i + 1);
			if (len > size - used)
				break;
		} else {
			ep.attr.st_ino = 1;
			len = fuse_add_direntry(req, buf + used, size - used, name, &ep.attr,
						i + 1);
			if (len > size - used)
				break;
		}
		used += len;
	}
	fuse_reply_buf(req, buf, used);
}

static void op_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		       struct fuse_file_info *fi)
{
	do_readdir(req, ino, size, off, fi, false);
}

static void op_readdirplus(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
			   struct fuse_file_info *fi)
{
	do_readdir(req, ino, size, off, fi, true);
}

static void op_releasedir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	(void)ino;
	dir_free((struct dir_handle *)(uintptr_t)fi->fh);
	fuse_reply_err(req, 0);
}

static void op_statfs(fuse_req_t req, fuse_ino_t ino)
{
	struct statvfs sv;

	(void)ino;
	if (fstatvfs(fs_of(req)->root->fd, &sv) < 0)
		fuse_reply_err(req, errno);
	else
		fuse_reply_statfs(req, &sv);
}

/* trusted.* stays hidden: only the host's root could see it there. */
static bool xattr_visible(const char *name)
{
	return !str_has_prefix(name, "trusted.");
}

static void op_getxattr(fuse_req_t req, fuse_ino_t ino, const char *name, size_t size)
{
	const struct bfs_entry *e = node_of(req, ino)->e;

	for (size_t i = 0; i < e->n_xattrs; i++) {
		if (strcmp(e->xattrs[i].name, name) != 0 || !xattr_visible(name))
			continue;
		if (size == 0)
			fuse_reply_xattr(req, e->xattrs[i].len);
		else if (size < e->xattrs[i].len)
			fuse_reply_err(req, ERANGE);
		else
			fuse_reply_buf(req, (const char *)e->xattrs[i].value, e->xattrs[i].len);
		return;
	}
	fuse_reply_err(req, ENODATA);
}

static void op_listxattr(fuse_req_t req, fuse_ino_t ino, size_t size)
{
	const struct bfs_entry *e = node_of(req, ino)->e;
	size_t total = 0;
	_cleanup_free_ char *buf = NULL;

	for (size_t i = 0; i < e->n_xattrs; i++)
		if (xattr_visible(e->xattrs[i].name))
			total += strlen(e->xattrs[i].name) + 1;
	if (size == 0) {
		fuse_reply_xattr(req, total);
		return;
	}
	if (size < total) {
		fuse_reply_err(req, ERANGE);
		return;
	}
	buf = xmalloc(total + 1);
	total = 0;
	for (size_t i = 0; i < e->n_xattrs; i++) {
		if (!xattr_visible(e->xattrs[i].name))
			continue;
		size_t l = strlen(e->xattrs[i].name) + 1;
		memcpy(buf + total, e->xattrs[i].name, l);
		total += l;
	}
	fuse_reply_buf(req, buf, total);
}

static void op_init(void *userdata, struct fuse_conn_info *conn)
{
	(void)userdata;
	/* the tuning of fast FUSE filesystems: see docs/design.md */
	if (conn->capable & FUSE_CAP_READDIRPLUS)
		conn->want |= FUSE_CAP_READDIRPLUS;
	if (conn->capable & FUSE_CAP_SPLICE_WRITE)
		conn->want |= FUSE_CAP_SPLICE_WRITE | FUSE_CAP_SPLICE_MOVE;
	if (conn->capable & FUSE_CAP_CACHE_SYMLINKS)
		conn->want |= FUSE_CAP_CACHE_SYMLINKS;
	conn->want &= ~(unsigned)FUSE_CAP_READDIRPLUS_AUTO;
	conn->max_readahead = 1 << 20;
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
};
