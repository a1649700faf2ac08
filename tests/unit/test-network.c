// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Unit tests: user network subnets (--subnet's forms and refusals, the
 * hosts within one) and network names (docker's charset, the built-in
 * --network modes kept out).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include "../../objects/network.h"
#include "../../lib/util.h"
#include "../tap.h"

static const char *addr_str(struct in_addr a)
{
	static char buf[INET_ADDRSTRLEN];
	return inet_ntop(AF_INET, &a, buf, sizeof(buf));
}

/* Parses, and to net/prefix. */
static void valid(const char *text, const char *net, unsigned prefix)
{
	struct berth_error err = { 0 };
	struct net_subnet sn = { { 0 }, 0 };
	int r = network_parse_subnet(text, &sn, &err);

	ok(r == 0 && !err.msg, "\"%s\" parses", text);
	is_str(addr_str(sn.net), net, "  its network");
	is_int(sn.prefix, prefix, "  its prefix");
	berth_error_clear(&err);
}

/* Refused with EINVAL, the message quoting the text and containing why;
 * out untouched. */
static void invalid(const char *text, const char *why)
{
	struct berth_error err = { 0 };
	struct net_subnet sn = { { 0x01020304 }, 7 };
	int r = network_parse_subnet(text, &sn, &err);

	ok(r < 0 && err.errnum == EINVAL && err.msg && strstr(err.msg, text) &&
		   strstr(err.msg, why) && sn.net.s_addr == 0x01020304 && sn.prefix == 7,
	   "\"%s\" is refused (%s)", text, why);
	if (err.msg && !strstr(err.msg, why))
		printf("#   message: %s\n", err.msg);
	berth_error_clear(&err);
}

static void subnets(void)
{
	valid("10.89.0.0/16", "10.89.0.0", 16);
	valid("10.89.1.0/24", "10.89.1.0", 24);
	valid("192.168.7.16/28", "192.168.7.16", 28);
	valid("0.0.0.0/16", "0.0.0.0", 16);
	valid("255.255.255.240/28", "255.255.255.240", 28);

	invalid("10.89.1.1/24", "host bits");
	invalid("10.89.1.0/16", "the network is 10.89.0.0/16");
	invalid("10.0.0.0/8", "too large");
	invalid("10.89.0.0/15", "too large");
	invalid("10.89.1.0/30", "too small");
	invalid("10.89.1.0/29", "too small");
	invalid("10.89.1.0/32", "too small");
	invalid("fd00::/64", "IPv6");
	invalid("::ffff:10.89.1.0/120", "IPv6");
	invalid("garbage", "expected an IPv4 network");
	invalid("", "expected an IPv4 network");
	invalid("10.89.1.0", "no prefix length");
	invalid("10.89.1.0/", "prefix length");
	invalid("10.89.256.0/24", "octet 256");
	invalid("10.89.1.0/24x", "unexpected \"x\"");
	invalid("10.89.1.0/24 ", "after the prefix length");
	invalid("10.89.1.0/24/24", "after the prefix length");
	invalid("10.89.1/24", "expected an IPv4 network");
	invalid("10.89.1.0.0/24", "expected an IPv4 network");
	invalid("10.89.01.0/24", "leading zero");
	invalid("10.89.1.0/024", "prefix length");
	invalid("10.89.1.0/-24", "prefix length");
	invalid("10.89.1.0/+24", "prefix length");
	invalid(" 10.89.1.0/24", "expected an IPv4 network");
	invalid("10.89.1.0x/24", "expected an IPv4 network");
	invalid("10.89.1000.0/24", "expected an IPv4 network");
	invalid("10.89.1.0/100", "prefix length");
}

static void hosts(void)
{
	struct berth_error err = { 0 };
	struct net_subnet sn;

	network_parse_subnet("10.89.3.0/24", &sn, &err);
	is_str(addr_str(network_host(&sn, 2)), "10.89.3.2", "host 2 is the gateway");
	is_str(addr_str(network_host(&sn, 3)), "10.89.3.3", "host 3 the DNS forwarder");
	is_str(addr_str(network_host(&sn, NETWORK_FIRST_HOST)), "10.89.3.4",
	       "containers start at .4");
	is_str(addr_str(network_host(&sn, 254)), "10.89.3.254", "host 254");
	network_parse_subnet("10.89.0.0/16", &sn, &err);
	is_str(addr_str(network_host(&sn, 256 + 7)), "10.89.1.7",
	       "a /16's host 263 carries into the third octet");
	network_parse_subnet("172.16.5.32/28", &sn, &err);
	is_str(addr_str(network_host(&sn, 14)), "172.16.5.46", "a /28 at .32: host 14 is .46");
	ok(!err.msg, "no error on the way");
	berth_error_clear(&err);
}

static void names(void)
{
	char long_name[70];
	const char *good[] = { "a", "net1", "my-net", "my_net", "my.net", "0net", "A.b-C_d" };
	const char *bad[] = { "",	"-net",	  ".net", "_net", "my net",
			      "my/net", "my:net", "nét",  "../x", "container:x" };
	const char *reserved[] = { "none",    "host",	     "bridge",	      "default",
				   "private", "slirp4netns", "container:abc", "container:" };
	const char *not_reserved[] = { "hosts", "Host", "container", "none1", "my-bridge" };

	for (size_t i = 0; i < ARRAY_SIZE(good); i++)
		ok(network_name_valid(good[i]), "\"%s\" is a network name", good[i]);
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
		ok(!network_name_valid(bad[i]), "\"%s\" is not", bad[i]);
	ok(!network_name_valid("a\nb"), "a name with a newline is not");
	memset(long_name, 'n', 64);
	long_name[64] = '\0';
	ok(network_name_valid(long_name), "64 characters are allowed");
	long_name[64] = 'n';
	long_name[65] = '\0';
	ok(!network_name_valid(long_name), "65 are not");
	for (size_t i = 0; i < ARRAY_SIZE(reserved); i++)
		ok(network_name_reserved(reserved[i]), "\"%s\" is a built-in mode", reserved[i]);
	for (size_t i = 0; i < ARRAY_SIZE(not_reserved); i++)
		ok(!network_name_reserved(not_reserved[i]), "\"%s\" is not reserved",
		   not_reserved[i]);
}

int main(void)
{
	subnets();
	hosts();
	names();
	return tap_done();
}
