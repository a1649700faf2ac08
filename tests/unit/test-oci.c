// SPDX-License-Identifier: GPL-2.0-or-later
/* Unit tests: the OCI document parsers (image/oci.c) on hostile shapes:
 * unknown layer and config media types, a document's own type against
 * its descriptor's, and documents that are both a manifest and an index
 * (CVE-2021-41190). */
#include <string.h>

#include "../../image/oci.h"
#include "../../lib/util.h"
#include "../tap.h"

#define D1 "sha256:1111111111111111111111111111111111111111111111111111111111111111"
#define D2 "sha256:2222222222222222222222222222222222222222222222222222222222222222"

/* A manifest with a config and one layer of the given media types (NULL:
 * the field is left out), plus extra top-level fields. */
static char *manifest(const char *doc_type, const char *config_type, const char *layer_type,
		      const char *extra)
{
	_cleanup_free_ char *dt =
		doc_type ? xasprintf("\"mediaType\":\"%s\",", doc_type) : xstrdup("");
	_cleanup_free_ char *ct =
		config_type ? xasprintf("\"mediaType\":\"%s\",", config_type) : xstrdup("");
	_cleanup_free_ char *lt =
		layer_type ? xasprintf("\"mediaType\":\"%s\",", layer_type) : xstrdup("");

	return xasprintf("{\"schemaVersion\":2,%s\"config\":{%s\"digest\":\"" D1 "\",\"size\":10},"
			 "\"layers\":[{%s\"digest\":\"" D2 "\",\"size\":20}]%s}",
			 dt, ct, lt, extra ? extra : "");
}

/* Parse as an index, or a manifest; the error text (or NULL) in *msg. */
static int parse_doc(const char *doc, const char *want, bool index, char **msg)
{
	struct berth_error err = { 0 };
	struct oci_manifest m;
	struct oci_index idx;
	int r = index ? oci_parse_index(doc, strlen(doc), want, &idx, &err)
		      : oci_parse_manifest(doc, strlen(doc), want, &m, &err);

	if (r == 0 && index)
		oci_index_clear(&idx);
	else if (r == 0)
		oci_manifest_clear(&m);
	*msg = err.msg ? xstrdup(err.msg) : NULL;
	berth_error_clear(&err);
	return r;
}

static int parse_m(const char *doc, const char *want, char **msg)
{
	return parse_doc(doc, want, false, msg);
}

static int parse_i(const char *doc, const char *want, char **msg)
{
	return parse_doc(doc, want, true, msg);
}

#define REFUSED(r, msg, want) ((r) < 0 && (msg) && strstr((msg), (want)))

static void test_media_types(void)
{
	static const char *const layers[] = {
		MT_OCI_LAYER,
		MT_OCI_LAYER_GZIP,
		MT_OCI_LAYER_ZSTD,
		"application/vnd.oci.image.layer.nondistributable.v1.tar+gzip",
		"application/vnd.docker.image.rootfs.diff.tar.gzip",
		"application/vnd.docker.image.rootfs.foreign.diff.tar.gzip",
	};
	char *msg, *doc;
	int r;

	for (size_t i = 0; i < ARRAY_SIZE(layers); i++) {
		doc = manifest(MT_OCI_MANIFEST, MT_OCI_CONFIG, layers[i], NULL);
		r = parse_m(doc, MT_OCI_MANIFEST, &msg);
		ok(r == 0, "layer type %s is read: %s", layers[i], msg ? msg : "");
		free(doc);
		free(msg);
	}
	doc = manifest(MT_DOCKER_MANIFEST, "application/vnd.docker.container.image.v1+json",
		       "application/vnd.docker.image.rootfs.diff.tar.gzip", NULL);
	r = parse_m(doc, MT_DOCKER_MANIFEST, &msg);
	ok(r == 0, "a docker schema 2 manifest is read: %s", msg ? msg : "");
	free(doc);
	free(msg);

	static const struct {
		const char *config, *layer, *want, *what;
	} bad[] = {
		{ MT_OCI_CONFIG, "application/vnd.example.weird",
		  "layer 1 (sha256:222222222222): "
		  "unknown media type",
		  "an unknown layer type" },
		{ MT_OCI_CONFIG, MT_OCI_MANIFEST, "unknown media type",
		  "a manifest type as a layer's" },
		{ MT_OCI_CONFIG, NULL, "layer 1 (sha256:222222222222): no media type",
		  "a layer without a type" },
		{ MT_OCI_LAYER_GZIP, MT_OCI_LAYER_GZIP,
		  "config sha256:111111111111: media type \"" MT_OCI_LAYER_GZIP "\" is not",
		  "a layer type as the config's" },
		{ "application/vnd.oci.empty.v1+json", MT_OCI_LAYER_GZIP, "is not that of an image",
		  "an artifact's empty config" },
		{ NULL, MT_OCI_LAYER_GZIP, "config sha256:111111111111: no media type",
		  "a config without a type" },
	};
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		doc = manifest(MT_OCI_MANIFEST, bad[i].config, bad[i].layer, NULL);
		r = parse_m(doc, NULL, &msg);
		ok(REFUSED(r, msg, bad[i].want), "%s is refused: %s", bad[i].what,
		   msg ? msg : "accepted");
		free(doc);
		free(msg);
	}
}

