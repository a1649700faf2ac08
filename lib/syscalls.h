/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * syscalls.h: raw wrappers for system calls glibc 2.36 does not wrap
 * (openat2, Linux 5.6; fchmodat2, 6.6; mount_setattr, 5.12;
 * pivot_root), and the two path resolvers built on openat2
 * (lib/openat2.c). Kept in one place so the fallbacks are too.
 */
#ifndef BERTH_SYSCALLS_H
#define BERTH_SYSCALLS_H

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "config.h"
#include "error.h"

#ifdef HAVE_OPENAT2_H
#include <linux/openat2.h>
#else
/* Kernel headers before 5.6: the ABI is fixed, so it is written here. */
struct open_how {
	uint64_t flags;
	uint64_t mode;
	uint64_t resolve;
};
#define RESOLVE_NO_XDEV 0x01
#define RESOLVE_NO_MAGICLINKS 0x02
#define RESOLVE_NO_SYMLINKS 0x04
#define RESOLVE_BENEATH 0x08
#define RESOLVE_IN_ROOT 0x10
#endif
#ifndef SYS_openat2
#define SYS_openat2 437
#endif

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
 * links, no mount crossing (RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS |
 * RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV). Used for every host path
 * built from image content, so even a bug in berth's own path logic
 * cannot leave the tree. Without openat2 (ENOSYS: before Linux 5.6, or a
 * seccomp filter that does not know it) the same rules are kept by a
 * walk of one component at a time (lib/openat2.c). Returns the fd, or -1
 * with errno as openat2 sets it. */
int open_beneath(int dirfd, const char *path, int flags, int mode);

/* Open path inside the tree at rootfd as if rootfd were "/": symlinks
 * and ".." resolve inside it (a container's root, seen from outside),
 * magic links are refused (RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS).
 * There is no fallback: without openat2 this fails with ENOSYS, and
 * open_in_root_check says why in one line. */
int open_in_root(int rootfd, const char *path, int flags, int mode);

/* 0 when open_in_root works here; else -1 with err "this kernel has no
 * openat2 (Linux 5.6)...", for a command to refuse at its start. */
int open_in_root_check(struct berth_error *err);

/* Tests only: behave as on a kernel without openat2 (true), or probe
 * the kernel again (false). */
void openat2_pretend_missing(bool missing);

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
	uint64_t attr_set;
	uint64_t attr_clr;
	uint64_t propagation;
	uint64_t userns_fd;
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
