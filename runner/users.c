// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * users.c: which containers use a volume or a network, from their
 * records (container.c), and the removals and listings that must ask
 * first. The objects themselves (objects/) never read the container
 * list: a volume or a network is removed only through here, which asks
 * the records under the object's lock and refuses one in use, naming its
 * containers. A network's bridge namespace (netns/keeper.c) goes after
 * its record.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "../lib/json.h"
#include "../lib/util.h"
#include "../netns/keeper.h"
#include "../objects/network.h"
#include "../objects/volume.h"
#include "container.h"
#include "users.h"

/* Does a container's config.json name the object? */
typedef bool (*names_fn)(struct json_object *cfg, const char *name);

static bool mounts_volume(struct json_object *cfg, const char *name)
{
	struct json_object *mounts;

	if (!json_object_object_get_ex(cfg, "Mounts", &mounts) ||
	    !json_object_is_type(mounts, json_type_array))
		return false;
	for (size_t j = 0; j < json_object_array_length(mounts); j++) {
		struct json_object *m = json_object_array_get_idx(mounts, j);
		const char *t = json_get_string(m, "Type"), *nm = json_get_string(m, "Name");
		if (t && nm && !strcmp(t, "volume") && !strcmp(nm, name))
			return true;
	}
	return false;
}

static bool on_network(struct json_object *cfg, const char *name)
{
	const char *net = json_get_string(cfg, "Network");
	return net && !strcmp(net, name);
}

struct users_walk {
	names_fn names;
	const char *name;
	char ***ids;
	size_t *n;
};

static void add_user(struct store *s, const char *id, void *arg)
{
	struct users_walk *w = arg;
	struct berth_error e = { 0 };
	_cleanup_json_ struct json_object *cfg = container_config(s, id, &e);

	berth_error_clear(&e);
	if (cfg && w->names(cfg, w->name))
		strv_push(w->ids, w->n, id);
}

/* The containers whose config.json names it (a record half made or half
 * removed has none, and names nothing). */
static int users_of(struct store *s, names_fn names, const char *name, char ***ids, size_t *n,
		    struct berth_error *err)
{
	struct users_walk w = { names, name, ids, n };

	*ids = xcalloc(1, sizeof(char *));
	*n = 0;
	return container_each(s, add_user, &w, err);
}

int users_of_volume(struct store *s, const char *name, char ***ids, size_t *n,
		    struct berth_error *err)
{
	return users_of(s, mounts_volume, name, ids, n, err);
}

int users_of_network(struct store *s, const char *name, char ***ids, size_t *n,
		     struct berth_error *err)
{
	return users_of(s, on_network, name, ids, n, err);
}

struct members_walk {
	const char *name;
	struct net_member **out;
	size_t *n;
};

static void add_member(struct store *s, const char *id, void *arg)
{
	struct members_walk *w = arg;
	struct net_member m = { 0 };

	if (!container_net_member(s, id, &m))
		return;
	if (strcmp(m.network, w->name)) {
		net_member_clear(&m);
		return;
	}
	*w->out = xrealloc(*w->out, (*w->n + 1) * sizeof(**w->out));
	(*w->out)[(*w->n)++] = m;
}

int users_network_members(struct store *s, const char *name, struct net_member **out, size_t *n,
			  struct berth_error *err)
{
	struct members_walk w = { name, out, n };

	*out = NULL;
	*n = 0;
	return container_each(s, add_member, &w, err);
}

void users_members_free(struct net_member *m, size_t n)
{
	for (size_t i = 0; i < n; i++)
		net_member_clear(&m[i]);
	free(m);
}

/* ---- removing an object no container names ---- */

struct kind {
	const char *what; /* "volume": for messages */
	bool (*exists)(struct store *s, const char *name);
	int (*users)(struct store *s, const char *name, char ***ids, size_t *n,
		     struct berth_error *err);
	/* the object and what goes with it */
	int (*remove)(struct store *s, const char *name, struct berth_error *err);
	/* a refusal names every container (else the first "and others") */
	bool name_all;
};

/* The keeper knows a network by its ID (keeper.h): read before the
 * record goes. */
