// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * attack-sys: raw system calls against the container's seccomp filter and
 * capability sets, through the native ABI and the 32-bit one (int 0x80).
 * Each probe prints "NAME RESULT", RESULT "ok" or the errno's name.
 * Subcommands:
 *   attack-sys calls          the calls the default filter refuses or
 *                             answers ENOSYS, and a few it allows
 *   attack-sys nr N           syscall number N (no arguments)
 *   attack-sys max-known      the highest native syscall number this
 *                             machine's libseccomp knows (run on the host)
 *   attack-sys workload       threads, fork, clone without namespace flags,
 *                             a pipe: "workload ok" or what failed
 *   attack-sys setcap FILE [i|p]
 *                             give FILE file capabilities CHOWN,
 *                             DAC_OVERRIDE, KILL, SETGID, SETUID (0xe3) as
 *                             inheritable (i, the default) or permitted (p),
 *                             effective either way: a v3 security.capability
 *                             owned by the user namespace's root
 *   attack-sys su-exec UID FILE [ARG...]
 *                             change all ids to UID (keeping what the
 *                             kernel keeps: the inheritable set) and exec
 *                             FILE, the way a root process starts a
 *                             program as another user
 */
#include <errno.h>
#include <grp.h>
#include <linux/capability.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sched.h>
#include <seccomp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/personality.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "../errname.h"
#include "known-syscalls.h"

#ifndef AF_VSOCK
#define AF_VSOCK 40
#endif

static const char *res(long r, int e)
{
	return call_result(r, e);
}

static void show(const char *name, long r)
{
	printf("%s %s\n", name, res(r, errno));
	if (r >= 0 && !strncmp(name, "socket", 6))
		close((int)r);
}

/* a raw call: errno set, -1 on failure */
static long sys(long nr, long a, long b, long c, long d)
{
	errno = 0;
	return syscall(nr, a, b, c, d);
}

/* the x86 ABI from this 64-bit process; pointers must be below 4 GiB
 * (this static binary's data is) */
static long sys32(long nr, long a, long b, long c)
{
#if defined(__x86_64__)
	long r;
	__asm__ volatile("int $0x80" : "=a"(r) : "a"(nr), "b"(a), "c"(b), "d"(c) : "memory");
	if (r < 0 && r > -4096) {
		errno = (int)-r;
		return -1;
	}
	errno = 0;
	return r;
#else
	(void)nr, (void)a, (void)b, (void)c;
	errno = ENOSYS; /* no 32-bit ABI through int 0x80 here */
	return -1;
#endif
}

static unsigned int io_uring_params[30]; /* struct io_uring_params: 120 bytes */
static unsigned int socketcall_args[3];	 /* 32-bit words */

/* a call that would change this process (its namespaces), in a child */
static void show_forked(const char *name, long nr, long a, int compat)
{
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		show(name, compat ? sys32(nr, a, 0, 0) : sys(nr, a, 0, 0, 0));
		fflush(stdout);
		_exit(0);
	}
	if (pid > 0)
		waitpid(pid, NULL, 0);
}

static void calls(void)
{
	/* refused by name */
	show("io_uring_setup", sys(__NR_io_uring_setup, 4, (long)io_uring_params, 0, 0));
	show("io_uring_enter", sys(__NR_io_uring_enter, -1, 0, 0, 0));
	show("io_uring_register", sys(__NR_io_uring_register, -1, 0, 0, 0));
	show("keyctl", sys(__NR_keyctl, 0 /* KEYCTL_GET_KEYRING_ID */, -1, 0, 0));
	show("add_key", sys(__NR_add_key, 0, 0, 0, 0));
	show_forked("unshare-user", __NR_unshare, CLONE_NEWUSER, 0);
	show_forked("unshare-mnt", __NR_unshare, CLONE_NEWNS, 0);
	show("userfaultfd", sys(__NR_userfaultfd, 0, 0, 0, 0));
	show("clone3", sys(__NR_clone3, 0, 0, 0, 0));
	/* refused by argument */
	show("personality-bsd", sys(__NR_personality, PER_BSD, 0, 0, 0));
	show("personality-noaslr", sys(__NR_personality, ADDR_NO_RANDOMIZE, 0, 0, 0));
	show("personality-linux", sys(__NR_personality, PER_LINUX, 0, 0, 0));
	show("personality-query", sys(__NR_personality, 0xffffffffUL, 0, 0, 0));
	show("socket-vsock", sys(__NR_socket, AF_VSOCK, SOCK_STREAM, 0, 0));
	/* the family is an int: the kernel ignores the upper half */
	show("socket-vsock-high",
	     sys(__NR_socket, (long)(0x100000000UL | AF_VSOCK), SOCK_STREAM, 0, 0));
	show("socket-unix", sys(__NR_socket, AF_UNIX, SOCK_STREAM, 0, 0));
	show("socket-inet", sys(__NR_socket, AF_INET, SOCK_DGRAM, 0, 0));
	/* not the filter's: CAP_NET_RAW, which the default set leaves out */
	show("socket-raw", sys(__NR_socket, AF_INET, SOCK_RAW, IPPROTO_ICMP, 0));
	long pid = sys(__NR_clone, CLONE_NEWUSER | SIGCHLD, 0, 0, 0);
	if (pid == 0)
		_exit(0);
	if (pid > 0)
		waitpid((pid_t)pid, NULL, 0);
	show("clone-newuser", pid);
	show("ioctl-tiocsti", sys(__NR_ioctl, 0, 0x5412 /* TIOCSTI */, (long)"x", 0));
	/* numbers the filter does not know */
	show("nr-1000", sys(1000, 0, 0, 0, 0));
	show("getpid", sys(__NR_getpid, 0, 0, 0, 0));
	/* the x86 ABI: the same rules */
	show("x86-getpid", sys32(20, 0, 0, 0));
	show("x86-io_uring_setup", sys32(425, 4, (long)io_uring_params, 0));
	show("x86-keyctl", sys32(288, 0, -1, 0));
	show_forked("x86-unshare-user", 310, CLONE_NEWUSER, 1);
	show("x86-personality-bsd", sys32(136, PER_BSD, 0, 0));
	show("x86-socket-vsock", sys32(359, AF_VSOCK, SOCK_STREAM, 0));
	show("x86-socket-unix", sys32(359, AF_UNIX, SOCK_STREAM, 0));
	/* socketcall hides the family in memory: SYS_SOCKET refused */
	socketcall_args[0] = AF_VSOCK;
	socketcall_args[1] = SOCK_STREAM;
	show("x86-socketcall-vsock", sys32(102, 1 /* SYS_SOCKET */, (long)socketcall_args, 0));
	show("x86-nr-1000", sys32(1000, 0, 0, 0));
}

