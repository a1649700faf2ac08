// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * unpack.c: layer tar -> store layer. libarchive only decompresses (raw
 * format; gzip, zstd, bzip2 or xz, in-process); the uncompressed stream
 * is hashed for the diffID as berth's own tar reader (tar.c) parses it.
 * One pass, bounded memory, whatever the layer size.
 *
 * Hostile input: member names are normalised (no "..", no absolute names),
 * parent directories are resolved in the merged rootfs (lower layers plus
 * this one) following image symlinks inside the root, and host objects
 * are created through open_beneath() so no host symlink is ever followed.
 * Owners, special modes, devices and xattrs go to the metadata table only.
 */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "prefetch.h"
#include "../lib/syscalls.h"
#include "tar.h"
#include "unpack.h"
#include "../lib/util.h"

#define READ_CHUNK (128 * 1024)

/* An O_PATH fd on a directory of the top layer, by its path. */
struct dir_slot {
	char *path;
	int fd;
};

struct unpack {
	struct bfs_stack *stack;
	struct bfs_layer *top;
	struct archive *raw;
	struct prefetch *prefetch; /* runs raw_fill on its own thread */
	struct sha256_ctx *hash;
	uint64_t tar_size;
	uint64_t max_tar_size; /* raw_fill's limit on the stream (0: none) */
	const struct unpack_limits *lim;
	uint64_t members; /* tar members read */
	char *buf;
	void (*progress)(uint64_t, void *);
	void *progress_data;
	/* directories of the top layer held open: [0] the last parent
	 * looked up (tar writers group a directory's members), [1] the last
	 * directory made (the next members are often inside it) */
	struct dir_slot dirs[2];
	struct berth_error *err;
};

int unpack_normalize_name(const char *raw, char **out, struct berth_error *err)
{
	_cleanup_free_ char *res = xmalloc(strlen(raw) + 2);
	size_t n = 0;
	const char *p = raw;

	if (raw[0] == '/')
		return berth_error_set(err, 0, "entry \"%s\": absolute path refused", raw);
	while (*p) {
		const char *end = strchr(p, '/');
		size_t len = end ? (size_t)(end - p) : strlen(p);

		if (len == 2 && p[0] == '.' && p[1] == '.')
			return berth_error_set(err, 0, "entry \"%s\": \"..\" component refused",
					       raw);
		if (len > 0 && !(len == 1 && p[0] == '.')) {
			res[n++] = '/';
			memcpy(res + n, p, len);
			n += len;
		}
		p += len;
		while (*p == '/')
			p++;
	}
	if (n == 0)
		res[n++] = '/';
	res[n] = '\0';
	if (n >= PATH_MAX)
		return berth_error_set(err, ENAMETOOLONG, "entry \"%.64s...\"", raw);
	*out = steal_pointer(&res);
	return 0;
}

/* The tar reader's input: decompressed bytes, hashed for the diffID. */
static ssize_t raw_fill(void *ctx, void *buf, size_t len, struct berth_error *err)
{
	struct unpack *u = ctx;
	la_ssize_t n = archive_read_data(u->raw, buf, len);

	if (n < 0)
		return unpack_archive_error(u->raw, "cannot decompress", err);
	/* checked as the stream comes, so a bomb stops before the disk fills */
	if (u->max_tar_size && u->tar_size + (uint64_t)n > u->max_tar_size) {
		if (!u->lim)
			return berth_error_set(err, EFBIG, "the stream is longer than %llu bytes",
					       (unsigned long long)u->max_tar_size);
		if (u->lim->max_image_size &&
		    u->lim->image_size + u->tar_size + (uint64_t)n > u->lim->max_image_size)
			return berth_error_set(err, EFBIG,
					       "the image's layers unpack to more than %llu bytes "
					       "(max-image-size in berth.conf [limits])",
					       (unsigned long long)u->lim->max_image_size);
		return berth_error_set(err, EFBIG,
				       "unpacks to more than %llu bytes "
				       "(max-layer-size in berth.conf [limits])",
				       (unsigned long long)u->lim->max_layer_size);
	}
	sha256_update(u->hash, buf, (size_t)n);
	u->tar_size += (uint64_t)n;
	if (u->progress)
		u->progress((uint64_t)archive_filter_bytes(u->raw, -1), u->progress_data);
	return n;
}

