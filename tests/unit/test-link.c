// SPDX-License-Identifier: GPL-2.0-or-later
/* Unit tests: netns/link.c against the kernel. In a user namespace of its
 * own (skipped where none can be made): a "bridge" network namespace with
 * br0, two container namespaces A and B whose eth0 has its veth peer (va,
 * vb) on br0; then real traffic from A to B, A's routes, the link counts,
 * the errors, and a reply larger than berth reads. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../../netns/link.h"
#include "../../lib/util.h"
#include "../tap.h"

#define MTU 65520

/* No namespaces here: skipped, unless CI says it must work. */
static int skip_all(const char *what, int e)
{
	const char *must = getenv("BERTH_TESTS_MUST_WORK");

	if (must && !strcmp(must, "1")) {
		printf("not ok 1 - %s: %s (required: BERTH_TESTS_MUST_WORK=1)\n1..1\n", what,
		       strerror(e));
		return 1;
	}
	printf("1..0 # SKIP %s: %s\n", what, strerror(e));
	return 0;
}

static int write_proc(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = write(fd, s, strlen(s));
	close(fd);
	return n == (ssize_t)strlen(s) ? 0 : -1;
}

/* Root in a user namespace of our own, so that the network namespaces
 * made after it are ours to configure, as root or not. */
static const char *enter_userns(void)
{
	char map[64];
	uid_t uid = getuid();
	gid_t gid = getgid();

	if (unshare(CLONE_NEWUSER | CLONE_NEWNET) < 0)
		return "unshare(CLONE_NEWUSER|CLONE_NEWNET)";
	/* since 3.19 gid_map needs setgroups denied first (CVE-2014-8989) */
	if (write_proc("/proc/self/setgroups", "deny") < 0 && errno != ENOENT)
		return "/proc/self/setgroups";
	snprintf(map, sizeof(map), "0 %u 1\n", (unsigned)uid);
	if (write_proc("/proc/self/uid_map", map) < 0)
		return "/proc/self/uid_map";
	snprintf(map, sizeof(map), "0 %u 1\n", (unsigned)gid);
	if (write_proc("/proc/self/gid_map", map) < 0)
		return "/proc/self/gid_map";
	return NULL;
}

static int netns_here(void)
{
	return open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
}

static void enter(int ns, const char *name)
{
	if (setns(ns, CLONE_NEWNET) < 0) {
		printf("Bail out! setns into %s: %s\n", name, strerror(errno));
		exit(1);
	}
}

/* A new network namespace, entered; its fd. */
static int new_netns(const char *name)
{
	int fd;

	if (unshare(CLONE_NEWNET) < 0 || (fd = netns_here()) < 0) {
		printf("Bail out! a network namespace for %s: %s\n", name, strerror(errno));
		exit(1);
	}
	return fd;
}

static struct in_addr ip4(const char *s)
{
	struct in_addr a = { 0 };

	inet_pton(AF_INET, s, &a);
	return a;
}

/* The MTU of a link of the current namespace, seen without netlink. */
static int mtu_here(const char *name)
{
	struct ifreq ifr = { 0 };
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	int r;

	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	r = fd >= 0 ? ioctl(fd, SIOCGIFMTU, &ifr) : -1;
	if (fd >= 0)
		close(fd);
	return r < 0 ? -1 : ifr.ifr_mtu;
}

/* connect() a UDP socket of the current namespace to dst: the route
 * lookup happens there. 0 or the errno. */
