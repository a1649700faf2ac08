// SPDX-License-Identifier: GPL-2.0-or-later
/* Unit tests: netns/link.c's request builder, from inside (the file is
 * included, so its static functions are reached; no kernel needed). A
 * request that outgrows its buffer is refused with a message, never sent
 * and never an abort; every request of the public functions fits. */
#include "../../netns/link.c"

#include "../tap.h"

int main(void)
{
	struct ifinfomsg ifi = { .ifi_family = AF_UNSPEC };
	struct berth_error err = { 0 };
	struct rtattr *nest;
	struct nl_req r;
	int i;

	req_init(&r, RTM_NEWLINK, NLM_F_ACK, &ifi, sizeof(ifi));
	nest = req_nest(&r, IFLA_LINKINFO);
	for (i = 0; i < 100 && !r.too_large; i++)
		req_str(&r, IFLA_IFNAME, "fifteen-chars-x");
	ok(r.too_large && i > 10, "a request outgrows its %d bytes after %d names", REQ_SIZE, i);
	ok(r.nh.nlmsg_len <= NLMSG_HDRLEN + REQ_SIZE, "its length stays within the buffer (%u)",
	   r.nh.nlmsg_len);
	ok(req_nest(&r, IFLA_INFO_DATA) == NULL && req_attr(&r, IFLA_MTU, &i, sizeof(i)) == NULL,
	   "nothing more goes in");
	req_nest_end(&r, nest);
	req_nest_end(&r, NULL);
	/* -1: nothing may be sent; a send on it would fail with EBADF */
	is_int(nl_call(-1, &r, NULL, &err, "adding link %s", "x"), -1, "nl_call refuses it");
	is_int(err.errnum, EMSGSIZE, "  EMSGSIZE");
	is_str(err.msg, "adding link x: the request is larger than 512 bytes", "  saying so");
	berth_error_clear(&err);

	/* the largest request the public functions make: a veth pair with
	 * the longest names, an MTU and a namespace */
	req_nest_end(&r, newlink_init(&r, "fifteen-chars-x", 65520, "veth"));
	ok(!r.too_large, "a new link with the longest name fits");
	nest = req_nest(&r, IFLA_INFO_DATA);
	req_put(&r, &ifi, sizeof(ifi));
	req_str(&r, IFLA_IFNAME, "fifteen-chars-y");
	req_u32(&r, IFLA_MTU, 65520);
	req_u32(&r, IFLA_NET_NS_FD, 3);
	req_nest_end(&r, nest);
	ok(!r.too_large && r.nh.nlmsg_len < NLMSG_HDRLEN + REQ_SIZE / 2,
	   "with its peer's attributes too, in half the buffer (%u bytes)", r.nh.nlmsg_len);
	return tap_done();
}
