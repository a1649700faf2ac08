/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * hostloop.h: a container's way to the host's loopback (hostloop.c).
 * host.docker.internal is slirp's gateway address (.2 of its network),
 * which slirp4netns maps to the host's 127.0.0.1: every service listening
 * there, other users' included, unless it is limited.
 *
 * The setting is off, every port, or listed ports. Off is the zero value:
 * an engine caller that does not choose (a build step, a kube play) gets
 * no way to the host; only `run` turns it on by default, and the user's
 * berth.conf can turn that default off.
 *
 * Listed ports: slirp4netns cannot filter by port, so it runs with
 * --disable-host-loopback, the gateway address is made an address of the
 * container's lo, and berth's relay (berth-hostloop) listens there on the
 * listed ports only, joining each connection or UDP flow to 127.0.0.1:PORT
 * on the host. Every other port of the gateway answers "connection
 * refused" at once, from inside the container.
 */
#ifndef BERTH_NETNS_HOSTLOOP_H
#define BERTH_NETNS_HOSTLOOP_H

#include <json-c/json.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "../lib/error.h"

/* Listeners of one container's relay, at most (a port range counts each
 * port). */
#define HOSTLOOP_MAX_PORTS 64

enum hostloop_mode {
	HOSTLOOP_OFF = 0, /* the engine's default */
	HOSTLOOP_ALL,	  /* slirp4netns's host loopback: every port */
	HOSTLOOP_PORTS,	  /* berth's relay, for ports[] only */
};

struct hostloop_port {
	uint16_t port;
	bool udp;
};

struct hostloop {
	enum hostloop_mode mode;
	size_t n_ports;
	struct hostloop_port ports[HOSTLOOP_MAX_PORTS];
};

/* --host-loopback's value, merged into h: "true" (or "") every port,
 * "false" none, else PORT[/tcp|/udp] items or A-B ranges, comma-separated,
 * which add to the ports h lists already (and make its mode PORTS). */
int hostloop_parse(const char *arg, struct hostloop *h, struct berth_error *err);
/* Only the PORTS form (a profile's host-loopback-ports item). */
int hostloop_parse_ports(const char *arg, struct hostloop *h, struct berth_error *err);
/* "5432/tcp, 53/udp" (the listed ports), for messages and info. */
char *hostloop_ports_text(const struct hostloop *h);

/* config.json: "HostLoopback" (a boolean) and "HostLoopbackPorts" (["5432/tcp", ...],
 * only when limited). A record without the key has none (the default). */
void hostloop_to_json(const struct hostloop *h, struct json_object *cfg);
int hostloop_from_json(struct json_object *cfg, struct hostloop *h, struct berth_error *err);

/* Parent side, once the container's network namespace is there (holder:
 * a process in it and in its user namespace): gw becomes an address of its
 * lo, and a socket is bound to gw:PORT for each listed port (listening,
 * for TCP), bound to lo (SO_BINDTODEVICE) so that nothing arriving from
 * a network (a co-tenant's forged frame on a user network's bridge)
 * reaches it. fds[i] for h->ports[i]. A short-lived child joins the
 * namespaces, makes them and sends them back. */
int hostloop_listen(pid_t holder, struct in_addr gw, const struct hostloop *h, int *fds,
		    struct berth_error *err);
/* Fork the relay (berth-hostloop): it stays in the host's network
 * namespace and joins whatever reaches fds[i] to 127.0.0.1:PORT, until
 * the holder ends. Returns its pid, which the caller reaps. */
pid_t hostloop_relay(pid_t holder, const struct hostloop *h, const int *fds,
		     struct berth_error *err);
/* Every port, on a user network (whose shared slirp4netns has no host
 * loopback): the container's own slirp4netns opened tap in its namespace;
 * this brings it up with addr/32 and routes gw/32 (only the gateway)
 * through it. */
int hostloop_route_tap(pid_t holder, const char *tap, struct in_addr addr, struct in_addr gw,
		       struct berth_error *err);

#endif
