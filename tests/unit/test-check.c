// SPDX-License-Identifier: GPL-2.0-or-later
/* Unit tests: `berth system check`'s image-store part (image/check.c):
 * the names still legible in a damaged refs.json, the problem lines, and
 * on a store made here: a damaged refs.json found and rebuilt (the old
 * one kept in quarantine/), a dead command's stage and a cut-off write
 * found and removed, and a second check clean. And refs.json's damage
 * as the commands see it: a name fails naming the fix, an ID does not. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../image/check.h"
#include "../../image/image.h"
#include "../../lib/json.h"
#include "../../lib/util.h"
#include "../tap.h"

#define ID_A "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define HEX_A "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define ID_B "sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"

static void salvage(const char *text, struct json_object **o, char ***lost)
{
	refs_salvage(text, strlen(text), o, lost);
}

static void test_salvage(void)
{
	struct json_object *o;
	char **lost;

	salvage("{\n  \"localhost/a:1\": \"" ID_A "\",\n  \"localhost/b:1\": \"sha256:bbbb", &o,
		&lost);
	is_str(json_get_string(o, "localhost/a:1"), ID_A, "truncated: the whole entry is kept");
	is_int(json_object_object_length(o), 1, "truncated: only it");
	ok(lost[0] && !strcmp(lost[0], "localhost/b:1") && !lost[1],
	   "truncated: the name whose ID is cut off is listed");
	json_object_put(o);
	strv_free(lost);

	salvage("\x01garbage \"localhost/a:1\":\"" ID_A
		"\" ]] \"docker.io/library/b:latest\" : \"" ID_B "\"",
		&o, &lost);
	is_int(json_object_object_length(o), 2, "garbage around pairs: both found");
	ok(!lost[0], "  and nothing lost");
	json_object_put(o);
	strv_free(lost);

	salvage("[\"localhost/a:1\", \"" ID_A "\"] {\"b\": \"" ID_B "\", \"x\\\"y:1\": \"" ID_A
		"\"}",
		&o, &lost);
	is_int(json_object_object_length(o), 0,
	       "a list, a name not normalised, an escaped key: nothing taken");
	json_object_put(o);
	strv_free(lost);

	salvage("", &o, &lost);
	ok(json_object_object_length(o) == 0 && !lost[0], "empty: nothing");
	json_object_put(o);
	strv_free(lost);
}

static void test_lines(void)
{
	struct check_report r = { 0 };
	struct berth_error err = { 0 };
	char *l;

	check_found(&r, "remove it", "tmp/%s: left", "stage-1");
	l = check_line(&r.v[0]);
	is_str(l, "tmp/stage-1: left (--repair: remove it)", "a problem found, with the repair");
	free(l);
	check_settle(&r.v[0], 0, "removed", &err);
	l = check_line(&r.v[0]);
	is_str(l, "tmp/stage-1: left: repaired: removed", "repaired");
	free(l);
	check_found(&r, "x", "y");
	berth_error_set(&err, EACCES, "tmp/y");
	check_settle(&r.v[1], -1, NULL, &err);
	l = check_line(&r.v[1]);
	is_str(l, "y: repair failed: tmp/y: Permission denied", "a failed repair says why");
	free(l);
	ok(!err.msg, "  and clears the error");
	check_manual(&r, "berth rm removes it", "container z: its image is gone");
	l = check_line(&r.v[2]);
	is_str(l, "container z: its image is gone (not repaired: berth rm removes it)",
	       "left to the user");
	free(l);
	is_int(check_left(&r), 2, "two are left");
	check_report_clear(&r);
}

static bool has_line(struct check_report *r, const char *what, enum check_state state)
{
	for (size_t i = 0; i < r->n; i++)
		if (strstr(r->v[i].what, what) && r->v[i].state == state)
			return true;
	return false;
}

static void put(int dirfd, const char *path, const char *text)
{
	struct berth_error err = { 0 };
	if (write_file_atomic(dirfd, path, text, strlen(text), 0644, &err) < 0)
		berth_error_clear(&err);
}

static void test_store(void)
{
	char root[] = "/tmp/berth-test-check.XXXXXX";
	struct berth_error err = { 0 };
	struct check_report r = { .opts = { .repair = false } };
	struct json_object *refs = NULL;
	struct store *s = NULL;
	char id[DIGEST_STR_LEN + 1], *buf = NULL;

	if (!mkdtemp(root) || store_open_as_is(root, &s, &err) < 0) {
		ok(0, "a store: %s", err.msg ? err.msg : strerror(errno));
		return;
	}
	put(s->rootfd, "refs.json", "{\"localhost/a:1\": \"" ID_A "\", \"localhost/b:");
	mkdirat(s->rootfd, "tmp/stage-dead", 0700);
	/* a pid above any pid_max: its writer is surely gone */
	put(s->rootfd, "refs.json.tmp-2147483640", "{");
	/* the build's folder: an entry, a cache mount, a cut-off entry */
	mkdirat(s->rootfd, "builder", 0755);
	mkdirat(s->rootfd, "builder/cache", 0755);
	mkdirat(s->rootfd, "builder/mounts", 0755);
	mkdirat(s->rootfd, "builder/mounts/npm", 0755);
	put(s->rootfd, "builder/cache/" HEX_A, ID_A "\nkey");
	put(s->rootfd, "builder/cache/" HEX_A ".tmp-2147483641", ID_A);

	ok(refs_read_checked(s, &refs, &err) < 0 && refs && json_object_object_length(refs) == 0,
	   "refs_read_checked: damaged refs.json reads as no names");
	ok(err.msg && strstr(err.msg, "refs.json: invalid JSON (truncated)") &&
		   strstr(err.msg, "berth system check --repair"),
	   "  with the damage and its fix: %s", err.msg);
	berth_error_clear(&err);
	json_object_put(refs);
	ok(image_resolve(s, "localhost/a:1", id, &err) < 0 && err.msg &&
		   strstr(err.msg, "refs.json") && strstr(err.msg, "system check --repair"),
	   "a name fails naming refs.json and the fix");
	berth_error_clear(&err);

	image_store_check(s, &r, &err);
	ok(has_line(&r, "refs.json: invalid JSON (truncated)", CHECK_FOUND),
	   "check: the damaged refs.json is named");
	ok(r.n && strstr(r.v[r.n - 1].plan, "lost: localhost/a:1 (its image"),
	   "  its plan lists the names it cannot keep: %s", r.n ? r.v[r.n - 1].plan : "");
	ok(has_line(&r, "tmp/stage-dead: a staging area left", CHECK_FOUND),
	   "check: a dead command's stage is named");
	ok(has_line(&r, "refs.json.tmp-2147483640: a write cut off", CHECK_FOUND),
	   "check: a cut-off write is named");
	ok(has_line(&r, "builder/cache/" HEX_A ".tmp-2147483641: a write cut off", CHECK_FOUND),
	   "check: a cut-off write of a build cache entry is named");
	ok(!has_line(&r, "builder/cache/" HEX_A ":", CHECK_FOUND) &&
		   !has_line(&r, "builder/mounts", CHECK_FOUND),
	   "check: the build cache's entry and mount are no problem");
	ok(faccessat(s->rootfd, "tmp/stage-dead", F_OK, 0) == 0, "check alone changes nothing");
	check_report_clear(&r);

	r.opts.repair = true;
	image_store_check(s, &r, &err);
	is_int(check_left(&r), 0, "repair: every problem repaired");
	ok(read_file_at(s->rootfd, "refs.json", 4096, &buf, NULL, &err) == 0 && strstr(buf, "{") &&
		   !strstr(buf, "localhost"),
	   "repair: refs.json rebuilt (no image: no name)");
	free(buf);
	berth_error_clear(&err);
	ok(faccessat(s->rootfd, "quarantine/refs.json", F_OK, 0) == 0,
	   "repair: the damaged refs.json is kept in quarantine/");
	ok(faccessat(s->rootfd, "tmp/stage-dead", F_OK, 0) < 0 &&
		   faccessat(s->rootfd, "refs.json.tmp-2147483640", F_OK, 0) < 0,
	   "repair: the stage and the cut-off write are gone");
	ok(faccessat(s->rootfd, "builder/cache/" HEX_A ".tmp-2147483641", F_OK, 0) < 0 &&
		   faccessat(s->rootfd, "builder/cache/" HEX_A, F_OK, 0) == 0 &&
		   faccessat(s->rootfd, "builder/mounts/npm", F_OK, 0) == 0,
	   "repair: the cut-off entry gone, the entry and the mount kept");
	check_report_clear(&r);

	r.opts.repair = false;
	image_store_check(s, &r, &err);
	is_int(r.n, 0, "a second check finds nothing");
	check_report_clear(&r);

	rm_rf_at(AT_FDCWD, root, &err);
	berth_error_clear(&err);
	store_free(s);
}

int main(void)
{
	test_salvage();
	test_lines();
	test_store();
	return tap_done();
}
