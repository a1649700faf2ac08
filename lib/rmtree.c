// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * rmtree.c: rm_rf_at(), the removal of a tree berth or a container wrote
 * (a container's directory, a volume, a store layer, a berth-fs upper
 * directory). The tree may be hostile: as deep as a container cares to
 * make it, with directories of mode 000, symlinks to anywhere, and a
 * co-tenant container renaming things while it goes. So:
 *  - nothing follows a link: each name is unlinked (a link goes as a
 *    link) or opened below its parent's descriptor with
 *    openat2(RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_XDEV)
 *    (the top, named by the caller, with O_NOFOLLOW), and
 *    a directory's mode is fixed on its own descriptor (fchmod, or
 *    chmod_opath() for one without read permission), never by name;
 *  - no recursion and at most RM_OPEN directories open at once: the walk
 *    keeps a stack of names and the descriptors of the deepest levels
 *    only; a level whose descriptor was let go is opened again by name
 *    from the nearest open ancestor (or the caller's directory), which
 *    never leaves the tree either.
 * Not concerned with what the tree is: callers decide (volume.c runs it
 * in a user namespace when a container's other ids own files).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "syscalls.h"
#include "util.h"

/* Directory descriptors held at once: far below any RLIMIT_NOFILE, and
 * enough that a deep tree is opened again by name only every
 * RM_OPEN / 2 levels on the way up. */
#define RM_OPEN 32
/* How often a directory is listed again when its rmdir finds it not
 * empty (a co-tenant still writing there): then rm gives up. */
#define RM_RELIST 4

struct rm_level {
	char *name; /* in the parent level (the caller's dirfd for level 0) */
	DIR *d;	    /* NULL when let go (or not opened again yet) */
	int relisted;
};

struct rm_walk {
	int top; /* the caller's directory */
	struct rm_level *v;
	size_t n, cap, n_open;
};

/* Below the top, a single name under its parent's descriptor; the top
 * is the caller's (a path it chose), its last component not followed. */
static int open_one(int pfd, const char *name, int flags, bool top)
{
	flags |= O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;
	return top ? openat(pfd, name, flags) : open_beneath(pfd, name, flags, 0);
}

/* A directory opened for listing and removing its entries, through no
 * link; made readable, writable and searchable for its owner first. */
static int open_dir_rm(int pfd, const char *name, bool top)
{
	int fd = open_one(pfd, name, O_RDONLY, top);
	struct stat st;

	if (fd < 0 && errno == EACCES) {
		/* no read permission: an O_PATH handle needs none */
		_cleanup_close_ int p = open_one(pfd, name, O_PATH, top);
		if (p < 0 || fstat(p, &st) < 0 || chmod_opath(p, (st.st_mode & 07777) | 0700) < 0)
			return -1;
		fd = open_one(pfd, name, O_RDONLY, top);
	}
	if (fd < 0)
		return -1;
	if (fstat(fd, &st) < 0 ||
	    ((st.st_mode & 0700) != 0700 && fchmod(fd, (st.st_mode & 07777) | 0700) < 0)) {
		int e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

/* The path of level i for messages: the first and last levels of a
 * deep one, the middle elided. */
static char *walk_path(const struct rm_walk *w, size_t upto, const char *leaf)
{
	size_t n = upto + 1;
	char *p = xstrdup("");

	for (size_t i = 0; i < n; i++) {
		if (n > 8 && i == 3) {
			char *q = xasprintf("%s/...", p);
			free(p);
			p = q;
			i = n - 4;
			continue;
		}
		char *q = xasprintf("%s%s%s", p, i ? "/" : "", w->v[i].name);
		free(p);
		p = q;
	}
	if (leaf) {
		char *q = xasprintf("%s/%s", p, leaf);
		free(p);
		p = q;
	}
	return p;
}

static void let_go(struct rm_walk *w, size_t i)
{
	if (w->v[i].d) {
		closedir(w->v[i].d);
		w->v[i].d = NULL;
		w->n_open--;
	}
}

/* Keep at most RM_OPEN levels open: let the shallowest go, except those
 * from keep on. */
static void trim(struct rm_walk *w, size_t keep)
{
	for (size_t i = 0; w->n_open > RM_OPEN && i < keep; i++)
		let_go(w, i);
}

static int level_fd(const struct rm_walk *w, size_t i)
{
	return dirfd(w->v[i].d);
}

/* Open level i again (its listing starts over: what was removed is
 * gone). Walks by name from the nearest open ancestor, keeping the last
 * RM_OPEN / 2 levels of the way open for the climb back. */
static int reopen(struct rm_walk *w, size_t i, struct berth_error *err)
{
	size_t j = i;

	while (j > 0 && !w->v[j - 1].d)
		j--;
	/* levels j..i are closed; j - 1 is open (or j is 0: the caller's) */
	for (size_t k = j; k <= i; k++) {
		int pfd = k == 0 ? w->top : level_fd(w, k - 1);
		int fd = open_dir_rm(pfd, w->v[k].name, k == 0);
		if (fd < 0 || !(w->v[k].d = fdopendir(fd))) {
			_cleanup_free_ char *p = walk_path(w, k, NULL);
			if (fd >= 0)
				close(fd);
			return berth_error_set(err, errno, "open %s", p);
		}
		w->n_open++;
		/* the parent is needed no more unless it is near i */
		if (k > j && k - 1 + RM_OPEN / 2 < i)
			let_go(w, k - 1);
	}
	trim(w, i + 1 > RM_OPEN / 2 ? i + 1 - RM_OPEN / 2 : 0);
	return 0;
}

static void push(struct rm_walk *w, const char *name, DIR *d)
{
	if (w->n == w->cap) {
		w->cap = w->cap ? w->cap * 2 : 64;
		w->v = xrealloc(w->v, w->cap * sizeof(*w->v));
	}
	w->v[w->n++] = (struct rm_level){ .name = xstrdup(name), .d = d };
	w->n_open += d != NULL;
	trim(w, w->n - 1);
}

/* One entry of the deepest level: unlinked, or a directory to go down
 * into. */
static int entry(struct rm_walk *w, const char *name, struct berth_error *err)
{
	size_t i = w->n - 1;
	int pfd = level_fd(w, i);

	for (int tries = 0; tries < 2; tries++) {
		if (unlinkat(pfd, name, 0) == 0 || errno == ENOENT)
			return 0;
		if (errno != EISDIR)
			break;
		int fd = open_dir_rm(pfd, name, false);
		DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
		if (d) {
			push(w, name, d);
			return 0;
		}
		if (fd >= 0)
			close(fd);
		/* swapped for a link or a file meanwhile: unlink that */
		if (errno != ENOTDIR && errno != ELOOP && errno != ENOENT)
			break;
	}
	_cleanup_free_ char *p = walk_path(w, i, name);
	return berth_error_set(err, errno, "removing %s", p);
}

/* The deepest level has no entries left: remove it from its parent. */
static int pop(struct rm_walk *w, struct berth_error *err)
{
	size_t i = w->n - 1;
	struct rm_level *l = &w->v[i];

	let_go(w, i);
	if (i > 0 && !w->v[i - 1].d && reopen(w, i - 1, err) < 0)
		return -1;
	int pfd = i == 0 ? w->top : level_fd(w, i - 1);
	if (unlinkat(pfd, l->name, AT_REMOVEDIR) < 0 && errno != ENOENT) {
		if (errno == ENOTEMPTY && l->relisted++ < RM_RELIST)
			return reopen(w, i, err);
		_cleanup_free_ char *p = walk_path(w, i, NULL);
		return berth_error_set(err, errno, "rmdir %s", p);
	}
	free(l->name);
	w->n--;
	return 0;
}

static int walk(struct rm_walk *w, struct berth_error *err)
{
	while (w->n > 0) {
		struct rm_level *l = &w->v[w->n - 1];
		struct dirent *de;

		if (!l->d && reopen(w, w->n - 1, err) < 0)
			return -1;
		errno = 0;
		while ((de = readdir(w->v[w->n - 1].d)) &&
		       (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..")))
			;
		if (!de && errno) {
			_cleanup_free_ char *p = walk_path(w, w->n - 1, NULL);
			return berth_error_set(err, errno, "reading %s", p);
		}
		if (de ? entry(w, de->d_name, err) < 0 : pop(w, err) < 0)
			return -1;
	}
	return 0;
}

int rm_rf_at(int dirfd, const char *name, struct berth_error *err)
{
	struct rm_walk w = { .top = dirfd };
	int r;

	if (unlinkat(dirfd, name, 0) == 0 || errno == ENOENT)
		return 0;
	if (errno != EISDIR)
		return berth_error_set(err, errno, "unlink %s", name);
	int fd = open_dir_rm(dirfd, name, true);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	if (!d) {
		int e = errno;
		if (fd >= 0)
			close(fd);
		return e == ENOENT ? 0 : berth_error_set(err, e, "open %s", name);
	}
	push(&w, name, d);
	r = walk(&w, err);
	for (size_t i = 0; i < w.n; i++) {
		if (w.v[i].d)
			closedir(w.v[i].d);
		free(w.v[i].name);
	}
	free(w.v);
	return r;
}
