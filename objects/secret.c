// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * secret.c: the secret store. Each secret is a directory secrets/NAME/
 * (0700) holding data (0600, the value) and meta.json (Name, ID,
 * CreatedAt, Driver). A secret appears and disappears by one rename, so a
 * reader sees all of it or none: create stages secrets/.tmp-XXXXXX and
 * renames it into place with RENAME_NOREPLACE; remove renames it to
 * secrets/.rm-XXXXXX before deleting. Leftovers of a killed command start
 * with a dot (never a valid name) and are swept by the next create or
 * remove, under the exclusive store lock.
 *
 * Nothing here prints, logs or puts a value into an error message.
 * Passing secrets into containers is run's job, not this file's.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../lib/json.h"
#include "../lib/util.h"
#include "named.h"
#include "secret.h"

#define SECRET_NAME_MAX 64
#define SECRET_ID_LEN 25 /* podman's length */
#define SECRET_META_MAX (64 * 1024)

bool secret_name_valid(const char *name)
{
	size_t n;

	if (!name || !((name[0] >= 'a' && name[0] <= 'z') || (name[0] >= 'A' && name[0] <= 'Z') ||
		       (name[0] >= '0' && name[0] <= '9')))
		return false;
	n = strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-");
	return name[n] == '\0' && n <= SECRET_NAME_MAX;
}

static int check_name(const char *name, struct berth_error *err)
{
	if (secret_name_valid(name))
		return 0;
	return berth_error_set(err, EINVAL, "secret name \"%s\": invalid: use " SECRET_NAME_RULE,
			       name ? name : "");
}

/*
 * The store lock for one operation: taken only if the caller does not
 * already hold one strong enough, and given back as it was on every
 * return (a cleanup attribute), so run can call in while holding the
 * lock, or not, and `secret` verbs can hold it across several calls.
 */
struct secret_lock {
	struct store *s;
	int prev;
};

static void secret_lock_release(struct secret_lock *l)
{
	struct berth_error ignore = { 0 };

	if (!l->s || l->s->locked == l->prev)
		return;
	if (l->prev == 0)
		store_unlock(l->s);
	else
		store_lock(l->s, l->prev, &ignore);
	berth_error_clear(&ignore);
}
#define _cleanup_secret_lock_ _cleanup_(secret_lock_release)

static int secret_lock(struct store *s, int mode, struct secret_lock *l, struct berth_error *err)
{
	l->s = s;
	l->prev = s->locked;
	if (s->locked == LOCK_EX || s->locked == mode)
		return 0;
	return store_lock(s, mode, err);
}

