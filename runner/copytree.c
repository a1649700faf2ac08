// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * copytree.c: copying a tree from one held directory into another, for
 * `berth cp` (copy.c) and for filling a new volume from the image
 * (rootfs.c, as root of the container's user namespace: owners, modes
 * and times kept). Where the two directories come from, and in which
 * namespaces the copy runs, is the callers' business.
 *
 * Either side of a copy may be a tree a container writes while it runs
 * (its own root, a volume or bind mount it shares): below the first
 * directory, every step is a single name under a held descriptor, never
 * followed if it is a link, files are opened O_NONBLOCK and their type
 * checked on the descriptor, and owners, modes and times are set on the
 * copy's own descriptor.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "copytree.h"
#include "../lib/util.h"

#define MAX_DEPTH 256

static int copy_data(int in, int out)
{
	char buf[65536];

	for (;;) {
		ssize_t n = read(in, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0)
			return 0;
		if (write_all(out, buf, (size_t)n) < 0)
			return -1;
	}
}

/* With preserve (a volume filled from the image, as root of the
 * container's user namespace), owners, modes and times are kept. They
 * are set on the copy's own descriptor, never by name: the destination
 * may be a volume another container writes meanwhile, and a name there
 * can turn into a link to a host directory between two calls. */
static int keep_attrs_fd(int fd, const struct stat *st, const char *dname, struct berth_error *err)
{
	struct timespec ts[2] = { st->st_atim, st->st_mtim };

	/* an id the namespace does not map (a single-id mapping has only
	 * root) cannot be given: the copy stays root's (EINVAL) */
	if ((fchown(fd, st->st_uid, st->st_gid) < 0 && errno != EINVAL) ||
	    fchmod(fd, st->st_mode & 07777) < 0 || futimens(fd, ts) < 0)
		return berth_error_set(err, errno, "keeping the owner and mode of %s", dname);
	return 0;
}

/* A link has no descriptor to set them on: by name, without following,
 * below the held directory (at worst another name of the same tree). */
static int keep_link_attrs(int ddir, const char *dname, const struct stat *st,
			   struct berth_error *err)
{
	struct timespec ts[2] = { st->st_atim, st->st_mtim };

	if ((fchownat(ddir, dname, st->st_uid, st->st_gid, AT_SYMLINK_NOFOLLOW) < 0 &&
	     errno != EINVAL) ||
	    utimensat(ddir, dname, ts, AT_SYMLINK_NOFOLLOW) < 0)
		return berth_error_set(err, errno, "keeping the owner of %s", dname);
	return 0;
}

/* Open sname for reading as the regular file fstatat saw: O_NONBLOCK and
 * the type checked again, so a FIFO swapped in meanwhile cannot hang the
 * copy and a link is never followed. */
static int open_source(int sdir, const char *sname, bool *not_reg)
{
	int fd = openat(sdir, sname, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	struct stat st;

	*not_reg = false;
	if (fd >= 0 && (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))) {
		*not_reg = true;
		close(fd);
		return -1;
	}
	return fd;
}

/* The destination file. A volume being filled was empty when the fill
 * began: a name already there is another container's, left as it is
 * (-1 with *skip). A copy into a container or onto the host replaces a
 * regular file, never a FIFO (which would block: O_NONBLOCK, ENXIO
 * without a reader) or what a link names (O_NOFOLLOW). */
static int open_dest(int ddir, const char *dname, mode_t mode, bool preserve, bool *skip,
		     bool *not_reg)
{
	int fd, flags = O_WRONLY | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC;
	struct stat st;

	*skip = *not_reg = false;
	fd = openat(ddir, dname, flags | (preserve ? O_EXCL : O_TRUNC), mode);
	if (fd < 0) {
		*skip = preserve && errno == EEXIST;
		*not_reg = errno == ENXIO || errno == ELOOP;
		return -1;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		*not_reg = true;
		close(fd);
		return -1;
	}
	return fd;
}

static int copy_obj(int sdir, const char *sname, int ddir, const char *dname, int depth,
		    bool preserve, struct berth_error *err);

