// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * probe: a small static binary the integration tests run inside
 * containers, so assertions do not depend on an image's tools. Each
 * subcommand prints "key value" lines:
 *   probe ids        uid, gid, groups
 *   probe status     CapInh, CapPrm, CapEff, CapBnd, CapAmb, Seccomp,
 *                    NoNewPrivs (from /proc)
 *   probe fds        the open descriptors other than 0-2
 *   probe env        the environment, one per line
 *   probe syscalls   the result (ok or errno name) of calls the default
 *                    seccomp filter refuses: mount, unshare, keyctl,
 *                    TIOCSTI, ptrace
 *   probe open PATH [r|w]   ok or the errno name
 *   probe cwd        the working directory
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <sys/socket.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "../errname.h"

extern char **environ;

static const char *res(long r)
{
	return call_result(r, errno);
}

static void status(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	while (f && fgets(line, sizeof(line), f)) {
		if (!strncmp(line, "Cap", 3) || !strncmp(line, "Seccomp:", 8) ||
		    !strncmp(line, "NoNewPrivs:", 11)) {
			char *colon = strchr(line, ':');
			*colon = '\0';
			char *v = colon + 1;
			while (*v == '\t' || *v == ' ')
				v++;
			printf("%s %s", line, v);
		}
	}
	if (f)
		fclose(f);
}

static void fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *de;
	int self = d ? dirfd(d) : -1;
	while (d && (de = readdir(d))) {
		int fd = atoi(de->d_name);
		char target[512] = "";
		if (de->d_name[0] == '.' || fd <= 2 || fd == self)
			continue;
		char p[64];
		snprintf(p, sizeof(p), "/proc/self/fd/%d", fd);
		if (readlink(p, target, sizeof(target) - 1) < 0)
			strcpy(target, "?");
		printf("fd %d %s\n", fd, target);
	}
	if (d)
		closedir(d);
}

int main(int argc, char **argv)
{
	const char *cmd = argc > 1 ? argv[1] : "";

	if (!strcmp(cmd, "ids")) {
		gid_t g[64];
		int n = getgroups(64, g);
		printf("uid %d\ngid %d\ngroups", (int)getuid(), (int)getgid());
		for (int i = 0; i < n; i++)
			printf(" %d", (int)g[i]);
		printf("\n");
	} else if (!strcmp(cmd, "status")) {
		status();
	} else if (!strcmp(cmd, "fds")) {
		fds();
	} else if (!strcmp(cmd, "env")) {
		for (char **e = environ; *e; e++)
			printf("%s\n", *e);
	} else if (!strcmp(cmd, "cwd")) {
		char buf[4096];
		printf("cwd %s\n", getcwd(buf, sizeof(buf)) ? buf : "?");
	} else if (!strcmp(cmd, "syscalls")) {
		char c = 'x';
		printf("mount %s\n", res(mount("none", "/tmp", "tmpfs", 0, NULL)));
		printf("unshare %s\n", res(unshare(CLONE_NEWNS)));
		printf("keyctl %s\n", res(syscall(SYS_keyctl, 0, 0, 0, 0, 0)));
		printf("tiocsti %s\n", res(ioctl(0, TIOCSTI, &c)));
		printf("ptrace %s\n", res(ptrace(PTRACE_TRACEME, 0, NULL, NULL)));
		printf("getpid %s\n", res(getpid()));
	} else if (!strcmp(cmd, "udp-echo") && argc > 2) {
		/* a UDP echo server on the container's 0.0.0.0:PORT (busybox's
		 * nc has no UDP) */
		struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(atoi(argv[2])) };
		int s = socket(AF_INET, SOCK_DGRAM, 0);
		char buf[2048];
		if (s < 0 || bind(s, (struct sockaddr *)&a, sizeof(a)) < 0) {
			perror("probe: udp-echo");
			return 1;
		}
		printf("listening\n");
		fflush(stdout);
		for (;;) {
			struct sockaddr_in peer;
			socklen_t pl = sizeof(peer);
			ssize_t n = recvfrom(s, buf, sizeof(buf), 0, (struct sockaddr *)&peer, &pl);
			if (n > 0)
				sendto(s, buf, (size_t)n, 0, (struct sockaddr *)&peer, pl);
		}
	} else if (!strcmp(cmd, "open") && argc > 2) {
		int w = argc > 3 && argv[3][0] == 'w';
		int fd = open(argv[2], w ? O_WRONLY : O_RDONLY);
		printf("open %s\n", res(fd));
	} else {
		fprintf(stderr, "probe: unknown command\n");
		return 2;
	}
	return 0;
}