static int udp_connect(const char *dst)
{
	struct sockaddr_in sin = { .sin_family = AF_INET,
				   .sin_port = htons(9),
				   .sin_addr = ip4(dst) };
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	int r = connect(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0 ? errno : 0;

	close(fd);
	return r;
}

/* r from a link_* call: true on success, which must leave err alone; a
 * failure is shown. */
static bool good(int r, struct berth_error *err)
{
	if (r >= 0)
		return !err->msg && !err->errnum;
	_cleanup_free_ char *t = berth_error_text(err);
	printf("#   %s\n", t);
	berth_error_clear(err);
	return false;
}

/* r from a link_* call: the failure expected, errnum, with a message
 * naming needle. */
static bool fails(int r, struct berth_error *err, int errnum, const char *needle)
{
	bool as_expected = r == -1 && err->msg && err->errnum == errnum && strstr(err->msg, needle);

	if (err->msg) {
		_cleanup_free_ char *t = berth_error_text(err);
		printf("#   %s\n", t);
	} else {
		printf("#   no error (returned %d)\n", r);
	}
	berth_error_clear(err);
	return as_expected;
}

/* Leave an unread reply to a request with a seq of our own in nl. */
static int send_stale_request(int nl)
{
	struct {
		struct nlmsghdr nh;
		struct ifinfomsg ifi;
		struct rtattr rta;
		char name[4];
	} req = { 0 };
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };

	req.nh.nlmsg_len = sizeof(req);
	req.nh.nlmsg_type = RTM_GETLINK;
	req.nh.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	req.nh.nlmsg_seq = 0xdeadbeef;
	req.rta.rta_type = IFLA_IFNAME;
	req.rta.rta_len = RTA_LENGTH(3);
	memcpy(req.name, "lo", 3);
	return sendto(nl, &req, sizeof(req), 0, (struct sockaddr *)&kernel, sizeof(kernel)) ==
			       (ssize_t)sizeof(req)
		       ? 0
		       : -1;
}

/* Alternative names (Linux 5.5) for the link ifindex of the current
 * namespace: n of them, each of len characters, through a socket of the
 * test's own, 40 to a request. 0, or the kernel's errno. */
static int add_altnames(int ifindex, int n, int len)
{
	int nl = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE), e = 0;
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };

	if (nl < 0)
		return errno;
	for (int first = 0; first < n && !e; first += 40) {
		union {
			struct nlmsghdr nh;
			char buf[8192];
		} m = { 0 };
		struct ifinfomsg *ifi = NLMSG_DATA(&m.nh);
		struct rtattr *list;
		ssize_t got;

		m.nh.nlmsg_type = RTM_NEWLINKPROP;
		m.nh.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
		m.nh.nlmsg_seq = (uint32_t)first + 1;
		ifi->ifi_index = ifindex;
		m.nh.nlmsg_len = NLMSG_LENGTH(sizeof(*ifi));
		list = (struct rtattr *)(m.buf + NLMSG_ALIGN(m.nh.nlmsg_len));
		list->rta_type = IFLA_PROP_LIST | NLA_F_NESTED;
		list->rta_len = RTA_LENGTH(0);
		for (int i = first; i < n && i < first + 40; i++) {
			struct rtattr *a =
				(struct rtattr *)((char *)list + RTA_ALIGN(list->rta_len));
			char *name = RTA_DATA(a);
			snprintf(name, (size_t)len + 1, "alt%04d%0*d", i, len - 7, 0);
			a->rta_type = IFLA_ALT_IFNAME;
			a->rta_len = RTA_LENGTH((size_t)len + 1);
			list->rta_len =
				(unsigned short)(RTA_ALIGN(list->rta_len) + RTA_ALIGN(a->rta_len));
		}
		m.nh.nlmsg_len = NLMSG_ALIGN(m.nh.nlmsg_len) + list->rta_len;
		if (sendto(nl, &m, m.nh.nlmsg_len, 0, (struct sockaddr *)&kernel, sizeof(kernel)) <
			    0 ||
		    (got = recv(nl, m.buf, sizeof(m.buf), 0)) < (ssize_t)NLMSG_LENGTH(sizeof(int)))
			e = errno ? errno : EBADMSG;
		else if (m.nh.nlmsg_type == NLMSG_ERROR)
			e = -((struct nlmsgerr *)NLMSG_DATA(&m.nh))->error;
	}
	close(nl);
	return e;
}

/* A reply larger than berth reads (RECV_SIZE, 32 KiB): a link of the
 * bridge namespace with 300 alternative names of 120 characters, whose
 * description is about 40 KiB. A clear error, and the socket goes on. */
