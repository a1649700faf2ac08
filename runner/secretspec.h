/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * secretspec.h: a container's secrets, as asked (--secret) and recorded
 * by name in its config.json, and their values read from the store when
 * it starts (secretspec.c). The store itself is secret.c.
 */
#ifndef BERTH_SECRETSPEC_H
#define BERTH_SECRETSPEC_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stdint.h>

#include "../lib/error.h"
#include "rootfs.h"
#include "../image/store.h"

struct secret_ref {
	char *name;
	bool env;     /* type=env: an environment variable, not a file */
	char *target; /* a file's absolute path, or the variable's name */
	unsigned mode;
	uint32_t uid, gid;
};

/* --secret NAME[,type=mount|env][,target=X][,mode=0400][,uid=N][,gid=N]
 * (also source=NAME, docker's spelling). */
int secretspec_parse(const char *arg, struct secret_ref *out, struct berth_error *err);
void secret_ref_clear(struct secret_ref *r);
/* config.json's "Secrets" and back. */
struct json_object *secretspec_to_json(const struct secret_ref *r, size_t n);
int secretspec_from_json(struct json_object *arr, struct secret_ref **out, size_t *n,
			 struct berth_error *err);

/* What a starting container gets of its secrets (refs, as recorded):
 * the files for rootfs.c (their targets point into refs) and the
 * variables, appended to *env. Values only in memory, never written
 * anywhere but the container's tmpfs. */
struct secret_values {
	struct rootfs_secret *files;
	size_t n_files;
	char **values; /* what files[] point into */
	size_t n_values;
};
int secretspec_load(struct store *s, const struct secret_ref *refs, size_t n,
		    struct secret_values *out, char ***env, size_t *n_env, struct berth_error *err);
void secret_values_clear(struct secret_values *v);

#endif
