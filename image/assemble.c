// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * assemble.c: an image made of a base image's layers, one more layer and
 * a configuration: what commit and build end with. The blobs are staged
 * as an OCI layout's would be (the base's linked from the store, the new
 * layer linked in or copied, the config and manifest written) and go
 * through load's install (image_install_staged), with all its checks:
 * the new layer unpacked and its diffID compared with the config's,
 * the limits of berth.conf, the commit under the exclusive lock. What a
 * load of the layout from disk would add is skipped: the layout's index
 * files, and a second copy and hash of the new layer's bytes.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "assemble.h"
#include "image.h"
#include "load.h"
#include "oci.h"
#include "../lib/util.h"

/* What the install is handed: per layer its staged blob and descriptor;
 * the config and manifest as written. */
struct parts {
	size_t n;
	struct load_staged_layer *layers;
	char (*names)[32];		      /* each layer's name in the stage */
	char (*digests)[DIGEST_STR_LEN + 1];  /* each layer's blob digest */
	char (*diff_ids)[DIGEST_STR_LEN + 1]; /* and its diffID */
	char **media_types;		      /* and its media type, as the base says */
	char *config, *manifest;
	char config_digest[DIGEST_STR_LEN + 1], manifest_digest[DIGEST_STR_LEN + 1];
};

static void parts_clear(struct parts *p)
{
	for (size_t i = 0; i < p->n; i++)
		free(p->media_types[i]);
	free(p->media_types);
	free(p->layers);
	free(p->names);
	free(p->digests);
	free(p->diff_ids);
	free(p->config);
	free(p->manifest);
}

static void parts_grow(struct parts *p, size_t n)
{
	p->layers = xcalloc(n, sizeof(*p->layers));
	p->names = xcalloc(n, sizeof(*p->names));
	p->digests = xcalloc(n, sizeof(*p->digests));
	p->diff_ids = xcalloc(n, sizeof(*p->diff_ids));
	p->media_types = xcalloc(n, sizeof(*p->media_types));
}

/* The base's layers: from its record (diffIDs, blobs) and its manifest
 * (the blobs' sizes and media types), each blob hard-linked into the
 * stage, so a prune or gc meanwhile cannot take it from under the
 * install (which then restores it, or unpacks the layer again). */
static int base_layers(struct store *s, struct store_stage *st, const char *base_id,
		       struct parts *p, size_t extra, struct berth_error *err)
{
	_cleanup_free_ char *buf = NULL;
	struct image *img = NULL;
	struct oci_manifest m = { 0 };
	size_t len;
	int r = -1;

	if (!base_id) {
		parts_grow(p, extra);
		return 0;
	}
	if (image_read(s, base_id, &img, err) < 0)
		return -1;
	{
		_cleanup_close_ int fd = store_blob_open(s, img->manifest, err);
		if (fd < 0 || read_fd_all(fd, OCI_MAX_JSON, &buf, &len, err) < 0 ||
		    oci_parse_manifest(buf, len, NULL, &m, err) < 0) {
			berth_error_wrap(err, "image %.19s: its manifest", base_id);
			goto out;
		}
	}
	if (m.n_layers != img->n_layers) {
		berth_error_set(err, 0, "image %.19s: its manifest has %zu layers, its record %zu",
				base_id, m.n_layers, img->n_layers);
		goto out;
	}
	parts_grow(p, img->n_layers + extra);
	for (size_t i = 0; i < img->n_layers; i++, p->n++) {
		_cleanup_free_ char *src = xasprintf("blobs/sha256/%s", digest_hex(img->blobs[i]));
		snprintf(p->names[i], sizeof(p->names[i]), "base-%zu", i);
		if (linkat(s->rootfd, src, st->dirfd, p->names[i], 0) < 0) {
			berth_error_set(err, errno, "image %.19s: layer blob %.19s", base_id,
					img->blobs[i]);
			goto out;
		}
		strcpy(p->digests[i], img->blobs[i]);
		strcpy(p->diff_ids[i], img->diff_ids[i]);
		p->media_types[i] =
			xstrdup(m.layers[i].media_type ? m.layers[i].media_type : MT_OCI_LAYER);
		p->layers[i] = (struct load_staged_layer){ .staged = p->names[i],
							   .digest = p->digests[i],
							   .size = m.layers[i].size,
							   .media_type = p->media_types[i] };
	}
	r = 0;
out:
	oci_manifest_clear(&m);
	image_free(img);
	return r;
}

/* The bytes of in (from where it is) into the stage as "layer", hashed
 * as they are copied. */
static int copy_layer(struct store_stage *st, int in, char *digest, uint64_t *size,
		      struct berth_error *err)
{
	_cleanup_close_ int out =
		openat(st->dirfd, "layer", O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);

	if (out < 0)
		return berth_error_set(err, errno, "staging the new layer");
	return sha256_copy_fd(in, out, 1 << 18, digest, size, NULL, NULL, "staging the new layer",
			      err);
}

/* The new layer into the stage as "layer". A file (a commit's or a
 * build's, written in the store) is hashed in one read and hard-linked
 * in: it becomes the stored blob itself. Anything else (a pipe) is
 * copied as it is hashed. An uncompressed tar: its blob digest is its
 * diffID. */
