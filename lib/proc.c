// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * proc.c: a berth process's own state at its edges: closing inherited
 * descriptors, resetting signals before a program starts, and the clean
 * environment of the helpers berth starts, and the reaping of what its
 * children leave behind (docs/reliability.md). Not concerned with namespaces,
 * credentials or capabilities (launch.c, caps.c).
 */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "proc.h"
#include "util.h"

#ifndef SYS_close_range
#define SYS_close_range 436
#endif

/* close_range (Linux 5.9): glibc's wrapper when it has one (2.34). */
static int close_fd_range(unsigned int from, unsigned int to)
{
#ifdef HAVE_CLOSE_RANGE
	return close_range(from, to, 0);
#else
	return (int)syscall(SYS_close_range, from, to, 0);
#endif
}

static bool kept(int fd, const int *keep, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (keep[i] == fd)
			return true;
	return false;
}

/* The fallback for kernels before 5.9: the numbers first, then the
 * closes (closing while reading would close the walk's own fd). */
static int close_by_walk(const int *keep, size_t n)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *de;
	int *fds = NULL, r = 0;
	size_t nf = 0;

	if (!d)
		return -1;
	while ((de = readdir(d))) {
		char *end;
		long fd = strtol(de->d_name, &end, 10);
		if (*end || fd <= 2 || fd == dirfd(d) || kept((int)fd, keep, n))
			continue;
		fds = xrealloc(fds, (nf + 1) * sizeof(int));
		fds[nf++] = (int)fd;
	}
	closedir(d);
	for (size_t i = 0; i < nf; i++)
		if (close(fds[i]) < 0 && errno != EBADF)
			r = -1;
	free(fds);
	return r;
}

int proc_close_fds_but(const int *keep, size_t n)
{
	unsigned int from = 3;

	/* ascending walk over the kept numbers: close the gap below each */
	for (;;) {
		int next = -1;
		for (size_t i = 0; i < n; i++)
			if (keep[i] >= (int)from && (next < 0 || keep[i] < next))
				next = keep[i];
		unsigned int to = next < 0 ? ~0U : (unsigned int)next - 1;
		if (to >= from && close_fd_range(from, to) < 0)
			return errno == ENOSYS ? close_by_walk(keep, n) : -1;
		if (next < 0)
			return 0;
		from = (unsigned int)next + 1;
	}
}

void proc_reset_signals(void)
{
	struct sigaction sa = { .sa_handler = SIG_DFL };
	sigset_t none;

	sigemptyset(&sa.sa_mask);
	for (int sig = 1; sig < NSIG; sig++)
		if (sig != SIGKILL && sig != SIGSTOP)
			sigaction(sig, &sa, NULL); /* (EINVAL for the libc's own: fine) */
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
}

char **proc_helper_env(void)
{
	/* what a helper may see of berth's environment: PATH to find its
	 * own helpers (fusermount3), and the sanitizer runtime's options so
	 * an instrumented build reports where the tests look */
	static const char *const listed[] = { "PATH",	      "ASAN_OPTIONS", "UBSAN_OPTIONS",
					      "LSAN_OPTIONS", "BERTH_FS_LOG", NULL };
	static char *env[ARRAY_SIZE(listed)];
	size_t n = 0;

	for (size_t i = 0; listed[i]; i++) {
		const char *v = getenv(listed[i]);
		if (v)
			env[n++] = xasprintf("%s=%s", listed[i], v);
	}
	if (!getenv("PATH"))
		env[n++] = xstrdup("PATH=/usr/local/bin:/usr/bin:/bin");
	env[n] = NULL;
	return env;
}

int proc_subreaper(bool on)
{
	return prctl(PR_SET_CHILD_SUBREAPER, on ? 1 : 0, 0, 0, 0);
}

static long ms_since(const struct timespec *t0)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (now.tv_sec - t0->tv_sec) * 1000L + (now.tv_nsec - t0->tv_nsec) / 1000000L;
}

int proc_reap_children(long ms)
{
	struct timespec t0;
	sigset_t chld, old;
	int left = 0;

	/* SIGCHLD blocked stays pending though its default is to be
	 * ignored: a child that ends between the waitpid and the wait for
	 * the signal is not missed */
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	sigprocmask(SIG_BLOCK, &chld, &old);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		pid_t p;
		while ((p = waitpid(-1, NULL, WNOHANG)) > 0)
			;
		if (p < 0 && errno != EINTR)
			break; /* ECHILD: none left */
		long rest = ms - ms_since(&t0);
		if (rest <= 0) {
			left = 1;
			break;
		}
		struct timespec ts = { rest / 1000, (rest % 1000) * 1000000L };
		sigtimedwait(&chld, NULL, &ts);
	}
	sigprocmask(SIG_SETMASK, &old, NULL);
	return left;
}
