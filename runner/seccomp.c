// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * seccomp.c: the container's default seccomp filter, built with
 * libseccomp and loaded in the command's process before it changes to
 * the container's user. The policy is the tables below, in the spirit of
 * docker's default profile (facts from it, berth's own grouping):
 *
 *   - an allow-list by name (policy[]): a group is allowed for every
 *     container, or only for one that has the capability docker ties it
 *     to, or never;
 *   - what the allow-list does not name: EPERM when libseccomp knows the
 *     name (a group of the table that the container's capabilities do not
 *     lift, or one that is never allowed), ENOSYS for a number the table
 *     does not know at all, so a kernel call newer than the table never
 *     reaches the kernel and the C library falls back to an older one;
 *   - refusals by argument inside allowed calls (arg_refusals[]: terminal
 *     input injection, host sockets, namespaces through clone) and the
 *     personas personality() may set.
 *
 * The native and compat ABIs (x86_64: x86 and x32) get the same rules.
 * Two filters are loaded: the allow-list (default ENOSYS) and the
 * refusals by argument (default allow), because libseccomp cannot give
 * one call both an unconditional "allow" and a conditional "refuse" in
 * one filter, and rewrites the x86 socket() rules into socketcall() ones
 * where the family is out of reach (see arg_refusals[]). The kernel runs
 * both and the stricter verdict wins. A JSON profile given with
 * --security-opt seccomp=FILE replaces all of this (seccomp-json.c).
 */
#include <errno.h>
#include <linux/capability.h>
#include <linux/net.h>
#include <sched.h>
#include <seccomp.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include "seccomp-policy.h"
#include "../lib/util.h"

DEFINE_CLEANUP_FUNC(scmp_filter_ctx, seccomp_release)

/* a group's cap besides a capability number */
#define EVERY_CONTAINER (-1)
#define NEVER (-2)

struct syscall_group {
	int cap; /* EVERY_CONTAINER, NEVER, or the capability that allows it */
	const char *why;
	const char *const *names;
};

#define NAMES(...) ((const char *const[]){ __VA_ARGS__, NULL })

/* Every name libseccomp knows for x86_64, x86 and x32 is in one group or
 * more (tests/unit/test-seccomp.c checks it); a name in several groups is
 * allowed when any of them is. personality, clone3, socket, ioctl and
 * clone have rules of their own below besides their group. */
