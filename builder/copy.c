// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * copy.c: the layer of a COPY, an ADD or a WORKDIR, and the digest of
 * what a COPY or ADD copies. One walk produces the layer's entries in
 * order (dest's missing parents, then each source by docker's rules) and
 * hands each to a sink: the tar writer (copy_write_layer) or the hasher
 * (copy_digest), so the digest covers exactly what the layer would hold
 * and reads nothing else.
 *
 * The sources are read through descriptors only: the context beneath its
 * root (context.h found the sources; the directories below them are
 * walked here one openat at a time, never following a link, skipping
 * what .dockerignore excludes), another image's files through its layer
 * stack's tables and host trees, an ADD's archive through berth's own tar
 * reader (names as their bytes, nothing escaping dest). Not here: the
 * parsing of the instruction, substitution, the step cache, ADD of a URL
 * (the executor refuses it).
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>

#include "../image/tar.h"
#include "../image/unpack.h"
#include "../lib/syscalls.h"
#include "../lib/util.h"
#include "../runner/user.h"
#include "copy.h"
#include "ignore.h"

DEFINE_CLEANUP_FUNC(struct archive *, archive_write_free)
DEFINE_CLEANUP_FUNC(struct archive *, archive_read_free)
DEFINE_CLEANUP_FUNC(struct archive_entry *, archive_entry_free)
DEFINE_CLEANUP_FUNC(struct tar_reader *, tar_reader_free)

/* Where a regular file's bytes come from. */
struct content {
	int fd;			/* a file opened for reading, or -1 */
	const char *data;	/* an inline file's bytes (fd -1, tar NULL) */
	size_t off;		/* of data already read */
	struct tar_reader *tar; /* an ADD archive's current entry */
	const void *piece;	/* what the tar reader gave and was not yet read */
	size_t piece_len;
};

/* One entry of the layer. */
struct item {
	const char *path; /* in the layer: canonical, no leading '/' */
	char type;	  /* enum bfs_type */
	uint32_t mode, uid, gid;
	int64_t mtime_sec;
	uint32_t mtime_nsec;
	const char *link;     /* a symbolic link's target */
	const char *hardlink; /* an earlier entry's path: this is a second name of it */
	uint32_t rdev_major, rdev_minor;
	uint64_t size;
	struct content *content; /* a regular file's bytes (not for a hard link) */
	const char *what;	 /* the source, for messages */
	/* extended attributes (file capabilities...): an image's or an
	 * archive's, kept as docker keeps them; none from the context */
	const struct bfs_xattr *xattrs;
	size_t n_xattrs;
};

/* What receives the entries: the layer's tar, or the digest. */
struct sink {
	int (*emit)(struct sink *s, const struct item *it, struct berth_error *err);
	struct archive *tar;
	struct sha256_ctx *sum;
};

/* The paths this layer has written so far that later entries may meet
 * again (directories made, an archive's entries): a set by hash. */
struct pathset {
	char **path;
	char *type;
	size_t n, cap;
};

struct hardlink {
	dev_t dev;
	ino_t ino;
	char *path;
};

struct copier {
	const struct copy_spec *c;
	const struct bfs_stack *base;
	struct sink *sink;
	uint32_t made_uid, made_gid; /* directories made */
	int64_t now;		     /* their mtime */
	char *dest;		     /* canonical, resolved in base */
	bool dest_dir;		     /* sources land inside dest */
	struct pathset written;
	struct hardlink *links; /* by inode: a table of links_cap slots */
	size_t n_links, links_cap;
	/* excluded directories of the context a walk entered because an
	 * exception may bring something below them back: written only if
	 * something below them is */
	struct pending {
		char *path;
		struct stat st;
	} * pending;
	size_t n_pending;
};

static void copier_free(struct copier *cp)
{
	for (size_t i = 0; i < cp->written.cap; i++)
		free(cp->written.path[i]);
	free(cp->written.path);
	free(cp->written.type);
	for (size_t i = 0; i < cp->links_cap; i++)
		free(cp->links[i].path);
	free(cp->links);
	for (size_t i = 0; i < cp->n_pending; i++)
		free(cp->pending[i].path);
	free(cp->pending);
	free(cp->dest);
}

/* ---- paths ---- */

/* p as a canonical absolute path, folded lexically ("." dropped, ".."
 * stopping at "/"); *escaped (when not NULL) tells whether a ".." would
 * have gone above the root. */
static char *clean_abs(const char *p, bool *escaped)
{
	char *out = xmalloc(strlen(p) + 2);
	size_t n = 0;

	if (escaped)
		*escaped = false;
	while (*p) {
		const char *end = strchrnul(p, '/');
		size_t len = (size_t)(end - p);

		if (len == 2 && p[0] == '.' && p[1] == '.') {
			if (n == 0 && escaped)
				*escaped = true;
			while (n > 0 && out[--n] != '/')
				;
		} else if (len > 0 && !(len == 1 && p[0] == '.')) {
			out[n++] = '/';
			memcpy(out + n, p, len);
			n += len;
		}
		p = *end ? end + 1 : end;
	}
	if (n == 0)
		out[n++] = '/';
	out[n] = '\0';
	return out;
}

static bool has_glob(const char *s)
{
	return strpbrk(s, "*?[\\") != NULL;
}

/* ---- the set of written paths ---- */

static size_t pathset_slot(const struct pathset *s, const char *path)
{
	size_t i = bfs_hash_path(path) & (s->cap - 1);

	while (s->path[i] && strcmp(s->path[i], path) != 0)
		i = (i + 1) & (s->cap - 1);
	return i;
}

/* The type written at path, or 0. */
static char pathset_get(const struct pathset *s, const char *path)
{
	if (s->cap == 0)
		return 0;
	size_t i = pathset_slot(s, path);
	return s->path[i] ? s->type[i] : 0;
}

static void pathset_put(struct pathset *s, const char *path, char type)
{
	if ((s->n + 1) * 2 > s->cap) {
		struct pathset old = *s;
		s->cap = s->cap ? s->cap * 2 : 64;
		s->path = xcalloc(s->cap, sizeof(*s->path));
		s->type = xcalloc(s->cap, 1);
		for (size_t k = 0; k < old.cap; k++)
			if (old.path[k]) {
				size_t i = pathset_slot(s, old.path[k]);
				s->path[i] = old.path[k];
				s->type[i] = old.type[k];
			}
		free(old.path);
		free(old.type);
	}
	size_t i = pathset_slot(s, path);
	if (!s->path[i]) {
		s->path[i] = xstrdup(path);
		s->n++;
	}
	s->type[i] = type;
}

/* ---- content ---- */