static void test_large_reply(int nlbr, int br, size_t links)
{
	struct berth_error err = { 0 };
	size_t n = 0;
	int big, r;

	ok(good(link_add_bridge(nlbr, "big0", 0, &err), &err), "link_add_bridge big0");
	big = (int)if_nametoindex("big0");
	r = add_altnames(big, 300, 120);
	if (r == EOPNOTSUPP || r == EINVAL) {
		printf("ok %d - # SKIP no alternative link names here (%s)\n", ++tap_n,
		       strerror(r));
		link_del(nlbr, big, &err);
		berth_error_clear(&err);
		return;
	}
	is_int(r, 0, "300 alternative names of 120 characters on big0");
	ok(fails(link_index(nlbr, "big0", &err), &err, EMSGSIZE,
		 "looking up link big0: the kernel's reply ("),
	   "link_index big0: its reply is larger than berth reads: EMSGSIZE, saying so");
	r = link_index(nlbr, "br0", &err);
	ok(good(r, &err) && r == br, "the socket answers the next request");
	ok(fails(link_count(nlbr, &n, &err), &err, EMSGSIZE,
		 "bytes) is larger than the 32768 bytes berth reads"),
	   "link_count with big0 there: the dump's reply too large, saying so");
	ok(good(link_del(nlbr, big, &err), &err), "link_del big0");
	r = link_count(nlbr, &n, &err);
	ok(good(r, &err) && n == links, "the next dump on that socket works (%zu links)", n);
}

/* The namespaces (fds), their netlink sockets and the links' indexes;
 * base: the links a new namespace has. */
static int br_ns, a_ns, b_ns, nlbr, nla, nlb, lo, br, va, vb, eth_a, eth_b;
static size_t base;

/* Containers A and B: eth0 each, their peers va and vb on br0. */
static void containers(void)
{
	struct berth_error err = { 0 };

	/* container namespace A: eth0, its peer va made in the bridge's */
	a_ns = new_netns("A");
	nla = link_socket(&err);
	ok(good(nla, &err), "link_socket in A");
	ok(good(link_add_veth(nla, "eth0", "va", br_ns, MTU, &err), &err),
	   "link_add_veth eth0 in A, va in the bridge namespace");
	is_int(mtu_here("eth0"), MTU, "eth0 in A has the MTU asked for");
	ok(fails(link_index(nla, "va", &err), &err, ENODEV, "va"), "va is not in A");
	va = link_index(nlbr, "va", &err);
	ok(good(va, &err) && va > br,
	   "the bridge namespace's socket still acts there, from A: va is there");

	/* container namespace B: eth0 too, peer vb */
	b_ns = new_netns("B");
	nlb = link_socket(&err);
	ok(good(nlb, &err), "link_socket in B");
	ok(good(link_add_veth(nlb, "eth0", "vb", br_ns, MTU, &err), &err),
	   "link_add_veth eth0 in B, vb in the bridge namespace");
	vb = link_index(nlbr, "vb", &err);
	ok(good(vb, &err) && vb > va, "vb is in the bridge namespace");

	enter(br_ns, "the bridge namespace");
	is_int(mtu_here("va"), MTU, "va has the MTU asked for");
	is_int(mtu_here("vb"), MTU, "vb has the MTU asked for");
	ok(good(link_set_master(nlbr, va, br, &err), &err) &&
		   good(link_set_master(nlbr, vb, br, &err), &err),
	   "link_set_master va and vb to br0");
	ok(good(link_set_up(nlbr, va, &err), &err) && good(link_set_up(nlbr, vb, &err), &err),
	   "link_set_up va and vb");
	ok(good(link_set_mtu(nlbr, vb, 9000, &err), &err) && mtu_here("vb") == 9000,
	   "link_set_mtu vb 9000");
	printf("# br0's MTU with a 9000 port: %d\n", mtu_here("br0"));
	ok(good(link_set_mtu(nlbr, vb, MTU, &err), &err) && mtu_here("vb") == MTU,
	   "link_set_mtu vb back to %d", MTU);
	printf("# br0's MTU with its ports back at %d: %d\n", MTU, mtu_here("br0"));
	ok(fails(link_set_mtu(nlbr, vb, 70000, &err), &err, EINVAL, "to 70000"),
	   "an MTU beyond the device's maximum is EINVAL");
}

/* Namespace ns's eth0 (on its socket nl) and lo up, eth0 with addr/24:
 * eth0's index. */
static int address(int nl, const char *ns, const char *addr)
{
	struct berth_error err = { 0 };
	int eth = link_index(nl, "eth0", &err);

	ok(good(eth, &err), "link_index eth0 in %s", ns);
	ok(good(link_set_up(nl, 1, &err), &err) && good(link_set_up(nl, eth, &err), &err),
	   "link_set_up lo and eth0 in %s", ns);
	ok(good(link_add_addr4(nl, eth, ip4(addr), 24, &err), &err), "link_add_addr4 %s/24 in %s",
	   addr, ns);
	return eth;
}

