// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * hostrelay.c: what the host-loopback setting (hostloop.h) makes at a
 * container's start, parent side.
 *
 * Listed ports: the relay must accept inside the container's network
 * namespace and connect in the host's. Sockets keep the namespace they
 * were made in, so a short-lived child joins the container's user and
 * network namespaces, makes the gateway address an address of lo and
 * binds a listener there per port, and sends them back (SCM_RIGHTS,
 * fdpass.c); the relay process itself never leaves the host's namespace,
 * and relay.c moves the bytes. The listeners are bound to lo: only the
 * container's own processes reach them, never a packet from a network.
 *
 * Every port on a user network: the network's slirp4netns is shared and
 * has no host loopback (a container could otherwise reach it with forged
 * frames whatever its routes say), so the container gets a slirp4netns
 * of its own for the gateway address only; the same kind of child brings
 * its tap up and routes the gateway through it.
 *
 * Not here: starting slirp4netns (slirp.c) and when each step runs
 * (runner/launch.c).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../lib/util.h"
#include "fdpass.h"
#include "hostloop.h"
#include "link.h"
#include "relay.h"

#define MTU 65520

/* Work done inside the container's namespaces: fills fds[0..*n). */
typedef int (*ns_job)(const void *arg, int *fds, size_t *n, struct berth_error *err);

_noreturn_ static void job_child(int sock, int userns, int netns, ns_job fn, const void *arg)
{
	struct berth_error err = { 0 };
	int fds[FDPASS_MAX];
	size_t n = 0;

	if (setns(userns, CLONE_NEWUSER) < 0)
		berth_error_set(&err, errno, "joining the container's user namespace");
	else if (setns(netns, CLONE_NEWNET) < 0)
		berth_error_set(&err, errno, "joining the container's network namespace");
	else
		fn(arg, fds, &n, &err);
	if (err.msg) {
		_cleanup_free_ char *t = berth_error_text(&err);
		_cleanup_free_ char *msg = xasprintf("error %s", t);
		fdpass_send(sock, msg, NULL, 0);
		_exit(1);
	}
	_exit(fdpass_send(sock, "ok", fds, n) < 0);
}

/* Run fn in a child inside holder's user and network namespaces; the fds
 * it made arrive in fds (exactly want of them). */
static int in_container_net(pid_t holder, ns_job fn, const void *arg, int *fds, size_t want,
			    struct berth_error *err)
{
	_cleanup_free_ char *up = xasprintf("/proc/%d/ns/user", holder);
	_cleanup_free_ char *np = xasprintf("/proc/%d/ns/net", holder);
	_cleanup_close_ int userns = open(up, O_RDONLY | O_CLOEXEC);
	_cleanup_close_ int netns = open(np, O_RDONLY | O_CLOEXEC);
	int sp[2], got[FDPASS_MAX];
	char msg[512];
	size_t n = 0;
	pid_t pid;

	if (userns < 0 || netns < 0)
		return berth_error_set(err, errno, "the container's namespaces (%s)", np);
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) < 0)
		return berth_error_set(err, errno, "socketpair");
	pid = fork();
	if (pid == 0) {
		close(sp[0]);
		job_child(sp[1], userns, netns, fn, arg);
	}
	close(sp[1]);
	ssize_t r = pid < 0 ? -1 : fdpass_recv(sp[0], msg, sizeof(msg), got, FDPASS_MAX, &n);
	int saved = errno;
	close(sp[0]);
	if (pid < 0)
		return berth_error_set(err, errno, "fork");
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
	if (r > 0 && !strcmp(msg, "ok") && n == want) {
		if (n > 0)
			memcpy(fds, got, n * sizeof(int));
		return 0;
	}
	for (size_t i = 0; i < n; i++)
		close(got[i]);
	if (r > 6 && str_has_prefix(msg, "error "))
		return berth_error_set(err, 0, "%s", msg + 6);
	return berth_error_set(err, r < 0 ? saved : 0,
			       "the child that sets up the container's network ended early");
}

/* ---- listed ports ---- */

struct listen_job {
	struct in_addr gw;
	const struct hostloop *h;
};

