// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * rootfs.c: the container's filesystem view, child side: /proc, a minimal
 * /dev, /sys, the generated /etc files, tmpfs mounts, the masked and
 * read-only paths, then pivot_root into the berth-fs mount. Runs as root
 * of the container's user namespace in its own mount namespace. Every
 * target comes from the image, so each is opened inside the root
 * (openat2 RESOLVE_IN_ROOT) and mounted on through its fd: a symlink in
 * the image never sends a mount to the host (CVE-2021-30465 class).
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "rootfs.h"
#include "syscalls.h"
#include "util.h"

/* docker's and podman's masked paths: kernel state that is not the
 * container's to read (or that leaks the host's) */
static const char *const masked_paths[] = {
	"/proc/asound",	    "/proc/acpi",	 "/proc/interrupts",
	"/proc/kcore",	    "/proc/keys",	 "/proc/latency_stats",
	"/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug",
	"/proc/scsi",	    "/sys/firmware",	 "/sys/devices/virtual/powercap",
};

/* and the ones it may read but never write */
static const char *const readonly_paths[] = {
	"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger",
};

/* the devices every container gets, bound from the host (a user
 * namespace cannot make device nodes, and needs no others) */
static const char *const devices[] = { "null", "zero", "full", "random", "urandom", "tty" };

static const struct {
	const char *name, *target;
} dev_links[] = {
	{ "fd", "/proc/self/fd" },	 { "stdin", "/proc/self/fd/0" },
	{ "stdout", "/proc/self/fd/1" }, { "stderr", "/proc/self/fd/2" },
	{ "ptmx", "pts/ptmx" },
};

static char *fd_path(int fd)
{
	return xasprintf("/proc/self/fd/%d", fd);
}

/* Open (making it if missing, as a directory or an empty file) the path
 * inside the root; O_PATH. */
static int ensure_in_root(int rootfd, const char *path, bool dir, struct berth_error *err)
{
	int fd = open_in_root(rootfd, path, O_PATH, 0);
	_cleanup_free_ char *parent = NULL;
	_cleanup_close_ int pfd = -1;
	const char *base;

	if (fd >= 0 || errno != ENOENT)
		return fd >= 0 ? fd : berth_error_set(err, errno, "%s in the container", path);
	base = strrchr(path, '/');
	parent = base && base != path ? xstrndup(path, (size_t)(base - path)) : xstrdup("/");
	base = base ? base + 1 : path;
	if ((pfd = ensure_in_root(rootfd, parent, true, err)) < 0)
		return -1;
	/* pfd is O_PATH: the *at calls take it as their directory */
	if (dir ? mkdirat(pfd, base, 0755) < 0 && errno != EEXIST
		: (fd = openat(pfd, base, O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC,
			       0644)) < 0 &&
			    errno != EEXIST)
		return berth_error_set(err, errno, "creating %s in the container", path);
	if (fd >= 0)
		close(fd);
	fd = open_in_root(rootfd, path, O_PATH, 0);
	if (fd < 0)
		return berth_error_set(err, errno, "%s in the container", path);
	return fd;
}

static int mount_at(int rootfd, const char *path, bool dir, const char *src, const char *type,
		    unsigned long flags, const char *data, struct berth_error *err)
{
	_cleanup_close_ int fd = ensure_in_root(rootfd, path, dir, err);
	_cleanup_free_ char *target = NULL;

	if (fd < 0)
		return -1;
	target = fd_path(fd);
	if (mount(src, target, type, flags, data) < 0)
		return berth_error_set(err, errno, "mounting %s on %s", type ? type : src, path);
	return 0;
}

static int set_readonly(int rootfd, const char *path, bool recursive, struct berth_error *err)
{
	_cleanup_close_ int fd = open_in_root(rootfd, path, O_PATH, 0);
	struct mount_attr attr = { .attr_set = MOUNT_ATTR_RDONLY };

	if (fd < 0)
		return errno == ENOENT ? 0 : berth_error_set(err, errno, "%s", path);
	if (sys_mount_setattr(fd, "", AT_EMPTY_PATH | (recursive ? AT_RECURSIVE : 0), &attr) < 0)
		return berth_error_set(err, errno, "making %s read-only", path);
	return 0;
}

