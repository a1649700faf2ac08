/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * pull-policy.h: docker's --pull for run, create, a profile and a stack
 * (pull-policy.c): is the image pulled before a container is made from
 * it? missing (the default): when the store has no image of that name;
 * always; never: a missing image is docker's "No such image". The
 * store's own names (localhost/NAME) are never pulled.
 */
#ifndef BERTH_PULL_POLICY_H
#define BERTH_PULL_POLICY_H

#include "pull.h"

/* Would a missing ref be pulled? Not a name of the store's own
 * (localhost/NAME, what import, commit and load name, without a port):
 * no registry has those. */
bool image_pullable(const char *ref);
/* The image o->ref names made present as policy ("missing", "always",
 * "never"; NULL: missing) says, pulling it with o (its progress and
 * errors as `berth pull`'s). */
int image_pull_policy(struct store *s, const char *policy, const struct pull_opts *o,
		      struct berth_error *err);

#endif
