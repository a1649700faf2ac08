// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * oci.c: strict parsers for OCI index/manifest/config documents and the
 * docker-archive manifest.json. They only validate and extract; where the
 * bytes come from and what is done with them is image-load.c's business.
 */
#include <string.h>
#include <sys/utsname.h>

#include "oci.h"
#include "../lib/json.h"
#include "../lib/util.h"

void oci_platform_clear(struct oci_platform *p)
{
	free(p->os);
	free(p->arch);
	free(p->variant);
	memset(p, 0, sizeof(*p));
}

void oci_desc_clear(struct oci_desc *d)
{
	free(d->media_type);
	free(d->ref_name);
	oci_platform_clear(&d->platform);
	memset(d, 0, sizeof(*d));
}

void oci_index_clear(struct oci_index *i)
{
	for (size_t k = 0; k < i->n; k++)
		oci_desc_clear(&i->manifests[k]);
	free(i->manifests);
	memset(i, 0, sizeof(*i));
}

void oci_manifest_clear(struct oci_manifest *m)
{
	oci_desc_clear(&m->config);
	for (size_t k = 0; k < m->n_layers; k++)
		oci_desc_clear(&m->layers[k]);
	free(m->layers);
	memset(m, 0, sizeof(*m));
}

void oci_config_clear(struct oci_config *c)
{
	json_object_put(c->json);
	free(c->diff_ids);
	oci_platform_clear(&c->platform);
	memset(c, 0, sizeof(*c));
}

void docker_manifest_clear(struct docker_manifest *m)
{
	for (size_t k = 0; k < m->n; k++) {
		free(m->entries[k].config);
		strv_free(m->entries[k].tags);
		strv_free(m->entries[k].layers);
	}
	free(m->entries);
	memset(m, 0, sizeof(*m));
}

bool oci_is_index(const char *media_type)
{
	return media_type &&
	       (strcmp(media_type, MT_OCI_INDEX) == 0 || strcmp(media_type, MT_DOCKER_LIST) == 0);
}

static bool in_list(const char *s, const char *const *list, size_t n)
{
	for (size_t i = 0; s && i < n; i++)
		if (strcmp(s, list[i]) == 0)
			return true;
	return false;
}

/* What berth unpacks: OCI's layer types (the non-distributable ones are
 * deprecated, but the image spec still has them read) and docker's. */
static const char *const layer_types[] = {
	MT_OCI_LAYER,
	MT_OCI_LAYER_GZIP,
	MT_OCI_LAYER_ZSTD,
	"application/vnd.oci.image.layer.nondistributable.v1.tar",
	"application/vnd.oci.image.layer.nondistributable.v1.tar+gzip",
	"application/vnd.oci.image.layer.nondistributable.v1.tar+zstd",
	"application/vnd.docker.image.rootfs.diff.tar.gzip",
	"application/vnd.docker.image.rootfs.foreign.diff.tar.gzip",
};

/* An image's configuration; other types (artifacts: charts, signatures,
 * the empty descriptor) are no image to run. */
static const char *const config_types[] = {
	MT_OCI_CONFIG,
	"application/vnd.docker.container.image.v1+json",
};

bool oci_is_layer_type(const char *media_type)
{
	return in_list(media_type, layer_types, ARRAY_SIZE(layer_types));
}

bool oci_is_config_type(const char *media_type)
{
	return in_list(media_type, config_types, ARRAY_SIZE(config_types));
}

static char *dup_opt(struct json_object *o, const char *key)
{
	const char *s = json_get_string(o, key);
	return s ? xstrdup(s) : NULL;
}

static int parse_platform(struct json_object *o, struct oci_platform *p)
{
	p->os = dup_opt(o, "os");
	p->arch = dup_opt(o, "architecture");
	p->variant = dup_opt(o, "variant");
	return p->os && p->arch ? 0 : -1;
}

static int parse_desc(struct json_object *o, const char *what, struct oci_desc *d,
		      struct berth_error *err)
{
	struct json_object *v, *ann, *plat;
	const char *digest;
	int64_t size;