static ssize_t content_read(struct content *ct, void *buf, size_t len, struct berth_error *err)
{
	if (ct->tar) {
		if (ct->piece_len == 0) {
			ssize_t n = tar_read_data(ct->tar, &ct->piece, err);
			if (n <= 0)
				return n;
			ct->piece_len = (size_t)n;
		}
		size_t k = len < ct->piece_len ? len : ct->piece_len;
		memcpy(buf, ct->piece, k);
		ct->piece = (const char *)ct->piece + k;
		ct->piece_len -= k;
		return (ssize_t)k;
	}
	if (ct->fd < 0) {
		/* an inline file: its length is the item's size */
		memcpy(buf, ct->data + ct->off, len);
		ct->off += len;
		return (ssize_t)len;
	}
	ssize_t n = read(ct->fd, buf, len);
	if (n < 0)
		return berth_error_set(err, errno, "reading");
	return n;
}

/* Hand the item's size bytes to fn, in chunks; a source that ends
 * sooner changed while it was read. */
static int content_each(const struct item *it,
			int (*fn)(void *arg, const void *buf, size_t len, struct berth_error *err),
			void *arg, struct berth_error *err)
{
	char buf[65536];
	uint64_t left = it->size;

	while (left > 0) {
		size_t want = left < sizeof(buf) ? (size_t)left : sizeof(buf);
		ssize_t n = content_read(it->content, buf, want, err);
		if (n < 0)
			return berth_error_wrap(err, "%s", it->what);
		if (n == 0)
			return berth_error_set(err, 0, "%s: changed while it was being copied",
					       it->what);
		if (fn(arg, buf, (size_t)n, err) < 0)
			return -1;
		left -= (uint64_t)n;
	}
	return 0;
}

/* ---- sinks ---- */

static int tar_data(void *arg, const void *buf, size_t len, struct berth_error *err)
{
	struct archive *a = arg;
	la_ssize_t w = archive_write_data(a, buf, len);

	if (w < 0 || (size_t)w != len)
		return unpack_archive_error(a, "writing the layer", err);
	return 0;
}

static int tar_emit(struct sink *s, const struct item *it, struct berth_error *err)
{
	_cleanup_(archive_entry_freep) struct archive_entry *ae = archive_entry_new();

	archive_entry_set_pathname(ae, it->path);
	archive_entry_set_perm(ae, it->type == BFS_LNK ? 0777 : (it->mode & 07777));
	archive_entry_set_uid(ae, it->uid);
	archive_entry_set_gid(ae, it->gid);
	archive_entry_set_mtime(ae, it->mtime_sec, it->mtime_nsec);
	for (size_t i = 0; i < it->n_xattrs; i++)
		archive_entry_xattr_add_entry(ae, it->xattrs[i].name, it->xattrs[i].value,
					      it->xattrs[i].len);
	switch (it->type) {
	case BFS_DIR: archive_entry_set_filetype(ae, AE_IFDIR); break;
	case BFS_LNK:
		archive_entry_set_filetype(ae, AE_IFLNK);
		archive_entry_set_symlink(ae, it->link);
		break;
	case BFS_FIFO: archive_entry_set_filetype(ae, AE_IFIFO); break;
	case BFS_CHR:
	case BFS_BLK:
		archive_entry_set_filetype(ae, it->type == BFS_CHR ? AE_IFCHR : AE_IFBLK);
		archive_entry_set_rdev(ae, makedev(it->rdev_major, it->rdev_minor));
		break;
	default:
		archive_entry_set_filetype(ae, AE_IFREG);
		if (it->hardlink)
			archive_entry_set_hardlink(ae, it->hardlink);
		archive_entry_set_size(ae, it->hardlink ? 0 : (la_int64_t)it->size);
	}
	if (archive_write_header(s->tar, ae) != ARCHIVE_OK) {
		_cleanup_free_ char *what = xasprintf("writing the layer (at %s)", it->path);
		return unpack_archive_error(s->tar, what, err);
	}
	if (it->type == BFS_REG && !it->hardlink)
		return content_each(it, tar_data, s->tar, err);
	return 0;
}

static int sum_data(void *arg, const void *buf, size_t len, struct berth_error *err)
{
	(void)err;
	sha256_update(arg, buf, len);
	return 0;
}

/* One record per entry: its fields NUL-separated (a path holds no NUL),
 * the content as its own sha256; never a time. */
static int sum_emit(struct sink *s, const struct item *it, struct berth_error *err)
{
	char digest[DIGEST_STR_LEN + 1] = "";
	_cleanup_free_ char *rec = NULL;
	int len;

	if (it->type == BFS_REG && !it->hardlink) {
		struct sha256_ctx *h = sha256_new();
		if (content_each(it, sum_data, h, err) < 0) {
			sha256_free(h);
			return -1;
		}
		sha256_final(h, digest);
	}
	len = asprintf(&rec, "%s%c%c%c%o%c%u:%u%c%s%c%s%c%u,%u%c%s\n", it->path, 0, it->type, 0,
		       it->type == BFS_LNK ? 0777 : it->mode & 07777, 0, it->uid, it->gid, 0,
		       it->link ? it->link : "", 0, it->hardlink ? it->hardlink : "", 0,
		       it->rdev_major, it->rdev_minor, 0, digest);
	if (len < 0)
		abort();
	sha256_update(s->sum, rec, (size_t)len);
	for (size_t i = 0; i < it->n_xattrs; i++) {
		uint64_t n = it->xattrs[i].len;
		sha256_update(s->sum, it->xattrs[i].name, strlen(it->xattrs[i].name) + 1);
		sha256_update(s->sum, &n, sizeof(n));
		sha256_update(s->sum, it->xattrs[i].value, it->xattrs[i].len);
	}
	return 0;
}

/* ---- entries ---- */

static void clamp_time(const struct copier *cp, struct item *it)
{
	if (cp->c && cp->c->mtime_clamp >= 0 && it->mtime_sec > cp->c->mtime_clamp) {
		it->mtime_sec = cp->c->mtime_clamp;
		it->mtime_nsec = 0;
	}
}

/* A directory this layer makes (a parent of dest, or dest). */
static int emit_made_dir(struct copier *cp, const char *path, struct berth_error *err)
{
	struct item it = {
		.path = path + 1,
		.type = BFS_DIR,
		.mode = 0755,
		.uid = cp->made_uid,
		.gid = cp->made_gid,
		.mtime_sec = cp->now,
		.what = path,
	};

	pathset_put(&cp->written, path, BFS_DIR);
	return cp->sink->emit(cp->sink, &it, err);
}

/* The kind of path in the image being built on, as far as this layer
 * leaves it: 0 when nothing is there. */
