// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * ports.c: -p and -P, docker's syntax, parsed and checked before anything
 * is made, and the host sockets bound before the container's command
 * runs. The default host address is 127.0.0.1, not docker's 0.0.0.0: on a
 * shared machine a published port is not opened to the network unless
 * asked (-p 0.0.0.0:8080:80). The relaying itself is forward.c's.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../lib/util.h"
#include "ports.h"

#define DEFAULT_HOST_IP "127.0.0.1"
#define MAX_RANGE 1024

bool ports_parse_number(const char *s, size_t len, uint16_t *out, bool zero_ok)
{
	unsigned long v = 0;

	if (len == 0 || len > 5)
		return false;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (unsigned long)(s[i] - '0');
	}
	if (v > 65535 || (v == 0 && !zero_ok))
		return false;
	*out = (uint16_t)v;
	return true;
}

/* "P" or "A-B": first and count */
static bool parse_range(const char *s, uint16_t *first, unsigned *count)
{
	const char *dash = strchr(s, '-');
	uint16_t last;

	if (!dash) {
		*count = 1;
		return ports_parse_number(s, strlen(s), first, false);
	}
	if (!ports_parse_number(s, (size_t)(dash - s), first, false) ||
	    !ports_parse_number(dash + 1, strlen(dash + 1), &last, false) || last < *first ||
	    last - *first >= MAX_RANGE)
		return false;
	*count = (unsigned)(last - *first) + 1;
	return true;
}

static void push_map(struct port_map **maps, size_t *n, const struct port_map *m)
{
	*maps = xrealloc(*maps, (*n + 1) * sizeof(**maps));
	(*maps)[(*n)++] = *m;
}

int ports_parse(const char *arg, struct port_map **maps, size_t *n, struct berth_error *err)
{
	_cleanup_free_ char *copy = xstrdup(arg);
	char *proto = strchr(copy, '/'), *ctr, *hostport = NULL, *ip = NULL;
	struct port_map base = { 0 };
	uint16_t cfirst, hfirst = 0;
	unsigned ccount, hcount = 0;

	if (proto) {
		*proto++ = '\0';
		if (strcmp(proto, "tcp") && strcmp(proto, "udp"))
			return berth_error_set(err, EINVAL, "-p %s: the protocol is tcp or udp",
					       arg);
		base.udp = !strcmp(proto, "udp");
	}
	/* the container's port is after the last colon; an IPv6 host address
	 * is in brackets */
	ctr = strrchr(copy, ':');
	if (ctr) {
		*ctr++ = '\0';
		hostport = strrchr(copy, ':');
		if (hostport) {
			*hostport++ = '\0';
			ip = copy;
		} else {
			hostport = copy;
		}
	} else {
		ctr = copy;
	}
	if (ip) {
		size_t l = strlen(ip);
		if (l >= 2 && ip[0] == '[' && ip[l - 1] == ']') {
			ip[l - 1] = '\0';
			ip++;
		}
		unsigned char a[16];
		if (!*ip)
			ip = NULL;
		else if (inet_pton(AF_INET, ip, a) != 1 && inet_pton(AF_INET6, ip, a) != 1)
			return berth_error_set(err, EINVAL, "-p %s: \"%s\" is not an IP address",
					       arg, ip);
	}
	snprintf(base.host_ip, sizeof(base.host_ip), "%s", ip ? ip : DEFAULT_HOST_IP);
	if (!parse_range(ctr, &cfirst, &ccount))
		return berth_error_set(err, EINVAL,
				       "-p %s: expected [[HOSTIP:][HOSTPORT]:]CTRPORT[/tcp|/udp], "
				       "ports 1-65535 or ranges A-B",
				       arg);
	if (hostport && *hostport && !parse_range(hostport, &hfirst, &hcount))
		return berth_error_set(err, EINVAL, "-p %s: bad host port \"%s\"", arg, hostport);
	if (hcount > 1 && hcount != ccount)
		return berth_error_set(
			err, EINVAL, "-p %s: the host and container ranges differ in length", arg);
	if (hcount == 1 && ccount > 1)
		return berth_error_set(err, EINVAL,
				       "-p %s: a range of container ports needs a range of host "
				       "ports (or none)",
				       arg);
	for (unsigned i = 0; i < ccount; i++) {
		struct port_map m = base;
		m.ctr_port = (uint16_t)(cfirst + i);
		m.host_port = hcount ? (uint16_t)(hfirst + i) : 0;
		push_map(maps, n, &m);
	}
	return 0;
}

