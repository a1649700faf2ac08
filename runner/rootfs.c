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
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "copytree.h"
#include "rootfs.h"
#include "../lib/syscalls.h"
#include "user.h"
#include "../lib/util.h"

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

static int ensure_at_depth(int rootfd, const char *path, bool dir, int depth,
			   struct berth_error *err);

/* What ensure_in_root makes in the writable layer itself (a mount point,
 * a parent of one), as opposed to inside a volume, tmpfs or bind mount,
 * is noted in the container's "mountpoints" file ("PATH\0" each, the
 * path in the root), so that commit and diff leave it out while it is
 * still the empty object berth made (scaffold.c). pid 1 sets the root up
 * once, single-threaded: the state lives here. */
static struct {
	char *prefix; /* the berth-fs mount's path, as the kernel names it */
	size_t prefix_len;
	dev_t dev;	   /* the berth-fs mount's device */
	const char *notes; /* the file; NULL while nothing is to be noted */
	int fd;
} layer_made = { .fd = -1 };

static void layer_made_start(int rootfd, const struct rootfs_opts *o)
{
	char link[PATH_MAX];
	_cleanup_free_ char *proc = xasprintf("/proc/self/fd/%d", rootfd);
	ssize_t n = readlink(proc, link, sizeof(link) - 1);
	struct stat st;

	if (n <= 0 || fstat(rootfd, &st) < 0)
		return; /* nothing noted: the objects stay visible to diff */
	link[n] = '\0';
	layer_made.prefix = xstrdup(link);
	layer_made.prefix_len = (size_t)n;
	layer_made.dev = st.st_dev;
	layer_made.notes = xasprintf("%s/mountpoints", o->etc_dir);
}

