/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * volume.h: named and anonymous volumes in the store (volume.c).
 */
#ifndef BERTH_VOLUME_H
#define BERTH_VOLUME_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>

#include "../lib/error.h"
#include "../image/store.h"

/* The lock that orders volume removal against containers taking a
 * volume: held while a container is created (its config.json then names
 * its volumes) and while volumes are removed, from the moment their
 * users are asked for. Taken after the store lock. An fd to close, or -1
 * with err. */
int volume_lock(struct store *s, struct berth_error *err);

/* docker's volume names: [a-zA-Z0-9][a-zA-Z0-9_.-]+, at most 128. */
bool volume_name_valid(const char *name);

/* Make the volume NAME (NULL: a new anonymous one) unless it exists;
 * *name_out is its name, *created whether it is new. A new volume wants
 * the image's content at its first mount (volume_copy_marker). */
int volume_ensure(struct store *s, const char *name, char **labels, size_t n_labels, bool anonymous,
		  char **name_out, bool *created, struct berth_error *err);
bool volume_exists(struct store *s, const char *name);
/* Absolute paths of its data directory and of its copy marker. */
char *volume_data_path(struct store *s, const char *name);
char *volume_copy_marker(struct store *s, const char *name);
int volume_list(struct store *s, char ***names, size_t *n, struct berth_error *err);
/* docker volume inspect's shape: Name, Driver, Mountpoint, CreatedAt,
 * Labels, Scope, Anonymous. */
struct json_object *volume_inspect(struct store *s, const char *name, struct berth_error *err);
/* Remove it (hold volume_lock), whether a container names it or not:
 * the caller has made sure none does (runner/users.c asks the container
 * list under the same lock), or made it itself and has not named it yet.
 * Whatever ids its files have, they go: what the user cannot remove is
 * removed in the user's user namespace. ENOENT "no such volume". */
int volume_remove(struct store *s, const char *name, struct berth_error *err);
bool volume_is_anonymous(struct store *s, const char *name);

#endif