	if (!json_object_is_type(o, json_type_object))
		return berth_error_set(err, 0, "%s: descriptor is not an object", what);
	digest = json_get_string(o, "digest");
	if (!digest)
		return berth_error_set(err, 0, "%s: descriptor without a digest", what);
	if (!digest_valid(digest))
		return berth_error_set(err, 0, "%s: unsupported or invalid digest \"%.80s\"", what,
				       digest);
	if (!json_object_object_get_ex(o, "size", &v) || !json_object_is_type(v, json_type_int))
		return berth_error_set(err, 0, "%s: descriptor %.19s without a numeric size", what,
				       digest);
	size = json_object_get_int64(v);
	if (size < 0 || (uint64_t)size > OCI_MAX_BLOB_SIZE)
		return berth_error_set(err, 0, "%s: descriptor %.19s has an absurd size %lld", what,
				       digest, (long long)size);
	strcpy(d->digest, digest);
	d->size = (uint64_t)size;
	d->media_type = dup_opt(o, "mediaType");
	if (json_object_object_get_ex(o, "annotations", &ann))
		d->ref_name = dup_opt(ann, "org.opencontainers.image.ref.name");
	if (json_object_object_get_ex(o, "platform", &plat)) {
		if (parse_platform(plat, &d->platform) < 0)
			return berth_error_set(err, 0,
					       "%s: descriptor %.19s has an invalid platform", what,
					       digest);
		d->has_platform = true;
	}
	return 0;
}

static int check_schema(struct json_object *o, const char *what, struct berth_error *err)
{
	struct json_object *v;

	if (!json_object_is_type(o, json_type_object))
		return berth_error_set(err, 0, "%s: not a JSON object", what);
	if (!json_object_object_get_ex(o, "schemaVersion", &v) || json_object_get_int(v) != 2)
		return berth_error_set(err, 0, "%s: schemaVersion must be 2", what);
	return 0;
}

/* The document's own mediaType, when it has one, is the one its
 * descriptor gave (want, when known). */
static int check_type(struct json_object *o, const char *what, const char *want,
		      struct berth_error *err)
{
	struct json_object *v;
	const char *mt;

	if (!json_object_object_get_ex(o, "mediaType", &v))
		return 0;
	if (!json_object_is_type(v, json_type_string))
		return berth_error_set(err, 0, "%s: mediaType is not a string", what);
	mt = json_object_get_string(v);
	if (want && strcmp(mt, want) != 0)
		return berth_error_set(err, 0,
				       "%s: its media type \"%.80s\" is not the one its descriptor "
				       "gives (\"%.80s\")",
				       what, mt, want);
	return 0;
}

/* A document with the fields of both a manifest and an index could be
 * read as either: refused, whatever its mediaType says (CVE-2021-41190,
 * the workaround the advisory gives). */
static int check_unambiguous(struct json_object *o, const char *what, struct berth_error *err)
{
	bool has_index = json_object_object_get_ex(o, "manifests", NULL);
	bool has_manifest = json_object_object_get_ex(o, "layers", NULL) ||
			    json_object_object_get_ex(o, "config", NULL);

	if (has_index && has_manifest)
		return berth_error_set(
			err, 0,
			"%s: ambiguous document: it has \"manifests\" (an index) and "
			"\"%s\" (a manifest); refused (CVE-2021-41190)",
			what, json_object_object_get_ex(o, "layers", NULL) ? "layers" : "config");
	return 0;
}

int oci_parse_index(const char *buf, size_t len, const char *want_type, struct oci_index *out,
		    struct berth_error *err)
{
	struct json_object *o, *a;
	const char *mt;
	int ret = -1;

	memset(out, 0, sizeof(*out));
	if (json_parse_bounded(buf, len, "index", &o, err) < 0)
		return -1;
	if (check_schema(o, "index", err) < 0 || check_type(o, "index", want_type, err) < 0 ||
	    check_unambiguous(o, "index", err) < 0)
		goto out;
	mt = json_get_string(o, "mediaType");
	if (mt && !oci_is_index(mt)) {
		berth_error_set(err, 0, "index: unsupported mediaType \"%.80s\"", mt);
		goto out;
	}
	if (!json_object_object_get_ex(o, "manifests", &a) ||
	    !json_object_is_type(a, json_type_array)) {
		berth_error_set(err, 0, "index: \"manifests\" is not an array");
		goto out;
	}
	out->n = json_object_array_length(a);
	if (out->n > 4096) {
		berth_error_set(err, 0, "index: %zu manifests, more than 4096", out->n);
		out->n = 0;
		goto out;
	}
	out->manifests = xcalloc(out->n, sizeof(*out->manifests));
	for (size_t i = 0; i < out->n; i++)
		if (parse_desc(json_object_array_get_idx(a, i), "index", &out->manifests[i], err) <
		    0)
			goto out;
	ret = 0;
out:
	json_object_put(o);
	if (ret < 0)
		oci_index_clear(out);
	return ret;
}

