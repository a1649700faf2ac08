/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * proc.h: a berth process's own state at its edges (proc.c): the
 * descriptors it holds, its signal dispositions and mask, and the
 * environment of the helpers it starts. docs/security.md says which
 * process applies which rule, and why.
 */
#ifndef BERTH_PROC_H
#define BERTH_PROC_H

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

#endif
