// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * link.c: the rtnetlink requests behind user networks: create bridges and
 * veth pairs, set links up, their MTU and master, add IPv4 addresses and
 * routes, look links up and count them. One request per call, answered by
 * the kernel's ack, whose error (and extended-ack text, when the kernel
 * gives one) becomes the berth_error. Plain netlink: no libmnl, no ioctl,
 * no ip(8). Entering namespaces is not done here: a socket acts on the
 * namespace it was made in, so callers make one per namespace.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>
#include <net/if.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "../lib/util.h"
#include "link.h"

/* Our requests carry a header, a few names and numbers: well below this.
 * One that would not fit is refused before it is sent (req_put). */
#define REQ_SIZE 512
/* A dump's messages are batched into buffers of the kernel's choosing:
 * NLMSG_GOODSIZE at first (under 8 KiB even with 64 KiB pages), then as
 * large as the reader's largest recvmsg() buffer, at most 32 KiB. One
 * message can be larger (a link with hundreds of alternative names):
 * such a reply is an error of its own (recv_from_kernel), never read in
 * part. */
#define RECV_SIZE 32768
/* A dump that races a change of the link list says so (NLM_F_DUMP_INTR);
 * it is taken again, this many times at most. */
#define DUMP_TRIES 5

/* The header, then the payload right behind it: nh.nlmsg_len counts both. */
struct nl_req {
	struct nlmsghdr nh;
	char data[REQ_SIZE];
	bool too_large; /* something did not fit: nl_call refuses to send it */
};
_Static_assert(offsetof(struct nl_req, data) == NLMSG_HDRLEN, "payload right after the header");

/* One counter for all sockets: a reply whose seq is not that of the
 * request in flight (a leftover of a call interrupted before) is skipped. */
static uint32_t nl_seq;

/* len bytes of data at the end of the request (zeroes when data is
 * NULL); the length stays aligned, so every attribute starts on a
 * NLMSG_ALIGNTO boundary. Returns where they went, or NULL when they do
 * not fit: the request is then marked too large, and nl_call fails with
 * a message instead of sending it. */
static void *req_put(struct nl_req *r, const void *data, size_t len)
{
	size_t used = r->nh.nlmsg_len - NLMSG_HDRLEN;
	char *p = r->data + used;

	if (r->too_large || NLMSG_ALIGN(len) > sizeof(r->data) - used) {
		r->too_large = true;
		return NULL;
	}
	memset(p, 0, NLMSG_ALIGN(len));
	if (data && len)
		memcpy(p, data, len);
	r->nh.nlmsg_len += (uint32_t)NLMSG_ALIGN(len);
	return p;
}

static struct rtattr *req_attr(struct nl_req *r, unsigned short type, const void *data, size_t len)
{
	struct rtattr *a = req_put(r, NULL, RTA_LENGTH(len));

	if (!a)
		return NULL;
	a->rta_type = type;
	a->rta_len = (unsigned short)RTA_LENGTH(len);
	if (len)
		memcpy(RTA_DATA(a), data, len);
	return a;
}

/* A request of type, its fixed header (an ifinfomsg, ifaddrmsg, rtmsg:
 * hdr, hdr_len bytes) first. */
static void req_init(struct nl_req *r, uint16_t type, uint16_t flags, const void *hdr,
		     size_t hdr_len)
{
	memset(r, 0, sizeof(*r));
	r->nh.nlmsg_len = NLMSG_HDRLEN;
	r->nh.nlmsg_type = type;
	r->nh.nlmsg_flags = NLM_F_REQUEST | flags;
	req_put(r, hdr, hdr_len);
}

static void req_u32(struct nl_req *r, unsigned short type, uint32_t v)
{
	req_attr(r, type, &v, sizeof(v));
}

static void req_str(struct nl_req *r, unsigned short type, const char *s)
{
	req_attr(r, type, s, strlen(s) + 1);
}

/* A nested attribute: opened empty, its length fixed once its content is in. */
static struct rtattr *req_nest(struct nl_req *r, unsigned short type)
{
	return req_attr(r, type, NULL, 0);
}

