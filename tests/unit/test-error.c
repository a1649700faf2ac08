// SPDX-License-Identifier: GPL-2.0-or-later
/* Unit tests: the error convention (lib/error.c, docs/error-handling.md):
 * set, wrap, clear, the one-line text; a second set on a filled error
 * stops a test build naming the caller; and the callers that did it,
 * each made to fail the way that set twice. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../../image/image.h"
#include "../../image/store.h"
#include "../../lib/util.h"
#include "../tap.h"

static void test_set_wrap_text(void)
{
	struct berth_error err = { 0 };
	char *t;

	is_int(berth_error_set(&err, ENOENT, "open %s", "x"), -1, "set returns -1");
	is_str(err.msg, "open x", "set: the message");
	is_int(err.errnum, ENOENT, "set: the errno");
	is_int(berth_error_wrap(&err, "layer %d", 2), -1, "wrap returns -1");
	is_str(err.msg, "layer 2: open x", "wrap: context before the cause");
	t = berth_error_text(&err);
	is_str(t, "layer 2: open x: No such file or directory", "text: message and strerror");
	free(t);
	berth_error_clear(&err);
	ok(!err.msg && err.errnum == 0, "clear: the error is clear again");
	is_int(berth_error_wrap(&err, "nothing"), -1, "wrap of a clear error returns -1");
	ok(!err.msg, "  and leaves it clear");
	is_int(berth_error_set(&err, 0, "bad input"), -1, "set with errno 0");
	t = berth_error_text(&err);
	is_str(t, "bad input", "text without errno: the message alone");
	free(t);
	berth_error_clear(&err);
	is_int(berth_error_set(NULL, EIO, "nobody asked"), -1, "set on NULL returns -1");
}

/* A second set, in a child: stopped with SIGABRT, saying where. */
static void test_set_twice(void)
{
	int pipefd[2];
	char buf[512] = "";
	ssize_t n;
	int status;
	pid_t pid;

	if (pipe(pipefd) < 0) {
		ok(0, "pipe: %s", strerror(errno));
		return;
	}
	pid = fork();
	if (pid == 0) {
		struct berth_error err = { 0 };
		dup2(pipefd[1], STDERR_FILENO);
		signal(SIGABRT, SIG_DFL);
		berth_error_set(&err, EIO, "the first cause");
		berth_error_set(&err, 0, "a second %s", "message");
		_exit(0);
	}
	close(pipefd[1]);
	n = read(pipefd[0], buf, sizeof(buf) - 1);
	buf[n > 0 ? n : 0] = '\0';
	close(pipefd[0]);
	waitpid(pid, &status, 0);
#ifndef NDEBUG
	ok(WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT,
	   "a second set on a filled error aborts a test build");
	ok(strstr(buf, "test-error.c:") && strstr(buf, "\"the first cause\"") &&
		   strstr(buf, "\"a second message\""),
	   "  naming the caller's file and both messages");
	printf("#   %s", buf);
#else
	ok(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	   "a second set on a filled error: a release build goes on");
#endif
}

/* image_resolve of an ID prefix in a store whose image list cannot be
 * read: the cause is the list, not "no such image" set over it. */
static void test_image_resolve_unlisted(void)
{
	char dir[] = "/tmp/test-error.XXXXXX";
	struct berth_error err = { 0 };
	struct store *s = NULL;
	char id[DIGEST_STR_LEN + 1];
	int fd, r;

	if (!mkdtemp(dir)) {
		ok(0, "mkdtemp: %s", strerror(errno));
		return;
	}
	_cleanup_free_ char *images = xasprintf("%s/images", dir);
	/* a file where the images directory should be */
	if ((fd = open(images, O_WRONLY | O_CREAT | O_CLOEXEC, 0600)) >= 0)
		close(fd);
	if (store_open(dir, &s, &err) < 0) {
		ok(0, "store_open: %s", err.msg);
		berth_error_clear(&err);
		return;
	}
	r = image_resolve(s, "abc123", id, &err);
	is_int(r, -1, "image_resolve in a store whose images cannot be listed fails");
	is_int(err.errnum, ENOTDIR, "  with the listing's errno");
	ok(err.msg && strstr(err.msg, "images") && !strstr(err.msg, "no such image"),
	   "  and its message, once (%s)", err.msg ? err.msg : "(none)");
	berth_error_clear(&err);
	store_free(s);
	if (rm_rf_at(AT_FDCWD, dir, &err) < 0)
		berth_error_clear(&err);
}

int main(void)
{
	test_set_wrap_text();
	test_set_twice();
	test_image_resolve_unlisted();
	return tap_done();
}
