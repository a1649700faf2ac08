// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * check.c: the volumes' part of `berth system check`. A volume is
 * volumes/NAME/ with _data/ and volume.json (volume.c); what a killed
 * volume command left is a ".tmp-" or ".rm-" entry, which the next lock
 * of the folder sweeps (named.c). Repairs keep the data: a record that
 * cannot be read is written anew (the volume's name and the folder's
 * time; its labels are lost, and it counts as a named volume, so no `rm
 * -v` takes it by surprise), the old one kept in quarantine/; an entry
 * that is no volume is moved to quarantine/.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "named.h"
#include "volume.h"
#include "../lib/json.h"
#include "../lib/util.h"

static bool any_entry(struct store *s, const char *name)
{
	(void)s;
	(void)name;
	return true;
}

/* Is the folder's lock free, so that its hidden entries are a killed
 * command's and not a running one's? */
static bool folder_idle(int vd)
{
	_cleanup_close_ int fd = openat(vd, ".lock", O_RDWR | O_NOFOLLOW | O_CLOEXEC);

	return fd < 0 || flock(fd, LOCK_EX | LOCK_NB) == 0;
}

static void check_leftovers(struct store *s, int vd, struct check_report *r)
{
	_cleanup_close_ int fd = openat(vd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	_cleanup_closedir_ DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	struct dirent *de;
	size_t first = r->n;

	if (!d || !folder_idle(vd))
		return;
	fd = -1;
	while ((de = readdir(d)))
		if (str_has_prefix(de->d_name, ".tmp-") || str_has_prefix(de->d_name, ".rm-"))
			check_found(r, "remove it", "volumes/%s: left by a killed volume command",
				    de->d_name);
	if (!r->opts.repair || r->n == first)
		return;
	/* the folder's lock sweeps them, with volume.c's own remover */
	struct berth_error err = { 0 };
	int lfd = volume_lock(s, &err);
	for (size_t i = first; i < r->n; i++) {
		struct berth_error copy = { 0 };
		if (lfd < 0)
			berth_error_set(&copy, err.errnum, "%s", err.msg);
		check_settle(&r->v[i], lfd < 0 ? -1 : 0, "removed", &copy);
	}
	berth_error_clear(&err);
	if (lfd >= 0)
		close(lfd);
}

static char *record_text(const char *name, time_t when)
{
	_cleanup_json_ struct json_object *o = json_object_new_object();
	char buf[32];
	struct tm tm;

	gmtime_r(&when, &tm);
	strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
	json_object_object_add(o, "Name", json_object_new_string(name));
	json_object_object_add(o, "CreatedAt", json_object_new_string(buf));
	json_object_object_add(o, "Labels", json_object_new_object());
	json_object_object_add(o, "Anonymous", json_object_new_boolean(false));
	return xasprintf("%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY));
}

/* volume.json of name written anew; the damaged one kept. */
static int rewrite_record(struct store *s, int vd, const char *name, char **moved,
			  struct berth_error *err)
{
	_cleanup_free_ char *rec = xasprintf("volumes/%s/volume.json", name), *text = NULL;
	_cleanup_close_ int fd = openat(vd, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	struct stat st;

	if (fd < 0 || fstat(fd, &st) < 0)
		return berth_error_set(err, errno, "%s/volumes/%s", s->root, name);
	if (faccessat(s->rootfd, rec, F_OK, AT_SYMLINK_NOFOLLOW) == 0 &&
	    check_quarantine(s, rec, moved, err) < 0)
		return -1;
	text = record_text(name, st.st_mtime);
	return write_file_replace_nosync(fd, "volume.json", text, strlen(text), 0600, err);
}

static void check_volume(struct store *s, int vd, const char *name, struct check_report *r)
{
	_cleanup_free_ char *data = xasprintf("volumes/%s/_data", name);
	struct berth_error err = { 0 };
	struct check_problem *p;
	struct json_object *o;
	struct stat st;

	if (!volume_name_valid(name)) {
		_cleanup_free_ char *path = xasprintf("volumes/%s", name), *dest = NULL;
		p = check_found(r, "move it to quarantine/", "%s: not a volume (no valid name)",
				path);
		if (r->opts.repair) {
			int rc = check_quarantine(s, path, &dest, &err);
			_cleanup_free_ char *done = rc == 0 ? xasprintf("moved to %s", dest) : NULL;
			check_settle(p, rc, done, &err);
		}
		return;
	}
	if (fstatat(s->rootfd, data, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISDIR(st.st_mode)) {
		p = check_found(r, "make an empty _data (what it held is gone already)",
				"volume %s: its data directory _data is missing", name);
		if (r->opts.repair) {
			int rc = mkdirat(s->rootfd, data, 0755) < 0
					 ? berth_error_set(&err, errno, "%s/%s", s->root, data)
					 : 0;
			check_settle(p, rc, "made an empty _data", &err);
		}
	}
	if ((o = volume_inspect(s, name, &err))) {
		json_object_put(o);
		return;
	}
	_cleanup_free_ char *why = berth_error_text(&err), *moved = NULL;
	berth_error_clear(&err);
	p = check_found(r,
			"write it anew (its name and time; its labels are lost; the old one "
			"to quarantine/)",
			"volume %s: its record is unreadable: %s", name, why);
	if (r->opts.repair) {
		int rc = rewrite_record(s, vd, name, &moved, &err);
		_cleanup_free_ char *done =
			rc == 0 ? xasprintf("written anew%s%s", moved ? "; the old one is " : "",
					    moved ? moved : "")
				: NULL;
		check_settle(p, rc, done, &err);
	}
}

void volumes_check(struct store *s, struct check_report *r)
{
	struct berth_error err = { 0 };
	_cleanup_close_ int vd = named_dir(s, "volumes", false, &err);
	char **names = NULL;
	size_t n = 0;

	if (vd < 0) {
		if (err.msg)
			check_manual(r, "check the folder's owner and mode", "%s",
				     err.msg ? err.msg : "volumes");
		berth_error_clear(&err);
		return;
	}
	check_leftovers(s, vd, r);
	if (named_list(s, "volumes", any_entry, &names, &n, &err) < 0) {
		berth_error_clear(&err);
		return;
	}
	for (size_t i = 0; i < n; i++)
		check_volume(s, vd, names[i], r);
	strv_free(names);
}
