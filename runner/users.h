/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * users.h: which containers use the store's objects (users.c), and the
 * steps on an object that must know it first: removing a volume or a
 * network (never one a container names), a container with its anonymous
 * volumes, a network's inspect with the containers running on it.
 *
 * Each removal runs under the object's lock (volume_lock, network_lock),
 * which the caller holds from before the users are asked for to after
 * the object is gone: a container being made takes the same lock until
 * its record names the object, so an object is never removed between
 * being made for a container and being named by it.
 */
#ifndef BERTH_USERS_H
#define BERTH_USERS_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>

#include "../lib/error.h"
#include "container.h"
#include "../image/store.h"

/* The IDs of the containers (any state) whose config.json names volume
 * NAME among its mounts, or network NAME as its network; a record half
 * made or half removed names nothing. A NULL-terminated vector. */
int users_of_volume(struct store *s, const char *name, char ***ids, size_t *n,
		    struct berth_error *err);
int users_of_network(struct store *s, const char *name, char ***ids, size_t *n,
		     struct berth_error *err);
/* The running containers on network NAME (live address records only). */
int users_network_members(struct store *s, const char *name, struct net_member **out, size_t *n,
			  struct berth_error *err);
void users_members_free(struct net_member *m, size_t n);

/* `volume rm` (hold volume_lock): EBUSY, naming a container, while one
 * names it; ENOENT "no such volume". */
int users_remove_volume(struct store *s, const char *name, struct berth_error *err);
/* `network rm` (hold network_lock): EBUSY, naming every container that
 * names it; else its record goes, then its bridge namespace (the
 * keeper's). */
int users_remove_network(struct store *s, const char *name, struct berth_error *err);
/* `prune`: the same, but one in use stays quietly; *removed says whether
 * it went. */
int users_prune_volume(struct store *s, const char *name, bool *removed, struct berth_error *err);
int users_prune_network(struct store *s, const char *name, bool *removed, struct berth_error *err);
/* `network inspect`: network_inspect with the containers running on it
 * (their IDs, names and addresses). */
struct json_object *users_inspect_network(struct store *s, const char *name,
					  struct berth_error *err);
/* `rm [-v]`, run --rm: the container's record (container_remove) and,
 * with volumes, its anonymous volumes that no other container names
 * (--volumes-from took them), under volume_lock. */
int users_remove_container(struct store *s, const char *id, bool volumes, struct berth_error *err);

#endif