static void req_nest_end(struct nl_req *r, struct rtattr *nest)
{
	if (!nest) /* the request is too large already */
		return;
	nest->rta_len = (unsigned short)(r->data + (r->nh.nlmsg_len - NLMSG_HDRLEN) - (char *)nest);
}

/* The kernel's own words on an error (NETLINK_EXT_ACK), e.g. "Invalid
 * prefix for given prefix length", into out; left empty when it has none. */
static void read_extack(const struct nlmsghdr *nh, char *out, size_t len)
{
	const struct nlmsgerr *e = NLMSG_DATA(nh);
	size_t off = NLMSG_HDRLEN + sizeof(*e);

	if (!(nh->nlmsg_flags & NLM_F_ACK_TLVS))
		return;
	/* without NETLINK_CAP_ACK the request itself comes back first */
	if (!(nh->nlmsg_flags & NLM_F_CAPPED)) {
		if (e->msg.nlmsg_len < NLMSG_HDRLEN)
			return;
		off += e->msg.nlmsg_len - NLMSG_HDRLEN;
	}
	off = NLMSG_ALIGN(off);
	while (off + NLA_HDRLEN <= nh->nlmsg_len) {
		const struct nlattr *a = (const void *)((const char *)nh + off);

		if (a->nla_len < NLA_HDRLEN || a->nla_len > nh->nlmsg_len - off)
			return;
		if ((a->nla_type & NLA_TYPE_MASK) == NLMSGERR_ATTR_MSG) {
			size_t n = strnlen((const char *)a + NLA_HDRLEN, a->nla_len - NLA_HDRLEN);
			snprintf(out, len, "%.*s", (int)n, (const char *)a + NLA_HDRLEN);
			return;
		}
		off += NLA_ALIGN(a->nla_len);
	}
}

typedef int (*reply_fn)(const struct nlmsghdr *nh, void *arg);

struct exchange {
	reply_fn fn; /* each reply message but the ack, or NULL */
	void *arg;
	bool dump;     /* ends with NLMSG_DONE, not an ack */
	bool finished; /* the ack, the NLMSG_DONE or an error came */
	bool intr;     /* the dump was inconsistent (NLM_F_DUMP_INTR) */
	int errnum;    /* the first error: the kernel's, or a reply's fn */
	char ext[160]; /* the extended ack's message, if any */
	size_t reply;  /* a reply larger than RECV_SIZE: its size (EMSGSIZE) */
};

static void exchange_fail(struct exchange *x, int errnum)
{
	if (!x->errnum)
		x->errnum = errnum;
}

/* One message of the reply to request seq. */
static void handle_reply(const struct nlmsghdr *nh, uint32_t seq, struct exchange *x)
{
	if (nh->nlmsg_seq != seq)
		return;
	if (nh->nlmsg_flags & NLM_F_DUMP_INTR)
		x->intr = true;
	if (nh->nlmsg_type == NLMSG_ERROR) {
		const struct nlmsgerr *e = NLMSG_DATA(nh);

		x->finished = true;
		if (nh->nlmsg_len < NLMSG_LENGTH(sizeof(e->error)))
			exchange_fail(x, EBADMSG);
		else if (e->error) {
			exchange_fail(x, -e->error);
			if (nh->nlmsg_len >= NLMSG_LENGTH(sizeof(*e)))
				read_extack(nh, x->ext, sizeof(x->ext));
		}
	} else if (nh->nlmsg_type == NLMSG_DONE && x->dump) {
		x->finished = true;
		/* a dump that failed halfway ends in DONE carrying -errno */
		if (nh->nlmsg_len >= NLMSG_LENGTH(sizeof(int))) {
			int e;
			memcpy(&e, NLMSG_DATA(nh), sizeof(e));
			if (e < 0)
				exchange_fail(x, -e);
		}
	} else if (nh->nlmsg_type >= NLMSG_MIN_TYPE && x->fn) {
		int e = x->fn(nh, x->arg);
		if (e)
			exchange_fail(x, e);
	}
}

/* One datagram from the kernel into buf (flags: MSG_DONTWAIT or 0). One
 * larger than len is consumed and refused: -1 with EMSGSIZE, its size in
 * *full. */