/* Their addresses, and A's routes. */
static void addresses_and_routes(void)
{
	struct berth_error err = { 0 };

	/* A: 10.77.0.4/24, a default route, 10.77.0.9 unreachable */
	eth_a = address(nla, "A", "10.77.0.4");
	ok(good(link_add_route4(nla, ip4("0.0.0.0"), 0, ip4("10.77.0.1"), eth_a, RTN_UNICAST, &err),
		&err),
	   "link_add_route4 default via 10.77.0.1 in A");
	ok(good(link_add_route4(nla, ip4("10.77.0.9"), 32, ip4("0.0.0.0"), 0, RTN_UNREACHABLE,
				&err),
		&err),
	   "link_add_route4 unreachable 10.77.0.9/32 in A");

	/* B: 10.77.0.5/24, no routes of its own */
	eth_b = address(nlb, "B", "10.77.0.5");
}

/* A datagram from A to B, through va, br0 and vb; A's routes used. */
static void traffic(void)
{
	enter(b_ns, "B");
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_addr = ip4("10.77.0.5") };
	socklen_t tolen = sizeof(to);
	int rx = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	ok(rx >= 0 && bind(rx, (struct sockaddr *)&to, sizeof(to)) == 0 &&
		   getsockname(rx, (struct sockaddr *)&to, &tolen) == 0,
	   "a UDP socket bound to 10.77.0.5 in B");
	is_int(udp_connect("192.0.2.1"), ENETUNREACH, "B has no default route");
	enter(a_ns, "A");
	int tx = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	ok(tx >= 0 && sendto(tx, "berth", 5, 0, (struct sockaddr *)&to, sizeof(to)) == 5,
	   "a datagram sent from A to 10.77.0.5");
	struct pollfd p = { .fd = rx, .events = POLLIN };
	struct sockaddr_in from = { 0 };
	socklen_t fromlen = sizeof(from);
	char buf[16] = "";
	ssize_t got = poll(&p, 1, 5000) == 1 ? recvfrom(rx, buf, sizeof(buf) - 1, MSG_DONTWAIT,
							(struct sockaddr *)&from, &fromlen)
					     : -1;
	ok(got == 5 && !memcmp(buf, "berth", 5) && from.sin_addr.s_addr == ip4("10.77.0.4").s_addr,
	   "it arrives in B, from 10.77.0.4");
	is_int(udp_connect("192.0.2.1"), 0, "A's default route reaches beyond the subnet");
	is_int(udp_connect("10.77.0.8"), 0, "A reaches its subnet");
	is_int(udp_connect("10.77.0.9"), EHOSTUNREACH, "but not 10.77.0.9, routed as unreachable");

	close(rx);
	close(tx);
}

/* What link_count sees in each namespace. */
static void counts(void)
{
	struct berth_error err = { 0 };
	size_t n = 0;

	ok(good(link_count(nlbr, &n, &err), &err), "link_count in the bridge namespace");
	is_int(n, base + 3, "the bridge namespace has br0, va and vb besides the new one's");
	ok(good(link_count(nla, &n, &err), &err), "link_count in A");
	is_int(n, base + 1, "A has eth0 besides the new one's");
}