static const struct syscall_group policy[] = {
	/* ---- every container ---- */
	{ EVERY_CONTAINER, "files, directories and their metadata",
	  NAMES("access", "faccessat", "faccessat2", "chdir", "fchdir", "getcwd", "chmod", "fchmod",
		"fchmodat", "fchmodat2", "chown", "chown32", "fchown", "fchown32", "fchownat",
		"lchown", "lchown32", "open", "openat", "openat2", "creat", "close", "close_range",
		"dup", "dup2", "dup3", "fcntl", "fcntl64", "flock", "stat", "stat64", "lstat",
		"lstat64", "fstat", "fstat64", "fstatat64", "newfstatat", "statx", "statfs",
		"statfs64", "fstatfs", "fstatfs64", "getdents", "getdents64", "link", "linkat",
		"symlink", "symlinkat", "readlink", "readlinkat", "rename", "renameat", "renameat2",
		"unlink", "unlinkat", "mkdir", "mkdirat", "rmdir", "mknod", "mknodat", "truncate",
		"truncate64", "ftruncate", "ftruncate64", "fallocate", "umask", "utime", "utimes",
		"utimensat", "utimensat_time64", "futimesat", "lseek", "_llseek", "sync", "syncfs",
		"fsync", "fdatasync", "sync_file_range", "fadvise64", "fadvise64_64", "readahead",
		"cachestat", "name_to_handle_at", "fanotify_mark", "inotify_init", "inotify_init1",
		"inotify_add_watch", "inotify_rm_watch") },
	{ EVERY_CONTAINER, "extended attributes (the kernel checks namespaces and capabilities)",
	  NAMES("getxattr", "lgetxattr", "fgetxattr", "setxattr", "lsetxattr", "fsetxattr",
		"listxattr", "llistxattr", "flistxattr", "removexattr", "lremovexattr",
		"fremovexattr") },
	{ EVERY_CONTAINER, "reading and writing, and asynchronous I/O (not io_uring)",
	  NAMES("read", "readv", "pread64", "preadv", "preadv2", "write", "writev", "pwrite64",
		"pwritev", "pwritev2", "sendfile", "sendfile64", "splice", "tee", "vmsplice",
		"copy_file_range", "pipe", "pipe2", "ioctl", "io_setup", "io_destroy", "io_submit",
		"io_cancel", "io_getevents", "io_pgetevents", "io_pgetevents_time64") },
	{ EVERY_CONTAINER, "waiting for events",
	  NAMES("poll", "ppoll", "ppoll_time64", "select", "_newselect", "pselect6",
		"pselect6_time64", "epoll_create", "epoll_create1", "epoll_ctl", "epoll_ctl_old",
		"epoll_wait", "epoll_wait_old", "epoll_pwait", "epoll_pwait2", "eventfd",
		"eventfd2", "signalfd", "signalfd4", "timerfd_create", "timerfd_settime",
		"timerfd_settime64", "timerfd_gettime", "timerfd_gettime64") },
	{ EVERY_CONTAINER, "the process's own memory",
	  NAMES("brk", "mmap", "mmap2", "munmap", "mremap", "mprotect", "madvise", "mincore",
		"msync", "mlock", "mlock2", "mlockall", "munlock", "munlockall", "remap_file_pages",
		"membarrier", "memfd_create", "memfd_secret", "pkey_alloc", "pkey_free",
		"pkey_mprotect", "map_shadow_stack", "process_mrelease") },
	{ EVERY_CONTAINER, "processes and threads (clone's namespace flags: arg_refusals[])",
	  NAMES("fork", "vfork", "clone", "execve", "execveat", "exit", "exit_group", "wait4",
		"waitid", "waitpid", "kill", "tkill", "tgkill", "pidfd_open", "pidfd_send_signal",
		"getpid", "getppid", "gettid", "getpgid", "setpgid", "getpgrp", "getsid", "setsid",
		"set_tid_address", "set_robust_list", "get_robust_list", "rseq", "restart_syscall",
		"futex", "futex_time64", "futex_waitv", "futex_wake", "futex_wait", "futex_requeue",
		"arch_prctl", "modify_ldt", "set_thread_area", "get_thread_area", "prctl",
		"seccomp", "capget", "capset", "personality") },
	{ EVERY_CONTAINER, "scheduling, priorities and limits (the kernel checks capabilities)",
	  NAMES("sched_yield", "sched_getaffinity", "sched_setaffinity", "sched_getattr",
		"sched_setattr", "sched_getparam", "sched_setparam", "sched_getscheduler",
		"sched_setscheduler", "sched_get_priority_max", "sched_get_priority_min",
		"sched_rr_get_interval", "sched_rr_get_interval_time64", "getpriority",
		"setpriority", "ioprio_get", "ioprio_set", "getrlimit", "ugetrlimit", "setrlimit",
		"prlimit64", "getrusage", "times", "getcpu") },
	{ EVERY_CONTAINER, "user and group ids, within the container's user namespace",
	  NAMES("getuid", "getuid32", "geteuid", "geteuid32", "getgid", "getgid32", "getegid",
		"getegid32", "getresuid", "getresuid32", "getresgid", "getresgid32", "getgroups",
		"getgroups32", "setuid", "setuid32", "setgid", "setgid32", "setreuid", "setreuid32",
		"setregid", "setregid32", "setresuid", "setresuid32", "setresgid", "setresgid32",
		"setfsuid", "setfsuid32", "setfsgid", "setfsgid32", "setgroups", "setgroups32") },
	{ EVERY_CONTAINER, "signals",
	  NAMES("rt_sigaction", "rt_sigprocmask", "rt_sigreturn", "rt_sigpending", "rt_sigsuspend",
		"rt_sigtimedwait", "rt_sigtimedwait_time64", "rt_sigqueueinfo", "rt_tgsigqueueinfo",
		"sigaltstack", "sigprocmask", "sigreturn", "pause", "alarm", "getitimer",
		"setitimer") },
	{ EVERY_CONTAINER,
	  "clocks and timers (setting the clock: CAP_SYS_TIME below; "
	  "adjtimex only reads without it)",
	  NAMES("time", "gettimeofday", "clock_gettime", "clock_gettime64", "clock_getres",
		"clock_getres_time64", "clock_nanosleep", "clock_nanosleep_time64", "nanosleep",
		"adjtimex", "clock_adjtime", "clock_adjtime64", "timer_create", "timer_delete",
		"timer_settime", "timer_settime64", "timer_gettime", "timer_gettime64",
		"timer_getoverrun") },
	{ EVERY_CONTAINER, "sockets (families: arg_refusals[]; x86 multiplexes them in socketcall)",
	  NAMES("socket", "socketpair", "socketcall", "bind", "connect", "listen", "accept",
		"accept4", "getsockname", "getpeername", "getsockopt", "setsockopt", "sendto",
		"recvfrom", "sendmsg", "recvmsg", "sendmmsg", "recvmmsg", "recvmmsg_time64",
		"shutdown") },
	{ EVERY_CONTAINER, "System V IPC and POSIX message queues (the IPC namespace's own)",
	  NAMES("ipc", "msgget", "msgsnd", "msgrcv", "msgctl", "semget", "semop", "semtimedop",
		"semtimedop_time64", "semctl", "shmget", "shmat", "shmdt", "shmctl", "mq_open",
		"mq_unlink", "mq_timedsend", "mq_timedsend_time64", "mq_timedreceive",
		"mq_timedreceive_time64", "mq_notify", "mq_getsetattr") },
	{ EVERY_CONTAINER, "the system's name and state, randomness, self-sandboxing",
	  NAMES("uname", "sysinfo", "getrandom", "landlock_create_ruleset", "landlock_add_rule",
		"landlock_restrict_self") },

	/* ---- with the capability docker ties them to ---- */
	{ CAP_SYS_ADMIN, "mounts, namespaces, host and domain names, kernel logs and tracing",
	  NAMES("mount", "umount", "umount2", "mount_setattr", "move_mount", "open_tree", "fsopen",
		"fsconfig", "fsmount", "fspick", "unshare", "setns", "clone3", "sethostname",
		"setdomainname", "quotactl", "quotactl_fd", "fanotify_init", "lookup_dcookie",
		"syslog", "bpf", "perf_event_open") },
	{ CAP_SYS_PTRACE,
	  "other processes' memory and descriptors (berth keeps ptrace here "
	  "where docker allows it from Linux 4.8)",
	  NAMES("ptrace", "process_vm_readv", "process_vm_writev", "process_madvise", "kcmp",
		"pidfd_getfd") },
	{ CAP_SYS_TIME, "setting the clock",
	  NAMES("settimeofday", "stime", "clock_settime", "clock_settime64") },
	{ CAP_SYS_MODULE, "kernel modules", NAMES("init_module", "finit_module", "delete_module") },
	{ CAP_SYS_BOOT, "reboot (of the PID namespace)", NAMES("reboot") },
	{ CAP_SYS_CHROOT, "chroot", NAMES("chroot") },
	{ CAP_SYS_PACCT, "process accounting", NAMES("acct") },
	{ CAP_SYS_RAWIO, "I/O ports", NAMES("iopl", "ioperm") },
	{ CAP_SYS_TTY_CONFIG, "hanging up the terminal", NAMES("vhangup") },
	{ CAP_SYS_NICE, "NUMA memory policy",
	  NAMES("mbind", "set_mempolicy", "get_mempolicy", "set_mempolicy_home_node") },
	{ CAP_SYSLOG, "kernel logs", NAMES("syslog") },
	{ CAP_BPF, "BPF programs", NAMES("bpf") },
	{ CAP_PERFMON, "performance monitoring", NAMES("perf_event_open") },
	{ CAP_DAC_READ_SEARCH, "files by handle: the \"shocker\" escape without the capability",
	  NAMES("open_by_handle_at") },

	/* ---- never ---- */
	{ NEVER, "the kernel keyring: not namespaced", NAMES("add_key", "keyctl", "request_key") },
	{ NEVER, "io_uring: a large attack surface whose operations seccomp never sees",
	  NAMES("io_uring_setup", "io_uring_enter", "io_uring_register") },
	{ NEVER, "userfaultfd: a tool to win kernel races; other processes' pages",
	  NAMES("userfaultfd", "move_pages", "migrate_pages") },
	{ NEVER, "the host's kernel, swap and root",
	  NAMES("kexec_load", "kexec_file_load", "swapon", "swapoff", "pivot_root", "nfsservctl") },
	{ NEVER, "obsolete interfaces no current C library uses",
	  NAMES("_sysctl", "sysfs", "ustat", "uselib", "vm86", "vm86old", "create_module",
		"get_kernel_syms", "query_module", "bdflush", "readdir", "oldstat", "oldlstat",
		"oldfstat", "olduname", "oldolduname", "sigaction", "signal", "sigpending",
		"sigsuspend", "sgetmask", "ssetmask", "nice", "ulimit", "idle") },
	{ NEVER, "numbers reserved for calls Linux never implemented",
	  NAMES("afs_syscall", "break", "ftime", "getpmsg", "putpmsg", "gtty", "stty", "lock",
		"mpx", "prof", "profil", "security", "tuxcall", "vserver") },
};

