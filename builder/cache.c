// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * cache.c: the build's step cache and its cache mounts, in the store's
 * builder/ (docs/storage.md). An entry is one small file,
 * builder/cache/<sha256 of the key>, holding the image's ID and the key
 * itself, written atomically; the image is an intermediate one (image.h)
 * that image_gc keeps like any other while its record lives. The keys
 * are build.c's; what an entry means is only "this key made that image".
 *
 * Locking follows the store's rule (image/store.c): lookups and records
 * under the shared lock, prune under the exclusive one, so a prune never
 * removes an image between a lookup's check and its answer. A lock the
 * caller holds already is used as it is and left as it was.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cache.h"
#include "../image/image.h"
#include "../lib/util.h"

#define CACHE_DIR "builder/cache"
#define MOUNTS_DIR "builder/mounts"
/* a cache mount's ID: a name of the folder, bounded */
#define MOUNT_ID_MAX 128
/* an entry: the ID, a newline, the key; keys are digests and texts of a
 * few hundred bytes: a larger file is no entry of ours */
#define ENTRY_MAX 65536

static pthread_mutex_t record_lock = PTHREAD_MUTEX_INITIALIZER;

/* Take mode unless the caller holds it (or the exclusive lock); the
 * mode held before into *before, for lock_restore. */
static int lock_take(struct store *s, int mode, int *before, struct berth_error *err)
{
	*before = s->locked;
	if (s->locked == LOCK_EX || s->locked == mode)
		return 0;
	return store_lock(s, mode, err);
}

static void lock_restore(struct store *s, int before)
{
	struct berth_error ignore = { 0 };

	if (s->locked == before)
		return;
	if (!before)
		store_unlock(s);
	else if (store_lock(s, before, &ignore) < 0)
		berth_error_clear(&ignore);
}

/* builder/cache/<hex of sha256(key)>: any key makes a safe name. */
static char *entry_path(const char *key)
{
	char d[DIGEST_STR_LEN + 1];

	sha256_bytes(key, strlen(key), d);
	return xasprintf(CACHE_DIR "/%s", digest_hex(d));
}

/* The entry's image if it is key's (1), else 0. */
static int entry_read(struct store *s, const char *key, char id[DIGEST_STR_LEN + 1])
{
	_cleanup_free_ char *p = entry_path(key), *buf = NULL;
	struct berth_error ignore = { 0 };
	size_t len;

	if (read_file_at(s->rootfd, p, ENTRY_MAX, &buf, &len, &ignore) < 0) {
		berth_error_clear(&ignore);
		return 0;
	}
	/* the key is kept whole, so two keys of one hash never meet */
	if (len < DIGEST_STR_LEN + 1 || buf[DIGEST_STR_LEN] != '\n' ||
	    strcmp(buf + DIGEST_STR_LEN + 1, key) != 0)
		return 0;
	buf[DIGEST_STR_LEN] = '\0';
	if (!digest_valid(buf))
		return 0;
	memcpy(id, buf, DIGEST_STR_LEN + 1);
	return 1;
}

int build_cache_lookup(struct store *s, const char *key, char id[DIGEST_STR_LEN + 1])
{
	struct berth_error ignore = { 0 };
	struct image *img = NULL;
	int before, r = 0;

	if (lock_take(s, LOCK_SH, &before, &ignore) < 0) {
		berth_error_clear(&ignore);
		return 0;
	}
	/* an entry whose image a prune or rmi took is a miss */
	if (entry_read(s, key, id) == 1 && image_read(s, id, &img, &ignore) == 0)
		r = 1;
	image_free(img);
	berth_error_clear(&ignore);
	lock_restore(s, before);
	return r;
}

int build_cache_record(struct store *s, const char *key, const char *id, struct berth_error *err)
{
	_cleanup_free_ char *p = entry_path(key), *txt = NULL;
	int before, r;

	if (!digest_valid(id))
		return berth_error_set(err, EINVAL, "build cache: \"%.80s\" is no image ID", id);
	if (strlen(key) > ENTRY_MAX - DIGEST_STR_LEN - 2)
		return berth_error_set(err, EINVAL, "build cache: a key of %zu bytes", strlen(key));
	txt = xasprintf("%s\n%s", id, key);
	if (lock_take(s, LOCK_SH, &before, err) < 0)
		return -1;
	r = mkdir_p_at(s->rootfd, CACHE_DIR, 0755, err);
	/* the temporary name is the path and the pid: two stages of one
	 * build (threads) recording one key must not share it */
	pthread_mutex_lock(&record_lock);
	if (r == 0)
		r = write_file_atomic(s->rootfd, p, txt, strlen(txt), 0644, err);
	pthread_mutex_unlock(&record_lock);
	lock_restore(s, before);
	return r < 0 ? berth_error_wrap(err, "build cache") : 0;
}

/* A name of one folder under builder/mounts/, nothing else. */
static bool mount_id_valid(const char *id)
{
	size_t n = strlen(id);

	return n > 0 && n <= MOUNT_ID_MAX && !strchr(id, '/') && !strstr(id, "..") &&
	       strcmp(id, ".") != 0;
}

