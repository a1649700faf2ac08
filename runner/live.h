/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * live.h: whether a container runs, from its processes (live.c), and its
 * processes and mounts found and ended whatever its records say.
 */
#ifndef BERTH_LIVE_H
#define BERTH_LIVE_H

#include <stdbool.h>
#include <stddef.h>

#include "../image/store.h"
#include "../lib/error.h"

/* True while the process that runs the container (its monitor, or an
 * attached run's CLI) lives and has not recorded its end: the holder of
 * the live lock on containers/<id>/run.lock. Writes nothing. The one
 * answer every command's "does it run" comes from (container.h's
 * container_status). */
bool container_live(struct store *s, const char *id);
/* Take (runfd: the run lock, held) and let go of the live lock. */
int container_live_hold(int runfd, struct berth_error *err);
void container_live_release(int runfd);

/* The process holding the live lock (the monitor), found in /proc:
 * for a running container whose pid record is missing or unreadable. 0
 * when none. */
pid_t container_live_holder(struct store *s, const char *id);
/* SIGKILL what of the container still lives, found from what is true:
 * with monitor, the process holding its live lock; always, berth-fs and
 * slirp4netns processes with a descriptor or an argument in its
 * directory. How many were signalled. */
size_t container_kill_processes(struct store *s, const char *id, bool monitor);
/* Detach (lazily) whatever this process's mount namespace has mounted
 * in its directory (berth-fs on rootfs/ left over): umount2, else
 * fusermount3 -u -z. How many were found. */
size_t container_unmount_all(struct store *s, const char *id);

#endif