static int network_remove_with_bridge(struct store *s, const char *name, struct berth_error *err)
{
	struct network net = { 0 };
	char id[sizeof(net.id)];

	if (network_load(s, name, &net, err) < 0)
		return -1;
	memcpy(id, net.id, sizeof(id));
	network_clear(&net);
	if (network_remove(s, name, err) < 0)
		return -1;
	if (keeper_down(id, err) < 0)
		return berth_error_wrap(err, "network \"%s\" removed, but its namespace stays",
					name);
	return 0;
}

static const struct kind volume_kind = { "volume", volume_exists, users_of_volume, volume_remove,
					 false };
static const struct kind network_kind = { "network", network_exists, users_of_network,
					  network_remove_with_bridge, true };

/* EBUSY: who uses it, by name where it has one. */
static int in_use(struct store *s, const struct kind *k, const char *name, char *const *ids,
		  size_t n, struct berth_error *err)
{
	_cleanup_free_ char *list = xstrdup("");

	for (size_t i = 0; i < (k->name_all ? n : 1); i++) {
		_cleanup_free_ char *cname = container_name(s, ids[i]);
		char *t = xasprintf("%s%s%s", list, i ? ", " : "", cname ? cname : ids[i]);
		free(list);
		list = t;
	}
	return berth_error_set(err, EBUSY,
			       "%s \"%s\" is in use by container%s %s%s (remove %s first)", k->what,
			       name, k->name_all && n > 1 ? "s" : "", list,
			       !k->name_all && n > 1 ? " and others" : "", n > 1 ? "them" : "it");
}

/* Remove it unless a container names it: refused (refuse) or left
 * quietly. A missing one is the remover's ENOENT. */
static int remove_unused(struct store *s, const struct kind *k, const char *name, bool refuse,
			 bool *removed, struct berth_error *err)
{
	char **ids = NULL;
	size_t n = 0;
	int r = 0;

	*removed = false;
	if (k->exists(s, name) && k->users(s, name, &ids, &n, err) < 0)
		r = -1;
	else if (n > 0)
		r = refuse ? in_use(s, k, name, ids, n, err) : 0;
	else if ((r = k->remove(s, name, err)) == 0)
		*removed = true;
	strv_free(ids);
	return r;
}

int users_remove_volume(struct store *s, const char *name, struct berth_error *err)
{
	bool removed;
	return remove_unused(s, &volume_kind, name, true, &removed, err);
}

int users_remove_network(struct store *s, const char *name, struct berth_error *err)
{
	bool removed;
	return remove_unused(s, &network_kind, name, true, &removed, err);
}

int users_prune_volume(struct store *s, const char *name, bool *removed, struct berth_error *err)
{
	return remove_unused(s, &volume_kind, name, false, removed, err);
}

int users_prune_network(struct store *s, const char *name, bool *removed, struct berth_error *err)
{
	return remove_unused(s, &network_kind, name, false, removed, err);
}

int users_remove_container(struct store *s, const char *id, bool volumes, struct berth_error *err)
{
	size_t n = 0;
	char **anon = volumes ? container_anonymous_volumes(s, id, &n) : NULL;
	int r = 0;

	if (container_remove(s, id, err) < 0) {
		strv_free(anon);
		return -1;
	}
	/* docker's rm -v and run --rm: its anonymous volumes go with it,
	 * unless another container took them (--volumes-from) */
	if (n > 0) {
		_cleanup_close_ int lock = volume_lock(s, err);
		for (size_t i = 0; lock >= 0 && i < n && r == 0; i++) {
			bool removed;
			if (volume_exists(s, anon[i]))
				r = remove_unused(s, &volume_kind, anon[i], false, &removed, err);
		}
		if (lock < 0)
			r = -1;
	}
	strv_free(anon);
	return r;
}

/* ---- a network's running containers ---- */

struct json_object *users_inspect_network(struct store *s, const char *name,
					  struct berth_error *err)
{
	struct net_member *m = NULL;
	size_t n = 0;

	if (users_network_members(s, name, &m, &n, err) < 0) {
		users_members_free(m, n);
		return NULL;
	}
	struct network_endpoint *eps = xcalloc(n + 1, sizeof(*eps));
	char **names = xcalloc(n + 1, sizeof(char *));
	for (size_t i = 0; i < n; i++) {
		names[i] = container_name(s, m[i].id);
		eps[i] = (struct network_endpoint){ m[i].id, names[i], m[i].addr };
	}
	struct json_object *o = network_inspect(s, name, eps, n, err);
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	free(eps);
	users_members_free(m, n);
	return o;
}
