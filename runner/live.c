// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * live.c: whether a container runs, asked of its processes and never of
 * a record alone, and its processes found and ended whatever its records
 * say (live.h). The answer is a lock: the process that runs a container
 * (its monitor, or the CLI of an attached run) holds an open file
 * description lock on the first byte of containers/<id>/run.lock from
 * before the launch until its end is recorded. The kernel lets go of it
 * with the last descriptor of that description, however the monitor
 * ends (kill -9 included), and anyone may ask who holds it (F_OFD_GETLK)
 * without taking anything, without writing anything, and so with the
 * store's filesystem full. Pid plus start time was the other candidate:
 * it needs a record written at the start (which a full disk refuses) and
 * a reader that trusts it. The run lock's flock (container.c) stays what
 * orders starts, copies and removals; the two kinds of lock do not
 * interact on Linux.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../lib/proc.h"
#include "../lib/util.h"
#include "live.h"

static int run_lock_open(struct store *s, const char *id, int flags)
{
	_cleanup_free_ char *p = xasprintf("containers/%s/run.lock", id);
	return openat(s->rootfd, p, flags | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY);
}

/* The live lock's range: the first byte. */
static struct flock live_range(short type)
{
	return (struct flock){ .l_type = type, .l_whence = SEEK_SET, .l_start = 0, .l_len = 1 };
}

bool container_live(struct store *s, const char *id)
{
	_cleanup_close_ int fd = run_lock_open(s, id, O_RDONLY);
	struct flock fl = live_range(F_WRLCK);

	/* no lock file: nothing ever ran it, or its directory is gone */
	if (fd < 0 || fcntl(fd, F_OFD_GETLK, &fl) < 0)
		return false;
	return fl.l_type != F_UNLCK;
}

int container_live_hold(int runfd, struct berth_error *err)
{
	struct flock fl = live_range(F_WRLCK);

	/* (the caller has the run lock's flock: nobody else can hold it) */
	if (fcntl(runfd, F_OFD_SETLK, &fl) < 0)
		return berth_error_set(err, errno, "holding the container's live lock");
	return 0;
}

void container_live_release(int runfd)
{
	struct flock fl = live_range(F_UNLCK);

	if (runfd >= 0)
		fcntl(runfd, F_OFD_SETLK, &fl);
}

/* ---- its processes, from what is true ---- */

static bool read_small_file(const char *path, char *buf, size_t len)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	ssize_t n = fd < 0 ? -1 : read(fd, buf, len - 1);

	if (n < 0)
		return false;
	buf[n] = '\0';
	return true;
}

/* Does pid hold the run lock's live lock (its fdinfo lists an OFD lock
 * on a descriptor of that file)? */
static bool holds_live(const char *pid, int fd, const struct stat *lock)
{
	_cleanup_free_ char *info = xasprintf("/proc/%s/fdinfo/%d", pid, fd);
	char buf[4096];
	struct stat st;
	_cleanup_free_ char *link = xasprintf("/proc/%s/fd/%d", pid, fd);

	if (stat(link, &st) < 0 || st.st_dev != lock->st_dev || st.st_ino != lock->st_ino)
		return false;
	return read_small_file(info, buf, sizeof(buf)) && strstr(buf, "OFDLCK");
}

/* Is pid a helper of the container in dir (berth-fs on its root,
 * slirp4netns with its log): its name says which program, a descriptor
 * or an argument says whose. */
static bool is_helper(const char *pid, const char *dir, int fd_target_match)
{
	_cleanup_free_ char *cp = xasprintf("/proc/%s/comm", pid);
	_cleanup_free_ char *ap = xasprintf("/proc/%s/cmdline", pid);
	char comm[64], args[8192];
	size_t dl = strlen(dir);

	if (!read_small_file(cp, comm, sizeof(comm)))
		return false;
	comm[strcspn(comm, "\n")] = '\0';
	if (strcmp(comm, "berth-fs") != 0 && strcmp(comm, "slirp4netns") != 0)
		return false;
	if (fd_target_match)
		return true;
	_cleanup_close_ int fd = open(ap, O_RDONLY | O_CLOEXEC);
	ssize_t n = fd < 0 ? -1 : read(fd, args, sizeof(args) - 1);
	if (n > 0)
		args[n] = '\0';
	for (ssize_t i = 0; i < n; i += (ssize_t)strlen(args + i) + 1) {
		const char *a = strstr(args + i, dir);
		if (a && (a[dl] == '/' || a[dl] == '\0' || a[dl] == ','))
			return true;
	}
	return false;
}

/* Should pid go: the monitor (with monitor), or a helper of the
 * container's. */
