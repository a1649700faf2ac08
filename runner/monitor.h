/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * monitor.h: a detached container's monitor process (monitor.c).
 */
#ifndef BERTH_MONITOR_H
#define BERTH_MONITOR_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "../lib/error.h"
#include "launchspec.h"

struct monitor_args {
	const char *root; /* the store */
	const char *id;
	const struct launch_spec *ls;
	bool rm;	     /* remove the container when it ends */
	bool wait_attach;    /* hold the output until a client attaches (run -it) */
	const char *network; /* its record's network: a user network is joined here */
};

/* Start the container under a monitor of its own and return once its
 * command runs (0), or failed to start (-1, err, *status as launch.h).
 * *warning (NULL when none; the caller frees it): what went wrong
 * without stopping the container (its state not recorded), which the
 * container's log has too. The monitor is the caller's child, *child
 * its pid once the container runs (-1 on a failure: reaped already),
 * which the caller reaps with monitor_reap once the container has ended
 * (an attached start), or leaves to run on past its own end (`run -d`:
 * nothing of berth's is then left to reap it, docs/reliability.md). */
int monitor_detach(const struct monitor_args *a, pid_t *child, int *status, char **warning,
		   struct berth_error *err);
/* Wait for the caller's own monitor (monitor_detach's *child) to end:
 * it ends once the container's end is recorded and its helpers reaped.
 * child <= 0: nothing to wait for. */
void monitor_reap(pid_t child);
/* RFC 3339 UTC with nanoseconds, as the log's lines start. */
void monitor_timestamp(char *buf, size_t len);

/* One line of a container's log, "TIME STREAM TEXT" (monitor.c writes
 * them): its parts, false when it is not one. */
struct monitor_log_line {
	const char *time, *text;
	size_t time_len, text_len;
	bool err; /* the container wrote it to stderr */
};
bool monitor_log_parse(const char *line, size_t len, struct monitor_log_line *out);

#endif
