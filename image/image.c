// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * image.c: image records and references. An image record names its
 * config (its ID), the manifest kept for `save`, and its layers by chain
 * ID. Reference counts are never stored: image_gc() derives them from the
 * records, so a crash can leave garbage but never a dangling reference.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "image.h"
#include "oci.h"
#include "reference.h"
#include "../lib/util.h"

void image_free(struct image *img)
{
	if (!img)
		return;
	free(img->chain_ids);
	free(img->diff_ids);
	free(img->blobs);
	strv_free(img->repo_digests);
	strv_free(img->sources);
	free(img);
}

static char *image_path(const char *id)
{
	return xasprintf("images/%s.json", digest_hex(id));
}

static int digest_array(struct json_object *o, const char *key, size_t n,
			char (*out)[DIGEST_STR_LEN + 1])
{
	struct json_object *a;

	if (!json_object_object_get_ex(o, key, &a) || !json_object_is_type(a, json_type_array) ||
	    json_object_array_length(a) != n)
		return -1;
	for (size_t i = 0; i < n; i++) {
		const char *d = json_object_get_string(json_object_array_get_idx(a, i));
		if (!digest_valid(d))
			return -1;
		strcpy(out[i], d);
	}
	return 0;
}

/* An optional array of strings (absent: NULL); -1 when it is no such
 * array. */
static int string_array(struct json_object *o, const char *key, char ***out)
{
	struct json_object *a;
	size_t n;

	*out = NULL;
	if (!json_object_object_get_ex(o, key, &a))
		return 0;
	if (!json_object_is_type(a, json_type_array))
		return -1;
	n = json_object_array_length(a);
	*out = xcalloc(n + 1, sizeof(char *));
	for (size_t i = 0; i < n; i++) {
		struct json_object *v = json_object_array_get_idx(a, i);
		if (!json_object_is_type(v, json_type_string))
			return -1;
		(*out)[i] = xstrdup(json_object_get_string(v));
	}
	return 0;
}

int image_read(struct store *s, const char *id, struct image **out, struct berth_error *err)
{
	_cleanup_free_ char *p = image_path(id), *buf = NULL;
	_cleanup_json_ struct json_object *o = NULL;
	struct json_object *a, *v;
	struct image *img;
	size_t len;

	if (read_file_at(s->rootfd, p, 1 << 20, &buf, &len, err) < 0 ||
	    json_parse_bounded(buf, len, "image record", &o, err) < 0)
		return berth_error_wrap(err, "image %.19s", id);
	img = xcalloc(1, sizeof(*img));
	if (!json_object_object_get_ex(o, "chain_ids", &a) ||
	    !json_object_is_type(a, json_type_array))
		goto bad;
	img->n_layers = json_object_array_length(a);
	img->chain_ids = xcalloc(img->n_layers, sizeof(*img->chain_ids));
	img->diff_ids = xcalloc(img->n_layers, sizeof(*img->diff_ids));
	img->blobs = xcalloc(img->n_layers, sizeof(*img->blobs));
	if (!digest_valid(json_get_string(o, "id")) ||
	    !digest_valid(json_get_string(o, "manifest")) ||
	    digest_array(o, "chain_ids", img->n_layers, img->chain_ids) < 0 ||
	    digest_array(o, "diff_ids", img->n_layers, img->diff_ids) < 0 ||
	    digest_array(o, "blobs", img->n_layers, img->blobs) < 0 ||
	    string_array(o, "repo_digests", &img->repo_digests) < 0 ||
	    string_array(o, "sources", &img->sources) < 0)
		goto bad;
	strcpy(img->id, json_get_string(o, "id"));
	strcpy(img->manifest, json_get_string(o, "manifest"));
	if (json_object_object_get_ex(o, "size", &v))
		img->size = (uint64_t)json_object_get_int64(v);
	if (json_object_object_get_ex(o, "loaded", &v))
		img->loaded = json_object_get_int64(v);
	if (json_object_object_get_ex(o, "intermediate", &v)) {
		if (!json_object_is_type(v, json_type_boolean))
			goto bad;
		img->intermediate = json_object_get_boolean(v);
	}
	*out = img;
	return 0;
bad:
	image_free(img);
	return berth_error_set(err, 0, "image %.19s: corrupt record %s", id, p);
}

