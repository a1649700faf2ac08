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
 * The copy of a tree itself, with its care for a tree a container writes
 * meanwhile, is copytree.c's.
 */
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
#include "copytree.h"
#include "launch.h"
#include "../lib/nsrun.h"
#include "../lib/syscalls.h"
#include "../lib/util.h"

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
		return copytree_copy(host_sdir, host_sname, dirfd, name, false, err);
	}
	_cleanup_close_ int sdir = -1;
	_cleanup_free_ char *sname = NULL;
	if (split(root, c->src, true, &sdir, &sname, err) < 0 ||
	    copytree_copy(sdir, sname, host_ddir, host_dname, false, err) < 0)
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

static void host_close(struct host_side *h)
{
	free(h->name);
	if (h->fd >= 0)
		close(h->fd);
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

	r = host_open(c, &h, err);
	if (r == 0)
		r = launch_with_root(ls, copy_at_root, &h, err);
	host_close(&h);
	return r;
}

/* In the container's user and mount namespaces: its root is "/". */
static int copy_in_ns(void *arg, struct berth_error *err)
{
	_cleanup_close_ int root = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);

	if (root < 0)
		return berth_error_set(err, errno, "the container's root");
	return copy_at_root(root, arg, err);
}

int copy_run(pid_t init, const struct copy_req *c, struct berth_error *err)
{
	struct host_side h;
	int r;

	/* the host side, opened here, before the join */
	r = host_open(c, &h, err);
	if (r == 0)
		r = nsrun(init, CLONE_NEWNS, copy_in_ns, &h, "the copy", err);
	host_close(&h);
	return r;
}
