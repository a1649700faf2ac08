// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * rundir.c: finding, making and checking the user's runtime directory
 * (rundir.h). What goes in it is each user's business (netns/keeper.c,
 * cli/cmd-stack.c); this file only makes sure it is the user's own.
 */
#include <errno.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "rundir.h"
#include "util.h"

int rundir_path(char **out, struct berth_error *err)
{
	const char *x = getenv("XDG_RUNTIME_DIR");
	_cleanup_free_ char *dir = NULL;
	struct stat st;

	if (x && *x == '/' && access(x, W_OK) == 0)
		dir = xasprintf("%s/berth", x);
	else
		dir = xasprintf("/tmp/berth-%u", (unsigned)getuid());
	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		return berth_error_set(err, errno, "runtime directory %s", dir);
	/* /tmp is shared: refuse a directory someone else planted there */
	if (lstat(dir, &st) < 0)
		return berth_error_set(err, errno, "runtime directory %s", dir);
	if (!S_ISDIR(st.st_mode) || st.st_uid != getuid() || (st.st_mode & 077))
		return berth_error_set(
			err, EPERM, "runtime directory %s: not a private directory owned by uid %u",
			dir, (unsigned)getuid());
	*out = steal_pointer(&dir);
	return 0;
}