static ssize_t recv_from_kernel(int nl, void *buf, size_t len, int flags, size_t *full)
{
	for (;;) {
		struct sockaddr_nl from = { 0 };
		struct iovec iov = { .iov_base = buf, .iov_len = len };
		struct msghdr msg = { .msg_name = &from,
				      .msg_namelen = sizeof(from),
				      .msg_iov = &iov,
				      .msg_iovlen = 1 };
		/* MSG_TRUNC: the datagram's whole length, even when it is cut */
		ssize_t n = recvmsg(nl, &msg, flags | MSG_TRUNC);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		/* another process of the namespace may write to our port */
		if (from.nl_pid != 0)
			continue;
		if ((size_t)n > len || (msg.msg_flags & MSG_TRUNC)) {
			*full = (size_t)n;
			errno = EMSGSIZE;
			return -1;
		}
		return n;
	}
}

/* The messages of one datagram, each through handle_reply(). */
static int parse_datagram(const char *p, size_t left, uint32_t seq, struct exchange *x)
{
	while (left >= NLMSG_HDRLEN) {
		const struct nlmsghdr *nh = (const void *)p;
		size_t step = NLMSG_ALIGN(nh->nlmsg_len);

		if (nh->nlmsg_len < NLMSG_HDRLEN || nh->nlmsg_len > left)
			return EBADMSG;
		handle_reply(nh, seq, x);
		if (step > left)
			step = left;
		p += step;
		left -= step;
	}
	return 0;
}

/* After a reply too large to read, the rest of the exchange, read
 * without waiting: it is all queued already (the kernel answers a
 * request while it is sent, and makes a dump's next part while one is
 * read), and read it must be, or the socket's next dump is refused
 * (EBUSY) while this one is unfinished. Stops at the exchange's end, or
 * when nothing is left (its end was in the part that was cut). */
static void drain(int nl, void *buf, size_t len, uint32_t seq, struct exchange *x)
{
	size_t full;

	while (!x->finished) {
		ssize_t n = recv_from_kernel(nl, buf, len, MSG_DONTWAIT, &full);
		if (n < 0 && errno != EMSGSIZE)
			return;
		if (n >= 0)
			parse_datagram(buf, (size_t)n, seq, x);
	}
}

/* Send req and read until its ack (its NLMSG_DONE for a dump), every
 * reply going through handle_reply(). Returns 0 or an errno value;
 * EMSGSIZE with x->reply set: a reply larger than RECV_SIZE. */
static int nl_exchange(int nl, struct nlmsghdr *req, struct exchange *x)
{
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
	union {
		struct nlmsghdr nh; /* aligns buf for the headers in it */
		char buf[RECV_SIZE];
	} r;
	ssize_t n;
	int e;

	req->nlmsg_seq = __atomic_add_fetch(&nl_seq, 1, __ATOMIC_RELAXED);
	do
		n = sendto(nl, req, req->nlmsg_len, 0, (struct sockaddr *)&kernel, sizeof(kernel));
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return errno;
	while (!x->finished) {
		n = recv_from_kernel(nl, r.buf, sizeof(r.buf), 0, &x->reply);
		if (n < 0 && errno == EMSGSIZE) {
			drain(nl, r.buf, sizeof(r.buf), req->nlmsg_seq, x);
			return EMSGSIZE;
		}
		if (n < 0)
			return errno;
		if ((e = parse_datagram(r.buf, (size_t)n, req->nlmsg_seq, x)) != 0)
			return e;
	}
	return x->errnum;
}

/* nl_exchange(), its failure described as "WHAT[: the kernel's words]". */
_printf_(5, 6) static int nl_call(int nl, struct nl_req *r, struct exchange *x,
				  struct berth_error *err, const char *fmt, ...)
{
	struct exchange none = { 0 };
	char what[160];
	va_list ap;
	int e;

