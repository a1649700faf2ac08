/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * oci.h: parsers for the JSON documents of image archives: OCI index,
 * manifest and config, and docker-archive's manifest.json. Input is
 * untrusted; every parser checks types, digests, sizes and counts, and
 * is a libFuzzer target (tests/fuzz/fuzz-oci.c).
 */
#ifndef BERTH_OCI_H
#define BERTH_OCI_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stdint.h>

#include "../lib/digest.h"

#define OCI_MAX_JSON (4u << 20)	   /* manifest, index, manifest.json */
#define OCI_MAX_CONFIG (32u << 20) /* image config (long histories) */
#define OCI_MAX_LAYERS 500	   /* overlay and podman stop far below */
#define OCI_MAX_INDEX_DEPTH 8
#define OCI_MAX_BLOB_SIZE (1ULL << 40) /* 1 TiB: anything larger is absurd */

#define MT_OCI_INDEX "application/vnd.oci.image.index.v1+json"
#define MT_OCI_MANIFEST "application/vnd.oci.image.manifest.v1+json"
#define MT_OCI_CONFIG "application/vnd.oci.image.config.v1+json"
#define MT_OCI_LAYER "application/vnd.oci.image.layer.v1.tar"
#define MT_OCI_LAYER_GZIP "application/vnd.oci.image.layer.v1.tar+gzip"
#define MT_OCI_LAYER_ZSTD "application/vnd.oci.image.layer.v1.tar+zstd"
#define MT_DOCKER_LIST "application/vnd.docker.distribution.manifest.list.v2+json"
#define MT_DOCKER_MANIFEST "application/vnd.docker.distribution.manifest.v2+json"

struct oci_platform {
	char *os, *arch, *variant;
};

struct oci_desc {
	char *media_type;
	char digest[DIGEST_STR_LEN + 1];
	uint64_t size;
	char *ref_name; /* org.opencontainers.image.ref.name, if any */
	bool has_platform;
	struct oci_platform platform;
};

struct oci_index {
	size_t n;
	struct oci_desc *manifests;
};

struct oci_manifest {
	struct oci_desc config;
	size_t n_layers;
	struct oci_desc *layers;
};

struct oci_config {
	struct json_object *json; /* the whole document */
	size_t n_diff_ids;
	char (*diff_ids)[DIGEST_STR_LEN + 1];
	struct oci_platform platform;
};

struct docker_entry {
	char *config; /* member name of the config */
	char **tags;  /* NULL-terminated RepoTags */
	size_t n_layers;
	char **layers; /* member names of the layer tars */
};

struct docker_manifest {
	size_t n;
	struct docker_entry *entries;
};

/* want_type: the media type the document's descriptor gave (NULL when
 * none did); a document whose own mediaType differs is refused, and so is
 * one with the fields of both an index and a manifest (CVE-2021-41190).
 * A manifest's config must have a config media type and each layer a
 * layer media type berth knows. */
int oci_parse_index(const char *buf, size_t len, const char *want_type, struct oci_index *out,
		    struct berth_error *err);
int oci_parse_manifest(const char *buf, size_t len, const char *want_type, struct oci_manifest *out,
		       struct berth_error *err);
int oci_parse_config(const char *buf, size_t len, struct oci_config *out, struct berth_error *err);
int docker_parse_manifest(const char *buf, size_t len, struct docker_manifest *out,
			  struct berth_error *err);
/* Is this document an index (by mediaType, or by shape when absent)? */
bool oci_is_index(const char *media_type);
/* What a manifest document fetched by itself (a registry's answer) is:
 * its type is the Content-Type when that is one berth reads, else the
 * document's mediaType, else NULL; an index by that type, or by its
 * shape when there is none. A docker schema 1 manifest is refused, in
 * one line. */
int oci_doc_type(const char *buf, size_t len, const char *content_type, const char **type,
		 bool *index, struct berth_error *err);
/* Media types of layers berth unpacks, and of image configurations. */
bool oci_is_layer_type(const char *media_type);
bool oci_is_config_type(const char *media_type);

void oci_desc_clear(struct oci_desc *d);
void oci_index_clear(struct oci_index *i);
void oci_manifest_clear(struct oci_manifest *m);
void oci_config_clear(struct oci_config *c);
void docker_manifest_clear(struct docker_manifest *m);
void oci_platform_clear(struct oci_platform *p);

/* The host's platform ("linux", "amd64", "" or "v8" ...). */
void oci_host_platform(struct oci_platform *out);
/* Parse "os/arch[/variant]". */
int oci_parse_platform(const char *s, struct oci_platform *out, struct berth_error *err);
bool oci_platform_match(const struct oci_platform *want, const struct oci_platform *have);
char *oci_platform_str(const struct oci_platform *p);
/* The entry of an image index for want, as `load` and `pull` choose it:
 * the first whose platform matches, else the first that names none;
 * NULL when there is neither. */
const struct oci_desc *oci_index_pick(const struct oci_index *idx, const struct oci_platform *want);

#endif