int oci_parse_manifest(const char *buf, size_t len, const char *want_type, struct oci_manifest *out,
		       struct berth_error *err)
{
	struct json_object *o, *a, *c;
	const char *mt;
	int ret = -1;

	memset(out, 0, sizeof(*out));
	if (json_parse_bounded(buf, len, "manifest", &o, err) < 0)
		return -1;
	if (check_schema(o, "manifest", err) < 0 || check_type(o, "manifest", want_type, err) < 0 ||
	    check_unambiguous(o, "manifest", err) < 0)
		goto out;
	mt = json_get_string(o, "mediaType");
	if (mt && strcmp(mt, MT_OCI_MANIFEST) && strcmp(mt, MT_DOCKER_MANIFEST)) {
		berth_error_set(err, 0, "manifest: unsupported mediaType \"%.80s\"", mt);
		goto out;
	}
	if (!json_object_object_get_ex(o, "config", &c) ||
	    parse_desc(c, "manifest config", &out->config, err) < 0) {
		if (!err->msg)
			berth_error_set(err, 0, "manifest: no config descriptor");
		goto out;
	}
	if (!out->config.media_type) {
		berth_error_set(err, 0, "manifest: config %.19s: no media type",
				out->config.digest);
		goto out;
	}
	if (!oci_is_config_type(out->config.media_type)) {
		berth_error_set(err, 0,
				"manifest: config %.19s: media type \"%.80s\" is not that of an "
				"image configuration",
				out->config.digest, out->config.media_type);
		goto out;
	}
	if (out->config.size > OCI_MAX_CONFIG) {
		berth_error_set(err, 0, "manifest: config size %llu exceeds the %u byte limit",
				(unsigned long long)out->config.size, OCI_MAX_CONFIG);
		goto out;
	}
	if (!json_object_object_get_ex(o, "layers", &a) ||
	    !json_object_is_type(a, json_type_array)) {
		berth_error_set(err, 0, "manifest: \"layers\" is not an array");
		goto out;
	}
	if (json_object_array_length(a) > OCI_MAX_LAYERS) {
		berth_error_set(err, 0, "manifest: %zu layers, more than %d",
				json_object_array_length(a), OCI_MAX_LAYERS);
		goto out;
	}
	out->n_layers = json_object_array_length(a);
	out->layers = xcalloc(out->n_layers, sizeof(*out->layers));
	for (size_t i = 0; i < out->n_layers; i++) {
		const struct oci_desc *d = &out->layers[i];

		if (parse_desc(json_object_array_get_idx(a, i), "manifest layer", &out->layers[i],
			       err) < 0)
			goto out;
		if (!oci_is_layer_type(d->media_type)) {
			if (d->media_type)
				berth_error_set(err, 0,
						"manifest: layer %zu (%.19s): unknown media type "
						"\"%.80s\"",
						i + 1, d->digest, d->media_type);
			else
				berth_error_set(err, 0,
						"manifest: layer %zu (%.19s): no media type", i + 1,
						d->digest);
			goto out;
		}
	}
	ret = 0;
out:
	json_object_put(o);
	if (ret < 0)
		oci_manifest_clear(out);
	return ret;
}

