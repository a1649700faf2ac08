// SPDX-License-Identifier: GPL-2.0-or-later
/* Unit tests: lib/proc.c's reaping. A child that double-forks (as
 * slirp4netns's supervisor is started) leaves its grandchild to this
 * process once it is a child subreaper, and proc_reap_children waits for
 * it and reaps it; one that outlives the bound is reported; without the
 * subreaper the grandchild is not ours. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../../lib/proc.h"
#include "../tap.h"

/* A child that forks a grandchild sleeping ms, and leaves at once; its
 * own end is reaped here. The grandchild's pid. */
static pid_t orphan(long ms)
{
	int p[2];
	pid_t g = -1;

	if (pipe(p) < 0)
		return -1;
	pid_t c = fork();
	if (c == 0) {
		pid_t gc = fork();
		if (gc == 0) {
			struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
			nanosleep(&ts, NULL);
			_exit(0);
		}
		if (write(p[1], &gc, sizeof(gc)) != sizeof(gc))
			_exit(1);
		_exit(0);
	}
	close(p[1]);
	if (c < 0 || read(p[0], &g, sizeof(g)) != sizeof(g))
		g = -1;
	close(p[0]);
	waitpid(c, NULL, 0);
	return g;
}

static long ms_between(const struct timespec *a, const struct timespec *b)
{
	return (b->tv_sec - a->tv_sec) * 1000L + (b->tv_nsec - a->tv_nsec) / 1000000L;
}

int main(void)
{
	struct timespec t0, t1;

	ok(proc_reap_children(100) == 0, "no child: returns at once with none left");

	ok(proc_subreaper(true) == 0, "a child subreaper");
	pid_t g = orphan(150);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	int left = proc_reap_children(5000);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ok(g > 0 && left == 0, "a double-forked grandchild is re-parented here and reaped");
	ok(ms_between(&t0, &t1) < 2500, "... as it ends, not at the bound (%ld ms)",
	   ms_between(&t0, &t1));
	ok(g > 0 && kill(g, 0) < 0 && errno == ESRCH, "... and is gone, not a zombie");

	g = orphan(10000);
	ok(g > 0 && proc_reap_children(100) == 1, "one that outlives the bound is reported");
	if (g > 0)
		kill(g, SIGKILL);
	ok(proc_reap_children(5000) == 0, "... and reaped once it ends");

	ok(proc_subreaper(false) == 0, "no longer a subreaper");
	g = orphan(100);
	ok(g > 0 && waitpid(-1, NULL, WNOHANG) < 0 && errno == ECHILD,
	   "then the grandchild is not ours");
	return tap_done();
}
