// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * load.c: the image load pipeline. Collect what the input holds (an OCI
 * index walk with platform choice, or docker's manifest.json), then per
 * image: verify every blob, unpack missing layers into the stage under a
 * shared store lock, and commit blobs, layers, record and refs under the
 * exclusive lock. Nothing becomes visible before the record is written;
 * an interrupted load leaves a stage that the next command removes.
 * A pull hands its fetched blobs to the same install
 * (image_install_staged).
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "image.h"
#include "load.h"
#include "../lib/progress.h"
#include "reference.h"
#include "source.h"
#include "unpack.h"
#include "../lib/userconf.h"
#include "../lib/util.h"

struct pending_layer {
	char *member; /* in the source; NULL when staged already */
	char *staged; /* name in the stage dir once there */
	const char *media_type;
	char digest[DIGEST_STR_LEN + 1];
	uint64_t size;
};

struct pending {
	char **names; /* normalised refs, NULL-terminated */
	char *config;
	size_t config_len;
	char config_digest[DIGEST_STR_LEN + 1];
	char *manifest;
	size_t manifest_len;
	char manifest_digest[DIGEST_STR_LEN + 1];
	size_t n_layers;
	struct pending_layer *layers;
	bool intermediate; /* asked for (load_staged's) */
};

struct loader {
	struct store *store;
	struct store_stage *stage;
	struct source src;
	struct oci_platform want;
	char *default_repo; /* for OCI ref names that are only a tag */
	struct progress prog;
	struct unpack_limits lim; /* without the image totals */
	size_t n;
	struct pending *images;
	unsigned seq; /* unique names inside the stage */
	/* load_staged's: a pull's blobs that may still be downloading */
	int (*await)(const char *staged, void *data);
	void *await_data;
	struct berth_error *err;
};

void load_result_clear(struct load_result *r)
{
	for (size_t i = 0; i < r->n; i++) {
		free(r->ids[i]);
		strv_free(r->refs[i]);
	}
	free(r->ids);
	free(r->refs);
	memset(r, 0, sizeof(*r));
}

static void pending_clear(struct pending *p)
{
	strv_free(p->names);
	free(p->config);
	free(p->manifest);
	for (size_t i = 0; i < p->n_layers; i++) {
		free(p->layers[i].member);
		free(p->layers[i].staged);
	}
	free(p->layers);
}

static struct pending *pending_add(struct loader *l)
{
	l->images = xrealloc(l->images, (l->n + 1) * sizeof(*l->images));
	memset(&l->images[l->n], 0, sizeof(*l->images));
	l->images[l->n].names = xcalloc(1, sizeof(char *));
	return &l->images[l->n++];
}

static void names_add(struct pending *p, const char *ref)
{
	size_t n = 0;
	while (p->names[n])
		n++;
	p->names = xrealloc(p->names, (n + 2) * sizeof(char *));
	p->names[n] = xstrdup(ref);
	p->names[n + 1] = NULL;
}

/* "latest" names a tag of the input; anything with a '/' or ':' is a
 * full reference. */
static int add_ref_name(struct loader *l, struct pending *p, const char *ref)
{
	_cleanup_free_ char *norm = NULL, *full = NULL;

	if (!ref || !*ref)
		return 0;
	if (!strchr(ref, '/') && !strchr(ref, ':')) {
		if (!l->default_repo || !reference_valid_tag(ref))
			return 0;
		full = xasprintf("%s:%s", l->default_repo, ref);
		ref = full;
	}
	if (reference_normalize(ref, &norm, l->err) < 0)
		return berth_error_wrap(l->err, "%s", l->src.label);
	names_add(p, norm);
	return 0;
}

static void set_default_repo(struct loader *l, const char *input)
{
	_cleanup_free_ char *base = NULL, *norm = NULL;
	struct berth_error ignore = { 0 };
	const char *b;

	if (!input || strcmp(input, "-") == 0)
		return;
	b = strrchr(input, '/');
	while (b && b[1] == '\0' && b > input) { /* "dir/" */
		base = xstrndup(input, (size_t)(b - input));
		input = base;
		b = strrchr(input, '/');
	}
	base = xstrdup(b ? b + 1 : input);
	if (str_has_suffix(base, ".tar"))
		base[strlen(base) - 4] = '\0';
	for (char *c = base; *c; c++)
		if (*c >= 'A' && *c <= 'Z')
			*c = (char)(*c - 'A' + 'a');
	if (reference_normalize(base, &norm, &ignore) == 0 && !strchr(base, ':'))
		l->default_repo = xstrndup(norm, strlen(norm) - strlen(":latest"));
	berth_error_clear(&ignore);
}

