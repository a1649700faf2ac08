// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * keeper.c: the per-user network keeper, `berth-netd`, and its client.
 *
 * Joining a network namespace takes CAP_SYS_ADMIN in the user namespace
 * that owns it, so the containers of one user network must share a user
 * namespace. The keeper is root of that namespace (mapped like any
 * container's, by newuidmap) and holds, for each user network in use, a
 * bridge namespace: br0, and unless the network is --internal a
 * slirp4netns whose tap0 is a port of br0, so slirp's virtual network is
 * the network's subnet and every container on the bridge reaches slirp's
 * gateway and DNS forwarder without NAT (never the host's loopback
 * through it: see start_slirp). A
 * container's holder joins the user namespace, makes its own network
 * namespace and plugs a veth pair into the bridge (attach.c).
 *
 * It listens on $RUNTIME/netd.sock (SOCK_SEQPACKET, the user's own
 * directory): "up\tNAME\tCIDR\tINTERNAL\tLOG" answers with the user and
 * bridge namespaces' fds; "down\tNAME" drops a network. A network with no
 * container on its bridge for IDLE_SECONDS goes down by itself, and the
 * keeper leaves when it holds none: nothing lingers after the last
 * container on a user network. It is not in any container's way: a dead
 * keeper only cuts the running containers' user networks; the next start
 * makes a new one.
 *
 * It stays in the host's network namespace (slirp4netns must start
 * there: its sockets are the containers' way out), so each bridge
 * namespace is made by a short-lived child that sends back the
 * namespace's fd and a netlink socket in it.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>

#include "../lib/rundir.h"
#include "../lib/syscalls.h"
#include "../lib/userns.h"
#include "../lib/util.h"
#include "fdpass.h"
#include "keeper.h"
#include "link.h"
#include "slirp.h"

#define IDLE_SECONDS 10
#define MTU 65520
#define MAX_NETS 64
#define FD_LISTEN 3 /* the keeper's fds across its exec */
#define FD_READY 4

/* ---- both sides ---- */

static char *socket_path(struct berth_error *err)
{
	_cleanup_free_ char *rt = NULL;

	if (rundir_path(&rt, err) < 0)
		return NULL;
	char *p = xasprintf("%s/netd.sock", rt);
	if (strlen(p) >= sizeof(((struct sockaddr_un *)0)->sun_path)) {
		berth_error_set(err, ENAMETOOLONG, "%s: too long for a socket address", p);
		free(p);
		return NULL;
	}
	return p;
}

static ssize_t send_with_fds(int sock, const char *text, const int *fds, size_t n_fds)
{
	return fdpass_send(sock, text, fds, n_fds);
}

/* One message of at most len-1 bytes (NUL-terminated), and up to two
 * fds (-1 where none came). */
static ssize_t recv_with_fds(int sock, char *buf, size_t len, int fds[2])
{
	size_t n;

	fds[0] = fds[1] = -1;
	return fdpass_recv(sock, buf, len, fds, 2, &n);
}

/* ---- the keeper ---- */

struct knet {
	char *name;
	int nsfd;	  /* the bridge namespace */
	int nl;		  /* a netlink socket in it */
	int exit_wr;	  /* slirp4netns ends when this closes (-1: internal) */
	pid_t slirp;	  /* 0: internal */
	char *cidr, *log; /* to start it again (watch_slirp) */
	int restarts;	  /* ... since restart_window */
	time_t restart_window;
	size_t base;  /* its links without containers: lo, br0, tap0, ... */
	time_t since; /* last asked for, or last seen with containers */
};

static struct knet nets[MAX_NETS];
static size_t n_nets;

static void net_down(struct knet *k)
{
	if (k->exit_wr >= 0)
		close(k->exit_wr);
	close(k->nl);
	close(k->nsfd);
	if (k->slirp > 0)
		waitpid(k->slirp, NULL, 0); /* it ends at its exit fd's EOF */
	free(k->name);
	free(k->cidr);
	free(k->log);
	*k = nets[--n_nets];
}

/* The child that makes a bridge namespace: a new network namespace with
 * lo and br0 up, sent back as its fd and a netlink socket in it. */
_noreturn_ static void bridge_child(int sock)
{
	struct berth_error err = { 0 };
	char msg[256] = "ok";
	int fds[2] = { -1, -1 }, br, lo;

	if (unshare(CLONE_NEWNET) < 0)
		berth_error_set(&err, errno, "a network namespace for the bridge");
	else if ((fds[0] = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC)) < 0)
		berth_error_set(&err, errno, "/proc/self/ns/net");
	else if ((fds[1] = link_socket(&err)) >= 0 && (lo = link_index(fds[1], "lo", &err)) >= 0 &&
		 link_set_up(fds[1], lo, &err) == 0 &&
		 link_add_bridge(fds[1], "br0", MTU, &err) == 0 &&
		 (br = link_index(fds[1], "br0", &err)) >= 0)
		link_set_up(fds[1], br, &err);
	if (err.msg) {
		_cleanup_free_ char *t = berth_error_text(&err);
		snprintf(msg, sizeof(msg), "error %s", t);
		send_with_fds(sock, msg, NULL, 0);
		_exit(1);
	}
	send_with_fds(sock, msg, fds, 2);
	_exit(0);
}

