/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * check.h: `berth system check`'s look at the store's named objects
 * (check.c): volumes, their records and data directories, and what a
 * killed volume command left. Adds to image/check.h's report.
 */
#ifndef BERTH_OBJECTS_CHECK_H
#define BERTH_OBJECTS_CHECK_H

#include "../image/check.h"
#include "../image/store.h"

/* Under the store lock (exclusive with r->opts.repair). */
void volumes_check(struct store *s, struct check_report *r);

#endif
