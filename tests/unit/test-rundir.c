// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Unit tests: the user's runtime directory (lib/rundir.c): made 0700
 * under $XDG_RUNTIME_DIR, the same one found again, and refused when
 * what is there is not a private directory (a planted one, a symlink).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../lib/rundir.h"
#include "../../lib/util.h"
#include "../tap.h"

static void made_and_found(const char *xdg)
{
	struct berth_error err = { 0 };
	_cleanup_free_ char *want = xasprintf("%s/berth", xdg);
	char *a = NULL, *b = NULL;
	struct stat st;

	ok(rundir_path(&a, &err) == 0, "a runtime directory under $XDG_RUNTIME_DIR");
	is_str(a, want, "  $XDG_RUNTIME_DIR/berth");
	ok(a && lstat(a, &st) == 0 && S_ISDIR(st.st_mode) && (st.st_mode & 0777) == 0700,
	   "  made 0700");
	ok(rundir_path(&b, &err) == 0 && a && b && !strcmp(a, b), "  found again as it is");
	berth_error_clear(&err);
	free(a);
	free(b);
}

static void refused(const char *what)
{
	struct berth_error err = { 0 };
	char *p = NULL;

	ok(rundir_path(&p, &err) < 0 && err.errnum == EPERM && err.msg &&
		   strstr(err.msg, "not a private directory") && !p,
	   "%s is refused", what);
	berth_error_clear(&err);
	free(p);
}

int main(void)
{
	char tmpl[] = "/tmp/test-rundir-XXXXXX";
	char *xdg = mkdtemp(tmpl);
	struct berth_error err = { 0 };

	if (!xdg)
		die("mkdtemp");
	setenv("XDG_RUNTIME_DIR", xdg, 1);
	made_and_found(xdg);

	_cleanup_free_ char *dir = xasprintf("%s/berth", xdg), *other = xasprintf("%s/other", xdg);
	chmod(dir, 0755);
	refused("a directory others may enter");
	rmdir(dir);
	mkdir(other, 0700);
	if (symlink(other, dir) < 0)
		die("symlink");
	refused("a symlink to a private directory");

	rm_rf_at(AT_FDCWD, xdg, &err);
	berth_error_clear(&err);
	return tap_done();
}
