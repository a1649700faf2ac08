/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * rundir.h: the user's runtime directory (rundir.c), where berth keeps
 * what lives only while processes do: the user networks' keeper socket
 * and lock, a stack's environment files for the moment they are named.
 */
#ifndef BERTH_RUNDIR_H
#define BERTH_RUNDIR_H

#include "error.h"

/* $XDG_RUNTIME_DIR/berth, else /tmp/berth-$UID (created 0700, checked to
 * be ours and not a symlink); *out is malloc'd. */
int rundir_path(char **out, struct berth_error *err);

#endif
