/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * caps.h: capability sets as bit masks (bit N = capability N).
 */
#ifndef BERTH_CAPS_H
#define BERTH_CAPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../lib/error.h"

uint64_t caps_default(void);
uint64_t caps_all(void);
/* The highest capability number the running kernel knows. */
int caps_last(void);
/* One name (CHOWN, cap_chown, CAP_CHOWN or ALL) as a set. */
int caps_parse_one(const char *name, uint64_t *set, struct berth_error *err);
/* The default set with drops, then adds, applied (docker's order). */
int caps_compute(char *const *add, size_t n_add, char *const *drop, size_t n_drop, uint64_t *out,
		 struct berth_error *err);
/* "CAP_CHOWN,CAP_KILL,..." (caller frees). */
char *caps_format(uint64_t set);
/* In the container's child, before the switch to its user: drop what is
 * not in set from the bounding set. */
int caps_bound(uint64_t set, struct berth_error *err);
/* After the switch: root has set (permitted, effective), other users
 * none; the inheritable and ambient sets are empty for all. */
int caps_apply(uint64_t set, bool root, struct berth_error *err);
/* Keep one capability through the next exec although the process is not
 * root of its user namespace (an ambient capability, Linux 4.3). */
int caps_keep_across_exec(int cap, struct berth_error *err);

#endif
