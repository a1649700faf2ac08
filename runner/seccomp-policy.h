/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * seccomp-policy.h: berth's default seccomp filter (seccomp.c), as
 * libseccomp contexts; seccomp-filter.h compiles, caches and loads them.
 * The name keeps clear of libseccomp's own <seccomp.h>.
 */
#ifndef BERTH_SECCOMP_POLICY_H
#define BERTH_SECCOMP_POLICY_H

#include <seccomp.h>
#include <stdint.h>

#include "../lib/error.h"

/* The default filter for a container with capabilities caps (they lift
 * the groups docker's profile ties to a capability): out[0] the
 * allow-list, out[1] the refusals by argument, both to be loaded; the
 * caller releases them. */
int seccomp_default_build(uint64_t caps, scmp_filter_ctx out[2], struct berth_error *err);

/* What the default allow-list says of a syscall name, by its table alone
 * (for the tests: argument rules aside). */
enum seccomp_verdict {
	SECCOMP_VERDICT_ALLOW,
	SECCOMP_VERDICT_EPERM,	  /* a group the capabilities do not lift, or never */
	SECCOMP_VERDICT_UNLISTED, /* not in the table: ENOSYS */
};
enum seccomp_verdict seccomp_policy_verdict(const char *name, uint64_t caps);

#endif