static struct json_object *digest_list(size_t n, char (*v)[DIGEST_STR_LEN + 1])
{
	struct json_object *a = json_object_new_array();
	for (size_t i = 0; i < n; i++)
		json_object_array_add(a, json_object_new_string(v[i]));
	return a;
}

int image_write(struct store *s, const struct image *img, struct berth_error *err)
{
	_cleanup_json_ struct json_object *o = json_object_new_object();
	_cleanup_free_ char *p = image_path(img->id);
	const char *txt;

	json_object_object_add(o, "id", json_object_new_string(img->id));
	json_object_object_add(o, "manifest", json_object_new_string(img->manifest));
	json_object_object_add(o, "chain_ids", digest_list(img->n_layers, img->chain_ids));
	json_object_object_add(o, "diff_ids", digest_list(img->n_layers, img->diff_ids));
	json_object_object_add(o, "blobs", digest_list(img->n_layers, img->blobs));
	json_object_object_add(o, "size", json_object_new_int64((int64_t)img->size));
	json_object_object_add(o, "loaded", json_object_new_int64(img->loaded));
	/* written only when set: a record that is no build step's reads the
	 * same to a berth that predates the field */
	if (img->intermediate)
		json_object_object_add(o, "intermediate", json_object_new_boolean(1));
	for (int k = 0; k < 2; k++) {
		char **v = k ? img->sources : img->repo_digests;
		struct json_object *a;
		if (!v || !*v)
			continue;
		a = json_object_new_array();
		for (; *v; v++)
			json_object_array_add(a, json_object_new_string(*v));
		json_object_object_add(o, k ? "sources" : "repo_digests", a);
	}
	txt = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY |
							JSON_C_TO_STRING_NOSLASHESCAPE);
	return write_file_atomic(s->rootfd, p, txt, strlen(txt), 0644, err);
}

/* v with entry added: an entry equal to it, or starting with prefix
 * when there is one, replaced */
static char **strv_put(char **v, const char *prefix, const char *entry)
{
	size_t n = 0;

	for (; v && v[n]; n++)
		if (prefix ? str_has_prefix(v[n], prefix) : !strcmp(v[n], entry)) {
			free(v[n]);
			v[n] = xstrdup(entry);
			return v;
		}
	v = xrealloc(v, (n + 2) * sizeof(char *));
	v[n] = xstrdup(entry);
	v[n + 1] = NULL;
	return v;
}

int image_note_registry(struct store *s, const char *id, const char *repo, const char *digest,
			struct berth_error *err)
{
	_cleanup_free_ char *at = xasprintf("%s@", repo), *rd = xasprintf("%s@%s", repo, digest);
	struct image *img;
	int ret = -1;

	if (store_lock(s, LOCK_EX, err) < 0)
		return -1;
	if (image_read(s, id, &img, err) < 0)
		goto out;
	/* known already (a pull of an image that is up to date): the store
	 * is not written */
	if (strv_has(img->repo_digests, rd) && strv_has(img->sources, repo)) {
		ret = 0;
		image_free(img);
		goto out;
	}
	img->repo_digests = strv_put(img->repo_digests, at, rd);
	img->sources = strv_put(img->sources, NULL, repo);
	ret = image_write(s, img, err);
	image_free(img);
out:
	store_unlock(s);
	return ret;
}

/* The fix a damaged refs.json needs, after what is wrong with it: one
 * line (the cause's errno text folded in, so it does not trail the fix). */
static int refs_damaged(struct store *s, struct berth_error *err)
{
	_cleanup_free_ char *t = berth_error_text(err);

	berth_error_clear(err);
	return berth_error_set(err, 0,
			       "store %s: %s; `berth system check --repair` rebuilds it from the "
			       "image records",
			       s->root, t);
}

/* The entries that are a name and an image ID; the first that is not
 * into err (when it is clear). */
static struct json_object *refs_valid(struct json_object *o, struct berth_error *err)
{
	struct json_object *v = json_object_new_object();

	json_object_object_foreach(o, key, val)
	{
		if (json_object_is_type(val, json_type_string) &&
		    digest_valid(json_object_get_string(val)))
			json_object_object_add(v, key, json_object_get(val));
		else if (err && !err->msg)
			berth_error_set(err, 0,
					"refs.json: \"%.200s\" is not mapped to an image ID", key);
	}
	return v;
}

