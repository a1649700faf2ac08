/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * nsrun.h: a function run in a forked child inside a container's
 * namespaces (nsrun.c), and the fork that berth's forks share.
 */
#ifndef BERTH_NSRUN_H
#define BERTH_NSRUN_H

#include <sys/types.h>

#include "error.h"

/* fork(2) after stdio's buffers are flushed (a child's exit would write
 * them again); -1 with err ("fork") when it fails. */
pid_t nsrun_fork(struct berth_error *err);

/* Run fn(arg, err) in a forked child that has joined the user namespace
 * of pid, as its root (uid and gid 0), then pid's namespaces named in
 * types (CLONE_NEWNS, CLONE_NEWNET); wait for it. Its error comes back
 * into err, as text; a child that fails without one gives "WHAT failed".
 * Descriptors the caller opened before are the child's too: a way in
 * for what must be opened outside. */
int nsrun(pid_t pid, int types, int (*fn)(void *arg, struct berth_error *err), void *arg,
	  const char *what, struct berth_error *err);

#endif
