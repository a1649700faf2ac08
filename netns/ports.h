/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ports.h: published ports (-p, -P): parsing (ports.c) and the forwarder
 * that moves each connection between a host socket and the container's
 * network namespace (forward.c).
 */
#ifndef BERTH_NETNS_PORTS_H
#define BERTH_NETNS_PORTS_H

#include <json-c/json.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "../lib/error.h"

/* A port number of len digits at s, 1 to 65535 (0 too where zero_ok):
 * -p's parts and --host-loopback's. */
bool ports_parse_number(const char *s, size_t len, uint16_t *out, bool zero_ok);

struct port_map {
	bool udp;
	char host_ip[46];   /* "127.0.0.1" unless given */
	uint16_t host_port; /* 0: the kernel picks one at start */
	uint16_t ctr_port;
};

/* -p [[HOSTIP:][HOSTPORT]:]CTRPORT[/tcp|/udp], ports or equal-length
 * ranges (8000-8010:8000-8010); appended to *maps. */
int ports_parse(const char *arg, struct port_map **maps, size_t *n, struct berth_error *err);
/* -P: every "PORT/PROTO" key of the image's ExposedPorts, to a random port
 * on 127.0.0.1 (ports already published by -p are left alone). */
int ports_from_exposed(struct json_object *exposed, struct port_map **maps, size_t *n,
		       struct berth_error *err);
/* Two maps on one host address and port and protocol are an error. */
int ports_check_duplicates(const struct port_map *m, size_t n, struct berth_error *err);
/* "127.0.0.1:8080" ("[::1]:8080") */
void ports_host(const struct port_map *m, char *buf, size_t len);
/* "127.0.0.1:8080->80/tcp" */
void ports_format(const struct port_map *m, char *buf, size_t len);

struct json_object *ports_to_json(const struct port_map *m, size_t n);
int ports_from_json(struct json_object *arr, struct port_map **maps, size_t *n,
		    struct berth_error *err);

/* Bind a host socket for each map (listening for TCP), checking the
 * unprivileged port floor first; a port the kernel picked is written back
 * into the map. fds[i] for maps[i]; on error none is left open. */
int ports_bind(struct port_map *m, size_t n, int *fds, struct berth_error *err);

/* Fork the forwarder: it joins the network namespace (and, to be allowed
 * to, the user namespace) of the container whose holder is holder, takes
 * the bound fds and relays every TCP connection (splice) and UDP flow to
 * INSIDE:CTRPORT there, INSIDE being the container's own address (never
 * 127.0.0.1: its services see the client come from that address, not
 * from their loopback), until the holder ends. Returns its pid. */
pid_t ports_forward(pid_t holder, const struct port_map *m, size_t n, const int *fds,
		    struct in_addr inside, struct berth_error *err);

#endif