/* secrets/, created 0700 when asked (store_open does not know it). */
static int secrets_dir(struct store *s, bool create, struct berth_error *err)
{
	int fd;
	struct stat st;

	if (create && mkdirat(s->rootfd, "secrets", 0700) < 0 && errno != EEXIST)
		return berth_error_set(err, errno, "store %s: mkdir secrets", s->root);
	fd = openat(s->rootfd, "secrets", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return berth_error_set(err, errno, "store %s: secrets", s->root);
	/* the values are readable by whoever can enter it: keep it private */
	if (fstat(fd, &st) == 0 && (st.st_mode & 077))
		fchmod(fd, 0700);
	return fd;
}

static int no_such_secret(const char *name, struct berth_error *err)
{
	return berth_error_set(err, ENOENT, "secret \"%s\": no such secret", name);
}

/* Open secrets/NAME as a directory, ENOENT "no such secret" if absent. */
static int secret_dir_open(struct store *s, const char *name, struct berth_error *err)
{
	_cleanup_close_ int sfd = -1;
	int fd;

	if (check_name(name, err) < 0)
		return -1;
	sfd = openat(s->rootfd, "secrets", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (sfd < 0 && errno == ENOENT)
		return no_such_secret(name, err);
	if (sfd < 0)
		return berth_error_set(err, errno, "store %s: secrets", s->root);
	fd = openat(sfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 && (errno == ENOENT || errno == ENOTDIR || errno == ELOOP))
		return no_such_secret(name, err);
	if (fd < 0)
		return berth_error_set(err, errno, "secret \"%s\"", name);
	return fd;
}

/* Make sfd/PREFIXxxxxxx (0700) and put its name in out. */
static int mkdir_unique(int sfd, const char *prefix, char *out, size_t len, struct berth_error *err)
{
	for (int i = 0; i < 100; i++) {
		char rnd[7];
		if (named_random_hex(rnd, 6, err) < 0)
			return -1;
		snprintf(out, len, "%s%s", prefix, rnd);
		if (mkdirat(sfd, out, 0700) == 0)
			return 0;
		if (errno != EEXIST)
			return berth_error_set(err, errno, "secrets: mkdir %s", out);
	}
	return berth_error_set(err, EEXIST, "secrets: no free staging name");
}

/* Unique name for sfd/PREFIXxxxxxx that does not exist yet. */
static int unique_name(int sfd, const char *prefix, char *out, size_t len, struct berth_error *err)
{
	struct stat st;

	for (int i = 0; i < 100; i++) {
		char rnd[7];
		if (named_random_hex(rnd, 6, err) < 0)
			return -1;
		snprintf(out, len, "%s%s", prefix, rnd);
		if (fstatat(sfd, out, &st, AT_SYMLINK_NOFOLLOW) < 0 && errno == ENOENT)
			return 0;
	}
	return berth_error_set(err, EEXIST, "secrets: no free name");
}

/* A new file with exactly mode 0600 (whatever the umask), fsync'd. */
static int write_new_file(int dirfd, const char *file, const void *data, size_t len,
			  struct berth_error *err)
{
	_cleanup_close_ int fd =
		openat(dirfd, file, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);

	if (fd < 0)
		return berth_error_set(err, errno, "create %s", file);
	if (fchmod(fd, 0600) < 0 || write_all(fd, data, len) < 0 || fsync(fd) < 0)
		return berth_error_set(err, errno, "write %s", file);
	return 0;
}

static char *meta_json(const char *name, const char *id)
{
	_cleanup_json_ struct json_object *o = json_object_new_object();
	char when[32];
	struct tm tm;
	time_t now = time(NULL);

	gmtime_r(&now, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	json_object_object_add(o, "Name", json_object_new_string(name));
	json_object_object_add(o, "ID", json_object_new_string(id));
	json_object_object_add(o, "CreatedAt", json_object_new_string(when));
	json_object_object_add(o, "Driver", json_object_new_string("file"));
	return xstrdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
}

/* Fill the staging dir: data, meta.json, both synced, then the dir. */
static int stage_fill(int stfd, const char *name, const void *data, size_t len,
		      struct berth_error *err)
{
	char id[SECRET_ID_LEN + 1];
	_cleanup_free_ char *meta = NULL;

	if (named_random_hex(id, SECRET_ID_LEN, err) < 0)
		return -1;
	meta = meta_json(name, id);
	if (fchmod(stfd, 0700) < 0)
		return berth_error_set(err, errno, "chmod");
	if (write_new_file(stfd, "data", data, len, err) < 0 ||
	    write_new_file(stfd, "meta.json", meta, strlen(meta), err) < 0)
		return -1;
	if (fsync(stfd) < 0)
		return berth_error_set(err, errno, "fsync");
	return 0;
}

int secret_create(struct store *s, const char *name, const void *data, size_t len,
		  struct berth_error *err)
{
	_cleanup_secret_lock_ struct secret_lock lock = { 0 };
	_cleanup_close_ int sfd = -1, stfd = -1;
	struct berth_error ignore = { 0 };
	char stage[32];
	struct stat st;

	if (check_name(name, err) < 0)
		return -1;
	if (len == 0)
		return berth_error_set(err, EINVAL, "secret \"%s\": the value is empty", name);
	if (len > SECRET_MAX_SIZE)
		return berth_error_set(err, EFBIG, "secret \"%s\": larger than %d KiB", name,
				       SECRET_MAX_SIZE / 1024);
	if (secret_lock(s, LOCK_EX, &lock, err) < 0 || (sfd = secrets_dir(s, true, err)) < 0)
		return -1;
	/* what killed creates and removes left: under the exclusive store
	 * lock, no other create or remove is between its mkdir and rename */
	named_sweep(sfd, NULL);
	/* the rename below decides; this only saves staging a doomed copy */
	if (fstatat(sfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0)
		return berth_error_set(err, EEXIST, "secret \"%s\": already exists", name);
	if (mkdir_unique(sfd, ".tmp-", stage, sizeof(stage), err) < 0)
		return berth_error_wrap(err, "secret \"%s\"", name);
	stfd = openat(sfd, stage, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (stfd < 0)
		berth_error_set(err, errno, "open %s", stage);
	if (stfd < 0 || stage_fill(stfd, name, data, len, err) < 0)
		goto fail;
	if (renameat2(sfd, stage, sfd, name, RENAME_NOREPLACE) < 0) {
		if (errno == EEXIST)
			berth_error_set(err, EEXIST, "already exists");
		else
			berth_error_set(err, errno, "rename into place");
		goto fail;
	}
	/* best effort: the secret is in place, and failing now would say
	 * it was not (a lost rename after a crash is a missing secret) */
	fsync(sfd);
	return 0;
fail:
	rm_rf_at(sfd, stage, &ignore);
	berth_error_clear(&ignore);
	return berth_error_wrap(err, "secret \"%s\"", name);
}

bool secret_exists(struct store *s, const char *name)
{
	_cleanup_close_ int sfd = -1;
	struct stat st;

	if (!secret_name_valid(name))
		return false;
	sfd = openat(s->rootfd, "secrets", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	return sfd >= 0 && fstatat(sfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode);
}

int secret_read(struct store *s, const char *name, char **data, size_t *len,
		struct berth_error *err)
{
	_cleanup_secret_lock_ struct secret_lock lock = { 0 };
	_cleanup_close_ int dfd = -1;

	if (secret_lock(s, LOCK_SH, &lock, err) < 0 || (dfd = secret_dir_open(s, name, err)) < 0)
		return -1;
	if (read_file_at(dfd, "data", SECRET_MAX_SIZE, data, len, err) < 0)
		return berth_error_wrap(err, "secret \"%s\"", name);
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int secret_list(struct store *s, char ***names, size_t *n, struct berth_error *err)
{
	_cleanup_secret_lock_ struct secret_lock lock = { 0 };
	_cleanup_close_ int sfd = -1;
	_cleanup_closedir_ DIR *d = NULL;
	struct dirent *de;
	char **v = xcalloc(1, sizeof(*v));
	size_t k = 0;

	if (secret_lock(s, LOCK_SH, &lock, err) < 0)
		goto fail;
	sfd = openat(s->rootfd, "secrets", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (sfd < 0 && errno != ENOENT) {
		berth_error_set(err, errno, "store %s: secrets", s->root);
		goto fail;
	}
	if (sfd >= 0 && !(d = fdopendir(steal_fd(&sfd)))) {
		berth_error_set(err, errno, "store %s: secrets", s->root);
		goto fail;
	}
	while (d && (de = readdir(d))) {
		struct stat st;
		/* staging and removal leftovers start with a dot */
		if (!secret_name_valid(de->d_name) ||
		    fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
		    !S_ISDIR(st.st_mode))
			continue;
		strv_push(&v, &k, de->d_name);
	}
	qsort(v, k, sizeof(*v), cmp_str);
	*names = v;
	*n = k;
	return 0;
fail:
	strv_free(v);
	return -1;
}

struct json_object *secret_inspect(struct store *s, const char *name, struct berth_error *err)
{
	_cleanup_secret_lock_ struct secret_lock lock = { 0 };
	_cleanup_close_ int dfd = -1;
	_cleanup_free_ char *buf = NULL;
	_cleanup_json_ struct json_object *meta = NULL;
	struct json_object *o;
	static const char *const keys[] = { "Name", "ID", "CreatedAt", "Driver" };
	size_t len;

	if (secret_lock(s, LOCK_SH, &lock, err) < 0 || (dfd = secret_dir_open(s, name, err)) < 0)
		return NULL;
	if (read_file_at(dfd, "meta.json", SECRET_META_MAX, &buf, &len, err) < 0 ||
	    json_parse_bounded(buf, len, "meta.json", &meta, err) < 0) {
		berth_error_wrap(err, "secret \"%s\"", name);
		return NULL;
	}
	/* copy the known keys only: whatever else the file holds stays */
	o = json_object_new_object();
	for (size_t i = 0; i < ARRAY_SIZE(keys); i++) {
		const char *v = json_get_string(meta, keys[i]);
		if (!v) {
			json_object_put(o);
			berth_error_set(err, 0, "secret \"%s\": meta.json: no \"%s\"", name,
					keys[i]);
			return NULL;
		}
		json_object_object_add(o, keys[i], json_object_new_string(v));
	}
	return o;
}

int secret_remove(struct store *s, const char *name, struct berth_error *err)
{
	_cleanup_secret_lock_ struct secret_lock lock = { 0 };
	_cleanup_close_ int sfd = -1;
	char gone[32];

	if (check_name(name, err) < 0)
		return -1;
	if (secret_lock(s, LOCK_EX, &lock, err) < 0)
		return -1;
	sfd = openat(s->rootfd, "secrets", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (sfd < 0)
		return errno == ENOENT ? no_such_secret(name, err)
				       : berth_error_set(err, errno, "store %s: secrets", s->root);
	named_sweep(sfd, NULL);
	/* one rename makes it vanish whole; the deletion may then take its time */
	if (unique_name(sfd, ".rm-", gone, sizeof(gone), err) < 0)
		return berth_error_wrap(err, "secret \"%s\"", name);
	if (renameat2(sfd, name, sfd, gone, RENAME_NOREPLACE) < 0)
		return errno == ENOENT ? no_such_secret(name, err)
				       : berth_error_set(err, errno, "secret \"%s\": remove", name);
	if (rm_rf_at(sfd, gone, err) < 0)
		return berth_error_wrap(err, "secret \"%s\": removed, but deleting its files",
					name);
	return 0;
}
