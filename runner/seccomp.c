// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * seccomp.c: the container's default seccomp filter, built with
 * libseccomp and loaded in the child just before exec. The policy is the
 * table below: what docker's default profile refuses, in groups, each
 * lifted when the container has the capability that docker's profile
 * ties it to. docker writes its profile as an allowlist; berth lists the
 * refusals (the same syscalls the allowlist leaves out, by name, for the
 * native and compat ABIs), so a syscall newer than this table is allowed
 * where docker would refuse it: docs/design.md says why that trade.
 */
#include <errno.h>
#include <seccomp.h>
#include <sys/ioctl.h>
#include <linux/capability.h>
#include <sched.h>

#include "seccomp-policy.h"
#include "util.h"

DEFINE_CLEANUP_FUNC(scmp_filter_ctx, seccomp_release)

struct deny_group {
	int cap; /* the capability that lifts the group, or -1 */
	const char *why;
	const char *const *names;
};

#define NAMES(...) ((const char *const[]){ __VA_ARGS__, NULL })

static const struct deny_group groups[] = {
	{ -1, "kernel keyring: not namespaced", NAMES("add_key", "keyctl", "request_key") },
	{ -1, "kernel memory and NUMA policy of others, bpf, perf, userfaultfd",
	  NAMES("bpf", "perf_event_open", "userfaultfd", "move_pages", "lookup_dcookie", "kcmp") },
	{ -1, "old or obscure interfaces",
	  NAMES("uselib", "ustat", "sysfs", "_sysctl", "vm86", "vm86old", "nfsservctl",
		"get_kernel_syms", "query_module", "create_module") },
	{ -1, "handles that bypass path permissions (the shocker escape)",
	  NAMES("open_by_handle_at", "name_to_handle_at") },
	{ CAP_SYS_ADMIN, "mounts and namespaces",
	  NAMES("mount", "umount", "umount2", "pivot_root", "unshare", "setns", "fsopen",
		"fsconfig", "fsmount", "fspick", "move_mount", "open_tree", "mount_setattr",
		"quotactl", "quotactl_fd", "swapon", "swapoff") },
	{ CAP_SYS_MODULE, "kernel modules", NAMES("init_module", "finit_module", "delete_module") },
	{ CAP_SYS_BOOT, "reboot and kexec", NAMES("reboot", "kexec_load", "kexec_file_load") },
	{ CAP_SYS_TIME, "the clock",
	  NAMES("settimeofday", "stime", "clock_settime", "clock_settime64", "clock_adjtime",
		"clock_adjtime64", "adjtimex") },
	{ CAP_SYS_PTRACE, "other processes' memory",
	  NAMES("ptrace", "process_vm_readv", "process_vm_writev", "process_madvise") },
	{ CAP_SYS_PACCT, "process accounting", NAMES("acct") },
	{ CAP_SYS_RAWIO, "I/O ports", NAMES("iopl", "ioperm") },
	{ CAP_SYS_NICE, "memory policy",
	  NAMES("mbind", "set_mempolicy", "get_mempolicy", "set_mempolicy_home_node") },
};

static int deny(scmp_filter_ctx ctx, int nr, unsigned n_args, const struct scmp_arg_cmp *args)
{
	int r = seccomp_rule_add_array(ctx, SCMP_ACT_ERRNO(EPERM), nr, n_args, args);
	/* a syscall an ABI lacks is no error */
	return r == -EEXIST || r == -EOPNOTSUPP ? 0 : r;
}

static int add_rules(scmp_filter_ctx ctx, uint64_t caps)
{
	int r;

	for (size_t g = 0; g < ARRAY_SIZE(groups); g++) {
		if (groups[g].cap >= 0 && (caps & (UINT64_C(1) << groups[g].cap)))
			continue;
		for (const char *const *n = groups[g].names; *n; n++) {
			int nr = seccomp_syscall_resolve_name(*n);
			if (nr == __NR_SCMP_ERROR)
				continue; /* not on this architecture */
			if ((r = deny(ctx, nr, 0, NULL)) < 0)
				return r;
		}
	}
	/* TIOCSTI and TIOCLINUX push input into a terminal the container may
	 * share with the host (CVE-2016-7545 class); the command is 32 bits */
	static const unsigned long ioctls[] = { TIOCSTI, TIOCLINUX };
	for (size_t i = 0; i < ARRAY_SIZE(ioctls); i++) {
		struct scmp_arg_cmp a = SCMP_A1(SCMP_CMP_MASKED_EQ, 0xffffffffu, ioctls[i]);
		if ((r = deny(ctx, SCMP_SYS(ioctl), 1, &a)) < 0)
			return r;
	}
	if (!(caps & (UINT64_C(1) << CAP_SYS_ADMIN))) {
		/* new namespaces through clone: docker refuses them without
		 * CAP_SYS_ADMIN; clone3 hides its flags in memory, so it says
		 * ENOSYS and the C library falls back to clone */
		const uint64_t ns = CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER |
				    CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWCGROUP;
		for (uint64_t bit = 1; bit; bit <<= 1) {
			if (!(ns & bit))
				continue;
			struct scmp_arg_cmp a = SCMP_A0(SCMP_CMP_MASKED_EQ, bit, bit);
			if ((r = deny(ctx, SCMP_SYS(clone), 1, &a)) < 0)
				return r;
		}
		r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0);
		if (r < 0 && r != -EEXIST && r != -EOPNOTSUPP)
			return r;
	}
	return 0;
}

int seccomp_load_default(uint64_t caps, struct berth_error *err)
{
	_cleanup_(seccomp_releasep) scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
	int r;

	if (!ctx)
		return berth_error_set(err, ENOMEM, "seccomp: building the filter");
		/* the compat ABIs get the same rules (else 32-bit code would pass
	 * every refusal, or be killed outright by the arch check) */
#if defined(__x86_64__)
	if ((r = seccomp_arch_add(ctx, SCMP_ARCH_X86)) < 0 && r != -EEXIST)
		return berth_error_set(err, -r, "seccomp: adding the x86 ABI");
	if ((r = seccomp_arch_add(ctx, SCMP_ARCH_X32)) < 0 && r != -EEXIST)
		return berth_error_set(err, -r, "seccomp: adding the x32 ABI");
#elif defined(__aarch64__)
	if ((r = seccomp_arch_add(ctx, SCMP_ARCH_ARM)) < 0 && r != -EEXIST)
		return berth_error_set(err, -r, "seccomp: adding the arm ABI");
#endif
	if ((r = add_rules(ctx, caps)) < 0)
		return berth_error_set(err, -r, "seccomp: adding the rules");
	if ((r = seccomp_load(ctx)) < 0)
		return berth_error_set(err, -r, "seccomp: loading the filter");
	return 0;
}
