// SPDX-License-Identifier: GPL-2.0-or-later
/* Unit tests: the fd-based helpers that work on trees a container can
 * write: rm_rf_at (lib/rmtree.c) on a 1,400-deep tree with 64
 * descriptors allowed, mode-000 directories and links to a directory
 * outside that must stay as it is; chmod_opath's /proc fallback (the one
 * kernels before 6.6 take); read_file_at refusing a FIFO without
 * blocking. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../lib/syscalls.h"
#include "../../lib/util.h"
#include "../tap.h"

static char dir[] = "/tmp/test-fsops.XXXXXX";
static int dfd = -1;

static mode_t mode_of(const char *rel)
{
	struct stat st;
	return fstatat(dfd, rel, &st, AT_SYMLINK_NOFOLLOW) < 0 ? (mode_t)-1 : st.st_mode & 07777;
}

static bool exists(const char *rel)
{
	struct stat st;
	return fstatat(dfd, rel, &st, AT_SYMLINK_NOFOLLOW) == 0;
}

/* DIR/d/d/... levels deep, with a file, a link to the outside victim
 * and (every 100 levels) a mode-000 directory holding a file */
static int make_deep(const char *top, int levels)
{
	_cleanup_free_ char *victim = xasprintf("%s/victim", dir);
	int fd;

	if (mkdirat(dfd, top, 0755) < 0 || (fd = openat(dfd, top, O_RDONLY | O_DIRECTORY)) < 0)
		return -1;
	for (int i = 0; i < levels; i++) {
		int f = openat(fd, "f", O_WRONLY | O_CREAT, 0644), next;
		if (f < 0 || symlinkat(victim, fd, "link") < 0 || mkdirat(fd, "d", 0755) < 0)
			return -1;
		close(f);
		if (i % 100 == 0) {
			if (mkdirat(fd, "locked", 0700) < 0 ||
			    (f = openat(fd, "locked/f", O_WRONLY | O_CREAT, 0644)) < 0)
				return -1;
			close(f);
			if (fchmodat(fd, "locked", 0, 0) < 0)
				return -1;
		}
		next = openat(fd, "d", O_RDONLY | O_DIRECTORY);
		close(fd);
		if (next < 0)
			return -1;
		fd = next;
	}
	close(fd);
	return 0;
}

static void test_rm_deep(void)
{
	struct berth_error err = { 0 };
	struct rlimit old, low = { 64, 64 };
	int r;

	ok(make_deep("deep", 1400) == 0, "a 1,400-deep tree with links and mode-000 directories");
	/* a mode-000 directory at the top too, and one holding a
	 * directory of mode 000 */
	mkdirat(dfd, "deep/zero", 0700);
	mkdirat(dfd, "deep/zero/inner", 0700);
	fchmodat(dfd, "deep/zero/inner", 0, 0);
	fchmodat(dfd, "deep/zero", 0, 0);
	getrlimit(RLIMIT_NOFILE, &old);
	low.rlim_max = old.rlim_max;
	setrlimit(RLIMIT_NOFILE, &low);
	r = rm_rf_at(dfd, "deep", &err);
	setrlimit(RLIMIT_NOFILE, &old);
	if (!ok(r == 0, "rm_rf_at removes it with RLIMIT_NOFILE 64"))
		printf("#   %s\n", err.msg ? err.msg : "");
	berth_error_clear(&err);
	ok(!exists("deep"), "... all of it");
	ok(mode_of("victim") == 0500 && exists("victim/keep"),
	   "the directory the links named is untouched (mode 0500, its file)");
}

static void test_rm_simple(void)
{
	struct berth_error err = { 0 };
	int f = openat(dfd, "plain", O_WRONLY | O_CREAT, 0644);

	close(f);
	ok(rm_rf_at(dfd, "plain", &err) == 0 && !exists("plain"), "a file goes");
	ok(rm_rf_at(dfd, "nothing", &err) == 0, "a missing name is no error");
	symlinkat("victim", dfd, "tolink");
	ok(rm_rf_at(dfd, "tolink", &err) == 0 && !exists("tolink") && exists("victim/keep"),
	   "a link to a directory goes as a link");
	berth_error_clear(&err);
}

static void test_chmod_opath(void)
{
	int fd;

	mkdirat(dfd, "m", 0);
	fd = openat(dfd, "m", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	ok(fd >= 0 && chmod_opath_proc(fd, 0750) == 0 && mode_of("m") == 0750,
	   "chmod_opath's /proc fallback changes the held directory");
	ok(chmod_opath(fd, 0700) == 0 && mode_of("m") == 0700, "chmod_opath");
	close(fd);
	unlinkat(dfd, "m", AT_REMOVEDIR);
}

static void test_read_fifo(void)
{
	struct berth_error err = { 0 };
	char *buf = NULL;
	int r;

	mkfifoat(dfd, "fifo", 0644);
	alarm(10); /* a hang fails the test */
	r = read_file_at(dfd, "fifo", 100, &buf, NULL, &err);
	alarm(0);
	ok(r < 0 && err.msg && strstr(err.msg, "not a regular file"),
	   "read_file_at refuses a FIFO at once (%s)", err.msg ? err.msg : "");
	berth_error_clear(&err);
	free(buf);
}

int main(void)
{
	struct berth_error err = { 0 };

	if (!mkdtemp(dir) || (dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
		perror(dir);
		return 1;
	}
	mkdirat(dfd, "victim", 0700);
	close(openat(dfd, "victim/keep", O_WRONLY | O_CREAT, 0644));
	fchmodat(dfd, "victim", 0500, 0);
	test_rm_simple();
	test_rm_deep();
	test_chmod_opath();
	test_read_fifo();
	fchmodat(dfd, "victim", 0700, 0);
	close(dfd);
	ok(rm_rf_at(AT_FDCWD, dir, &err) == 0 && access(dir, F_OK) < 0,
	   "the top may be a path of the caller's (the scratch directory goes)");
	berth_error_clear(&err);
	return tap_done();
}
