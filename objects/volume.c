// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * volume.c: volumes in the store. Each is volumes/NAME/ with _data/ (what
 * containers see), volume.json (when, labels, anonymous or named) and,
 * until its first mount, the copy marker "needs-copy": a new volume takes
 * the image's content at its mount point once (docker's rule; rootfs.c
 * does the copy). Anonymous volumes are named by 64 random hex digits.
 *
 * A volume is in use while a container's config.json names it, whatever
 * the container's state; which containers those are is runner/users.c's
 * to know (this file never reads the container list). volume_lock()
 * orders creating containers against removing volumes: the remover asks
 * for the users and removes under it, so a volume never goes while a
 * container is being made with it. What a container wrote as any of its
 * ids is removed in the user's user namespace (userns_run).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../lib/json.h"
#include "../lib/syscalls.h"
#include "../lib/userns.h"
#include "../lib/util.h"
#include "named.h"
#include "volume.h"

bool volume_name_valid(const char *name)
{
	size_t n = strlen(name);

	if (n < 2 || n > 128)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = name[i];
		bool alnum =
			(c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
		if (!alnum && (i == 0 || (c != '_' && c != '.' && c != '-')))
			return false;
	}
	return true;
}

struct rm_arg {
	int dirfd;
	const char *name;
};

static int rm_in_userns(void *arg, struct berth_error *err)
{
	struct rm_arg *a = arg;
	return rm_rf_at(a->dirfd, a->name, err);
}

/* Remove name (a directory out of sight, .rm- or .tmp-) below the volumes
 * directory. Most volumes hold only the user's own files: no namespace is
 * needed (that costs a fork and the two setuid helpers); what a container
 * wrote under its other ids is refused here and goes in the user's
 * namespace. */
static int remove_hidden(int vd, const char *name, struct berth_error *err)
{
	struct berth_error e = { 0 };
	struct rm_arg a = { vd, name };

	if (rm_rf_at(vd, name, &e) == 0)
		return 0;
	bool foreign = e.errnum == EPERM || e.errnum == EACCES;
	berth_error_clear(&e);
	return foreign ? userns_run(rm_in_userns, &a, err) : rm_rf_at(vd, name, err);
}

int volume_lock(struct store *s, struct berth_error *err)
{
	/* what a killed command left may hold a container's other ids */
	return named_lock(s, "volumes", remove_hidden, err);
}

bool volume_exists(struct store *s, const char *name)
{
	_cleanup_free_ char *p = xasprintf("volumes/%s/_data", name);
	struct stat st;

	return volume_name_valid(name) && strlen(name) <= 128 &&
	       fstatat(s->rootfd, p, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode);
}

char *volume_data_path(struct store *s, const char *name)
{
	return xasprintf("%s/volumes/%s/_data", s->root, name);
}

char *volume_copy_marker(struct store *s, const char *name)
{
	return xasprintf("%s/volumes/%s/needs-copy", s->root, name);
}

