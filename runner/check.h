/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * check.h: `berth system check [--repair]` (check.c): the one call that
 * checks the whole store, each part where its concern lives: the image
 * store (image/check.c), volumes (objects/check.c), and here the
 * containers' records and the processes and berth-fs mounts of
 * containers that no longer exist.
 */
#ifndef BERTH_RUNNER_CHECK_H
#define BERTH_RUNNER_CHECK_H

#include "../image/check.h"
#include "../image/store.h"

/* The store opened with store_open_as_is (what killed commands left is
 * still there to be named); r->opts set, r empty. Takes the store lock
 * (exclusive to repair; a repair of containers also holds the volume
 * lock, under which containers are made). The problems into r; -1 with
 * err only when the check itself could not run (a lock). */
int engine_system_check(struct store *s, struct check_report *r, struct berth_error *err);

/* Each container's record (config.json, state, pid, name, image) and
 * whether its image is there. */
void containers_check(struct store *s, struct check_report *r);
/* Processes holding files of containers/ID for an ID that is gone, and
 * berth-fs mounts under the store that no running container owns. */
void orphans_check(struct store *s, struct check_report *r);

#endif