int build_cache_mount_dir(struct store *s, const char *id, char **path, struct berth_error *err)
{
	_cleanup_free_ char *rel = NULL;
	int fd;

	*path = NULL;
	if (!mount_id_valid(id))
		return berth_error_set(err, EINVAL,
				       "cache mount id \"%.80s\": a name without '/' or \"..\", "
				       "at most %d bytes",
				       id, MOUNT_ID_MAX);
	rel = xasprintf(MOUNTS_DIR "/%s", id);
	if (mkdir_p_at(s->rootfd, MOUNTS_DIR, 0755, err) < 0)
		return berth_error_wrap(err, "cache mount %s", id);
	if (mkdirat(s->rootfd, rel, 0755) < 0 && errno != EEXIST)
		return berth_error_set(err, errno, "cache mount %s", id);
	/* never a link someone put in its place */
	fd = openat(s->rootfd, rel, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return berth_error_set(err, errno, "cache mount %s", id);
	*path = xasprintf("%s/%s", s->root, rel);
	return fd;
}

/* The names in dir (relative to the store), "." ones left out: NULL
 * when it is not there. */
static char **names_in(struct store *s, const char *dir)
{
	_cleanup_close_ int fd = openat(s->rootfd, dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	_cleanup_closedir_ DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	struct dirent *de;
	char **v = NULL;
	size_t n = 0;

	if (!d)
		return NULL;
	fd = -1;
	while ((de = readdir(d)))
		if (de->d_name[0] != '.')
			strv_push(&v, &n, de->d_name);
	return v;
}

/* Disk use of what is below dirfd/name (st_blocks), not following links. */
static uint64_t du_at(int dirfd, const char *name, int depth)
{
	struct stat st;
	uint64_t total;

	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return 0;
	total = (uint64_t)st.st_blocks * 512;
	if (S_ISDIR(st.st_mode) && depth < 64) {
		_cleanup_close_ int fd =
			openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		_cleanup_closedir_ DIR *d = fd >= 0 ? opendir_fd(fd) : NULL;
		struct dirent *de;
		while (d && (de = readdir(d)))
			if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
				total += du_at(fd, de->d_name, depth + 1);
	}
	return total;
}

/* The intermediate images prune would remove: without a name, used by
 * no container; *ids (strv) and the bytes their going frees: their
 * layers and blobs that no image kept uses. */
struct removable {
	char **ids;
	size_t n;
	uint64_t bytes;
};

static void removable_clear(struct removable *r)
{
	strv_free(r->ids);
	memset(r, 0, sizeof(*r));
}

static bool is_removable(struct store *s, struct json_object *refs, const struct image *img)
{
	char **names = NULL, **users = NULL;
	size_t k, u;

	if (!img->intermediate)
		return false;
	k = refs_of(refs, img->id, &names);
	u = image_users(s, img->id, &users);
	strv_free(names);
	strv_free(users);
	return k == 0 && u == 0;
}

/* What the images going hold that no image staying does. */
static uint64_t freed_bytes(struct store *s, struct image **imgs, const bool *going, size_t n)
{
	char **kept = NULL, **counted = NULL;
	size_t nk = 0, nc = 0;
	uint64_t bytes = 0;

	for (size_t i = 0; i < n; i++) {
		if (!imgs[i] || going[i])
			continue;
		strv_push(&kept, &nk, imgs[i]->id);
		strv_push(&kept, &nk, imgs[i]->manifest);
		for (size_t l = 0; l < imgs[i]->n_layers; l++) {
			strv_push(&kept, &nk, imgs[i]->chain_ids[l]);
			strv_push(&kept, &nk, imgs[i]->blobs[l]);
		}
	}
	for (size_t i = 0; i < n; i++) {
		if (!imgs[i] || !going[i])
			continue;
		const char *blobs[2] = { imgs[i]->id, imgs[i]->manifest };
		for (size_t b = 0; b < 2; b++) {
			_cleanup_free_ char *p = xasprintf("blobs/sha256/%s", digest_hex(blobs[b]));
			if (!strv_has(kept, blobs[b]) && !strv_has(counted, blobs[b]))
				bytes += du_at(s->rootfd, p, 0);
			strv_push(&counted, &nc, blobs[b]);
		}
		for (size_t l = 0; l < imgs[i]->n_layers; l++) {
			const char *c = imgs[i]->chain_ids[l], *b = imgs[i]->blobs[l];
			struct layer_info info;
			struct berth_error ignore = { 0 };
			_cleanup_free_ char *p = xasprintf("blobs/sha256/%s", digest_hex(b));
			if (!strv_has(kept, c) && !strv_has(counted, c) &&
			    store_layer_info(s, c, &info, &ignore) == 0)
				bytes += info.size;
			berth_error_clear(&ignore);
			if (!strv_has(kept, b) && !strv_has(counted, b))
				bytes += du_at(s->rootfd, p, 0);
			strv_push(&counted, &nc, c);
			strv_push(&counted, &nc, b);
		}
	}
	strv_free(kept);
	strv_free(counted);
	return bytes;
}

/* Every image read; those prune removes into r. An unreadable record
 * fails it: never remove on a store not understood. */
static int find_removable(struct store *s, struct removable *r, struct berth_error *err)
{
	_cleanup_json_ struct json_object *refs = NULL;
	struct image **imgs = NULL;
	bool *going = NULL;
	char **ids = NULL;
	size_t n = 0;
	int ret = -1;

	memset(r, 0, sizeof(*r));
	if (refs_read(s, &refs, err) < 0 || image_list_ids(s, &ids, &n, err) < 0)
		return -1;
	imgs = xcalloc(n, sizeof(*imgs));
	going = xcalloc(n, sizeof(*going));
	for (size_t i = 0; i < n; i++) {
		if (image_read(s, ids[i], &imgs[i], err) < 0)
			goto out;
		if ((going[i] = is_removable(s, refs, imgs[i])))
			strv_push(&r->ids, &r->n, ids[i]);
	}
	r->bytes = freed_bytes(s, imgs, going, n);
	ret = 0;
out:
	for (size_t i = 0; i < n; i++)
		image_free(imgs[i]);
	free(imgs);
	free(going);
	strv_free(ids);
	if (ret < 0)
		removable_clear(r);
	return ret;
}

static size_t count(char **v)
{
	size_t n = 0;

	while (v && v[n])
		n++;
	return n;
}

int build_cache_usage(struct store *s, struct build_cache_usage *out, struct berth_error *err)
{
	struct removable r;
	char **entries = NULL, **mounts = NULL;
	int before;

	memset(out, 0, sizeof(*out));
	if (lock_take(s, LOCK_SH, &before, err) < 0)
		return -1;
	if (find_removable(s, &r, err) < 0) {
		lock_restore(s, before);
		return -1;
	}
	entries = names_in(s, CACHE_DIR);
	mounts = names_in(s, MOUNTS_DIR);
	out->entries = count(entries);
	out->images = r.n;
	out->mounts = count(mounts);
	out->bytes = r.bytes;
	for (char **m = mounts; m && *m; m++) {
		_cleanup_free_ char *p = xasprintf(MOUNTS_DIR "/%s", *m);
		out->bytes += du_at(s->rootfd, p, 0);
	}
	lock_restore(s, before);
	removable_clear(&r);
	strv_free(entries);
	strv_free(mounts);
	return 0;
}

/* Each name in dir removed (rm -rf); *n how many went. */
static int empty_dir(struct store *s, const char *dir, size_t *n, struct berth_error *err)
{
	_cleanup_close_ int fd = openat(s->rootfd, dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	char **names = names_in(s, dir);
	int r = 0;

	*n = 0;
	for (char **e = names; fd >= 0 && e && *e && r == 0; e++) {
		r = rm_rf_at(fd, *e, err);
		if (r == 0)
			++*n;
	}
	strv_free(names);
	return r < 0 ? berth_error_wrap(err, "store %s: %s", s->root, dir) : 0;
}

/* The entries, then the images (their records; image_gc takes what
 * only they held), then (all) the mounts. Under the exclusive lock. */
static int prune_locked(struct store *s, bool all, struct build_cache_usage *out,
			struct berth_error *err)
{
	struct removable r;
	int ret = -1;

	if (find_removable(s, &r, err) < 0)
		return -1;
	if (empty_dir(s, CACHE_DIR, &out->entries, err) < 0)
		goto out;
	/* marked as a commit is: a prune killed between the records and
	 * the collection leaves garbage the next command collects */
	if (r.n && image_commit_begin(s, err) < 0)
		goto out;
	for (size_t i = 0; i < r.n; i++) {
		_cleanup_free_ char *p = xasprintf("images/%s.json", digest_hex(r.ids[i]));
		if (unlinkat(s->rootfd, p, 0) < 0 && errno != ENOENT) {
			berth_error_set(err, errno, "removing image %.19s", r.ids[i]);
			goto out;
		}
		out->images++;
	}
	if (r.n) {
		if (image_gc(s, err) < 0)
			goto out;
		image_commit_end(s);
	}
	out->bytes = r.bytes;
	if (all) {
		char **mounts = names_in(s, MOUNTS_DIR);
		for (char **m = mounts; m && *m; m++) {
			_cleanup_free_ char *p = xasprintf(MOUNTS_DIR "/%s", *m);
			out->bytes += du_at(s->rootfd, p, 0);
		}
		strv_free(mounts);
		if (empty_dir(s, MOUNTS_DIR, &out->mounts, err) < 0)
			goto out;
	}
	ret = 0;
out:
	removable_clear(&r);
	return ret;
}

int build_cache_prune(struct store *s, bool all, struct build_cache_usage *out,
		      struct berth_error *err)
{
	int before, r;

	memset(out, 0, sizeof(*out));
	if (lock_take(s, LOCK_EX, &before, err) < 0)
		return -1;
	r = prune_locked(s, all, out, err);
	lock_restore(s, before);
	return r < 0 ? berth_error_wrap(err, "pruning the build cache") : 0;
}
