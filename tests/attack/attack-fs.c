// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * attack-fs: races berth's host-side work on trees a container can write
 * (a shared volume, its own layer) by swapping names under it.
 * Subcommands:
 *   attack-fs swap DIR TARGET SECONDS
 *                 wait (at most SECONDS) for DIR to appear as a directory
 *                 (made by someone else: a volume being filled), then for
 *                 SECONDS exchange it with a symlink to TARGET in a tight
 *                 loop (renameat2 RENAME_EXCHANGE); prints "swapped N"
 *   attack-fs churn DIR TARGET MODE SECONDS [COUNT]
 *                 for SECONDS keep a directory of octal MODE and a symlink
 *                 to TARGET exchanging places at DIR (at DIR0..DIR<COUNT-1>
 *                 with a COUNT), making either again whenever someone
 *                 removed it (a removal racing us)
 *   attack-fs swapfifo FILE SECONDS
 *                 for SECONDS exchange the regular FILE with a FIFO (a
 *                 reader that opens by name after checking the type hangs)
 *   attack-fs deep DIR LEVELS [TARGET]
 *                 make DIR/d/d/... LEVELS deep, fd by fd (no PATH_MAX), a
 *                 file and a symlink "link" to TARGET (default "/") at
 *                 every level
 *   attack-fs ready FILE
 *                 create FILE (a sign for the test that setup is done)
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#ifndef RENAME_EXCHANGE
#define RENAME_EXCHANGE (1 << 1)
#endif

static int exchange(const char *a, const char *b)
{
	return (int)syscall(SYS_renameat2, AT_FDCWD, a, AT_FDCWD, b, RENAME_EXCHANGE);
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int swap(const char *dir, const char *target, int seconds)
{
	char lnk[4096];
	double end = now() + seconds;
	struct stat st;
	long n = 0;

	/* the link is made only once DIR is there: a volume must look
	 * empty to be filled */
	snprintf(lnk, sizeof(lnk), "%s.lnk", dir);
	while (lstat(dir, &st) < 0 || !S_ISDIR(st.st_mode))
		if (now() > end) {
			printf("swapped 0 (%s never appeared)\n", dir);
			return 1;
		}
	unlink(lnk);
	if (symlink(target, lnk) < 0) {
		perror(lnk);
		return 2;
	}
	end = now() + seconds;
	while (now() < end)
		if (exchange(dir, lnk) == 0)
			n++;
	printf("swapped %ld\n", n);
	return 0;
}

static int churn(const char *dir, const char *target, mode_t mode, int seconds, int count)
{
	double end = now() + seconds;
	long n = 0;

	while (now() < end) {
		for (int i = 0; i < count; i++) {
			char d[2048], lnk[4096];
			struct stat st;
			snprintf(d, sizeof(d), count > 1 ? "%s%d" : "%s", dir, i);
			snprintf(lnk, sizeof(lnk), "%s.lnk", d);
			if (lstat(d, &st) < 0 && mkdir(d, 0700) == 0)
				chmod(d, mode);
			if (lstat(lnk, &st) < 0)
				symlink(target, lnk);
			if (exchange(d, lnk) == 0)
				n++;
		}
	}
	printf("swapped %ld\n", n);
	return 0;
}

static int swapfifo(const char *file, int seconds)
{
	char fifo[4096];
	double end = now() + seconds;
	long n = 0;

	snprintf(fifo, sizeof(fifo), "%s.fifo", file);
	unlink(fifo);
	if (mkfifo(fifo, 0644) < 0) {
		perror(fifo);
		return 2;
	}
	while (now() < end)
		if (exchange(file, fifo) == 0)
			n++;
	printf("swapped %ld\n", n);
	return 0;
}

static int deep(const char *dir, long levels, const char *target)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0) {
		perror(dir);
		return 2;
	}
	for (long i = 0; i < levels; i++) {
		int f = openat(fd, "f", O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
		if (f < 0 || write(f, "x\n", 2) != 2 || symlinkat(target, fd, "link") < 0 ||
		    mkdirat(fd, "d", 0755) < 0) {
			fprintf(stderr, "level %ld: %s\n", i, strerror(errno));
			return 2;
		}
		close(f);
		int next = openat(fd, "d", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		close(fd);
		if (next < 0) {
			fprintf(stderr, "level %ld: %s\n", i, strerror(errno));
			return 2;
		}
		fd = next;
	}
	close(fd);
	printf("made %ld levels\n", levels);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 5 && !strcmp(argv[1], "swap"))
		return swap(argv[2], argv[3], atoi(argv[4]));
	if ((argc == 6 || argc == 7) && !strcmp(argv[1], "churn"))
		return churn(argv[2], argv[3], (mode_t)strtol(argv[4], NULL, 8), atoi(argv[5]),
			     argc == 7 ? atoi(argv[6]) : 1);
	if (argc == 4 && !strcmp(argv[1], "swapfifo"))
		return swapfifo(argv[2], atoi(argv[3]));
	if ((argc == 4 || argc == 5) && !strcmp(argv[1], "deep"))
		return deep(argv[2], atol(argv[3]), argc == 5 ? argv[4] : "/");
	if (argc == 3 && !strcmp(argv[1], "ready")) {
		int fd = open(argv[2], O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
		return fd < 0 ? 2 : (close(fd), 0);
	}
	fprintf(stderr,
		"usage: attack-fs swap DIR TARGET SECONDS | churn DIR TARGET MODE SECONDS [COUNT] |"
		" swapfifo FILE SECONDS | deep DIR LEVELS [TARGET] | ready FILE\n");
	return 2;
}
