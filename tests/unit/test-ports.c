// SPDX-License-Identifier: GPL-2.0-or-later
/* Unit tests: -p and -P parsing (docker's forms, the 127.0.0.1 default,
 * ranges, refusals), duplicates, formatting and the record round trip. */
#include <stdlib.h>
#include <string.h>

#include "../../netns/ports.h"
#include "../../lib/util.h"
#include "../tap.h"

static int parse(const char *arg, struct port_map **m, size_t *n)
{
	struct berth_error err = { 0 };
	int r = ports_parse(arg, m, n, &err);
	berth_error_clear(&err);
	return r;
}

int main(void)
{
	struct port_map *m = NULL;
	size_t n = 0;
	char buf[96];
	struct berth_error err = { 0 };

	ok(parse("8080:80", &m, &n) == 0 && n == 1 && m[0].host_port == 8080 &&
		   m[0].ctr_port == 80 && !m[0].udp && !strcmp(m[0].host_ip, "127.0.0.1"),
	   "HOSTPORT:CTRPORT on 127.0.0.1 by default");
	ok(parse("80", &m, &n) == 0 && n == 2 && m[1].host_port == 0 && m[1].ctr_port == 80,
	   "CTRPORT alone: a free host port");
	ok(parse("0.0.0.0:9000:90/udp", &m, &n) == 0 && n == 3 && m[2].udp &&
		   !strcmp(m[2].host_ip, "0.0.0.0"),
	   "IP:HOSTPORT:CTRPORT/udp");
	ok(parse("127.0.0.2::91", &m, &n) == 0 && n == 4 && m[3].host_port == 0 &&
		   !strcmp(m[3].host_ip, "127.0.0.2"),
	   "IP::CTRPORT: a free port on that address");
	ok(parse("[::1]:9001:92", &m, &n) == 0 && n == 5 && !strcmp(m[4].host_ip, "::1"),
	   "an IPv6 address in brackets");
	ok(parse("8000-8002:9000-9002", &m, &n) == 0 && n == 8 && m[5].host_port == 8000 &&
		   m[7].host_port == 8002 && m[7].ctr_port == 9002,
	   "ranges of equal length");
	ok(parse("7000-7001", &m, &n) == 0 && n == 10 && m[9].ctr_port == 7001 &&
		   m[9].host_port == 0,
	   "a container range alone: free host ports");
	ports_format(&m[0], buf, sizeof(buf));
	is_str(buf, "127.0.0.1:8080->80/tcp", "formatted as docker's ps");
	ports_format(&m[4], buf, sizeof(buf));
	is_str(buf, "[::1]:9001->92/tcp", "an IPv6 one in brackets");
	ok(ports_check_duplicates(m, n, &err) == 0, "no duplicates yet");
	size_t before = n;
	parse("8080:81", &m, &n);
	ok(ports_check_duplicates(m, n, &err) < 0 && strstr(err.msg, "twice"),
	   "the same host port twice is refused");
	berth_error_clear(&err);
	n = before;

	struct json_object *j = ports_to_json(m, n);
	struct port_map *back = NULL;
	size_t nb = 0;
	ok(ports_from_json(j, &back, &nb, &err) == 0 && nb == n && !memcmp(back, m, n * sizeof(*m)),
	   "record round trip");
	free(back);
	json_object_put(j);

	struct json_object *exposed =
		json_tokener_parse("{\"8080/tcp\": {}, \"5353/udp\": {}, \"80/tcp\": {}}");
	size_t n0 = n;
	ok(ports_from_exposed(exposed, &m, &n, &err) == 0 && n == n0 + 2,
	   "-P: the exposed ports not already published (80/tcp is)");
	json_object_put(exposed);

	const char *bad[] = { "",	 "0",	    "65536",	      "80:0", "a:80",
			      "80/sctp", "1-3:1-2", "80:1-2",	      "3-1",  "x.y:80:80",
			      "1:2:3:4", "80-2000", "8080:80/tcp/udp" };
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		size_t k = n;
		ok(parse(bad[i], &m, &n) < 0 && n == k, "-p \"%s\" is refused", bad[i]);
	}
	free(m);
	return tap_done();
}