int oci_parse_config(const char *buf, size_t len, struct oci_config *out, struct berth_error *err)
{
	struct json_object *o, *rootfs, *ids;

	memset(out, 0, sizeof(*out));
	if (json_parse_bounded(buf, len, "config", &o, err) < 0)
		return -1;
	out->json = o;
	if (!json_object_is_type(o, json_type_object)) {
		berth_error_set(err, 0, "config: not a JSON object");
		goto bad;
	}
	if (!json_object_object_get_ex(o, "rootfs", &rootfs) ||
	    !json_object_is_type(rootfs, json_type_object) ||
	    !json_object_object_get_ex(rootfs, "diff_ids", &ids) ||
	    !json_object_is_type(ids, json_type_array)) {
		berth_error_set(err, 0, "config: rootfs.diff_ids is missing or not an array");
		goto bad;
	}
	out->n_diff_ids = json_object_array_length(ids);
	if (out->n_diff_ids > OCI_MAX_LAYERS) {
		berth_error_set(err, 0, "config: %zu layers, more than %d", out->n_diff_ids,
				OCI_MAX_LAYERS);
		goto bad;
	}
	out->diff_ids = xcalloc(out->n_diff_ids, sizeof(*out->diff_ids));
	for (size_t i = 0; i < out->n_diff_ids; i++) {
		const char *d = json_object_get_string(json_object_array_get_idx(ids, i));
		if (!json_object_is_type(json_object_array_get_idx(ids, i), json_type_string) ||
		    !digest_valid(d)) {
			berth_error_set(err, 0, "config: diff_ids[%zu] is not a sha256 digest", i);
			goto bad;
		}
		strcpy(out->diff_ids[i], d);
	}
	if (parse_platform(o, &out->platform) < 0) {
		berth_error_set(err, 0, "config: os or architecture missing");
		goto bad;
	}
	return 0;
bad:
	oci_config_clear(out);
	return -1;
}

static char **string_array(struct json_object *a, size_t max, size_t *n)
{
	char **v;

	if (!a || json_object_is_type(a, json_type_null)) {
		*n = 0;
		return xcalloc(1, sizeof(char *));
	}
	if (!json_object_is_type(a, json_type_array) || json_object_array_length(a) > max)
		return NULL;
	*n = json_object_array_length(a);
	v = xcalloc(*n + 1, sizeof(char *));
	for (size_t i = 0; i < *n; i++) {
		struct json_object *s = json_object_array_get_idx(a, i);
		if (!json_object_is_type(s, json_type_string)) {
			strv_free(v);
			return NULL;
		}
		v[i] = xstrdup(json_object_get_string(s));
	}
	return v;
}

int docker_parse_manifest(const char *buf, size_t len, struct docker_manifest *out,
			  struct berth_error *err)
{
	struct json_object *o;
	int ret = -1;

	memset(out, 0, sizeof(*out));
	if (json_parse_bounded(buf, len, "manifest.json", &o, err) < 0)
		return -1;
	if (!json_object_is_type(o, json_type_array) || json_object_array_length(o) == 0 ||
	    json_object_array_length(o) > 4096) {
		berth_error_set(err, 0, "manifest.json: not a non-empty array of images");
		goto out;
	}
	out->n = json_object_array_length(o);
	out->entries = xcalloc(out->n, sizeof(*out->entries));
	for (size_t i = 0; i < out->n; i++) {
		struct json_object *e = json_object_array_get_idx(o, i), *tags = NULL,
				   *layers = NULL;
		struct docker_entry *de = &out->entries[i];
		size_t nt;

		if (!json_object_is_type(e, json_type_object) || !json_get_string(e, "Config")) {
			berth_error_set(err, 0, "manifest.json: image %zu has no Config", i);
			goto out;
		}
		de->config = xstrdup(json_get_string(e, "Config"));
		json_object_object_get_ex(e, "RepoTags", &tags);
		json_object_object_get_ex(e, "Layers", &layers);
		de->tags = string_array(tags, 1024, &nt);
		if (layers && json_object_is_type(layers, json_type_array) &&
		    json_object_array_length(layers) > OCI_MAX_LAYERS) {
			berth_error_set(err, 0,
					"manifest.json: image %zu lists %zu layers, more than %d",
					i, json_object_array_length(layers), OCI_MAX_LAYERS);
			goto out;
		}
		de->layers = string_array(layers, OCI_MAX_LAYERS, &de->n_layers);
		if (!de->tags || !de->layers || !layers) {
			berth_error_set(err, 0,
					"manifest.json: image %zu: RepoTags or Layers malformed",
					i);
			goto out;
		}
	}
	ret = 0;
out:
	json_object_put(o);
	if (ret < 0)
		docker_manifest_clear(out);
	return ret;
}