static char kind_at(const struct copier *cp, const char *path)
{
	char t = pathset_get(&cp->written, path);
	const struct bfs_entry *e;

	if (t)
		return t;
	if (strcmp(path, "/") == 0)
		return BFS_DIR;
	e = cp->base ? bfs_stack_lookup(cp->base, path, NULL) : NULL;
	return e ? e->type : 0;
}

/* path (canonical) a directory: each missing component made, from the
 * root down; the last one, when dir_item is given and it is missing,
 * written as that item (a directory source's own attributes). */
static int ensure_dir(struct copier *cp, const char *path, struct item *dir_item,
		      struct berth_error *err)
{
	_cleanup_free_ char *p = xstrdup(path);

	if (strcmp(path, "/") == 0)
		return 0;
	for (char *s = p;;) {
		char *end = strchr(s + 1, '/');
		char t;
		int r = 0;

		if (end)
			*end = '\0';
		t = kind_at(cp, p);
		if (t && t != BFS_DIR)
			return berth_error_set(err, ENOTDIR, "%s: not a directory in the image", p);
		if (!t && !end && dir_item) {
			dir_item->path = p + 1;
			pathset_put(&cp->written, p, BFS_DIR);
			r = cp->sink->emit(cp->sink, dir_item, err);
		} else if (!t) {
			r = emit_made_dir(cp, p, err);
		}
		if (r < 0)
			return -1;
		if (!end)
			return 0;
		*end = '/';
		s = end;
	}
}

static size_t link_slot(const struct hardlink *t, size_t cap, dev_t dev, ino_t ino)
{
	size_t i = (size_t)((ino * 0x9e3779b97f4a7c15ULL) ^ dev) & (cap - 1);

	while (t[i].path && (t[i].dev != dev || t[i].ino != ino))
		i = (i + 1) & (cap - 1);
	return i;
}

/* A regular file's second name, or its first (remembered). By inode in
 * a table: a context of thousands of files with names elsewhere (a
 * package manager's store) stays linear. */
static void note_hardlink(struct copier *cp, const struct stat *st, struct item *it)
{
	size_t i;

	if (st->st_nlink < 2)
		return;
	if ((cp->n_links + 1) * 2 > cp->links_cap) {
		size_t cap = cp->links_cap ? cp->links_cap * 2 : 64;
		struct hardlink *t = xcalloc(cap, sizeof(*t));
		for (size_t k = 0; k < cp->links_cap; k++)
			if (cp->links[k].path)
				t[link_slot(t, cap, cp->links[k].dev, cp->links[k].ino)] =
					cp->links[k];
		free(cp->links);
		cp->links = t;
		cp->links_cap = cap;
	}
	i = link_slot(cp->links, cp->links_cap, st->st_dev, st->st_ino);
	if (cp->links[i].path) {
		it->hardlink = cp->links[i].path;
		return;
	}
	cp->links[i] = (struct hardlink){ st->st_dev, st->st_ino, xstrdup(it->path) };
	cp->n_links++;
}

/* The owner and mode an entry of a source gets: --chown's, else
 * (keep) its own or root's; --chmod's, else its own. */
static void apply_flags(const struct copier *cp, struct item *it, bool keep_owner)
{
	if (cp->c->chown) {
		it->uid = cp->c->uid;
		it->gid = cp->c->gid;
	} else if (!keep_owner) {
		it->uid = it->gid = 0;
	}
	if (cp->c->chmod && it->type != BFS_LNK)
		it->mode = cp->c->mode & 07777;
	clamp_time(cp, it);
}

/* The layer's path of a source named name landing under dest (into it,
 * or as it). */
static char *target_of(const struct copier *cp, const char *name)
{
	return cp->dest_dir ? bfs_path_join(cp->dest, name) : xstrdup(cp->dest);
}

static int parent_dir(struct copier *cp, const char *path, struct berth_error *err)
{
	_cleanup_free_ char *dir = bfs_path_dirname(path);
	return ensure_dir(cp, dir, NULL, err);
}

/* ---- the context ---- */

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The names in the directory dfd, sorted (the layer and its digest must
 * not depend on the order a file system lists them in). */
static int list_dir(int dfd, const char *what, char ***out, size_t *n_out, struct berth_error *err)
{
	_cleanup_closedir_ DIR *d = opendir_fd(dfd);
	char **v = NULL;
	size_t n = 0;

	if (!d)
		return berth_error_set(err, errno, "listing %s", what);
	for (struct dirent *de; (errno = 0, de = readdir(d));) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		v = xrealloc(v, (n + 1) * sizeof(*v));
		v[n++] = xstrdup(de->d_name);
	}
	if (errno) {
		int e = errno;
		for (size_t i = 0; i < n; i++)
			free(v[i]);
		free(v);
		return berth_error_set(err, e, "listing %s", what);
	}
	if (n)
		qsort(v, n, sizeof(*v), cmp_str);
	*out = v;
	*n_out = n;
	return 0;
}

static void names_free(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

static struct item dir_item_of(const struct copier *cp, const struct stat *st, const char *what)
{
	struct item it = {
		.type = BFS_DIR,
		.mode = st->st_mode & 07777,
		.mtime_sec = st->st_mtim.tv_sec,
		.mtime_nsec = (uint32_t)st->st_mtim.tv_nsec,
		.what = what,
	};

	apply_flags(cp, &it, false);
	return it;
}

/* The excluded directories the walk is in, written now that something
 * below them is. */
static int flush_pending(struct copier *cp, struct berth_error *err)
{
	for (size_t i = 0; i < cp->n_pending; i++) {
		struct item it = dir_item_of(cp, &cp->pending[i].st, cp->pending[i].path);
		it.path = cp->pending[i].path + 1;
		if (cp->sink->emit(cp->sink, &it, err) < 0)
			return -1;
	}
	for (size_t i = 0; i < cp->n_pending; i++)
		free(cp->pending[i].path);
	cp->n_pending = 0;
	return 0;
}

static int changed(const char *rel, const char *label, struct berth_error *err)
{
	return berth_error_set(err, 0, "%s in %s: changed while it was being copied", rel, label);
}

/* A regular file of the context, opened without following a link or
 * blocking on what replaced it since st was taken. */
static int open_ctx_file(int dfd, const char *name, const struct stat *st, const char *rel,
			 const char *label, struct stat *now, struct berth_error *err)
{
	int fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);

	if (fd < 0 || fstat(fd, now) < 0) {
		int e = errno;
		if (fd >= 0)
			close(fd);
		return berth_error_set(err, e, "%s in %s", rel, label);
	}
	if (!S_ISREG(now->st_mode) || now->st_ino != st->st_ino || now->st_dev != st->st_dev) {
		close(fd);
		return changed(rel, label, err);
	}
	return fd;
}