int ports_from_exposed(struct json_object *exposed, struct port_map **maps, size_t *n,
		       struct berth_error *err)
{
	size_t given = *n;

	if (!exposed || !json_object_is_type(exposed, json_type_object))
		return 0;
	json_object_object_foreach(exposed, key, val)
	{
		(void)val;
		struct port_map *parsed = NULL;
		size_t np = 0;
		/* an image's key is "80/tcp": the container's port only */
		if (strchr(key, ':') || ports_parse(key, &parsed, &np, err) < 0) {
			free(parsed);
			if (!err->msg)
				berth_error_set(err, EINVAL, "the image's ExposedPorts: \"%s\"",
						key);
			return berth_error_wrap(err, "-P");
		}
		for (size_t i = 0; i < np; i++) {
			bool taken = false;
			for (size_t j = 0; j < given && !taken; j++)
				taken = (*maps)[j].ctr_port == parsed[i].ctr_port &&
					(*maps)[j].udp == parsed[i].udp;
			if (!taken)
				push_map(maps, n, &parsed[i]);
		}
		free(parsed);
	}
	return 0;
}

int ports_check_duplicates(const struct port_map *m, size_t n, struct berth_error *err)
{
	for (size_t i = 0; i < n; i++)
		for (size_t j = i + 1; j < n; j++)
			if (m[i].host_port && m[i].host_port == m[j].host_port &&
			    m[i].udp == m[j].udp && !strcmp(m[i].host_ip, m[j].host_ip))
				return berth_error_set(
					err, EINVAL, "-p: host port %s:%u/%s is published twice",
					m[i].host_ip, m[i].host_port, m[i].udp ? "udp" : "tcp");
	return 0;
}

void ports_host(const struct port_map *m, char *buf, size_t len)
{
	bool v6 = strchr(m->host_ip, ':') != NULL;
	snprintf(buf, len, "%s%s%s:%u", v6 ? "[" : "", m->host_ip, v6 ? "]" : "", m->host_port);
}

void ports_format(const struct port_map *m, char *buf, size_t len)
{
	char host[64];

	ports_host(m, host, sizeof(host));
	snprintf(buf, len, "%s->%u/%s", host, m->ctr_port, m->udp ? "udp" : "tcp");
}

struct json_object *ports_to_json(const struct port_map *m, size_t n)
{
	struct json_object *arr = json_object_new_array();

	for (size_t i = 0; i < n; i++) {
		struct json_object *o = json_object_new_object();
		json_object_object_add(o, "HostIp", json_object_new_string(m[i].host_ip));
		json_object_object_add(o, "HostPort", json_object_new_int(m[i].host_port));
		json_object_object_add(o, "ContainerPort", json_object_new_int(m[i].ctr_port));
		json_object_object_add(o, "Protocol",
				       json_object_new_string(m[i].udp ? "udp" : "tcp"));
		json_object_array_add(arr, o);
	}
	return arr;
}

int ports_from_json(struct json_object *arr, struct port_map **maps, size_t *n,
		    struct berth_error *err)
{
	size_t len = arr && json_object_is_type(arr, json_type_array)
			     ? json_object_array_length(arr)
			     : 0;