static int new_layer(struct store_stage *st, int fd, struct parts *p, struct berth_error *err)
{
	_cleanup_free_ char *proc = xasprintf("/proc/self/fd/%d", fd);
	_cleanup_close_ int in = -1;
	size_t i = p->n;
	uint64_t size = 0;
	struct stat sb;

	if (fstat(fd, &sb) < 0)
		return berth_error_set(err, errno, "the new layer");
	snprintf(p->names[i], sizeof(p->names[i]), "layer");
	if (!S_ISREG(sb.st_mode)) {
		if (lseek(fd, 0, SEEK_SET) < 0 && errno != ESPIPE)
			return berth_error_set(err, errno, "the new layer");
		if (copy_layer(st, fd, p->digests[i], &size, err) < 0)
			return -1;
	} else {
		/* reopened: the caller's fd may be open for writing only */
		if ((in = open(proc, O_RDONLY | O_CLOEXEC)) < 0)
			return berth_error_set(err, errno, "reading the new layer");
		if (sha256_fd(in, p->digests[i], &size, err) < 0)
			return berth_error_wrap(err, "reading the new layer");
		/* not linkable (another filesystem, an O_TMPFILE made with
		 * O_EXCL): copied, and hashed again as it is */
		if (linkat(AT_FDCWD, proc, st->dirfd, "layer", AT_SYMLINK_FOLLOW) < 0 &&
		    (lseek(in, 0, SEEK_SET) < 0 ||
		     copy_layer(st, in, p->digests[i], &size, err) < 0))
			return err->msg ? -1 : berth_error_set(err, errno, "staging the new layer");
	}
	strcpy(p->diff_ids[i], p->digests[i]);
	p->media_types[i] = xstrdup(MT_OCI_LAYER);
	p->layers[i] = (struct load_staged_layer){ .staged = p->names[i],
						   .digest = p->digests[i],
						   .size = size,
						   .media_type = p->media_types[i] };
	p->n++;
	return 0;
}

/* The caller's config with rootfs set to the layers; serialised, with
 * its digest (the image ID). The caller's object is left as it was. */
static int make_config(const struct assemble *a, struct parts *p, struct berth_error *err)
{
	_cleanup_json_ struct json_object *c = NULL;
	struct json_object *rootfs = json_object_new_object(), *ids = json_object_new_array();

	if (!a->config || !json_object_is_type(a->config, json_type_object) ||
	    json_object_deep_copy(a->config, &c, NULL) != 0) {
		json_object_put(rootfs);
		json_object_put(ids);
		return berth_error_set(err, EINVAL, "the new image's config is not an object");
	}
	for (size_t i = 0; i < p->n; i++)
		json_object_array_add(ids, json_object_new_string(p->diff_ids[i]));
	json_object_object_add(rootfs, "type", json_object_new_string("layers"));
	json_object_object_add(rootfs, "diff_ids", ids);
	json_object_object_add(c, "rootfs", rootfs);
	p->config = xstrdup(json_object_to_json_string_ext(
		c, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
	sha256_bytes(p->config, strlen(p->config), p->config_digest);
	return 0;
}

/* The OCI manifest naming the config and the layers' blobs. */
static void make_manifest(struct parts *p)
{
	_cleanup_json_ struct json_object *o = json_object_new_object();
	struct json_object *c = json_object_new_object(), *ls = json_object_new_array();

	json_object_object_add(o, "schemaVersion", json_object_new_int(2));
	json_object_object_add(o, "mediaType", json_object_new_string(MT_OCI_MANIFEST));
	json_object_object_add(c, "mediaType", json_object_new_string(MT_OCI_CONFIG));
	json_object_object_add(c, "digest", json_object_new_string(p->config_digest));
	json_object_object_add(c, "size", json_object_new_int64((int64_t)strlen(p->config)));
	json_object_object_add(o, "config", c);
	for (size_t i = 0; i < p->n; i++) {
		struct json_object *d = json_object_new_object();
		json_object_object_add(d, "mediaType",
				       json_object_new_string(p->layers[i].media_type));
		json_object_object_add(d, "digest", json_object_new_string(p->digests[i]));
		json_object_object_add(d, "size",
				       json_object_new_int64((int64_t)p->layers[i].size));
		json_object_array_add(ls, d);
	}
	json_object_object_add(o, "layers", ls);
	p->manifest = xstrdup(json_object_to_json_string_ext(
		o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
	sha256_bytes(p->manifest, strlen(p->manifest), p->manifest_digest);
}

static int assemble_staged(struct store *s, struct store_stage *st, const struct assemble *a,
			   char *id_out, struct berth_error *err)
{
	struct parts p = { 0 };
	struct load_staged in = { .label = "the new image", .quiet = true };
	int r = -1;

	if (base_layers(s, st, a->base_id, &p, a->layer_fd >= 0 ? 1 : 0, err) < 0 ||
	    (a->layer_fd >= 0 && new_layer(st, a->layer_fd, &p, err) < 0) ||
	    make_config(a, &p, err) < 0)
		goto out;
	make_manifest(&p);
	in.names = a->refs;
	in.intermediate = a->intermediate;
	in.config = p.config;
	in.config_len = strlen(p.config);
	in.config_digest = p.config_digest;
	in.manifest = p.manifest;
	in.manifest_len = strlen(p.manifest);
	in.manifest_digest = p.manifest_digest;
	in.n_layers = p.n;
	in.layers = p.layers;
	if (image_install_staged(s, st, &in, err) < 0)
		goto out;
	snprintf(id_out, DIGEST_STR_LEN + 1, "%s", p.config_digest);
	r = 0;
out:
	parts_clear(&p);
	return r;
}

int image_assemble(struct store *s, const struct assemble *a, char id_out[DIGEST_STR_LEN + 1],
		   struct berth_error *err)
{
	struct store_stage *st = NULL;
	int r;

	if (store_stage_new(s, &st, err) < 0)
		return store_name_if_full(s, err);
	r = assemble_staged(s, st, a, id_out, err);
	store_stage_free(st);
	return r < 0 ? store_name_if_full(s, err) : 0;
}
