// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * context.c: a build's context: a directory of the host, or a tar stream
 * unpacked into a stage of the store, with the ignore file that goes
 * with it; the Dockerfile read from it; and the sources a COPY or ADD
 * names, found in it. Copying them is copy.c's, the patterns' meaning
 * ignore.c's.
 *
 * The context is the user's, but what it holds may come from anywhere
 * (a cloned repository, a tar from a pipe), so every path in it is
 * resolved through descriptors below its root, never by a host path: a
 * symbolic link in it resolves as docker resolves it, scoped to the
 * context (an absolute target or a ".." leads to the context's root at
 * most), and "/x" and "../x" in a Dockerfile are the context's x.
 */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../image/load.h"
#include "../image/unpack.h"
#include "../lib/syscalls.h"
#include "../lib/util.h"
#include "context.h"

/* An ignore file longer than this is not one */
#define IGNORE_FILE_MAX (4u << 20)
/* Links followed in one path, as the kernel allows (ELOOP past it) */
#define CTX_MAX_LINKS 40

DEFINE_CLEANUP_FUNC(struct archive *, archive_read_free)

/* ---- opening things in the context ----------------------------------- */

/* path in the context (symlinks resolved inside it), opened with flags;
 * without openat2 (ENOSYS), beneath it with no symlink at all. */
static int ctx_open(const struct build_context *c, const char *path, int flags)
{
	int fd = open_in_root(c->dirfd, path, flags | O_CLOEXEC, 0);

	if (fd < 0 && errno == ENOSYS)
		fd = open_beneath(c->dirfd, path, flags | O_CLOEXEC, 0);
	return fd;
}

int context_read_file(const struct build_context *c, const char *rel, size_t max, char **out,
		      size_t *len, struct berth_error *err)
{
	_cleanup_close_ int fd = -1;
	struct stat st;

	if (c->dirfd < 0)
		return berth_error_set(err, ENOENT, "%s: there is no build context", rel);
	fd = ctx_open(c, rel, O_RDONLY | O_NONBLOCK | O_NOCTTY);
	if (fd < 0)
		return berth_error_set(err, errno, "%s in %s", rel, c->label);
	if (fstat(fd, &st) < 0)
		return berth_error_set(err, errno, "%s in %s", rel, c->label);
	if (!S_ISREG(st.st_mode))
		return berth_error_set(err, 0, "%s in %s: not a regular file", rel, c->label);
	if (read_fd_all(fd, max, out, len, err) < 0)
		return berth_error_wrap(err, "%s in %s", rel, c->label);
	return 0;
}

/* ---- the ignore file ------------------------------------------------- */

/* The host file path: *found false when it does not exist. */
static int read_host_file(const char *path, char **text, size_t *len, bool *found,
			  struct berth_error *err)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	struct stat st;

	*found = fd >= 0;
	if (fd < 0)
		return errno == ENOENT ? 0 : berth_error_set(err, errno, "%s", path);
	if (fstat(fd, &st) < 0)
		return berth_error_set(err, errno, "%s", path);
	if (!S_ISREG(st.st_mode))
		return berth_error_set(err, 0, "%s: not a regular file", path);
	if (read_fd_all(fd, IGNORE_FILE_MAX, text, len, err) < 0)
		return berth_error_wrap(err, "%s", path);
	return 0;
}

/* The context's own ignore file: .dockerignore, else .containerignore;
 * *name NULL when it has neither. */
static int read_ctx_ignore(const struct build_context *c, const char **name, char **text,
			   size_t *len, struct berth_error *err)
{
	static const char *const names[] = { ".dockerignore", ".containerignore" };

	for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
		struct berth_error e = { 0 };
		if (context_read_file(c, names[i], IGNORE_FILE_MAX, text, len, &e) == 0) {
			*name = names[i];
			return 0;
		}
		if (e.errnum != ENOENT) {
			*err = e;
			return -1;
		}
		berth_error_clear(&e);
	}
	*name = NULL;
	return 0;
}

/* c->ignore from ignore_file (a host path) when it exists, else from the
 * context's own file, else empty. */
