// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * launchnet.c: the parent's part in a container's network (launchnet.h).
 *
 *   default network     slirp4netns on the container's namespace, with
 *                       host loopback only when every port is allowed;
 *                       with listed ports, berth's relay listeners on
 *                       10.0.2.2 instead (netns/hostrelay.c).
 *   user network        the container is plugged in by its holder
 *                       (netns/attach.c); the network's shared
 *                       slirp4netns has no host loopback, so every port
 *                       means a slirp4netns of the container's own on
 *                       tap1, reached for the gateway address only, and
 *                       listed ports the relay listeners on the gateway.
 *   after the exec      the published ports' forwarder (to the
 *                       container's own address) and the relay.
 *
 * Not here: the holder's and pid 1's side of the handshake (launch.c).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../netns/ports.h"
#include "../netns/slirp.h"
#include "launchnet.h"
#include "../lib/util.h"

#define OWN_TAP "tap1"

/* The gateway (host.docker.internal): 0 when there is none. */
static struct in_addr gateway(const struct launch_spec *s)
{
	struct in_addr gw = { 0 };

	if (s->on_network)
		return s->attach.gw;
	if (s->slirp)
		inet_pton(AF_INET, NETNS_SLIRP_HOST, &gw);
	return gw;
}

static enum hostloop_mode mode_of(const struct launch_spec *s)
{
	return gateway(s).s_addr ? s->host_loopback.mode : HOSTLOOP_OFF;
}

/* A user network's container with every port: its own slirp4netns. */
static bool own_slirp(const struct launch_spec *s)
{
	return s->on_network && mode_of(s) == HOSTLOOP_ALL;
}

bool launchnet_has_step(const struct launch_spec *s)
{
	return s->slirp || own_slirp(s) || mode_of(s) == HOSTLOOP_PORTS;
}

static int start_slirp(const struct launch_spec *s, pid_t holder, int exit_fd,
		       struct berth_error *err)
{
	_cleanup_free_ char *log =
		xasprintf("%s/slirp4netns%s.log", s->dir, s->slirp ? "" : "-host");
	_cleanup_free_ char *cidr = NULL;
	/* when it cannot be kept running, its supervisor ends the container
	 * and says why (launch_end_reason) */
	_cleanup_free_ char *reason = xasprintf("%s/" END_REASON_FILE, s->dir);
	struct netns_slirp_opts o = { .target = holder,
				      .netns_fd = -1,
				      .host_loopback = mode_of(s) == HOSTLOOP_ALL,
				      .exit_fd = exit_fd,
				      .log = log,
				      .end_reason = reason,
				      .end_signal = launch_kill_signal() };

	if (!s->slirp) {
		/* the network's own addresses, so that its gateway is ours */
		char a[INET_ADDRSTRLEN];
		struct in_addr net = { s->attach.addr.s_addr &
				       htonl(s->attach.prefix ? ~0u << (32 - s->attach.prefix)
							      : 0) };
		inet_ntop(AF_INET, &net, a, sizeof(a));
		cidr = xasprintf("%s/%u", a, s->attach.prefix);
		o.cidr = cidr;
		o.tap = OWN_TAP;
		o.no_configure = true;
	}
	if (netns_slirp_start(&o, err) < 0)
		return -1;
	if (!s->slirp)
		return hostloop_route_tap(holder, OWN_TAP, s->attach.addr, s->attach.gw, err);
	return 0;
}

int launchnet_configure(const struct launch_spec *s, pid_t holder, int exit_fd,
			struct launch_net *ln, struct berth_error *err)
{
	if ((s->slirp || own_slirp(s)) && start_slirp(s, holder, exit_fd, err) < 0)
		return -1;
	if (mode_of(s) != HOSTLOOP_PORTS)
		return 0;
	if (hostloop_listen(holder, gateway(s), &s->host_loopback, ln->relay_fds, err) < 0)
		return -1;
	ln->n_relay_fds = s->host_loopback.n_ports;
	return 0;
}

int launchnet_relays(const struct launch_spec *s, pid_t holder, struct launch_net *ln,
		     struct berth_error *err)
{
	if (s->n_ports > 0) {
		/* the container's own address: its services never see a
		 * published port's client come from their loopback */
		struct in_addr inside = s->attach.addr;
		if (!s->on_network)
			inet_pton(AF_INET, NETNS_SLIRP_GUEST, &inside);
		ln->forwarder =
			ports_forward(holder, s->ports, s->n_ports, s->port_fds, inside, err);
		if (ln->forwarder < 0) {
			ln->forwarder = 0;
			return -1;
		}
	}
	if (ln->n_relay_fds > 0) {
		ln->relay = hostloop_relay(holder, &s->host_loopback, ln->relay_fds, err);
		if (ln->relay < 0) {
			ln->relay = 0;
			return -1;
		}
		/* the relay has them: copies here would keep the ports bound */
		launchnet_clear(ln);
	}
	return 0;
}

static void reap(pid_t *pid)
{
	int st;

	if (*pid > 0)
		while (waitpid(*pid, &st, 0) < 0 && errno == EINTR)
			;
	*pid = 0;
}

void launchnet_wait(struct launch_net *ln)
{
	reap(&ln->forwarder);
	reap(&ln->relay);
	launchnet_clear(ln);
}

void launchnet_clear(struct launch_net *ln)
{
	for (size_t i = 0; i < ln->n_relay_fds; i++)
		close(ln->relay_fds[i]);
	ln->n_relay_fds = 0;
}
