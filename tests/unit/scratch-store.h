/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * scratch-store.h: the end of a unit test that ran on a store of its own
 * in a scratch folder (test-named, test-users).
 */
#ifndef BERTH_TESTS_SCRATCH_STORE_H
#define BERTH_TESTS_SCRATCH_STORE_H

#include <fcntl.h>

#include "../../image/store.h"
#include "../../lib/util.h"
#include "../tap.h"

/* The store freed, its folder root removed, the plan printed: the exit
 * code. */
static inline int scratch_store_done(struct store *s, const char *root)
{
	struct berth_error err = { 0 };

	store_free(s);
	rm_rf_at(AT_FDCWD, root, &err);
	berth_error_clear(&err);
	return tap_done();
}

#endif