/* personality(): only the personas docker allows, Linux with or without
 * the 32-bit and uname-2.6 flags, and the query; others (PER_BSD, the
 * flags that turn off address randomization, READ_IMPLIES_EXEC...) get
 * EPERM. The persona is 32 bits: the upper half of the register is not
 * looked at, as the kernel does not. */
static const uint32_t personas[] = {
	0x0,	    /* PER_LINUX */
	0x8,	    /* PER_LINUX32 */
	0x20000,    /* UNAME26 */
	0x20008,    /* PER_LINUX32 | UNAME26 */
	0xffffffff, /* query the persona */
};

/* Refusals by argument inside allowed calls: arg masked with mask equal
 * to value is EPERM unless the container has cap. */
struct arg_refusal {
	const char *name;
	unsigned int arg;
	uint64_t mask, value;
	int unless_cap; /* -1: always refused */
	const char *why;
};

static const struct arg_refusal arg_refusals[] = {
	/* TIOCSTI and TIOCLINUX push input into a terminal the container may
	 * share with the host (CVE-2016-7545 class); the command is 32 bits */
	{ "ioctl", 1, 0xffffffffu, TIOCSTI, -1, "terminal input injection" },
	{ "ioctl", 1, 0xffffffffu, TIOCLINUX, -1, "terminal input injection" },
	/* host-guest sockets are not namespaced; the family is an int. On x86
	 * libseccomp adds socketcall(SYS_SOCKET) for the same rule: its family
	 * is in memory a filter cannot read, so a 32-bit program that makes
	 * sockets through socketcall (musl, old glibc) cannot make any */
	{ "socket", 0, 0xffffffffu, AF_VSOCK, -1, "vsock" },
	/* new namespaces need CAP_SYS_ADMIN, as in docker (clone3 hides its
	 * flags in memory: it answers ENOSYS instead, see load_allow_list) */
	{ "clone", 0, CLONE_NEWNS, CLONE_NEWNS, CAP_SYS_ADMIN, "mount namespace" },
	{ "clone", 0, CLONE_NEWUTS, CLONE_NEWUTS, CAP_SYS_ADMIN, "UTS namespace" },
	{ "clone", 0, CLONE_NEWIPC, CLONE_NEWIPC, CAP_SYS_ADMIN, "IPC namespace" },
	{ "clone", 0, CLONE_NEWUSER, CLONE_NEWUSER, CAP_SYS_ADMIN, "user namespace" },
	{ "clone", 0, CLONE_NEWPID, CLONE_NEWPID, CAP_SYS_ADMIN, "PID namespace" },
	{ "clone", 0, CLONE_NEWNET, CLONE_NEWNET, CAP_SYS_ADMIN, "network namespace" },
	{ "clone", 0, CLONE_NEWCGROUP, CLONE_NEWCGROUP, CAP_SYS_ADMIN, "cgroup namespace" },
};