static int bind_one(struct in_addr gw, const struct hostloop_port *p, struct berth_error *err)
{
	struct sockaddr_in a = { .sin_family = AF_INET,
				 .sin_port = htons(p->port),
				 .sin_addr = gw };
	int fd = socket(AF_INET, (p->udp ? SOCK_DGRAM : SOCK_STREAM) | SOCK_NONBLOCK | SOCK_CLOEXEC,
			0);
	int one = 1;

	if (fd < 0)
		return berth_error_set(err, errno, "socket");
	if (!p->udp)
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	/* lo only: the address is local, so a packet for it arriving on
	 * eth0 (another container of a user network sending to our MAC)
	 * would be taken too */
	if (setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, "lo", 3) < 0 ||
	    bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 || (!p->udp && listen(fd, 128) < 0)) {
		berth_error_set(err, errno, "host loopback port %u/%s", p->port,
				p->udp ? "udp" : "tcp");
		close(fd);
		return -1;
	}
	return fd;
}

static int make_listeners(const void *arg, int *fds, size_t *n, struct berth_error *err)
{
	const struct listen_job *j = arg;
	_cleanup_close_ int nl = link_socket(err);
	int lo;

	if (nl < 0 || (lo = link_index(nl, "lo", err)) < 0 ||
	    link_add_addr4(nl, lo, j->gw, 32, err) < 0)
		return -1;
	for (size_t i = 0; i < j->h->n_ports; i++) {
		int fd = bind_one(j->gw, &j->h->ports[i], err);
		if (fd < 0)
			return -1; /* (the child's end closes what it made) */
		fds[(*n)++] = fd;
	}
	return 0;
}

int hostloop_listen(pid_t holder, struct in_addr gw, const struct hostloop *h, int *fds,
		    struct berth_error *err)
{
	struct listen_job j = { gw, h };

	if (in_container_net(holder, make_listeners, &j, fds, h->n_ports, err) < 0) {
		_cleanup_free_ char *t = hostloop_ports_text(h);
		return berth_error_wrap(err, "the host's loopback, ports %s", t);
	}
	return 0;
}

pid_t hostloop_relay(pid_t holder, const struct hostloop *h, const int *fds,
		     struct berth_error *err)
{
	_cleanup_close_ int pidfd = (int)syscall(SYS_pidfd_open, holder, 0);
	pid_t pid;

	if (pidfd < 0)
		return berth_error_set(err, errno, "pidfd_open %d", (int)holder);
	pid = fork();
	if (pid < 0)
		return berth_error_set(err, errno, "fork");
	if (pid > 0)
		return pid;
	int *keep = xcalloc(h->n_ports + 1, sizeof(int));
	struct relay_route *r = xcalloc(h->n_ports + 1, sizeof(*r));
	keep[0] = pidfd;
	for (size_t i = 0; i < h->n_ports; i++) {
		keep[i + 1] = fds[i];
		r[i] = (struct relay_route){
			.fd = fds[i],
			.udp = h->ports[i].udp,
			.to = { .sin_family = AF_INET,
				.sin_port = htons(h->ports[i].port),
				.sin_addr.s_addr = htonl(INADDR_LOOPBACK) },
		};
	}
	relay_child_init("berth-hostloop", keep, h->n_ports + 1);
	relay_run(r, h->n_ports, pidfd);
}

/* ---- every port, on a user network ---- */

struct tap_job {
	const char *tap;
	struct in_addr addr, gw;
};

static int route_tap(const void *arg, int *fds, size_t *n, struct berth_error *err)
{
	const struct tap_job *j = arg;
	_cleanup_close_ int nl = link_socket(err);
	struct in_addr none = { 0 };
	int tap;

	(void)fds;
	(void)n;
	/* the address too, though the route alone would do: a host whose
	 * arp_ignore is 1 (inherited by new namespaces) answers ARP only
	 * for an address of the link asked on */
	if (nl < 0 || (tap = link_index(nl, j->tap, err)) < 0 ||
	    link_set_mtu(nl, tap, MTU, err) < 0 || link_add_addr4(nl, tap, j->addr, 32, err) < 0 ||
	    link_set_up(nl, tap, err) < 0 ||
	    link_add_route4(nl, j->gw, 32, none, tap, RTN_UNICAST, err) < 0)
		return -1;
	return 0;
}

int hostloop_route_tap(pid_t holder, const char *tap, struct in_addr addr, struct in_addr gw,
		       struct berth_error *err)
{
	struct tap_job j = { tap, addr, gw };

	if (in_container_net(holder, route_tap, &j, NULL, 0, err) < 0)
		return berth_error_wrap(err, "the host's loopback through %s", tap);
	return 0;
}