/* The context's entry dfd/name (st from lstat), rel in the context,
 * written at path (canonical). */
static int emit_ctx_entry(struct copier *cp, int dfd, const char *name, const struct stat *st,
			  const char *path, const char *rel, struct berth_error *err)
{
	const char *label = cp->c->ctx->label;
	struct content ct = { .fd = -1 };
	struct item it = {
		.path = path + 1,
		.mode = st->st_mode & 07777,
		.mtime_sec = st->st_mtim.tv_sec,
		.mtime_nsec = (uint32_t)st->st_mtim.tv_nsec,
		.what = rel,
	};
	char target[PATH_MAX + 1];
	struct stat now;
	ssize_t n;

	switch (st->st_mode & S_IFMT) {
	case S_IFREG:
		if ((ct.fd = open_ctx_file(dfd, name, st, rel, label, &now, err)) < 0)
			return -1;
		it.type = BFS_REG;
		it.size = (uint64_t)now.st_size;
		it.content = &ct;
		note_hardlink(cp, &now, &it);
		break;
	case S_IFLNK:
		if ((n = readlinkat(dfd, name, target, PATH_MAX)) < 0)
			return berth_error_set(err, errno, "reading the link %s in %s", rel, label);
		target[n] = '\0';
		it.type = BFS_LNK;
		it.link = target;
		break;
	case S_IFDIR: it.type = BFS_DIR; break;
	case S_IFIFO: it.type = BFS_FIFO; break;
	case S_IFCHR:
	case S_IFBLK:
		it.type = S_ISCHR(st->st_mode) ? BFS_CHR : BFS_BLK;
		it.rdev_major = major(st->st_rdev);
		it.rdev_minor = minor(st->st_rdev);
		break;
	default: return 0; /* a socket: a tar has none */
	}
	apply_flags(cp, &it, false);
	int r = flush_pending(cp, err) < 0 ? -1 : cp->sink->emit(cp->sink, &it, err);
	if (ct.fd >= 0)
		close(ct.fd);
	return r;
}

static int walk_ctx_dir(struct copier *cp, int dfd, const char *rel, const char *dest,
			struct berth_error *err);

/* The directory dfd/name of the context: written (or, when excluded,
 * held back until something below it is), then walked. */
static int walk_ctx_subdir(struct copier *cp, int dfd, const char *name, const struct stat *st,
			   const char *crel, const char *path, bool excluded,
			   struct berth_error *err)
{
	_cleanup_close_ int sub =
		openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	size_t held = cp->n_pending;
	struct stat now;
	int r;

	if (sub < 0 || fstat(sub, &now) < 0)
		return berth_error_set(err, errno, "%s in %s", crel, cp->c->ctx->label);
	if (now.st_ino != st->st_ino || now.st_dev != st->st_dev)
		return changed(crel, cp->c->ctx->label, err);
	if (excluded) {
		cp->pending = xrealloc(cp->pending, (held + 1) * sizeof(*cp->pending));
		cp->pending[cp->n_pending++] = (struct pending){ xstrdup(path), now };
	} else if (emit_ctx_entry(cp, dfd, name, &now, path, crel, err) < 0) {
		return -1;
	}
	r = walk_ctx_dir(cp, sub, crel, path, err);
	/* nothing below it was written: it is not either */
	while (cp->n_pending > held)
		free(cp->pending[--cp->n_pending].path);
	return r;
}

/* What the directory dfd (rel in the context) holds, written below dest:
 * excluded paths skipped unread, an excluded directory entered only
 * when an exception may bring back something below it. */
static int walk_ctx_dir(struct copier *cp, int dfd, const char *rel, const char *dest,
			struct berth_error *err)
{
	const struct ignore *ig = cp->c->ctx->ignore;
	char **names;
	size_t n;
	int r = 0;

	if (list_dir(dfd, *rel ? rel : cp->c->ctx->label, &names, &n, err) < 0)
		return -1;
	for (size_t i = 0; i < n && r == 0; i++) {
		_cleanup_free_ char *crel =
			*rel ? xasprintf("%s/%s", rel, names[i]) : xstrdup(names[i]);
		_cleanup_free_ char *path = bfs_path_join(dest, names[i]);
		bool excluded = ig && ignore_excludes(ig, crel);
		struct stat st;

		if (fstatat(dfd, names[i], &st, AT_SYMLINK_NOFOLLOW) < 0) {
			r = berth_error_set(err, errno, "%s in %s", crel, cp->c->ctx->label);
			break;
		}
		if (excluded && !(S_ISDIR(st.st_mode) && ignore_may_include_below(ig, crel)))
			continue;
		if (S_ISDIR(st.st_mode))
			r = walk_ctx_subdir(cp, dfd, names[i], &st, crel, path, excluded, err);
		else
			r = emit_ctx_entry(cp, dfd, names[i], &st, path, crel, err);
	}
	names_free(names, n);
	return r;
}

/* A directory source: dest made with its attributes when missing, then
 * its contents (not itself) into dest. */
static int copy_ctx_dir(struct copier *cp, int dfd, const char *rel, struct berth_error *err)
{
	struct stat st;
	struct item it;

	if (fstat(dfd, &st) < 0)
		return berth_error_set(err, errno, "%s in %s", *rel ? rel : ".", cp->c->ctx->label);
	it = dir_item_of(cp, &st, *rel ? rel : ".");
	if (ensure_dir(cp, cp->dest, &it, err) < 0)
		return -1;
	return walk_ctx_dir(cp, dfd, rel, cp->dest, err);
}

/* ---- ADD's archives ---- */

static ssize_t archive_fill(void *ctx, void *buf, size_t len, struct berth_error *err)
{
	la_ssize_t n = archive_read_data(ctx, buf, len);

	if (n < 0)
		return unpack_archive_error(ctx, "decompressing", err);
	return n;
}

/* No entry of an archive lies beneath one of its links or files: docker
 * would resolve such a path through the link it just made. */
static int check_beneath(const struct copier *cp, const char *path, const char *what,
			 const char *name, struct berth_error *err)
{
	_cleanup_free_ char *p = xstrdup(path);

	for (char *s = strrchr(p, '/'); s && s > p; s = strrchr(p, '/')) {
		*s = '\0';
		char t = pathset_get(&cp->written, p);
		if (t && t != BFS_DIR)
			return berth_error_set(
				err, 0, "%s: the archive's entry \"%s\" lies beneath its %s %s",
				what, name, t == BFS_LNK ? "link" : "file", p);
	}
	return 0;
}

/* An archive entry's name below dest, or an error when it leaves it. */
static char *archive_path(const struct copier *cp, const char *name, const char *what,
			  struct berth_error *err)
{
	bool esc;
	_cleanup_free_ char *rel = clean_abs(name, &esc);

