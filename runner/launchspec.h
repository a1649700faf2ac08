/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * launchspec.h: what a container's processes are started from: struct
 * launch_spec, which the engine builds from a container's run_config
 * (start.c), and the few names the launch's helpers share with it (the
 * kill signal, the end-reason file). A header of its own so that the
 * parts of a launch (launch.c, launchnet.c) and its users (copy.c,
 * netjoin.c, monitor.c) need not include each other.
 */
#ifndef BERTH_LAUNCHSPEC_H
#define BERTH_LAUNCHSPEC_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/resource.h>

#include "../netns/attach.h"
#include "../netns/hostloop.h"

struct mount_req;
struct port_map;
struct rootfs_secret;
struct seccomp_filters;

/* One --ulimit: set before exec. */
struct launch_rlimit {
	int resource;
	struct rlimit lim;
};
#define LAUNCH_MAX_ULIMITS 16

/* What to run: everything resolved except the user, which is looked up
 * in the container's own /etc/passwd and /etc/group. */
struct launch_spec {
	const char *dir;      /* the container's directory (absolute) */
	const char *lowerdir; /* berth-fs layers, top first, ':'-separated */
	char **argv;	      /* NULL-terminated */
	char **env;	      /* NULL-terminated KEY=VALUE */
	const char *workdir;
	const char *user; /* "name|uid[:group|gid]", NULL for root */
	const char *hostname;
	uint64_t caps;
	bool read_only, init, no_new_privs, seccomp, own_netns, interactive;
	const struct seccomp_filters *seccomp_filters; /* with seccomp: compiled, to load */
	bool volatile_upper;	   /* the writable layer goes with the container (--rm) */
	unsigned short rows, cols; /* -t: the terminal's first size (0: unknown) */
	bool tty; /* a terminal of the container's own devpts (launch_start: p->console) */
	const struct mount_req *mounts; /* volumes, binds, tmpfs; parents first */
	size_t n_mounts;
	const struct rootfs_secret *secrets; /* secrets as files */
	size_t n_secrets;
	bool keep_id; /* --userns=keep-id (userns.h) */
	/* --network slirp4netns: slirp4netns is started on the container's
	 * network namespace before its command runs (netns/slirp.c) */
	bool slirp;
	/* the way to the host's loopback (netns/hostloop.h): the zero value
	 * is none, so a caller that does not choose gives none; `run` chooses
	 * every port unless berth.conf says otherwise */
	struct hostloop host_loopback;
	/* --network NAME: the keeper's user namespace is joined instead of a
	 * new one made, and the container plugged into the network's bridge
	 * (netns/attach.h; netjoin.c fills these) */
	bool on_network;
	int join_userns_fd;
	struct netns_attach attach;
	/* published ports: host sockets bound by the caller (netns/ports.h),
	 * handed to the forwarder once the container runs */
	const struct port_map *ports;
	const int *port_fds;
	size_t n_ports;
	struct launch_rlimit ulimits[LAUNCH_MAX_ULIMITS];
	size_t n_ulimits;
};

/* The signal that, sent to the process that stands for a container (the
 * holder, launch.h), kills the container's pid 1 while the holder itself
 * survives to clean up: SIGKILL cannot be caught and passed on. */
static inline int launch_kill_signal(void)
{
	return SIGRTMIN + 1;
}

/* Why the container ended, when berth ended it because a helper
 * (berth-fs, slirp4netns) died or stopped: the holder and the network's
 * supervisor write it into the container's directory under this name
 * (launch_end_reason reads it). */
#define END_REASON_FILE "end-reason"

#endif