static bool has_cap(uint64_t caps, int cap)
{
	return cap >= 0 && cap < 64 && (caps & (UINT64_C(1) << cap));
}

static bool group_allows(const struct syscall_group *g, uint64_t caps)
{
	return g->cap == EVERY_CONTAINER || has_cap(caps, g->cap);
}

enum seccomp_verdict seccomp_policy_verdict(const char *name, uint64_t caps)
{
	bool listed = false;

	for (size_t g = 0; g < ARRAY_SIZE(policy); g++)
		for (const char *const *n = policy[g].names; *n; n++) {
			if (strcmp(*n, name) != 0)
				continue;
			if (group_allows(&policy[g], caps))
				return SECCOMP_VERDICT_ALLOW;
			listed = true;
		}
	return listed ? SECCOMP_VERDICT_EPERM : SECCOMP_VERDICT_UNLISTED;
}

static int add_rule(scmp_filter_ctx ctx, uint32_t action, const char *name, unsigned int n_args,
		    const struct scmp_arg_cmp *args)
{
	int nr = seccomp_syscall_resolve_name(name);

	if (nr == __NR_SCMP_ERROR)
		return 0; /* a name this libseccomp does not know: ENOSYS */
	return seccomp_rule_add_array(ctx, action, nr, n_args, args);
}