	if (!x)
		x = &none;
	x->dump = (r->nh.nlmsg_flags & NLM_F_DUMP) == NLM_F_DUMP;
	e = r->too_large ? EMSGSIZE : nl_exchange(nl, &r->nh, x);
	if (!e)
		return 0;
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	if (r->too_large)
		return berth_error_set(err, e, "%s: the request is larger than %d bytes", what,
				       REQ_SIZE);
	if (e == EMSGSIZE && x->reply)
		return berth_error_set(err, e,
				       "%s: the kernel's reply (%zu bytes) is larger than the %d "
				       "bytes berth reads",
				       what, x->reply, RECV_SIZE);
	return berth_error_set(err, e, "%s%s%s", what, x->ext[0] ? ": " : "", x->ext);
}

/* A link name the kernel would take: 1 to IFNAMSIZ-1 characters. The
 * message says which (label) of the request's names is wrong. */
static int check_name(const char *name, const char *label, struct berth_error *err)
{
	size_t n = strnlen(name, IFNAMSIZ);

	if (n == 0)
		return berth_error_set(err, EINVAL, "empty %s", label);
	if (n >= IFNAMSIZ)
		return berth_error_set(err, EINVAL, "%s longer than %d characters", label,
				       IFNAMSIZ - 1);
	return 0;
}

int link_socket(struct berth_error *err)
{
	int one = 1;
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);

	if (fd < 0)
		return berth_error_set(err, errno, "netlink socket (NETLINK_ROUTE)");
	/* Both are optional: before 4.12 there is no kernel text in errors,
	 * before 4.3 an ack repeats the whole request, which still fits. */
	setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
	setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one));
	return fd;
}

static int index_reply(const struct nlmsghdr *nh, void *arg)
{
	const struct ifinfomsg *ifi = NLMSG_DATA(nh);

	if (nh->nlmsg_type != RTM_NEWLINK)
		return 0;
	if (nh->nlmsg_len < NLMSG_LENGTH(sizeof(*ifi)))
		return EBADMSG;
	*(int *)arg = ifi->ifi_index;
	return 0;
}

int link_index(int nl, const char *name, struct berth_error *err)
{
	struct nl_req r;
	int index = -1;
	struct exchange x = { .fn = index_reply, .arg = &index };

	if (check_name(name, "name", err) < 0)
		return berth_error_wrap(err, "looking up link %s", name);
	req_init(&r, RTM_GETLINK, NLM_F_ACK, &(struct ifinfomsg){ 0 }, sizeof(struct ifinfomsg));
	req_str(&r, IFLA_IFNAME, name);
	/* the reply need not carry the link's statistics */
	req_u32(&r, IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS);
	if (nl_call(nl, &r, &x, err, "looking up link %s", name) < 0)
		return -1;
	if (index <= 0)
		return berth_error_set(err, ENODEV, "looking up link %s: no link in the reply",
				       name);
	return index;
}

/* An RTM_SETLINK request on ifindex: flags from change set to flags. */
static void setlink_init(struct nl_req *r, int ifindex, unsigned flags, unsigned change)
{
	struct ifinfomsg ifi = {
		.ifi_family = AF_UNSPEC,
		.ifi_index = ifindex,
		.ifi_flags = flags,
		.ifi_change = change,
	};

	req_init(r, RTM_SETLINK, NLM_F_ACK, &ifi, sizeof(ifi));
}

int link_del(int nl, int ifindex, struct berth_error *err)
{
	struct ifinfomsg ifi = { .ifi_family = AF_UNSPEC, .ifi_index = ifindex };
	struct nl_req r;

	req_init(&r, RTM_DELLINK, NLM_F_ACK, &ifi, sizeof(ifi));
	return nl_call(nl, &r, NULL, err, "removing link #%d", ifindex);
}

int link_set_up(int nl, int ifindex, struct berth_error *err)
{
	struct nl_req r;

	setlink_init(&r, ifindex, IFF_UP, IFF_UP);
	return nl_call(nl, &r, NULL, err, "bringing up link #%d", ifindex);
}

int link_set_mtu(int nl, int ifindex, unsigned mtu, struct berth_error *err)
{
	struct nl_req r;

	setlink_init(&r, ifindex, 0, 0);
	req_u32(&r, IFLA_MTU, mtu);
	return nl_call(nl, &r, NULL, err, "setting the MTU of link #%d to %u", ifindex, mtu);
}

