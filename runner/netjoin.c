// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * netjoin.c: a container's address on its user network and the names the
 * containers of a network know each other by.
 *
 * Addresses are handed out when a container starts, not when it is made
 * (docker's way): the lowest free one from .4 up. The record
 * (container.c's netaddr) lives while the process that wrote it lives:
 * the container's monitor (or attached run), which holds its run lock to
 * its end. A killed monitor's address is free at once, with nothing to
 * clean.
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
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../lib/json.h"
#include "../image/image.h"
#include "run_config.h"
#include "../lib/syscalls.h"
#include "../lib/util.h"
#include "../netns/keeper.h"
#include "../objects/network.h"
#include "container.h"
#include "netjoin.h"
#include "users.h"

#define HOSTS_MARK "# berth network "
/* the most berth reads of a container's hosts file (see rewrite_hosts) */
#define HOSTS_MAX (256 * 1024)

/* A name as it may appear in another container's /etc/hosts: a host
 * name's characters only. A name with a blank, a '#' or a newline (a
 * --name or --hostname can have them) would add names or whole lines to
 * every other member's file; such a name is left out. */
static bool hosts_name_ok(const char *n)
{
	size_t len = n ? strlen(n) : 0;

	if (len == 0 || len > 253)
		return false;
	for (size_t i = 0; i < len; i++)
		if (!isalnum((unsigned char)n[i]) && !strchr("-._", n[i]))
			return false;
	return true;
}

static void append_name(char **names, const char *name)
{
	if (!hosts_name_ok(name))
		return;
	char *t = xasprintf("%s%s ", *names, name);
	free(*names);
	*names = t;
}

/* "ADDR\tNAME ALIAS... HOSTNAME ID12" for one member, from berth's own
 * records of it (never from anything the container wrote). */
static char *member_line(struct store *s, const struct net_member *m)
{
	struct berth_error e = { 0 };
	_cleanup_json_ struct json_object *cfg = container_config(s, m->id, &e);
	_cleanup_free_ char *name = container_name(s, m->id);
	_cleanup_free_ char *names = xstrdup("");
	struct run_config rc;
	char addr[INET_ADDRSTRLEN];

	run_config_init(&rc);
	if (cfg && run_config_from_json(&rc, cfg, &e) < 0) {
		run_config_clear(&rc);
		run_config_init(&rc);
	}
	berth_error_clear(&e);
	inet_ntop(AF_INET, &m->addr, addr, sizeof(addr));
	append_name(&names, name);
	for (size_t i = 0; i < rc.n_aliases; i++)
		append_name(&names, rc.aliases[i]);
	if (rc.hostname && (!name || strcmp(rc.hostname, name)))
		append_name(&names, rc.hostname);
	run_config_clear(&rc);
	return xasprintf("%s\t%s%.12s\n", addr, names, m->id);
}

/* The start of the network section in a hosts file's text: the mark at
 * the start of a line (len: none). */
static size_t section_start(const char *text, size_t len)
{
	size_t ml = strlen(HOSTS_MARK);

	for (size_t i = 0; i < len; i++) {
		if ((i == 0 || text[i - 1] == '\n') && len - i >= ml &&
		    !memcmp(text + i, HOSTS_MARK, ml))
			return i;
	}
	return len;
}

/* Replace the network section of one container's hosts file in place.
 *
 * The file is the container's own copy (containers/<id>/hosts, bind
 * mounted on its /etc/hosts), and the container may write it: so it is
 * opened through berth's directory without following a link, never read
 * past HOSTS_MAX (a file grown bigger, or no longer a regular file, is
 * left as the container made it), and opened O_NONBLOCK: container root
 * owns the file, so it may take a lease on it (F_SETLEASE), which would
 * hold a blocking open, and with it every start and stop on the network
 * (this runs under the network's lock), for lease-break-time (45 s).
 * What the container wrote before the section is kept as opaque bytes
 * and only ever written back to this same file: nothing read here goes
 * into another container's file or any record of berth's. */
static void rewrite_hosts(struct store *s, const char *id, const char *section)
{
	_cleanup_free_ char *dir = xasprintf("containers/%s", id), *buf = NULL, *all = NULL;
	_cleanup_close_ int dfd = open_beneath(s->rootfd, dir, O_PATH | O_DIRECTORY, 0);
	_cleanup_close_ int fd =
		dfd < 0 ? -1
			: openat(dfd, "hosts",
				 O_RDWR | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	struct stat st;
	size_t len = 0;

	/* (a container gone meanwhile, or one that took a lease: nothing
	 * to keep current) */
	if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size > HOSTS_MAX)
		return;
	buf = xmalloc(HOSTS_MAX + 1);
	for (;;) {
		ssize_t n = pread(fd, buf + len, HOSTS_MAX + 1 - len, (off_t)len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return;
		if (n == 0)
			break;
		len += (size_t)n;
		if (len > HOSTS_MAX)
			return; /* it grew meanwhile */
	}
	size_t keep = section_start(buf, len);
	bool nl = keep > 0 && buf[keep - 1] != '\n';
	size_t slen = strlen(section), total = keep + nl + slen;
	all = xmalloc(total + 1);
	memcpy(all, buf, keep);
	if (nl)
		all[keep] = '\n';
	memcpy(all + keep + nl, section, slen);
	if (pwrite(fd, all, total, 0) != (ssize_t)total || ftruncate(fd, (off_t)total) < 0) {
		/* the disk is full, or the container changed it meanwhile:
		 * the next start or stop on the network writes it again */
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

	if (users_network_members(s, network, &m, &n, &e) < 0) {
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
	users_members_free(m, n);
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

	if (lock < 0 || users_network_members(s, net->name, &m, &n, err) < 0 ||
	    pick_address(net, m, n, addr, err) < 0) {
		users_members_free(m, n);
		return -1;
	}
	users_members_free(m, n);
	if (container_set_netaddr(s, id, net->name, *addr, err) < 0)
		return -1;
	refresh_hosts(s, net->name);
	return 0;
}

int netjoin_prepare(struct store *s, const char *id, const char *name, struct launch_spec *ls,
		    struct netjoin *nj, struct berth_error *err)
{
	struct network net = { 0 };
	struct in_addr addr = { 0 };

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
		/* no way to the host: the gateway's own address unreachable, so
		 * a connect fails at once (the network's slirp4netns refuses
		 * the host's loopback anyway, whatever a container routes) */
		.block_gw = ls->host_loopback.mode == HOSTLOOP_OFF,
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

	if (!container_net_member(s, id, &m))
		return;
	_cleanup_close_ int lock = network_lock(s, &e); /* (held to the end) */

	(void)lock;
	container_clear_netaddr(s, id);
	refresh_hosts(s, m.network);
	/* its own file: no stale list while it is stopped */
	rewrite_hosts(s, id, "");
	berth_error_clear(&e);
	net_member_clear(&m);
}