static int setup_dev(int rootfd, const struct rootfs_opts *o, struct berth_error *err)
{
	_cleanup_close_ int dev = -1;
	_cleanup_free_ char *pts_opts = NULL;

	if (mount_at(rootfd, "/dev", true, "tmpfs", "tmpfs", MS_NOSUID | MS_NOEXEC | MS_STRICTATIME,
		     "mode=755,size=65536k", err) < 0)
		return -1;
	if ((dev = open_in_root(rootfd, "/dev", O_PATH | O_DIRECTORY, 0)) < 0)
		return berth_error_set(err, errno, "/dev in the container");
	for (size_t i = 0; i < ARRAY_SIZE(devices); i++) {
		_cleanup_free_ char *host = xasprintf("/dev/%s", devices[i]);
		_cleanup_free_ char *ctr = xasprintf("/dev/%s", devices[i]);
		if (mount_at(rootfd, ctr, false, host, NULL, MS_BIND, NULL, err) < 0)
			return -1;
	}
	for (size_t i = 0; i < ARRAY_SIZE(dev_links); i++)
		if (symlinkat(dev_links[i].target, dev, dev_links[i].name) < 0)
			return berth_error_set(err, errno, "/dev/%s", dev_links[i].name);
	/* a private devpts: the container's terminals are its own; gid 5
	 * (tty) only where the mapping has it */
	pts_opts = xasprintf("newinstance,ptmxmode=0666,mode=0620%s", o->tty_gid ? ",gid=5" : "");
	if (mount_at(rootfd, "/dev/pts", true, "devpts", "devpts", MS_NOSUID | MS_NOEXEC, pts_opts,
		     err) < 0)
		return -1;
	if (mount_at(rootfd, "/dev/shm", true, "shm", "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC,
		     "mode=1777,size=65536k", err) < 0)
		return -1;
	if (mount_at(rootfd, "/dev/mqueue", true, "mqueue", "mqueue",
		     MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL, err) < 0)
		return -1;
	return 0;
}

static int setup_sys(int rootfd, const struct rootfs_opts *o, struct berth_error *err)
{
	const unsigned long fl = MS_NOSUID | MS_NODEV | MS_NOEXEC;

	/* a new sysfs needs a network namespace of our own; else the host's,
	 * bound and made read-only as a whole */
	if (o->own_netns)
		return mount_at(rootfd, "/sys", true, "sysfs", "sysfs", fl | MS_RDONLY, NULL, err);
	if (mount_at(rootfd, "/sys", true, "/sys", NULL, MS_BIND | MS_REC, NULL, err) < 0)
		return -1;
	return set_readonly(rootfd, "/sys", true, err);
}

static int setup_masks(int rootfd, struct berth_error *err)
{
	for (size_t i = 0; i < ARRAY_SIZE(masked_paths); i++) {
		_cleanup_close_ int fd = open_in_root(rootfd, masked_paths[i], O_PATH, 0);
		struct stat st;
		if (fd < 0 || fstat(fd, &st) < 0)
			continue; /* not on this kernel */
		_cleanup_free_ char *target = fd_path(fd);
		if (S_ISDIR(st.st_mode) ? mount("tmpfs", target, "tmpfs", MS_RDONLY, "size=0") < 0
					: mount("/dev/null", target, NULL, MS_BIND, NULL) < 0)
			return berth_error_set(err, errno, "masking %s", masked_paths[i]);
	}
	for (size_t i = 0; i < ARRAY_SIZE(readonly_paths); i++) {
		_cleanup_close_ int fd = open_in_root(rootfd, readonly_paths[i], O_PATH, 0);
		if (fd < 0)
			continue;
		_cleanup_free_ char *target = fd_path(fd);
		if (mount(target, target, NULL, MS_BIND | MS_REC, NULL) < 0)
			return berth_error_set(err, errno, "binding %s", readonly_paths[i]);
		if (set_readonly(rootfd, readonly_paths[i], true, err) < 0)
			return -1;
	}
	return 0;
}

static int setup_etc(int rootfd, const struct rootfs_opts *o, struct berth_error *err)
{
	static const char *const files[] = { "hostname", "hosts", "resolv.conf" };

	for (size_t i = 0; i < ARRAY_SIZE(files); i++) {
		_cleanup_free_ char *src = xasprintf("%s/%s", o->etc_dir, files[i]);
		_cleanup_free_ char *dst = xasprintf("/etc/%s", files[i]);
		if (mount_at(rootfd, dst, false, src, NULL, MS_BIND, NULL, err) < 0)
			return -1;
	}
	return 0;
}