static int load_ignore(struct build_context *c, const char *ignore_file, struct berth_error *err)
{
	_cleanup_free_ char *text = NULL, *label = NULL;
	const char *name = NULL;
	size_t len = 0;
	bool found = false;

	if (ignore_file && read_host_file(ignore_file, &text, &len, &found, err) < 0)
		return -1;
	if (found) {
		label = xstrdup(ignore_file);
	} else {
		if (read_ctx_ignore(c, &name, &text, &len, err) < 0)
			return -1;
		if (name)
			label = c->stage ? xstrdup(name) : xasprintf("%s/%s", c->label, name);
	}
	return ignore_parse(label ? label : "(none)", text ? text : "", text ? len : 0, &c->ignore,
			    err);
}

/* ---- opening and closing --------------------------------------------- */

int context_open_dir(const char *dir, const char *ignore_file, struct build_context *c,
		     struct berth_error *err)
{
	*c = (struct build_context){ .dirfd = -1 };
	c->dirfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (c->dirfd < 0)
		return berth_error_set(err, errno, "the build context %s", dir);
	c->label = xstrdup(dir);
	if (load_ignore(c, ignore_file, err) < 0) {
		context_close(c);
		return -1;
	}
	return 0;
}

void context_open_none(struct build_context *c)
{
	struct berth_error err = { 0 };

	*c = (struct build_context){ .dirfd = -1 };
	c->label = xstrdup("no context (a Dockerfile from stdin)");
	/* an empty file always parses */
	if (ignore_parse("(none)", "", 0, &c->ignore, &err) < 0)
		die("ignore_parse: %s", err.msg);
}

void context_close(struct build_context *c)
{
	if (c->dirfd >= 0)
		close(c->dirfd);
	c->dirfd = -1;
	ignore_free(c->ignore);
	c->ignore = NULL;
	free(c->label);
	c->label = NULL;
	if (c->stage)
		store_stage_free(c->stage);
	c->stage = NULL;
}

/* ---- a tar stream, unpacked ------------------------------------------- */

/* A directory of the archive: its mode and mtime are set once everything
 * below it is written. */
struct dir_fix {
	char *path;
	mode_t mode;
	struct timespec mtime;
	size_t depth;
};

struct untar {
	struct archive *a;
	int root;
	struct unpack_limits lim;
	uint64_t entries, bytes;
	struct dir_fix *dirs;
	size_t n_dirs, cap_dirs;
	char *buf;
	struct berth_error *err;
};

/* The directory holding path (relative, cleaned) below the root, its
 * missing parents made (0755, as docker's untar makes them) when make:
 * never through a link, whatever the archive put there before. */
