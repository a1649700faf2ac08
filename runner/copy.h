/* SPDX-License-Identifier: GPL-2.0-or-later */
/* copy.h: `berth cp` between the host and a running container (copy.c). */
#ifndef BERTH_COPY_H
#define BERTH_COPY_H

#include <stdbool.h>
#include <sys/types.h>

#include "../lib/error.h"
#include "launchspec.h"

struct copy_req {
	bool to_container; /* src on the host, dst in the container; else the reverse */
	const char *src, *dst;
};

/* Copy in the container whose pid 1 is init (host pid). */
int copy_run(pid_t init, const struct copy_req *c, struct berth_error *err);
/* Copy in a stopped container: its root mounted for the copy (ls: its
 * directory and layers). */
int copy_stopped(const struct launch_spec *ls, const struct copy_req *c, struct berth_error *err);

#endif
