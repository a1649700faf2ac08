/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * store.h: berth's on-disk image store: where it lives, its lock, staging
 * directories, and the content-addressed blobs and layers. Image records
 * and references are in image.h. Layout: docs/storage.md.
 */
#ifndef BERTH_STORE_H
#define BERTH_STORE_H

#include <stdbool.h>
#include <stdint.h>

#include "layers.h"
#include "../lib/digest.h"
#include "../lib/error.h"

struct store {
	char *root;
	int rootfd;
	int lockfd;
	int locked; /* 0, LOCK_SH or LOCK_EX */
};

/* $BERTH_ROOT, else $XDG_DATA_HOME/berth, else ~/.local/share/berth. */
char *store_default_root(void);
/* The user's runtime directory: lib/rundir.c's rundir_path, under the
 * name cli/cmd-stack.c still calls it by. */
int store_runtime_dir(char **out, struct berth_error *err);

int store_open(const char *root, struct store **out, struct berth_error *err);
/* As store_open, without removing what killed commands left under tmp/
 * (`berth system check` reports it first). */
int store_open_as_is(const char *root, struct store **out, struct berth_error *err);
void store_free(struct store *s);
int store_lock(struct store *s, int mode, struct berth_error *err);
void store_unlock(struct store *s);

/* A private staging directory under tmp/, removed by store_stage_free.
 * Its lock tells later commands whether its owner is still alive. */
struct store_stage {
	struct store *store;
	char *name;
	int dirfd;
	int lockfd;
};
int store_stage_new(struct store *s, struct store_stage **out, struct berth_error *err);
void store_stage_free(struct store_stage *st);
/* The stages under tmp/ whose owner is gone (their lock is free, or they
 * have none), by name, NULL-terminated (strv_free). */
char **store_stale_stages(struct store *s);
/* Remove one such stage, as every store_open does; EBUSY when its owner
 * holds it after all. */
int store_stage_remove(struct store *s, const char *stage, struct berth_error *err);

bool store_blob_exists(struct store *s, const char *digest);
int store_blob_open(struct store *s, const char *digest, struct berth_error *err);
/* Move a verified file from a staging dir into blobs/ (no-op if there). */
int store_blob_commit(struct store *s, int dirfd, const char *name, const char *digest,
		      struct berth_error *err);

/* chainID(L0) = diffID(L0); chainID(Ln) = sha256(chainID(Ln-1) + " " + diffID(Ln)) */
void store_chain_id(const char *parent_chain, const char *diff_id, char *out);

struct layer_info {
	char chain_id[DIGEST_STR_LEN + 1];
	char diff_id[DIGEST_STR_LEN + 1];
	char parent[DIGEST_STR_LEN + 1]; /* empty for a base layer */
	uint64_t size;			 /* uncompressed tar bytes */
	uint64_t entries;
};
bool store_layer_exists(struct store *s, const char *chain_id);
int store_layer_info(struct store *s, const char *chain_id, struct layer_info *out,
		     struct berth_error *err);
/* Open a stored layer for reading: data tree fd and metadata table. */
int store_layer_open(struct store *s, const char *chain_id, struct bfs_layer *out,
		     struct berth_error *err);
/* Write layer.json and meta into a staged layer dir (diff/ inside it). */
int store_layer_finish(int layerdirfd, const struct layer_info *info, const struct bfs_meta *meta,
		       struct berth_error *err);
/* Rename a staged layer dir into layers/; a concurrent twin wins quietly. */
int store_layer_commit(struct store *s, int stage_dirfd, const char *name, const char *chain_id,
		       struct berth_error *err);

/* On a failure for want of space (ENOSPC, EDQUOT) in err, name the store
 * whose filesystem is full, unless the message does already. Returns -1,
 * for `return store_name_if_full(...)`. */
int store_name_if_full(const struct store *s, struct berth_error *err);

#endif
