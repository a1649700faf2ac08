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
 * its volumes) and while volumes are removed. Taken after the store
 * lock. An fd to close, or -1 with err. */
int volume_lock(struct store *s, struct berth_error *err);

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
/* The IDs of the containers (any state) whose mounts name it. */
int volume_users(struct store *s, const char *name, char ***ids, size_t *n,
		 struct berth_error *err);
/* Remove it, refusing one in use (hold volume_lock). Whatever ids its
 * files have, they go: the removal runs in the user's user namespace. */
int volume_remove(struct store *s, const char *name, struct berth_error *err);
bool volume_is_anonymous(struct store *s, const char *name);

#endif
