// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * openat2.c: the two resolvers that every path from an image, a profile
 * or a container goes through (declared in syscalls.h): openat2 when the
 * kernel has it, and for open_beneath a walk that keeps the same rules
 * when it does not. What the paths mean is the callers' (image/,
 * runner/, fusefs/).
 *
 * Without openat2 (ENOSYS: Linux before 5.6, or a seccomp filter that
 * does not know the call), open_beneath walks one component at a time:
 * each name opened O_PATH | O_NOFOLLOW below the directory reached, its
 * type checked on the descriptor (a symlink is ELOOP, as
 * RESOLVE_NO_SYMLINKS makes it; a magic link is a symlink too), its
 * mount compared with the top's (EXDEV, as RESOLVE_NO_XDEV), and ".."
 * taken off the list of names walked, never asked of the kernel (EXDEV
 * above the top, as RESOLVE_BENEATH), the directory reached again from
 * the top. A rename racing the walk can only lead it to another place
 * below the top, as with openat2.
 *
 * open_in_root has no fallback: following a container's symlinks inside
 * its root by hand would be a resolver of its own, and a kernel without
 * openat2 (before 5.6) also lacks mount_setattr (5.12), without which
 * berth starts no container anyway. It fails with ENOSYS there, and
 * open_in_root_check says so in one line.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "syscalls.h"
#include "xalloc.h"

#ifndef STATX_MNT_ID
#define STATX_MNT_ID 0x1000U
#endif

/* 0: openat2 is tried; -1: it answered ENOSYS once (or a test pretends
 * so), and the fallbacks run without asking the kernel again. */
static int openat2_state;

void openat2_pretend_missing(bool missing)
{
	__atomic_store_n(&openat2_state, missing ? -1 : 0, __ATOMIC_RELAXED);
}

static int try_openat2(int dirfd, const char *path, struct open_how *how)
{
	int fd;

	if (__atomic_load_n(&openat2_state, __ATOMIC_RELAXED) < 0) {
		errno = ENOSYS;
		return -1;
	}
	fd = sys_openat2(dirfd, path, how);
	if (fd < 0 && errno == ENOSYS)
		__atomic_store_n(&openat2_state, -1, __ATOMIC_RELAXED);
	return fd;
}

/* The id of the mount fd is on: statx (Linux 5.8), else the
 * descriptor's /proc/self/fdinfo entry (3.15). */
static int mount_id(int fd, uint64_t *id)
{
	struct statx sx;
	char p[64], buf[1024];
	const char *m;
	ssize_t n;
	int info;

	if (statx(fd, "", AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW, STATX_MNT_ID, &sx) == 0 &&
	    (sx.stx_mask & STATX_MNT_ID)) {
		*id = sx.stx_mnt_id;
		return 0;
	}
	snprintf(p, sizeof(p), "/proc/self/fdinfo/%d", fd);
	if ((info = open(p, O_RDONLY | O_CLOEXEC)) < 0)
		return -1;
	n = read(info, buf, sizeof(buf) - 1);
	close(info);
	if (n < 0)
		return -1;
	buf[n] = '\0';
	if (!(m = strstr(buf, "mnt_id:"))) {
		errno = EOPNOTSUPP;
		return -1;
	}
	*id = strtoull(m + strlen("mnt_id:"), NULL, 10);
	return 0;
}

/* The walk of open_beneath's fallback. */
struct walk {
	int top;	    /* dirfd, reopened: the tree the walk stays in */
	uint64_t mnt;	    /* top's mount */
	int cur;	    /* the directory reached: top, or a descriptor of ours */
	const char **names; /* the names walked from top down to cur */
	size_t depth;
};

/* fd's object: not a link (unless link_ok), a directory when dir, on the
 * top's mount. Closes fd and returns -1 with errno when not. */
static int check_step(const struct walk *w, int fd, bool dir, bool link_ok)
{
	struct stat st;
	uint64_t mnt;
	int e = 0;

	if (fstat(fd, &st) < 0)
		e = errno;
	else if (S_ISLNK(st.st_mode) && !link_ok)
		e = ELOOP;
	else if (dir && !S_ISDIR(st.st_mode))
		e = ENOTDIR;
	else if (mount_id(fd, &mnt) < 0)
		e = errno;
	else if (mnt != w->mnt)
		e = EXDEV;
	if (!e)
		return fd;
	close(fd);
	errno = e;
	return -1;
}

static void walk_set_cur(struct walk *w, int fd)
{
	if (w->cur != w->top)
		close(w->cur);
	w->cur = fd;
}

/* One level down, into the directory name. */
static int walk_down(struct walk *w, const char *name)
{
	int fd = openat(w->cur, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);

	if (fd < 0 || check_step(w, fd, true, false) < 0)
		return -1;
	walk_set_cur(w, fd);
	w->names[w->depth++] = name;
	return 0;
}

/* One level up: the names walked less the last, walked again from the
 * top (the kernel's ".." of the directory reached could lead anywhere
 * once it is moved). */
