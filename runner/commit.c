// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * commit.c: a container's writable layer as an uncompressed OCI layer tar
 * (pax: owners, modes, xattrs from the layer's table; whiteouts as .wh.
 * files, opaque directories with .wh..wh..opq; hardlinks kept), from
 * berth-fs's own record of what changed (meta and meta.log), never a walk
 * of the tree; and commit, that layer on the image as a new image
 * (image/assemble.c, load's install with all its checks). The image's
 * configuration is kept as it is, with a history entry added.
 */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#include "commit.h"
#include "../image/assemble.h"
#include "../image/image.h"
#include "scaffold.h"
#include "../lib/syscalls.h"
#include "../image/tree.h"
#include "../image/unpack.h"
#include "../lib/util.h"

DEFINE_CLEANUP_FUNC(struct archive *, archive_write_free)
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
		return berth_error_set(err, errno, "reading %s in the writable layer", path);
	while ((n = read(in, buf, sizeof(buf))) > 0) {
		la_ssize_t w = archive_write_data(a, buf, (size_t)n);
		if (w < 0)
			return layer_write_failed(a, path, err);
		/* the entry's size was taken before: the file grew since */
		if (w != n)
			return berth_error_set(err, 0,
					       "%s changed while it was being committed: "
					       "commit a stopped container",
					       path);
	}
	if (n < 0)
		return berth_error_set(err, errno, "reading %s in the writable layer", path);
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
		return berth_error_set(err, errno, "%s in the writable layer", e->path);
	switch (e->type) {
	case BFS_DIR: archive_entry_set_filetype(ae, AE_IFDIR); break;
	case BFS_LNK: {
		char target[PATH_MAX + 1];
		ssize_t n = readlinkat(fd, "", target, PATH_MAX);
		if (n < 0)
			return berth_error_set(
				err, errno, "reading the link %s in the writable layer", e->path);
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

/* The writable layer's table: meta, then the changes in its log. */
static struct bfs_meta *upper_table(int ufd, struct berth_error *err)
{
	struct bfs_meta *m = NULL;
	_cleanup_close_ int lfd = -1;
	_cleanup_free_ char *log = NULL;
	size_t len = 0;

	if (faccessat(ufd, "meta", F_OK, AT_SYMLINK_NOFOLLOW) == 0) {
		if (bfs_meta_read(ufd, "meta", &m, err) < 0)
			return NULL;
	} else {
		m = bfs_meta_new();
	}
	lfd = openat(ufd, "meta.log", O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	if (lfd >= 0 && read_fd_all(lfd, (size_t)1 << 30, &log, &len, err) < 0) {
		bfs_meta_free(m);
		return NULL;
	}
	if (log)
		bfs_meta_replay(m, log, len);
	return m;
}

/* The entries of the table that go into the layer: berth's own mount
 * points (scaffold.c) left out. *v and *keep the caller's to free. */
static void layer_entries(int cfd, int diff, struct bfs_meta *m, const struct bfs_stack *lower,
			  struct bfs_entry ***v, bool **keep, size_t *n)
{
	struct scaffold sc;

	*v = bfs_meta_sorted(m, n);
	scaffold_load(cfd, &sc);
	*keep = scaffold_filter(&sc, *v, *n, lower, diff);
	scaffold_free(&sc);
}

/* ufd: the writable layer; cfd: the container's directory (berth's
 * notes on the mount points it made, left out: scaffold.c); lower: the
 * image's layers. */
static int write_layer(int ufd, int cfd, const struct bfs_stack *lower, int64_t clamp, int outfd,
		       size_t *n_entries, struct berth_error *err)
{
	_cleanup_(archive_write_freep) struct archive *a = archive_write_new();
	_cleanup_close_ int diff =
		openat(ufd, "diff", O_PATH | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	struct bfs_meta *m = upper_table(ufd, err);
	_cleanup_free_ struct bfs_entry **v = NULL;
	_cleanup_free_ bool *keep = NULL;
	struct seen *seen = NULL;
	size_t n, n_seen = 0;
	int r = 0;

	*n_entries = 0;
	if (!m)
		return -1;
	if (diff < 0) {
		bfs_meta_free(m);
		return berth_error_set(err, errno, "the writable layer");
	}
	archive_write_set_format_pax_restricted(a);
	archive_write_set_bytes_in_last_block(a, 1);
	if (archive_write_open_fd(a, outfd) != ARCHIVE_OK) {
		bfs_meta_free(m);
		return unpack_archive_error(a, "writing the layer", err);
	}
	layer_entries(cfd, diff, m, lower, &v, &keep, &n);
	for (size_t i = 0; i < n && r == 0; i++) {
		if (!keep[i])
			continue;
		r = write_entry(a, diff, v[i], clamp, &seen, &n_seen, err);
		++*n_entries;
	}
	if (r == 0 && archive_write_close(a) != ARCHIVE_OK)
		r = unpack_archive_error(a, "writing the layer (its end)", err);
	for (size_t i = 0; i < n_seen; i++)
		free(seen[i].path);
	free(seen);
	bfs_meta_free(m);
	return r;
}

int container_layer_write(struct store *s, const char *container_dir, const char *image_id,
			  int64_t mtime_clamp, int fd, size_t *n_entries, struct berth_error *err)
{
	_cleanup_close_ int cfd = open(container_dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	_cleanup_close_ int up =
		cfd < 0 ? -1 : openat(cfd, "upper", O_PATH | O_DIRECTORY | O_CLOEXEC);
	struct bfs_stack lower;
	int r;

	*n_entries = 0;
	if (up < 0)
		return berth_error_set(err, errno, "the container has no writable layer yet");
	if (image_open_stack(s, image_id, &lower, err) < 0)
		return -1;
	r = write_layer(up, cfd, &lower, mtime_clamp, fd, n_entries, err);
	image_close_stack(&lower);
	return r;
}

/* The image's config with a history entry for the new layer. */
static struct json_object *commit_config(struct store *s, const char *image_id, const char *message,
					 struct berth_error *err)
{
	struct json_object *cfg = image_config(s, image_id, err), *hist, *h;
	char now[64];
	time_t t = time(NULL);
	struct tm tm;

	if (!cfg)
		return NULL;
	gmtime_r(&t, &tm);
	strftime(now, sizeof(now), "%Y-%m-%dT%H:%M:%SZ", &tm);
	if (!json_object_object_get_ex(cfg, "history", &hist) ||
	    !json_object_is_type(hist, json_type_array)) {
		hist = json_object_new_array();
		json_object_object_add(cfg, "history", hist);
	}
	h = json_object_new_object();
	json_object_object_add(h, "created", json_object_new_string(now));
	json_object_object_add(h, "created_by", json_object_new_string("berth commit"));
	if (message)
		json_object_object_add(h, "comment", json_object_new_string(message));
	json_object_array_add(hist, h);
	json_object_object_add(cfg, "created", json_object_new_string(now));
	return cfg;
}

int container_commit(struct store *s, const char *container_dir, const char *image_id,
		     const char *ref, const char *message, char *id_out, struct berth_error *err)
{
	_cleanup_json_ struct json_object *cfg = NULL;
	char *refs[] = { (char *)ref, NULL };
	struct store_stage *st = NULL;
	_cleanup_close_ int lfd = -1;
	size_t n;
	int r = -1;

	/* the layer is written in a stage of the store, from where the
	 * assembly links it in as its blob (no copy) */
	if (store_stage_new(s, &st, err) < 0)
		return store_name_if_full(s, err);
	lfd = openat(st->dirfd, "layer.tar", O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (lfd < 0) {
		berth_error_set(err, errno, "writing the layer");
		goto out;
	}
	/* an unchanged container still makes a layer, empty, as ever */
	if (container_layer_write(s, container_dir, image_id, -1, lfd, &n, err) < 0 ||
	    !(cfg = commit_config(s, image_id, message, err)))
		goto out;
	struct assemble a = {
		.base_id = image_id, .layer_fd = lfd, .config = cfg, .refs = ref ? refs : NULL
	};
	r = image_assemble(s, &a, id_out, err);
out:
	store_stage_free(st);
	return r < 0 ? store_name_if_full(s, err) : 0;
}