static int collect_manifest(struct loader *l, const struct oci_desc *d, const char *ref)
{
	struct oci_manifest m;
	struct pending *p;
	char *buf;
	size_t len;

	if (source_read_blob(&l->src, d->digest, d->size, OCI_MAX_JSON, &buf, &len, l->err) < 0)
		return berth_error_wrap(l->err, "manifest %.19s", d->digest);
	if (oci_parse_manifest(buf, len, d->media_type, &m, l->err) < 0) {
		free(buf);
		return berth_error_wrap(l->err, "%s: manifest %.19s", l->src.label, d->digest);
	}
	p = pending_add(l);
	p->manifest = buf;
	p->manifest_len = len;
	strcpy(p->manifest_digest, d->digest);
	strcpy(p->config_digest, m.config.digest);
	if (source_read_blob(&l->src, m.config.digest, m.config.size, OCI_MAX_CONFIG, &p->config,
			     &p->config_len, l->err) < 0) {
		oci_manifest_clear(&m);
		return berth_error_wrap(l->err, "config");
	}
	p->n_layers = m.n_layers;
	p->layers = xcalloc(m.n_layers, sizeof(*p->layers));
	for (size_t i = 0; i < m.n_layers; i++) {
		p->layers[i].member = xasprintf("blobs/sha256/%s", digest_hex(m.layers[i].digest));
		strcpy(p->layers[i].digest, m.layers[i].digest);
		p->layers[i].size = m.layers[i].size;
	}
	oci_manifest_clear(&m);
	return add_ref_name(l, p, ref);
}

static int collect_desc(struct loader *l, const struct oci_desc *d, const char *ref, int depth);

/* A nested index: pick the manifest for the wanted platform. */
static int collect_index(struct loader *l, const struct oci_desc *d, const char *ref, int depth)
{
	struct oci_index idx;
	char *buf = NULL;
	size_t len;
	const struct oci_desc *best;
	int r;

	if (depth >= OCI_MAX_INDEX_DEPTH)
		return berth_error_set(l->err, 0, "%s: image index nested deeper than %d levels",
				       l->src.label, OCI_MAX_INDEX_DEPTH);
	if (source_read_blob(&l->src, d->digest, d->size, OCI_MAX_JSON, &buf, &len, l->err) < 0)
		return berth_error_wrap(l->err, "image index %.19s", d->digest);
	r = oci_parse_index(buf, len, d->media_type, &idx, l->err);
	free(buf);
	if (r < 0)
		return berth_error_wrap(l->err, "%s: image index %.19s", l->src.label, d->digest);
	best = oci_index_pick(&idx, &l->want);
	if (!best) {
		_cleanup_free_ char *w = oci_platform_str(&l->want);
		r = berth_error_set(
			l->err, 0,
			"%s: image index %.19s has no image for platform %s (use --platform)",
			l->src.label, d->digest, w);
	} else {
		r = collect_desc(l, best, ref, depth + 1);
	}
	oci_index_clear(&idx);
	return r;
}

static int collect_desc(struct loader *l, const struct oci_desc *d, const char *ref, int depth)
{
	if (oci_is_index(d->media_type))
		return collect_index(l, d, ref, depth);
	if (d->media_type && strcmp(d->media_type, MT_OCI_MANIFEST) &&
	    strcmp(d->media_type, MT_DOCKER_MANIFEST))
		return berth_error_set(l->err, 0, "%s: unsupported manifest type \"%.80s\"",
				       l->src.label, d->media_type);
	return collect_manifest(l, d, ref);
}

static int collect_oci(struct loader *l)
{
	struct oci_index idx;
	_cleanup_free_ char *buf = NULL;
	size_t len, skipped = 0;

	if (source_read(&l->src, "index.json", OCI_MAX_JSON, &buf, &len, NULL, l->err) < 0)
		return -1;
	if (oci_parse_index(buf, len, NULL, &idx, l->err) < 0)
		return berth_error_wrap(l->err, "%s: index.json", l->src.label);
	for (size_t i = 0; i < idx.n; i++) {
		const struct oci_desc *d = &idx.manifests[i];
		if (d->has_platform && !oci_is_index(d->media_type) &&
		    !oci_platform_match(&l->want, &d->platform)) {
			skipped++;
			continue;
		}
		if (collect_desc(l, d, d->ref_name, 0) < 0) {
			oci_index_clear(&idx);
			return -1;
		}
	}
	oci_index_clear(&idx);
	if (l->n == 0) {
		_cleanup_free_ char *w = oci_platform_str(&l->want);
		return berth_error_set(l->err, 0, "%s: index.json holds no image%s%s", l->src.label,
				       skipped ? " for platform " : "", skipped ? w : "");
	}
	return 0;
}

/* Serialise a document berth writes itself (a manifest or config), with
 * its digest, and drop the object. */
static void json_blob(struct json_object *o, char **buf, size_t *len, char *digest)
{
	const char *txt = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
								    JSON_C_TO_STRING_NOSLASHESCAPE);

	*len = strlen(txt);
	*buf = xstrdup(txt);
	sha256_bytes(*buf, *len, digest);
	json_object_put(o);
}

/* Docker's archive has no manifest: make the OCI one that `save`
 * will write, with the layer tars as they are. */