static void slot_drop(struct dir_slot *d)
{
	free(d->path);
	d->path = NULL;
	if (d->fd >= 0)
		close(d->fd);
	d->fd = -1;
}

static void slot_set(struct dir_slot *d, const char *path, int fd)
{
	slot_drop(d);
	d->path = xstrdup(path);
	d->fd = fd;
}

static void dirs_drop(struct unpack *u)
{
	for (size_t i = 0; i < ARRAY_SIZE(u->dirs); i++)
		slot_drop(&u->dirs[i]);
}

/* An O_PATH fd on directory dir of the top layer (borrowed: do not close). */
static int top_dir(struct unpack *u, const char *dir)
{
	int fd;

	for (size_t i = 0; i < ARRAY_SIZE(u->dirs); i++)
		if (u->dirs[i].path && strcmp(u->dirs[i].path, dir) == 0)
			return u->dirs[i].fd;
	fd = bfs_layer_open(u->top, dir, O_PATH | O_DIRECTORY);
	if (fd < 0)
		return berth_error_set(u->err, errno, "open %s in the new layer", dir);
	slot_set(&u->dirs[0], dir, fd);
	return fd;
}

/* Directory name was just made below pfd (path dir): keep it open. */
static int made_dir(struct unpack *u, int pfd, const char *name, const char *dir)
{
	int fd = openat(pfd, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

	if (fd < 0)
		return berth_error_set(u->err, errno, "open %s in the new layer", dir);
	slot_set(&u->dirs[1], dir, fd);
	return fd;
}

/* Make the missing directories of dir, from the component at off on
 * (dir[0..off) is a directory of the top layer), each with the
 * attributes the merged view gives it (copy-up). A component the lower
 * layers lack means they lack every one below it too. */
static int make_dirs(struct unpack *u, char *dir, size_t off)
{
	char save = dir[off];
	bool lower_gone = false;
	int pfd, sub;

	dir[off] = '\0';
	pfd = top_dir(u, off ? dir : "/");
	dir[off] = save;
	if (pfd < 0)
		return -1;
	if ((pfd = fcntl(pfd, F_DUPFD_CLOEXEC, 0)) < 0)
		return berth_error_set(u->err, errno, "dup");
	while (pfd >= 0 && dir[off]) {
		char *end = strchrnul(dir + off + 1, '/');
		const struct bfs_entry *e0, *lower = NULL;
		struct bfs_entry *ne;

		save = *end;
		*end = '\0';
		e0 = bfs_meta_get(u->top->meta, dir);
		if (e0 && e0->type != BFS_WHITEOUT && e0->type != BFS_DIR) {
			close(pfd);
			return berth_error_set(u->err, ENOTDIR, "%s is not a directory", dir);
		}
		if (!e0 && !lower_gone)
			lower = bfs_stack_lookup(u->stack, dir, NULL);
		lower_gone = lower_gone || (!e0 && !lower);
		if (lower && lower->type != BFS_DIR) {
			close(pfd);
			return berth_error_set(u->err, ENOTDIR, "%s is not a directory", dir);
		}
		if (!e0 || e0->type != BFS_DIR) {
			ne = lower ? bfs_entry_clone(lower, dir) : bfs_entry_new(dir, BFS_DIR);
			if (!lower)
				ne->mode = 0755;
			/* over a whiteout of this layer: what lower layers had is gone */
			ne->opaque = e0 != NULL;
			if (mkdirat(pfd, bfs_path_basename(dir), bfs_host_mode(BFS_DIR, ne->mode)) <
			    0) {
				bfs_entry_free(ne);
				close(pfd);
				return berth_error_set(u->err, errno, "mkdir %s", dir);
			}
			bfs_meta_put(u->top->meta, ne);
		}
		sub = openat(pfd, bfs_path_basename(dir),
			     O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		close(pfd);
		pfd = sub;
		if (pfd < 0)
			berth_error_set(u->err, errno, "open %s in the new layer", dir);
		*end = save;
		off = (size_t)(end - dir);
	}
	if (pfd < 0)
		return -1;
	slot_set(&u->dirs[1], dir, pfd);
	return 0;
}

/* Make sure every component of dir is a directory of the top layer. The
 * top layer's table holds a path only with all its parents, so a
 * directory there ends the check; else find the deepest one it has. */
static int ensure_dir(struct unpack *u, const char *dir)
{
	_cleanup_free_ char *d = NULL;
	const struct bfs_entry *e0 = bfs_meta_get(u->top->meta, dir);
	size_t off;

	if (e0 && e0->type == BFS_DIR)
		return 0;
	if (strcmp(dir, "/") == 0) {
		struct bfs_entry *ne = bfs_entry_new("/", BFS_DIR);
		const struct bfs_entry *lower = bfs_stack_lookup(u->stack, "/", NULL);

		if (lower && lower->type == BFS_DIR) {
			bfs_entry_free(ne);
			ne = bfs_entry_clone(lower, "/");
		} else {
			ne->mode = 0755;
		}
		bfs_meta_put(u->top->meta, ne);
		return 0;
	}
	d = xstrdup(dir);
	for (off = strlen(d); off > 0; off--) {
		if (d[off] != '/' && d[off] != '\0')
			continue;
		char save = d[off];
		d[off] = '\0';
		e0 = bfs_meta_get(u->top->meta, d);
		d[off] = save;
		if (e0 && e0->type == BFS_DIR)
			break;
	}
	return make_dirs(u, d, off);
}

static struct bfs_entry *entry_from_header(const struct tar_entry *te, const char *path, char type)
{
	struct bfs_entry *e = bfs_entry_new(path, type);

	e->mode = te->mode & 07777;
	e->uid = te->uid;
	e->gid = te->gid;
	e->mtime_sec = te->mtime_sec;
	e->mtime_nsec = te->mtime_nsec;
	if (type == BFS_CHR || type == BFS_BLK) {
		e->rdev_major = te->devmajor;
		e->rdev_minor = te->devminor;
	}
	for (size_t i = 0; i < te->n_xattrs; i++)
		bfs_entry_add_xattr(e, te->xattrs[i].name, te->xattrs[i].value, te->xattrs[i].len);
	return e;
}

static int write_data(struct unpack *u, struct tar_reader *tar, int fd, const char *path)
{
	for (;;) {
		const void *data;
		ssize_t n = tar_read_data(tar, &data, u->err);

		if (n < 0)
			return berth_error_wrap(u->err, "reading %s", path);
		if (n == 0)
			return 0;
		/* short writes only happen when the disk is full */
		if (write_all(fd, data, (size_t)n) < 0)
			return berth_error_set(u->err, errno ? errno : ENOSPC, "writing %s", path);
	}
}

static int make_hardlink(struct unpack *u, const struct tar_entry *ae, int pfd, const char *path,
			 struct bfs_entry **out)
{
	_cleanup_free_ char *tname = NULL, *tparent = NULL, *tdir = NULL, *tpath = NULL;
	_cleanup_close_ int tfd = -1;
	const struct bfs_entry *target;
	struct bfs_entry *e;
	size_t layer;

	if (unpack_normalize_name(ae->linkpath, &tname, u->err) < 0)
		return berth_error_wrap(u->err, "hardlink target");
	tparent = bfs_path_dirname(tname);
	if (bfs_stack_resolve(u->stack, tparent, BFS_FOLLOW_LAST, &tdir, NULL, u->err) < 0)
		return berth_error_wrap(u->err, "hardlink target");
	tpath = bfs_path_join(tdir, bfs_path_basename(tname));
	target = bfs_stack_lookup(u->stack, tpath, &layer);
	if (!target || target->type == BFS_DIR || strcmp(tpath, path) == 0)
		return berth_error_set(u->err, ENOENT,
				       "hardlink to \"%s\": no such file in this or a lower layer",
				       ae->linkpath);
	tfd = bfs_layer_open(&u->stack->layers[layer], tdir, O_PATH | O_DIRECTORY);
	if (tfd < 0 || linkat(tfd, bfs_path_basename(tpath), pfd, bfs_path_basename(path), 0) < 0)
		return berth_error_set(u->err, errno, "hardlink to %s", tpath);
	e = entry_from_header(ae, path, target->type);
	e->rdev_major = target->rdev_major;
	e->rdev_minor = target->rdev_minor;
	if (layer == 0) {
		/* the header's attributes belong to the shared inode */
		struct bfs_entry *t0 = bfs_meta_get(u->top->meta, tpath);
		t0->mode = e->mode;
		t0->uid = e->uid;
		t0->gid = e->gid;
	}
	*out = e;
	return 0;
}

static int create_object(struct unpack *u, struct tar_reader *tar, const struct tar_entry *ae,
			 int pfd, const char *path, char type, struct bfs_entry **out)
{
	const char *base = bfs_path_basename(path);
	struct bfs_entry *e = entry_from_header(ae, path, type);
	_cleanup_close_ int fd = -1;

	switch (type) {
	case BFS_DIR:
		if (mkdirat(pfd, base, bfs_host_mode(type, e->mode)) < 0)
			goto fail;
		break;
	case BFS_LNK: {
		const char *target = ae->linkpath;
		if (!target || !*target) {
			bfs_entry_free(e);
			return berth_error_set(u->err, EINVAL, "symlink %s: empty target", path);
		}
		if (symlinkat(target, pfd, base) < 0)
			goto fail;
		break;
	}
	default:
		fd = openat(pfd, base, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
			    bfs_host_mode(type, e->mode));
		if (fd < 0)
			goto fail;
		if (type == BFS_REG && write_data(u, tar, fd, path) < 0) {
			bfs_entry_free(e);
			return -1;
		}
		if (type == BFS_REG) {
			struct timespec ts[2] = {
				{ .tv_sec = e->mtime_sec, .tv_nsec = e->mtime_nsec },
				{ .tv_sec = e->mtime_sec, .tv_nsec = e->mtime_nsec },
			};
			futimens(fd, ts);
		}
	}
	*out = e;
	return 0;
fail:
	bfs_entry_free(e);
	return berth_error_set(u->err, errno, "create %s", path);
}

static int handle_whiteout(struct unpack *u, const char *dir, const char *base)
{
	struct bfs_entry *e0;
	_cleanup_free_ char *path = NULL;

	if (ensure_dir(u, dir) < 0)
		return -1;
	if (strcmp(base, ".wh..wh..opq") == 0) {
		bfs_meta_get(u->top->meta, dir)->opaque = true;
		return 0;
	}
	if (str_has_prefix(base, ".wh..wh."))
		return 0; /* aufs bookkeeping (.wh..wh.plnk and the like) */
	base += 4;
	if (!*base || strcmp(base, ".") == 0 || strcmp(base, "..") == 0)
		return berth_error_set(u->err, 0, "invalid whiteout name \".wh.%s\"", base);
	path = bfs_path_join(dir, base);
	e0 = bfs_meta_get(u->top->meta, path);
	if (e0 && e0->type == BFS_DIR)
		e0->opaque = true; /* it hides only what lower layers had */
	else if (!e0)
		bfs_meta_put(u->top->meta, bfs_entry_new(path, BFS_WHITEOUT));
	return 0;
}

/* Whiteout names among the directories of a canonical path (all but its
 * last component): 1 when one is aufs bookkeeping (".wh..wh.*", whose
 * contents are ignored as docker does), -1 for any other, 0 for none. */
static int whiteout_dirs(const char *path)
{
	const char *p = path, *end;

	for (; *p; p = end) {
		p += *p == '/';
		end = strchrnul(p, '/');
		if (!*end)
			return 0;
		if (bfs_name_is_whiteout(p, (size_t)(end - p)))
			return str_has_prefix(p, ".wh..wh.") ? 1 : -1;
	}
	return 0;
}

/* The place of an entry in the merged tree, checked against the limits
 * and the whiteout names (OCI image spec, "Whiteouts": no file or
 * directory has a name beginning with .wh.). */
static int check_place(struct unpack *u, const char *raw, const char *path)
{
	size_t depth = 0;

	if (whiteout_dirs(path) != 0)
		return berth_error_set(u->err, 0,
				       "entry \"%s\": resolves to %s, below a whiteout name "
				       "(.wh.*), which cannot be a directory",
				       raw, path);
	if (strlen(path) >= PATH_MAX)
		return berth_error_set(u->err, ENAMETOOLONG,
				       "entry \"%.64s...\": resolves to a path of %zu bytes", raw,
				       strlen(path));
	for (const char *c = path; *c; c++)
		depth += *c == '/';
	if (u->lim && u->lim->max_depth && depth > u->lim->max_depth)
		return berth_error_set(
			u->err, 0,
			"entry \"%.64s%s\": %zu directory levels deep, more than %llu "
			"(max-depth in berth.conf [limits])",
			raw, strlen(raw) > 64 ? "..." : "", depth,
			(unsigned long long)u->lim->max_depth);
	return 0;
}

static int handle_entry(struct unpack *u, struct tar_reader *tar, const struct tar_entry *ae)
{
	_cleanup_free_ char *name = NULL, *parent = NULL, *dir = NULL, *path = NULL;
	const char *raw = ae->path;
	const char *base;
	struct bfs_entry *e0, *ne = NULL;
	bool was_whiteout = false;
	char type;
	int pfd, wh;

	if (!raw)
		return berth_error_set(u->err, 0, "entry with an unreadable name");
	if (unpack_normalize_name(raw, &name, u->err) < 0)
		return -1;
	type = ae->type;
	if (strcmp(name, "/") == 0) {
		if (type != BFS_DIR)
			return berth_error_set(u->err, 0,
					       "entry \"%s\": the root must be a directory", raw);
		if (ensure_dir(u, "/") < 0)
			return -1;
		e0 = bfs_meta_get(u->top->meta, "/");
		ne = entry_from_header(ae, "/", BFS_DIR);
		ne->opaque = e0->opaque;
		bfs_meta_put(u->top->meta, ne);
		return 0;
	}
	if ((wh = whiteout_dirs(name)) > 0)
		return 0; /* inside aufs bookkeeping: ignored */
	if (wh < 0)
		return berth_error_set(
			u->err, 0, "entry \"%s\": a whiteout name (.wh.*) cannot be a directory",
			raw);
	parent = bfs_path_dirname(name);
	base = bfs_path_basename(name);
	if (bfs_stack_resolve(u->stack, parent, BFS_FOLLOW_LAST, &dir, NULL, u->err) < 0)
		return berth_error_wrap(u->err, "entry \"%s\"", raw);
	path = bfs_path_join(dir, base);
	if (check_place(u, raw, path) < 0)
		return -1;
	if (str_has_prefix(base, ".wh."))
		return handle_whiteout(u, dir, base) < 0
			       ? berth_error_wrap(u->err, "entry \"%s\"", raw)
			       : 0;
	if (ensure_dir(u, dir) < 0)
		return berth_error_wrap(u->err, "entry \"%s\"", raw);
	if ((pfd = top_dir(u, dir)) < 0)
		return -1;
	e0 = bfs_meta_get(u->top->meta, path);
	if (e0 && e0->type == BFS_DIR && type == BFS_DIR && !ae->hardlink) {
		/* a directory over a directory only updates its attributes */
		ne = entry_from_header(ae, path, BFS_DIR);
		ne->opaque = e0->opaque;
		fchmodat(pfd, base, bfs_host_mode(BFS_DIR, ne->mode), 0);
		bfs_meta_put(u->top->meta, ne);
		return 0;
	}
	if (e0) {
		was_whiteout = e0->type == BFS_WHITEOUT;
		if (!was_whiteout && rm_rf_at(pfd, base, u->err) < 0)
			return berth_error_wrap(u->err, "replacing %s", path);
		bfs_meta_remove(u->top->meta, path, true);
		dirs_drop(u); /* the directories held may have been below path */
		if ((pfd = top_dir(u, dir)) < 0)
			return -1;
	}
	if (ae->hardlink) {
		if (make_hardlink(u, ae, pfd, path, &ne) < 0)
			return berth_error_wrap(u->err, "entry \"%s\"", raw);
	} else if (create_object(u, tar, ae, pfd, path, type, &ne) < 0) {
		return berth_error_wrap(u->err, "entry \"%s\"", raw);
	}
	/* a whiteout of the same layer still hides the lower directory */
	ne->opaque = was_whiteout && ne->type == BFS_DIR;
	bfs_meta_put(u->top->meta, ne);
	if (ne->type == BFS_DIR && !ae->hardlink && made_dir(u, pfd, base, path) < 0)
		return -1;
	return 0;
}

/* The compressions layers come in: OCI has gzip and zstd, docker also
 * reads bzip2 and xz. Never archive_read_support_filter_all(): for lrzip,
 * grzip, lzop (and any codec it was built without) libarchive spawns an
 * external program from $PATH on the untrusted stream. A filter is only
 * enabled when libarchive decodes it in-process (ARCHIVE_OK, not WARN). */
static int (*const layer_filters[])(struct archive *) = {
	archive_read_support_filter_gzip,
	archive_read_support_filter_zstd,
	archive_read_support_filter_bzip2,
	archive_read_support_filter_xz,
};

void unpack_support_filters(struct archive *a)
{
	for (size_t i = 0; i < ARRAY_SIZE(layer_filters); i++) {
		struct archive *probe = archive_read_new();
		bool builtin = layer_filters[i](probe) == ARCHIVE_OK;

		archive_read_free(probe);
		if (builtin)
			layer_filters[i](a);
	}
}

int unpack_archive_error(struct archive *a, const char *what, struct berth_error *err)
{
	int e = archive_errno(a);
	const char *text = archive_error_string(a);

	/* libarchive's own codes: a format (EILSEQ), a misuse (EINVAL) or
	 * "misc" (-1) say nothing that its text does not say better */
	if (e > 0 && e != EILSEQ && e != EINVAL)
		return berth_error_set(err, e, "%s", what);
	return berth_error_set(err, 0, "%s: %s", what, text ? text : "unknown libarchive error");
}

static int open_raw(struct unpack *u, int blob_fd)
{
	struct archive_entry *ae;

	u->raw = archive_read_new();
	unpack_support_filters(u->raw);
	archive_read_support_format_raw(u->raw);
	archive_read_support_format_empty(u->raw);
	if (archive_read_open_fd(u->raw, blob_fd, READ_CHUNK) != ARCHIVE_OK ||
	    archive_read_next_header(u->raw, &ae) != ARCHIVE_OK)
		return unpack_archive_error(u->raw, "cannot decompress", u->err);
	return 0;
}

/* A layer's entries: its tar members, or the records of its table
 * (which add the directories the members imply), whichever is more. */
static int check_entries(struct unpack *u)
{
	const struct unpack_limits *l = u->lim;
	/* the root's record is there from the start: not an entry */
	uint64_t n = u->members, rec = bfs_meta_count(u->top->meta) - 1;

	if (!l)
		return 0;
	n = rec > n ? rec : n;
	if (l->max_entries && n > l->max_entries)
		return berth_error_set(u->err, 0,
				       "more than %llu entries (max-layer-entries in berth.conf "
				       "[limits])",
				       (unsigned long long)l->max_entries);
	if (l->max_image_entries && l->image_entries + n > l->max_image_entries)
		return berth_error_set(u->err, 0,
				       "the image's layers hold more than %llu entries "
				       "(max-image-entries in berth.conf [limits])",
				       (unsigned long long)l->max_image_entries);
	return 0;
}

static int unpack_entries(struct unpack *u, struct unpack_result *res)
{
	struct tar_reader *tar = tar_reader_new(prefetch_read, u->prefetch);
	struct tar_entry *te;
	int r;

	while ((r = tar_next(tar, &te, u->err)) == 1) {
		u->members++;
		if (check_entries(u) < 0 || handle_entry(u, tar, te) < 0 || check_entries(u) < 0) {
			r = -1;
			break;
		}
		res->entries++;
	}
	tar_reader_free(tar);
	return r;
}

/* The diffID covers the whole stream, end-of-archive padding included. */
static int drain(struct unpack *u, tar_read_fn fn, void *ctx)
{
	for (;;) {
		ssize_t n = fn(ctx, u->buf, READ_CHUNK, u->err);
		if (n < 0)
			return -1;
		if (n == 0)
			return 0;
	}
}

int unpack_layer(struct bfs_stack *stack, int blob_fd, const struct unpack_limits *lim,
		 void (*progress)(uint64_t done, void *data), void *progress_data,
		 struct unpack_result *res, struct berth_error *err)
{
	_cleanup_free_ char *buf = xmalloc(READ_CHUNK);
	struct unpack u = {
		.stack = stack,
		.top = &stack->layers[0],
		.buf = buf,
		.lim = lim,
		.progress = progress,
		.progress_data = progress_data,
		.dirs = { { .fd = -1 }, { .fd = -1 } },
		.err = err,
	};
	int ret = -1;

	memset(res, 0, sizeof(*res));
	if (lim) {
		uint64_t left = lim->max_image_size > lim->image_size
					? lim->max_image_size - lim->image_size
					: 1; /* already over: the first byte is refused */

		u.max_tar_size = lim->max_layer_size;
		if (lim->max_image_size && (!u.max_tar_size || left < u.max_tar_size))
			u.max_tar_size = left;
	}
	u.hash = sha256_new();
	if (open_raw(&u, blob_fd) < 0 || ensure_dir(&u, "/") < 0)
		goto out;
	/* decompression and hashing run a few buffers ahead of the writes */
	u.prefetch = prefetch_start(raw_fill, &u);
	if (unpack_entries(&u, res) < 0 || drain(&u, prefetch_read, u.prefetch) < 0)
		goto out;
	prefetch_stop(u.prefetch);
	u.prefetch = NULL;
	sha256_final(u.hash, res->diff_id);
	u.hash = NULL;
	res->tar_size = u.tar_size;
	ret = 0;
out:
	prefetch_stop(u.prefetch); /* before what its thread uses goes */
	sha256_free(u.hash);
	dirs_drop(&u);
	if (u.raw)
		archive_read_free(u.raw);
	return ret;
}

int unpack_diff_id(int fd, uint64_t max, char *diff_id, uint64_t *tar_size, struct berth_error *err)
{
	_cleanup_free_ char *buf = xmalloc(READ_CHUNK);
	struct unpack u = { .buf = buf, .max_tar_size = max, .err = err };
	int ret = -1;

	u.hash = sha256_new();
	if (open_raw(&u, fd) < 0 || drain(&u, raw_fill, &u) < 0)
		goto out;
	sha256_final(u.hash, diff_id);
	u.hash = NULL;
	*tar_size = u.tar_size;
	ret = 0;
out:
	sha256_free(u.hash);
	if (u.raw)
		archive_read_free(u.raw);
	return ret;
}

struct archive *unpack_open_decompressor(int fd, struct berth_error *err)
{
	struct unpack u = { .err = err };

	if (open_raw(&u, fd) < 0) {
		if (u.raw)
			archive_read_free(u.raw);
		return NULL;
	}
	return u.raw;
}
