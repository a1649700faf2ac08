// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Unit tests: which containers use a volume or a network (runner/
 * users.c), on a store made here with real container records: the
 * lookups, the refusals and their messages, prune leaving one in use,
 * rm -v taking only the anonymous volumes no other container names, the
 * running members of a network from their address records, and network
 * inspect's Containers.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../lib/json.h"
#include "../../lib/util.h"
#include "../../objects/network.h"
#include "../../objects/volume.h"
#include "../../runner/container.h"
#include "../../runner/users.h"
#include "../tap.h"
#include "scratch-store.h"

static struct store *s;

/* A container named name whose config.json is cfg; its ID in id. */
static void make_container(const char *name, const char *cfg, char *id)
{
	struct berth_error err = { 0 };
	struct container_new cn = { .image = "sha256:0",
				    .name = name,
				    .hostname = name,
				    .config_json = cfg,
				    .resolv = "" };

	if (container_create(s, &cn, id, &err) < 0)
		die("container_create %s: %s", name, err.msg);
}

static void make_volume(const char *name, bool anonymous)
{
	struct berth_error err = { 0 };
	char *out = NULL;
	bool created;

	if (volume_ensure(s, name, NULL, 0, anonymous, &out, &created, &err) < 0)
		die("volume_ensure %s: %s", name, err.msg);
	free(out);
}

/* The users' count, and whether want (an ID) is among them. */
static size_t count_users(int (*users)(struct store *, const char *, char ***, size_t *,
				       struct berth_error *),
			  const char *name, const char *want)
{
	struct berth_error err = { 0 };
	char **ids = NULL;
	size_t n = 0;
	bool found = !want;

	if (users(s, name, &ids, &n, &err) < 0)
		die("users of %s: %s", name, err.msg);
	for (size_t i = 0; i < n; i++)
		found = found || !strcmp(ids[i], want);
	strv_free(ids);
	return found ? n : (size_t)-1;
}

static char web[65], db[65], half[65], lone[65], shared[65];

static void lookups(void)
{
	is_int(count_users(users_of_volume, "data", web), 3, "volume data: its three users");
	is_int(count_users(users_of_volume, "data", db), 3, "  db among them");
	is_int(count_users(users_of_volume, "data", lone), 3, "  lone among them");
	is_int(count_users(users_of_volume, "spare", NULL), 0, "volume spare: none");
	is_int(count_users(users_of_network, "net1", web), 1, "network net1: web");
	is_int(count_users(users_of_network, "net2", NULL), 0, "network net2: none");
	/* a volume mounted by an image's path elsewhere is still the one */
	is_int(count_users(users_of_volume, "anon2", lone), 2, "volume anon2: lone and half");
}

static void refusals(void)
{
	struct berth_error err = { 0 };
	bool removed = true;

	int r = users_remove_volume(s, "data", &err);
	ok(r < 0 && err.errnum == EBUSY, "volume rm of one in use: EBUSY");
	ok(err.msg && strstr(err.msg, "volume \"data\" is in use by container ") &&
		   str_has_suffix(err.msg, " and others (remove them first)"),
	   "  naming one container and others");
	printf("# %s\n", err.msg);
	berth_error_clear(&err);
	ok(volume_exists(s, "data"), "  and it stays");
	ok(users_remove_volume(s, "gone", &err) < 0 && err.errnum == ENOENT && err.msg &&
		   !strcmp(err.msg, "volume \"gone\": no such volume"),
	   "volume rm of a missing one: no such volume");
	berth_error_clear(&err);
	ok(users_prune_volume(s, "data", &removed, &err) == 0 && !removed &&
		   volume_exists(s, "data"),
	   "prune leaves one in use, quietly");

	make_container("db2", "{\"Network\":\"net1\"}", shared);
	r = users_remove_network(s, "net1", &err);
	ok(r < 0 && err.errnum == EBUSY, "network rm of one in use: EBUSY");
	ok(err.msg && (!strcmp(err.msg, "network \"net1\" is in use by containers web, db2 (remove "
					"them first)") ||
		       !strcmp(err.msg, "network \"net1\" is in use by containers db2, web (remove "
					"them first)")),
	   "  naming every container");
	printf("# %s\n", err.msg);
	berth_error_clear(&err);
	ok(users_remove_container(s, shared, false, &err) == 0, "one of them removed");
	r = users_remove_network(s, "net1", &err);
	ok(r < 0 && err.msg &&
		   !strcmp(err.msg, "network \"net1\" is in use by container web (remove it "
				    "first)"),
	   "  the other named alone");
	berth_error_clear(&err);
}

static void removals(void)
{
	struct berth_error err = { 0 };
	bool removed = false;

	ok(users_prune_volume(s, "spare", &removed, &err) == 0 && removed &&
		   !volume_exists(s, "spare"),
	   "prune removes one no container names");
	ok(users_remove_network(s, "net2", &err) == 0 && !network_exists(s, "net2"),
	   "network rm of one no container names");
	ok(!err.msg, "  no error");
	ok(users_remove_network(s, "net2", &err) < 0 && err.errnum == ENOENT && err.msg &&
		   !strcmp(err.msg, "network \"net2\": no such network"),
	   "network rm of a missing one: no such network");
	berth_error_clear(&err);
}