	*maps = xcalloc(len + 1, sizeof(**maps));
	*n = len;
	for (size_t i = 0; i < len; i++) {
		struct json_object *o = json_object_array_get_idx(arr, i), *v;
		struct port_map *m = &(*maps)[i];
		int64_t hp = json_object_object_get_ex(o, "HostPort", &v) ? json_object_get_int64(v)
									  : -1;
		int64_t cp = json_object_object_get_ex(o, "ContainerPort", &v)
				     ? json_object_get_int64(v)
				     : -1;
		const char *ip = json_object_object_get_ex(o, "HostIp", &v)
					 ? json_object_get_string(v)
					 : NULL;
		const char *pr = json_object_object_get_ex(o, "Protocol", &v)
					 ? json_object_get_string(v)
					 : NULL;
		if (hp < 0 || hp > 65535 || cp < 1 || cp > 65535 || !ip || !pr ||
		    strlen(ip) >= sizeof(m->host_ip)) {
			free(*maps);
			*maps = NULL;
			*n = 0;
			return berth_error_set(err, EINVAL, "config.json: port %zu is not valid",
					       i);
		}
		snprintf(m->host_ip, sizeof(m->host_ip), "%s", ip);
		m->host_port = (uint16_t)hp;
		m->ctr_port = (uint16_t)cp;
		m->udp = !strcmp(pr, "udp");
	}
	return 0;
}

static unsigned unprivileged_floor(void)
{
	_cleanup_fclose_ FILE *f = fopen("/proc/sys/net/ipv4/ip_unprivileged_port_start", "re");
	unsigned v = 1024;

	if (f && fscanf(f, "%u", &v) != 1)
		v = 1024;
	return v;
}

int ports_bind(struct port_map *m, size_t n, int *fds, struct berth_error *err)
{
	unsigned floor = unprivileged_floor();
	size_t i;

	for (i = 0; i < n; i++)
		fds[i] = -1;
	for (i = 0; i < n; i++) {
		struct sockaddr_storage ss = { 0 };
		socklen_t sl;
		bool v6 = strchr(m[i].host_ip, ':') != NULL;
		char what[96];
		int one = 1;

		ports_format(&m[i], what, sizeof(what));
		if (m[i].host_port && m[i].host_port < floor) {
			berth_error_set(
				err, EACCES,
				"-p %s: port %u is below net.ipv4.ip_unprivileged_port_start "
				"(%u), which a user may not bind (use a port >= %u, or lower "
				"the sysctl)",
				what, m[i].host_port, floor, floor);
			goto fail;
		}
		if (v6) {
			struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
			a->sin6_family = AF_INET6;
			a->sin6_port = htons(m[i].host_port);
			inet_pton(AF_INET6, m[i].host_ip, &a->sin6_addr);
			sl = sizeof(*a);
		} else {
			struct sockaddr_in *a = (struct sockaddr_in *)&ss;
			a->sin_family = AF_INET;
			a->sin_port = htons(m[i].host_port);
			inet_pton(AF_INET, m[i].host_ip, &a->sin_addr);
			sl = sizeof(*a);
		}
		fds[i] = socket(
			v6 ? AF_INET6 : AF_INET,
			(m[i].udp ? SOCK_DGRAM : SOCK_STREAM) | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
		if (fds[i] < 0) {
			berth_error_set(err, errno, "-p %s: socket", what);
			goto fail;
		}
		if (!m[i].udp)
			setsockopt(fds[i], SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		/* [::] means IPv6 only: without IPV6_V6ONLY (net.ipv6.bindv6only
		 * is 0 by default) it would also take every IPv4 address,
		 * 127.0.0.1 and 0.0.0.0's included, which nobody asked for */
		if (v6 && setsockopt(fds[i], IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)) < 0) {
			berth_error_set(err, errno, "-p %s: IPV6_V6ONLY", what);
			goto fail;
		}
		if (bind(fds[i], (struct sockaddr *)&ss, sl) < 0 ||
		    (!m[i].udp && listen(fds[i], 128) < 0)) {
			berth_error_set(err, errno, "-p %s: %s:%u%s", what, m[i].host_ip,
					m[i].host_port, errno == EADDRINUSE ? " is in use" : "");
			goto fail;
		}
		if (getsockname(fds[i], (struct sockaddr *)&ss, &sl) == 0)
			m[i].host_port = ntohs(v6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
						  : ((struct sockaddr_in *)&ss)->sin_port);
	}
	return 0;
fail:
	for (size_t j = 0; j <= i && j < n; j++)
		if (fds[j] >= 0) {
			close(fds[j]);
			fds[j] = -1;
		}
	return -1;
}
