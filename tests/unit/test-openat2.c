// SPDX-License-Identifier: GPL-2.0-or-later
/* Unit tests: open_beneath and open_in_root (lib/openat2.c), each case
 * run twice: through openat2, and through the fallback a kernel without
 * it takes (forced by openat2_pretend_missing). Both must give the
 * expected answer: the same object, or the same errno (".." above the
 * top, absolute paths, symlinks anywhere, mounts crossed, a file as a
 * directory...). The mounts are made in a user and mount namespace of
 * the test's own (those cases are skipped where none can be made). */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../lib/syscalls.h"
#include "../../lib/util.h"
#include "../tap.h"

static char dir[] = "/tmp/test-openat2.XXXXXX";
static int top = -1;	   /* dir/top: the tree the paths stay in */
static bool mounts = true; /* tmpfs and bind mounts below top */

struct expect {
	const char *path;
	int flags;
	int err;	 /* 0: opens */
	const char *obj; /* what it opens, relative to top (NULL: no check) */
	bool mount;	 /* needs the mounts */
};

#define RO O_RDONLY
#define P O_PATH
#define PN (O_PATH | O_NOFOLLOW)
#define CREATE (O_WRONLY | O_CREAT | O_EXCL)

static const struct expect cases[] = {
	{ "a/b/file", RO, 0, "a/b/file", false },
	{ "", P | O_DIRECTORY, 0, ".", false },
	{ ".", P, 0, ".", false },
	{ "a//b///file", RO, 0, "a/b/file", false },
	{ "a/../a/b/file", RO, 0, "a/b/file", false },
	{ "a/b/../../file", RO, 0, "file", false },
	{ "a/b/dir/..", P | O_DIRECTORY, 0, "a/b", false },
	{ "a/b/", P, 0, "a/b", false },
	{ "a/b/.", P, 0, "a/b", false },
	{ "/etc/passwd", RO, EXDEV, NULL, false },
	{ "../outside/secret", RO, EXDEV, NULL, false },
	{ "..", P, EXDEV, NULL, false },
	{ "a/b/../../..", P, EXDEV, NULL, false },
	{ "a/../../top/file", RO, EXDEV, NULL, false },
	{ "link_a/b/file", RO, ELOOP, NULL, false },
	{ "link_a", PN, 0, "link_a", false },
	{ "link_a", P, ELOOP, NULL, false },
	{ "link_a", RO, ELOOP, NULL, false },
	{ "link_a/", PN, ELOOP, NULL, false },
	{ "a/flink", RO | O_NOFOLLOW, ELOOP, NULL, false },
	{ "abs/passwd", RO, ELOOP, NULL, false },
	{ "up/outside/secret", RO, ELOOP, NULL, false },
	{ "file/x", P, ENOTDIR, NULL, false },
	{ "a/b/file/", P, ENOTDIR, NULL, false },
	{ "a/b/file", RO | O_DIRECTORY, ENOTDIR, NULL, false },
	{ "missing/x", P, ENOENT, NULL, false },
	{ "missing", P, ENOENT, NULL, false },
	{ "a/b/new", CREATE, 0, "a/b/new", false },
	{ "a/flink", CREATE, EEXIST, NULL, false },
	{ "a/flink", O_WRONLY | O_CREAT, ELOOP, NULL, false },
	{ "a/b/new2/", O_WRONLY | O_CREAT, EISDIR, NULL, false },
	{ "a/b", O_TMPFILE | O_RDWR, 0, NULL, false },
	{ "tmpfs", P, EXDEV, NULL, true },
	{ "tmpfs/x", RO, EXDEV, NULL, true },
	{ "bind/b/file", RO, EXDEV, NULL, true },
	{ "bind", PN, EXDEV, NULL, true },
	{ "a/../bind/..", P, EXDEV, NULL, true },
};

static const char *err_name(int e)
{
	switch (e) {
	case 0: return "opens";
	case EXDEV: return "EXDEV";
	case ELOOP: return "ELOOP";
	case ENOTDIR: return "ENOTDIR";
	case ENOENT: return "ENOENT";
	case EEXIST: return "EEXIST";
	case EISDIR: return "EISDIR";
	case ENOSYS: return "ENOSYS";
	default: return strerror(e);
	}
}

static bool same_object(int fd, const char *rel)
{
	struct stat a, b;

	return fstat(fd, &a) == 0 && fstatat(top, rel, &b, AT_SYMLINK_NOFOLLOW) == 0 &&
	       a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

static void run_case(const struct expect *c, const char *how)
{
	int fd = open_beneath(top, c->path, c->flags, 0600);
	int e = fd < 0 ? errno : 0;
	bool right = e == c->err && (fd < 0 || !c->obj || same_object(fd, c->obj));

	if (!ok(right, "%s: open_beneath(\"%s\", %#o): %s", how, c->path, (unsigned)c->flags,
		err_name(c->err)))
		printf("#   got %s\n", err_name(e));
	if (fd >= 0) {
		int flags = fcntl(fd, F_GETFD);
		ok(flags >= 0 && (flags & FD_CLOEXEC), "%s: \"%s\": close-on-exec", how, c->path);
		close(fd);
	}
	if (c->err == 0 && (c->flags & O_CREAT))
		unlinkat(top, c->obj, 0);
}

static void run_all(const char *how)
{
	int file = openat(top, "file", O_RDONLY | O_CLOEXEC);
	int fd;

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++)
		if (mounts || !cases[i].mount)
			run_case(&cases[i], how);
	/* a top that is not a directory: ENOTDIR, as for any relative path */
	fd = open_beneath(file, "x", O_PATH, 0);
	is_int(fd < 0 ? errno : 0, ENOTDIR, "a file as the top: ENOTDIR");
	if (fd >= 0)
		close(fd);
	close(file);
}