/* The compat ABIs get the same rules (else 32-bit code would pass every
 * refusal, or be killed outright by the ABI check). */
static int add_compat_arches(scmp_filter_ctx ctx)
{
	static const uint32_t arches[] = {
#if defined(__x86_64__)
		SCMP_ARCH_X86,
		SCMP_ARCH_X32,
#elif defined(__aarch64__)
		SCMP_ARCH_ARM,
#endif
		0,
	};
	int r;

	for (size_t i = 0; arches[i]; i++)
		if ((r = seccomp_arch_add(ctx, arches[i])) < 0 && r != -EEXIST)
			return r;
	return 0;
}

/* The allowed personas, and EPERM for the others: libseccomp tries the
 * equality tests of one argument before its range tests, so the "a0 >=
 * 0" rule is what is left. */
static int add_personality(scmp_filter_ctx ctx)
{
	/* spelled out: SCMP_A0 with one datum leaves datum_b to the macro,
	 * which clang's -Wmissing-field-initializers refuses */
	struct scmp_arg_cmp other = { .arg = 0, .op = SCMP_CMP_GE, .datum_a = 0, .datum_b = 0 };
	int r;

	for (size_t i = 0; i < ARRAY_SIZE(personas); i++) {
		struct scmp_arg_cmp a = SCMP_A0(SCMP_CMP_MASKED_EQ, 0xffffffffu, personas[i]);
		if ((r = add_rule(ctx, SCMP_ACT_ALLOW, "personality", 1, &a)) < 0)
			return r;
	}
	return add_rule(ctx, SCMP_ACT_ERRNO(EPERM), "personality", 1, &other);
}

/* Whether a group with a capability allows name (the names of the other
 * groups appear once in the table). */
static bool cap_groups_allow(const char *name, uint64_t caps)
{
	for (size_t g = 0; g < ARRAY_SIZE(policy); g++)
		if (policy[g].cap >= 0 && has_cap(caps, policy[g].cap))
			for (const char *const *n = policy[g].names; *n; n++)
				if (!strcmp(*n, name))
					return true;
	return false;
}