static int copy_file(int sdir, const char *sname, int ddir, const char *dname,
		     const struct stat *st, bool preserve, struct berth_error *err)
{
	bool skip, not_reg;
	_cleanup_close_ int in = open_source(sdir, sname, &not_reg), out = -1;

	if (in < 0)
		return not_reg ? berth_error_set(err, 0, "%s: changed while being copied", sname)
			       : berth_error_set(err, errno, "%s", sname);
	out = open_dest(ddir, dname, st->st_mode & 0777, preserve, &skip, &not_reg);
	if (skip)
		return 0;
	if (out < 0)
		return not_reg ? berth_error_set(err, 0, "%s: not a regular file, not written",
						 dname)
			       : berth_error_set(err, errno, "%s", dname);
	if (copy_data(in, out) < 0)
		return berth_error_set(err, errno, "copying %s", sname);
	return preserve ? keep_attrs_fd(out, st, dname, err) : 0;
}

static int copy_dir(int sdir, const char *sname, int ddir, const char *dname, const struct stat *st,
		    int depth, bool preserve, struct berth_error *err)
{
	if (mkdirat(ddir, dname, (st->st_mode & 0777) | 0700) < 0 && errno != EEXIST)
		return berth_error_set(err, errno, "%s", dname);
	/* read-only, not O_PATH, when its attributes are to be set on it */
	_cleanup_close_ int dst = openat(
		ddir, dname, (preserve ? O_RDONLY : O_PATH) | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	int lfd = openat(sdir, sname, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	_cleanup_closedir_ DIR *d = lfd >= 0 ? fdopendir(lfd) : NULL;
	struct dirent *de;

	if (dst < 0)
		return berth_error_set(err, errno, "%s", dname);
	if (!d) {
		if (lfd >= 0)
			close(lfd);
		return berth_error_set(err, errno, "%s", sname);
	}
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..") &&
		    copy_obj(dirfd(d), de->d_name, dst, de->d_name, depth + 1, preserve, err) < 0)
			return -1;
	return preserve ? keep_attrs_fd(dst, st, dname, err) : 0;
}

/* Copy sname in sdir to dname in ddir, never following a symlink: a link
 * is copied as a link. Only fds are used, no /proc reopen (inside the
 * container's mount namespace, /proc is the container's). */
static int copy_obj(int sdir, const char *sname, int ddir, const char *dname, int depth,
		    bool preserve, struct berth_error *err)
{
	struct stat st;

	if (fstatat(sdir, sname, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return berth_error_set(err, errno, "%s", sname);
	if (depth > MAX_DEPTH)
		return berth_error_set(err, ELOOP, "%s: nested too deep", sname);
	if (S_ISREG(st.st_mode))
		return copy_file(sdir, sname, ddir, dname, &st, preserve, err);
	if (S_ISLNK(st.st_mode)) {
		char target[PATH_MAX + 1];
		ssize_t n = readlinkat(sdir, sname, target, PATH_MAX);
		if (n < 0)
			return berth_error_set(err, errno, "%s", sname);
		target[n] = '\0';
		if (symlinkat(target, ddir, dname) < 0)
			return errno == EEXIST ? 0 : berth_error_set(err, errno, "%s", dname);
		return preserve ? keep_link_attrs(ddir, dname, &st, err) : 0;
	}
	if (!S_ISDIR(st.st_mode))
		return 0; /* devices, fifos, sockets: not copied (docker copies none either) */
	return copy_dir(sdir, sname, ddir, dname, &st, depth, preserve, err);
}

int copytree_fill(int sdir, int ddir, struct berth_error *err)
{
	int fd = openat(sdir, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	_cleanup_closedir_ DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	struct dirent *de;
	struct stat st;

	if (!d) {
		if (fd >= 0)
			close(fd);
		return berth_error_set(err, errno, "reading the directory to copy");
	}
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..") &&
		    copy_obj(dirfd(d), de->d_name, ddir, de->d_name, 1, true, err) < 0)
			return -1;
	/* and the directory's own owner and mode, as docker gives the volume
	 * (ddir is the volume's root, opened read-only by the caller) */
	if (fstat(sdir, &st) < 0)
		return berth_error_set(err, errno, "stat");
	return keep_attrs_fd(ddir, &st, "the volume", err);
}

int copytree_copy(int sdir, const char *sname, int ddir, const char *dname, bool preserve,
		  struct berth_error *err)
{
	return copy_obj(sdir, sname, ddir, dname, 0, preserve, err);
}
