// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * store.c: the store's directories, its lock, staging, blobs and layers.
 * Every write lands in tmp/<stage>/ first and is renamed into place, so a
 * killed command leaves only a stage that the next command removes. What
 * refers to what (images -> layers, blobs) lives in image.c.
 *
 * Lock order: store.lock (flock) is the only lock; staging locks are taken
 * by their owner alone and only probed (LOCK_NB) by others.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <pwd.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store.h"
#include "../lib/rundir.h"
#include "../lib/util.h"

static const char *const store_dirs[] = {
	"blobs", "blobs/sha256", "layers", "images", "tmp", "containers",
};

char *store_default_root(void)
{
	const char *e = getenv("BERTH_ROOT");
	if (e && *e)
		return xstrdup(e);
	e = getenv("XDG_DATA_HOME");
	if (e && *e == '/')
		return xasprintf("%s/berth", e);
	e = getenv("HOME");
	if (!e || !*e) {
		struct passwd *pw = getpwuid(getuid());
		e = pw ? pw->pw_dir : "/";
	}
	return xasprintf("%s/.local/share/berth", e);
}

int store_runtime_dir(char **out, struct berth_error *err)
{
	return rundir_path(out, err);
}

/* Does the name still lead to the file fd has open (a lock file that
 * another command may have removed and made again)? */
