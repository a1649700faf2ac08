/* SPDX-License-Identifier: GPL-2.0-or-later */
/* copytree.h: copying a tree between held directories (copytree.c). */
#ifndef BERTH_COPYTREE_H
#define BERTH_COPYTREE_H

#include <stdbool.h>

#include "../lib/error.h"

/* Copy sname in sdir to dname in ddir, a link as a link (never
 * followed); devices, fifos and sockets are left out. preserve: owners,
 * modes and times are kept, and a file already at a name is left as it
 * is (a volume's fill); else a regular file there is replaced. */
int copytree_copy(int sdir, const char *sname, int ddir, const char *dname, bool preserve,
		  struct berth_error *err);
/* Fill a new volume: what is in directory sdir into directory ddir (the
 * volume's root, opened read-only), owners, modes and times kept, and
 * sdir's own owner and mode given to ddir, as docker gives the volume. */
int copytree_fill(int sdir, int ddir, struct berth_error *err);

#endif
