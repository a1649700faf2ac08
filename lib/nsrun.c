// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * nsrun.c: a function run in a forked child inside a container's
 * namespaces (nsrun.h). The child joins the user namespace first, which
 * gives it the right to join the others, and becomes its root; what it
 * has to say comes back on a pipe as the error's text. Which namespaces and
 * what runs there are the caller's.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "nsrun.h"
#include "util.h"

pid_t nsrun_fork(struct berth_error *err)
{
	pid_t pid;

	fflush(NULL);
	pid = fork();
	if (pid < 0)
		return berth_error_set(err, errno, "fork");
	return pid;
}

static const struct {
	int type;
	const char *name;
} ns_files[] = {
	{ CLONE_NEWUSER, "user" },
	{ CLONE_NEWNS, "mnt" },
	{ CLONE_NEWNET, "net" },
};

_noreturn_ static void child(const int *fds, int out, int (*fn)(void *, struct berth_error *),
			     void *arg)
{
	struct berth_error e = { 0 };
	bool joined = true;

	/* the user namespace first: it gives the right to join the others */
	for (size_t i = 0; i < ARRAY_SIZE(ns_files) && joined; i++)
		joined = fds[i] < 0 || setns(fds[i], ns_files[i].type) == 0;
	if (!joined || setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0)
		berth_error_set(&e, errno, "joining the container");
	else if (fn(arg, &e) < 0 && !e.msg)
		berth_error_set(&e, 0, "failed");
	if (e.msg) {
		_cleanup_free_ char *t = berth_error_text(&e);
		if (write(out, t, strlen(t)) < 0) {
			/* nobody to tell */
		}
		_exit(1);
	}
	_exit(0);
}

int nsrun(pid_t pid, int types, int (*fn)(void *arg, struct berth_error *err), void *arg,
	  const char *what, struct berth_error *err)
{
	int fds[ARRAY_SIZE(ns_files)], pipefd[2], status, r = 0;
	char msg[1024];
	ssize_t n;
	pid_t c = -1;

	for (size_t i = 0; i < ARRAY_SIZE(ns_files); i++) {
		_cleanup_free_ char *p = xasprintf("/proc/%d/ns/%s", (int)pid, ns_files[i].name);
		bool wanted = i == 0 || (types & ns_files[i].type);
		fds[i] = wanted ? open(p, O_RDONLY | O_CLOEXEC) : -1;
		if (wanted && fds[i] < 0 && !err->msg)
			r = berth_error_set(err, errno, "the container's namespaces");
	}
	if (r == 0 && pipe2(pipefd, O_CLOEXEC) < 0)
		r = berth_error_set(err, errno, "pipe");
	if (r == 0 && (c = nsrun_fork(err)) < 0) {
		close(pipefd[0]);
		close(pipefd[1]);
		r = -1;
	}
	for (size_t i = 0; r < 0 && i < ARRAY_SIZE(fds); i++)
		if (fds[i] >= 0)
			close(fds[i]);
	if (r < 0)
		return -1;
	if (c == 0) {
		close(pipefd[0]);
		child(fds, pipefd[1], fn, arg);
	}
	for (size_t i = 0; i < ARRAY_SIZE(fds); i++)
		if (fds[i] >= 0)
			close(fds[i]);
	close(pipefd[1]);
	n = read(pipefd[0], msg, sizeof(msg) - 1);
	close(pipefd[0]);
	while (waitpid(c, &status, 0) < 0 && errno == EINTR)
		;
	if (n > 0) {
		msg[n] = '\0';
		return berth_error_set(err, 0, "%s", msg);
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return berth_error_set(err, 0, "%s failed", what);
	return 0;
}