	if (esc) {
		berth_error_set(err, 0, "%s: the archive's entry \"%s\" leaves the destination",
				what, name);
		return NULL;
	}
	return strcmp(rel, "/") == 0	    ? xstrdup(cp->dest)
	       : strcmp(cp->dest, "/") == 0 ? steal_pointer(&rel)
					    : xasprintf("%s%s", cp->dest, rel);
}

/* A link's target (docker's rule): relative, it stays inside dest. */
static int check_link(const struct copier *cp, const char *path, const char *target,
		      const char *what, const char *name, struct berth_error *err)
{
	size_t dl = strcmp(cp->dest, "/") == 0 ? 0 : strlen(cp->dest);
	_cleanup_free_ char *dir = bfs_path_dirname(path + dl);
	_cleanup_free_ char *joined = xasprintf("%s/%s", dir, target);
	bool esc;

	free(clean_abs(joined, &esc));
	if (target[0] != '/' && esc)
		return berth_error_set(err, 0,
				       "%s: the archive's link \"%s\" -> \"%s\" leaves "
				       "the destination",
				       what, name, target);
	return 0;
}

/* One entry of an ADD's archive, under dest: its owners kept (docker's
 * rule), --chown's when given; --chmod does not apply. */
static int extract_entry(struct copier *cp, struct tar_reader *t, const struct tar_entry *te,
			 const char *what, struct berth_error *err)
{
	_cleanup_free_ char *path = archive_path(cp, te->path, what, err), *hl = NULL;
	struct content ct = { .fd = -1, .tar = t };
	struct item it = {
		.type = te->type,
		.mode = te->mode & 07777,
		.uid = te->uid,
		.gid = te->gid,
		.mtime_sec = te->mtime_sec,
		.mtime_nsec = te->mtime_nsec,
		.rdev_major = te->devmajor,
		.rdev_minor = te->devminor,
		.size = te->size,
		.what = what,
		.xattrs = te->xattrs,
		.n_xattrs = te->n_xattrs,
	};

	if (!path)
		return -1;
	if (strcmp(path, cp->dest) == 0) {
		if (te->type == BFS_DIR)
			return 0; /* dest itself: it is there */
		return berth_error_set(err, 0, "%s: the archive's entry \"%s\" is no file name",
				       what, te->path);
	}
	if (check_beneath(cp, path, what, te->path, err) < 0 || parent_dir(cp, path, err) < 0)
		return -1;
	if (te->type == BFS_LNK) {
		if (check_link(cp, path, te->linkpath, what, te->path, err) < 0)
			return -1;
		it.link = te->linkpath;
	} else if (te->hardlink) {
		if (!(hl = archive_path(cp, te->linkpath, what, err)))
			return -1;
		if (pathset_get(&cp->written, hl) != BFS_REG)
			return berth_error_set(err, 0,
					       "%s: the archive's hard link \"%s\" names \"%s\", "
					       "no earlier file of the archive",
					       what, te->path, te->linkpath);
		it.hardlink = hl + 1;
	} else if (te->type == BFS_REG) {
		it.content = &ct;
	}
	it.path = path + 1;
	if (cp->c->chown) {
		it.uid = cp->c->uid;
		it.gid = cp->c->gid;
	}
	clamp_time(cp, &it);
	pathset_put(&cp->written, path, te->type);
	return cp->sink->emit(cp->sink, &it, err);
}

/* ADD of the regular file dfd/name: 1 when it is a tar archive (plain,
 * gzip, bzip2, xz or zstd, told by its content as docker does) and its
 * entries were written under dest; 0 when it is no archive. */
static int add_archive(struct copier *cp, int dfd, const char *name, const struct stat *st,
		       const char *rel, struct berth_error *err)
{
	struct stat now;
	_cleanup_close_ int fd = open_ctx_file(dfd, name, st, rel, cp->c->ctx->label, &now, err);
	struct berth_error probe = { 0 };
	_cleanup_(archive_read_freep) struct archive *a = NULL;
	_cleanup_(tar_reader_freep) struct tar_reader *t = NULL;
	struct tar_entry *te;
	int r;

	if (fd < 0)
		return -1;
	if (!(a = unpack_open_decompressor(fd, &probe))) {
		berth_error_clear(&probe);
		return 0;
	}
	t = tar_reader_new(archive_fill, a);
	r = tar_next(t, &te, &probe);
	berth_error_clear(&probe);
	if (r != 1)
		return 0; /* no tar (docker copies it as it is), or one without entries */
	if (ensure_dir(cp, cp->dest, NULL, err) < 0)
		return -1;
	do {
		if (extract_entry(cp, t, te, rel, err) < 0)
			return -1;
	} while ((r = tar_next(t, &te, err)) == 1);
	return r < 0 ? berth_error_wrap(err, "%s", rel) : 1;
}

