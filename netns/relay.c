// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * relay.c: moving bytes between pairs of sockets for berth's relays
 * (relay.h), in one process and one epoll loop. TCP: an accepted
 * connection is joined to a new connection to the route's address, made
 * in whichever network namespace the process is in, and the bytes move
 * between the two with splice(2) through a pipe per direction, never
 * copied through user space. UDP: one connected socket per client
 * address, idle ones closed after a minute. The loop ends when the
 * container's holder does (a pidfd in its epoll set). Where the
 * listeners come from and where the process sits is the callers'
 * business (forward.c, hostloop.c).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "relay.h"

#define UDP_IDLE_SECS 60
#define PIPE_CAP (1 << 18)

enum kind {
	K_LISTEN,
	K_UDP,
	K_FLOW,
	K_SIDE,
	K_HOLDER
};

struct tag {
	enum kind kind;
	void *p;
	int side; /* K_SIDE: 0 the client's socket, 1 the container's */
};

struct listener {
	struct tag tag;
	const struct relay_route *r;
};

struct conn {
	struct tag tags[2];
	int fd[2];
	int pipe[2][2];	   /* [d]: bytes from fd[d] to fd[!d] */
	size_t pending[2]; /* in pipe[d] */
	bool eof[2], shut[2];
	bool connecting;
	bool dead;		/* closed: freed after the current batch of events */
	struct conn *next_dead; /* (another event of the batch may name it) */
};

struct flow {
	struct tag tag;
	int fd; /* inside the container */
	int host_fd;
	struct sockaddr_storage peer;
	socklen_t peer_len;
	time_t last;
	struct flow *next;
};

static int ep;
static struct flow *flows;
static struct conn *dead;

static void watch(int fd, struct tag *t, uint32_t ev)
{
	struct epoll_event e = { .events = ev, .data.ptr = t };
	epoll_ctl(ep, EPOLL_CTL_ADD, fd, &e);
}

/* The other side of a connection or flow, made in this process's
 * network namespace. */
static int route_socket(const struct relay_route *r, bool *in_progress)
{
	int fd = socket(AF_INET, (r->udp ? SOCK_DGRAM : SOCK_STREAM) | SOCK_NONBLOCK | SOCK_CLOEXEC,
			0);

	*in_progress = false;
	if (fd < 0)
		return -1;
	if (connect(fd, (const struct sockaddr *)&r->to, sizeof(r->to)) < 0) {
		if (errno != EINPROGRESS) {
			close(fd);
			return -1;
		}
		*in_progress = true;
	}
	return fd;
}

static void conn_close(struct conn *c)
{
	for (int d = 0; d < 2; d++) {
		if (c->fd[d] >= 0)
			close(c->fd[d]); /* (leaves the epoll set with it) */
		for (int k = 0; k < 2; k++)
			if (c->pipe[d][k] >= 0)
				close(c->pipe[d][k]);
	}
	c->dead = true;
	c->next_dead = dead;
	dead = c;
}

static void free_dead(void)
{
	while (dead) {
		struct conn *c = dead;
		dead = c->next_dead;
		free(c);
	}
}

/* Move what can move now in direction d; false when the connection is
 * over (an error, or both ways closed). */
static bool pump(struct conn *c, int d)
{
	int src = c->fd[d], dst = c->fd[!d];

	for (;;) {
		bool moved = false;
		if (!c->eof[d] && c->pending[d] < PIPE_CAP) {
			ssize_t n = splice(src, NULL, c->pipe[d][1], NULL, PIPE_CAP - c->pending[d],
					   SPLICE_F_NONBLOCK | SPLICE_F_MOVE);
			if (n > 0) {
				c->pending[d] += (size_t)n;
				moved = true;
			} else if (n == 0) {
				c->eof[d] = true;
			} else if (errno != EAGAIN) {
				return false;
			}
		}
		if (c->pending[d] > 0) {
			ssize_t n = splice(c->pipe[d][0], NULL, dst, NULL, c->pending[d],
					   SPLICE_F_NONBLOCK | SPLICE_F_MOVE);
			if (n > 0) {
				c->pending[d] -= (size_t)n;
				moved = true;
			} else if (n < 0 && errno != EAGAIN) {
				return false;
			}
		}
		if (c->eof[d] && c->pending[d] == 0 && !c->shut[d]) {
			shutdown(dst, SHUT_WR);
			c->shut[d] = true;
		}
		if (!moved)
			break;
	}
	return !(c->shut[0] && c->shut[1]);
}

static void on_side(struct conn *c)
{
	if (c->dead)
		return;
	if (c->connecting) {
		int e = 0;
		socklen_t l = sizeof(e);
		if (getsockopt(c->fd[1], SOL_SOCKET, SO_ERROR, &e, &l) < 0 || e != 0) {
			conn_close(c); /* nobody listens there: the client sees the close */
			return;
		}
		c->connecting = false;
	}
	if (!pump(c, 0) || !pump(c, 1))
		conn_close(c);
}

