// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * layertar.c: an uncompressed OCI layer tar written entry by entry from
 * layer trees and their metadata tables (pax: owners, modes, xattrs from
 * the table; whiteouts as .wh. files, opaque directories with
 * .wh..wh..opq; a file's second name as a hard link to its first); for
 * commit and build, which write a container's writable layer, and
 * build --squash, which writes several layers as one. Content is read
 * through descriptors beneath the layer's tree, never by a path that
 * could lead out of it.
 */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "../lib/syscalls.h"
#include "../lib/util.h"
#include "layertar.h"
#include "unpack.h"

DEFINE_CLEANUP_FUNC(struct archive_entry *, archive_entry_free)

struct seen {
	dev_t dev;
	ino_t ino;
	char *path;
};

/* libarchive failed on the layer at path (the entry being written): the
 * cause from its errno (a full store is ENOSPC, not "Write error"). */
static int layer_write_failed(struct archive *a, const char *path, struct berth_error *err)
{
	_cleanup_free_ char *what = xasprintf("writing the layer (at %s)", path);
	return unpack_archive_error(a, what, err);
}

/* An empty regular file named path, mode 0: a whiteout's or an opaque
 * directory's marker. */
static int write_marker(struct archive *a, const char *path, struct berth_error *err)
{
	_cleanup_(archive_entry_freep) struct archive_entry *ae = archive_entry_new();

	archive_entry_set_pathname(ae, path);
	archive_entry_set_filetype(ae, AE_IFREG);
	archive_entry_set_perm(ae, 0);
	archive_entry_set_size(ae, 0);
	return archive_write_header(a, ae) == ARCHIVE_OK ? 0 : layer_write_failed(a, path, err);
}

/* A removed name: .wh.NAME beside it. */
static int write_whiteout(struct archive *a, const struct bfs_entry *e, struct berth_error *err)
{
	const char *slash = strrchr(e->path, '/');
	/* "/etc/f0": "etc" (the path's directory without its slashes) */
	size_t dlen = (size_t)(slash - e->path);
	_cleanup_free_ char *dir = xstrndup(e->path + 1, dlen ? dlen - 1 : 0);
	_cleanup_free_ char *wh = xasprintf("%s%s.wh.%s", dir, *dir ? "/" : "", slash + 1);

	return write_marker(a, wh, err);
}

/* A regular file's size, or, for a second name of a file already
 * written, the hardlink to the first: 1 when it is one. */
static int regular_or_link(struct archive_entry *ae, const struct stat *st, const char *rel,
			   struct seen **seen, size_t *n_seen)
{
	archive_entry_set_filetype(ae, AE_IFREG);
	for (size_t i = 0; st->st_nlink > 1 && i < *n_seen; i++) {
		if ((*seen)[i].dev == st->st_dev && (*seen)[i].ino == st->st_ino) {
			archive_entry_set_hardlink(ae, (*seen)[i].path);
			archive_entry_set_size(ae, 0);
			return 1;
		}
	}
	if (st->st_nlink > 1) {
		*seen = xrealloc(*seen, (*n_seen + 1) * sizeof(**seen));
		(*seen)[(*n_seen)++] = (struct seen){ st->st_dev, st->st_ino, xstrdup(rel) };
	}
	archive_entry_set_size(ae, st->st_size);
	return 0;
}

/* A regular file's bytes: the host object (regular too: berth-fs makes
 * no other kind for it), reopened through the held descriptor fd, never
 * by name. */
static int write_content(struct archive *a, int fd, const struct stat *st, const char *path,
			 struct berth_error *err)
{
	_cleanup_free_ char *proc = xasprintf("/proc/self/fd/%d", fd);
	_cleanup_close_ int in =
		S_ISREG(st->st_mode) ? open(proc, O_RDONLY | O_NONBLOCK | O_CLOEXEC) : -1;
	char buf[65536];
	ssize_t n;

	if (!S_ISREG(st->st_mode))
		return berth_error_set(err, 0, "%s: not a regular file in the layer", path);
	if (in < 0)
		return berth_error_set(err, errno, "reading %s in the layer", path);
	while ((n = read(in, buf, sizeof(buf))) > 0) {
		la_ssize_t w = archive_write_data(a, buf, (size_t)n);
		if (w < 0)
			return layer_write_failed(a, path, err);
		/* the entry's size was taken before: the file grew since */
		if (w != n)
			return berth_error_set(
				err, 0, "%s changed while it was being written into a layer", path);
	}
	if (n < 0)
		return berth_error_set(err, errno, "reading %s in the layer", path);
	return 0;
}

static int write_entry(struct archive *a, int diff, const struct bfs_entry *e, int64_t clamp,
		       struct seen **seen, size_t *n_seen, struct berth_error *err)
{
	_cleanup_(archive_entry_freep) struct archive_entry *ae = archive_entry_new();
	_cleanup_close_ int fd = -1;
	const char *rel = e->path + 1;
	struct stat st = { 0 };

	if (e->type == BFS_WHITEOUT)
		return write_whiteout(a, e, err);
	archive_entry_set_pathname(ae, rel);
	archive_entry_set_perm(ae, e->type == BFS_LNK ? 0777 : (e->mode & 07777));
	archive_entry_set_uid(ae, e->uid);
	archive_entry_set_gid(ae, e->gid);
	/* build --timestamp: no entry newer than the clamp */
	if (clamp >= 0 && e->mtime_sec >= clamp)
		archive_entry_set_mtime(ae, clamp, 0);
	else
		archive_entry_set_mtime(ae, e->mtime_sec, e->mtime_nsec);
	for (size_t i = 0; i < e->n_xattrs; i++)
		archive_entry_xattr_add_entry(ae, e->xattrs[i].name, e->xattrs[i].value,
					      e->xattrs[i].len);
	if ((fd = open_beneath(diff, rel, O_PATH | O_NOFOLLOW, 0)) < 0 || fstat(fd, &st) < 0)
		return berth_error_set(err, errno, "%s in the layer", e->path);
	switch (e->type) {
	case BFS_DIR: archive_entry_set_filetype(ae, AE_IFDIR); break;
	case BFS_LNK: {
		char target[PATH_MAX + 1];
		ssize_t n = readlinkat(fd, "", target, PATH_MAX);
		if (n < 0)
			return berth_error_set(err, errno, "reading the link %s in the layer",
					       e->path);
		target[n] = '\0';
		archive_entry_set_filetype(ae, AE_IFLNK);
		archive_entry_set_symlink(ae, target);
		break;
	}
	case BFS_FIFO: archive_entry_set_filetype(ae, AE_IFIFO); break;
	case BFS_SOCK: return 0; /* tar has no sockets */
	case BFS_CHR:
	case BFS_BLK:
		archive_entry_set_filetype(ae, e->type == BFS_CHR ? AE_IFCHR : AE_IFBLK);
		archive_entry_set_rdev(ae, makedev(e->rdev_major, e->rdev_minor));
		break;
	default:
		if (regular_or_link(ae, &st, rel, seen, n_seen) == 1) /* no content of its own */
			return archive_write_header(a, ae) == ARCHIVE_OK
				       ? 0
				       : layer_write_failed(a, e->path, err);
	}
	if (archive_write_header(a, ae) != ARCHIVE_OK)
		return layer_write_failed(a, e->path, err);
	if (e->type == BFS_REG && write_content(a, fd, &st, e->path, err) < 0)
		return -1;
	if (e->type == BFS_DIR && e->opaque) { /* what lower layers have here stays hidden */
		_cleanup_free_ char *p = xasprintf("%s/.wh..wh..opq", rel);
		return write_marker(a, p, err);
	}
	return 0;
}

struct layer_tar {
	struct archive *a;
	int64_t clamp;
	struct seen *seen;
	size_t n_seen;
};

int layer_tar_open(int fd, int64_t clamp, struct layer_tar **out, struct berth_error *err)
{
	struct layer_tar *t = xcalloc(1, sizeof(*t));

	t->a = archive_write_new();
	t->clamp = clamp;
	archive_write_set_format_pax_restricted(t->a);
	archive_write_set_bytes_in_last_block(t->a, 1);
	if (archive_write_open_fd(t->a, fd) != ARCHIVE_OK) {
		unpack_archive_error(t->a, "writing the layer", err);
		layer_tar_free(t);
		return -1;
	}
	*out = t;
	return 0;
}

int layer_tar_entry(struct layer_tar *t, int diff, const struct bfs_entry *e,
		    struct berth_error *err)
{
	return write_entry(t->a, diff, e, t->clamp, &t->seen, &t->n_seen, err);
}

int layer_tar_whiteout(struct layer_tar *t, const char *path, struct berth_error *err)
{
	struct bfs_entry e = { .path = (char *)path, .type = BFS_WHITEOUT };
	return write_whiteout(t->a, &e, err);
}

int layer_tar_opaque(struct layer_tar *t, const char *dir, struct berth_error *err)
{
	_cleanup_free_ char *p = xasprintf("%s/.wh..wh..opq", dir + 1);
	return write_marker(t->a, p, err);
}

int layer_tar_finish(struct layer_tar *t, struct berth_error *err)
{
	if (archive_write_close(t->a) != ARCHIVE_OK)
		return unpack_archive_error(t->a, "writing the layer (its end)", err);
	return 0;
}

void layer_tar_free(struct layer_tar *t)
{
	if (!t)
		return;
	archive_write_free(t->a);
	for (size_t i = 0; i < t->n_seen; i++)
		free(t->seen[i].path);
	free(t->seen);
	free(t);
}