static void test_ambiguous(void)
{
	static const char idx_ok[] = "{\"schemaVersion\":2,\"mediaType\":\"" MT_OCI_INDEX "\","
				     "\"manifests\":[{\"mediaType\":\"" MT_OCI_MANIFEST "\","
				     "\"digest\":\"" D1 "\",\"size\":5}]}";
	static const char idx_layers[] =
		"{\"schemaVersion\":2,\"manifests\":[],\"layers\":[{\"mediaType\":\"" MT_OCI_LAYER
		"\",\"digest\":\"" D2 "\",\"size\":20}]}";
	static const char idx_config[] =
		"{\"schemaVersion\":2,\"mediaType\":\"" MT_OCI_INDEX "\",\"manifests\":[],"
		"\"config\":{\"mediaType\":\"" MT_OCI_CONFIG "\",\"digest\":\"" D1
		"\",\"size\":1}}";
	char *msg, *doc;
	int r;

	r = parse_i(idx_ok, MT_OCI_INDEX, &msg);
	ok(r == 0, "a plain index is read: %s", msg ? msg : "");
	free(msg);
	r = parse_i(idx_layers, NULL, &msg);
	ok(REFUSED(r, msg, "ambiguous document") && strstr(msg, "CVE-2021-41190"),
	   "an index with layers is refused: %s", msg ? msg : "accepted");
	free(msg);
	r = parse_i(idx_config, MT_OCI_INDEX, &msg);
	ok(REFUSED(r, msg, "ambiguous document") && strstr(msg, "\"config\""),
	   "an index with a config is refused, whatever its mediaType says: %s",
	   msg ? msg : "accepted");
	free(msg);
	doc = manifest(MT_OCI_MANIFEST, MT_OCI_CONFIG, MT_OCI_LAYER_GZIP, ",\"manifests\":[]");
	r = parse_m(doc, MT_OCI_MANIFEST, &msg);
	ok(REFUSED(r, msg, "ambiguous document"), "a manifest with a manifests list is refused: %s",
	   msg ? msg : "accepted");
	free(doc);
	free(msg);

	/* the document's own type against its descriptor's */
	doc = manifest(MT_OCI_MANIFEST, MT_OCI_CONFIG, MT_OCI_LAYER_GZIP, NULL);
	r = parse_i(doc, MT_OCI_INDEX, &msg);
	ok(REFUSED(r, msg, "is not the one its descriptor gives"),
	   "a manifest its descriptor calls an index is refused: %s", msg ? msg : "accepted");
	free(msg);
	r = parse_m(doc, MT_DOCKER_MANIFEST, &msg);
	ok(REFUSED(r, msg, "is not the one its descriptor gives"),
	   "a document of another manifest type than its descriptor's is refused: %s",
	   msg ? msg : "accepted");
	free(msg);
	r = parse_m(doc, NULL, &msg);
	ok(r == 0, "without a descriptor's type the document's own is enough: %s", msg ? msg : "");
	free(doc);
	free(msg);
	r = parse_i(idx_ok, MT_DOCKER_LIST, &msg);
	ok(REFUSED(r, msg, "descriptor"), "an OCI index named a docker list is refused: %s",
	   msg ? msg : "accepted");
	free(msg);
	doc = xasprintf("{\"schemaVersion\":2,\"mediaType\":\"%s\",\"manifests\":[]}",
			MT_OCI_MANIFEST);
	r = parse_i(doc, NULL, &msg);
	ok(REFUSED(r, msg, "unsupported mediaType"),
	   "an index whose mediaType is a manifest's is refused: %s", msg ? msg : "accepted");
	free(doc);
	free(msg);
}

/* doc is typed (type, index) with content type ct, or refused naming want_err */
static void typed(const char *doc, const char *ct, const char *want_type, bool want_index,
		  const char *want_err, const char *name)
{
	struct berth_error err = { 0 };
	const char *type;
	bool index;
	int r = oci_doc_type(doc, strlen(doc), ct, &type, &index, &err);

	if (want_err)
		ok(r < 0 && err.msg && strstr(err.msg, want_err), "%s: refused (%s)", name,
		   err.msg ? err.msg : "accepted");
	else
		ok(r == 0 && index == want_index &&
			   (want_type ? type && !strcmp(type, want_type) : !type),
		   "%s: %s, %s", name, type ? type : "(no type)", index ? "index" : "manifest");
	berth_error_clear(&err);
}

static void doc_types(void)
{
	typed("{\"schemaVersion\":2,\"manifests\":[]}", MT_OCI_INDEX, MT_OCI_INDEX, true, NULL,
	      "an index by its Content-Type");
	typed("{\"schemaVersion\":2,\"manifests\":[]}", "application/json", NULL, true, NULL,
	      "an index by its shape");
	typed("{\"schemaVersion\":2,\"mediaType\":\"" MT_DOCKER_LIST "\",\"manifests\":[]}", NULL,
	      MT_DOCKER_LIST, true, NULL, "a manifest list by its mediaType");
	typed("{\"schemaVersion\":2,\"config\":{}}", MT_DOCKER_MANIFEST, MT_DOCKER_MANIFEST, false,
	      NULL, "a schema 2 manifest");
	typed("{\"schemaVersion\":2,\"config\":{}}", NULL, NULL, false, NULL,
	      "a manifest by its shape");
	typed("{\"schemaVersion\":1,\"name\":\"a\",\"fsLayers\":[]}",
	      "application/vnd.docker.distribution.manifest.v1+prettyjws", NULL, false, "schema 1",
	      "a signed schema 1 manifest");
	typed("{\"schemaVersion\":1,\"name\":\"a\",\"fsLayers\":[]}", "application/json", NULL,
	      false, "schema 1", "a schema 1 manifest by its schemaVersion");
	typed("{\"schemaVersion\":2,", MT_OCI_MANIFEST, NULL, false, "manifest",
	      "a truncated document");
}

int main(void)
{
	doc_types();
	test_media_types();
	test_ambiguous();
	return tap_done();
}