static void on_accept(struct listener *l)
{
	for (;;) {
		int cfd = accept4(l->r->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (cfd < 0)
			return;
		struct conn *c = xcalloc(1, sizeof(*c));
		bool later;
		c->fd[0] = cfd;
		c->fd[1] = route_socket(l->r, &later);
		for (int d = 0; d < 2; d++)
			c->pipe[d][0] = c->pipe[d][1] = -1;
		if (c->fd[1] < 0 || pipe2(c->pipe[0], O_NONBLOCK | O_CLOEXEC) < 0 ||
		    pipe2(c->pipe[1], O_NONBLOCK | O_CLOEXEC) < 0) {
			conn_close(c);
			continue;
		}
		fcntl(c->pipe[0][1], F_SETPIPE_SZ, PIPE_CAP);
		fcntl(c->pipe[1][1], F_SETPIPE_SZ, PIPE_CAP);
		c->connecting = later;
		for (int d = 0; d < 2; d++) {
			c->tags[d] = (struct tag){ K_SIDE, c, d };
			watch(c->fd[d], &c->tags[d], EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET);
		}
	}
}

static void on_udp(struct listener *l)
{
	char buf[65536];

	for (;;) {
		struct sockaddr_storage peer;
		socklen_t pl = sizeof(peer);
		ssize_t n = recvfrom(l->r->fd, buf, sizeof(buf), 0, (struct sockaddr *)&peer, &pl);
		if (n < 0)
			return;
		struct flow *f = flows;
		while (f && !(f->host_fd == l->r->fd && f->peer_len == pl &&
			      !memcmp(&f->peer, &peer, pl)))
			f = f->next;
		if (!f) {
			bool later;
			int fd = route_socket(l->r, &later);
			if (fd < 0)
				continue;
			f = xcalloc(1, sizeof(*f));
			f->fd = fd;
			f->host_fd = l->r->fd;
			f->peer = peer;
			f->peer_len = pl;
			f->tag = (struct tag){ K_FLOW, f, 0 };
			f->next = flows;
			flows = f;
			watch(fd, &f->tag, EPOLLIN);
		}
		f->last = time(NULL);
		if (send(f->fd, buf, (size_t)n, 0) < 0) {
			/* the container does not listen (yet): dropped, as UDP is */
		}
	}
}

static void on_flow(struct flow *f)
{
	char buf[65536];
	ssize_t n;

	while ((n = recv(f->fd, buf, sizeof(buf), 0)) >= 0) {
		f->last = time(NULL);
		sendto(f->host_fd, buf, (size_t)n, 0, (struct sockaddr *)&f->peer, f->peer_len);
	}
}

static void expire_flows(void)
{
	time_t now = time(NULL);

	for (struct flow **pp = &flows; *pp;) {
		struct flow *f = *pp;
		if (now - f->last > UDP_IDLE_SECS) {
			*pp = f->next;
			close(f->fd);
			free(f);
		} else {
			pp = &f->next;
		}
	}
}

_noreturn_ void relay_run(const struct relay_route *r, size_t n, int end_fd)
{
	struct listener *ls = xcalloc(n + 1, sizeof(*ls));
	struct tag htag = { K_HOLDER, NULL, 0 };
	struct epoll_event ev[64];

	if ((ep = epoll_create1(EPOLL_CLOEXEC)) < 0)
		_exit(1);
	watch(end_fd, &htag, EPOLLIN);
	for (size_t i = 0; i < n; i++) {
		ls[i] = (struct listener){ { r[i].udp ? K_UDP : K_LISTEN, &ls[i], 0 }, &r[i] };
		watch(r[i].fd, &ls[i].tag, EPOLLIN);
	}
	for (;;) {
		int k = epoll_wait(ep, ev, 64, 5000);
		for (int i = 0; i < k; i++) {
			struct tag *t = ev[i].data.ptr;
			switch (t->kind) {
			case K_HOLDER: _exit(0); /* the container has ended */
			case K_LISTEN: on_accept(t->p); break;
			case K_UDP: on_udp(t->p); break;
			case K_FLOW: on_flow(t->p); break;
			case K_SIDE: on_side(t->p); break;
			default: break;
			}
		}
		free_dead();
		if (flows)
			expire_flows();
	}
}

void relay_child_init(const char *name, const int *keep, size_t n_keep)
{
	prctl(PR_SET_NAME, name);
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	for (int fd = 3; fd < 4096; fd++) {
		bool kept = false;
		for (size_t i = 0; i < n_keep && !kept; i++)
			kept = fd == keep[i];
		if (!kept)
			close(fd);
	}
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (null >= 0) {
		dup2(null, 0);
		dup2(null, 1);
		dup2(null, 2);
		close(null);
	}
	signal(SIGPIPE, SIG_IGN);
}