static char *volume_json(const char *name, bool anonymous, char **labels, size_t n_labels)
{
	_cleanup_json_ struct json_object *o = json_object_new_object();
	char when[32];

	named_now(when, sizeof(when));
	json_object_object_add(o, "Name", json_object_new_string(name));
	json_object_object_add(o, "CreatedAt", json_object_new_string(when));
	json_object_object_add(o, "Labels", named_labels(labels, n_labels));
	json_object_object_add(o, "Anonymous", json_object_new_boolean(anonymous));
	return xasprintf("%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY));
}

/* Build it under a temporary name and rename it into place: a volume is
 * there whole or not at all. */
static int volume_make(struct store *s, int vd, const char *name, bool anonymous, char **labels,
		       size_t n_labels, bool *created, struct berth_error *err)
{
	char rnd[25], tmp[32];
	_cleanup_free_ char *js = volume_json(name, anonymous, labels, n_labels);
	_cleanup_close_ int td = -1, mk = -1;

	if (named_random_hex(rnd, 24, err) < 0)
		return -1;
	snprintf(tmp, sizeof(tmp), ".tmp-%s", rnd);
	if (mkdirat(vd, tmp, 0700) < 0)
		return berth_error_set(err, errno, "%s/volumes/%s", s->root, tmp);
	td = openat(vd, tmp, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	/* _data is 0755 like docker's: the container's users read it */
	if (td < 0 || mkdirat(td, "_data", 0755) < 0 ||
	    write_file_replace_nosync(td, "volume.json", js, strlen(js), 0600, err) < 0 ||
	    (mk = openat(td, "needs-copy", O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0600)) < 0) {
		if (!err->msg)
			berth_error_set(err, errno, "creating volume %s", name);
		goto undo;
	}
	if (renameat2(vd, tmp, vd, name, RENAME_NOREPLACE) == 0) {
		*created = true;
		return 0;
	}
	if (errno == EEXIST) { /* made meanwhile: the same volume */
		*created = false;
		struct berth_error e = { 0 };
		rm_rf_at(vd, tmp, &e);
		berth_error_clear(&e);
		return 0;
	}
	berth_error_set(err, errno, "creating volume %s", name);
undo:;
	struct berth_error e = { 0 };
	rm_rf_at(vd, tmp, &e);
	berth_error_clear(&e);
	return -1;
}

int volume_ensure(struct store *s, const char *name, char **labels, size_t n_labels, bool anonymous,
		  char **name_out, bool *created, struct berth_error *err)
{
	_cleanup_close_ int vd = named_dir(s, "volumes", true, err);
	char rnd[65];

	*created = false;
	if (vd < 0)
		return -1;
	if (!name) {
		if (named_random_hex(rnd, 64, err) < 0)
			return -1;
		name = rnd;
	} else if (!volume_name_valid(name)) {
		return berth_error_set(err, EINVAL,
				       "volume name \"%s\": expected [a-zA-Z0-9][a-zA-Z0-9_.-]+",
				       name);
	}
	if (!volume_exists(s, name) &&
	    volume_make(s, vd, name, anonymous, labels, n_labels, created, err) < 0)
		return -1;
	*name_out = xstrdup(name);
	return 0;
}

int volume_list(struct store *s, char ***names, size_t *n, struct berth_error *err)
{
	return named_list(s, "volumes", volume_exists, names, n, err);
}

static struct json_object *volume_record(struct store *s, const char *name, struct berth_error *err)
{
	_cleanup_free_ char *p = xasprintf("volumes/%s/volume.json", name), *buf = NULL;
	struct json_object *o = NULL;

	if (!volume_exists(s, name))
		return berth_error_set(err, ENOENT, "volume \"%s\": no such volume", name), NULL;
	if (read_file_at(s->rootfd, p, 1 << 16, &buf, NULL, err) < 0 ||
	    json_parse_bounded(buf, strlen(buf), p, &o, err) < 0)
		return NULL;
	return o;
}

bool volume_is_anonymous(struct store *s, const char *name)
{
	struct berth_error e = { 0 };
	_cleanup_json_ struct json_object *o = volume_record(s, name, &e);
	struct json_object *v;

	berth_error_clear(&e);
	return o && json_object_object_get_ex(o, "Anonymous", &v) && json_object_get_boolean(v);
}

struct json_object *volume_inspect(struct store *s, const char *name, struct berth_error *err)
{
	struct json_object *o = volume_record(s, name, err), *l;
	_cleanup_free_ char *mp = volume_data_path(s, name);

	if (!o)
		return NULL;
	json_object_object_add(o, "Driver", json_object_new_string("local"));
	json_object_object_add(o, "Mountpoint", json_object_new_string(mp));
	json_object_object_add(o, "Scope", json_object_new_string("local"));
	if (!json_object_object_get_ex(o, "Labels", &l))
		json_object_object_add(o, "Labels", json_object_new_object());
	return o;
}

int volume_remove(struct store *s, const char *name, struct berth_error *err)
{
	_cleanup_free_ char *what = xasprintf("volume %s", name);

	/* out of sight first: a half-removed volume is never mounted */
	return named_remove_existing(s, "volume", name, volume_exists(s, name), what, remove_hidden,
				     err);
}