/* rm -v: an anonymous volume another container names stays; one only it
 * names goes; a named volume always stays. */
static void remove_container(void)
{
	struct berth_error err = { 0 };

	ok(users_remove_container(s, lone, true, &err) == 0, "rm -v of a container");
	ok(!volume_exists(s, "anon1"), "  its own anonymous volume goes");
	ok(volume_exists(s, "anon2"), "  one another container names stays");
	ok(volume_exists(s, "data"), "  a named one stays");
	is_int(count_users(users_of_volume, "anon2", half), 1, "  (the other still names it)");
	ok(users_remove_container(s, half, false, &err) == 0 && volume_exists(s, "anon2"),
	   "rm without -v keeps them all");
	berth_error_clear(&err);
}

static void members(void)
{
	struct berth_error err = { 0 };
	struct net_member *m = NULL, one = { 0 };
	struct in_addr a;
	size_t n = 0;
	char stale[65];

	inet_pton(AF_INET, "10.89.7.4", &a);
	ok(container_set_netaddr(s, web, "net1", a, &err) == 0, "an address recorded");
	make_container("stale", "{\"Network\":\"net1\"}", stale);
	_cleanup_free_ char *p = xasprintf("containers/%s/netaddr", stale);
	/* pid 1 did not start at tick 1: a record left by a dead monitor */
	write_file_replace_nosync(s->rootfd, p, "net1 10.89.7.5 1 1\n", 19, 0644, &err);
	ok(container_net_member(s, web, &one) && !strcmp(one.network, "net1") &&
		   one.addr.s_addr == a.s_addr,
	   "a live record is read back");
	net_member_clear(&one);
	ok(!container_net_member(s, stale, &one), "a dead process's record is no member");
	ok(users_network_members(s, "net1", &m, &n, &err) == 0 && n == 1 && !strcmp(m[0].id, web),
	   "net1's running members: web alone");
	users_members_free(m, n);

	_cleanup_json_ struct json_object *o = users_inspect_network(s, "net1", &err);
	struct json_object *c = NULL, *e = NULL;
	ok(o && json_object_object_get_ex(o, "Containers", &c) &&
		   json_object_object_length(c) == 1 && json_object_object_get_ex(c, web, &e),
	   "network inspect's Containers: web");
	is_str(json_get_string(e, "Name"), "web", "  its name");
	is_str(json_get_string(e, "IPv4Address"), "10.89.7.4/24", "  its address");
	container_clear_netaddr(s, web);
	ok(!container_net_member(s, web, &one), "the record cleared");
	berth_error_clear(&err);
}

int main(void)
{
	char tmpl[] = "/tmp/test-users-XXXXXX";
	char *root = mkdtemp(tmpl);
	struct berth_error err = { 0 };
	struct net_subnet sn;

	if (!root)
		die("mkdtemp");
	/* the keeper network rm asks lives in the runtime directory: ours */
	_cleanup_free_ char *run = xasprintf("%s/run", root);
	mkdir(run, 0700);
	setenv("XDG_RUNTIME_DIR", run, 1);
	if (store_open(root, &s, &err) < 0)
		die("store_open: %s", err.msg);
	make_volume("data", false);
	make_volume("spare", false);
	make_volume("anon1", true);
	make_volume("anon2", true);
	network_parse_subnet("10.89.7.0/24", &sn, &err);
	if (network_create(s, "net1", &sn, false, NULL, 0, &err) < 0 ||
	    network_create(s, "net2", NULL, false, NULL, 0, &err) < 0)
		die("network_create: %s", err.msg);
	make_container("web",
		       "{\"Network\":\"net1\",\"Mounts\":[{\"Type\":\"bind\",\"Source\":\"/"
		       "bound\"},{\"Type\":\"volume\",\"Name\":\"data\"}]}",
		       web);
	make_container("db", "{\"Mounts\":[{\"Type\":\"volume\",\"Name\":\"data\"}]}", db);
	make_container("lone",
		       "{\"Mounts\":[{\"Type\":\"volume\",\"Name\":\"anon1\",\"Anonymous\":true},"
		       "{\"Type\":\"volume\",\"Name\":\"anon2\",\"Anonymous\":true},"
		       "{\"Type\":\"volume\",\"Name\":\"data\"}]}",
		       lone);
	make_container("half", "{\"Mounts\":[{\"Type\":\"volume\",\"Name\":\"anon2\"}]}", half);
	/* a record half made (or half removed): no config.json, no user */
	mkdirat(s->rootfd,
		"containers/0123456789012345678901234567890123456789012345678901234567890123",
		0700);

	lookups();
	refusals();
	removals();
	remove_container();
	members();

	return scratch_store_done(s, root);
}