static int make_bridge(int *nsfd, int *nl, struct berth_error *err)
{
	int sp[2], fds[2];
	char msg[256];
	pid_t pid;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) < 0)
		return berth_error_set(err, errno, "socketpair");
	pid = fork();
	if (pid == 0) {
		close(sp[0]);
		bridge_child(sp[1]);
	}
	close(sp[1]);
	ssize_t n = pid < 0 ? -1 : recv_with_fds(sp[0], msg, sizeof(msg), fds);
	close(sp[0]);
	if (pid > 0)
		waitpid(pid, NULL, 0);
	if (n > 0 && !strcmp(msg, "ok") && fds[0] >= 0 && fds[1] >= 0) {
		*nsfd = fds[0];
		*nl = fds[1];
		return 0;
	}
	for (int i = 0; n >= 0 && i < 2; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	if (n > 6 && str_has_prefix(msg, "error "))
		return berth_error_set(err, 0, "%s", msg + 6);
	return berth_error_set(err, errno, "making the bridge namespace");
}

/* slirp4netns on the bridge namespace, its tap0 made a port of br0. */
static int start_slirp(struct knet *k, const char *cidr, const char *log, struct berth_error *err)
{
	int ex[2], tap, br;
	/* never the host's loopback: every container of the network reaches
	 * this slirp4netns, by its routes or by frames it forges (with
	 * CAP_NET_RAW, when a container is given it), so what one container
	 * may reach there all could; a container allowed the host's loopback gets its own way
	 * (netns/hostrelay.c) */
	struct netns_slirp_opts o = {
		.netns_fd = k->nsfd, .host_loopback = false, .cidr = cidr, .log = *log ? log : NULL
	};

	if (pipe2(ex, O_CLOEXEC) < 0)
		return berth_error_set(err, errno, "pipe");
	o.exit_fd = ex[0];
	int r = netns_slirp_spawn(&o, &k->slirp, err);
	close(ex[0]);
	k->exit_wr = ex[1];
	if (r < 0)
		return -1;
	if ((tap = link_index(k->nl, "tap0", err)) < 0 ||
	    (br = link_index(k->nl, "br0", err)) < 0 || link_set_mtu(k->nl, tap, MTU, err) < 0 ||
	    link_set_master(k->nl, tap, br, err) < 0 || link_set_up(k->nl, tap, err) < 0)
		return -1;
	return 0;
}

static struct knet *find_net(const char *name)
{
	for (size_t i = 0; i < n_nets; i++)
		if (!strcmp(nets[i].name, name))
			return &nets[i];
	return NULL;
}

static struct knet *net_up(const char *name, const char *cidr, bool internal, const char *log,
			   struct berth_error *err)
{
	struct knet *k = find_net(name);

