// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * copy.c: `berth cp` between the host and a running container. A child
 * joins the container's user and mount namespaces (its root is then the
 * container's), so every container path resolves inside that root; the
 * host side is opened before the join and used through its fd only.
 * Container paths also go through openat2(RESOLVE_IN_ROOT |
 * RESOLVE_NO_MAGICLINKS), so neither a symlink nor a /proc magic link in
 * the container can lead out of it. Host paths follow docker's rules (a
 * destination that is a directory receives the source by its name).
 * copy_tree_into() also fills a new volume from the image (rootfs.c).
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
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "copy.h"
#include "launch.h"
#include "../lib/syscalls.h"
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

int copy_tree_into(int sdir, int ddir, struct berth_error *err)
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

static char *base_of(const char *path)
{
	_cleanup_free_ char *p = xstrdup(path);
	size_t l = strlen(p);

	while (l > 1 && p[l - 1] == '/')
		p[--l] = '\0';
	const char *b = strrchr(p, '/');
	return xstrdup(b ? b + 1 : p);
}

/* Where a copy of src named base goes, docker's way: into dst when dst is
 * a directory, else as dst (its parent must exist). */
static int place(int rootfd, const char *dst, const char *base, bool in_root, int *dirfd,
		 char **name, struct berth_error *err)
{
	struct stat st;
	int fd = in_root ? open_in_root(rootfd, dst, O_PATH, 0) : open(dst, O_PATH | O_CLOEXEC);

	if (fd >= 0 && fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
		*dirfd = fd;
		*name = xstrdup(base);
		return 0;
	}
	if (fd >= 0)
		close(fd);
	_cleanup_free_ char *copy = xstrdup(dst);
	char *slash = strrchr(copy, '/');
	const char *parent = slash ? (slash == copy ? "/" : copy) : ".";
	if (slash)
		*slash = '\0';
	fd = in_root ? open_in_root(rootfd, parent, O_PATH | O_DIRECTORY, 0)
		     : open(parent, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return berth_error_set(err, errno, "%s", dst);
	*dirfd = fd;
	*name = xstrdup(slash ? slash + 1 : dst);
	if (!**name || !strcmp(*name, ".") || !strcmp(*name, ".."))
		return berth_error_set(err, EINVAL, "%s: not a name to create", dst);
	return 0;
}

/* The parent directory of path (opened in the root or on the host) and
 * the last name. */
static int split(int rootfd, const char *path, bool in_root, int *dir, char **name,
		 struct berth_error *err)
{
	_cleanup_free_ char *copy = xstrdup(path);
	size_t l = strlen(copy);

	while (l > 1 && copy[l - 1] == '/')
		copy[--l] = '\0';
	char *slash = strrchr(copy, '/');
	const char *parent = slash ? (slash == copy ? "/" : copy) : ".";
	if (slash)
		*slash = '\0';
	*name = xstrdup(slash ? slash + 1 : copy);
	if (!**name || !strcmp(*name, ".."))
		return berth_error_set(err, EINVAL, "%s: not a file or directory name", path);
	*dir = in_root ? open_in_root(rootfd, parent, O_PATH | O_DIRECTORY, 0)
		       : open(parent, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (*dir < 0)
		return berth_error_set(err, errno, "%s", path);
	return 0;
}

/* In the child: root is the container's root (open). */
static int copy_inside(const struct copy_req *c, int root, int host_sdir, const char *host_sname,
		       int host_ddir, const char *host_dname, struct berth_error *err)
{
	if (c->to_container) {
		_cleanup_free_ char *base = base_of(c->src), *name = NULL;
		_cleanup_close_ int dirfd = -1;
		if (place(root, c->dst, base, true, &dirfd, &name, err) < 0)
			return -1;
		return copy_obj(host_sdir, host_sname, dirfd, name, 0, false, err);
	}
	_cleanup_close_ int sdir = -1;
	_cleanup_free_ char *sname = NULL;
	if (split(root, c->src, true, &sdir, &sname, err) < 0 ||
	    copy_obj(sdir, sname, host_ddir, host_dname, 0, false, err) < 0)
		return berth_error_wrap(err, "%s in the container", c->src);
	return 0;
}

struct host_side {
	const struct copy_req *c;
	int fd;	    /* to the container: the source's directory */
	char *name; /* ... and name; from it: the destination's */
};

static int host_open(const struct copy_req *c, struct host_side *h, struct berth_error *err)
{
	h->c = c;
	h->fd = -1;
	h->name = NULL;
	if (c->to_container)
		return split(AT_FDCWD, c->src, false, &h->fd, &h->name, err);
	_cleanup_free_ char *base = base_of(c->src);
	return place(AT_FDCWD, c->dst, base, false, &h->fd, &h->name, err);
}

static int copy_at_root(int rootfd, void *arg, struct berth_error *err)
{
	struct host_side *h = arg;
	return h->c->to_container ? copy_inside(h->c, rootfd, h->fd, h->name, -1, NULL, err)
				  : copy_inside(h->c, rootfd, -1, NULL, h->fd, h->name, err);
}

int copy_stopped(const struct launch_spec *ls, const struct copy_req *c, struct berth_error *err)
{
	struct host_side h;
	int r;

	if (host_open(c, &h, err) < 0) {
		free(h.name);
		if (h.fd >= 0)
			close(h.fd);
		return -1;
	}
	r = launch_with_root(ls, copy_at_root, &h, err);
	free(h.name);
	close(h.fd);
	return r;
}

int copy_run(pid_t init, const struct copy_req *c, struct berth_error *err)
{
	_cleanup_close_ int hostfd = -1, host_dirfd = -1, userns = -1, mntns = -1;
	_cleanup_free_ char *host_name = NULL, *up = NULL, *mp = NULL;
	int pipefd[2], status;
	char msg[1024];
	ssize_t n;
	pid_t pid;

	/* the host side, opened here, before the join */
	_cleanup_free_ char *host_sname = NULL;
	if (c->to_container) {
		if (split(AT_FDCWD, c->src, false, &hostfd, &host_sname, err) < 0)
			return -1;
	} else {
		_cleanup_free_ char *base = base_of(c->src);
		if (place(AT_FDCWD, c->dst, base, false, &host_dirfd, &host_name, err) < 0)
			return -1;
	}
	up = xasprintf("/proc/%d/ns/user", (int)init);
	mp = xasprintf("/proc/%d/ns/mnt", (int)init);
	userns = open(up, O_RDONLY | O_CLOEXEC);
	mntns = open(mp, O_RDONLY | O_CLOEXEC);
	if (userns < 0 || mntns < 0)
		return berth_error_set(err, errno, "the container's namespaces");
	if (pipe2(pipefd, O_CLOEXEC) < 0)
		return berth_error_set(err, errno, "pipe");
	fflush(NULL);
	pid = fork();
	if (pid < 0)
		return berth_error_set(err, errno, "fork");
	if (pid == 0) {
		struct berth_error e = { 0 };
		close(pipefd[0]);
		if (setns(userns, CLONE_NEWUSER) < 0 || setns(mntns, CLONE_NEWNS) < 0 ||
		    setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0)
			berth_error_set(&e, errno, "joining the container");
		else {
			int root = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
			if (root < 0)
				berth_error_set(&e, errno, "the container's root");
			else
				copy_inside(c, root, hostfd, host_sname, host_dirfd, host_name, &e);
		}
		if (e.msg) {
			_cleanup_free_ char *t = berth_error_text(&e);
			if (write(pipefd[1], t, strlen(t)) < 0) {
				/* nobody to tell */
			}
			_exit(1);
		}
		_exit(0);
	}
	close(pipefd[1]);
	n = read(pipefd[0], msg, sizeof(msg) - 1);
	close(pipefd[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (n > 0) {
		msg[n] = '\0';
		return berth_error_set(err, 0, "%s", msg);
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return berth_error_set(err, 0, "the copy failed");
	return 0;
}