/* One source found in the context. */
static int copy_ctx_source(struct copier *cp, const struct ctx_match *m, struct berth_error *err)
{
	const struct build_context *ctx = cp->c->ctx;
	_cleanup_free_ char *dir = NULL, *target = NULL;
	_cleanup_close_ int pfd = -1, sub = -1;
	const char *name = strrchr(m->rel, '/');
	struct stat st;
	int r;

	if (!*m->rel) { /* the context's root */
		if ((sub = openat(ctx->dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
			return berth_error_set(err, errno, "%s", ctx->label);
		return copy_ctx_dir(cp, sub, "", err);
	}
	dir = name ? xstrndup(m->rel, (size_t)(name - m->rel)) : NULL;
	name = name ? name + 1 : m->rel;
	if (dir && (pfd = open_beneath(ctx->dirfd, dir, O_PATH | O_DIRECTORY, 0)) < 0)
		return berth_error_set(err, errno, "%s in %s", dir, ctx->label);
	int dfd = dir ? pfd : ctx->dirfd;
	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return berth_error_set(err, errno, "%s in %s", m->rel, ctx->label);
	if (S_ISDIR(st.st_mode)) {
		if ((sub = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0)
			return berth_error_set(err, errno, "%s in %s", m->rel, ctx->label);
		return copy_ctx_dir(cp, sub, m->rel, err);
	}
	if (cp->c->add && S_ISREG(st.st_mode) &&
	    (r = add_archive(cp, dfd, name, &st, m->rel, err)) != 0)
		return r < 0 ? -1 : 0;
	target = target_of(cp, name);
	if (parent_dir(cp, target, err) < 0)
		return -1;
	return emit_ctx_entry(cp, dfd, name, &st, target, m->rel, err);
}

/* ---- another image's or stage's files (--from) ---- */

/* The names in the merged directory path of s, sorted: each layer that
 * takes part listed, a name kept when the merged lookup finds it (a
 * whiteout or an opaque directory above hides it otherwise). */
static int stack_list(const struct bfs_stack *s, const char *path, char ***out, size_t *n_out,
		      struct berth_error *err)
{
	_cleanup_free_ size_t *contrib = xmalloc((s->n + 1) * sizeof(size_t));
	const struct bfs_entry *e;
	struct bfs_stack_dir *sd = bfs_stack_opendir(s, path, &e);
	char **v = NULL;
	size_t n = 0, nc, k = 0;

	if (!sd)
		return berth_error_set(err, ENOENT, "%s", path);
	nc = bfs_stack_dir_layers(sd, contrib);
	for (size_t i = 0; i < nc; i++) {
		_cleanup_close_ int fd =
			bfs_layer_open(&s->layers[contrib[i]], path, O_RDONLY | O_DIRECTORY);
		char **names;
		size_t m;

		if (fd < 0 && errno == ENOENT)
			continue; /* the layer's table has it, its tree nothing below it */
		if (fd < 0 || list_dir(fd, path, &names, &m, err) < 0) {
			if (!err->msg)
				berth_error_set(err, errno, "%s in layer %.19s", path,
						s->layers[contrib[i]].name);
			names_free(v, n);
			bfs_stack_closedir(sd);
			return -1;
		}
		for (size_t j = 0; j < m; j++) {
			if (!bfs_stack_dir_lookup(sd, names[j], NULL)) {
				free(names[j]);
				continue;
			}
			v = xrealloc(v, (n + 1) * sizeof(*v));
			v[n++] = names[j];
		}
		free(names);
	}
	bfs_stack_closedir(sd);
	if (n)
		qsort(v, n, sizeof(*v), cmp_str);
	for (size_t i = 0; i < n; i++) /* a name several layers have, once */
		if (k == 0 || strcmp(v[k - 1], v[i]) != 0)
			v[k++] = v[i];
		else
			free(v[i]);
	*out = v;
	*n_out = k;
	return 0;
}

/* The entry e (at src, in layer) of the --from stack, written at path:
 * its owner kept unless --chown. */
static int emit_stack_entry(struct copier *cp, const char *src, const struct bfs_entry *e,
			    size_t layer, const char *path, struct berth_error *err)
{
	const struct bfs_layer *l = &cp->c->from->layers[layer];
	_cleanup_free_ char *target = NULL;
	struct content ct = { .fd = -1 };
	struct item it = {
		.path = path + 1,
		.type = e->type,
		.mode = e->mode & 07777,
		.uid = e->uid,
		.gid = e->gid,
		.mtime_sec = e->mtime_sec,
		.mtime_nsec = e->mtime_nsec,
		.rdev_major = e->rdev_major,
		.rdev_minor = e->rdev_minor,
		.what = src,
		.xattrs = e->xattrs,
		.n_xattrs = e->n_xattrs,
	};
	struct stat st;
	int r;

	if (e->type == BFS_SOCK || e->type == BFS_WHITEOUT)
		return 0; /* a tar has no sockets; a whiteout is never visible */
	if (e->type == BFS_LNK) {
		if (bfs_layer_readlink(l, src, &target) < 0)
			return berth_error_set(err, errno, "reading the link %s in layer %.19s",
					       src, l->name);
		it.link = target;
	} else if (e->type == BFS_REG) {
		ct.fd = bfs_layer_open(l, src, O_RDONLY | O_NOFOLLOW | O_NONBLOCK);
		if (ct.fd < 0 || fstat(ct.fd, &st) < 0 || !S_ISREG(st.st_mode)) {
			int en = ct.fd < 0 ? errno : EINVAL;
			if (ct.fd >= 0)
				close(ct.fd);
			return berth_error_set(err, en, "%s in layer %.19s", src, l->name);
		}
		it.size = (uint64_t)st.st_size;
		it.content = &ct;
		note_hardlink(cp, &st, &it); /* layers keep hard links as shared inodes */
	}
	apply_flags(cp, &it, true);
	r = cp->sink->emit(cp->sink, &it, err);
	if (ct.fd >= 0)
		close(ct.fd);
	return r;
}

/* What the directory src of the --from stack holds, below dest. */
static int walk_stack_dir(struct copier *cp, const char *src, const char *dest,
			  struct berth_error *err)
{
	const struct bfs_entry *e;
	struct bfs_stack_dir *sd;
	char **names;
	size_t n;
	int r = 0;

	if (stack_list(cp->c->from, src, &names, &n, err) < 0)
		return -1;
	sd = bfs_stack_opendir(cp->c->from, src, &e);
	for (size_t i = 0; sd && i < n && r == 0; i++) {
		size_t layer;
		const struct bfs_entry *ce = bfs_stack_dir_lookup(sd, names[i], &layer);
		_cleanup_free_ char *s = bfs_path_join(src, names[i]);
		_cleanup_free_ char *d = bfs_path_join(dest, names[i]);

		if (!ce)
			continue;
		r = emit_stack_entry(cp, s, ce, layer, d, err);
		if (r == 0 && ce->type == BFS_DIR)
			r = walk_stack_dir(cp, s, d, err);
	}
	bfs_stack_closedir(sd);
	names_free(names, n);
	return r;
}

static int not_found_from(const char *pattern, struct berth_error *err)
{
	return berth_error_set(err, ENOENT, "%s: not found in the files of --from", pattern);
}

/* The paths one level of a glob reaches: comp (a pattern or a name) in
 * each directory of cur, into next; those that are not last resolved
 * through links, and kept only when directories. */
static int glob_level(const struct bfs_stack *s, char **cur, size_t n_cur, const char *comp,
		      bool last, const char *pattern, char ***next, size_t *n_next,
		      struct berth_error *err)
{
	for (size_t i = 0; i < n_cur; i++) {
		char **names = NULL;
		size_t n = 0;

		if (stack_list(s, cur[i], &names, &n, err) < 0) {
			berth_error_clear(err);
			continue;
		}
		for (size_t j = 0; j < n; j++) {
			int m = go_path_match(comp, names[j]);
			_cleanup_free_ char *p = NULL, *canon = NULL;
			const struct bfs_entry *e;
			bool missing;

			if (m < 0) {
				names_free(names, n);
				return berth_error_set(err, 0, "%s: bad pattern", pattern);
			}
			if (m == 0)
				continue;
			p = bfs_path_join(cur[i], names[j]);
			if (!last &&
			    (bfs_stack_resolve(s, p, BFS_FOLLOW_LAST, &canon, &missing, err) < 0 ||
			     missing || !(e = bfs_stack_lookup(s, canon, NULL)) ||
			     e->type != BFS_DIR)) {
				berth_error_clear(err);
				continue;
			}
			strv_push(next, n_next, canon ? canon : p);
		}
		names_free(names, n);
	}
	return 0;
}

/* The paths pattern (absolute, cleaned, with glob characters) matches in
 * s, component by component with go_path_match; sorted by the listings. */
static int from_glob(const struct bfs_stack *s, const char *pattern, char ***out, size_t *n_out,
		     struct berth_error *err)
{
	_cleanup_free_ char *copy = xstrdup(pattern);
	char **cur = NULL, *save = NULL;
	size_t n_cur = 0;

	strv_push(&cur, &n_cur, "/");
	for (char *comp = strtok_r(copy, "/", &save); comp; comp = strtok_r(NULL, "/", &save)) {
		char **next = NULL;
		size_t n_next = 0;
		bool last = save == NULL || *save == '\0';

		if (glob_level(s, cur, n_cur, comp, last, pattern, &next, &n_next, err) < 0) {
			strv_free(cur);
			strv_free(next);
			return -1;
		}
		strv_free(cur);
		cur = next;
		n_cur = n_next;
	}
	*out = cur;
	*n_out = n_cur;
	return 0;
}

/* The paths the sources name in the --from stack, in order. */
static int from_match(const struct copier *cp, char ***out, size_t *n_out, struct berth_error *err)
{
	const struct bfs_stack *s = cp->c->from;

	*out = NULL;
	*n_out = 0;
	for (size_t i = 0; i < cp->c->n_sources; i++) {
		_cleanup_free_ char *clean = clean_abs(cp->c->sources[i], NULL), *canon = NULL;
		char **m = NULL;
		size_t n = 0;
		bool missing;

		if (!has_glob(clean)) {
			if (bfs_stack_resolve(s, clean, 0, &canon, &missing, err) < 0) {
				berth_error_clear(err);
				missing = true;
			}
			if (missing || !bfs_stack_lookup(s, canon, NULL))
				return not_found_from(cp->c->sources[i], err);
			strv_push(out, n_out, canon);
			continue;
		}
		if (from_glob(s, clean, &m, &n, err) < 0)
			return -1;
		if (n == 0) {
			strv_free(m);
			return not_found_from(cp->c->sources[i], err);
		}
		for (size_t j = 0; j < n; j++)
			strv_push(out, n_out, m[j]);
		strv_free(m);
	}
	return 0;
}

static int copy_from_source(struct copier *cp, const char *src, struct berth_error *err)
{
	size_t layer;
	const struct bfs_entry *e = bfs_stack_lookup(cp->c->from, src, &layer);
	_cleanup_free_ char *target = NULL;

	if (!e)
		return not_found_from(src, err);
	if (e->type == BFS_DIR) {
		struct item it = {
			.type = BFS_DIR,
			.mode = e->mode & 07777,
			.uid = e->uid,
			.gid = e->gid,
			.mtime_sec = e->mtime_sec,
			.mtime_nsec = e->mtime_nsec,
			.what = src,
			.xattrs = e->xattrs,
			.n_xattrs = e->n_xattrs,
		};
		apply_flags(cp, &it, true);
		if (ensure_dir(cp, cp->dest, &it, err) < 0)
			return -1;
		return walk_stack_dir(cp, src, cp->dest, err);
	}
	target = target_of(cp, bfs_path_basename(src));
	if (parent_dir(cp, target, err) < 0)
		return -1;
	return emit_stack_entry(cp, src, e, layer, target, err);
}

/* ---- heredocs ---- */

static int copy_inline(struct copier *cp, const struct copy_inline *f, struct berth_error *err)
{
	struct content ct = { .fd = -1, .data = f->data };
	_cleanup_free_ char *target = NULL;
	struct item it = {
		.type = BFS_REG,
		.mode = f->mode ? f->mode : 0644,
		.mtime_sec = cp->now,
		.size = f->len,
		.content = &ct,
		.what = f->name,
	};

	if (!*f->name || strchr(f->name, '/') || strcmp(f->name, ".") == 0 ||
	    strcmp(f->name, "..") == 0)
		return berth_error_set(err, EINVAL, "\"%s\": no file name for an inline file",
				       f->name);
	target = target_of(cp, f->name);
	if (parent_dir(cp, target, err) < 0)
		return -1;
	it.path = target + 1;
	apply_flags(cp, &it, false);
	return cp->sink->emit(cp->sink, &it, err);
}

/* ---- the walk ---- */

static int64_t made_time(int64_t clamp)
{
	int64_t now = (int64_t)time(NULL);
	return clamp >= 0 && clamp < now ? clamp : now;
}

/* dest, canonical: its links in base followed (inside base), as docker
 * resolves it in the image's root. */
static int resolve_dest(struct copier *cp, const char *dest, struct berth_error *err)
{
	bool missing;

	if (!dest || dest[0] != '/')
		return berth_error_set(err, EINVAL, "the destination \"%s\" is not absolute",
				       dest ? dest : "");
	if (!cp->base) {
		cp->dest = clean_abs(dest, NULL);
		return 0;
	}
	if (bfs_stack_resolve(cp->base, dest, BFS_FOLLOW_LAST, &cp->dest, &missing, err) < 0)
		return berth_error_wrap(err, "the destination %s", dest);
	return 0;
}

static int copy_sources(struct copier *cp, struct berth_error *err)
{
	const struct copy_spec *c = cp->c;
	struct ctx_match *m = NULL;
	char **from = NULL;
	size_t n = 0;
	int r = 0;

	if (c->from) {
		r = from_match(cp, &from, &n, err);
	} else if (c->n_sources > 0) {
		if (!c->ctx || c->ctx->dirfd < 0)
			return berth_error_set(err, 0,
					       "%s: no build context to copy from (the "
					       "Dockerfile came from stdin)",
					       c->sources[0]);
		r = context_match(c->ctx, c->sources, c->n_sources, &m, &n, err);
		if (r < 0) { /* what it found is its to free */
			m = NULL;
			n = 0;
		}
	}
	if (r == 0)
		r = resolve_dest(cp, c->dest, err);
	if (r == 0) {
		size_t len = strlen(c->dest);
		/* several sources, a trailing '/' or a directory there: into it */
		cp->dest_dir = n + c->n_inline > 1 || (len > 0 && c->dest[len - 1] == '/') ||
			       kind_at(cp, cp->dest) == BFS_DIR;
	}
	for (size_t i = 0; i < n && r == 0; i++)
		r = c->from ? copy_from_source(cp, from[i], err) : copy_ctx_source(cp, &m[i], err);
	for (size_t i = 0; i < c->n_inline && r == 0; i++)
		r = copy_inline(cp, &c->inline_files[i], err);
	if (m)
		ctx_matches_free(m, n);
	strv_free(from);
	return r;
}

static int copy_run(const struct copy_spec *c, struct sink *sink, struct berth_error *err)
{
	struct copier cp = {
		.c = c,
		.base = c->base,
		.sink = sink,
		.made_uid = c->chown ? c->uid : 0,
		.made_gid = c->chown ? c->gid : 0,
		.now = made_time(c->mtime_clamp),
	};
	int r = copy_sources(&cp, err);

	copier_free(&cp);
	return r;
}

int copy_digest(const struct copy_spec *c, char out[DIGEST_STR_LEN + 1], struct berth_error *err)
{
	struct sink s = { .emit = sum_emit, .sum = sha256_new() };

	if (copy_run(c, &s, err) < 0) {
		sha256_free(s.sum);
		return -1;
	}
	sha256_final(s.sum, out);
	return 0;
}

static struct archive *layer_open(int fd, struct berth_error *err)
{
	struct archive *a = archive_write_new();

	archive_write_set_format_pax_restricted(a);
	archive_write_set_bytes_in_last_block(a, 1);
	if (archive_write_open_fd(a, fd) != ARCHIVE_OK) {
		unpack_archive_error(a, "writing the layer", err);
		archive_write_free(a);
		return NULL;
	}
	return a;
}

static int layer_close(struct archive *a, int r, struct berth_error *err)
{
	if (r == 0 && archive_write_close(a) != ARCHIVE_OK)
		r = unpack_archive_error(a, "writing the layer (its end)", err);
	archive_write_free(a);
	return r;
}

int copy_write_layer(const struct copy_spec *c, int fd, struct berth_error *err)
{
	struct sink s = { .emit = tar_emit };

	if (!(s.tar = layer_open(fd, err)))
		return -1;
	return layer_close(s.tar, copy_run(c, &s, err), err);
}

int copy_write_mkdir(const struct bfs_stack *base, const char *path, uint32_t uid, uint32_t gid,
		     int64_t mtime_clamp, int fd, bool *made, struct berth_error *err)
{
	struct copy_spec spec = { .mtime_clamp = mtime_clamp };
	struct sink s = { .emit = tar_emit };
	struct copier cp = {
		.c = &spec,
		.base = base,
		.sink = &s,
		.made_uid = uid,
		.made_gid = gid,
		.now = made_time(mtime_clamp),
	};
	int r = resolve_dest(&cp, path, err);
	char t = r == 0 ? kind_at(&cp, cp.dest) : 0;

	*made = false;
	if (r == 0 && t && t != BFS_DIR)
		r = berth_error_set(err, ENOTDIR, "WORKDIR %s: not a directory in the image", path);
	if (r == 0 && !t) {
		if (!(s.tar = layer_open(fd, err)))
			r = -1;
		else
			r = layer_close(s.tar, ensure_dir(&cp, cp.dest, NULL, err), err);
		*made = r == 0;
	}
	copier_free(&cp);
	return r;
}

/* ---- --chown ---- */

/* The regular file path of base (its links followed inside base), at
 * most USER_DB_MAX bytes; *text NULL when there is none. */
static int read_base_file(const struct bfs_stack *base, const char *path, char **text, size_t *len,
			  struct berth_error *err)
{
	_cleanup_free_ char *canon = NULL;
	_cleanup_close_ int fd = -1;
	const struct bfs_entry *e;
	size_t layer;
	bool missing;

	*text = NULL;
	*len = 0;
	if (bfs_stack_resolve(base, path, BFS_FOLLOW_LAST, &canon, &missing, err) < 0)
		return berth_error_wrap(err, "the image's %s", path);
	if (missing || !(e = bfs_stack_lookup(base, canon, &layer)))
		return 0;
	if (e->type != BFS_REG)
		return berth_error_set(err, 0, "the image's %s is not a regular file", path);
	fd = bfs_layer_open(&base->layers[layer], canon, O_RDONLY | O_NOFOLLOW | O_NONBLOCK);
	if (fd < 0)
		return berth_error_set(err, errno, "the image's %s", path);
	if (read_fd_all(fd, USER_DB_MAX, text, len, err) < 0)
		return berth_error_wrap(err, "the image's %s", path);
	return 0;
}

static bool parse_id(const char *s, uint32_t *out)
{
	char *end;
	unsigned long v;

	if (*s < '0' || *s > '9')
		return false;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (*end || errno || v > UINT32_MAX - 1)
		return false;
	*out = (uint32_t)v;
	return true;
}

/* name in base's /etc/passwd (user) or /etc/group: its uid and primary
 * gid, or its gid. */
static int lookup_name(const struct bfs_stack *base, const char *name, bool user, uint32_t *id,
		       uint32_t *gid, struct berth_error *err)
{
	const char *file = user ? "/etc/passwd" : "/etc/group";
	_cleanup_free_ char *text = NULL;
	_cleanup_fclose_ FILE *f = NULL;
	size_t len;

	if (!base)
		return berth_error_set(err, 0, "--chown: %s \"%s\": the image has no %s",
				       user ? "user" : "group", name, file);
	if (read_base_file(base, file, &text, &len, err) < 0)
		return -1;
	if (text && len && !(f = fmemopen(text, len, "r")))
		return berth_error_set(err, errno, "reading the image's %s", file);
	if (user) {
		for (struct passwd *pw; f && (pw = fgetpwent(f));)
			if (strcmp(pw->pw_name, name) == 0) {
				*id = pw->pw_uid;
				*gid = pw->pw_gid;
				return 0;
			}
	} else {
		for (struct group *g; f && (g = fgetgrent(f));)
			if (strcmp(g->gr_name, name) == 0) {
				*id = g->gr_gid;
				return 0;
			}
	}
	return berth_error_set(err, 0, "--chown: no %s \"%s\" in the image's %s",
			       user ? "user" : "group", name, file);
}

int copy_resolve_owner(const struct bfs_stack *base, const char *spec, uint32_t *uid, uint32_t *gid,
		       struct berth_error *err)
{
	_cleanup_free_ char *user = xstrdup(spec);
	char *group = strchr(user, ':');
	uint32_t u, g, ignored;

	if (group)
		*group++ = '\0';
	if (!*user || (group && !*group))
		return berth_error_set(err, EINVAL, "--chown=%s: USER[:GROUP] expected", spec);
	/* a number alone is its own group too (docker's rule); a name's
	 * group is its primary one */
	if (parse_id(user, &u))
		g = u;
	else if (lookup_name(base, user, true, &u, &g, err) < 0)
		return -1;
	if (group && !parse_id(group, &g) && lookup_name(base, group, false, &g, &ignored, err) < 0)
		return -1;
	*uid = u;
	*gid = g;
	return 0;
}
