/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * known-syscalls.h: the highest system call number libseccomp knows on
 * this architecture, the edge of the numbers a filter can name: for
 * attack-sys (inside a container) and test-seccomp (on the host), which
 * try the numbers beyond it.
 */
#ifndef BERTH_TESTS_KNOWN_SYSCALLS_H
#define BERTH_TESTS_KNOWN_SYSCALLS_H

#include <seccomp.h>
#include <stdlib.h>

/* -1 when it knows none. */
static inline int max_known_syscall(void)
{
	int max = -1;
	for (int nr = 0; nr < 2048; nr++) {
		char *n = seccomp_syscall_resolve_num_arch(SCMP_ARCH_NATIVE, nr);
		if (n)
			max = nr;
		free(n);
	}
	return max;
}

#endif
