/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * seccomp-policy.h: berth's default seccomp filter (seccomp.c). The name
 * keeps clear of libseccomp's own <seccomp.h>.
 */
#ifndef BERTH_SECCOMP_POLICY_H
#define BERTH_SECCOMP_POLICY_H

#include <stdint.h>

#include "error.h"

/* Load the default filter into the calling thread (no_new_privs or
 * CAP_SYS_ADMIN needed); caps: the container's capability set, which
 * lifts the groups docker's profile ties to a capability. */
int seccomp_load_default(uint64_t caps, struct berth_error *err);

#endif
