/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * monitor.h: a detached container's monitor process (monitor.c).
 */
#ifndef BERTH_MONITOR_H
#define BERTH_MONITOR_H

#include <stdbool.h>
#include <stddef.h>

#include "../lib/error.h"
#include "launch.h"

struct json_object;

struct monitor_args {
	const char *root; /* the store */
	const char *id;
	const struct launch_spec *ls;
	bool rm;		 /* remove the container when it ends */
	bool wait_attach;	 /* hold the output until a client attaches (run -it) */
	struct json_object *cfg; /* its config.json: a user network is joined here */
};

/* Start the container under a monitor of its own and return once its
 * command runs (0), or failed to start (-1, err, *status as launch.h). */
int monitor_detach(const struct monitor_args *a, int *status, struct berth_error *err);
/* RFC 3339 UTC with nanoseconds, as the log's lines start. */
void monitor_timestamp(char *buf, size_t len);

#endif
