// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * pull-policy.c: the pull before a container is made (pull-policy.h).
 * The store is asked first, as every verb asks it (a short name finds
 * localhost/NAME before docker.io/library/NAME); the pull itself is
 * image_pull's.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "image.h"
#include "pull-policy.h"
#include "../lib/util.h"

int image_pull_policy(struct store *s, const char *policy, const struct pull_opts *o,
		      struct berth_error *err)
{
	char id[DIGEST_STR_LEN + 1];
	struct berth_error look = { 0 };
	struct pull_result res;
	bool always = policy && !strcmp(policy, "always");

	if (!always) {
		if (image_resolve(s, o->ref, id, &look) == 0)
			return 0;
		if (look.errnum != ENOENT) { /* the names are unreadable: that is the error */
			*err = look;
			return -1;
		}
		berth_error_clear(&look);
		if (policy && !strcmp(policy, "never"))
			return berth_error_set(err, 0, "No such image: %s", o->ref);
		if (o->say && !o->quiet) {
			_cleanup_free_ char *line =
				xasprintf("Unable to find image '%s' locally", o->ref);
			o->say(o->say_arg, line);
		}
	}
	if (image_pull(s, o, &res, err) < 0)
		return -1;
	if (o->say && !o->quiet) {
		_cleanup_free_ char *line = xasprintf("Status: %s %s",
						      res.fetched ? "Downloaded newer image for"
								  : "Image is up to date for",
						      res.name);
		o->say(o->say_arg, line);
	}
	pull_result_clear(&res);
	return 0;
}
