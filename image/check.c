// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * check.c: `berth system check`'s report and quarantine, and the check of
 * the image store: stages left under tmp/, blobs (and with --digests
 * their content), layers (layer.json, the metadata table, diff/), image
 * records and what they name, refs.json, what no image uses, and cut-off
 * writes in builder/cache (the build cache is no garbage). With
 * --repair each step fixes what it found before the next looks, so the
 * steps below see the store as repaired: a quarantined blob makes the
 * image that needs it incomplete, a quarantined image takes its names
 * out of refs.json, and what then no image uses is collected.
 *
 * Nothing is deleted that holds data berth cannot make again: what
 * cannot be read is moved to quarantine/ (store.h's layout otherwise
 * untouched); only stages of dead commands, temporary files of killed
 * writes and what no image uses (image_gc's garbage) are removed.
 * Containers and volumes are checked in runner/ and objects/.
 */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "image.h"
#include "reference.h"
#include "../lib/json.h"
#include "../lib/util.h"

void check_report_clear(struct check_report *r)
{
	for (size_t i = 0; i < r->n; i++) {
		free(r->v[i].what);
		free(r->v[i].plan);
	}
	free(r->v);
	r->v = NULL;
	r->n = 0;
}

static struct check_problem *add(struct check_report *r, enum check_state state, const char *plan,
				 char *what)
{
	struct check_problem *p;

	r->v = xrealloc(r->v, (r->n + 1) * sizeof(*r->v));
	p = &r->v[r->n++];
	p->what = what;
	p->plan = xstrdup(plan ? plan : "");
	p->state = state;
	return p;
}

struct check_problem *check_found(struct check_report *r, const char *plan, const char *fmt, ...)
{
	va_list ap;
	char *what;

	va_start(ap, fmt);
	what = xvasprintf(fmt, ap);
	va_end(ap);
	return add(r, CHECK_FOUND, plan, what);
}

void check_manual(struct check_report *r, const char *hint, const char *fmt, ...)
{
	va_list ap;
	char *what;

	va_start(ap, fmt);
	what = xvasprintf(fmt, ap);
	va_end(ap);
	add(r, CHECK_MANUAL, hint, what);
}

void check_settle(struct check_problem *p, int rc, const char *done, struct berth_error *err)
{
	if (rc < 0) {
		free(p->plan);
		p->plan = berth_error_text(err);
		p->state = CHECK_FAILED;
		berth_error_clear(err);
		return;
	}
	if (done) {
		free(p->plan);
		p->plan = xstrdup(done);
	}
	p->state = CHECK_REPAIRED;
}

size_t check_left(const struct check_report *r)
{
	size_t n = 0;

	for (size_t i = 0; i < r->n; i++)
		n += r->v[i].state != CHECK_REPAIRED;
	return n;
}

char *check_line(const struct check_problem *p)
{
	switch (p->state) {
	case CHECK_FOUND:
		return *p->plan ? xasprintf("%s (--repair: %s)", p->what, p->plan)
				: xstrdup(p->what);
	case CHECK_REPAIRED: return xasprintf("%s: repaired: %s", p->what, p->plan);
	case CHECK_MANUAL: return xasprintf("%s (not repaired: %s)", p->what, p->plan);
	case CHECK_FAILED:
	default: return xasprintf("%s: repair failed: %s", p->what, p->plan);
	}
}

int check_quarantine(struct store *s, const char *path, char **dest, struct berth_error *err)
{
	_cleanup_free_ char *target = xasprintf("quarantine/%s", path);
	_cleanup_free_ char *dir = NULL;
	char *slash = strrchr(target, '/');

	dir = xstrndup(target, (size_t)(slash - target));
	if (mkdir_p_at(s->rootfd, dir, 0700, err) < 0)
		return berth_error_wrap(err, "store %s", s->root);
	/* a name already taken (the same object quarantined before) gets
	 * the time and a number: nothing in quarantine/ is overwritten */
	for (int i = 0; faccessat(s->rootfd, target, F_OK, AT_SYMLINK_NOFOLLOW) == 0; i++) {
		free(target);
		target = xasprintf("quarantine/%s.%lld-%d", path, (long long)time(NULL), i);
	}
	if (renameat(s->rootfd, path, s->rootfd, target) < 0)
		return berth_error_set(err, errno, "moving %s/%s to %s", s->root, path, target);
	if (dest)
		*dest = steal_pointer(&target);
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The names in dir (relative to the store root), sorted; dot-files left
 * out. Absent: none. */
static char **list_dir(struct store *s, const char *dir)
{
	_cleanup_close_ int fd = openat(s->rootfd, dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	_cleanup_closedir_ DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	struct dirent *de;
	char **v = xcalloc(1, sizeof(char *));
	size_t n = 0;

	if (!d)
		return v;
	fd = -1;
	while ((de = readdir(d)))
		if (de->d_name[0] != '.')
			strv_push(&v, &n, de->d_name);
	qsort(v, n, sizeof(char *), cmp_str);
	return v;
}

static bool is_hex64(const char *name)
{
	return strlen(name) == DIGEST_HEX_LEN && strspn(name, "0123456789abcdef") == DIGEST_HEX_LEN;
}

/* What the steps hand on: the objects found damaged (hex names), and the
 * images whose records are whole. */
struct ctx {
	struct store *s;
	struct check_report *r;
	bool repair;
	char **bad_blobs, **bad_layers, **good_images;
	size_t n_bad_blobs, n_bad_layers, n_good_images;
	/* what the records of quarantined images name: their layers go as
	 * garbage (they are unpacked from the blobs), their blobs go to
	 * quarantine/ with the records, so the image can be made again */
	char **orphan_blobs, **orphan_layers;
	size_t n_orphan_blobs, n_orphan_layers;
	struct json_object *refs; /* what refs.json says, for messages */
};

/* Quarantine path now (repair) or say that --repair would. */
static void quarantine(struct ctx *c, const char *path, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void quarantine(struct ctx *c, const char *path, const char *fmt, ...)
{
	struct berth_error err = { 0 };
	_cleanup_free_ char *plan = xasprintf("move it to quarantine/%s", path), *dest = NULL;
	_cleanup_free_ char *done = NULL;
	struct check_problem *p;
	va_list ap;

	va_start(ap, fmt);
	p = add(c->r, CHECK_FOUND, plan, xvasprintf(fmt, ap));
	va_end(ap);
	if (!c->repair)
		return;
	int rc = check_quarantine(c->s, path, &dest, &err);
	if (rc == 0)
		done = xasprintf("moved to %s", dest);
	check_settle(p, rc, done, &err);
}

/* Remove dir/name (a leftover) now, or say that --repair would. */
static void remove_leftover(struct ctx *c, const char *dir, const char *name, const char *why)
{
	struct berth_error err = { 0 };
	_cleanup_close_ int fd = openat(c->s->rootfd, dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	struct check_problem *p = check_found(c->r, "remove it", "%s/%s: %s", dir, name, why);

	if (!c->repair)
		return;
	int rc = fd < 0 ? berth_error_set(&err, errno, "%s/%s", c->s->root, dir)
			: rm_rf_at(fd, name, &err);
	check_settle(p, rc, "removed", &err);
}

/* Stages of commands that were killed (store_open removes them too; the
 * check opens the store without that, to name them), writes cut off,
 * and a commit that never finished. */
static void check_tmp(struct ctx *c)
{
	char **stages = store_stale_stages(c->s), **root = list_dir(c->s, ".");
	char **tmp = list_dir(c->s, "tmp");

	for (char **st = stages; *st; st++) {
		struct berth_error err = { 0 };
		struct check_problem *p = check_found(
			c->r, "remove it",
			"tmp/%s: a staging area left by a killed load, import or commit", *st);
		if (c->repair)
			check_settle(p, store_stage_remove(c->s, *st, &err), "removed", &err);
	}
	for (char **t = tmp; *t; t++) {
		if (str_has_prefix(*t, "stage-"))
			continue;
		_cleanup_free_ char *path = xasprintf("tmp/%s", *t);
		quarantine(c, path, "tmp/%s: not a staging area of berth", *t);
	}
	for (char **e = root; *e; e++)
		if (write_is_stale_tmp(*e))
			remove_leftover(c, ".", *e, "a write cut off by a killed command");
	if (faccessat(c->s->rootfd, "gc.pending", F_OK, AT_SYMLINK_NOFOLLOW) == 0)
		check_found(c->r, "remove what no image uses",
			    "gc.pending: a commit was killed before it finished");
	strv_free(stages);
	strv_free(root);
	strv_free(tmp);
}

static bool blob_digest_ok(struct ctx *c, const char *hex, char *actual, struct berth_error *err)
{
	_cleanup_free_ char *p = xasprintf("blobs/sha256/%s", hex);
	_cleanup_close_ int fd = openat(c->s->rootfd, p, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	uint64_t size;

	if (fd < 0) {
		berth_error_set(err, errno, "%s", p);
		return false;
	}
	if (sha256_fd(fd, actual, &size, err) < 0)
		return false;
	return strcmp(digest_hex(actual), hex) == 0;
}

static void check_blobs(struct ctx *c)
{
	char **blobs = list_dir(c->s, "blobs/sha256");

	for (char **b = blobs; *b; b++) {
		_cleanup_free_ char *path = xasprintf("blobs/sha256/%s", *b);
		char actual[DIGEST_STR_LEN + 1] = "";
		struct berth_error err = { 0 };
		struct stat st;

		if (write_is_stale_tmp(*b)) {
			remove_leftover(c, "blobs/sha256", *b,
					"a write cut off by a killed command");
			continue;
		}
		if (!is_hex64(*b)) {
			quarantine(c, path, "%s: not a blob (its name is no sha256 digest)", path);
			continue;
		}
		if (fstatat(c->s->rootfd, path, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
		    !S_ISREG(st.st_mode)) {
			strv_push(&c->bad_blobs, &c->n_bad_blobs, *b);
			quarantine(c, path, "%s: not a regular file", path);
			continue;
		}
		if (!c->r->opts.digests)
			continue;
		if (!blob_digest_ok(c, *b, actual, &err)) {
			_cleanup_free_ char *why = err.msg ? berth_error_text(&err)
							   : xasprintf("its content is %s", actual);
			berth_error_clear(&err);
			strv_push(&c->bad_blobs, &c->n_bad_blobs, *b);
			quarantine(c, path, "%s: wrong digest: %s", path, why);
		}
	}
	strv_free(blobs);
}

/* A layer's record, its metadata table and data tree: "" when whole,
 * else what is wrong (free it). */
static char *layer_problem(struct store *s, const char *hex)
{
	_cleanup_free_ char *chain = xasprintf("sha256:%s", hex);
	struct berth_error err = { 0 };
	struct layer_info info;
	struct bfs_layer l;

	if (store_layer_info(s, chain, &info, &err) < 0) {
		char *t = berth_error_text(&err);
		berth_error_clear(&err);
		return t;
	}
	if (strcmp(info.chain_id, chain) != 0)
		return xasprintf("layer.json names another layer, %s", info.chain_id);
	if (store_layer_open(s, chain, &l, &err) < 0) {
		char *t = berth_error_text(&err);
		berth_error_clear(&err);
		return t;
	}
	bfs_layer_release(&l);
	return xstrdup("");
}

static void check_layers(struct ctx *c)
{
	char **layers = list_dir(c->s, "layers");

	for (char **e = layers; *e; e++) {
		_cleanup_free_ char *path = xasprintf("layers/%s", *e), *why = NULL;

		if (!is_hex64(*e)) {
			quarantine(c, path, "%s: not a layer (its name is no chain ID)", path);
			continue;
		}
		why = layer_problem(c->s, *e);
		if (!*why)
			continue;
		strv_push(&c->bad_layers, &c->n_bad_layers, *e);
		quarantine(c, path, "%s: unreadable: %s", path, why);
	}
	strv_free(layers);
}

/* "" when the blob is there and whole, else what is wrong with it. */
static const char *blob_state(struct ctx *c, const char *digest)
{
	if (strv_has(c->bad_blobs, digest_hex(digest)))
		return "damaged";
	return store_blob_exists(c->s, digest) ? "" : "missing";
}

/* What keeps image id from being used: "" when nothing (free it). */
static char *image_problem(struct ctx *c, const char *id)
{
	struct berth_error err = { 0 };
	struct image *img = NULL;
	struct json_object *cfg;
	char *why = NULL, chain[DIGEST_STR_LEN + 1] = "";

	if (image_read(c->s, id, &img, &err) < 0) {
		why = berth_error_text(&err);
		berth_error_clear(&err);
		return why;
	}
	if (strcmp(img->id, id) != 0)
		why = xasprintf("the record is of another image, %.19s", img->id);
	else if (*blob_state(c, img->id))
		why = xasprintf("its config blob is %s", blob_state(c, img->id));
	else if (*blob_state(c, img->manifest))
		why = xasprintf("its manifest blob %.19s is %s", img->manifest,
				blob_state(c, img->manifest));
	else if (!(cfg = image_config(c->s, id, &err))) {
		why = berth_error_text(&err);
		berth_error_clear(&err);
	} else
		json_object_put(cfg);
	for (size_t l = 0; !why && l < img->n_layers; l++) {
		struct layer_info info;
		/* each layer is its parent's chain plus its own diff */
		store_chain_id(chain, img->diff_ids[l], chain);
		if (strcmp(chain, img->chain_ids[l]) != 0)
			why = xasprintf("layer %zu: chain ID %.19s does not follow from its diffs",
					l, img->chain_ids[l]);
		else if (strv_has(c->bad_layers, digest_hex(img->chain_ids[l])) ||
			 !store_layer_exists(c->s, img->chain_ids[l]))
			why = xasprintf("its layer %.19s is %s", img->chain_ids[l],
					store_layer_exists(c->s, img->chain_ids[l]) ? "damaged"
										    : "missing");
		else if (store_layer_info(c->s, img->chain_ids[l], &info, &err) < 0) {
			why = berth_error_text(&err);
			berth_error_clear(&err);
		} else if (strcmp(info.diff_id, img->diff_ids[l]) != 0)
			why = xasprintf("its layer %.19s holds diff %.19s, not %.19s",
					img->chain_ids[l], info.diff_id, img->diff_ids[l]);
		else if (*blob_state(c, img->blobs[l]))
			why = xasprintf("its layer blob %.19s is %s", img->blobs[l],
					blob_state(c, img->blobs[l]));
	}
	image_free(img);
	return why ? why : xstrdup("");
}

static void check_images(struct ctx *c)
{
	char **entries = list_dir(c->s, "images");

	for (char **e = entries; *e; e++) {
		_cleanup_free_ char *path = xasprintf("images/%s", *e), *id = NULL, *why = NULL;
		_cleanup_free_ char *hex = xstrndup(*e, DIGEST_HEX_LEN);
		char **names = NULL, **users = NULL;

		if (write_is_stale_tmp(*e)) {
			remove_leftover(c, "images", *e, "a write cut off by a killed command");
			continue;
		}
		if (!is_hex64(hex) || strcmp(*e + strlen(hex), ".json") != 0) {
			quarantine(c, path, "%s: not an image record", path);
			continue;
		}
		id = xasprintf("sha256:%s", hex);
		why = image_problem(c, id);
		if (!*why) {
			strv_push(&c->good_images, &c->n_good_images, id);
			continue;
		}
		size_t k = refs_of(c->refs, id, &names), u = image_users(c->s, id, &users);
		_cleanup_free_ char *named =
			k ? xasprintf(" (%s%s)", names[0], k > 1 ? ", ..." : "") : xstrdup("");
		_cleanup_free_ char *used = u ? xasprintf("; container %s%s cannot start again",
							  users[0], u > 1 ? " and others" : "")
					      : xstrdup("");
		struct image *img;
		struct berth_error ignore = { 0 };
		if (image_read(c->s, id, &img, &ignore) == 0) {
			strv_push(&c->orphan_blobs, &c->n_orphan_blobs, digest_hex(img->id));
			strv_push(&c->orphan_blobs, &c->n_orphan_blobs, digest_hex(img->manifest));
			for (size_t l = 0; l < img->n_layers; l++) {
				strv_push(&c->orphan_blobs, &c->n_orphan_blobs,
					  digest_hex(img->blobs[l]));
				strv_push(&c->orphan_layers, &c->n_orphan_layers,
					  digest_hex(img->chain_ids[l]));
			}
			image_free(img);
		}
		berth_error_clear(&ignore);
		quarantine(c, path, "image %.19s%s: %s%s (its blobs no other image uses follow it)",
			   id, named, why, used);
		strv_free(names);
		strv_free(users);
	}
	strv_free(entries);
}

/* refs.json written anew from kept, the old one kept in quarantine/. */
static int refs_replace(struct ctx *c, struct json_object *kept, char **moved,
			struct berth_error *err)
{
	if (faccessat(c->s->rootfd, "refs.json", F_OK, AT_SYMLINK_NOFOLLOW) == 0 &&
	    check_quarantine(c->s, "refs.json", moved, err) < 0)
		return -1;
	return refs_write(c->s, kept, err);
}

/* The images left without a name, for the rebuild's message. */
static char *nameless(struct ctx *c, struct json_object *kept)
{
	char *out = xstrdup("");

	for (size_t i = 0; i < c->n_good_images; i++) {
		char **names = NULL;
		if (refs_of(kept, c->good_images[i], &names) == 0) {
			char *t = xasprintf("%s%s%.12s", out, *out ? ", " : "",
					    digest_hex(c->good_images[i]));
			free(out);
			out = t;
		}
		strv_free(names);
	}
	return out;
}

/* The kept entries of refs: a valid name for an image whose record is
 * whole; what is dropped into lost ("NAME (why)"). */
static struct json_object *refs_keep(struct ctx *c, struct json_object *refs, char ***lost,
				     size_t *n_lost)
{
	struct json_object *kept = json_object_new_object();

	json_object_object_foreach(refs, key, val)
	{
		_cleanup_free_ char *norm = NULL, *why = NULL;
		struct berth_error ignore = { 0 };
		const char *id = json_object_is_type(val, json_type_string)
					 ? json_object_get_string(val)
					 : NULL;

		if (reference_normalize(key, &norm, &ignore) < 0 || strcmp(norm, key) != 0)
			why = xasprintf("%.200s (not a valid name)", key);
		else if (!id || !digest_valid(id))
			why = xasprintf("%s (not mapped to an image ID)", key);
		else if (!strv_has(c->good_images, id))
			why = xasprintf("%s (its image %.19s is not in the store)", key, id);
		berth_error_clear(&ignore);
		if (why)
			strv_push(lost, n_lost, why);
		else
			json_object_object_add(kept, key, json_object_get(val));
	}
	return kept;
}

static void check_refs(struct ctx *c)
{
	_cleanup_free_ char *buf = NULL, *moved = NULL, *plan = NULL, *done = NULL, *none = NULL;
	_cleanup_json_ struct json_object *o = NULL, *kept = NULL;
	struct berth_error err = { 0 }, why = { 0 };
	char **lost = NULL;
	size_t len = 0, n_lost = 0;
	struct check_problem *p;

	if (faccessat(c->s->rootfd, "refs.json", F_OK, AT_SYMLINK_NOFOLLOW) < 0 && errno == ENOENT)
		return;
	if (read_file_at(c->s->rootfd, "refs.json", 16 << 20, &buf, &len, &why) == 0 &&
	    json_parse_bounded(buf, len, "refs.json", &o, &why) == 0 &&
	    !json_object_is_type(o, json_type_object))
		berth_error_set(&why, 0, "refs.json: not an object");
	if (why.msg) {
		/* damaged: what is still legible of it, for the images there are */
		_cleanup_json_ struct json_object *salvaged = NULL;
		char **cut = NULL;
		refs_salvage(buf ? buf : "", buf ? len : 0, &salvaged, &cut);
		kept = refs_keep(c, salvaged, &lost, &n_lost);
		for (char **n = cut; n && *n; n++) {
			_cleanup_free_ char *t = xasprintf("%s (its image ID is cut off)", *n);
			strv_push(&lost, &n_lost, t);
		}
		strv_free(cut);
	} else {
		kept = refs_keep(c, o, &lost, &n_lost);
		if (n_lost == 0) {
			strv_free(lost);
			return;
		}
	}
	none = nameless(c, kept);
	_cleanup_free_ char *what =
		why.msg ? berth_error_text(&why)
			: xasprintf("refs.json: %zu entr%s naming no image in the store", n_lost,
				    n_lost > 1 ? "ies" : "y");
	berth_error_clear(&why);
	_cleanup_free_ char *lostlist = xstrdup("");
	for (size_t i = 0; i < n_lost; i++) {
		char *t = xasprintf("%s%s%s", lostlist, i ? ", " : "", lost[i]);
		free(lostlist);
		lostlist = t;
	}
	int n_kept = json_object_object_length(kept);
	_cleanup_free_ char *detail =
		xasprintf("from the image records: %d name%s kept%s%s%s%s", n_kept,
			  n_kept == 1 ? "" : "s", n_lost ? "; lost: " : "", lostlist,
			  *none ? "; without a name (berth tag ID NAME): " : "", none);
	plan = xasprintf("rebuild it %s", detail);
	p = check_found(c->r, plan, "%s", what);
	if (c->repair) {
		int rc = refs_replace(c, kept, &moved, &err);
		if (rc == 0)
			done = xasprintf("rebuilt %s; the old file is %s", detail,
					 moved ? moved : "gone");
		check_settle(p, rc, done, &err);
	}
	strv_free(lost);
}

/* The build's folder (builder/cache.c): its step cache entries and
 * cache mounts are the user's build state, never garbage; only a write
 * of an entry cut off by a killed build is. An entry whose image went is
 * a miss, harmless, and goes with the next prune. */
static void check_builder(struct ctx *c)
{
	char **entries = list_dir(c->s, "builder/cache");

	for (char **e = entries; *e; e++)
		if (write_is_stale_tmp(*e))
			remove_leftover(c, "builder/cache", *e,
					"a write cut off by a killed command");
	strv_free(entries);
}

/* What no whole image names: left by a killed commit (image_gc's garbage). */
static void check_garbage(struct ctx *c)
{
	char **layers = list_dir(c->s, "layers"), **blobs = list_dir(c->s, "blobs/sha256");
	char **keep_layers = NULL, **keep_blobs = NULL;
	size_t nl = 0, nb = 0, before = c->r->n, moved = 0;
	bool pending = faccessat(c->s->rootfd, "gc.pending", F_OK, AT_SYMLINK_NOFOLLOW) == 0;

	for (size_t i = 0; i < c->n_good_images; i++) {
		struct berth_error err = { 0 };
		struct image *img;
		if (image_read(c->s, c->good_images[i], &img, &err) < 0) {
			berth_error_clear(&err);
			continue;
		}
		strv_push(&keep_blobs, &nb, digest_hex(img->id));
		strv_push(&keep_blobs, &nb, digest_hex(img->manifest));
		for (size_t l = 0; l < img->n_layers; l++) {
			strv_push(&keep_layers, &nl, digest_hex(img->chain_ids[l]));
			strv_push(&keep_blobs, &nb, digest_hex(img->blobs[l]));
		}
		image_free(img);
	}
	/* a quarantined image's own blobs join its record; its layers,
	 * made from them, go with the garbage (its problem line says so) */
	for (char **b = blobs; *b; b++) {
		_cleanup_free_ char *path = xasprintf("blobs/sha256/%s", *b);
		struct berth_error err = { 0 };
		if (!is_hex64(*b) || strv_has(c->bad_blobs, *b) || strv_has(keep_blobs, *b) ||
		    !strv_has(c->orphan_blobs, *b))
			continue;
		if (c->repair && check_quarantine(c->s, path, NULL, &err) == 0)
			moved++;
		berth_error_clear(&err);
	}
	for (char **l = layers; *l; l++)
		if (is_hex64(*l) && !strv_has(c->bad_layers, *l) && !strv_has(keep_layers, *l) &&
		    !strv_has(c->orphan_layers, *l))
			check_found(c->r, "remove it", "layers/%.19s: no image uses it", *l);
	for (char **b = blobs; *b; b++)
		if (is_hex64(*b) && !strv_has(c->bad_blobs, *b) && !strv_has(keep_blobs, *b) &&
		    !strv_has(c->orphan_blobs, *b))
			check_found(c->r, "remove it", "blobs/sha256/%.19s: no image uses it", *b);
	(void)moved;
	if (c->repair && (pending || c->r->n > before || c->n_orphan_layers)) {
		struct berth_error err = { 0 };
		int rc;
		/* a commit killed between a new image's record and its names */
		if (pending)
			image_commit_drop_unnamed(c->s);
		rc = image_gc(c->s, &err);
		if (rc == 0)
			image_commit_end(c->s);
		for (size_t i = before; i < c->r->n; i++) {
			struct berth_error copy = { 0 };
			if (rc < 0)
				berth_error_set(&copy, err.errnum, "%s", err.msg);
			check_settle(&c->r->v[i], rc, "removed", &copy);
		}
		/* and the gc.pending of check_tmp, settled the same way */
		for (size_t i = 0; i < before; i++)
			if (c->r->v[i].state == CHECK_FOUND &&
			    str_has_prefix(c->r->v[i].what, "gc.pending:")) {
				struct berth_error copy = { 0 };
				if (rc < 0)
					berth_error_set(&copy, err.errnum, "%s", err.msg);
				check_settle(&c->r->v[i], rc, "collected", &copy);
			}
		berth_error_clear(&err);
	}
	strv_free(layers);
	strv_free(blobs);
	strv_free(keep_layers);
	strv_free(keep_blobs);
}

int image_store_check(struct store *s, struct check_report *r, struct berth_error *err)
{
	struct berth_error damage = { 0 };
	struct ctx c = { .s = s, .r = r, .repair = r->opts.repair };

	(void)err;
	refs_read_checked(s, &c.refs, &damage);
	berth_error_clear(&damage);
	check_tmp(&c);
	check_builder(&c);
	check_blobs(&c);
	check_layers(&c);
	check_images(&c);
	check_refs(&c);
	check_garbage(&c);
	json_object_put(c.refs);
	strv_free(c.bad_blobs);
	strv_free(c.bad_layers);
	strv_free(c.good_images);
	strv_free(c.orphan_blobs);
	strv_free(c.orphan_layers);
	return 0;
}

/* A JSON string at *p (on its opening quote): its text, or NULL when it
 * is cut off or holds an escape (no valid name does); *p past it. */
static char *scan_string(const char **p, const char *end)
{
	const char *q = *p + 1;

	while (q < end && *q != '"' && *q != '\\' && (unsigned char)*q >= 0x20)
		q++;
	if (q >= end || *q != '"') {
		while (q < end && *q != '"')
			q += *q == '\\' ? 2 : 1;
		*p = q < end ? q + 1 : end;
		return NULL;
	}
	char *s = xstrndup(*p + 1, (size_t)(q - *p - 1));
	*p = q + 1;
	return s;
}

static const char *skip_space(const char *p, const char *end)
{
	while (p < end && strchr(" \t\r\n", *p) && *p)
		p++;
	return p;
}

void refs_salvage(const char *buf, size_t len, struct json_object **out, char ***lost)
{
	const char *p = buf, *end = buf + len;
	size_t n_lost = 0;

	*out = json_object_new_object();
	*lost = xcalloc(1, sizeof(char *));
	while ((p = memchr(p, '"', (size_t)(end - p)))) {
		_cleanup_free_ char *key = scan_string(&p, end), *norm = NULL, *val = NULL;
		struct berth_error ignore = { 0 };
		bool name = key && reference_normalize(key, &norm, &ignore) == 0 &&
			    strcmp(norm, key) == 0;

		berth_error_clear(&ignore);
		if (!name)
			continue;
		p = skip_space(p, end);
		if (p >= end || *p != ':') {
			if (p >= end)
				strv_push(lost, &n_lost, key);
			continue;
		}
		p = skip_space(p + 1, end);
		if (p < end && *p == '"')
			val = scan_string(&p, end);
		if (val && digest_valid(val))
			json_object_object_add(*out, key, json_object_new_string(val));
		else
			strv_push(lost, &n_lost, key);
	}
}
