/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * load.h: bringing images into the store: `load` (docker-archive,
 * oci-archive, OCI layout) and `import` (a flat rootfs tarball).
 */
#ifndef BERTH_LOAD_H
#define BERTH_LOAD_H

#include <stdbool.h>

#include "oci.h"
#include "store.h"
#include "unpack.h"

/* The [limits] of the user's berth.conf (docs/config.md): the image
 * totals are left at 0. */
int load_limits_from_conf(struct unpack_limits *out, struct berth_error *err);

struct load_opts {
	const char *input;    /* path, or NULL / "-" for stdin */
	const char *platform; /* "os/arch[/variant]" or NULL for the host's */
	bool quiet;
	const struct unpack_limits *limits; /* NULL: the user's berth.conf */
};

struct load_result {
	size_t n;
	char **ids;
	char ***refs; /* per image, NULL-terminated */
};
void load_result_clear(struct load_result *r);

int image_load(struct store *s, const struct load_opts *o, struct load_result *res,
	       struct berth_error *err);

/* An image whose blobs a caller (a pull) fetched itself: the config and
 * manifest in memory, verified; each layer's blob either in the store or
 * staged, verified, in the caller's stage. Installed as `load` installs
 * one: layers unpacked in the stage under the shared store lock, then
 * blobs, layers, record and name committed under the exclusive lock. */
struct load_staged_layer {
	const char *staged; /* its name in the stage; NULL when the store has the blob */
	const char *digest;
	uint64_t size;
	const char *media_type;
};
struct load_staged {
	const char *label;  /* what the image came from, for messages */
	const char *name;   /* the normalised reference to record, or NULL */
	char *const *names; /* more of them (NULL-terminated), or NULL */
	/* image.h's intermediate: recorded for an image without names that
	 * the store does not hold already as not being one */
	bool intermediate;
	const char *config;
	size_t config_len;
	const char *config_digest;
	const char *manifest;
	size_t manifest_len;
	const char *manifest_digest;
	size_t n_layers;
	const struct load_staged_layer *layers;
	bool quiet;
	const struct unpack_limits *limits; /* NULL: the user's berth.conf */
	/* A pull that installs while it downloads: called (on the install's
	 * thread) before a staged blob is first read, with its name, and
	 * before the commit with NULL; returns once that blob (NULL: every
	 * blob) is fetched whole and checked, or -1 when it never will be.
	 * NULL: every staged blob is whole already. */
	int (*await)(const char *staged, void *data);
	void *await_data;
};
int image_install_staged(struct store *s, struct store_stage *stage, const struct load_staged *in,
			 struct berth_error *err);

struct import_opts {
	const char *input;   /* path, or NULL / "-" for stdin */
	const char *ref;     /* NAME[:TAG] or NULL */
	const char *message; /* history comment */
	bool quiet;
	const struct unpack_limits *limits; /* NULL: the user's berth.conf */
};
int image_import(struct store *s, const struct import_opts *o, char *id_out,
		 struct berth_error *err);

#endif
