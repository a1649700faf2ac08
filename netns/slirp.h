/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * slirp.h: a container's outbound network through slirp4netns (slirp.c).
 */
#ifndef BERTH_NETNS_SLIRP_H
#define BERTH_NETNS_SLIRP_H

#include <stdbool.h>
#include <sys/types.h>

#include "../lib/error.h"

/* slirp's fixed addresses in the container's network (10.0.2.0/24) */
#define NETNS_SLIRP_HOST "10.0.2.2" /* the host's loopback, unless disabled */
#define NETNS_SLIRP_DNS "10.0.2.3"

struct netns_slirp_opts {
	pid_t target;	    /* a process in the network (and user) namespace */
	bool host_loopback; /* its gateway (.2) reaches the host's 127.0.0.1 */
	int exit_fd;	    /* slirp4netns ends when this pipe's other end closes */
	const char *log;    /* its stderr (it reports on every start) */
	/* a user network's bridge namespace (keeper.c): the namespace by
	 * an fd inherited as /proc/self/fd/N (the caller being in its user
	 * namespace already), the subnet, and no --configure: its tap0 is
	 * a bridge port, configured by the caller */
	int netns_fd; /* -1: target's */
	const char *cidr;
	/* netns_slirp_start: where to write why the container was ended
	 * when slirp4netns cannot be kept running (NULL: nowhere), and the
	 * signal that ends it, sent to target */
	const char *end_reason;
	int end_signal;
	/* the tap device's name (NULL: tap0), and whether the caller
	 * configures it (a container's second slirp4netns, hostloop.c) */
	const char *tap;
	bool no_configure;
};

/* The container's own address on the default network (--configure). */
#define NETNS_SLIRP_GUEST "10.0.2.100"

/* Is slirp4netns there and /dev/net/tun usable? An error naming the fix
 * otherwise (checked before a container is made). */
int netns_slirp_check(struct berth_error *err);
/* Start slirp4netns on the target's namespace and wait until it has
 * configured tap0 (address, route, MTU 65520). It is not the caller's
 * child but a supervisor's, which restarts it when it dies or stops
 * while the container runs (saying so on the caller's stderr), and, when
 * it cannot (SLIRP_MAX_RESTARTS in a minute, or a restart fails), ends
 * the container with the reason in o->end_reason. Both end by
 * themselves when the exit fd's other end closes. The supervisor is
 * double-forked: the caller is to be a child subreaper (proc_subreaper),
 * which it is re-parented to, and reap it (proc_reap_children) once the
 * container has ended. */
#define SLIRP_MAX_RESTARTS 5
int netns_slirp_start(const struct netns_slirp_opts *o, struct berth_error *err);
/* The same as the caller's own child (*pid): the keeper reaps its own. */
int netns_slirp_spawn(const struct netns_slirp_opts *o, pid_t *pid, struct berth_error *err);

#endif
