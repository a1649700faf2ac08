/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * syscalls.h: raw wrappers for system calls glibc 2.36 does not wrap
 * (openat2, Linux 5.6; fchmodat2, 6.6). Kept in one place so the
 * fallbacks are too.
 */
#ifndef BERTH_SYSCALLS_H
#define BERTH_SYSCALLS_H

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

/* openat2 answers EAGAIN when a rename or mount anywhere on the system
 * raced a resolution through ".." (RESOLVE_IN_ROOT, RESOLVE_BENEATH): the
 * kernel then cannot vouch that the walk stayed inside, and asks the
 * caller to try again. */
static inline int sys_openat2(int dirfd, const char *path, struct open_how *how)
{
	int fd, tries = 0;

	do
		fd = (int)syscall(SYS_openat2, dirfd, path, how, sizeof(*how));
	while (fd < 0 && errno == EAGAIN && ++tries < 64);
	return fd;
}

/* Open path strictly below dirfd: no "..", no symlinks at all, no magic
 * links, no mount crossing. Used for every host path built from image
 * content, so even a bug in berth's own path logic cannot leave the tree. */
static inline int open_beneath(int dirfd, const char *path, int flags, int mode)
{
	struct open_how how = {
		.flags = (unsigned)(flags | O_CLOEXEC),
		.mode = (unsigned)((flags & (O_CREAT | O_TMPFILE)) ? mode : 0),
		.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS |
			   RESOLVE_NO_XDEV,
	};
	if (!*path)
		path = ".";
	return sys_openat2(dirfd, path, &how);
}

/* Open path inside the tree at rootfd as if rootfd were "/": symlinks
 * and ".." resolve inside it (a container's root, seen from outside). */
static inline int open_in_root(int rootfd, const char *path, int flags, int mode)
{
	struct open_how how = {
		.flags = (unsigned)(flags | O_CLOEXEC),
		.mode = (unsigned)((flags & (O_CREAT | O_TMPFILE)) ? mode : 0),
		.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
	};
	if (!*path)
		path = ".";
	return sys_openat2(rootfd, path, &how);
}

/* chmod of the object an O_PATH descriptor holds, never of a link's
 * target: fchmodat2(fd, "", AT_EMPTY_PATH) (Linux 6.6); on older kernels
 * (Debian 12 runs 6.1) through the descriptor's /proc/self/fd entry, a
 * magic link to that very inode, so nothing is resolved by name again
 * (glibc's fchmodat(AT_SYMLINK_NOFOLLOW) does the same). A plain fchmod
 * refuses O_PATH descriptors, and a directory without read permission
 * opens no other way. The caller has checked the type with fstat. */
#ifndef SYS_fchmodat2
#define SYS_fchmodat2 452
#endif
static inline int chmod_opath_proc(int fd, mode_t mode)
{
	char p[32];

	snprintf(p, sizeof(p), "/proc/self/fd/%d", fd);
	return chmod(p, mode);
}

static inline int chmod_opath(int fd, mode_t mode)
{
	if (syscall(SYS_fchmodat2, fd, "", mode, AT_EMPTY_PATH) == 0)
		return 0;
	if (errno != ENOSYS && errno != EINVAL)
		return -1;
	return chmod_opath_proc(fd, mode);
}

static inline int sys_pivot_root(const char *new_root, const char *put_old)
{
	return (int)syscall(SYS_pivot_root, new_root, put_old);
}

#ifndef MOUNT_ATTR_RDONLY
#define MOUNT_ATTR_RDONLY 0x00000001
struct mount_attr {
	__u64 attr_set;
	__u64 attr_clr;
	__u64 propagation;
	__u64 userns_fd;
};
#endif
#ifndef AT_RECURSIVE
#define AT_RECURSIVE 0x8000
#endif

/* Linux 5.12: mount attributes of a whole tree at once, locked flags
 * kept (a plain MS_REMOUNT in a user namespace must repeat them). */
static inline int sys_mount_setattr(int dirfd, const char *path, unsigned flags,
				    struct mount_attr *attr)
{
	return (int)syscall(SYS_mount_setattr, dirfd, path, flags, attr, sizeof(*attr));
}

#endif