static bool write_proc(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return errno == ENOENT; /* setgroups: before 3.19 there is none */
	n = write(fd, s, strlen(s));
	close(fd);
	return n == (ssize_t)strlen(s);
}

/* The user's own uid and gid as root of a new user namespace with its
 * own mount namespace, where tmpfs and bind mounts can be made. */
static bool enter_namespaces(void)
{
	char uid_map[64], gid_map[64];

	snprintf(uid_map, sizeof(uid_map), "0 %u 1\n", (unsigned)getuid());
	snprintf(gid_map, sizeof(gid_map), "0 %u 1\n", (unsigned)getgid());
	if (unshare(CLONE_NEWUSER | CLONE_NEWNS) < 0) {
		printf("# no user and mount namespace (%s): the mount cases are skipped\n",
		       strerror(errno));
		return false;
	}
	/* since 3.19 gid_map needs setgroups denied first (CVE-2014-8989) */
	return write_proc("/proc/self/setgroups", "deny") &&
	       write_proc("/proc/self/uid_map", uid_map) &&
	       write_proc("/proc/self/gid_map", gid_map) &&
	       mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == 0;
}

static int make_tree(void)
{
	_cleanup_free_ char *t = xasprintf("%s/top", dir), *o = xasprintf("%s/outside", dir);
	_cleanup_free_ char *tm = xasprintf("%s/top/tmpfs", dir),
			    *b = xasprintf("%s/top/bind", dir);
	_cleanup_free_ char *a = xasprintf("%s/top/a", dir);
	int f;

	if (mkdir(t, 0755) < 0 || mkdir(o, 0755) < 0 ||
	    (top = open(t, O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0)
		return -1;
	if (mkdirat(top, "a", 0755) < 0 || mkdirat(top, "a/b", 0755) < 0 ||
	    mkdirat(top, "a/b/dir", 0755) < 0 || mkdirat(top, "tmpfs", 0755) < 0 ||
	    mkdirat(top, "bind", 0755) < 0 || symlinkat("a", top, "link_a") < 0 ||
	    symlinkat("b/file", top, "a/flink") < 0 || symlinkat("/etc", top, "abs") < 0 ||
	    symlinkat("..", top, "up") < 0)
		return -1;
	if ((f = openat(top, "a/b/file", O_WRONLY | O_CREAT | O_CLOEXEC, 0644)) < 0)
		return -1;
	close(f);
	if ((f = openat(top, "file", O_WRONLY | O_CREAT | O_CLOEXEC, 0644)) < 0)
		return -1;
	close(f);
	_cleanup_free_ char *secret = xasprintf("%s/secret", o);
	if ((f = open(secret, O_WRONLY | O_CREAT | O_CLOEXEC, 0644)) < 0)
		return -1;
	close(f);
	if (mounts && (mount("tmpfs", tm, "tmpfs", 0, "size=64k") < 0 ||
		       mount(a, b, NULL, MS_BIND, NULL) < 0)) {
		printf("# no mounts here (%s): their cases are skipped\n", strerror(errno));
		mounts = false;
	}
	return 0;
}

static void remove_tree(void)
{
	_cleanup_free_ char *tm = xasprintf("%s/top/tmpfs", dir),
			    *b = xasprintf("%s/top/bind", dir);
	struct berth_error err = { 0 };

	if (mounts) {
		umount2(tm, MNT_DETACH);
		umount2(b, MNT_DETACH);
	}
	if (rm_rf_at(AT_FDCWD, dir, &err) < 0)
		berth_error_clear(&err);
}

static void test_in_root(void)
{
	struct berth_error err = { 0 };
	int fd;

	openat2_pretend_missing(false);
	fd = open_in_root(top, "/link_a/b/../b/file", O_RDONLY, 0);
	ok(fd >= 0 && same_object(fd, "a/b/file"), "open_in_root: links and .. inside the root");
	if (fd >= 0)
		close(fd);
	fd = open_in_root(top, "up/up/outside", O_PATH, 0);
	is_int(fd < 0 ? errno : 0, ENOENT, "open_in_root: .. stops at the root");
	is_int(open_in_root_check(&err), 0, "open_in_root_check: openat2 is here");

	openat2_pretend_missing(true);
	fd = open_in_root(top, "a/b/file", O_RDONLY, 0);
	is_int(fd < 0 ? errno : 0, ENOSYS, "without openat2: open_in_root refuses (ENOSYS)");
	if (fd >= 0)
		close(fd);
	is_int(open_in_root_check(&err), -1, "without openat2: open_in_root_check refuses");
	is_str(err.msg,
	       "this kernel has no openat2 (Linux 5.6), which berth needs to resolve paths "
	       "inside a container's root (RESOLVE_IN_ROOT)",
	       "  in one line naming the kernel feature");
	is_int(err.errnum, ENOSYS, "  errnum ENOSYS");
	berth_error_clear(&err);
	openat2_pretend_missing(false);
}

int main(void)
{
	struct open_how how = { .flags = O_PATH | O_CLOEXEC };
	int probe;

	mounts = enter_namespaces();
	if (!mkdtemp(dir) || make_tree() < 0) {
		printf("Bail out! the test tree in %s: %s\n", dir, strerror(errno));
		return 1;
	}
	probe = sys_openat2(AT_FDCWD, "/", &how);
	if (probe >= 0) {
		close(probe);
		run_all("openat2");
		test_in_root();
	} else {
		printf("# no openat2 here (%s): the fallback only\n", strerror(errno));
	}
	openat2_pretend_missing(true);
	run_all("fallback");
	openat2_pretend_missing(false);
	remove_tree();
	return tap_done();
}
