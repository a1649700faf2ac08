// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * attach.c: plugging a container into its user network. The container's
 * holder runs this after making its network namespace: it is root of the
 * keeper's user namespace, which owns both that namespace and the
 * bridge's, so it may step into the bridge's to open a netlink socket
 * there and step back. The veth pair is made with its far end already in
 * the bridge namespace; when the container's namespace goes, the pair
 * goes with it, so nothing has to be unplugged.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/rtnetlink.h>
#include <sched.h>
#include <unistd.h>

#include "../lib/util.h"
#include "attach.h"
#include "link.h"

#define MTU 65520

/* A netlink socket in the bridge namespace: made there, used from here. */
static int bridge_socket(int bridge_fd, struct berth_error *err)
{
	_cleanup_close_ int own = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	int nl;

	if (own < 0)
		return berth_error_set(err, errno, "/proc/self/ns/net");
	if (setns(bridge_fd, CLONE_NEWNET) < 0)
		return berth_error_set(err, errno, "entering the network's bridge namespace");
	nl = link_socket(err);
	/* back, or the container would live in the bridge's namespace */
	if (setns(own, CLONE_NEWNET) < 0) {
		if (nl >= 0)
			close(nl);
		return berth_error_set(err, errno,
				       "returning to the container's network namespace");
	}
	return nl;
}

int netns_attach(const struct netns_attach *a, struct berth_error *err)
{
	_cleanup_close_ int nl = link_socket(err), bnl = -1;
	int eth, peer, br;

	if (nl < 0 || (bnl = bridge_socket(a->bridge_fd, err)) < 0)
		return -1;
	/* the far end is named after the container: one still there is its
	 * former run's, whose namespace the kernel tears down in its own
	 * time after the processes end (a restart can come first) */
	struct berth_error stale = { 0 };
	if ((peer = link_index(bnl, a->peer, &stale)) > 0 && link_del(bnl, peer, &stale) < 0 &&
	    stale.errnum != ENODEV) { /* (gone meanwhile: as well) */
		*err = stale;
		return -1;
	}
	berth_error_clear(&stale);
	if (link_add_veth(nl, "eth0", a->peer, a->bridge_fd, MTU, err) < 0)
		return -1;
	if ((peer = link_index(bnl, a->peer, err)) < 0 || (br = link_index(bnl, "br0", err)) < 0 ||
	    link_set_master(bnl, peer, br, err) < 0 || link_set_up(bnl, peer, err) < 0)
		return -1;
	if ((eth = link_index(nl, "eth0", err)) < 0 ||
	    link_add_addr4(nl, eth, a->addr, a->prefix, err) < 0 || link_set_up(nl, eth, err) < 0)
		return -1;
	if (a->gw.s_addr == 0)
		return 0;
	struct in_addr any = { 0 }, none = { 0 };
	if (link_add_route4(nl, any, 0, a->gw, eth, RTN_UNICAST, err) < 0)
		return -1;
	/* after the default route, whose next hop is already resolved:
	 * only traffic to the gateway itself (the host's loopback) fails */
	if (a->block_gw && link_add_route4(nl, a->gw, 32, none, 0, RTN_UNREACHABLE, err) < 0)
		return -1;
	return 0;
}
