/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * launch.h: starting a container's processes (launch.c): the user
 * namespace, the other namespaces, berth-fs, the container's init, and
 * the wait for its end.
 */
#ifndef BERTH_LAUNCH_H
#define BERTH_LAUNCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"

/* What to run: everything resolved except the user, which is looked up
 * in the container's own /etc/passwd and /etc/group. */
struct launch_spec {
	const char *dir;      /* the container's directory (absolute) */
	const char *lowerdir; /* berth-fs layers, top first, ':'-separated */
	char **argv;	      /* NULL-terminated */
	char **env;	      /* NULL-terminated KEY=VALUE */
	const char *workdir;
	const char *user; /* "name|uid[:group|gid]", NULL for root */
	const char *hostname;
	uint64_t caps;
	bool read_only, init, no_new_privs, seccomp, own_netns, interactive;
	char **tmpfs;
	size_t n_tmpfs;
};

/* Run the container to its end; *status is what `run` exits with: the
 * command's code, 128+N for signal N, 126/127 when it could not start.
 * Returns -1 with err when the container could not be set up at all. */
int launch_run(const struct launch_spec *s, int *status, struct berth_error *err);

#endif
