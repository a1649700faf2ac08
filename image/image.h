/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * image.h: image records (images/<id>.json) and the reference index
 * (refs.json) of the store, and the garbage collection that follows from
 * them: a layer or blob lives exactly as long as some image names it.
 */
#ifndef BERTH_IMAGE_H
#define BERTH_IMAGE_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stdint.h>

#include "store.h"
#include "../lib/json.h"
#include "../lib/util.h"

struct image {
	char id[DIGEST_STR_LEN + 1];	   /* the config digest */
	char manifest[DIGEST_STR_LEN + 1]; /* the OCI manifest blob kept */
	size_t n_layers;
	char (*chain_ids)[DIGEST_STR_LEN + 1];
	char (*diff_ids)[DIGEST_STR_LEN + 1];
	char (*blobs)[DIGEST_STR_LEN + 1]; /* layer blobs, as in the manifest */
	uint64_t size;			   /* sum of uncompressed layers */
	int64_t loaded;			   /* when it entered this store */
	/* NULL-terminated (strv), or NULL: records older than push have
	 * neither. "HOST/REPO@sha256:..." of the manifest as a registry has
	 * it (docker's RepoDigests), one per repository, written by pull and
	 * push; and the repositories "HOST/REPO" known to hold every blob
	 * of the manifest (where a push to another repository of the same
	 * registry mounts them from). */
	char **repo_digests;
	char **sources;
	/* A build step's image (assemble.h): `images` lists it only with
	 * -a while it has no name, and the build cache's prune removes it.
	 * Records without the field (older ones) are not. */
	bool intermediate;
};

void image_free(struct image *img);
int image_read(struct store *s, const char *id, struct image **out, struct berth_error *err);
int image_write(struct store *s, const struct image *img, struct berth_error *err);

/* Note, in id's record, that the registry repository repo ("HOST/REPO")
 * holds the image under manifest digest: a RepoDigest (replacing one of
 * the same repository) and a source. Exclusive lock. */
int image_note_registry(struct store *s, const char *id, const char *repo, const char *digest,
			struct berth_error *err);

/* refs.json as a json object "ref" -> "id" (caller puts it). A damaged
 * file (unreadable, not JSON, not an object, an entry not a name and an
 * ID) fails naming it and its fix, `berth system check --repair`. */
int refs_read(struct store *s, struct json_object **out, struct berth_error *err);
/* For what can do without names (listing images by ID): *out always
 * (empty, or the valid entries, when damaged); -1 with the damage in
 * damage, for a warning. */
int refs_read_checked(struct store *s, struct json_object **out, struct berth_error *damage);
int refs_write(struct store *s, struct json_object *refs, struct berth_error *err);
/* Every ref of id, sorted; returns the count. */
size_t refs_of(struct json_object *refs, const char *id, char ***out);

/* The name in refs that name stands for: its normalised form, else
 * (a short name) docker's, docker.io/library/NAME; NULL when neither is
 * there. */
char *image_ref_in(struct json_object *refs, const char *name);
/* Find an image by reference, full ID or unique ID prefix. With
 * refs.json damaged, an ID or ID prefix still finds its image. */
int image_resolve(struct store *s, const char *name, char *id_out, struct berth_error *err);
/* All image IDs in the store. */
int image_list_ids(struct store *s, char ***out, size_t *n, struct berth_error *err);
/* Containers that use the image (their names), from containers/. */
size_t image_users(struct store *s, const char *id, char ***out);
/* Delete the record (refs are the caller's business), then collect. */
int image_delete(struct store *s, const char *id, struct berth_error *err);
/* Remove layers and blobs that no image references. Exclusive lock. */
int image_gc(struct store *s, struct berth_error *err);
/* A commit marks the store before its first rename and clears the mark
 * after the last; a mark left by a killed command makes the next one
 * collect the garbage. */
int image_commit_begin(struct store *s, struct berth_error *err);
void image_commit_end(struct store *s);
/* In a commit, before the record of the new image id that is to have
 * names: the mark names it, so that a command killed after the record
 * and before refs.json leaves no nameless image behind. */
int image_commit_new(struct store *s, const char *id, struct berth_error *err);
/* The image the mark names, when no name points at it: its record
 * removed (image_gc then takes what only it held). Exclusive lock. */
void image_commit_drop_unnamed(struct store *s);
void image_recover(struct store *s);

/* The config document of an image (caller puts it). */
struct json_object *image_config(struct store *s, const char *id, struct berth_error *err);

#endif
