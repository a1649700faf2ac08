/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * secret.h: the secret store, secrets/NAME/{data,meta.json} under the
 * store root. Values go in and come out only through create and read;
 * list and inspect give metadata, never a value or its size. How a value
 * reaches a container is run's business, not this module's.
 */
#ifndef BERTH_SECRET_H
#define BERTH_SECRET_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>

#include "../lib/error.h"
#include "../image/store.h"

#define SECRET_MAX_SIZE (500 * 1024) /* docker's limit */
/* What secret_name_valid accepts, for error messages. */
#define SECRET_NAME_RULE "1-64 characters from [a-zA-Z0-9_.-], the first a letter or digit"

/* [a-zA-Z0-9][a-zA-Z0-9_.-]*, at most 64 characters. */
bool secret_name_valid(const char *name);
/* Store a new secret (1 to SECRET_MAX_SIZE bytes). EEXIST if the name is
 * taken. Atomic: a staging dir renamed into place, so a failure leaves
 * nothing. Takes the store lock exclusively unless the caller holds it. */
int secret_create(struct store *s, const char *name, const void *data, size_t len,
		  struct berth_error *err);
bool secret_exists(struct store *s, const char *name);
/* The value (malloc'd, *len bytes, also NUL-terminated for convenience).
 * ENOENT "secret \"NAME\": no such secret" when missing. */
int secret_read(struct store *s, const char *name, char **data, size_t *len,
		struct berth_error *err);
/* Every secret's name, sorted, NULL-terminated (free with strv_free). */
int secret_list(struct store *s, char ***names, size_t *n, struct berth_error *err);
/* Metadata only, never the value: Name, ID, CreatedAt, Driver. NULL on
 * error. The caller puts the object. */
struct json_object *secret_inspect(struct store *s, const char *name, struct berth_error *err);
int secret_remove(struct store *s, const char *name, struct berth_error *err);

#endif
