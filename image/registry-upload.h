/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * registry-upload.h: the upload side of the distribution API for one
 * repository (registry.h opens it): a blob pushed unless the registry
 * has it (HEAD), mounted from another repository of the same registry
 * when it came from one, else uploaded from a file (one PUT when small,
 * PATCH chunks when large), never held whole in memory; then the
 * manifest. Every answer's Docker-Content-Digest is checked.
 */
#ifndef BERTH_REGISTRY_UPLOAD_H
#define BERTH_REGISTRY_UPLOAD_H

#include <stdint.h>

#include "registry.h"

/* A blob up to this size goes in one PUT; a larger one in PATCH chunks
 * of this size. 16 MiB: most layers take one request, and a large one
 * is sent in pieces that a proxy or registry with a body limit accepts
 * (and that a memory-bound registry need not buffer whole). */
#define REGISTRY_CHUNK_SIZE (16u << 20)

enum registry_push_how {
	REGISTRY_BLOB_EXISTS,  /* the registry had it */
	REGISTRY_BLOB_MOUNTED, /* mounted from another repository */
	REGISTRY_BLOB_PUSHED,  /* uploaded */
};

/* A blob to push: size bytes of fd from its start. */
struct registry_push {
	const char *digest;
	int fd;
	uint64_t size;
	/* a repository of the same registry that holds it (a mount is asked
	 * first), or NULL */
	const char *from;
	/* told of the upload's bytes as they go, done of size (0 when it
	 * starts over), with arg; or NULL */
	void (*sent)(void *arg, uint64_t done, uint64_t size);
	void *arg;
};

/* Push the blob b to r's repository, unless it is there. */
int registry_push_blob(struct registry *r, const struct registry_push *b,
		       enum registry_push_how *how, struct berth_error *err);

/* PUT the manifest under ref (a tag) with its media type; the registry's
 * digest for it must be sha256 of buf. */
int registry_put_manifest(struct registry *r, const char *ref, const char *buf, size_t len,
			  const char *media_type, struct berth_error *err);

#endif
