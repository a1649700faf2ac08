/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * proc.h: a berth process's own state at its edges (proc.c): the
 * descriptors it holds, its signal dispositions and mask, and the
 * environment of the helpers it starts. docs/security.md says which
 * process applies which rule, and why.
 */
#ifndef BERTH_PROC_H
#define BERTH_PROC_H

#include <stdbool.h>
#include <stddef.h>

/* Close every descriptor above 2 but those in keep[] (n of them; -1
 * entries are ignored): close_range(2) over the gaps, else a walk of
 * /proc/self/fd. Returns 0, or -1 when some could not be closed. */
int proc_close_fds_but(const int *keep, size_t n);

/* Every signal back to its default disposition and the mask empty: what
 * a program expects at its start. SIG_IGN survives execve, so an ignored
 * SIGPIPE or SIGINT of berth's caller would otherwise reach the
 * container's command. */
void proc_reset_signals(void);

/* The environment berth's helpers (berth-fs, slirp4netns) run with: PATH
 * and the sanitizer options when set, nothing else: the caller's
 * LD_PRELOAD, LD_LIBRARY_PATH, GCONV_PATH and the like never load code
 * into a process that serves a container. NULL-terminated, static. */
char **proc_helper_env(void);

/* Children this process starts may leave processes of their own behind
 * (slirp4netns's supervisor is double-forked, a killed holder leaves
 * berth-fs): as a child subreaper (PR_SET_CHILD_SUBREAPER, Linux 3.4)
 * they are re-parented here rather than to the pid namespace's init,
 * which in a CI container without an init never reaps them. on: from
 * now; off: no longer (orphans of later children go up as before).
 * Returns 0, or -1 with errno. */
int proc_subreaper(bool on);

/* Wait, at most ms milliseconds, until this process has no child left,
 * reaping each as it ends (orphans included, once a subreaper). For a
 * caller with no child of its own still to wait for: it takes any.
 * Returns 0 when none is left, 1 when some still run at the deadline. */
int proc_reap_children(long ms);

#endif