/* --tmpfs PATH[:OPTIONS]: mount flags out of the options, the rest
 * (size=, mode=, uid=, gid=, nr_inodes=) to tmpfs. */
static int setup_tmpfs(int rootfd, const char *spec, struct berth_error *err)
{
	_cleanup_free_ char *copy = xstrdup(spec), *data = xstrdup("");
	char *opts = strchr(copy, ':'), *save = NULL;
	unsigned long flags = MS_NOSUID | MS_NODEV | MS_NOEXEC;

	if (opts)
		*opts++ = '\0';
	for (char *t = opts ? strtok_r(opts, ",", &save) : NULL; t;
	     t = strtok_r(NULL, ",", &save)) {
		if (!strcmp(t, "ro"))
			flags |= MS_RDONLY;
		else if (!strcmp(t, "rw"))
			flags &= ~(unsigned long)MS_RDONLY;
		else if (!strcmp(t, "exec"))
			flags &= ~(unsigned long)MS_NOEXEC;
		else if (!strcmp(t, "noexec"))
			flags |= MS_NOEXEC;
		else if (!strcmp(t, "suid"))
			flags &= ~(unsigned long)MS_NOSUID;
		else if (!strcmp(t, "dev"))
			flags &= ~(unsigned long)MS_NODEV;
		else if (!strcmp(t, "nosuid") || !strcmp(t, "nodev"))
			;
		else {
			char *n = xasprintf("%s%s%s", data, *data ? "," : "", t);
			free(data);
			data = n;
		}
	}
	if (copy[0] != '/')
		return berth_error_set(err, EINVAL, "--tmpfs %s: the path must be absolute", spec);
	if (mount_at(rootfd, copy, true, "tmpfs", "tmpfs", flags, *data ? data : "size=65536k",
		     err) < 0)
		return berth_error_wrap(err, "--tmpfs %s", spec);
	return 0;
}

int rootfs_setup(const struct rootfs_opts *o, struct berth_error *err)
{
	_cleanup_close_ int rootfd = -1;

	/* nothing done here may reach the namespace berth-fs lives in */
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		return berth_error_set(err, errno, "making mounts private");
	rootfd = open(o->rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0)
		return berth_error_set(err, errno, "%s", o->rootfs);
	if (mount_at(rootfd, "/proc", true, "proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL,
		     err) < 0 ||
	    setup_dev(rootfd, o, err) < 0 || setup_sys(rootfd, o, err) < 0 ||
	    setup_etc(rootfd, o, err) < 0)
		return -1;
	for (size_t i = 0; i < o->n_tmpfs; i++)
		if (setup_tmpfs(rootfd, o->tmpfs[i], err) < 0)
			return -1;
	/* until volumes are built, an image's VOLUME is an empty directory
	 * in the writable layer, as the image may not have made it */
	for (size_t i = 0; i < o->n_volumes; i++) {
		_cleanup_close_ int vd = ensure_in_root(rootfd, o->volumes[i], true, err);
		if (vd < 0)
			return berth_error_wrap(err, "the image's volume %s", o->volumes[i]);
	}
	if (o->workdir) {
		_cleanup_close_ int wd = ensure_in_root(rootfd, o->workdir, true, err);
		if (wd < 0)
			return berth_error_wrap(err, "working directory");
	}
	if (setup_masks(rootfd, err) < 0)
		return -1;
	/* the root's own mount becomes "/" of the namespace; the old root
	 * goes under it and is detached at once */
	if (fchdir(rootfd) < 0 || sys_pivot_root(".", ".") < 0)
		return berth_error_set(err, errno, "pivot_root into %s", o->rootfs);
	if (umount2(".", MNT_DETACH) < 0 || chdir("/") < 0)
		return berth_error_set(err, errno, "detaching the host's root");
	if (o->read_only) {
		struct mount_attr attr = { .attr_set = MOUNT_ATTR_RDONLY };
		if (sys_mount_setattr(AT_FDCWD, "/", 0, &attr) < 0)
			return berth_error_set(err, errno, "--read-only: remounting /");
	}
	return 0;
}
