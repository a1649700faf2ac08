// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * named.c: the store's named objects' folders (named.h): listing them,
 * the folder's lock and its sweep of what killed commands left, removal
 * through a hidden name, and the bits every object's record has (random
 * names, labels, the time it was made).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "named.h"
#include "../lib/util.h"

int named_dir(struct store *s, const char *kind, bool create, struct berth_error *err)
{
	int fd;

	if (create && mkdirat(s->rootfd, kind, 0700) < 0 && errno != EEXIST)
		return berth_error_set(err, errno, "%s/%s", s->root, kind);
	fd = openat(s->rootfd, kind, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 && (create || errno != ENOENT))
		return berth_error_set(err, errno, "%s/%s", s->root, kind);
	return fd;
}

void named_sweep(int dirfd, named_remover remove)
{
	_cleanup_closedir_ DIR *d = opendir_fd(dirfd);
	struct dirent *de;

	if (!d)
		return;
	while ((de = readdir(d))) {
		struct berth_error ignore = { 0 };
		if (str_has_prefix(de->d_name, ".tmp-") || str_has_prefix(de->d_name, ".rm-"))
			(remove ? remove : rm_rf_at)(dirfd, de->d_name, &ignore);
		berth_error_clear(&ignore);
	}
}

int named_lock(struct store *s, const char *kind, named_remover remove, struct berth_error *err)
{
	_cleanup_close_ int dfd = named_dir(s, kind, true, err);
	int fd;

	if (dfd < 0)
		return -1;
	fd = openat(dfd, ".lock", O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return berth_error_set(err, errno, "%s/%s/.lock", s->root, kind);
	while (flock(fd, LOCK_EX) < 0)
		if (errno != EINTR) {
			close(fd);
			return berth_error_set(err, errno, "locking %s/%s", s->root, kind);
		}
	named_sweep(dfd, remove);
	return fd;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int named_list(struct store *s, const char *kind,
	       bool (*exists)(struct store *s, const char *entry), char ***names, size_t *n,
	       struct berth_error *err)
{
	int dfd = named_dir(s, kind, false, err);
	_cleanup_closedir_ DIR *d = NULL;
	struct dirent *de;

	*names = xcalloc(1, sizeof(char *));
	*n = 0;
	if (dfd < 0)
		return err->msg ? -1 : 0;
	if (!(d = fdopendir(dfd))) {
		close(dfd);
		return berth_error_set(err, errno, "%s/%s", s->root, kind);
	}
	while ((de = readdir(d)))
		if (de->d_name[0] != '.' && exists(s, de->d_name))
			strv_push(names, n, de->d_name);
	qsort(*names, *n, sizeof(char *), cmp_str);
	return 0;
}

int named_remove(struct store *s, const char *kind, const char *name, const char *what,
		 named_remover remove, struct berth_error *err)
{
	_cleanup_close_ int dfd = named_dir(s, kind, false, err);
	char rnd[25], tmp[32];

	if (dfd < 0)
		return err->msg ? -1 : berth_error_set(err, ENOENT, "removing %s", what);
	if (named_random_hex(rnd, 24, err) < 0)
		return -1;
	snprintf(tmp, sizeof(tmp), ".rm-%s", rnd);
	if (renameat(dfd, name, dfd, tmp) < 0)
		return berth_error_set(err, errno, "removing %s", what);
	if ((remove ? remove : rm_rf_at)(dfd, tmp, err) < 0)
		return berth_error_wrap(err, "removing %s (what is left is in %s/%s/%s)", what,
					s->root, kind, tmp);
	return 0;
}

int named_random_hex(char *out, size_t len, struct berth_error *err)
{
	unsigned char b[32];
	size_t need = (len + 1) / 2;

	if (need > sizeof(b) || getrandom(b, need, 0) != (ssize_t)need)
		return berth_error_set(err, errno, "getrandom");
	for (size_t i = 0; i < len; i++)
		out[i] = "0123456789abcdef"[(b[i / 2] >> (i % 2 ? 0 : 4)) & 0xf];
	out[len] = '\0';
	return 0;
}

struct json_object *named_labels(char *const *labels, size_t n)
{
	struct json_object *l = json_object_new_object();

	for (size_t i = 0; i < n; i++) {
		_cleanup_free_ char *k = xstrdup(labels[i]);
		char *eq = strchr(k, '=');
		if (eq)
			*eq = '\0';
		json_object_object_add(l, k, json_object_new_string(eq ? eq + 1 : ""));
	}
	return l;
}

void named_now(char *buf, size_t len)
{
	time_t now = time(NULL);
	struct tm tm;

	gmtime_r(&now, &tm);
	strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

int named_remove_existing(struct store *s, const char *kind, const char *name, bool exists,
			  const char *what, named_remover remove, struct berth_error *err)
{
	_cleanup_free_ char *dir = xasprintf("%ss", kind);

	if (!exists)
		return berth_error_set(err, ENOENT, "%s \"%s\": no such %s", kind, name, kind);
	return named_remove(s, dir, name, what, remove, err);
}