int link_set_master(int nl, int ifindex, int master_ifindex, struct berth_error *err)
{
	struct nl_req r;

	setlink_init(&r, ifindex, 0, 0);
	req_u32(&r, IFLA_MASTER, (uint32_t)master_ifindex);
	return nl_call(nl, &r, NULL, err, "attaching link #%d to bridge #%d", ifindex,
		       master_ifindex);
}

/* An RTM_NEWLINK request creating name, up to the IFLA_LINKINFO nest with
 * its kind in; the caller closes the nest. */
static struct rtattr *newlink_init(struct nl_req *r, const char *name, unsigned mtu,
				   const char *kind)
{
	struct ifinfomsg ifi = { .ifi_family = AF_UNSPEC };
	struct rtattr *info;

	req_init(r, RTM_NEWLINK, NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL, &ifi, sizeof(ifi));
	req_str(r, IFLA_IFNAME, name);
	if (mtu)
		req_u32(r, IFLA_MTU, mtu);
	info = req_nest(r, IFLA_LINKINFO);
	req_str(r, IFLA_INFO_KIND, kind);
	return info;
}

int link_add_bridge(int nl, const char *name, unsigned mtu, struct berth_error *err)
{
	struct nl_req r;

	if (check_name(name, "name", err) < 0)
		return berth_error_wrap(err, "adding bridge %s", name);
	req_nest_end(&r, newlink_init(&r, name, mtu, "bridge"));
	return nl_call(nl, &r, NULL, err, "adding bridge %s", name);
}

int link_add_veth(int nl, const char *name, const char *peer, int peer_netns_fd, unsigned mtu,
		  struct berth_error *err)
{
	struct ifinfomsg pifi = { .ifi_family = AF_UNSPEC };
	struct rtattr *info, *data, *pa;
	struct nl_req r;

	if (check_name(name, "name", err) < 0 || check_name(peer, "peer name", err) < 0)
		return berth_error_wrap(err, "adding veth %s/%s", name, peer);
	info = newlink_init(&r, name, mtu, "veth");
	data = req_nest(&r, IFLA_INFO_DATA);
	/* the peer is described as a link of its own: an ifinfomsg and
	 * IFLA_* attributes, inside VETH_INFO_PEER */
	pa = req_nest(&r, VETH_INFO_PEER);
	req_put(&r, &pifi, sizeof(pifi));
	req_str(&r, IFLA_IFNAME, peer);
	if (mtu)
		req_u32(&r, IFLA_MTU, mtu);
	if (peer_netns_fd >= 0)
		req_u32(&r, IFLA_NET_NS_FD, (uint32_t)peer_netns_fd);
	req_nest_end(&r, pa);
	req_nest_end(&r, data);
	req_nest_end(&r, info);
	return nl_call(nl, &r, NULL, err, "adding veth %s/%s", name, peer);
}

int link_add_addr4(int nl, int ifindex, struct in_addr addr, unsigned prefix,
		   struct berth_error *err)
{
	struct ifaddrmsg ifa = {
		.ifa_family = AF_INET,
		.ifa_prefixlen = (unsigned char)prefix,
		.ifa_scope = RT_SCOPE_UNIVERSE,
		.ifa_index = (unsigned)ifindex,
	};
	char a[INET_ADDRSTRLEN];
	struct nl_req r;

	inet_ntop(AF_INET, &addr, a, sizeof(a));
	if (prefix > 32)
		return berth_error_set(err, EINVAL,
				       "adding address %s/%u to link #%d: prefix longer than 32", a,
				       prefix, ifindex);
	req_init(&r, RTM_NEWADDR, NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL, &ifa, sizeof(ifa));
	/* IFA_LOCAL is the address, IFA_ADDRESS the peer's on a
	 * point-to-point link: the same on any other */
	req_attr(&r, IFA_LOCAL, &addr, sizeof(addr));
	req_attr(&r, IFA_ADDRESS, &addr, sizeof(addr));
	return nl_call(nl, &r, NULL, err, "adding address %s/%u to link #%d", a, prefix, ifindex);
}

static bool route_type_ok(int type)
{
	return type == RTN_UNICAST || type == RTN_UNREACHABLE || type == RTN_PROHIBIT ||
	       type == RTN_BLACKHOLE;
}