int refs_read_checked(struct store *s, struct json_object **out, struct berth_error *damage)
{
	_cleanup_free_ char *buf = NULL;
	_cleanup_json_ struct json_object *o = NULL;
	size_t len;

	*out = NULL;
	if (faccessat(s->rootfd, "refs.json", F_OK, AT_SYMLINK_NOFOLLOW) < 0 && errno == ENOENT) {
		*out = json_object_new_object();
		return 0;
	}
	if (read_file_at(s->rootfd, "refs.json", 16 << 20, &buf, &len, damage) < 0 ||
	    json_parse_bounded(buf, len, "refs.json", &o, damage) < 0) {
		*out = json_object_new_object();
		return refs_damaged(s, damage);
	}
	if (!json_object_is_type(o, json_type_object)) {
		*out = json_object_new_object();
		berth_error_set(damage, 0, "refs.json is not an object");
		return refs_damaged(s, damage);
	}
	*out = refs_valid(o, damage);
	return damage->msg ? refs_damaged(s, damage) : 0;
}

int refs_read(struct store *s, struct json_object **out, struct berth_error *err)
{
	if (refs_read_checked(s, out, err) == 0)
		return 0;
	json_object_put(*out);
	*out = NULL;
	return -1;
}

int refs_write(struct store *s, struct json_object *refs, struct berth_error *err)
{
	const char *txt = json_object_to_json_string_ext(
		refs, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE);
	return write_file_atomic(s->rootfd, "refs.json", txt, strlen(txt), 0644, err);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

size_t refs_of(struct json_object *refs, const char *id, char ***out)
{
	size_t n = 0;
	char **v = xcalloc((size_t)json_object_object_length(refs) + 1, sizeof(char *));

	json_object_object_foreach(refs, key, val)
	{
		if (strcmp(json_object_get_string(val), id) == 0)
			v[n++] = xstrdup(key);
	}
	qsort(v, n, sizeof(char *), cmp_str);
	*out = v;
	return n;
}

int image_list_ids(struct store *s, char ***out, size_t *n, struct berth_error *err)
{
	_cleanup_close_ int fd = openat(s->rootfd, "images", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	_cleanup_closedir_ DIR *d = NULL;
	struct dirent *de;
	size_t cap = 16;
	char **v;

	if (fd < 0 || !(d = fdopendir(fd)))
		return berth_error_set(err, errno, "store %s: images", s->root);
	fd = -1;
	v = xcalloc(cap, sizeof(char *));
	*n = 0;
	while ((de = readdir(d))) {
		_cleanup_free_ char *id = NULL;
		if (!str_has_suffix(de->d_name, ".json") ||
		    strlen(de->d_name) != DIGEST_HEX_LEN + 5)
			continue;
		id = xasprintf("sha256:%.64s", de->d_name);
		if (!digest_valid(id))
			continue;
		if (*n + 2 > cap)
			v = xrealloc(v, (cap *= 2) * sizeof(char *));
		v[(*n)++] = steal_pointer(&id);
		v[*n] = NULL;
	}
	*out = v;
	return 0;
}

/* An ID or a unique prefix of one (docker accepts any length): 1 found,
 * 0 none, -1 with err (ambiguous, or the store cannot be listed). */
static int resolve_id(struct store *s, const char *name, char *id_out, struct berth_error *err)
{
	const char *hex = str_has_prefix(name, "sha256:") ? name + 7 : name;
	size_t hl = strlen(hex), n = 0, matches = 0;
	char **ids = NULL;

	if (hl == 0 || hl > DIGEST_HEX_LEN || strspn(hex, "0123456789abcdef") != hl)
		return 0;
	/* a store that cannot be listed is the cause, not "no such image" */
	if (image_list_ids(s, &ids, &n, err) < 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (strncmp(ids[i] + 7, hex, hl) == 0) {
			if (matches++ == 0)
				strcpy(id_out, ids[i]);
		}
	}
	strv_free(ids);
	if (matches > 1)
		return berth_error_set(err, 0, "image ID prefix \"%s\" is ambiguous", name);
	return matches == 1;
}

char *image_ref_in(struct json_object *refs, const char *name)
{
	/* a short name is the store's (localhost/) first, then docker's
	 * (docker.io/library/), as a pulled image is recorded */
	for (int docker = 0; docker < 2; docker++) {
		struct berth_error ignore = { 0 };
		char *norm = NULL;
		int r = docker ? reference_normalize_docker(name, &norm, &ignore)
			       : reference_normalize(name, &norm, &ignore);
		berth_error_clear(&ignore);
		if (r == 0 && json_object_object_get_ex(refs, norm, NULL))
			return norm;
		free(norm);
	}
	return NULL;
}

int image_resolve(struct store *s, const char *name, char *id_out, struct berth_error *err)
{
	_cleanup_json_ struct json_object *refs = NULL;
	_cleanup_free_ char *norm = NULL;
	struct berth_error ignore = { 0 };
	int r;

	if (refs_read(s, &refs, err) < 0) {
		/* the names are unreadable: an image ID still finds its image
		 * (and a name gets the damage and its fix as its answer) */
		if (resolve_id(s, name, id_out, &ignore) == 1) {
			berth_error_clear(err);
			return 0;
		}
		berth_error_clear(&ignore);
		return -1;
	}
	if ((norm = image_ref_in(refs, name))) {
		struct json_object *v;
		json_object_object_get_ex(refs, norm, &v);
		strcpy(id_out, json_object_get_string(v));
		return 0;
	}
	if ((r = resolve_id(s, name, id_out, err)) != 0)
		return r < 0 ? -1 : 0;
	return berth_error_set(err, ENOENT, "image \"%s\": no such image in the store", name);
}

size_t image_users(struct store *s, const char *id, char ***out)
{
	_cleanup_close_ int fd =
		openat(s->rootfd, "containers", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	_cleanup_closedir_ DIR *d = NULL;
	struct dirent *de;
	size_t n = 0;
	char **v = xcalloc(1, sizeof(char *));

	*out = v;
	if (fd < 0 || !(d = fdopendir(fd)))
		return 0;
	fd = -1;
	/* each container directory holds an "image" file with the image ID */
	while ((de = readdir(d))) {
		_cleanup_free_ char *p = NULL, *buf = NULL;
		struct berth_error err = { 0 };
		if (de->d_name[0] == '.')
			continue;
		p = xasprintf("%s/image", de->d_name);
		if (read_file_at(dirfd(d), p, 256, &buf, NULL, &err) < 0) {
			berth_error_clear(&err);
			continue;
		}
		if (strncmp(buf, id, DIGEST_STR_LEN) == 0) {
			v = xrealloc(v, (n + 2) * sizeof(char *));
			v[n++] = xstrdup(de->d_name);
			v[n] = NULL;
		}
	}
	*out = v;
	return n;
}

int image_delete(struct store *s, const char *id, struct berth_error *err)
{
	_cleanup_free_ char *p = image_path(id);

	if (unlinkat(s->rootfd, p, 0) < 0 && errno != ENOENT)
		return berth_error_set(err, errno, "removing image %.19s", id);
	return image_gc(s, err);
}

struct keep {
	char **v;
	size_t n, cap;
};

static void keep_add(struct keep *k, const char *hex)
{
	if (k->n + 1 >= k->cap)
		k->v = xrealloc(k->v, (k->cap = k->cap ? k->cap * 2 : 64) * sizeof(char *));
	k->v[k->n++] = xstrdup(hex);
}

static bool keep_has(struct keep *k, const char *hex)
{
	return k->n > 0 && bsearch(&hex, k->v, k->n, sizeof(char *), cmp_str) != NULL;
}

/* Remove entries of dir (relative to the store root) not in keep. */
static int sweep(struct store *s, const char *dir, struct keep *k, struct berth_error *err)
{
	_cleanup_close_ int fd = openat(s->rootfd, dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	_cleanup_closedir_ DIR *d = NULL;
	struct dirent *de;

	if (fd < 0 || !(d = fdopendir(fd)))
		return berth_error_set(err, errno, "store %s: %s", s->root, dir);
	fd = -1;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.' || keep_has(k, de->d_name))
			continue;
		if (rm_rf_at(dirfd(d), de->d_name, err) < 0)
			return berth_error_wrap(err, "store %s: %s", s->root, dir);
	}
	return 0;
}

int image_gc(struct store *s, struct berth_error *err)
{
	struct keep layers = { 0 }, blobs = { 0 };
	char **ids = NULL;
	size_t n = 0;
	int ret = -1;

	if (image_list_ids(s, &ids, &n, err) < 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		struct image *img;
		if (image_read(s, ids[i], &img, err) < 0)
			goto out; /* never sweep on a record we could not read */
		keep_add(&blobs, digest_hex(img->id));
		keep_add(&blobs, digest_hex(img->manifest));
		for (size_t l = 0; l < img->n_layers; l++) {
			keep_add(&layers, digest_hex(img->chain_ids[l]));
			keep_add(&blobs, digest_hex(img->blobs[l]));
		}
		image_free(img);
	}
	if (layers.v)
		qsort(layers.v, layers.n, sizeof(char *), cmp_str);
	if (blobs.v)
		qsort(blobs.v, blobs.n, sizeof(char *), cmp_str);
	if (sweep(s, "layers", &layers, err) < 0 || sweep(s, "blobs/sha256", &blobs, err) < 0)
		goto out;
	ret = 0;
out:
	for (size_t i = 0; i < layers.n; i++)
		free(layers.v[i]);
	for (size_t i = 0; i < blobs.n; i++)
		free(blobs.v[i]);
	free(layers.v);
	free(blobs.v);
	strv_free(ids);
	return ret;
}

int image_commit_begin(struct store *s, struct berth_error *err)
{
	int fd = openat(s->rootfd, "gc.pending", O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return berth_error_set(err, errno, "store %s: gc.pending", s->root);
	close(fd);
	return 0;
}

void image_commit_end(struct store *s)
{
	unlinkat(s->rootfd, "gc.pending", 0);
}

int image_commit_new(struct store *s, const char *id, struct berth_error *err)
{
	_cleanup_close_ int fd =
		openat(s->rootfd, "gc.pending", O_WRONLY | O_TRUNC | O_CLOEXEC | O_NOFOLLOW);

	/* one small write: a kill leaves it whole or not made */
	if (fd < 0 || write_all(fd, id, strlen(id)) < 0)
		return berth_error_set(err, errno, "store %s: gc.pending", s->root);
	return 0;
}

void image_commit_drop_unnamed(struct store *s)
{
	_cleanup_free_ char *buf = NULL, *p = NULL;
	_cleanup_json_ struct json_object *refs = NULL;
	struct berth_error ignore = { 0 };
	char **names = NULL;

	/* an empty mark (no new named image) or one that is no ID: nothing;
	 * names that cannot be read: the record stays (it may be named) */
	if (read_file_at(s->rootfd, "gc.pending", 256, &buf, NULL, &ignore) < 0 ||
	    !digest_valid(buf) || refs_read(s, &refs, &ignore) < 0) {
		berth_error_clear(&ignore);
		return;
	}
	if (refs_of(refs, buf, &names) == 0) {
		p = image_path(buf);
		unlinkat(s->rootfd, p, 0);
	}
	strv_free(names);
}

/* A killed commit's writes cut off (write_file_atomic's NAME.tmp-PID of
 * a PID that is gone) in dir: removed, as system check --repair would. */
static void remove_cut_off_writes(struct store *s, const char *dir)
{
	_cleanup_close_ int fd = openat(s->rootfd, dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	_cleanup_closedir_ DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	struct dirent *de;

	if (!d)
		return;
	fd = -1;
	while ((de = readdir(d)))
		if (write_is_stale_tmp(de->d_name))
			unlinkat(dirfd(d), de->d_name, 0);
}

void image_recover(struct store *s)
{
	struct berth_error err = { 0 };

	if (faccessat(s->rootfd, "gc.pending", F_OK, AT_SYMLINK_NOFOLLOW) < 0)
		return;
	/* only when nobody else is committing right now */
	if (flock(s->lockfd, LOCK_EX | LOCK_NB) < 0)
		return;
	s->locked = LOCK_EX;
	image_commit_drop_unnamed(s);
	/* its record or refs.json, cut off: the store is left as it was */
	remove_cut_off_writes(s, ".");
	remove_cut_off_writes(s, "images");
	if (image_gc(s, &err) == 0)
		image_commit_end(s);
	berth_error_clear(&err);
	store_unlock(s);
}

struct json_object *image_config(struct store *s, const char *id, struct berth_error *err)
{
	_cleanup_close_ int fd = store_blob_open(s, id, err);
	_cleanup_free_ char *buf = NULL;
	struct json_object *o;
	size_t len;

	if (fd < 0 || read_fd_all(fd, OCI_MAX_CONFIG, &buf, &len, err) < 0 ||
	    json_parse_bounded(buf, len, "config", &o, err) < 0) {
		berth_error_wrap(err, "image %.19s", id);
		return NULL;
	}
	return o;
}