static bool proc_is_containers(const char *pid, const char *dir, const struct stat *lock,
			       bool monitor)
{
	_cleanup_free_ char *fdp = xasprintf("/proc/%s/fd", pid);
	_cleanup_closedir_ DIR *d = opendir(fdp);
	size_t dl = strlen(dir);
	struct dirent *de;
	bool in_dir = false;

	while (d && (de = readdir(d))) {
		if (de->d_name[0] < '0' || de->d_name[0] > '9')
			continue;
		int fd = atoi(de->d_name);
		if (monitor && lock && holds_live(pid, fd, lock))
			return true;
		char target[4096];
		_cleanup_free_ char *lp = xasprintf("%s/%s", fdp, de->d_name);
		ssize_t n = readlink(lp, target, sizeof(target) - 1);
		if (n <= 0)
			continue;
		target[n] = '\0';
		if (strncmp(target, dir, dl) == 0 && target[dl] == '/')
			in_dir = true;
	}
	return is_helper(pid, dir, in_dir);
}

pid_t container_live_holder(struct store *s, const char *id)
{
	_cleanup_free_ char *lp = xasprintf("containers/%s/run.lock", id);
	_cleanup_closedir_ DIR *d = NULL;
	struct dirent *de;
	struct stat lock;

	if (!container_live(s, id) || fstatat(s->rootfd, lp, &lock, AT_SYMLINK_NOFOLLOW) < 0 ||
	    !(d = opendir("/proc")))
		return 0;
	while ((de = readdir(d))) {
		if (de->d_name[0] < '1' || de->d_name[0] > '9')
			continue;
		_cleanup_free_ char *fdp = xasprintf("/proc/%s/fd", de->d_name);
		_cleanup_closedir_ DIR *fds = opendir(fdp);
		struct dirent *f;
		while (fds && (f = readdir(fds)))
			if (f->d_name[0] >= '0' && f->d_name[0] <= '9' &&
			    holds_live(de->d_name, atoi(f->d_name), &lock))
				return (pid_t)atoi(de->d_name);
	}
	return 0;
}

size_t container_kill_processes(struct store *s, const char *id, bool monitor)
{
	_cleanup_free_ char *dir = xasprintf("%s/containers/%s", s->root, id);
	_cleanup_free_ char *lp = xasprintf("containers/%s/run.lock", id);
	_cleanup_closedir_ DIR *d = opendir("/proc");
	struct stat lock;
	bool have_lock = fstatat(s->rootfd, lp, &lock, AT_SYMLINK_NOFOLLOW) == 0;
	struct dirent *de;
	size_t n = 0;
	pid_t self = getpid();

	while (d && (de = readdir(d))) {
		if (de->d_name[0] < '1' || de->d_name[0] > '9' || atoi(de->d_name) == self)
			continue;
		if (proc_is_containers(de->d_name, dir, have_lock ? &lock : NULL, monitor) &&
		    kill((pid_t)atoi(de->d_name), SIGKILL) == 0)
			n++;
	}
	return n;
}

/* ---- its mounts ---- */

/* A mountinfo field unescaped (\040 and the like). */
static void unescape(char *p)
{
	char *o = p;

	for (; *p; p++) {
		if (p[0] == '\\' && p[1] >= '0' && p[1] <= '3' && p[2] && p[3]) {
			*o++ = (char)((p[1] - '0') * 64 + (p[2] - '0') * 8 + (p[3] - '0'));
			p += 3;
		} else {
			*o++ = *p;
		}
	}
	*o = '\0';
}

/* fusermount3 -u -z: a user's way to let go of a FUSE mount it made. */
static void fuse_detach(const char *path)
{
	pid_t p = fork();

	if (p == 0) {
		int null = open("/dev/null", O_RDWR | O_CLOEXEC);
		if (null >= 0) {
			dup2(null, 1);
			dup2(null, 2);
		}
		char *argv[] = { (char *)"fusermount3", (char *)"-u", (char *)"-z", (char *)path,
				 NULL };
		execvpe(argv[0], argv, proc_helper_env());
		_exit(127);
	}
	if (p > 0)
		while (waitpid(p, NULL, 0) < 0 && errno == EINTR)
			;
}

size_t container_unmount_all(struct store *s, const char *id)
{
	_cleanup_free_ char *dir = xasprintf("%s/containers/%s", s->root, id);
	_cleanup_fclose_ FILE *f = fopen("/proc/self/mountinfo", "re");
	char *paths[64];
	size_t n = 0, dl = strlen(dir);
	char line[8192];

	while (f && n < ARRAY_SIZE(paths) && fgets(line, sizeof(line), f)) {
		/* ID PARENT MAJ:MIN ROOT MOUNTPOINT ... - FSTYPE ... */
		char *save = NULL, *field = strtok_r(line, " ", &save);
		for (int i = 0; field && i < 4; i++)
			field = strtok_r(NULL, " ", &save);
		if (!field)
			continue;
		unescape(field);
		if (strncmp(field, dir, dl) == 0 && (field[dl] == '/' || field[dl] == '\0'))
			paths[n++] = xstrdup(field);
	}
	/* innermost (listed last) first */
	for (size_t i = n; i-- > 0;) {
		if (umount2(paths[i], MNT_DETACH) < 0)
			fuse_detach(paths[i]);
		free(paths[i]);
	}
	return n;
}