static bool same_file(int dirfd, const char *name, int fd)
{
	struct stat a, b;

	return fstat(fd, &a) == 0 && fstatat(dirfd, name, &b, AT_SYMLINK_NOFOLLOW) == 0 &&
	       a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

/* Is the stage's owner gone? Its lock is free (tried, then let go), or
 * it has none: a leftover of an older berth. */
static bool stage_is_stale(int tmpfd, const char *stage)
{
	_cleanup_free_ char *lock = xasprintf("%s.lock", stage);
	_cleanup_close_ int lfd = openat(tmpfd, lock, O_RDWR | O_CLOEXEC | O_NOFOLLOW);

	if (lfd < 0)
		return errno == ENOENT;
	return flock(lfd, LOCK_EX | LOCK_NB) == 0;
}

/* Remove one stage whose owner is gone: with its lock held (made here
 * when the stage has none: a leftover of an older berth), the tree first
 * and the lock only once the tree is gone, so a stage that could not be
 * removed is tried again by the next command. */
static int remove_stage(int tmpfd, const char *stage, struct berth_error *err)
{
	_cleanup_free_ char *lock = xasprintf("%s.lock", stage);
	_cleanup_close_ int lfd =
		openat(tmpfd, lock, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);

	/* the lock must be free and still be the one at that name: a
	 * cleaner that removed it before we locked it leaves a new owner */
	if (lfd < 0)
		return berth_error_set(err, errno, "tmp/%s", lock);
	if (flock(lfd, LOCK_EX | LOCK_NB) < 0 || !same_file(tmpfd, lock, lfd))
		return berth_error_set(err, EBUSY, "tmp/%s: its owner is back", stage);
	if (rm_rf_at(tmpfd, stage, err) < 0)
		return berth_error_wrap(err, "tmp/%s", stage);
	unlinkat(tmpfd, lock, 0);
	return 0;
}

/* Each stage under tmp/ once (a stage and its lock are both listed, and
 * a lock may be left without its stage), to fn with its name. */
static void each_stage(int tmpfd, void (*fn)(int tmpfd, const char *stage, void *arg), void *arg)
{
	_cleanup_close_ int fd = openat(tmpfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	_cleanup_closedir_ DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	struct dirent *de;

	if (!d)
		return;
	fd = -1;
	while ((de = readdir(d))) {
		_cleanup_free_ char *stage = NULL;

		if (!str_has_prefix(de->d_name, "stage-"))
			continue;
		stage = str_has_suffix(de->d_name, ".lock")
				? xstrndup(de->d_name, strlen(de->d_name) - 5)
				: xstrdup(de->d_name);
		if (!str_has_suffix(de->d_name, ".lock") &&
		    faccessat(dirfd(d), de->d_name, F_OK, AT_SYMLINK_NOFOLLOW) == 0) {
			_cleanup_free_ char *lock = xasprintf("%s.lock", stage);
			if (faccessat(dirfd(d), lock, F_OK, AT_SYMLINK_NOFOLLOW) == 0)
				continue;
		}
		fn(dirfd(d), stage, arg);
	}
}

static void clean_one(int tmpfd, const char *stage, void *arg)
{
	struct berth_error err = { 0 };

	(void)arg;
	remove_stage(tmpfd, stage, &err);
	berth_error_clear(&err);
}

/* Remove staging dirs whose owner is gone (its lock is free, or the
 * stage has none). A killed load or commit leaves its stage; the next
 * command that opens the store takes it away. */
static void clean_stale_stages(struct store *s)
{
	_cleanup_close_ int fd = openat(s->rootfd, "tmp", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd >= 0)
		each_stage(fd, clean_one, NULL);
}

struct stale_list {
	char **v;
	size_t n;
};

static void list_one(int tmpfd, const char *stage, void *arg)
{
	struct stale_list *l = arg;

	if (!stage_is_stale(tmpfd, stage))
		return;
	l->v = xrealloc(l->v, (l->n + 2) * sizeof(char *));
	l->v[l->n++] = xstrdup(stage);
	l->v[l->n] = NULL;
}

char **store_stale_stages(struct store *s)
{
	_cleanup_close_ int fd = openat(s->rootfd, "tmp", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	struct stale_list l = { .v = xcalloc(1, sizeof(char *)) };

	if (fd >= 0)
		each_stage(fd, list_one, &l);
	return l.v;
}

int store_stage_remove(struct store *s, const char *stage, struct berth_error *err)
{
	_cleanup_close_ int fd = openat(s->rootfd, "tmp", O_PATH | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		return berth_error_set(err, errno, "store %s: tmp", s->root);
	return remove_stage(fd, stage, err);
}

static int open_store(const char *root, bool sweep, struct store **out, struct berth_error *err)
{
	struct store *s;

	if (mkdir_p_at(AT_FDCWD, root, 0700, err) < 0)
		return berth_error_wrap(err, "store %s", root);
	s = xcalloc(1, sizeof(*s));
	s->root = xstrdup(root);
	s->lockfd = -1;
	s->rootfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (s->rootfd < 0) {
		berth_error_set(err, errno, "store %s", root);
		store_free(s);
		return -1;
	}
	for (size_t i = 0; i < ARRAY_SIZE(store_dirs); i++) {
		if (mkdirat(s->rootfd, store_dirs[i], 0700) < 0 && errno != EEXIST) {
			berth_error_set(err, errno, "store %s: mkdir %s", root, store_dirs[i]);
			store_free(s);
			return -1;
		}
	}
	s->lockfd =
		openat(s->rootfd, "store.lock", O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (s->lockfd < 0) {
		berth_error_set(err, errno, "store %s: store.lock", root);
		store_free(s);
		return -1;
	}
	if (sweep)
		clean_stale_stages(s);
	*out = s;
	return 0;
}

int store_open(const char *root, struct store **out, struct berth_error *err)
{
	return open_store(root, true, out, err);
}

int store_open_as_is(const char *root, struct store **out, struct berth_error *err)
{
	return open_store(root, false, out, err);
}

void store_free(struct store *s)
{
	if (!s)
		return;
	if (s->rootfd >= 0)
		close(s->rootfd);
	if (s->lockfd >= 0)
		close(s->lockfd);
	free(s->root);
	free(s);
}

int store_lock(struct store *s, int mode, struct berth_error *err)
{
	if (s->locked == mode)
		return 0;
	while (flock(s->lockfd, mode) < 0) {
		if (errno != EINTR)
			return berth_error_set(err, errno, "locking the store %s", s->root);
	}
	s->locked = mode;
	return 0;
}

void store_unlock(struct store *s)
{
	if (s->locked)
		flock(s->lockfd, LOCK_UN);
	s->locked = 0;
}

int store_stage_new(struct store *s, struct store_stage **out, struct berth_error *err)
{
	_cleanup_close_ int tmpfd = openat(s->rootfd, "tmp", O_PATH | O_DIRECTORY | O_CLOEXEC);
	struct store_stage *st;
	char name[64];

	if (tmpfd < 0)
		return berth_error_set(err, errno, "store %s: tmp", s->root);
	for (int i = 0;; i++) {
		unsigned long r = ((unsigned long)getpid() << 16) ^ (unsigned long)random();
		_cleanup_free_ char *lock = NULL;
		int lfd;

		snprintf(name, sizeof(name), "stage-%lx", r);
		lock = xasprintf("%s.lock", name);
		lfd = openat(tmpfd, lock, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
		if (lfd < 0) {
			if (errno == EEXIST && i < 100)
				continue;
			return berth_error_set(err, errno, "store %s: staging", s->root);
		}
		flock(lfd, LOCK_EX);
		/* a cleaner may have taken the new lock for a dead owner's and
		 * removed it before we locked it: then this name is not ours */
		if (!same_file(tmpfd, lock, lfd)) {
			close(lfd);
			if (i < 100)
				continue;
			return berth_error_set(err, EAGAIN, "store %s: staging", s->root);
		}
		if (mkdirat(tmpfd, name, 0700) < 0) {
			int e = errno;
			close(lfd);
			unlinkat(tmpfd, lock, 0);
			if (e == EEXIST && i < 100)
				continue; /* a lockless leftover: the next cleaner's */
			return berth_error_set(err, e, "store %s: staging", s->root);
		}
		st = xcalloc(1, sizeof(*st));
		st->store = s;
		st->name = xstrdup(name);
		st->lockfd = lfd;
		st->dirfd = openat(tmpfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
		if (st->dirfd < 0) {
			berth_error_set(err, errno, "store %s: staging", s->root);
			store_stage_free(st);
			return -1;
		}
		*out = st;
		return 0;
	}
}

void store_stage_free(struct store_stage *st)
{
	_cleanup_close_ int tmpfd = -1;
	struct berth_error err = { 0 };

	if (!st)
		return;
	tmpfd = openat(st->store->rootfd, "tmp", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (st->dirfd >= 0)
		close(st->dirfd);
	if (tmpfd >= 0) {
		_cleanup_free_ char *lock = xasprintf("%s.lock", st->name);
		/* a stage that would not go keeps its lock: the next command
		 * tries again */
		if (rm_rf_at(tmpfd, st->name, &err) == 0)
			unlinkat(tmpfd, lock, 0);
		berth_error_clear(&err);
	}
	close(st->lockfd);
	free(st->name);
	free(st);
}

static char *blob_path(const char *digest)
{
	return xasprintf("blobs/sha256/%s", digest_hex(digest));
}

bool store_blob_exists(struct store *s, const char *digest)
{
	_cleanup_free_ char *p = blob_path(digest);
	return faccessat(s->rootfd, p, F_OK, AT_SYMLINK_NOFOLLOW) == 0;
}

int store_blob_open(struct store *s, const char *digest, struct berth_error *err)
{
	_cleanup_free_ char *p = NULL;
	int fd;

	if (!digest_valid(digest))
		return berth_error_set(err, 0, "invalid digest \"%s\"", digest);
	p = blob_path(digest);
	fd = openat(s->rootfd, p, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return berth_error_set(err, errno, "blob %s", digest);
	return fd;
}

int store_blob_commit(struct store *s, int dirfd, const char *name, const char *digest,
		      struct berth_error *err)
{
	_cleanup_free_ char *p = blob_path(digest);

	if (store_blob_exists(s, digest)) {
		unlinkat(dirfd, name, 0);
		return 0;
	}
	fchmodat(dirfd, name, 0644, 0);
	if (renameat(dirfd, name, s->rootfd, p) < 0)
		return berth_error_set(err, errno, "storing blob %s", digest);
	return 0;
}

void store_chain_id(const char *parent_chain, const char *diff_id, char *out)
{
	if (!parent_chain || !*parent_chain) {
		strcpy(out, diff_id);
		return;
	}
	_cleanup_free_ char *s = xasprintf("%s %s", parent_chain, diff_id);
	sha256_bytes(s, strlen(s), out);
}

static char *layer_path(const char *chain_id, const char *sub)
{
	return xasprintf("layers/%s%s%s", digest_hex(chain_id), sub ? "/" : "", sub ? sub : "");
}

bool store_layer_exists(struct store *s, const char *chain_id)
{
	_cleanup_free_ char *p = layer_path(chain_id, "layer.json");
	return faccessat(s->rootfd, p, F_OK, AT_SYMLINK_NOFOLLOW) == 0;
}

static int copy_digest(struct json_object *o, const char *key, char *out, bool optional)
{
	struct json_object *v;
	const char *str;

	if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
		return optional ? 0 : -1;
	str = json_object_get_string(v);
	if (optional && !*str)
		return 0;
	if (!digest_valid(str))
		return -1;
	strcpy(out, str);
	return 0;
}

int store_layer_info(struct store *s, const char *chain_id, struct layer_info *out,
		     struct berth_error *err)
{
	_cleanup_free_ char *p = layer_path(chain_id, "layer.json");
	_cleanup_free_ char *buf = NULL;
	struct json_object *o, *v;
	int ret = 0;

	if (read_file_at(s->rootfd, p, 1 << 16, &buf, NULL, err) < 0)
		return berth_error_wrap(err, "layer %s", chain_id);
	memset(out, 0, sizeof(*out));
	o = json_tokener_parse(buf);
	if (!o || copy_digest(o, "chain_id", out->chain_id, false) < 0 ||
	    copy_digest(o, "diff_id", out->diff_id, false) < 0 ||
	    copy_digest(o, "parent", out->parent, true) < 0)
		ret = berth_error_set(err, 0, "layer %s: corrupt layer.json", chain_id);
	if (o && json_object_object_get_ex(o, "size", &v))
		out->size = (uint64_t)json_object_get_int64(v);
	if (o && json_object_object_get_ex(o, "entries", &v))
		out->entries = (uint64_t)json_object_get_int64(v);
	json_object_put(o);
	return ret;
}

int store_layer_open(struct store *s, const char *chain_id, struct bfs_layer *out,
		     struct berth_error *err)
{
	_cleanup_free_ char *dir = layer_path(chain_id, NULL);
	return bfs_layer_load(s->rootfd, dir, chain_id, out, err);
}

int store_layer_finish(int layerdirfd, const struct layer_info *info, const struct bfs_meta *meta,
		       struct berth_error *err)
{
	_cleanup_close_ int fd = openat(layerdirfd, "meta",
					O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0644);
	struct json_object *o = json_object_new_object();
	const char *txt;
	int r;

	if (fd < 0 || bfs_meta_write(meta, fd, err) < 0 || fsync(fd) < 0) {
		json_object_put(o);
		if (!err->msg)
			berth_error_set(err, errno, "writing layer metadata");
		return -1;
	}
	json_object_object_add(o, "chain_id", json_object_new_string(info->chain_id));
	json_object_object_add(o, "diff_id", json_object_new_string(info->diff_id));
	json_object_object_add(o, "parent", json_object_new_string(info->parent));
	json_object_object_add(o, "size", json_object_new_int64((int64_t)info->size));
	json_object_object_add(o, "entries", json_object_new_int64((int64_t)info->entries));
	txt = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
							JSON_C_TO_STRING_NOSLASHESCAPE);
	r = write_file_atomic(layerdirfd, "layer.json", txt, strlen(txt), 0644, err);
	json_object_put(o);
	return r;
}

int store_layer_commit(struct store *s, int stage_dirfd, const char *name, const char *chain_id,
		       struct berth_error *err)
{
	_cleanup_free_ char *p = layer_path(chain_id, NULL);

	if (renameat(stage_dirfd, name, s->rootfd, p) < 0) {
		if ((errno == EEXIST || errno == ENOTEMPTY) && store_layer_exists(s, chain_id))
			return 0; /* a concurrent load stored the same layer first */
		return berth_error_set(err, errno, "storing layer %s", chain_id);
	}
	return 0;
}

int store_name_if_full(const struct store *s, struct berth_error *err)
{
	if ((err->errnum == ENOSPC || err->errnum == EDQUOT) && err->msg &&
	    !strstr(err->msg, s->root))
		berth_error_wrap(err, "the store %s is out of space", s->root);
	return -1;
}