	if (k)
		return k;
	if (n_nets == MAX_NETS) {
		berth_error_set(err, EMFILE, "the keeper holds %d networks already", MAX_NETS);
		return NULL;
	}
	k = &nets[n_nets];
	*k = (struct knet){ .nsfd = -1, .nl = -1, .exit_wr = -1 };
	if (make_bridge(&k->nsfd, &k->nl, err) < 0)
		return NULL;
	k->name = xstrdup(name);
	k->cidr = xstrdup(cidr);
	k->log = xstrdup(log);
	n_nets++;
	/* counted, not assumed: a new namespace also gets the fallback
	 * tunnel devices (tunl0, sit0...) of whichever modules are loaded */
	if ((!internal && start_slirp(k, cidr, log, err) < 0) ||
	    link_count(k->nl, &k->base, err) < 0) {
		net_down(k);
		return NULL;
	}
	return k;
}

static void answer(int c, char *req)
{
	struct berth_error err = { 0 };
	char *f[6] = { 0 }, *save = NULL, reply[512];
	size_t n = 0;

	for (char *t = strtok_r(req, "\t", &save); t && n < ARRAY_SIZE(f);
	     t = strtok_r(NULL, "\t", &save))
		f[n++] = t;
	if (n == 5 && !strcmp(f[0], "up")) {
		struct knet *k = net_up(f[1], f[2], !strcmp(f[3], "1"), f[4], &err);
		if (k) {
			_cleanup_close_ int us = open("/proc/self/ns/user", O_RDONLY | O_CLOEXEC);
			int fds[2] = { us, k->nsfd };
			k->since = time(NULL);
			if (us >= 0) {
				send_with_fds(c, "ok", fds, 2);
				return;
			}
			berth_error_set(&err, errno, "/proc/self/ns/user");
		}
	} else if (n == 2 && !strcmp(f[0], "down")) {
		struct knet *k = find_net(f[1]);
		if (k)
			net_down(k);
		send_with_fds(c, "ok", NULL, 0);
		return;
	} else {
		berth_error_set(&err, EINVAL, "the keeper does not know this request");
	}
	_cleanup_free_ char *t = berth_error_text(&err);
	snprintf(reply, sizeof(reply), "error %s", t);
	berth_error_clear(&err);
	send_with_fds(c, reply, NULL, 0);
}

/* A line in the network's slirp4netns log (the keeper has no other
 * voice: its stderr is /dev/null). */
static void note(const struct knet *k, const char *what)
{
	_cleanup_close_ int fd =
		*k->log ? open(k->log, O_WRONLY | O_APPEND | O_NOFOLLOW | O_CLOEXEC) : -1;
	_cleanup_free_ char *line = xasprintf("berth-netd: network %s: %s\n", k->name, what);

	if (fd >= 0 && write_all(fd, line, strlen(line)) < 0) {
		/* nobody to tell */
	}
}

/* A network's slirp4netns that died or stopped is started again (every
 * container of the network lost its way out, and open connections,
 * not its network); SLIRP_MAX_RESTARTS in a minute and it stays down,
 * said in its log. Run at every turn of the keeper's loop. */
static void watch_slirp(void)
{
	for (size_t i = 0; i < n_nets; i++) {
		struct knet *k = &nets[i];
		int st;
		if (k->slirp <= 0 || waitpid(k->slirp, &st, WNOHANG | WUNTRACED) != k->slirp)
			continue;
		if (WIFSTOPPED(st)) {
			kill(k->slirp, SIGKILL);
			waitpid(k->slirp, NULL, 0);
		}
		k->slirp = 0;
		close(k->exit_wr);
		k->exit_wr = -1;
		if (time(NULL) - k->restart_window > 60) {
			k->restart_window = time(NULL);
			k->restarts = 0;
		}
		struct berth_error err = { 0 };
		if (++k->restarts > SLIRP_MAX_RESTARTS) {
			note(k,
			     "slirp4netns ended again: restarted too often, the network has no way "
			     "out until it is brought up anew");
			continue;
		}
		if (start_slirp(k, k->cidr, k->log, &err) < 0) {
			_cleanup_free_ char *t = berth_error_text(&err);
			_cleanup_free_ char *m =
				xasprintf("slirp4netns could not be restarted: %s", t);
			note(k, m);
			berth_error_clear(&err);
			continue;
		}
		note(k, WIFSTOPPED(st) ? "slirp4netns was stopped: restarted it"
				       : "slirp4netns ended: restarted it");
	}
}