/* name in pfd was just made: note it when it is in the layer. */
static int layer_made_note(int pfd, const char *name, struct berth_error *err)
{
	char link[PATH_MAX];
	_cleanup_free_ char *proc = xasprintf("/proc/self/fd/%d", pfd), *line = NULL;
	ssize_t n = readlink(proc, link, sizeof(link) - 1);
	struct stat st;

	if (!layer_made.notes || n <= 0 || fstatat(pfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
	    st.st_dev != layer_made.dev)
		return 0;
	link[n] = '\0';
	if (strncmp(link, layer_made.prefix, layer_made.prefix_len) != 0 ||
	    (link[layer_made.prefix_len] != '/' && link[layer_made.prefix_len] != '\0'))
		return 0;
	line = xasprintf("%s/%s", link + layer_made.prefix_len, name);
	if (layer_made.fd < 0)
		layer_made.fd = open(layer_made.notes,
				     O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	/* NUL-ended: a name may hold a newline */
	if (layer_made.fd < 0 || write_all(layer_made.fd, line, strlen(line) + 1) < 0)
		return berth_error_set(err, errno, "%s", layer_made.notes);
	return 0;
}

/* Open (making it if missing, as a directory or an empty file) the path
 * inside the root; O_PATH. A dangling symlink on the way is followed
 * inside the root and its target made, as docker does. */
static int ensure_in_root(int rootfd, const char *path, bool dir, struct berth_error *err)
{
	return ensure_at_depth(rootfd, path, dir, 0, err);
}

/* name in pfd is a symlink whose target does not exist: make the target
 * (the link text resolved from the link's directory, inside the root) */
static int ensure_link_target(int rootfd, int pfd, const char *parent, const char *name, bool dir,
			      int depth, struct berth_error *err)
{
	char link[PATH_MAX];
	ssize_t n = readlinkat(pfd, name, link, sizeof(link) - 1);
	_cleanup_free_ char *joined = NULL, *clean = NULL;

	if (n <= 0)
		return berth_error_set(err, n < 0 ? errno : ENOENT, "%s/%s in the container",
				       parent, name);
	link[n] = '\0';
	if (depth >= 40) /* the kernel's own limit on symlinks in a path */
		return berth_error_set(err, ELOOP, "%s/%s in the container", parent, name);
	joined = link[0] == '/' ? xstrdup(link) : xasprintf("%s/%s", parent, link);
	clean = mountspec_clean_path(joined);
	if (!clean || !strcmp(clean, "/"))
		return berth_error_set(err, EINVAL, "%s/%s in the container: a link to /", parent,
				       name);
	return ensure_at_depth(rootfd, clean, dir, depth + 1, err);
}

static int ensure_at_depth(int rootfd, const char *path, bool dir, int depth,
			   struct berth_error *err)
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
	if ((pfd = ensure_at_depth(rootfd, parent, true, depth, err)) < 0)
		return -1;
	/* pfd is O_PATH: the *at calls take it as their directory */
	if (dir ? mkdirat(pfd, base, 0755) < 0
		: (fd = openat(pfd, base, O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC,
			       0644)) < 0) {
		if (errno != EEXIST)
			return berth_error_set(err, errno, "creating %s in the container", path);
	} else if (layer_made_note(pfd, base, err) < 0) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	if (fd >= 0)
		close(fd);
	fd = open_in_root(rootfd, path, O_PATH, 0);
	if (fd < 0 && errno == ENOENT) {
		struct stat st;
		if (fstatat(pfd, base, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode))
			return ensure_link_target(rootfd, pfd, parent, base, dir, depth, err);
		errno = ENOENT;
	}
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

/* Whether the passwd or group text has an entry with this id (its third
 * field). */
static bool has_id(const char *text, uint32_t id)
{
	for (const char *l = text; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
		const char *f = l;
		for (int k = 0; k < 2 && f; k++)
			f = strchr(f, ':') ? strchr(f, ':') + 1 : NULL;
		char *end;
		if (f && *f >= '0' && *f <= '9' && strtoul(f, &end, 10) == id && *end == ':')
			return true;
	}
	return false;
}

/* keep-id: the user's own entry in the image's /etc/passwd or /etc/group
 * (podman adds one too), so that id, whoami and HOME work. The image's
 * file plus the line is written to the container's directory and bound
 * over it: the layers are not written for this. */
static int add_id_entry(int rootfd, const struct rootfs_opts *o, const char *file, uint32_t id,
			const char *entry, struct berth_error *err)
{
	_cleanup_free_ char *path = xasprintf("/etc/%s", file), *buf = NULL;
	_cleanup_free_ char *copy = xasprintf("%s/%s", o->etc_dir, file), *text = NULL;
	size_t len = 0;

	/* the image's file: a regular file of bounded size, or refused */
	if (user_db_read(rootfd, path, &buf, &len, err) < 0)
		return -1;
	if (buf && has_id(buf, id))
		return 0;
	text = xasprintf("%s%s%s\n", buf ? buf : "", len && buf[len - 1] != '\n' ? "\n" : "",
			 entry);
	if (write_file_replace_nosync(AT_FDCWD, copy, text, strlen(text), 0644, err) < 0)
		return -1;
	return mount_at(rootfd, path, false, copy, NULL, MS_BIND, NULL, err);
}

static int setup_keep_id(int rootfd, const struct rootfs_opts *o, struct berth_error *err)
{
	uid_t uid = getuid();
	gid_t gid = getgid();
	struct passwd *pw = getpwuid(uid);
	struct group *gr = getgrgid(gid);
	_cleanup_free_ char *name = xstrdup(pw ? pw->pw_name : "user");
	_cleanup_free_ char *home = xstrdup(pw && pw->pw_dir[0] == '/' ? pw->pw_dir : "/");
	_cleanup_free_ char *gname = xstrdup(gr ? gr->gr_name : name);
	_cleanup_free_ char *pwline = xasprintf("%s:x:%u:%u:%s:%s:/bin/sh", name, (unsigned)uid,
						(unsigned)gid, name, home);
	_cleanup_free_ char *grline = xasprintf("%s:x:%u:", gname, (unsigned)gid);

	if (!o->keep_id)
		return 0;
	return add_id_entry(rootfd, o, "passwd", uid, pwline, err) < 0 ||
			       add_id_entry(rootfd, o, "group", gid, grline, err) < 0
		       ? -1
		       : 0;
}

static bool dir_is_empty(int fd)
{
	_cleanup_closedir_ DIR *d = opendir_fd(fd);
	struct dirent *de;

	if (!d)
		return false;
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			return false;
	return true;
}

/* A new volume takes the image's content at its mount point, once:
 * under the marker's lock, so that two containers starting with one new
 * volume copy it once; the marker goes when the copy is whole. The image
 * is read before any mount, so a volume inside a bind mount still gets
 * the image's content, not the host's. */
static int fill_volume(int rootfd, const struct mount_req *m, struct berth_error *err)
{
	_cleanup_close_ int mk = open(m->copy_marker, O_RDWR | O_NOFOLLOW | O_CLOEXEC);
	_cleanup_close_ int src = -1, dst = -1;
	struct stat st;

	if (mk < 0)
		return errno == ENOENT ? 0 : berth_error_set(err, errno, "%s", m->copy_marker);
	if (flock(mk, LOCK_EX) < 0)
		return berth_error_set(err, errno, "locking %s", m->copy_marker);
	if (fstat(mk, &st) < 0 || st.st_nlink == 0)
		return 0; /* filled meanwhile */
	src = open_in_root(rootfd, m->target, O_RDONLY | O_DIRECTORY, 0);
	if (src < 0 && errno != ENOENT && errno != ENOTDIR)
		return berth_error_set(err, errno, "%s in the image", m->target);
	if (src >= 0) {
		dst = open(m->host_path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (dst < 0)
			return berth_error_set(err, errno, "%s", m->host_path);
		/* docker copies into an empty volume only: what a nocopy
		 * container put there first stays as it is */
		if (!dir_is_empty(dst)) {
			if (unlink(m->copy_marker) < 0)
				return berth_error_set(err, errno, "%s", m->copy_marker);
			return 0;
		}
		if (copytree_fill(src, dst, err) < 0)
			return berth_error_wrap(err, "filling volume %s from the image's %s",
						m->source, m->target);
	}
	if (unlink(m->copy_marker) < 0)
		return berth_error_set(err, errno, "%s", m->copy_marker);
	return 0;
}

static int mount_attrs(int rootfd, const char *target, bool readonly, unsigned long flags,
		       struct berth_error *err)
{
	struct mount_attr a = { 0 };
	_cleanup_close_ int fd = -1;

	a.attr_set = (readonly ? MOUNT_ATTR_RDONLY : 0) |
		     (flags & MS_NOSUID ? MOUNT_ATTR_NOSUID : 0) |
		     (flags & MS_NODEV ? MOUNT_ATTR_NODEV : 0) |
		     (flags & MS_NOEXEC ? MOUNT_ATTR_NOEXEC : 0);
	if (!a.attr_set)
		return 0;
	/* the path now leads to the new mount's root */
	fd = open_in_root(rootfd, target, O_PATH, 0);
	if (fd < 0 || sys_mount_setattr(fd, "", AT_EMPTY_PATH | AT_RECURSIVE, &a) < 0)
		return berth_error_set(err, errno, "setting the options of the mount on %s",
				       target);
	return 0;
}

/* A bind mount or a volume: the source is the host's (opened before
 * pivot_root), the target the container's, resolved inside its root. */
static int mount_bind(int rootfd, const struct mount_req *m, struct berth_error *err)
{
	bool vol = m->kind == MOUNT_VOLUME;
	const char *src = vol ? m->host_path : m->source;
	_cleanup_close_ int sfd = open(src, O_PATH | O_CLOEXEC | (vol ? O_NOFOLLOW : 0));
	_cleanup_close_ int tfd = -1;
	_cleanup_free_ char *spath = NULL, *tpath = NULL;
	struct stat st, tst;

	if (sfd < 0 || fstat(sfd, &st) < 0)
		return berth_error_set(err, errno, "%s %s", vol ? "volume" : "bind source", src);
	if ((tfd = ensure_in_root(rootfd, m->target, S_ISDIR(st.st_mode), err)) < 0)
		return -1;
	if (fstat(tfd, &tst) < 0)
		return berth_error_set(err, errno, "%s in the container", m->target);
	if (S_ISDIR(st.st_mode) != S_ISDIR(tst.st_mode))
		return berth_error_set(err, ENOTDIR, "mounting %s on %s: %s", src, m->target,
				       S_ISDIR(st.st_mode) ? "the target is not a directory"
							   : "the target is a directory");
	spath = fd_path(sfd);
	tpath = fd_path(tfd);
	if (mount(spath, tpath, NULL, MS_BIND | MS_REC, NULL) < 0)
		return berth_error_set(err, errno, "mounting %s on %s", src, m->target);
	return mount_attrs(rootfd, m->target, m->readonly, m->flags, err);
}

/* /proc, /sys and /dev are where berth mounts the container's own. An
 * image with a link there would send procfs elsewhere in the root and
 * leave the masked paths unmasked; anything else but a directory cannot
 * take the mount: either is refused with one line. Missing is fine
 * (made). */
static int check_system_dirs(int rootfd, struct berth_error *err)
{
	static const char *const names[] = { "proc", "sys", "dev" };

	for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
		struct stat st;
		if (fstatat(rootfd, names[i], &st, AT_SYMLINK_NOFOLLOW) < 0) {
			if (errno == ENOENT)
				continue;
			return berth_error_set(err, errno, "/%s in the image", names[i]);
		}
		if (!S_ISDIR(st.st_mode))
			return berth_error_set(
				err, 0,
				"the image's /%s is %s, not a directory: refused (berth mounts "
				"the container's own /%s there)",
				names[i], S_ISLNK(st.st_mode) ? "a symbolic link" : "a file",
				names[i]);
	}
	return 0;
}

/* The bind mount that path (a later mount's target) lands in, if the
 * deepest mount above it is one. */
static const struct mount_req *enclosing_bind(const struct rootfs_opts *o, size_t i,
					      const char *path)
{
	const struct mount_req *best = NULL;

	for (size_t j = 0; j < i; j++) {
		const char *t = o->mounts[j].target;
		size_t n = strlen(t);
		if (!strncmp(path, t, n) && path[n] == '/' && (!best || n > strlen(best->target)))
			best = &o->mounts[j];
	}
	return best && best->kind == MOUNT_BIND ? best : NULL;
}

/* A mount inside a bind-mounted host folder, at a path the folder lacks,
 * needs a mount point there (docker and podman make it too). berth notes
 * each one it makes, with its device and inode, in the container's
 * directory ("made": "DEV INO SRCLEN SOURCE/SUB\0"), and removes them
 * with the container if they are still the same empty ones: the host
 * folder is left as it was found. */
static int make_in_bind(int rootfd, const struct rootfs_opts *o, size_t i, struct berth_error *err)
{
	const struct mount_req *m = &o->mounts[i], *b = enclosing_bind(o, i, m->target);
	_cleanup_free_ char *notes = NULL;
	_cleanup_close_ int nfd = -1;
	struct stat st;
	bool dir = true;

	if (!b)
		return 0;
	if (m->kind != MOUNT_TMPFS &&
	    stat(m->kind == MOUNT_VOLUME ? m->host_path : m->source, &st) == 0)
		dir = S_ISDIR(st.st_mode);
	notes = xasprintf("%s/made", o->etc_dir);
	/* each missing component below the bind's target, outermost first */
	for (const char *p = m->target + strlen(b->target) + 1;; p++) {
		if (*p && *p != '/')
			continue;
		_cleanup_free_ char *sub = xstrndup(m->target, (size_t)(p - m->target));
		_cleanup_close_ int fd = open_in_root(rootfd, sub, O_PATH, 0);
		if (fd < 0 && errno == ENOENT) {
			fd = ensure_in_root(rootfd, sub, *p || dir, err);
			if (fd < 0)
				return -1;
			if (nfd < 0)
				nfd = open(notes, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
			if (nfd < 0 || fstat(fd, &st) < 0)
				return berth_error_set(err, errno, "%s", notes);
			/* the source's length too: the removal opens the rest
			 * below the source, never through a link there */
			_cleanup_free_ char *line =
				xasprintf("%llu %llu %zu %s%s", (unsigned long long)st.st_dev,
					  (unsigned long long)st.st_ino, strlen(b->source),
					  b->source, sub + strlen(b->target));
			/* NUL-ended: a host path may hold a newline */
			if (write_all(nfd, line, strlen(line) + 1) < 0)
				return berth_error_set(err, errno, "%s", notes);
		}
		if (!*p)
			return 0;
	}
}

static int setup_mounts(int rootfd, const struct rootfs_opts *o, struct berth_error *err)
{
	for (size_t i = 0; i < o->n_mounts; i++)
		if (o->mounts[i].kind == MOUNT_VOLUME && o->mounts[i].copy_marker &&
		    fill_volume(rootfd, &o->mounts[i], err) < 0)
			return -1;
	for (size_t i = 0; i < o->n_mounts; i++) {
		const struct mount_req *m = &o->mounts[i];
		if (make_in_bind(rootfd, o, i, err) < 0)
			return -1;
		int r = m->kind == MOUNT_TMPFS ? mount_at(rootfd, m->target, true, "tmpfs", "tmpfs",
							  m->flags | (m->readonly ? MS_RDONLY : 0),
							  m->options, err)
					       : mount_bind(rootfd, m, err);
		if (r < 0)
			return -1;
	}
	return 0;
}

/* Secrets: a tmpfs on /run/secrets holds them (docker's place); one with
 * another target is written there under a hidden name, bound onto its
 * target and unlinked, so /run/secrets lists only its own. Nothing of a
 * value touches the writable layer.
 *
 * /run may be a volume another container writes: once a mount is made,
 * its path may lead somewhere else. So the tmpfs is made with the mount
 * API (fsopen, fsmount: Linux 5.2) and written through the descriptor of
 * its own root, each bind is cloned from the file (open_tree), given its
 * options while still detached and moved onto the target's descriptor:
 * no path is resolved again after a mount. */
static int secrets_tmpfs(int tfd, struct berth_error *err)
{
	_cleanup_close_ int fs = fsopen("tmpfs", FSOPEN_CLOEXEC);
	int mfd;

	if (fs < 0 || fsconfig(fs, FSCONFIG_SET_STRING, "mode", "0755", 0) < 0 ||
	    fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
		return berth_error_set(err, errno, "a tmpfs for /run/secrets");
	mfd = fsmount(fs, FSMOUNT_CLOEXEC,
		      MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC);
	if (mfd < 0)
		return berth_error_set(err, errno, "a tmpfs for /run/secrets");
	if (move_mount(mfd, "", tfd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0) {
		int e = errno;
		close(mfd);
		return berth_error_set(err, e, "mounting a tmpfs on /run/secrets");
	}
	return mfd; /* the tmpfs's root, wherever /run/secrets now leads */
}

/* The secret's file on the tmpfs (hidden name) bound onto its target. */
static int secret_bind(int rootfd, int dir, const char *name, const char *target,
		       struct berth_error *err)
{
	struct mount_attr ro = { .attr_set = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID |
					     MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC };
	_cleanup_close_ int tfd = ensure_in_root(rootfd, target, false, err);
	_cleanup_close_ int tree = -1;

	if (tfd < 0)
		return -1;
	tree = open_tree(dir, name, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_SYMLINK_NOFOLLOW);
	if (tree < 0 || sys_mount_setattr(tree, "", AT_EMPTY_PATH, &ro) < 0 ||
	    move_mount(tree, "", tfd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0 ||
	    unlinkat(dir, name, 0) < 0)
		return berth_error_set(err, errno, "mounting it");
	return 0;
}

static int setup_secrets(int rootfd, const struct rootfs_opts *o, struct berth_error *err)
{
	struct mount_attr ro = { .attr_set = MOUNT_ATTR_RDONLY };
	_cleanup_close_ int tfd = -1, dir = -1;

	if (o->n_secrets == 0)
		return 0;
	if ((tfd = ensure_in_root(rootfd, "/run/secrets", true, err)) < 0 ||
	    (dir = secrets_tmpfs(tfd, err)) < 0)
		return -1;
	for (size_t i = 0; i < o->n_secrets; i++) {
		const struct rootfs_secret *sc = &o->secrets[i];
		bool own = str_has_prefix(sc->target, "/run/secrets/") &&
			   !strchr(sc->target + 13, '/');
		_cleanup_free_ char *hidden = xasprintf(".secret-%zu", i);
		const char *name = own ? sc->target + 13 : hidden;
		_cleanup_close_ int fd = openat(
			dir, name, O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (fd < 0 || write_all(fd, sc->data, sc->len) < 0 ||
		    fchown(fd, sc->uid, sc->gid) < 0 || fchmod(fd, sc->mode) < 0)
			return berth_error_set(err, errno, "secret at %s", sc->target);
		if (!own && secret_bind(rootfd, dir, name, sc->target, err) < 0)
			return berth_error_wrap(err, "secret at %s", sc->target);
	}
	if (sys_mount_setattr(dir, "", AT_EMPTY_PATH, &ro) < 0)
		return berth_error_set(err, errno, "making /run/secrets read-only");
	return 0;
}

int rootfs_setup(const struct rootfs_opts *o, struct berth_error *err)
{
	_cleanup_close_ int rootfd = -1;

	/* every path below is resolved in the root by openat2 (Linux 5.6),
	 * which has no fallback: say so once, before anything is done */
	if (open_in_root_check(err) < 0)
		return -1;
	/* nothing done here may reach the namespace berth-fs lives in */
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		return berth_error_set(err, errno, "making mounts private");
	rootfd = open(o->rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0)
		return berth_error_set(err, errno, "%s", o->rootfs);
	if (check_system_dirs(rootfd, err) < 0)
		return -1;
	layer_made_start(rootfd, o);
	if (mount_at(rootfd, "/proc", true, "proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL,
		     err) < 0 ||
	    setup_dev(rootfd, o, err) < 0 || setup_sys(rootfd, o, err) < 0 ||
	    setup_etc(rootfd, o, err) < 0 || setup_keep_id(rootfd, o, err) < 0)
		return -1;
	if (setup_mounts(rootfd, o, err) < 0 || setup_secrets(rootfd, o, err) < 0)
		return -1;
	/* the working directory is the container's (docker's diff and
	 * commit show it too): not noted */
	layer_made.notes = NULL;
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