/* Failures: each with its errno and a message naming the object. */
static void errors(void)
{
	struct berth_error err = { 0 };

	ok(fails(link_index(nlbr, "nosuch0", &err), &err, ENODEV, "nosuch0"),
	   "link_index of a missing link: ENODEV, naming it");
	ok(fails(link_set_up(nlbr, 9999, &err), &err, ENODEV, "9999"),
	   "link_set_up of a missing ifindex: ENODEV");
	ok(fails(link_add_veth(nla, "eth0", "vx", br_ns, MTU, &err), &err, EEXIST, "eth0/vx"),
	   "a veth whose name is taken: EEXIST, naming it");
	ok(fails(link_index(nlbr, "vx", &err), &err, ENODEV, "vx"), "and its peer was not made");
	ok(fails(link_add_veth(nla, "eth1", "va", br_ns, MTU, &err), &err, EEXIST, "eth1/va"),
	   "a veth whose peer's name is taken there: EEXIST");
	ok(fails(link_index(nla, "eth1", &err), &err, ENODEV, "eth1"), "and its end was not made");
	ok(fails(link_add_bridge(nlbr, "br0", 0, &err), &err, EEXIST, "br0"),
	   "a second br0: EEXIST");
	ok(fails(link_add_addr4(nla, eth_a, ip4("10.77.0.4"), 24, &err), &err, EEXIST,
		 "10.77.0.4/24"),
	   "the same address twice: EEXIST");
	ok(fails(link_add_route4(nla, ip4("10.77.0.9"), 24, ip4("0.0.0.0"), eth_a, RTN_UNICAST,
				 &err),
		 &err, EINVAL, "10.77.0.9/24"),
	   "a route with bits beyond its prefix: EINVAL");
	ok(fails(link_add_bridge(nlbr, "sixteen-chars-xx", 0, &err), &err, EINVAL,
		 "sixteen-chars-xx"),
	   "a 16-character name: EINVAL");
	ok(fails(link_index(nlbr, "sixteen-chars-xx", &err), &err, EINVAL, "sixteen-chars-xx"),
	   "link_index of a 16-character name: EINVAL");
	ok(fails(link_add_veth(nla, "eth1", "sixteen-chars-xx", br_ns, 0, &err), &err, EINVAL,
		 "eth1/sixteen-chars-xx: peer name longer"),
	   "a 16-character peer name: EINVAL");
	ok(fails(link_add_bridge(nlbr, "", 0, &err), &err, EINVAL, "empty name"),
	   "an empty name: EINVAL");
	ok(good(link_add_bridge(nlbr, "fifteen-chars-x", 0, &err), &err),
	   "a 15-character name is fine");
}

/* A reply left unread, and one larger than berth reads: the socket goes on. */
static void stale_and_large(void)
{
	struct berth_error err = { 0 };
	size_t n = 0;
	int r;

	/* a reply left unread does not answer the next request */
	ok(send_stale_request(nlbr) == 0, "a request whose reply is left unread");
	r = link_index(nlbr, "br0", &err);
	ok(good(r, &err) && r == br, "link_index br0 skips it (seq)");
	r = link_count(nlbr, &n, &err);
	ok(good(r, &err) && n == base + 4, "the socket is clean after that (%zu links)", n);

	enter(br_ns, "the bridge namespace");
	test_large_reply(nlbr, br, base + 4);
}

int main(void)
{
	struct berth_error err = { 0 };
	const char *why;
	int r;

	why = enter_userns();
	if (why)
		return skip_all(why, errno);

	/* the bridge namespace: lo, br0 */
	br_ns = netns_here();
	nlbr = link_socket(&err);
	if (br_ns < 0 || nlbr < 0)
		return skip_all("netlink socket in a new namespace", nlbr < 0 ? err.errnum : errno);
	r = link_count(nlbr, &base, &err);
	if (r < 0)
		return skip_all("listing links", err.errnum);
	r = link_add_bridge(nlbr, "br0", MTU, &err);
	if (r < 0 && err.errnum == EOPNOTSUPP)
		return skip_all("no bridge support in the kernel", err.errnum);
	ok(good(r, &err), "link_add_bridge br0 with MTU %d", MTU);
	printf("# a new namespace has %zu link(s)\n", base);
	ok(base >= 1, "link_count of a new namespace counts lo");
	lo = link_index(nlbr, "lo", &err);
	ok(good(lo, &err) && lo == 1, "link_index lo: 1, the first link of any namespace");
	br = link_index(nlbr, "br0", &err);
	ok(good(br, &err) && br > 1 && (unsigned)br == if_nametoindex("br0"),
	   "link_index br0 agrees with if_nametoindex");
	ok(good(link_set_up(nlbr, lo, &err), &err) && good(link_set_up(nlbr, br, &err), &err),
	   "link_set_up lo and br0");
	is_int(mtu_here("br0"), MTU, "br0 has the MTU asked for");

	containers();
	addresses_and_routes();
	traffic();
	counts();
	errors();
	stale_and_large();
	close(nla);
	close(nlb);
	close(nlbr);
	close(a_ns);
	close(b_ns);
	close(br_ns);
	return tap_done();
}
