// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Unit tests: the store's named objects' folders (objects/named.c): the
 * lock sweeping what a killed command left (.tmp- and .rm- entries, not
 * the objects), the sorted listing of what the kind takes for objects,
 * removal through a hidden name, random names and labels.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../lib/json.h"
#include "../../lib/util.h"
#include "../../objects/named.h"
#include "../tap.h"
#include "scratch-store.h"

static struct store *s;

static bool there(const char *path)
{
	struct stat st;
	return fstatat(s->rootfd, path, &st, AT_SYMLINK_NOFOLLOW) == 0;
}

/* An object of kind "things": a directory with a file "record". */
static bool thing_exists(struct store *st, const char *name)
{
	_cleanup_free_ char *p = xasprintf("things/%s/record", name);
	struct stat sb;
	return fstatat(st->rootfd, p, &sb, AT_SYMLINK_NOFOLLOW) == 0;
}

static void make(const char *dir, bool record)
{
	_cleanup_free_ char *p = xasprintf("things/%s", dir), *r = xasprintf("%s/record", p);
	_cleanup_free_ char *deep = xasprintf("%s/sub", p);

	mkdirat(s->rootfd, p, 0700);
	mkdirat(s->rootfd, deep, 0700);
	if (record)
		close(openat(s->rootfd, r, O_CREAT | O_WRONLY | O_CLOEXEC, 0600));
}

static void lock_and_list(void)
{
	struct berth_error err = { 0 };
	char **names = NULL;
	size_t n = 0;

	ok(named_list(s, "things", thing_exists, &names, &n, &err) == 0 && n == 0 && names &&
		   !names[0] && !there("things"),
	   "no folder yet: an empty list, and no folder made");
	strv_free(names);
	int fd = named_lock(s, "things", NULL, &err);
	ok(fd >= 0 && there("things/.lock"), "the lock makes the folder and its .lock");
	close(fd);
	make("zeta", true);
	make("alpha", true);
	make("empty", false);
	make(".tmp-0123", true);
	make(".rm-4567", true);
	ok(named_list(s, "things", thing_exists, &names, &n, &err) == 0 && n == 2 &&
		   !strcmp(names[0], "alpha") && !strcmp(names[1], "zeta") && !names[2],
	   "listed: the objects only, sorted");
	strv_free(names);
	fd = named_lock(s, "things", NULL, &err);
	ok(fd >= 0 && !there("things/.tmp-0123") && !there("things/.rm-4567"),
	   "the lock sweeps .tmp- and .rm- leftovers");
	ok(there("things/alpha") && there("things/empty"), "  and nothing else");
	close(fd);
	berth_error_clear(&err);
}

static int removed_by;

static int counting_remover(int dirfd, const char *entry, struct berth_error *err)
{
	removed_by++;
	ok(str_has_prefix(entry, ".rm-") && strlen(entry) == 4 + 24,
	   "  the remover gets the hidden name");
	return rm_rf_at(dirfd, entry, err);
}

static void removal(void)
{
	struct berth_error err = { 0 };
	char **names = NULL;
	size_t n = 0;

	ok(named_remove(s, "things", "alpha", "thing alpha", counting_remover, &err) == 0 &&
		   removed_by == 1 && !there("things/alpha"),
	   "named_remove: gone, through the remover");
	ok(named_list(s, "things", thing_exists, &names, &n, &err) == 0 && n == 1, "  one left");
	strv_free(names);
	ok(named_remove(s, "things", "nothing", "thing nothing", NULL, &err) < 0 &&
		   err.errnum == ENOENT && err.msg && !strcmp(err.msg, "removing thing nothing"),
	   "a missing one: \"removing thing nothing\"");
	berth_error_clear(&err);
	ok(named_remove(s, "nokind", "x", "x", NULL, &err) < 0 && err.errnum == ENOENT && err.msg,
	   "a missing folder: an error, not a silent -1");
	berth_error_clear(&err);
}

static void bits(void)
{
	struct berth_error err = { 0 };
	char a[65], b[65], odd[26];

	ok(named_random_hex(a, 64, &err) == 0 && strlen(a) == 64 &&
		   strspn(a, "0123456789abcdef") == 64,
	   "64 random hex digits");
	ok(named_random_hex(b, 64, &err) == 0 && strcmp(a, b), "  not twice the same");
	ok(named_random_hex(odd, 25, &err) == 0 && strlen(odd) == 25 &&
		   strspn(odd, "0123456789abcdef") == 25,
	   "an odd count (a secret's ID)");
	ok(named_random_hex(a, 65, &err) < 0, "more than 64: refused");
	berth_error_clear(&err);

	char *labels[] = { "a=1", "b", "c=x=y", NULL };
	_cleanup_json_ struct json_object *l = named_labels(labels, 3);
	is_str(json_get_string(l, "a"), "1", "label a=1");
	is_str(json_get_string(l, "b"), "", "label b: empty");
	is_str(json_get_string(l, "c"), "x=y", "label c=x=y: the first = splits");

	char when[32];
	named_now(when, sizeof(when));
	ok(strlen(when) == 20 && when[4] == '-' && when[10] == 'T' && when[19] == 'Z',
	   "the time as records write it: %s", when);
}

int main(void)
{
	char tmpl[] = "/tmp/test-named-XXXXXX";
	char *root = mkdtemp(tmpl);
	struct berth_error err = { 0 };

	if (!root || store_open(root, &s, &err) < 0)
		die("store %s: %s", root ? root : "mkdtemp", err.msg);
	lock_and_list();
	removal();
	bits();
	return scratch_store_done(s, root);
}