static void synth_manifest(struct pending *p)
{
	struct json_object *o = json_object_new_object(), *c = json_object_new_object(),
			   *a = json_object_new_array();

	json_object_object_add(o, "schemaVersion", json_object_new_int(2));
	json_object_object_add(o, "mediaType", json_object_new_string(MT_OCI_MANIFEST));
	json_object_object_add(c, "mediaType", json_object_new_string(MT_OCI_CONFIG));
	json_object_object_add(c, "digest", json_object_new_string(p->config_digest));
	json_object_object_add(c, "size", json_object_new_int64((int64_t)p->config_len));
	json_object_object_add(o, "config", c);
	for (size_t i = 0; i < p->n_layers; i++) {
		struct json_object *d = json_object_new_object();
		json_object_object_add(d, "mediaType",
				       json_object_new_string(p->layers[i].media_type));
		json_object_object_add(d, "digest", json_object_new_string(p->layers[i].digest));
		json_object_object_add(d, "size",
				       json_object_new_int64((int64_t)p->layers[i].size));
		json_object_array_add(a, d);
	}
	json_object_object_add(o, "layers", a);
	json_blob(o, &p->manifest, &p->manifest_len, p->manifest_digest);
}

static int collect_docker_entry(struct loader *l, const struct docker_entry *e)
{
	struct pending *p = pending_add(l);
	const char *hexname;

	if (source_read(&l->src, e->config, OCI_MAX_CONFIG, &p->config, &p->config_len,
			p->config_digest, l->err) < 0)
		return berth_error_wrap(l->err, "manifest.json: Config");
	/* docker names the config after its digest: hold it to that */
	hexname = strrchr(e->config, '/') ? strrchr(e->config, '/') + 1 : e->config;
	if (strlen(hexname) == DIGEST_HEX_LEN + 5 && str_has_suffix(hexname, ".json") &&
	    strspn(hexname, "0123456789abcdef") == DIGEST_HEX_LEN &&
	    strncmp(hexname, digest_hex(p->config_digest), DIGEST_HEX_LEN) != 0)
		return berth_error_set(l->err, 0,
				       "%s: config %s: digest mismatch (content is %.19s)",
				       l->src.label, e->config, p->config_digest);
	p->n_layers = e->n_layers;
	p->layers = xcalloc(e->n_layers, sizeof(*p->layers));
	for (size_t i = 0; i < e->n_layers; i++) {
		p->layers[i].member = xstrdup(e->layers[i]);
		if (source_digest(&l->src, e->layers[i], p->layers[i].digest, &p->layers[i].size,
				  l->err) < 0)
			return berth_error_wrap(l->err, "layer %zu", i + 1);
		p->layers[i].media_type = source_layer_media_type(&l->src, e->layers[i]);
	}
	synth_manifest(p);
	for (char **t = e->tags; *t; t++)
		if (add_ref_name(l, p, *t) < 0)
			return -1;
	return 0;
}

static int collect_docker(struct loader *l)
{
	struct docker_manifest dm;
	_cleanup_free_ char *buf = NULL;
	size_t len;
	int r = 0;

	if (source_read(&l->src, "manifest.json", OCI_MAX_JSON, &buf, &len, NULL, l->err) < 0)
		return -1;
	if (docker_parse_manifest(buf, len, &dm, l->err) < 0)
		return berth_error_wrap(l->err, "%s", l->src.label);
	for (size_t i = 0; i < dm.n && r == 0; i++)
		r = collect_docker_entry(l, &dm.entries[i]);
	docker_manifest_clear(&dm);
	return r;
}

static void layer_progress(uint64_t done, void *data)
{
	progress_update(&((struct loader *)data)->prog, done);
}

static void source_progress(uint64_t done, uint64_t total, void *data)
{
	(void)total;
	progress_update(&((struct loader *)data)->prog, done);
}

struct chain {
	size_t n;
	struct bfs_layer *layers; /* [i] = layer i (base first) */
	char (*staged)[32];	  /* stage dir name, or "" when stored */
	char (*chain_ids)[DIGEST_STR_LEN + 1];
	uint64_t size;	  /* uncompressed tar bytes of the layers so far */
	uint64_t entries; /* and their entries */
};

static void chain_clear(struct chain *c)
{
	for (size_t i = 0; i < c->n; i++)
		bfs_layer_release(&c->layers[i]);
	free(c->layers);
	free(c->staged);
	free(c->chain_ids);
	memset(c, 0, sizeof(*c));
}