static int walk_up(struct walk *w)
{
	size_t depth;

	if (w->depth == 0) {
		errno = EXDEV;
		return -1;
	}
	depth = w->depth - 1;
	walk_set_cur(w, w->top);
	w->depth = 0;
	for (size_t i = 0; i < depth; i++)
		if (walk_down(w, w->names[i]) < 0)
			return -1;
	return 0;
}

/* The last component, opened as the caller asked, never following a
 * link; dir: the path ended in "/" or "/.", so it must be a directory. */
static int walk_open_last(struct walk *w, const char *name, int flags, int mode, bool dir)
{
	int fd;

	if (dir && (flags & O_CREAT)) {
		errno = EISDIR;
		return -1;
	}
	fd = openat(w->cur, name, flags | O_NOFOLLOW | O_CLOEXEC, mode);
	if (fd < 0)
		return -1;
	/* a link itself is what O_PATH | O_NOFOLLOW asks for, as openat2 */
	return check_step(w, fd, dir, !dir && (flags & O_PATH) && (flags & O_NOFOLLOW));
}

/* The components of path, in place: no empty ones, no ".". *dir: the
 * path ends in "/" or "/." (its last component must be a directory). */
static size_t split_path(char *path, const char **v, bool *dir)
{
	size_t n = 0, len = strlen(path);
	char *save = NULL;

	*dir = len > 0 && (path[len - 1] == '/' ||
			   (path[len - 1] == '.' && (len == 1 || path[len - 2] == '/')));
	for (char *c = strtok_r(path, "/", &save); c; c = strtok_r(NULL, "/", &save))
		if (strcmp(c, ".") != 0)
			v[n++] = c;
	return n;
}

static int walk_path(struct walk *w, char *path, int flags, int mode)
{
	const char **v = xmalloc((strlen(path) / 2 + 2) * sizeof(*v));
	bool dir;
	size_t n = split_path(path, v, &dir);
	int r = 0, fd = -1;

	w->names = xmalloc((n + 1) * sizeof(*w->names));
	for (size_t i = 0; i < n && r == 0; i++) {
		if (strcmp(v[i], "..") == 0) {
			r = walk_up(w);
		} else if (i + 1 < n) {
			r = walk_down(w, v[i]);
		} else {
			fd = walk_open_last(w, v[i], flags, mode, dir);
			r = fd < 0 ? -1 : 0;
		}
	}
	/* a path of "." and ".." only, or ending in "..": the directory
	 * reached itself */
	if (r == 0 && fd < 0)
		fd = openat(w->cur, ".", flags | O_NOFOLLOW | O_CLOEXEC, mode);
	free(v);
	free(w->names);
	return r < 0 ? -1 : fd;
}

static int beneath_by_walk(int dirfd, const char *path, int flags, int mode)
{
	struct walk w = { .top = -1 };
	char *copy;
	int fd, e;

	if (path[0] == '/') {
		errno = EXDEV;
		return -1;
	}
	w.top = openat(dirfd, ".", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (w.top < 0)
		return -1;
	if (mount_id(w.top, &w.mnt) < 0) {
		e = errno;
		close(w.top);
		errno = e;
		return -1;
	}
	w.cur = w.top;
	copy = xstrdup(path);
	fd = walk_path(&w, copy, flags, mode);
	e = errno;
	free(copy);
	walk_set_cur(&w, w.top);
	close(w.top);
	errno = e;
	return fd;
}

/* openat2 refuses a mode unless the open may create (EINVAL); O_TMPFILE
 * holds O_DIRECTORY's bit, so an O_DIRECTORY open is not one. */
static bool takes_mode(int flags)
{
	return (flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE;
}

int open_beneath(int dirfd, const char *path, int flags, int mode)
{
	struct open_how how = {
		.flags = (unsigned)(flags | O_CLOEXEC),
		.mode = (unsigned)(takes_mode(flags) ? mode : 0),
		.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS |
			   RESOLVE_NO_XDEV,
	};
	int fd;

	if (!*path)
		path = ".";
	fd = try_openat2(dirfd, path, &how);
	if (fd >= 0 || errno != ENOSYS)
		return fd;
	return beneath_by_walk(dirfd, path, flags, mode);
}

int open_in_root(int rootfd, const char *path, int flags, int mode)
{
	struct open_how how = {
		.flags = (unsigned)(flags | O_CLOEXEC),
		.mode = (unsigned)(takes_mode(flags) ? mode : 0),
		.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
	};

	if (!*path)
		path = ".";
	return try_openat2(rootfd, path, &how);
}

int open_in_root_check(struct berth_error *err)
{
	struct open_how how = { .flags = O_PATH | O_CLOEXEC, .resolve = RESOLVE_IN_ROOT };
	int fd = try_openat2(AT_FDCWD, "/", &how);

	if (fd >= 0)
		close(fd);
	/* any other failure is not the kernel's lack: the real call says */
	if (fd >= 0 || errno != ENOSYS)
		return 0;
	return berth_error_set(err, ENOSYS,
			       "this kernel has no openat2 (Linux 5.6), which berth needs to "
			       "resolve paths inside a container's root (RESOLVE_IN_ROOT)");
}
