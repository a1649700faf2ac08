/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * seccomp-filter.h: a container's seccomp filters as compiled BPF
 * programs (seccomp-filter.c): made from the default policy (seccomp.c)
 * or a JSON profile (seccomp-json.c) in berth's own process, kept in a
 * cache keyed by everything that makes them, and loaded in the command's
 * process with seccomp(2), with no library work between fork and exec.
 */
#ifndef BERTH_SECCOMP_FILTER_H
#define BERTH_SECCOMP_FILTER_H

#include <json-c/json.h>
#include <linux/filter.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../lib/error.h"

struct seccomp_filters {
	size_t n; /* 0: no filter (seccomp=unconfined) */
	struct seccomp_filter_prog {
		unsigned int flags; /* for seccomp(2): SECCOMP_FILTER_FLAG_LOG... */
		unsigned short len;
		struct sock_filter *insns;
	} progs[2];
	void *mem; /* owns the instructions */
};

/* The filters for a container with capabilities caps: the default one
 * (profile NULL) or a JSON profile's (origin names it in errors).
 * cachefd: a directory of compiled filters (seccomp_cache_dir), or -1. */
int seccomp_filters_prepare(int cachefd, uint64_t caps, struct json_object *profile,
			    const char *origin, struct seccomp_filters *out,
			    struct berth_error *err);
void seccomp_filters_clear(struct seccomp_filters *f);

/* In the command's process: load them, the first one first (f NULL is
 * an error: the caller asked for seccomp and prepared nothing). Needs
 * CAP_SYS_ADMIN in the process's user namespace or no_new_privs; never
 * sets no_new_privs itself. */
int seccomp_filters_load(const struct seccomp_filters *f, struct berth_error *err);

/* The store's cache of compiled filters (cache/seccomp, made when
 * missing): a directory fd, or -1, and then no cache. */
int seccomp_cache_dir(int store_rootfd);

#endif
