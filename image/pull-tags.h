/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * pull-tags.h: `berth pull --all-tags REPO` (pull-tags.c): every tag the
 * repository lists (the distribution API's tags list, page after page),
 * each pulled as `berth pull REPO:TAG` pulls it.
 */
#ifndef BERTH_PULL_TAGS_H
#define BERTH_PULL_TAGS_H

#include "pull.h"

/* o->ref names a repository alone (a tag or digest is refused, with
 * docker's line); each tag's image is pulled with o, in the registry's
 * order, and handed to each (its result is cleared after). The first
 * failure stops the pulls. */
int image_pull_all_tags(struct store *s, const struct pull_opts *o,
			void (*each)(void *arg, const char *tag, const struct pull_result *r),
			void *arg, struct berth_error *err);

#endif