/* "10.0.0.0/24 via 10.0.0.1 dev #3", "default (unreachable)" */
static void route_describe(char *buf, size_t len, struct in_addr dst, unsigned prefix,
			   struct in_addr gw, int ifindex, int type)
{
	char d[INET_ADDRSTRLEN], g[INET_ADDRSTRLEN];
	int n;

	inet_ntop(AF_INET, &dst, d, sizeof(d));
	inet_ntop(AF_INET, &gw, g, sizeof(g));
	if (prefix == 0)
		n = snprintf(buf, len, "default");
	else
		n = snprintf(buf, len, "%s/%u", d, prefix);
	if (n < 0 || (size_t)n >= len)
		return;
	if (type != RTN_UNICAST)
		snprintf(buf + n, len - (size_t)n, " (%s)",
			 type == RTN_UNREACHABLE ? "unreachable"
			 : type == RTN_PROHIBIT	 ? "prohibit"
			 : type == RTN_BLACKHOLE ? "blackhole"
						 : "unknown type");
	else if (gw.s_addr)
		snprintf(buf + n, len - (size_t)n, " via %s dev #%d", g, ifindex);
	else
		snprintf(buf + n, len - (size_t)n, " dev #%d", ifindex);
}

int link_add_route4(int nl, struct in_addr dst, unsigned prefix, struct in_addr gw, int ifindex,
		    int type, struct berth_error *err)
{
	struct rtmsg rtm = {
		.rtm_family = AF_INET,
		.rtm_dst_len = (unsigned char)prefix,
		.rtm_table = RT_TABLE_MAIN,
		.rtm_protocol = RTPROT_BOOT,
		.rtm_type = (unsigned char)type,
		/* as ip-route(8) chooses: a unicast route without a gateway
		 * reaches its destinations directly on the link */
		.rtm_scope = type == RTN_UNICAST && !gw.s_addr ? RT_SCOPE_LINK : RT_SCOPE_UNIVERSE,
	};
	char what[96];
	struct nl_req r;

	route_describe(what, sizeof(what), dst, prefix, gw, ifindex, type);
	if (prefix > 32)
		return berth_error_set(err, EINVAL, "adding route %s: prefix longer than 32", what);
	if (!route_type_ok(type))
		return berth_error_set(err, EINVAL, "adding route %s: type %d is not supported",
				       what, type);
	if (type == RTN_UNICAST && !gw.s_addr && ifindex <= 0)
		return berth_error_set(err, EINVAL, "adding route %s: neither a gateway nor a link",
				       what);
	req_init(&r, RTM_NEWROUTE, NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL, &rtm, sizeof(rtm));
	if (prefix)
		req_attr(&r, RTA_DST, &dst, sizeof(dst));
	if (type == RTN_UNICAST) {
		if (gw.s_addr)
			req_attr(&r, RTA_GATEWAY, &gw, sizeof(gw));
		if (ifindex > 0)
			req_u32(&r, RTA_OIF, (uint32_t)ifindex);
	}
	return nl_call(nl, &r, NULL, err, "adding route %s", what);
}

static int count_reply(const struct nlmsghdr *nh, void *arg)
{
	if (nh->nlmsg_type == RTM_NEWLINK)
		(*(size_t *)arg)++;
	return 0;
}

int link_count(int nl, size_t *n, struct berth_error *err)
{
	for (int i = 0; i < DUMP_TRIES; i++) {
		struct nl_req r;
		size_t count = 0;
		struct exchange x = { .fn = count_reply, .arg = &count };

		/* No NLM_F_ACK: the kernel sends none for a dump (the dump
		 * ends with NLMSG_DONE instead) even when asked. */
		req_init(&r, RTM_GETLINK, NLM_F_DUMP, &(struct ifinfomsg){ 0 },
			 sizeof(struct ifinfomsg));
		req_u32(&r, IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS);
		if (nl_call(nl, &r, &x, err, "listing links") < 0)
			return -1;
		if (!x.intr) {
			*n = count;
			return 0;
		}
	}
	return berth_error_set(err, EAGAIN,
			       "listing links: the list kept changing during the dump");
}
