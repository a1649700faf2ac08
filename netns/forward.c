// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * forward.c: the published ports' forwarder, rootlesskit's "builtin"
 * driver done in one process. It is forked with the host sockets already
 * bound (ports.c), then joins the container's user namespace (only to be
 * allowed the next step) and network namespace. From then on every socket
 * it makes is in the container's network, while the listening sockets it
 * holds stay in the host's: an accepted connection is joined to a new
 * connection to the container's own address (never its loopback: a
 * service that trusts 127.0.0.1 must not see the network's clients come
 * from there, the CVE-2021-20199 class), and relay.c moves the bytes,
 * never through slirp4netns. It ends when the container's holder does.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "ports.h"
#include "relay.h"

pid_t ports_forward(pid_t holder, const struct port_map *m, size_t n, const int *fds,
		    struct in_addr inside, struct berth_error *err)
{
	_cleanup_free_ char *up = xasprintf("/proc/%d/ns/user", holder);
	_cleanup_free_ char *np = xasprintf("/proc/%d/ns/net", holder);
	_cleanup_close_ int userns = open(up, O_RDONLY | O_CLOEXEC);
	_cleanup_close_ int netns = open(np, O_RDONLY | O_CLOEXEC);
	_cleanup_close_ int pidfd = (int)syscall(SYS_pidfd_open, holder, 0);
	pid_t pid;

	if (userns < 0 || netns < 0 || pidfd < 0)
		return berth_error_set(err, errno, "the container's network namespace (%s)", np);
	pid = fork();
	if (pid < 0)
		return berth_error_set(err, errno, "fork");
	if (pid > 0)
		return pid;
	/* only what the loop needs */
	int *keep = xcalloc(n + 3, sizeof(int));
	keep[0] = userns;
	keep[1] = netns;
	keep[2] = pidfd;
	for (size_t i = 0; i < n; i++)
		keep[3 + i] = fds[i];
	relay_child_init("berth-ports", keep, 3 + n);
	struct relay_route *r = xcalloc(n + 1, sizeof(*r));
	for (size_t i = 0; i < n; i++)
		r[i] = (struct relay_route){
			.fd = fds[i],
			.udp = m[i].udp,
			.to = { .sin_family = AF_INET,
				.sin_port = htons(m[i].ctr_port),
				.sin_addr = inside },
		};
	if (setns(userns, CLONE_NEWUSER) < 0 || setns(netns, CLONE_NEWNET) < 0)
		_exit(1);
	close(userns);
	close(netns);
	relay_run(r, n, pidfd);
}
