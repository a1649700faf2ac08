/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * syscalls.h: raw wrappers for system calls glibc 2.36 does not wrap
 * (openat2, Linux 5.6). Kept in one place so the fallbacks are too.
 */
#ifndef BERTH_SYSCALLS_H
#define BERTH_SYSCALLS_H

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/syscall.h>
#include <unistd.h>

static inline int sys_openat2(int dirfd, const char *path, struct open_how *how)
{
	return (int)syscall(SYS_openat2, dirfd, path, how, sizeof(*how));
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

#endif
