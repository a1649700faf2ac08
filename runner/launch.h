/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * launch.h: starting a container's processes (launch.c): the user
 * namespace, the other namespaces, berth-fs, the container's init, and
 * the wait for its end.
 */
#ifndef BERTH_LAUNCH_H
#define BERTH_LAUNCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/resource.h>
#include <sys/types.h>

#include "../netns/attach.h"
#include "../netns/hostloop.h"
#include "../lib/error.h"
#include "rootfs.h"

struct port_map;
struct seccomp_filters;

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
	bool tty; /* a terminal of the container's own devpts (launch_start: *console) */
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
	struct launch_rlimit {
		int resource;
		struct rlimit lim;
	} ulimits[16]; /* --ulimit, set before exec */
	size_t n_ulimits;
};

/* Run the container to its end; *status is what `run` exits with: the
 * command's code, 128+N for signal N, 126/127 when it could not start.
 * Returns -1 with err when the container could not be set up at all. */
int launch_run(const struct launch_spec *s, int *status, struct berth_error *err);
/* The same in two steps: start returns once the command runs, with the
 * pid of the process that stands for the container (signals sent to it
 * reach the container's pid 1); on failure *status is set as above.
 * wait returns the status. The caller's SIGINT, SIGTERM, SIGHUP, SIGQUIT,
 * SIGUSR1/2 and SIGWINCH are forwarded meanwhile. */
int launch_start(const struct launch_spec *s, pid_t *pid, int *status, struct berth_error *err);
/* With s->tty: the terminal's master side, for the caller to relay
 * (console.c); -1 otherwise. */
extern int launch_console;
/* ... and berth's own fd on its slave side, which keeps the terminal from
 * hanging up (and dropping unread output) when the command ends: close it
 * once the command has ended and the master is drained. */
extern int launch_console_peer;
int launch_wait(pid_t pid);
/* Start s's command in the running container whose pid 1 is init (host
 * pid): its namespaces, then the same user switch, capabilities,
 * no_new_privs and seccomp as the container's command (and with s->tty a
 * terminal in launch_console); launch_wait(pid) for its status. */
int launch_exec_start(pid_t init, const struct launch_spec *s, pid_t *pid, int *status,
		      struct berth_error *err);
/* Mount a stopped container's root (berth-fs in a user and mount
 * namespace of its own, as the container's holder does) and run fn on
 * it in that process; fn's error travels back. */
int launch_with_root(const struct launch_spec *s,
		     int (*fn)(int rootfd, void *arg, struct berth_error *err), void *arg,
		     struct berth_error *err);
/* The signal that, sent to that pid, kills the container's pid 1 (the
 * process itself survives to clean up). */
int launch_kill_signal(void);

/* Why the container ended, when berth ended it because a helper
 * (berth-fs, slirp4netns) died or stopped: the holder and the network's
 * supervisor write it into the container's directory; launch_start
 * removes a stale one. Returns the text (the caller frees it) or NULL,
 * and removes the file. */
#define END_REASON_FILE "end-reason"
char *launch_end_reason(const char *dir);

#endif