static int untar_parent(struct untar *u, const char *path, bool make, const char **name)
{
	_cleanup_free_ char *copy = xstrdup(path);
	char *slash = strrchr(copy, '/'), *save = NULL;
	int fd = fcntl(u->root, F_DUPFD_CLOEXEC, 0);

	*name = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
	if (fd < 0)
		return berth_error_set(u->err, errno, "dup");
	if (!slash)
		return fd;
	*slash = '\0';
	for (char *c = strtok_r(copy, "/", &save); c; c = strtok_r(NULL, "/", &save)) {
		int sub, e;
		if (make && mkdirat(fd, c, 0755) < 0 && errno != EEXIST) {
			e = errno;
			close(fd);
			return berth_error_set(u->err, e, "entry \"%s\": mkdir %s", path, c);
		}
		sub = openat(fd, c, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		e = errno;
		close(fd);
		if (sub < 0 && e == ENOENT)
			return berth_error_set(u->err, e, "entry \"%s\": %s is missing", path, c);
		if (sub < 0)
			return berth_error_set(u->err, 0,
					       "entry \"%s\": %s is not a directory (a link or a "
					       "file)",
					       path, c);
		fd = sub;
	}
	return fd;
}

/* Make room for name below pfd: a file or link there goes (a later
 * member replaces an earlier one, as tar does); a directory stays. */
static void untar_unlink(int pfd, const char *name)
{
	struct stat st;

	if (fstatat(pfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && !S_ISDIR(st.st_mode))
		unlinkat(pfd, name, 0);
}

static int untar_data(struct untar *u, int fd, const char *path)
{
	for (;;) {
		la_ssize_t n = archive_read_data(u->a, u->buf, 128 * 1024);
		if (n < 0)
			return unpack_archive_error(u->a, path, u->err);
		if (n == 0)
			return 0;
		u->bytes += (uint64_t)n;
		if (u->lim.max_layer_size && u->bytes > u->lim.max_layer_size)
			return berth_error_set(u->err, EFBIG,
					       "the context unpacks to more than %llu bytes "
					       "(max-layer-size in berth.conf [limits])",
					       (unsigned long long)u->lim.max_layer_size);
		if (write_all(fd, u->buf, (size_t)n) < 0)
			return berth_error_set(u->err, errno, "write %s", path);
	}
}

static int untar_file(struct untar *u, struct archive_entry *e, int pfd, const char *name,
		      const char *path)
{
	_cleanup_close_ int fd = -1;
	const struct timespec ts[2] = {
		{ .tv_nsec = UTIME_OMIT },
		{ archive_entry_mtime(e), archive_entry_mtime_nsec(e) },
	};

	untar_unlink(pfd, name);
	fd = openat(pfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return berth_error_set(u->err, errno, "entry \"%s\"", path);
	if (untar_data(u, fd, path) < 0)
		return -1;
	if (fchmod(fd, archive_entry_perm(e) & 07777) < 0 || futimens(fd, ts) < 0)
		return berth_error_set(u->err, errno, "entry \"%s\"", path);
	return 0;
}

static int untar_link(struct untar *u, struct archive_entry *e, int pfd, const char *name,
		      const char *path)
{
	const char *target = archive_entry_symlink(e);
	const struct timespec ts[2] = {
		{ .tv_nsec = UTIME_OMIT },
		{ archive_entry_mtime(e), archive_entry_mtime_nsec(e) },
	};

	if (!target || !*target)
		return berth_error_set(u->err, 0, "entry \"%s\": a link with no target", path);
	untar_unlink(pfd, name);
	/* kept as it is: resolving it is the reader's, inside the context */
	if (symlinkat(target, pfd, name) < 0)
		return berth_error_set(u->err, errno, "entry \"%s\"", path);
	utimensat(pfd, name, ts, AT_SYMLINK_NOFOLLOW);
	return 0;
}

static int untar_hardlink(struct untar *u, const char *raw, int pfd, const char *name,
			  const char *path)
{
	_cleanup_free_ char *norm = NULL;
	_cleanup_close_ int tpfd = -1;
	const char *tname;
	struct stat st;

	if (unpack_normalize_name(raw, &norm, u->err) < 0)
		return berth_error_wrap(u->err, "entry \"%s\": hard link", path);
	if (strcmp(norm, "/") == 0)
		return berth_error_set(u->err, 0, "entry \"%s\": a hard link to the root", path);
	if ((tpfd = untar_parent(u, norm + 1, false, &tname)) < 0)
		return berth_error_wrap(u->err, "entry \"%s\": hard link", path);
	if (fstatat(tpfd, tname, &st, AT_SYMLINK_NOFOLLOW) < 0 || S_ISDIR(st.st_mode))
		return berth_error_set(u->err, 0,
				       "entry \"%s\": a hard link to %s, which is no file the "
				       "archive held before",
				       path, raw);
	untar_unlink(pfd, name);
	/* flags 0: a link target is linked itself, never followed */
	if (linkat(tpfd, tname, pfd, name, 0) < 0)
		return berth_error_set(u->err, errno, "entry \"%s\"", path);
	return 0;
}

static int untar_dir(struct untar *u, struct archive_entry *e, int pfd, const char *name,
		     const char *path, size_t depth)
{
	struct stat st;

	if (mkdirat(pfd, name, 0700) < 0) {
		if (errno != EEXIST)
			return berth_error_set(u->err, errno, "entry \"%s\"", path);
		if (fstatat(pfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISDIR(st.st_mode)) {
			untar_unlink(pfd, name);
			if (mkdirat(pfd, name, 0700) < 0)
				return berth_error_set(u->err, errno, "entry \"%s\"", path);
		}
	}
	if (u->n_dirs == u->cap_dirs) {
		u->cap_dirs = u->cap_dirs ? 2 * u->cap_dirs : 64;
		u->dirs = xrealloc(u->dirs, u->cap_dirs * sizeof(*u->dirs));
	}
	u->dirs[u->n_dirs++] = (struct dir_fix){
		.path = xstrdup(path),
		.mode = archive_entry_perm(e) & 07777,
		.mtime = { archive_entry_mtime(e), archive_entry_mtime_nsec(e) },
		.depth = depth,
	};
	return 0;
}

static size_t path_depth(const char *p)
{
	size_t n = 1;

	for (; *p; p++)
		n += *p == '/';
	return n;
}

/* One member: checked against the limits and the root, then made. */
static int untar_entry(struct untar *u, struct archive_entry *e)
{
	_cleanup_free_ char *norm = NULL;
	_cleanup_close_ int pfd = -1;
	const char *raw = archive_entry_pathname(e), *name, *path;
	mode_t type = archive_entry_filetype(e);
	size_t depth;

	if (!raw)
		return berth_error_set(u->err, 0, "an entry with no name");
	if (++u->entries > u->lim.max_entries && u->lim.max_entries)
		return berth_error_set(u->err, EFBIG,
				       "the context holds more than %llu entries "
				       "(max-layer-entries in berth.conf [limits])",
				       (unsigned long long)u->lim.max_entries);
	if (unpack_normalize_name(raw, &norm, u->err) < 0)
		return -1;
	path = norm + 1;
	if (!*path)
		return 0; /* the root itself: its mode is the stage's */
	depth = path_depth(path);
	if (u->lim.max_depth && depth > u->lim.max_depth)
		return berth_error_set(u->err, 0,
				       "entry \"%.64s...\": %zu directory levels deep, more than "
				       "%llu (max-depth in berth.conf [limits])",
				       path, depth, (unsigned long long)u->lim.max_depth);
	/* a device, a FIFO or a socket has no place in a context a user
	 * builds from (and no user may make a device): left out */
	if (!archive_entry_hardlink(e) && type != AE_IFREG && type != AE_IFDIR && type != AE_IFLNK)
		return 0;
	if ((pfd = untar_parent(u, path, true, &name)) < 0)
		return -1;
	if (archive_entry_hardlink(e))
		return untar_hardlink(u, archive_entry_hardlink(e), pfd, name, path);
	if (type == AE_IFDIR)
		return untar_dir(u, e, pfd, name, path, depth);
	if (type == AE_IFLNK)
		return untar_link(u, e, pfd, name, path);
	return untar_file(u, e, pfd, name, path);
}

static int dir_fix_deepest_first(const void *a, const void *b)
{
	const struct dir_fix *x = a, *y = b;

	return x->depth < y->depth ? 1 : x->depth > y->depth ? -1 : 0;
}

/* The directories' modes and times, deepest first (a directory made
 * unsearchable must be the last one entered). */
static int untar_fix_dirs(struct untar *u)
{
	if (u->n_dirs) /* qsort takes no NULL, even for none */
		qsort(u->dirs, u->n_dirs, sizeof(*u->dirs), dir_fix_deepest_first);
	for (size_t i = 0; i < u->n_dirs; i++) {
		_cleanup_close_ int fd = open_beneath(u->root, u->dirs[i].path,
						      O_PATH | O_DIRECTORY | O_NOFOLLOW, 0);
		const struct timespec ts[2] = { { .tv_nsec = UTIME_OMIT }, u->dirs[i].mtime };
		if (fd < 0 || chmod_opath(fd, u->dirs[i].mode) < 0)
			return berth_error_set(u->err, errno, "entry \"%s\"", u->dirs[i].path);
		utimensat(fd, "", ts, AT_EMPTY_PATH);
	}
	return 0;
}

static int untar_all(struct untar *u, int fd)
{
	struct archive_entry *e;
	int r;

	archive_read_support_format_tar(u->a);
	unpack_support_filters(u->a);
	if (archive_read_open_fd(u->a, fd, 128 * 1024) != ARCHIVE_OK)
		return unpack_archive_error(u->a, "reading the context", u->err);
	while ((r = archive_read_next_header(u->a, &e)) == ARCHIVE_OK || r == ARCHIVE_WARN)
		if (untar_entry(u, e) < 0)
			return -1;
	if (r != ARCHIVE_EOF)
		return unpack_archive_error(u->a, "reading the context", u->err);
	return untar_fix_dirs(u);
}

int context_open_tar(struct store *s, int fd, struct build_context *c, struct berth_error *err)
{
	_cleanup_(archive_read_freep) struct archive *a = archive_read_new();
	struct untar u = { .a = a, .root = -1, .err = err };
	int r = -1;

	*c = (struct build_context){ .dirfd = -1 };
	c->label = xstrdup("the context from stdin");
	if (load_limits_from_conf(&u.lim, err) < 0 || store_stage_new(s, &c->stage, err) < 0)
		goto out;
	if (mkdirat(c->stage->dirfd, "context", 0700) < 0) {
		berth_error_set(err, errno, "the stage of the context");
		goto out;
	}
	c->dirfd =
		openat(c->stage->dirfd, "context", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (c->dirfd < 0) {
		berth_error_set(err, errno, "the stage of the context");
		goto out;
	}
	u.root = c->dirfd;
	u.buf = xmalloc(128 * 1024);
	if (untar_all(&u, fd) < 0) {
		berth_error_wrap(err, "the context from stdin");
		store_name_if_full(s, err);
		goto out;
	}
	r = load_ignore(c, NULL, err);
out:
	for (size_t i = 0; i < u.n_dirs; i++)
		free(u.dirs[i].path);
	free(u.dirs);
	free(u.buf);
	if (r < 0)
		context_close(c);
	return r;
}

/* ---- the sources a COPY names ---------------------------------------- */

static char *path_join(const char *dir, const char *name)
{
	return *dir ? xasprintf("%s/%s", dir, name) : xstrdup(name);
}

/* One level up from path (in place): "a/b" is "a", "a" is "". */
static void path_up(char *path)
{
	char *slash = strrchr(path, '/');

	if (slash)
		*slash = '\0';
	else
		path[0] = '\0';
}

/* Resolve path inside the context as RESOLVE_IN_ROOT does (links
 * followed, an absolute target or ".." at most up to the root), the last
 * component's link too when follow: its path there into *real (every
 * directory in it a real one) and its stat into *st. 1 found, 0 not
 * there (or a file where a directory was needed, or a loop of links),
 * -1 an error. */
static int resolve(const struct build_context *c, const char *path, bool follow, char **real,
		   struct stat *st, struct berth_error *err)
{
	_cleanup_free_ char *todo = xstrdup(path), *cur = xstrdup("");
	_cleanup_close_ int dfd = fcntl(c->dirfd, F_DUPFD_CLOEXEC, 0);
	size_t links = 0, off = 0;

	if (dfd < 0)
		return berth_error_set(err, errno, "dup");
	for (;;) {
		char *comp, *slash, *next;
		bool last;
		int sub;

		while (todo[off] == '/')
			off++;
		if (!todo[off])
			break;
		comp = todo + off;
		slash = strchr(comp, '/');
		if (slash)
			*slash = '\0';
		off = slash ? (size_t)(slash - todo) + 1 : strlen(todo);
		last = !todo[off] || strspn(todo + off, "/") == strlen(todo + off);
		if (strcmp(comp, ".") == 0)
			continue;
		if (strcmp(comp, "..") == 0) {
			path_up(cur);
			close(dfd);
			dfd = open_beneath(c->dirfd, cur, O_PATH | O_DIRECTORY, 0);
			if (dfd < 0)
				return berth_error_set(err, errno, "%s in %s", cur, c->label);
			continue;
		}
		if (fstatat(dfd, comp, st, AT_SYMLINK_NOFOLLOW) < 0) {
			if (errno == ENOENT || errno == ENOTDIR)
				return 0;
			return berth_error_set(err, errno, "%s in %s", path, c->label);
		}
		if (S_ISLNK(st->st_mode) && (!last || follow)) {
			_cleanup_free_ char *target = xmalloc(PATH_MAX);
			ssize_t n = readlinkat(dfd, comp, target, PATH_MAX - 1);
			if (n < 0)
				return berth_error_set(err, errno, "%s in %s", path, c->label);
			/* a loop leads nowhere: not there, as for the kernel's
			 * ELOOP, and a glob beside it goes on */
			if (++links > CTX_MAX_LINKS)
				return 0;
			target[n] = '\0';
			next = xasprintf("%s/%s", target, todo + off);
			free(todo);
			todo = next;
			off = 0;
			if (target[0] == '/') {
				cur[0] = '\0';
				close(dfd);
				if ((dfd = fcntl(c->dirfd, F_DUPFD_CLOEXEC, 0)) < 0)
					return berth_error_set(err, errno, "dup");
			}
			continue;
		}
		next = path_join(cur, comp);
		free(cur);
		cur = next;
		if (last)
			break;
		if (!S_ISDIR(st->st_mode))
			return 0;
		/* no link can have come in between: O_NOFOLLOW */
		sub = openat(dfd, comp, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (sub < 0)
			return errno == ENOENT ? 0 : berth_error_set(err, errno, "%s", path);
		close(dfd);
		dfd = sub;
	}
	if (!*cur && fstat(c->dirfd, st) < 0)
		return berth_error_set(err, errno, "%s", c->label);
	*real = steal_pointer(&cur);
	return 1;
}

/* Whether anything below the excluded directory rel is brought back by
 * an exception (then docker sends rel, with those, and a COPY of it
 * finds them). */
static bool has_included_below(const struct build_context *c, const char *rel)
{
	_cleanup_close_ int fd = -1;
	_cleanup_closedir_ DIR *d = NULL;
	struct dirent *de;

	if (!ignore_may_include_below(c->ignore, rel))
		return false;
	fd = open_beneath(c->dirfd, rel, O_RDONLY | O_DIRECTORY, 0);
	if (fd < 0 || !(d = fdopendir(fd)))
		return false;
	fd = -1;
	while ((de = readdir(d))) {
		_cleanup_free_ char *p = NULL;
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		p = path_join(rel, de->d_name);
		if (!ignore_excludes(c->ignore, p))
			return true;
		if (de->d_type == DT_UNKNOWN) {
			struct stat st;
			if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
			    S_ISDIR(st.st_mode))
				de->d_type = DT_DIR;
		}
		if (de->d_type == DT_DIR && has_included_below(c, p))
			return true;
	}
	return false;
}

/* The matches of one pattern as they are found. */
struct found {
	struct ctx_match *m;
	size_t n, cap;
};

static void found_add(struct found *f, char *rel, bool dir, bool link)
{
	if (f->n == f->cap) {
		f->cap = f->cap ? 2 * f->cap : 16;
		f->m = xrealloc(f->m, f->cap * sizeof(*f->m));
	}
	f->m[f->n++] = (struct ctx_match){ .rel = rel, .dir = dir, .link = link };
}

/* lstat of path, its directories real ones, reached beneath the root. */
static int stat_beneath(const struct build_context *c, const char *path, struct stat *st)
{
	_cleanup_free_ char *dir = xstrdup(path);
	_cleanup_close_ int fd = -1;
	const char *name = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;

	path_up(dir);
	fd = open_beneath(c->dirfd, dir, O_PATH | O_DIRECTORY, 0);
	if (fd < 0)
		return -1;
	return fstatat(fd, name, st, AT_SYMLINK_NOFOLLOW);
}

/* path (its directories real ones) as the pattern's last component: a
 * match unless excluded (an excluded directory matches when an exception
 * brings back something below it). */
static int take_last(const struct build_context *c, const char *path, struct found *out,
		     struct berth_error *err)
{
	struct stat st;

	if (stat_beneath(c, path, &st) < 0)
		return errno == ENOENT || errno == ENOTDIR
			       ? 0
			       : berth_error_set(err, errno, "%s in %s", path, c->label);
	if (ignore_excludes(c->ignore, path) &&
	    !(S_ISDIR(st.st_mode) && has_included_below(c, path)))
		return 0;
	found_add(out, xstrdup(path), S_ISDIR(st.st_mode), S_ISLNK(st.st_mode));
	return 0;
}

/* path as a directory on the way to the pattern's last component:
 * resolved inside the context into next, unless it or what it leads to
 * is excluded with nothing brought back below. */
static int take_dir(const struct build_context *c, const char *path, struct found *next,
		    struct berth_error *err)
{
	_cleanup_free_ char *real = NULL;
	struct stat st;
	int r;

	if (ignore_excludes(c->ignore, path) && !ignore_may_include_below(c->ignore, path))
		return 0;
	if ((r = resolve(c, path, true, &real, &st, err)) <= 0)
		return r;
	if (!S_ISDIR(st.st_mode))
		return 0;
	if (*real && ignore_excludes(c->ignore, real) && !ignore_may_include_below(c->ignore, real))
		return 0;
	found_add(next, steal_pointer(&real), true, false);
	return 0;
}

/* The names in directory dir that the glob comp matches, each taken. */
static int match_glob(const struct build_context *c, const char *dir, const char *comp, bool last,
		      struct found *next, struct berth_error *err)
{
	_cleanup_closedir_ DIR *d = NULL;
	int fd = open_beneath(c->dirfd, dir, O_RDONLY | O_DIRECTORY, 0);
	struct dirent *de;

	if (fd < 0 || !(d = fdopendir(fd))) {
		if (fd >= 0)
			close(fd);
		return berth_error_set(err, errno, "%s in %s", *dir ? dir : ".", c->label);
	}
	while ((de = readdir(d))) {
		_cleanup_free_ char *p = NULL;
		int m;
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if ((m = go_path_match(comp, de->d_name)) < 0)
			return berth_error_set(err, 0, "bad pattern");
		if (!m)
			continue;
		p = path_join(dir, de->d_name);
		if ((last ? take_last(c, p, next, err) : take_dir(c, p, next, err)) < 0)
			return -1;
	}
	return 0;
}

static int match_cmp(const void *a, const void *b)
{
	return strcmp(((const struct ctx_match *)a)->rel, ((const struct ctx_match *)b)->rel);
}

/* The components of a cleaned pattern, one level at a time, from the
 * root: the directories reached, then the last component's matches. */
static int match_one(const struct build_context *c, const char *clean, struct found *out,
		     struct berth_error *err)
{
	_cleanup_free_ char *copy = xstrdup(clean);
	struct found dirs = { 0 };
	char *save = NULL, *comp = strtok_r(copy, "/", &save);
	int r = 0;

	found_add(&dirs, xstrdup(""), true, false);
	while (comp && r == 0) {
		char *following = strtok_r(NULL, "/", &save);
		bool last = !following, glob = strpbrk(comp, "*?[\\") != NULL;
		struct found next = { 0 };

		for (size_t i = 0; i < dirs.n && r == 0; i++) {
			_cleanup_free_ char *p = NULL;
			if (glob) {
				r = match_glob(c, dirs.m[i].rel, comp, last, last ? out : &next,
					       err);
				continue;
			}
			p = path_join(dirs.m[i].rel, comp);
			r = last ? take_last(c, p, out, err) : take_dir(c, p, &next, err);
		}
		ctx_matches_free(dirs.m, dirs.n);
		dirs = next;
		comp = following;
	}
	ctx_matches_free(dirs.m, dirs.n);
	return r;
}

/* One pattern's matches, sorted and without repeats, added to all. */
static int match_pattern(const struct build_context *c, const char *pattern, struct found *all,
			 struct berth_error *err)
{
	_cleanup_free_ char *rooted = xasprintf("/%s", pattern);
	_cleanup_free_ char *clean = go_path_clean(rooted);
	struct found f = { 0 };
	size_t start = all->n;

	/* "/x", "../x" and "x" are the same x of the context */
	if (strcmp(clean, "/") == 0) {
		found_add(all, xstrdup(""), true, false);
		return 0;
	}
	if (match_one(c, clean + 1, &f, err) < 0) {
		ctx_matches_free(f.m, f.n);
		return berth_error_wrap(err, "%s", pattern);
	}
	if (f.n > 1)
		qsort(f.m, f.n, sizeof(*f.m), match_cmp);
	for (size_t i = 0; i < f.n; i++) {
		/* two ways to one place ("*" + "/x" through a link): once */
		if (all->n > start && strcmp(f.m[i].rel, all->m[all->n - 1].rel) == 0) {
			free(f.m[i].rel);
			continue;
		}
		found_add(all, f.m[i].rel, f.m[i].dir, f.m[i].link);
	}
	free(f.m);
	if (all->n == start)
		return berth_error_set(err, 0,
				       "%s: not found in the build context (or excluded by "
				       ".dockerignore)",
				       pattern);
	return 0;
}

int context_match(const struct build_context *c, char *const *patterns, size_t n,
		  struct ctx_match **out, size_t *n_out, struct berth_error *err)
{
	struct found all = { 0 };

	for (size_t i = 0; i < n; i++) {
		if (c->dirfd < 0) {
			ctx_matches_free(all.m, all.n);
			return berth_error_set(err, 0,
					       "%s: there is no build context (the Dockerfile "
					       "came from stdin)",
					       patterns[i]);
		}
		if (match_pattern(c, patterns[i], &all, err) < 0) {
			ctx_matches_free(all.m, all.n);
			return -1;
		}
	}
	*out = all.m;
	*n_out = all.n;
	return 0;
}

void ctx_matches_free(struct ctx_match *m, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(m[i].rel);
	free(m);
}
