/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * link.h: a small rtnetlink (NETLINK_ROUTE) client for the links,
 * addresses and routes of berth's user networks: a bridge in the network's
 * own namespace, a veth pair from each container's namespace into it.
 * Which namespace a call acts on is the socket's: the one it was made in.
 * Deciding the layout (names, addresses) is the caller's job.
 */
#ifndef BERTH_NETNS_LINK_H
#define BERTH_NETNS_LINK_H

#include <netinet/in.h>
#include <stddef.h>

#include "../lib/error.h"

/* A NETLINK_ROUTE socket in the caller's current network namespace; the
 * socket keeps acting on that namespace after the caller setns()es
 * elsewhere, so one process can configure several namespaces with one
 * socket each. CLOEXEC. Returns the fd. */
int link_socket(struct berth_error *err);

/* The ifindex of the link called name (RTM_GETLINK by IFLA_IFNAME); -1
 * with err ENODEV if there is none. Names are at most IFNAMSIZ-1 (15)
 * characters here and below, longer is EINVAL. */
int link_index(int nl, const char *name, struct berth_error *err);

/* Bring a link up (IFF_UP): a new link, lo included, starts down. */
int link_set_up(int nl, int ifindex, struct berth_error *err);
/* Remove a link (both ends of a veth pair). */
int link_del(int nl, int ifindex, struct berth_error *err);

/* Change a link's MTU (the kernel refuses one outside the device's range
 * with EINVAL). */
int link_set_mtu(int nl, int ifindex, unsigned mtu, struct berth_error *err);

/* Attach a link to a bridge (master_ifindex), or detach it (0). */
int link_set_master(int nl, int ifindex, int master_ifindex, struct berth_error *err);

/* Create a bridge, down, without STP (ports forward at once) and with
 * mtu (0: the kernel's default, 1500). EEXIST if the name is taken. */
int link_add_bridge(int nl, const char *name, unsigned mtu, struct berth_error *err);

/* A veth pair: name here, peer created directly in the namespace
 * peer_netns_fd (IFLA_NET_NS_FD inside VETH_INFO_PEER; -1: here too), so
 * it never exists in the caller's namespace and needs no move. Both ends
 * get mtu (0: the kernel's default). Either name taken on its side is
 * EEXIST, and then neither end is created. */
int link_add_veth(int nl, const char *name, const char *peer, int peer_netns_fd, unsigned mtu,
		  struct berth_error *err);

/* Give a link the IPv4 address addr/prefix; the kernel adds the prefix
 * route along with it when the link is up. */
int link_add_addr4(int nl, int ifindex, struct in_addr addr, unsigned prefix,
		   struct berth_error *err);

/* A route in the main table: dst/prefix (prefix 0: the default route; dst
 * must have no bits beyond prefix), via gw (gw.s_addr 0: none, on-link
 * through ifindex), type RTN_UNICAST, or RTN_UNREACHABLE / RTN_PROHIBIT /
 * RTN_BLACKHOLE, which need neither gw nor ifindex (both ignored). */
int link_add_route4(int nl, struct in_addr dst, unsigned prefix, struct in_addr gw, int ifindex,
		    int type, struct berth_error *err);

/* How many links the namespace has (an RTM_GETLINK dump), lo included,
 * and so are any fallback tunnel devices (tunl0, sit0...) the kernel puts
 * in every new namespace while their modules are loaded. */
int link_count(int nl, size_t *n, struct berth_error *err);

#endif
