// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * netjoin.c: a container's address on its user network and the names the
 * containers of a network know each other by.
 *
 * Addresses are handed out when a container starts, not when it is made
 * (docker's way): the lowest free one from .4 up. The record is
 * containers/<id>/netaddr, "NETWORK ADDRESS PID STARTTIME", live while
 * that process lives: the container's monitor (or attached run), which
 * holds its run lock to its end. A killed monitor's address is free at
 * once, with nothing to clean.
 *
 * Names: /etc/hosts, not a resolver. Each running container's hosts file
 * ends with a section listing every running container of the network
 * (address, name, aliases, short ID), rewritten in place (it is bind
 * mounted, so a rename would not be seen) whenever one starts or ends.
 * A restarted container that got a new address is found at the new one.
 * A name written while a container dies uncleanly stays until the next
 * start or end on that network corrects it.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../netns/keeper.h"
#include "container.h"
#include "image.h"
#include "netjoin.h"
#include "network.h"
#include "util.h"

#define HOSTS_MARK "# berth network "

void net_member_clear(struct net_member *m)
{
	free(m->network);
	m->network = NULL;
}

/* A live netaddr record of container id, or false. */
bool network_member(struct store *s, const char *id, struct net_member *m)
{
	_cleanup_free_ char *p = xasprintf("containers/%s/netaddr", id), *text = NULL;
	struct berth_error e = { 0 };
	char net[128], addr[INET_ADDRSTRLEN];
	int pid;
	unsigned long long start;

	if (read_file_at(s->rootfd, p, 4096, &text, NULL, &e) < 0) {
		berth_error_clear(&e);
		return false;
	}
	if (sscanf(text, "%127s %15s %d %llu", net, addr, &pid, &start) != 4 || pid <= 0 ||
	    inet_pton(AF_INET, addr, &m->addr) != 1 || container_proc_start(pid) != start)
		return false;
	snprintf(m->id, sizeof(m->id), "%s", id);
	m->network = xstrdup(net);
	return true;
}

int network_members(struct store *s, const char *name, struct net_member **out, size_t *n,
		    struct berth_error *err)
{
	char **ids = NULL;
	size_t n_ids = 0;

	*out = NULL;
	*n = 0;
	if (container_list(s, &ids, &n_ids, err) < 0) {
		strv_free(ids);
		return -1;
	}
	for (size_t i = 0; i < n_ids; i++) {
		struct net_member m = { 0 };
		if (!network_member(s, ids[i], &m))
			continue;
		if (strcmp(m.network, name)) {
			net_member_clear(&m);
			continue;
		}
		*out = xrealloc(*out, (*n + 1) * sizeof(**out));
		(*out)[(*n)++] = m;
	}
	strv_free(ids);
	return 0;
}

static void members_free(struct net_member *m, size_t n)
{
	for (size_t i = 0; i < n; i++)
		net_member_clear(&m[i]);
	free(m);
}

/* "ADDR\tNAME ALIAS... HOSTNAME ID12" for one member. */
static char *member_line(struct store *s, const struct net_member *m)
{
	struct berth_error e = { 0 };
	_cleanup_json_ struct json_object *cfg = container_config(s, m->id, &e);
	_cleanup_free_ char *name = container_name(s, m->id);
	char addr[INET_ADDRSTRLEN];
	char *line;

	berth_error_clear(&e);
	inet_ntop(AF_INET, &m->addr, addr, sizeof(addr));
	line = xasprintf("%s\t%s", addr, name ? name : "");
	struct json_object *al;
	if (cfg && json_object_object_get_ex(cfg, "NetworkAliases", &al) &&
	    json_object_is_type(al, json_type_array))
		for (size_t i = 0; i < json_object_array_length(al); i++) {
			char *t =
				xasprintf("%s %s", line,
					  json_object_get_string(json_object_array_get_idx(al, i)));
			free(line);
			line = t;
		}
	const char *hn = cfg ? json_get_string(cfg, "Hostname") : NULL;
	char *t = hn && *hn && (!name || strcmp(hn, name)) ? xasprintf("%s %s", line, hn)
							   : xstrdup(line);
	free(line);
	line = xasprintf("%s %.12s\n", t, m->id);
	free(t);
	return line;
}

/* Replace the network section of one container's hosts file in place. */
static void rewrite_hosts(struct store *s, const char *id, const char *section)
{
	_cleanup_free_ char *p = xasprintf("containers/%s/hosts", id), *text = NULL;
	struct berth_error e = { 0 };

	if (read_file_at(s->rootfd, p, 1 << 20, &text, NULL, &e) < 0) {
		berth_error_clear(&e);
		return;
	}
	char *mark = strstr(text, HOSTS_MARK);
	if (mark)
		*mark = '\0';
	_cleanup_free_ char *all = xasprintf("%s%s", text, section);
	_cleanup_close_ int fd = openat(s->rootfd, p, O_WRONLY | O_NOFOLLOW | O_CLOEXEC);
	size_t len = strlen(all);
	if (fd < 0 || pwrite(fd, all, len, 0) != (ssize_t)len || ftruncate(fd, (off_t)len) < 0) {
		/* a container gone meanwhile: nothing to keep current */
	}
}

static int by_address(const void *a, const void *b)
{
	uint32_t x = ntohl(((const struct net_member *)a)->addr.s_addr),
		 y = ntohl(((const struct net_member *)b)->addr.s_addr);
	return x < y ? -1 : x > y;
}

/* Every running member's hosts file lists every running member. */
static void refresh_hosts(struct store *s, const char *network)
{
	struct berth_error e = { 0 };
	struct net_member *m;
	size_t n;

	if (network_members(s, network, &m, &n, &e) < 0) {
		berth_error_clear(&e);
		return;
	}
	if (n > 1)
		qsort(m, n, sizeof(*m), by_address);
	char *section = xasprintf(HOSTS_MARK "%s: its running containers\n", network);
	for (size_t i = 0; i < n; i++) {
		_cleanup_free_ char *line = member_line(s, &m[i]);
		char *t = xasprintf("%s%s", section, line);
		free(section);
		section = t;
	}
	for (size_t i = 0; i < n; i++)
		rewrite_hosts(s, m[i].id, section);
	free(section);
	members_free(m, n);
}

/* The lowest address from NETWORK_FIRST_HOST up that no member has. */
static int pick_address(const struct network *net, const struct net_member *m, size_t n,
			struct in_addr *out, struct berth_error *err)
{
	uint32_t last = (1u << (32 - net->subnet.prefix)) - 2; /* below broadcast */

	for (uint32_t h = NETWORK_FIRST_HOST; h <= last; h++) {
		struct in_addr a = network_host(&net->subnet, h);
		bool taken = false;
		for (size_t i = 0; i < n && !taken; i++)
			taken = m[i].addr.s_addr == a.s_addr;
		if (!taken) {
			*out = a;
			return 0;
		}
	}
	return berth_error_set(err, ENOSPC, "network %s: no free address in its subnet", net->name);
}

static int claim_address(struct store *s, const char *id, const struct network *net,
			 struct in_addr *addr, struct berth_error *err)
{
	_cleanup_close_ int lock = network_lock(s, err);
	struct net_member *m = NULL;
	size_t n = 0;
	char a[INET_ADDRSTRLEN];

	if (lock < 0 || network_members(s, net->name, &m, &n, err) < 0 ||
	    pick_address(net, m, n, addr, err) < 0) {
		members_free(m, n);
		return -1;
	}
	members_free(m, n);
	inet_ntop(AF_INET, addr, a, sizeof(a));
	_cleanup_free_ char *rec = xasprintf("%s %s %d %llu\n", net->name, a, (int)getpid(),
					     container_proc_start(getpid()));
	_cleanup_free_ char *p = xasprintf("containers/%s/netaddr", id);
	if (write_file_replace_nosync(s->rootfd, p, rec, strlen(rec), 0644, err) < 0)
		return -1;
	refresh_hosts(s, net->name);
	return 0;
}

int netjoin_prepare(struct store *s, const char *id, struct json_object *cfg,
		    struct launch_spec *ls, struct netjoin *nj, struct berth_error *err)
{
	const char *name = json_get_string(cfg, "Network");
	struct network net = { 0 };
	struct in_addr addr;

	nj->userns_fd = nj->bridge_fd = -1;
	if (!name || network_name_reserved(name))
		return 0;
	if (network_load(s, name, &net, err) < 0)
		return -1;
	_cleanup_free_ char *log = xasprintf("%s/networks/%s/slirp4netns.log", s->root, name);
	/* the keeper serves every store of the user: it knows networks by
	 * their IDs, which no two stores share */
	struct keeper_net kn = { .name = net.id,
				 .label = name,
				 .subnet = net.subnet.net,
				 .prefix = net.subnet.prefix,
				 .internal = net.internal,
				 .log = log };
	if (keeper_join(&kn, &nj->userns_fd, &nj->bridge_fd, err) < 0 ||
	    claim_address(s, id, &net, &addr, err) < 0) {
		netjoin_release(nj);
		network_clear(&net);
		return -1;
	}
	/* unique in the bridge namespace while the container runs */
	snprintf(nj->peer, sizeof(nj->peer), "vb%.12s", id);
	ls->on_network = true;
	ls->join_userns_fd = nj->userns_fd;
	ls->attach = (struct netns_attach){
		.bridge_fd = nj->bridge_fd,
		.peer = nj->peer,
		.addr = addr,
		.prefix = net.subnet.prefix,
		.gw = net.internal ? (struct in_addr){ 0 } : network_host(&net.subnet, 2),
		.block_gw = !ls->host_loopback,
	};
	network_clear(&net);
	return 0;
}

void netjoin_release(struct netjoin *nj)
{
	if (nj->userns_fd >= 0)
		close(nj->userns_fd);
	if (nj->bridge_fd >= 0)
		close(nj->bridge_fd);
	nj->userns_fd = nj->bridge_fd = -1;
}

void netjoin_leave(struct store *s, const char *id)
{
	struct net_member m = { 0 };
	struct berth_error e = { 0 };

	if (!network_member(s, id, &m))
		return;
	_cleanup_close_ int lock = network_lock(s, &e); /* (held to the end) */
	_cleanup_free_ char *p = xasprintf("containers/%s/netaddr", id);

	(void)lock;
	unlinkat(s->rootfd, p, 0);
	refresh_hosts(s, m.network);
	/* its own file: no stale list while it is stopped */
	rewrite_hosts(s, id, "");
	berth_error_clear(&e);
	net_member_clear(&m);
}
