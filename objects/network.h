/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * network.h: user networks in the store (network.c). A network is
 * networks/NAME/network.json; its bridge lives in a network namespace
 * held by the per-user keeper (netns/keeper.c) while containers use it;
 * the containers on it are runner/'s to know (users.c, netjoin.c).
 *
 * Addressing: the subnet is slirp4netns's virtual network too, so slirp's
 * fixed hosts are there: .2 the gateway (the host's loopback), .3 its DNS
 * forwarder. Containers take the lowest free address from .4 up.
 */
#ifndef BERTH_NETWORK_H
#define BERTH_NETWORK_H

#include <json-c/json.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "../lib/error.h"
#include "../image/store.h"

#define NETWORK_FIRST_HOST 4 /* .1 unused, .2 gateway, .3 DNS */

struct net_subnet {
	struct in_addr net; /* host bits zero */
	unsigned prefix;    /* 16..28 */
};

/* "10.89.1.0/24": IPv4, host bits zero, prefix 16 to 28 (slirp4netns
 * needs room for its hosts; a /16 is enough for anyone). EINVAL with a
 * message naming what is wrong otherwise. */
int network_parse_subnet(const char *text, struct net_subnet *out, struct berth_error *err);
/* The address n within the subnet (n = 2: the gateway). */
struct in_addr network_host(const struct net_subnet *sn, uint32_t n);
/* Names as docker takes them: [A-Za-z0-9][A-Za-z0-9_.-]*, at most 64;
 * the built-in modes (none, host, bridge, default, slirp4netns, private,
 * container:...) are not network names. */
bool network_name_valid(const char *name);
bool network_name_reserved(const char *name);

struct network {
	char *name;
	char id[65]; /* 64 random hex digits */
	struct net_subnet subnet;
	bool internal; /* no slirp4netns: no outbound, no host */
};
void network_clear(struct network *n);

/* The lock ordering network removal against containers joining: held
 * while a container is created on a network and while networks are
 * created or removed; also while addresses are handed out. Taken after
 * the store lock. An fd, or -1 with err. */
int network_lock(struct store *s, struct berth_error *err);
/* Make it (under network_lock). subnet NULL: the first 10.89.N.0/24 no
 * other network has. A subnet overlapping another network's is refused,
 * and one smaller than /25 unless internal (slirp4netns's limit). */
int network_create(struct store *s, const char *name, const struct net_subnet *subnet,
		   bool internal, char **labels, size_t n_labels, struct berth_error *err);
/* ENOENT "network NAME: no such network" when absent. */
int network_load(struct store *s, const char *name, struct network *out, struct berth_error *err);
bool network_exists(struct store *s, const char *name);
int network_list(struct store *s, char ***names, size_t *n, struct berth_error *err);
/* A running container on a network, as the caller knows it (runner/
 * users.c: the container list and each one's address record). */
struct network_endpoint {
	const char *id;	  /* the container's ID */
	const char *name; /* its name, or NULL */
	struct in_addr addr;
};
/* docker network inspect's shape: Name, Id, Created, Scope "local",
 * Driver "bridge", IPAM.Config[{Subnet, Gateway}], Internal, Labels,
 * Containers {ID: {Name, IPv4Address}} of the n_eps endpoints given. */
struct json_object *network_inspect(struct store *s, const char *name,
				    const struct network_endpoint *eps, size_t n_eps,
				    struct berth_error *err);
/* Remove its record (under network_lock), whether a container names it
 * or not: the caller has made sure none does (runner/users.c) and takes
 * its bridge down (keeper_down, by the ID network_load gave it before).
 * ENOENT "no such network". */
int network_remove(struct store *s, const char *name, struct berth_error *err);

#endif