/* Networks without containers for IDLE_SECONDS go down; true when none
 * is left. */
static bool reap_idle(void)
{
	time_t now = time(NULL);

	for (size_t i = 0; i < n_nets;) {
		struct berth_error err = { 0 };
		size_t links = 0;
		if (link_count(nets[i].nl, &links, &err) == 0 && links > nets[i].base)
			nets[i].since = now;
		berth_error_clear(&err);
		if (now - nets[i].since >= IDLE_SECONDS)
			net_down(&nets[i]); /* the last one moved to i */
		else
			i++;
	}
	return n_nets == 0;
}

/* The keeper's life after its exec: serve until idle, then leave, taking
 * the start lock so no client starts a new keeper on our socket path
 * between our last check and our unlink. */
int keeper_main(const char *path)
{
	struct sigaction sa = { .sa_handler = SIG_IGN };

	sigaction(SIGPIPE, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	prctl(PR_SET_NAME, "berth-netd");
	fcntl(FD_LISTEN, F_SETFD, FD_CLOEXEC); /* slirp4netns has no use for it */
	if (write(FD_READY, "r", 1) != 1)
		return 1;
	close(FD_READY);
	for (;;) {
		struct pollfd p = { .fd = FD_LISTEN, .events = POLLIN };
		watch_slirp();
		int r = poll(&p, 1, 1000);
		if (r > 0) {
			_cleanup_close_ int c = accept4(FD_LISTEN, NULL, NULL, SOCK_CLOEXEC);
			char req[1024];
			int fds[2];
			struct pollfd q = { .fd = c, .events = POLLIN };
			if (c >= 0 && poll(&q, 1, 2000) > 0 &&
			    recv_with_fds(c, req, sizeof(req), fds) > 0)
				answer(c, req);
			continue;
		}
		if (!reap_idle())
			continue;
		_cleanup_free_ char *lk = xasprintf("%s.lock", path);
		_cleanup_close_ int lock =
			open(lk, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
		if (lock < 0 || flock(lock, LOCK_EX | LOCK_NB) < 0)
			continue;
		/* a client that connected meanwhile is answered first */
		struct pollfd q = { .fd = FD_LISTEN, .events = POLLIN };
		if (poll(&q, 1, 0) > 0)
			continue;
		unlink(path);
		return 0;
	}
}

/* ---- the client ---- */

/* The keeper's first steps, before its exec: a user namespace the parent
 * maps, root in it, then berth again as berth-netd with the listening
 * socket and the ready pipe at known fds. */
_noreturn_ static void keeper_child(const char *path, int listen_fd, int ready_wr, int sync_rd,
				    int sync_wr)
{
	char c = 0;

	pid_t self_pid = getpid();

	/* our pid is the word that the namespace is there to map */
	if (unshare(CLONE_NEWUSER) < 0 ||
	    write(sync_wr, &self_pid, sizeof(self_pid)) != (ssize_t)sizeof(self_pid) ||
	    read(sync_rd, &c, 1) != 1 || c != 1)
		_exit(1);
	if (setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0)
		_exit(1);
	if (dup2(listen_fd, FD_LISTEN) < 0 || dup2(ready_wr, FD_READY) < 0)
		_exit(1);
	close_range(FD_READY + 1, ~0U, 0);
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (null >= 0) {
		dup2(null, 0);
		dup2(null, 1);
		dup2(null, 2);
		if (null > FD_READY)
			close(null);
	}
	/* (its path given: in here getuid() is 0, not the user's) */
	char *argv[] = { "berth-netd", (char *)path, NULL };
	execv("/proc/self/exe", argv);
	_exit(127);
}

/* Start a keeper listening on path (the caller holds the start lock). */
static int spawn_keeper(const char *path, struct berth_error *err)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int to[2], from[2], ready[2];
	struct userns_map m;
	char c;
	pid_t mid, pid = 0;

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	_cleanup_close_ int l = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	unlink(path); /* a dead keeper's */
	if (l < 0 || bind(l, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(l, 64) < 0)
		return berth_error_set(err, errno, "%s", path);
	if (pipe2(to, O_CLOEXEC) < 0 || pipe2(from, O_CLOEXEC) < 0 || pipe2(ready, O_CLOEXEC) < 0)
		return berth_error_set(err, errno, "pipe");
	userns_plan(&m);
	fflush(NULL);
	/* not our child: it outlives this command, in a session of its own */
	mid = fork();
	if (mid == 0) {
		setsid();
		if (fork() == 0)
			keeper_child(path, l, ready[1], to[0], from[1]);
		_exit(0);
	}
	close(to[0]);
	close(from[1]);
	close(ready[1]);
	int r = -1;
	if (mid < 0)
		berth_error_set(err, errno, "fork");
	else if (waitpid(mid, NULL, 0) < 0 || read(from[0], &pid, sizeof(pid)) != sizeof(pid) ||
		 pid <= 0)
		berth_error_set(err, 0, "the network keeper did not start");
	else if (userns_apply(pid, &m, err) < 0)
		kill(pid, SIGKILL);
	else if ((c = 1, write(to[1], &c, 1) != 1) || read(ready[0], &c, 1) != 1)
		berth_error_set(err, 0, "the network keeper died as it started");
	else
		r = 0;
	close(to[1]);
	close(from[0]);
	close(ready[0]);
	if (r < 0)
		unlink(path);
	return r;
}

/* One request, its answer in reply and fds. -1 with errno ENOENT or
 * ECONNREFUSED when no keeper listens, EPIPE when it left meanwhile. */
static int ask(const char *path, const char *req, char *reply, size_t len, int fds[2])
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	_cleanup_close_ int c = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);

	/* a network's first start takes slirp4netns's start; a keeper that
	 * answers nothing in this long is stuck, not busy */
	struct timeval tv = { .tv_sec = 30 };

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	if (c < 0 || connect(c, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0)
		return -1;
	if (send_with_fds(c, req, NULL, 0) < 0)
		return -1;
	ssize_t n = recv_with_fds(c, reply, len, fds);
	if (n <= 0) {
		errno = EPIPE;
		return -1;
	}
	return 0;
}

int keeper_join(const struct keeper_net *n, int *userns_fd, int *netns_fd, struct berth_error *err)
{
	_cleanup_free_ char *path = socket_path(err);
	char cidr[INET_ADDRSTRLEN + 4], reply[512];
	int fds[2];

	if (!path)
		return -1;
	inet_ntop(AF_INET, &n->subnet, cidr, sizeof(cidr));
	snprintf(cidr + strlen(cidr), 4, "/%u", n->prefix);
	_cleanup_free_ char *req =
		xasprintf("up\t%s\t%s\t%d\t%s", n->name, cidr, n->internal, n->log ? n->log : "");
	for (int tries = 0;; tries++) {
		if (ask(path, req, reply, sizeof(reply), fds) == 0)
			break;
		if (tries == 3 || (errno != ENOENT && errno != ECONNREFUSED && errno != EPIPE))
			return berth_error_set(err, errno, "the network keeper (%s)", path);
		/* none listens: start one, unless another command just did */
		_cleanup_free_ char *lk = xasprintf("%s.lock", path);
		_cleanup_close_ int lock =
			open(lk, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
		if (lock < 0 || flock(lock, LOCK_EX) < 0)
			return berth_error_set(err, errno, "%s", lk);
		if (ask(path, req, reply, sizeof(reply), fds) == 0)
			break;
		if (spawn_keeper(path, err) < 0)
			return -1;
	}
	if (!strcmp(reply, "ok") && fds[0] >= 0 && fds[1] >= 0) {
		*userns_fd = fds[0];
		*netns_fd = fds[1];
		return 0;
	}
	for (int i = 0; i < 2; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	return berth_error_set(err, 0, "network %s: %s", n->label ? n->label : n->name,
			       str_has_prefix(reply, "error ") ? reply + 6
							       : "no answer from the keeper");
}

int keeper_down(const char *name, struct berth_error *err)
{
	_cleanup_free_ char *path = socket_path(err);
	_cleanup_free_ char *req = xasprintf("down\t%s", name);
	char reply[512];
	int fds[2];

	if (!path)
		return -1;
	if (ask(path, req, reply, sizeof(reply), fds) < 0)
		return 0; /* no keeper: nothing held */
	return 0;
}