static void *thread_main(void *arg)
{
	return arg;
}

static int workload(void)
{
	pthread_t t;
	void *back = NULL;
	int p[2], st;
	char c = 0;

	if (pthread_create(&t, NULL, thread_main, (void *)1) != 0 || pthread_join(t, &back) != 0 ||
	    back != (void *)1) {
		printf("workload threads failed\n");
		return 1;
	}
	pid_t pid = fork();
	if (pid == 0)
		_exit(3);
	if (pid < 0 || waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st) != 3) {
		printf("workload fork failed\n");
		return 1;
	}
	long cl = sys(__NR_clone, SIGCHLD, 0, 0, 0);
	if (cl == 0)
		_exit(4);
	if (cl < 0 || waitpid((pid_t)cl, &st, 0) != cl || WEXITSTATUS(st) != 4) {
		printf("workload clone %s\n", res(cl, errno));
		return 1;
	}
	if (pipe(p) < 0 || write(p[1], "y", 1) != 1 || read(p[0], &c, 1) != 1 || c != 'y') {
		printf("workload pipe failed\n");
		return 1;
	}
	printf("workload ok\n");
	return 0;
}

static int max_known(void)
{
	int max = max_known_syscall();

	printf("%d\n", max);
	return max < 0;
}

/* the kernel's struct vfs_ns_cap_data (VFS_CAP_REVISION_3) */
struct ns_cap_data {
	unsigned int magic_etc;
	struct {
		unsigned int permitted, inheritable;
	} data[2];
	unsigned int rootid;
};

static int setcap(const char *file, const char *mode)
{
	unsigned int caps = 1u << CAP_CHOWN | 1u << CAP_DAC_OVERRIDE | 1u << CAP_KILL |
			    1u << CAP_SETGID | 1u << CAP_SETUID;
	bool permitted = !strcmp(mode, "p");
	struct ns_cap_data d = {
		.magic_etc = VFS_CAP_REVISION_3 | VFS_CAP_FLAGS_EFFECTIVE,
		.data = { { permitted ? caps : 0, permitted ? 0 : caps }, { 0, 0 } },
		.rootid = 0,
	};

	if (setxattr(file, "security.capability", &d, sizeof(d), 0) < 0) {
		printf("setcap %s\n", res(-1, errno));
		return 1;
	}
	printf("setcap ok\n");
	return 0;
}

static int su_exec(const char *uid_s, char **argv)
{
	uid_t uid = (uid_t)strtoul(uid_s, NULL, 10);

	if (setgroups(0, NULL) < 0 && errno != EPERM) {
		perror("setgroups");
		return 1;
	}
	if (setresgid(uid, uid, uid) < 0 || setresuid(uid, uid, uid) < 0) {
		perror("setresuid");
		return 1;
	}
	execv(argv[0], argv);
	perror(argv[0]);
	return 127;
}

int main(int argc, char **argv)
{
	const char *cmd = argc > 1 ? argv[1] : "";

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!strcmp(cmd, "calls")) {
		calls();
		return 0;
	}
	if (!strcmp(cmd, "nr") && argc == 3) {
		show(argv[2], sys(strtol(argv[2], NULL, 0), 0, 0, 0, 0));
		return 0;
	}
	if (!strcmp(cmd, "max-known"))
		return max_known();
	if (!strcmp(cmd, "workload"))
		return workload();
	if (!strcmp(cmd, "setcap") && (argc == 3 || argc == 4))
		return setcap(argv[2], argc == 4 ? argv[3] : "i");
	if (!strcmp(cmd, "su-exec") && argc >= 4)
		return su_exec(argv[2], argv + 3);
	fprintf(stderr, "usage: attack-sys calls|nr N|max-known|workload|setcap FILE [i|p]|"
			"su-exec UID FILE [ARG...]\n");
	return 2;
}
