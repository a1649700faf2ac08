// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * hostloop.c: the host-loopback setting (hostloop.h) as text and as
 * record: --host-loopback's value, a profile's host-loopback-ports, and
 * config.json's HostLoopback and HostLoopbackPorts. Parsing only: what
 * the setting makes at a container's start is hostrelay.c's.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../lib/util.h"
#include "hostloop.h"
#include "ports.h"

static bool has_port(const struct hostloop *h, uint16_t port, bool udp)
{
	for (size_t i = 0; i < h->n_ports; i++)
		if (h->ports[i].port == port && h->ports[i].udp == udp)
			return true;
	return false;
}

/* One item: PORT or A-B, then /tcp or /udp. */
static int parse_item(const char *item, size_t len, struct hostloop *h, struct berth_error *err)
{
	const char *slash = memchr(item, '/', len), *dash;
	size_t nlen = slash ? (size_t)(slash - item) : len;
	bool udp = false;
	uint16_t first, last;

	if (slash) {
		size_t plen = len - nlen - 1;
		if (plen == 3 && !strncmp(slash + 1, "udp", 3))
			udp = true;
		else if (plen != 3 || strncmp(slash + 1, "tcp", 3))
			return berth_error_set(err, EINVAL, "\"%.*s\": the protocol is tcp or udp",
					       (int)len, item);
	}
	dash = memchr(item, '-', nlen);
	if (!dash ? !ports_parse_number(item, nlen, &first, false)
		  : !ports_parse_number(item, (size_t)(dash - item), &first, false) ||
			    !ports_parse_number(dash + 1, nlen - (size_t)(dash - item) - 1, &last,
						false) ||
			    last < first)
		return berth_error_set(err, EINVAL,
				       "\"%.*s\" is not a port 1-65535 or a range A-B (then /tcp "
				       "or /udp)",
				       (int)len, item);
	if (!dash)
		last = first;
	for (unsigned p = first; p <= last; p++) {
		if (has_port(h, (uint16_t)p, udp))
			continue;
		if (h->n_ports == HOSTLOOP_MAX_PORTS)
			return berth_error_set(err, E2BIG, "more than %d ports",
					       HOSTLOOP_MAX_PORTS);
		h->ports[h->n_ports++] = (struct hostloop_port){ (uint16_t)p, udp };
	}
	return 0;
}

int hostloop_parse_ports(const char *arg, struct hostloop *h, struct berth_error *err)
{
	const char *p = arg;

	if (!*arg)
		return berth_error_set(err, EINVAL, "no port given");
	for (;;) {
		size_t len = strcspn(p, ",");
		/* spaces around items, as a profile's list may have them */
		while (len && (*p == ' ' || *p == '\t'))
			p++, len--;
		while (len && (p[len - 1] == ' ' || p[len - 1] == '\t'))
			len--;
		if (parse_item(p, len, h, err) < 0)
			return -1;
		p += strcspn(p, ",");
		if (!*p)
			break;
		p++;
	}
	h->mode = HOSTLOOP_PORTS;
	return 0;
}

int hostloop_parse(const char *arg, struct hostloop *h, struct berth_error *err)
{
	if (!arg || !*arg || !strcmp(arg, "true")) {
		h->mode = HOSTLOOP_ALL;
		h->n_ports = 0;
		return 0;
	}
	if (!strcmp(arg, "false")) {
		h->mode = HOSTLOOP_OFF;
		h->n_ports = 0;
		return 0;
	}
	/* ports add to ports, and replace "every port" or "none" */
	if (h->mode != HOSTLOOP_PORTS)
		h->n_ports = 0;
	return hostloop_parse_ports(arg, h, err);
}

char *hostloop_ports_text(const struct hostloop *h)
{
	char *out = xstrdup("");

	for (size_t i = 0; i < h->n_ports; i++) {
		char *t = xasprintf("%s%s%u/%s", out, i ? ", " : "", h->ports[i].port,
				    h->ports[i].udp ? "udp" : "tcp");
		free(out);
		out = t;
	}
	return out;
}

void hostloop_to_json(const struct hostloop *h, struct json_object *cfg)
{
	json_object_object_add(cfg, "HostLoopback",
			       json_object_new_boolean(h->mode != HOSTLOOP_OFF));
	if (h->mode != HOSTLOOP_PORTS)
		return;
	struct json_object *arr = json_object_new_array();
	for (size_t i = 0; i < h->n_ports; i++) {
		_cleanup_free_ char *s =
			xasprintf("%u/%s", h->ports[i].port, h->ports[i].udp ? "udp" : "tcp");
		json_object_array_add(arr, json_object_new_string(s));
	}
	json_object_object_add(cfg, "HostLoopbackPorts", arr);
}

int hostloop_from_json(struct json_object *cfg, struct hostloop *h, struct berth_error *err)
{
	struct json_object *v, *arr;

	memset(h, 0, sizeof(*h));
	if (!json_object_object_get_ex(cfg, "HostLoopback", &v) || !json_object_get_boolean(v))
		return 0;
	h->mode = HOSTLOOP_ALL;
	if (!json_object_object_get_ex(cfg, "HostLoopbackPorts", &arr))
		return 0;
	if (!json_object_is_type(arr, json_type_array) || json_object_array_length(arr) == 0)
		return berth_error_set(err, EINVAL, "config.json: HostLoopbackPorts is not valid");
	for (size_t i = 0; i < json_object_array_length(arr); i++) {
		const char *s = json_object_get_string(json_object_array_get_idx(arr, i));
		if (!s)
			return berth_error_set(err, EINVAL, "config.json: HostLoopbackPorts[%zu]",
					       i);
		if (parse_item(s, strlen(s), h, err) < 0)
			return berth_error_wrap(err, "config.json: HostLoopbackPorts");
	}
	h->mode = HOSTLOOP_PORTS;
	return 0;
}
