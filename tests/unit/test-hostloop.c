// SPDX-License-Identifier: GPL-2.0-or-later
/* Unit tests: the host-loopback setting (netns/hostloop.c): the zero
 * value is off, --host-loopback's forms (true, false, ports, ranges,
 * /udp), ports adding up, the refusals and the limit, the text, and the
 * config.json round trip. */
#include <stdlib.h>
#include <string.h>

#include "../../netns/hostloop.h"
#include "../../lib/util.h"
#include "../tap.h"

static int parse(const char *arg, struct hostloop *h, char **msg)
{
	struct berth_error err = { 0 };
	int r = hostloop_parse(arg, h, &err);
	if (msg)
		*msg = err.msg ? xstrdup(err.msg) : NULL;
	berth_error_clear(&err);
	return r;
}

static void refused(const char *arg, const char *want)
{
	struct hostloop h = { 0 };
	char *msg = NULL;
	int r = parse(arg, &h, &msg);
	if (!ok(r < 0 && msg && strstr(msg, want), "refused: \"%s\"", arg))
		printf("#   got %d \"%s\"\n", r, msg ? msg : "(none)");
	free(msg);
}

int main(void)
{
	struct hostloop h = { 0 }, back;
	struct berth_error err = { 0 };

	ok(h.mode == HOSTLOOP_OFF, "the zero value is off (an engine caller's default)");
	ok(parse("", &h, NULL) == 0 && h.mode == HOSTLOOP_ALL, "--host-loopback alone: every port");
	ok(parse("false", &h, NULL) == 0 && h.mode == HOSTLOOP_OFF && h.n_ports == 0,
	   "false: none");
	ok(parse("true", &h, NULL) == 0 && h.mode == HOSTLOOP_ALL, "true: every port");
	ok(parse("5432,6379", &h, NULL) == 0 && h.mode == HOSTLOOP_PORTS && h.n_ports == 2 &&
		   h.ports[0].port == 5432 && !h.ports[0].udp && h.ports[1].port == 6379,
	   "PORT,PORT: those (tcp)");
	ok(parse("53/udp, 8000-8002/tcp", &h, NULL) == 0 && h.n_ports == 6 && h.ports[2].udp &&
		   h.ports[2].port == 53 && h.ports[5].port == 8002,
	   "a second flag adds to the ports, /udp and ranges");
	ok(parse("5432", &h, NULL) == 0 && h.n_ports == 6, "a port listed again is not doubled");
	ok(parse("53", &h, NULL) == 0 && h.n_ports == 7, "... but tcp and udp are two");
	_cleanup_free_ char *t = hostloop_ports_text(&h);
	is_str(t, "5432/tcp, 6379/tcp, 53/udp, 8000/tcp, 8001/tcp, 8002/tcp, 53/tcp", "the text");

	struct json_object *o = json_object_new_object();
	hostloop_to_json(&h, o);
	ok(hostloop_from_json(o, &back, &err) == 0 && back.mode == HOSTLOOP_PORTS &&
		   back.n_ports == h.n_ports &&
		   !memcmp(back.ports, h.ports, h.n_ports * sizeof(h.ports[0])),
	   "config.json round trip of listed ports");
	json_object_put(o);
	o = json_object_new_object();
	ok(hostloop_from_json(o, &back, &err) == 0 && back.mode == HOSTLOOP_OFF,
	   "a record without the key: none");
	json_object_object_add(o, "HostLoopback", json_object_new_boolean(1));
	ok(hostloop_from_json(o, &back, &err) == 0 && back.mode == HOSTLOOP_ALL,
	   "HostLoopback true alone: every port");
	json_object_object_add(o, "HostLoopbackPorts", json_object_new_string("x"));
	ok(hostloop_from_json(o, &back, &err) < 0, "a HostLoopbackPorts that is not a list fails");
	berth_error_clear(&err);
	json_object_put(o);

	ok(parse("false", &h, NULL) == 0 && parse("80", &h, NULL) == 0 && h.n_ports == 1,
	   "ports after false start a new list");
	refused("0", "not a port");
	refused("65536", "not a port");
	refused("http", "not a port");
	refused("80/sctp", "tcp or udp");
	refused("90-80", "not a port");
	refused("80,,81", "not a port");
	refused("1-65", "more than 64");
	struct hostloop big = { 0 };
	ok(parse("1-64", &big, NULL) == 0 && big.n_ports == HOSTLOOP_MAX_PORTS &&
		   parse("65", &big, NULL) < 0,
	   "at most 64 ports");
	return tap_done();
}
