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
#include "reference.h"
#include "../lib/util.h"

bool image_pullable(const char *ref)
{
	struct reference r;
	struct berth_error ignore = { 0 };
	bool yes;

	if (reference_parse(ref, REFERENCE_DOCKER_HUB, &r, &ignore) < 0) {
		berth_error_clear(&ignore);
		return false;
	}
	yes = strcmp(r.domain, "localhost") != 0;
	reference_clear(&r);
	return yes;
}

int image_pull_policy(struct store *s, const char *policy, const struct pull_opts *o,
		      struct berth_error *err)
{
	char id[DIGEST_STR_LEN + 1];
	struct berth_error look = { 0 };
	struct pull_result res;
	bool always = policy && !strcmp(policy, "always") && image_pullable(o->ref);

	if (!always) {
		if (image_resolve(s, o->ref, id, &look) == 0)
			return 0;
		/* the names are unreadable, or a name no registry has: the
		 * store's answer is the error */
		if (look.errnum != ENOENT || !image_pullable(o->ref)) {
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