void oci_host_platform(struct oci_platform *out)
{
	static const struct {
		const char *uname, *arch, *variant;
	} map[] = {
		{ "x86_64", "amd64", NULL },	{ "aarch64", "arm64", "v8" },
		{ "armv7l", "arm", "v7" },	{ "armv6l", "arm", "v6" },
		{ "i686", "386", NULL },	{ "i386", "386", NULL },
		{ "ppc64le", "ppc64le", NULL }, { "s390x", "s390x", NULL },
		{ "riscv64", "riscv64", NULL },
	};
	struct utsname u;

	memset(out, 0, sizeof(*out));
	out->os = xstrdup("linux");
	uname(&u);
	for (size_t i = 0; i < ARRAY_SIZE(map); i++) {
		if (strcmp(u.machine, map[i].uname) == 0) {
			out->arch = xstrdup(map[i].arch);
			out->variant = map[i].variant ? xstrdup(map[i].variant) : NULL;
			return;
		}
	}
	out->arch = xstrdup(u.machine);
}

int oci_parse_platform(const char *s, struct oci_platform *out, struct berth_error *err)
{
	_cleanup_free_ char *c = xstrdup(s);
	char *save = NULL;
	char *os = strtok_r(c, "/", &save), *arch = strtok_r(NULL, "/", &save),
	     *variant = strtok_r(NULL, "/", &save);

	memset(out, 0, sizeof(*out));
	if (!os || !arch || strtok_r(NULL, "/", &save))
		return berth_error_set(err, 0, "--platform \"%s\": expected OS/ARCH[/VARIANT]", s);
	out->os = xstrdup(os);
	out->arch = xstrdup(arch);
	out->variant = variant ? xstrdup(variant) : NULL;
	return 0;
}

static bool str_eq0(const char *a, const char *b)
{
	return strcmp(a ? a : "", b ? b : "") == 0;
}

bool oci_platform_match(const struct oci_platform *want, const struct oci_platform *have)
{
	if (!str_eq0(want->os, have->os) || !str_eq0(want->arch, have->arch))
		return false;
	/* arm64 images usually say v8 or nothing; match either way */
	if (!want->variant || !have->variant)
		return true;
	return strcmp(want->variant, have->variant) == 0;
}

char *oci_platform_str(const struct oci_platform *p)
{
	return xasprintf("%s/%s%s%s", p->os ? p->os : "?", p->arch ? p->arch : "?",
			 p->variant ? "/" : "", p->variant ? p->variant : "");
}

const struct oci_desc *oci_index_pick(const struct oci_index *idx, const struct oci_platform *want)
{
	for (size_t i = 0; i < idx->n; i++) {
		const struct oci_desc *c = &idx->manifests[i];
		if (c->has_platform && oci_platform_match(want, &c->platform))
			return c;
	}
	/* an entry that names no platform is for any */
	for (size_t i = 0; i < idx->n; i++)
		if (!idx->manifests[i].has_platform)
			return &idx->manifests[i];
	return NULL;
}

static const char *known_doc_type(const char *t)
{
	static const char *const types[] = { MT_OCI_INDEX, MT_OCI_MANIFEST, MT_DOCKER_LIST,
					     MT_DOCKER_MANIFEST };

	for (size_t i = 0; t && i < ARRAY_SIZE(types); i++)
		if (!strcmp(t, types[i]))
			return types[i];
	return NULL;
}

int oci_doc_type(const char *buf, size_t len, const char *content_type, const char **type,
		 bool *index, struct berth_error *err)
{
	_cleanup_json_ struct json_object *o = NULL;
	struct json_object *v;

	*type = NULL;
	*index = false;
	if (json_parse_bounded(buf, len, "manifest", &o, err) < 0)
		return -1;
	if ((content_type &&
	     str_has_prefix(content_type, "application/vnd.docker.distribution.manifest.v1")) ||
	    (json_object_object_get_ex(o, "schemaVersion", &v) && json_object_get_int(v) == 1))
		return berth_error_set(
			err, 0,
			"a docker schema 1 manifest, which berth does not read "
			"(deprecated since 2019: push the image again with a current "
			"client)");
	*type = known_doc_type(content_type);
	if (!*type)
		*type = known_doc_type(json_get_string(o, "mediaType"));
	*index = *type ? oci_is_index(*type) : json_object_object_get_ex(o, "manifests", NULL);
	return 0;
}