/* Stage layer i's blob (unless stored) and return an fd on it. */
static int layer_blob_fd(struct loader *l, struct pending *p, size_t i)
{
	struct pending_layer *pl = &p->layers[i];
	char name[48];

	if (store_blob_exists(l->store, pl->digest))
		return store_blob_open(l->store, pl->digest, l->err);
	if (!pl->staged && !pl->member) /* a pull found it stored; a gc took it since */
		return berth_error_set(l->err, ENOENT,
				       "blob %.19s was removed from the store meanwhile; try again",
				       pl->digest);
	if (pl->staged && !pl->member && l->await && l->await(pl->staged, l->await_data) < 0)
		return berth_error_set(l->err, 0, "blob %.19s: its download failed", pl->digest);
	if (!pl->staged) {
		snprintf(name, sizeof(name), "blob-%u", l->seq++);
		if (source_stage_member(&l->src, pl->member, pl->digest, (int64_t)pl->size,
					l->stage, name, NULL, NULL, l->err) < 0)
			return -1;
		pl->staged = xstrdup(name);
	}
	int fd = openat(l->stage->dirfd, pl->staged, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return berth_error_set(l->err, errno, "staged blob %s", pl->staged);
	return fd;
}

/* Unpack layer i on top of chain->layers[0..i-1] into the stage. */
static int unpack_new_layer(struct loader *l, struct pending *p, struct chain *c, size_t i,
			    const char *diff_id)
{
	_cleanup_close_ int blob = -1, ldir = -1;
	struct bfs_stack stack = { .n = i + 1 };
	struct layer_info info = { 0 };
	struct unpack_limits lim = l->lim;
	struct unpack_result res;
	struct bfs_layer *top = &c->layers[i];
	int r;

	snprintf(c->staged[i], sizeof(c->staged[i]), "layer-%u", l->seq++);
	if ((blob = layer_blob_fd(l, p, i)) < 0)
		return -1;
	if (mkdirat(l->stage->dirfd, c->staged[i], 0700) < 0 ||
	    (ldir = openat(l->stage->dirfd, c->staged[i], O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0 ||
	    mkdirat(ldir, "diff", 0755) < 0 ||
	    (top->dirfd = openat(ldir, "diff", O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0)
		return berth_error_set(l->err, errno, "staging layer %zu", i + 1);
	top->meta = bfs_meta_new();
	top->name = xstrdup(p->layers[i].digest);
	stack.layers = xcalloc(i + 1, sizeof(*stack.layers));
	for (size_t k = 0; k <= i; k++)
		stack.layers[k] = c->layers[i - k];
	progress_start(&l->prog, p->layers[i].size, "Layer %zu/%zu %.19s", i + 1, p->n_layers,
		       p->layers[i].digest);
	lim.image_entries = c->entries;
	lim.image_size = c->size;
	r = unpack_layer(&stack, blob, &lim, layer_progress, l, &res, l->err);
	free(stack.layers);
	if (r < 0)
		return berth_error_wrap(l->err, "%s: layer %zu (%.19s)", l->src.label, i + 1,
					p->layers[i].digest);
	progress_end(&l->prog, p->layers[i].size);
	if (strcmp(res.diff_id, diff_id) != 0)
		return berth_error_set(l->err, 0,
				       "%s: layer %zu (%.19s): diff_id mismatch: the config says "
				       "%.19s, the content is %.19s",
				       l->src.label, i + 1, p->layers[i].digest, diff_id,
				       res.diff_id);
	strcpy(info.chain_id, c->chain_ids[i]);
	strcpy(info.diff_id, diff_id);
	if (i > 0)
		strcpy(info.parent, c->chain_ids[i - 1]);
	info.size = res.tar_size;
	info.entries = res.entries;
	c->size += res.tar_size;
	c->entries += res.entries;
	return store_layer_finish(ldir, &info, top->meta, l->err);
}

/* The layer is stored, but this image may carry it as another blob (the
 * same tar compressed differently). The image record names that blob, so
 * it must be verified and kept like any other. */
static int verify_known_layer(struct loader *l, struct pending *p, size_t i, const char *diff_id,
			      uint64_t tar_size)
{
	_cleanup_close_ int fd = -1;
	char actual[DIGEST_STR_LEN + 1];
	uint64_t size;

	if (store_blob_exists(l->store, p->layers[i].digest))
		return 0;
	/* the same diffID is the same tar: a longer stream is not it, and
	 * is not read to its end (a bomb) */
	if ((fd = layer_blob_fd(l, p, i)) < 0 ||
	    unpack_diff_id(fd, tar_size, actual, &size, l->err) < 0)
		return berth_error_wrap(l->err, "%s: layer %zu (%.19s)", l->src.label, i + 1,
					p->layers[i].digest);
	if (strcmp(actual, diff_id) != 0)
		return berth_error_set(l->err, 0,
				       "%s: layer %zu (%.19s): diff_id mismatch: the config says "
				       "%.19s, the content is %.19s",
				       l->src.label, i + 1, p->layers[i].digest, diff_id, actual);
	return 0;
}

/* Stored layers count towards the image's limits too (a limit lowered
 * since they were loaded applies to every image loaded on them). */
static int check_image_totals(struct loader *l, struct pending *p, struct chain *c, size_t i)
{
	const struct {
		uint64_t have, max;
		const char *verb, *unit, *key;
	} totals[] = {
		{ c->entries, l->lim.max_image_entries, "hold", "entries", "max-image-entries" },
		{ c->size, l->lim.max_image_size, "unpack to", "bytes", "max-image-size" },
	};

	for (size_t t = 0; t < ARRAY_SIZE(totals); t++)
		if (totals[t].max && totals[t].have > totals[t].max)
			return berth_error_set(
				l->err, 0,
				"%s: layer %zu (%.19s): the image's layers %s more than %llu %s "
				"(%s in berth.conf [limits])",
				l->src.label, i + 1, p->layers[i].digest, totals[t].verb,
				(unsigned long long)totals[t].max, totals[t].unit, totals[t].key);
	return 0;
}

/* A new layer i unpacks on top of the ones below it: the stored ones
 * among them are opened now (a pull whose layers are all stored reads
 * no layer's table). */
static int open_stored_below(struct loader *l, struct chain *c, size_t i)
{
	for (size_t k = 0; k < i; k++)
		if (!c->staged[k][0] && c->layers[k].dirfd < 0 &&
		    store_layer_open(l->store, c->chain_ids[k], &c->layers[k], l->err) < 0)
			return -1;
	return 0;
}

static int stage_layers(struct loader *l, struct pending *p, const struct oci_config *cfg,
			struct chain *c)
{
	c->n = p->n_layers;
	c->layers = xcalloc(c->n, sizeof(*c->layers));
	c->staged = xcalloc(c->n, sizeof(*c->staged));
	c->chain_ids = xcalloc(c->n, sizeof(*c->chain_ids));
	for (size_t i = 0; i < c->n; i++)
		c->layers[i].dirfd = -1;
	for (size_t i = 0; i < c->n; i++) {
		store_chain_id(i ? c->chain_ids[i - 1] : NULL, cfg->diff_ids[i], c->chain_ids[i]);
		if (store_layer_exists(l->store, c->chain_ids[i])) {
			struct layer_info info;
			/* opened (its table read) only if a layer above it is new */
			if (store_layer_info(l->store, c->chain_ids[i], &info, l->err) < 0 ||
			    verify_known_layer(l, p, i, cfg->diff_ids[i], info.size) < 0)
				return -1;
			c->size += info.size;
			c->entries += info.entries;
			if (check_image_totals(l, p, c, i) < 0)
				return -1;
			continue;
		}
		if (open_stored_below(l, c, i) < 0 ||
		    unpack_new_layer(l, p, c, i, cfg->diff_ids[i]) < 0)
			return -1;
	}
	return 0;
}

static int commit_blob_bytes(struct loader *l, const char *data, size_t len, const char *digest)
{
	char name[48];

	if (store_blob_exists(l->store, digest))
		return 0;
	snprintf(name, sizeof(name), "json-%u", l->seq++);
	if (write_file_atomic(l->stage->dirfd, name, data, len, 0644, l->err) < 0)
		return -1;
	return store_blob_commit(l->store, l->stage->dirfd, name, digest, l->err);
}

/* What a record of this image already says of registries (RepoDigests,
 * the repositories holding its blobs) outlives a new install of it: a
 * pull from another repository, a load of the same image. */
static void keep_registry_notes(struct loader *l, struct image *img)
{
	struct berth_error ignore = { 0 };
	struct image *old = NULL;

	if (image_read(l->store, img->id, &old, &ignore) < 0) {
		berth_error_clear(&ignore);
		return;
	}
	img->repo_digests = steal_pointer(&old->repo_digests);
	img->sources = steal_pointer(&old->sources);
	image_free(old);
}

static bool record_exists(struct loader *l, struct pending *p)
{
	_cleanup_free_ char *path = xasprintf("images/%s.json", digest_hex(p->config_digest));

	return faccessat(l->store->rootfd, path, F_OK, AT_SYMLINK_NOFOLLOW) == 0;
}

/* Whether the record says intermediate: asked for, without names, and
 * not stored already as an image that is not one (a build step that
 * makes the very image a pull or a named build made is not pruned). */
static bool record_intermediate(struct loader *l, struct pending *p)
{
	struct berth_error ignore = { 0 };
	struct image *old = NULL;
	bool r;

	if (!p->intermediate || p->names[0])
		return false;
	if (image_read(l->store, p->config_digest, &old, &ignore) < 0) {
		berth_error_clear(&ignore);
		return true;
	}
	r = old->intermediate;
	image_free(old);
	return r;
}

/* Nothing to write: every layer and blob was stored, the image's record
 * names the same manifest and blobs, and every name already points at it
 * (a second pull of an image: docker's "Image is up to date"). Under the
 * exclusive lock; refs is NULL when there are no names. */
static bool already_recorded(struct loader *l, struct pending *p, struct chain *c,
			     struct json_object *refs, bool intermediate)
{
	struct berth_error ignore = { 0 };
	struct image *img = NULL;
	bool same;

	for (size_t i = 0; i < c->n; i++)
		if (c->staged[i][0] || p->layers[i].staged)
			return false;
	if (!store_blob_exists(l->store, p->config_digest) ||
	    !store_blob_exists(l->store, p->manifest_digest) ||
	    image_read(l->store, p->config_digest, &img, &ignore) < 0) {
		berth_error_clear(&ignore);
		return false;
	}
	same = !strcmp(img->manifest, p->manifest_digest) && img->n_layers == c->n &&
	       img->intermediate == intermediate;
	for (size_t i = 0; same && i < c->n; i++)
		same = !strcmp(img->chain_ids[i], c->chain_ids[i]) &&
		       !strcmp(img->blobs[i], p->layers[i].digest);
	image_free(img);
	for (char **n = p->names; same && *n; n++) {
		struct json_object *v;
		same = refs && json_object_object_get_ex(refs, *n, &v) &&
		       json_object_is_type(v, json_type_string) &&
		       !strcmp(json_object_get_string(v), p->config_digest);
	}
	return same;
}

static int commit(struct loader *l, struct pending *p, struct chain *c)
{
	_cleanup_json_ struct json_object *refs = NULL;
	struct image img = { .n_layers = p->n_layers };
	bool intermediate;
	int ret = -1;

	if (store_lock(l->store, LOCK_EX, l->err) < 0)
		return -1;
	/* the shared lock was dropped for a moment: check our parents */
	for (size_t i = 0; i < c->n; i++)
		if (!c->staged[i][0] && !store_layer_exists(l->store, c->chain_ids[i]))
			return berth_error_set(l->err, 0,
					       "layer %.19s was removed while loading; try again",
					       c->chain_ids[i]);
	/* names go into refs.json, which is read before anything lands: a
	 * damaged one is never rewritten (what it still holds would go with
	 * it) and the image is not stored nameless; without names refs.json
	 * is not read at all, so a damaged one blocks nothing */
	if (p->names[0] && refs_read(l->store, &refs, l->err) < 0)
		return berth_error_wrap(l->err, "%s: cannot record the name %s", l->src.label,
					p->names[0]);
	intermediate = record_intermediate(l, p);
	if (already_recorded(l, p, c, refs, intermediate))
		return 0;
	/* a new image to be named: if killed before its names, it goes */
	if (image_commit_begin(l->store, l->err) < 0 ||
	    (p->names[0] && !record_exists(l, p) &&
	     image_commit_new(l->store, p->config_digest, l->err) < 0) ||
	    commit_blob_bytes(l, p->config, p->config_len, p->config_digest) < 0 ||
	    commit_blob_bytes(l, p->manifest, p->manifest_len, p->manifest_digest) < 0)
		return -1;
	for (size_t i = 0; i < c->n; i++) {
		if (p->layers[i].staged &&
		    store_blob_commit(l->store, l->stage->dirfd, p->layers[i].staged,
				      p->layers[i].digest, l->err) < 0)
			return -1;
		if (c->staged[i][0] && store_layer_commit(l->store, l->stage->dirfd, c->staged[i],
							  c->chain_ids[i], l->err) < 0)
			return -1;
	}
	strcpy(img.id, p->config_digest);
	strcpy(img.manifest, p->manifest_digest);
	img.chain_ids = c->chain_ids;
	img.diff_ids = xcalloc(c->n, sizeof(*img.diff_ids));
	img.blobs = xcalloc(c->n, sizeof(*img.blobs));
	for (size_t i = 0; i < c->n; i++) {
		struct layer_info info;
		if (store_layer_info(l->store, c->chain_ids[i], &info, l->err) < 0)
			goto out;
		strcpy(img.diff_ids[i], info.diff_id);
		strcpy(img.blobs[i], p->layers[i].digest);
	}
	img.size = c->size;
	img.loaded = (int64_t)time(NULL);
	keep_registry_notes(l, &img);
	img.intermediate = intermediate;
	if (image_write(l->store, &img, l->err) < 0)
		goto out;
	for (char **n = p->names; *n; n++)
		json_object_object_add(refs, *n, json_object_new_string(img.id));
	if (p->names[0] && refs_write(l->store, refs, l->err) < 0)
		goto out;
	image_commit_end(l->store);
	ret = 0;
out:
	free(img.diff_ids);
	free(img.blobs);
	strv_free(img.repo_digests);
	strv_free(img.sources);
	return ret;
}

static int install(struct loader *l, struct pending *p)
{
	struct oci_config cfg;
	struct chain c = { 0 };
	int r = -1;

	if (oci_parse_config(p->config, p->config_len, &cfg, l->err) < 0)
		return berth_error_wrap(l->err, "%s: config %.19s", l->src.label, p->config_digest);
	if (cfg.n_diff_ids != p->n_layers) {
		berth_error_set(l->err, 0,
				"%s: config %.19s lists %zu layers (diff_ids) but the manifest has "
				"%zu layers",
				l->src.label, p->config_digest, cfg.n_diff_ids, p->n_layers);
		goto out;
	}
	if (store_lock(l->store, LOCK_SH, l->err) < 0 || stage_layers(l, p, &cfg, &c) < 0)
		goto out;
	/* a pull commits only once every blob it fetched is whole and checked */
	if (l->await && l->await(NULL, l->await_data) < 0) {
		berth_error_set(l->err, 0, "%s: its download failed", l->src.label);
		goto out;
	}
	if (commit(l, p, &c) < 0)
		goto out;
	r = 0;
out:
	store_unlock(l->store);
	chain_clear(&c);
	oci_config_clear(&cfg);
	return r;
}

static int collect(struct loader *l)
{
	if (source_exists(&l->src, "manifest.json"))
		return collect_docker(l);
	if (source_exists(&l->src, "index.json"))
		return collect_oci(l);
	return berth_error_set(l->err, 0,
			       "%s: not a docker-archive, oci-archive or OCI layout "
			       "(no manifest.json or index.json)",
			       l->src.label);
}

static void loader_clear(struct loader *l)
{
	for (size_t i = 0; i < l->n; i++)
		pending_clear(&l->images[i]);
	free(l->images);
	source_close(&l->src);
	store_stage_free(l->stage);
	oci_platform_clear(&l->want);
	free(l->default_repo);
}

static void fill_result(struct loader *l, struct load_result *res)
{
	res->n = l->n;
	res->ids = xcalloc(l->n, sizeof(char *));
	res->refs = xcalloc(l->n, sizeof(char **));
	for (size_t i = 0; i < l->n; i++) {
		res->ids[i] = xstrdup(l->images[i].config_digest);
		res->refs[i] = steal_pointer(&l->images[i].names);
	}
}

int load_limits_from_conf(struct unpack_limits *out, struct berth_error *err)
{
	struct userconf c;
	int r = userconf_load(&c, err);

	memset(out, 0, sizeof(*out));
	if (r == 0) {
		out->max_depth = c.max_depth;
		out->max_entries = c.max_layer_entries;
		out->max_image_entries = c.max_image_entries;
		out->max_layer_size = c.max_layer_size;
		out->max_image_size = c.max_image_size;
	}
	userconf_clear(&c);
	return r;
}

static int loader_limits(struct loader *l, const struct unpack_limits *given)
{
	if (given) {
		l->lim = *given;
		return 0;
	}
	return load_limits_from_conf(&l->lim, l->err);
}

int image_load(struct store *s, const struct load_opts *o, struct load_result *res,
	       struct berth_error *err)
{
	struct loader l = { .store = s, .err = err };
	int ret = -1;

	memset(res, 0, sizeof(*res));
	l.src.dirfd = -1;
	if (loader_limits(&l, o->limits) < 0)
		return -1;
	if (o->platform ? oci_parse_platform(o->platform, &l.want, err) < 0
			: (oci_host_platform(&l.want), 0))
		return -1;
	progress_init(&l.prog, o->quiet);
	set_default_repo(&l, o->input);
	if (store_stage_new(s, &l.stage, err) < 0)
		goto out;
	l.src.progress = source_progress;
	l.src.progress_data = &l;
	progress_start(&l.prog, 0, "Reading %s", o->input ? o->input : "stdin");
	if (source_open(&l.src, o->input, l.stage, err) < 0)
		goto out;
	progress_end(&l.prog, 0);
	l.src.progress = NULL;
	if (collect(&l) < 0)
		goto out;
	for (size_t i = 0; i < l.n; i++)
		if (install(&l, &l.images[i]) < 0)
			goto out;
	fill_result(&l, res);
	ret = 0;
out:
	loader_clear(&l);
	return ret < 0 ? store_name_if_full(s, err) : 0;
}

static char *memdup_str(const char *data, size_t len)
{
	char *p = xmalloc(len + 1);

	memcpy(p, data, len);
	p[len] = '\0';
	return p;
}

int image_install_staged(struct store *s, struct store_stage *stage, const struct load_staged *in,
			 struct berth_error *err)
{
	struct loader l = { .store = s, .stage = stage, .err = err };
	struct pending *p;
	int ret = -1;

	l.src.dirfd = -1;
	l.src.label = xstrdup(in->label);
	if (loader_limits(&l, in->limits) < 0)
		goto out;
	progress_init(&l.prog, in->quiet);
	l.await = in->await;
	l.await_data = in->await_data;
	p = pending_add(&l);
	if (in->name)
		names_add(p, in->name);
	for (char *const *n = in->names; n && *n; n++)
		names_add(p, *n);
	p->intermediate = in->intermediate;
	p->config = memdup_str(in->config, in->config_len);
	p->config_len = in->config_len;
	strcpy(p->config_digest, in->config_digest);
	p->manifest = memdup_str(in->manifest, in->manifest_len);
	p->manifest_len = in->manifest_len;
	strcpy(p->manifest_digest, in->manifest_digest);
	p->n_layers = in->n_layers;
	p->layers = xcalloc(in->n_layers, sizeof(*p->layers));
	for (size_t i = 0; i < in->n_layers; i++) {
		struct pending_layer *pl = &p->layers[i];
		pl->staged = in->layers[i].staged ? xstrdup(in->layers[i].staged) : NULL;
		pl->media_type = in->layers[i].media_type;
		strcpy(pl->digest, in->layers[i].digest);
		pl->size = in->layers[i].size;
	}
	ret = install(&l, p);
out:
	l.stage = NULL; /* the caller's */
	loader_clear(&l);
	return ret < 0 ? store_name_if_full(s, err) : 0;
}

static char *rfc3339_now(void)
{
	char buf[64];
	time_t t = time(NULL);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
	return xstrdup(buf);
}

/* The config docker import writes: the host platform, one layer, no
 * process settings, one history entry. */
static void import_config(struct pending *p, const char *diff_id, const struct import_opts *o)
{
	struct json_object *c = json_object_new_object(), *rootfs = json_object_new_object(),
			   *ids = json_object_new_array(), *hist = json_object_new_array(),
			   *h = json_object_new_object();
	struct oci_platform plat;
	_cleanup_free_ char *now = rfc3339_now();
	_cleanup_free_ char *comment = xasprintf("Imported from %s", o->input ? o->input : "-");

	oci_host_platform(&plat);
	json_object_object_add(c, "created", json_object_new_string(now));
	json_object_object_add(c, "architecture", json_object_new_string(plat.arch));
	if (plat.variant)
		json_object_object_add(c, "variant", json_object_new_string(plat.variant));
	json_object_object_add(c, "os", json_object_new_string(plat.os));
	json_object_object_add(c, "config", json_object_new_object());
	json_object_array_add(ids, json_object_new_string(diff_id));
	json_object_object_add(rootfs, "type", json_object_new_string("layers"));
	json_object_object_add(rootfs, "diff_ids", ids);
	json_object_object_add(c, "rootfs", rootfs);
	json_object_object_add(h, "created", json_object_new_string(now));
	json_object_object_add(h, "created_by", json_object_new_string("berth import"));
	json_object_object_add(h, "comment",
			       json_object_new_string(o->message ? o->message : comment));
	json_object_array_add(hist, h);
	json_object_object_add(c, "history", hist);
	json_blob(c, &p->config, &p->config_len, p->config_digest);
	oci_platform_clear(&plat);
}

static int import_stage_input(struct loader *l, const struct import_opts *o, struct pending *p,
			      char *diff_id)
{
	_cleanup_close_ int in = -1, out = -1;
	uint64_t tar_size;

	in = o->input && strcmp(o->input, "-") ? open(o->input, O_RDONLY | O_CLOEXEC) : dup(0);
	if (in < 0)
		return berth_error_set(l->err, errno, "%s", o->input);
	p->n_layers = 1;
	p->layers = xcalloc(1, sizeof(*p->layers));
	p->layers[0].staged = xstrdup("blob-import");
	out = openat(l->stage->dirfd, "blob-import", O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (out < 0)
		return berth_error_set(l->err, errno, "staging %s", l->src.label);
	progress_start(&l->prog, 0, "Reading %s", l->src.label);
	{
		_cleanup_free_ char *buf = xmalloc(1 << 18);
		struct sha256_ctx *h = sha256_new();
		for (;;) {
			ssize_t n = read(in, buf, 1 << 18);
			if (n < 0 && errno == EINTR)
				continue;
			/* which side failed: a full store is no fault of the input */
			if (n < 0 || (n > 0 && write_all(out, buf, (size_t)n) < 0)) {
				sha256_free(h);
				return berth_error_set(l->err, errno, "%s %s",
						       n < 0 ? "reading" : "staging", l->src.label);
			}
			if (n == 0)
				break;
			sha256_update(h, buf, (size_t)n);
			p->layers[0].size += (uint64_t)n;
			progress_update(&l->prog, p->layers[0].size);
		}
		sha256_final(h, p->layers[0].digest);
	}
	progress_end(&l->prog, p->layers[0].size);
	p->layers[0].media_type = layer_media_type_fd(out);
	if (lseek(out, 0, SEEK_SET) < 0 ||
	    unpack_diff_id(out, l->lim.max_layer_size, diff_id, &tar_size, l->err) < 0)
		return berth_error_wrap(l->err, "%s", l->src.label);
	return 0;
}

int image_import(struct store *s, const struct import_opts *o, char *id_out,
		 struct berth_error *err)
{
	struct loader l = { .store = s, .err = err };
	char diff_id[DIGEST_STR_LEN + 1];
	struct pending *p;
	int ret = -1;

	l.src.dirfd = -1;
	l.src.label = xstrdup(o->input && strcmp(o->input, "-") ? o->input : "stdin");
	if (loader_limits(&l, o->limits) < 0)
		goto out;
	progress_init(&l.prog, o->quiet);
	if (store_stage_new(s, &l.stage, err) < 0)
		goto out;
	p = pending_add(&l);
	if (o->ref) {
		_cleanup_free_ char *norm = NULL;
		if (reference_normalize(o->ref, &norm, err) < 0)
			goto out;
		names_add(p, norm);
		/* a name that could not be recorded fails before the input is
		 * read (commit checks again under the lock) */
		_cleanup_json_ struct json_object *refs = NULL;
		if (refs_read(s, &refs, err) < 0) {
			berth_error_wrap(err, "%s: cannot record the name %s", l.src.label, norm);
			goto out;
		}
	}
	if (import_stage_input(&l, o, p, diff_id) < 0)
		goto out;
	import_config(p, diff_id, o);
	synth_manifest(p);
	if (install(&l, p) < 0)
		goto out;
	strcpy(id_out, p->config_digest);
	ret = 0;
out:
	loader_clear(&l);
	return ret < 0 ? store_name_if_full(s, err) : 0;
}