static int allow_list_rules(scmp_filter_ctx ctx, uint64_t caps)
{
	int r;

	for (size_t g = 0; g < ARRAY_SIZE(policy); g++)
		for (const char *const *n = policy[g].names; *n; n++) {
			uint32_t action = SCMP_ACT_ALLOW;
			if (!strcmp(*n, "personality"))
				continue;
			if (policy[g].cap == NEVER)
				action = SCMP_ACT_ERRNO(EPERM);
			else if (policy[g].cap >= 0 && !has_cap(caps, policy[g].cap)) {
				if (cap_groups_allow(*n, caps))
					continue; /* another group's rule allows it */
				/* clone3's flags are in memory: it gets the
				 * filter's default, ENOSYS, and the C library
				 * falls back to clone, whose flags
				 * arg_refusals[] sees */
				if (!strcmp(*n, "clone3"))
					continue;
				action = SCMP_ACT_ERRNO(EPERM);
			}
			if ((r = add_rule(ctx, action, *n, 0, NULL)) < 0)
				return r;
		}
	return add_personality(ctx);
}

/* The allow-list: ENOSYS for what it does not know. The binary tree makes
 * a call's lookup logarithmic instead of a walk through 350 numbers, and
 * the kernel's check of the filter at load time four times cheaper. */
static int build_allow_list(uint64_t caps, scmp_filter_ctx *out, struct berth_error *err)
{
	_cleanup_(seccomp_releasep) scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ERRNO(ENOSYS));
	int r;

	if (!ctx)
		return berth_error_set(err, ENOMEM, "seccomp: building the filter");
	if ((r = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0)) < 0 ||
	    (r = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2)) < 0)
		return berth_error_set(err, -r, "seccomp: filter attributes");
	if ((r = add_compat_arches(ctx)) < 0)
		return berth_error_set(err, -r, "seccomp: adding the compat ABIs");
	if ((r = allow_list_rules(ctx, caps)) < 0)
		return berth_error_set(err, -r, "seccomp: adding the rules");
	*out = steal_pointer(&ctx);
	return 0;
}

/* The refusals by argument: allow what the allow-list allowed. */
static int build_arg_refusals(uint64_t caps, scmp_filter_ctx *out, struct berth_error *err)
{
	_cleanup_(seccomp_releasep) scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
	int r;

	if (!ctx)
		return berth_error_set(err, ENOMEM, "seccomp: building the filter");
	/* an unknown ABI is the allow-list's to refuse */
	if ((r = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0)) < 0 ||
	    (r = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_ALLOW)) < 0)
		return berth_error_set(err, -r, "seccomp: filter attributes");
	if ((r = add_compat_arches(ctx)) < 0)
		return berth_error_set(err, -r, "seccomp: adding the compat ABIs");
	for (size_t i = 0; i < ARRAY_SIZE(arg_refusals); i++) {
		const struct arg_refusal *a = &arg_refusals[i];
		struct scmp_arg_cmp c = { a->arg, SCMP_CMP_MASKED_EQ, a->mask, a->value };
		if (has_cap(caps, a->unless_cap))
			continue;
		if ((r = add_rule(ctx, SCMP_ACT_ERRNO(EPERM), a->name, 1, &c)) < 0)
			return berth_error_set(err, -r, "seccomp: refusing %s (%s)", a->name,
					       a->why);
	}
	*out = steal_pointer(&ctx);
	return 0;
}

int seccomp_default_build(uint64_t caps, scmp_filter_ctx out[2], struct berth_error *err)
{
	out[0] = out[1] = NULL;
	if (build_allow_list(caps, &out[0], err) < 0)
		return -1;
	if (build_arg_refusals(caps, &out[1], err) < 0) {
		seccomp_release(out[0]);
		out[0] = NULL;
		return -1;
	}
	return 0;
}
