// SPDX-License-Identifier: GPL-2.0-or-later
/* Unit tests: lib/proctitle.c on an argument area laid out as the
 * kernel lays it out (strings back to back), and on this process's own
 * /proc/self/cmdline: the copy keeps every argument, the area keeps only
 * the words given, NUL-padded with its last byte NUL, and a title longer
 * than the area is cut. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../lib/proctitle.h"
#include "../../lib/util.h"
#include "../tap.h"

static const char args[] = "berth\0run\0-e\0SECRET=hunter2\0img";

static bool has(const char *buf, size_t len, const char *needle)
{
	return memmem(buf, len, needle, strlen(needle)) != NULL;
}

static void test_area(void)
{
	char area[sizeof(args)];
	char *argv[6];
	int argc = 0;

	memcpy(area, args, sizeof(args));
	for (size_t at = 0; at < sizeof(args); at += strlen(area + at) + 1)
		argv[argc++] = area + at;
	argv[argc] = NULL;
	char **copy = proctitle_init(argc, argv);
	proctitle_set((const char *const[]){ "berth", "run" }, 2);
	ok(!has(area, sizeof(area), "hunter2") && !has(area, sizeof(area), "img"),
	   "the area no longer holds the arguments");
	ok(!memcmp(area, "berth\0run\0\0", 11) && area[sizeof(area) - 1] == '\0',
	   "it holds the words, NUL-padded, its last byte NUL");
	ok(copy[3] && !strcmp(copy[3], "SECRET=hunter2") && !strcmp(copy[4], "img") && !copy[5],
	   "the copy keeps every argument");
	proctitle_set(
		(const char *const[]){ "berth", "run", "a-container-name-longer-than-the-area" },
		3);
	ok(area[sizeof(area) - 1] == '\0' && has(area, sizeof(area), "a-container"),
	   "a title longer than the area is cut, its last byte NUL");
	for (int i = 0; copy[i]; i++)
		free(copy[i]);
	free(copy);
}

/* The real thing: this process's argv, as /proc/self/cmdline shows it. */
static void test_self(int argc, char **argv)
{
	char buf[4096];
	ssize_t n;
	int fd;

	proctitle_init(argc, argv);
	proctitle_set((const char *const[]){ "berth", "exec", "web" }, 3);
	fd = open("/proc/self/cmdline", O_RDONLY | O_CLOEXEC);
	n = fd >= 0 ? read(fd, buf, sizeof(buf)) : -1;
	if (fd >= 0)
		close(fd);
	ok(n > 0 && !memcmp(buf, "berth\0exec\0web\0", 15) && !has(buf, (size_t)n, "unit-secret"),
	   "/proc/self/cmdline shows the title and not the arguments");
}

int main(int argc, char **argv)
{
	/* run again with an argument to hide, as main() would see one */
	if (argc == 1) {
		execl("/proc/self/exe", argv[0], "--flag", "unit-secret=value", (char *)NULL);
		die("re-exec");
	}
	test_area();
	test_self(argc, argv);
	return tap_done();
}
