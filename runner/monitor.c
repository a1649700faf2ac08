// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * monitor.c: a detached container's monitor, conmon's role in a small
 * form. `run -d` forks it into its own session (double fork, so it
 * outlives the CLI); it starts the container (launch.c) with its stdout
 * and stderr on pipes, tells the CLI once the command runs, then copies
 * every line into containers/<id>/log with a timestamp and its stream,
 * waits for the container, and records the exit status (or removes the
 * container for --rm). Its pid and start time, and the pid signals go to,
 * are in containers/<id>/pid, so other commands can signal the container
 * and notice a monitor that died.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "container.h"
#include "monitor.h"
#include "netjoin.h"
#include "users.h"
#include "../lib/util.h"

struct ready_msg {
	int status; /* 0: running; else the status of a failed start */
	char text[1024];
};

void monitor_timestamp(char *buf, size_t len)
{
	struct timespec ts;
	struct tm tm;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	size_t n = strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf + n, len - n, ".%09ldZ", ts.tv_nsec);
}

struct stream {
	int fd;
	const char *name;
	char buf[16384];
	size_t used;
};

static void log_line(int logfd, const char *stream, const char *line, size_t len)
{
	char ts[64];
	monitor_timestamp(ts, sizeof(ts));
	_cleanup_free_ char *rec = xasprintf("%s %s %.*s\n", ts, stream, (int)len, line);
	if (write_all(logfd, rec, strlen(rec)) < 0) {
		/* a full disk loses log lines, never the container */
	}
}

/* Attached clients (`berth attach`): each gets every chunk the container
 * writes, framed as one byte (1 stdout, 2 stderr), four bytes of length
 * (host order) and the bytes; what a client sends goes to the terminal
 * of a -t container. A client that cannot keep up is let go. */
#define MAX_CLIENTS 8

struct clients {
	int fd[MAX_CLIENTS];
	size_t n;
	/* what each sent that is not a whole message yet */
	char in[MAX_CLIENTS][8192];
	size_t used[MAX_CLIENTS];
};

static void drop_client(struct clients *c, size_t i)
{
	close(c->fd[i]);
	c->n--;
	c->fd[i] = c->fd[c->n];
	memcpy(c->in[i], c->in[c->n], c->used[c->n]);
	c->used[i] = c->used[c->n];
}

/* A client's messages: [type][4-byte length][bytes]; 1 input for the
 * terminal, 4 a window size. */
static void client_messages(struct clients *c, size_t i, int tty)
{
	size_t off = 0;

	while (c->used[i] - off >= 5) {
		uint32_t len;
		memcpy(&len, c->in[i] + off + 1, 4);
		if (len > sizeof(c->in[i]) - 5) {
			drop_client(c, i);
			return;
		}
		if (c->used[i] - off < 5 + len)
			break;
		char type = c->in[i][off];
		const char *data = c->in[i] + off + 5;
		if (type == 1 && tty >= 0 && write_all(tty, data, len) < 0) {
			/* the terminal is closing: the end is near anyway */
		} else if (type == 4 && tty >= 0 && len == sizeof(struct winsize)) {
			struct winsize ws;
			memcpy(&ws, data, sizeof(ws));
			ioctl(tty, TIOCSWINSZ, &ws);
		}
		off += 5 + len;
	}
	memmove(c->in[i], c->in[i] + off, c->used[i] - off);
	c->used[i] -= off;
}

static void send_all(struct clients *c, int stream, const char *buf, size_t len)
{
	char hdr[5] = { (char)stream };
	uint32_t l = (uint32_t)len;

	memcpy(hdr + 1, &l, 4);
	for (size_t i = 0; i < c->n;) {
		if (write_all(c->fd[i], hdr, 5) < 0 || write_all(c->fd[i], buf, len) < 0) {
			drop_client(c, i);
			continue;
		}
		i++;
	}
}

/* Copy what the container writes into the log, line by line, and to the
 * attached clients, until both streams are closed (the container and
 * everything it started ended). tty: the terminal's master, for input. */
static void relay(struct stream *st, int logfd, int listener, int tty, int end_fd,
		  struct clients *clp)
{
	struct clients cl = *clp;
	bool ending = false;

	for (;;) {
		struct pollfd p[4 + MAX_CLIENTS] = {
			{ .fd = st[0].fd, .events = POLLIN },
			{ .fd = st[1].fd, .events = POLLIN },
			{ .fd = listener, .events = POLLIN },
			{ .fd = ending ? -1 : end_fd, .events = POLLIN },
		};
		for (size_t i = 0; i < cl.n; i++)
			p[4 + i] = (struct pollfd){ .fd = cl.fd[i], .events = POLLIN };
		if (st[0].fd < 0 && st[1].fd < 0)
			break;
		if (poll(p, 4 + cl.n, ending ? 0 : -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		/* the container ended (-t: our own slave fd keeps its terminal
		 * from hanging up): read what is left without waiting */
		if (!ending && end_fd >= 0 && (p[3].revents & POLLIN)) {
			ending = true;
			for (int i = 0; i < 2; i++)
				if (st[i].fd >= 0)
					fcntl(st[i].fd, F_SETFL,
					      fcntl(st[i].fd, F_GETFL) | O_NONBLOCK);
		}
		if (ending && !(p[0].revents & POLLIN) && !(p[1].revents & POLLIN)) {
			for (int i = 0; i < 2; i++)
				if (st[i].fd >= 0 && st[i].used)
					log_line(logfd, st[i].name, st[i].buf, st[i].used);
			break;
		}
		if (listener >= 0 && (p[2].revents & POLLIN)) {
			int c = accept4(listener, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
			if (c >= 0 && cl.n < MAX_CLIENTS)
				cl.fd[cl.n++] = c;
			else if (c >= 0)
				close(c);
		}
		for (size_t i = cl.n; i-- > 0;) {
			if (!(p[4 + i].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			ssize_t n = read(cl.fd[i], cl.in[i] + cl.used[i],
					 sizeof(cl.in[i]) - cl.used[i]);
			if (n < 0 && (errno == EAGAIN || errno == EINTR))
				continue;
			if (n <= 0) {
				drop_client(&cl, i);
				continue;
			}
			cl.used[i] += (size_t)n;
			client_messages(&cl, i, tty);
		}
		for (int i = 0; i < 2; i++) {
			struct stream *s = &st[i];
			if (s->fd < 0 || !(p[i].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			ssize_t n = read(s->fd, s->buf + s->used, sizeof(s->buf) - s->used);
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0) {
				if (s->used)
					log_line(logfd, s->name, s->buf, s->used);
				s->used = 0;
				s->fd = -1;
				continue;
			}
			send_all(&cl, i + 1, s->buf + s->used, (size_t)n);
			s->used += (size_t)n;
			char *start = s->buf, *nl;
			while ((nl = memchr(start, '\n', s->used - (size_t)(start - s->buf)))) {
				log_line(logfd, s->name, start, (size_t)(nl - start));
				start = nl + 1;
			}
			size_t rest = s->used - (size_t)(start - s->buf);
			if (rest == sizeof(s->buf)) { /* a very long line: in pieces */
				log_line(logfd, s->name, s->buf, rest);
				rest = 0;
			}
			memmove(s->buf, start, rest);
			s->used = rest;
		}
	}
	*clp = cl;
}

/* The container's status to the clients still attached, then goodbye:
 * frame type 3, four bytes of status. */
static void send_status(struct clients *cl, int status)
{
	char buf[4];
	uint32_t st = (uint32_t)status;

	memcpy(buf, &st, 4);
	send_all(cl, 3, buf, 4);
	for (size_t i = 0; i < cl->n; i++)
		close(cl->fd[i]);
	cl->n = 0;
}

/* The attach socket, in the container's directory (by a relative name:
 * a full path could pass the 108 bytes a socket address holds). */
static int attach_listener(const char *dir)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);

	snprintf(sa.sun_path, sizeof(sa.sun_path), "attach.sock");
	if (fd < 0 || chdir(dir) < 0)
		goto fail;
	unlink("attach.sock");
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, MAX_CLIENTS) < 0)
		goto fail;
	return fd;
fail:
	if (fd >= 0)
		close(fd);
	return -1; /* no attach then; the log still has everything */
}

static void tell(int fd, int status, const char *text)
{
	struct ready_msg m = { .status = status };
	snprintf(m.text, sizeof(m.text), "%s", text ? text : "");
	if (write(fd, &m, sizeof(m)) < 0) {
		/* the CLI is gone: it learns nothing, the log has it */
	}
	close(fd);
}

static struct store *open_store(const struct monitor_args *a)
{
	struct berth_error err = { 0 };
	struct store *s = NULL;

	if (store_open(a->root, &s, &err) < 0) {
		berth_error_clear(&err);
		return NULL;
	}
	return s;
}

static void monitor_record(const struct monitor_args *a, pid_t holder)
{
	struct store *s = open_store(a);
	struct berth_error err = { 0 };

	if (s && container_set_pids(s, a->id, holder, getpid(), &err) == 0)
		container_set_state(s, a->id, "running", 0, &err);
	berth_error_clear(&err);
	if (s)
		store_free(s);
}

static void monitor_finish(const struct monitor_args *a, int status, int logfd)
{
	struct store *s = open_store(a);
	struct berth_error err = { 0 };

	if (!s)
		return;
	netjoin_leave(s, a->id);
	_cleanup_free_ char *why = launch_end_reason(a->ls->dir);
	if (why && logfd >= 0) {
		_cleanup_free_ char *line = xasprintf("berth: %s", why);
		log_line(logfd, "stderr", line, strlen(line));
	}
	if (a->rm)
		users_remove_container(s, a->id, true, &err);
	else
		container_set_exited(s, a->id, status, why, &err);
	berth_error_clear(&err);
	store_free(s);
}

/* Wait (at most ms) for what was left to this process as subreaper:
 * slirp4netns, whose end after the container's takes a moment, and which
 * would otherwise be an orphan nobody reaps on a system whose init does
 * not. */
static void reap_orphans(long ms)
{
	for (long t = 0; t < ms; t += 5) {
		struct timespec ts = { 0, 5000000 };
		pid_t p;
		while ((p = waitpid(-1, NULL, WNOHANG)) > 0)
			;
		if (p < 0) /* ECHILD: none left */
			return;
		nanosleep(&ts, NULL);
	}
}

_noreturn_ static void monitor_main(const struct monitor_args *a, int readyfd)
{
	struct berth_error err = { 0 };
	struct stream st[2] = { { .name = "stdout" }, { .name = "stderr" } };
	int out[2], errp[2], logfd, null, status = 0;
	pid_t holder;
	_cleanup_free_ char *logpath = xasprintf("%s/log", a->ls->dir);

	/* held for the container's life: a second start of it fails here */
	struct store *ls = open_store(a);
	int lock = ls ? container_lock_run(ls, a->id, &err) : -1;
	if (ls)
		store_free(ls);
	if (lock < 0) {
		_cleanup_free_ char *t = err.msg ? berth_error_text(&err) : xstrdup("the store");
		tell(readyfd, 125, t);
		_exit(125);
	}
	null = open("/dev/null", O_RDWR | O_CLOEXEC);
	logfd = open(logpath, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (null < 0 || logfd < 0 || pipe2(out, O_CLOEXEC) < 0 || pipe2(errp, O_CLOEXEC) < 0) {
		tell(readyfd, 125, "the monitor could not set up the container's log");
		_exit(125);
	}
	/* the container's stdio: the pipes (dup2 clears close-on-exec) */
	dup2(null, 0);
	dup2(out[1], 1);
	dup2(errp[1], 2);
	close(out[1]);
	close(errp[1]);
	st[0].fd = out[0];
	st[1].fd = errp[0];
	/* listening before the container starts: an attach never misses
	 * the beginning for want of a socket */
	int listener = attach_listener(a->ls->dir);
	/* the address is this process's for the container's life */
	struct launch_spec lsn = *a->ls;
	struct netjoin nj = { -1, -1, "" };
	struct store *ns = a->cfg ? open_store(a) : NULL;
	int jr = ns ? netjoin_prepare(ns, a->id, a->cfg, &lsn, &nj, &err) : 0;
	if (ns)
		store_free(ns);
	/* from here, what the container leaves is ours to reap (slirp4netns);
	 * not before: the network keeper netjoin may start is nobody's */
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	if (jr < 0 || launch_start(&lsn, &holder, &status, &err) < 0) {
		netjoin_release(&nj);
		_cleanup_free_ char *t = berth_error_text(&err);
		log_line(logfd, "stderr", t, strlen(t));
		tell(readyfd, status ? status : 125, t);
		monitor_finish(a, status ? status : 125, logfd);
		_exit(status);
	}
	netjoin_release(&nj);
	/* the forwarder has the published ports: copies kept here would hold
	 * them bound past the container's end, while this process reaps, and
	 * a restart would find them in use */
	for (size_t i = 0; i < lsn.n_ports; i++)
		close(lsn.port_fds[i]);
	monitor_record(a, holder);
	tell(readyfd, 0, NULL);
	if (launch_console >= 0) { /* -t: the terminal is the container's output */
		close(st[0].fd);
		st[0].fd = launch_console;
	}
	/* only the container holds the pipes' write ends now */
	dup2(null, 1);
	dup2(null, 2);
	static struct clients cl; /* (large: not on the stack) */
	if (listener >= 0 && a->wait_attach) {
		/* run -it: its own client attaches first, so it sees all */
		struct pollfd p = { .fd = listener, .events = POLLIN };
		int c = poll(&p, 1, 5000) > 0
				? accept4(listener, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK)
				: -1;
		if (c >= 0)
			cl.fd[cl.n++] = c;
	}
	/* with -t, the container's end is seen by its holder's exit (our
	 * slave fd keeps the terminal open); without, by the pipes' end */
	int end_fd = launch_console >= 0 ? (int)syscall(SYS_pidfd_open, holder, 0) : -1;
	relay(st, logfd, listener, launch_console, end_fd, &cl);
	if (launch_console_peer >= 0)
		close(launch_console_peer);
	status = launch_wait(holder);
	send_status(&cl, status);
	if (listener >= 0) {
		close(listener);
		unlink("attach.sock");
	}
	monitor_finish(a, status, logfd);
	/* the container is over: a new start need not wait for the reaping */
	close(lock);
	reap_orphans(5000);
	_exit(0);
}

int monitor_detach(const struct monitor_args *a, int *status, struct berth_error *err)
{
	int ready[2];
	struct ready_msg m;
	ssize_t n;
	pid_t p;

	if (pipe2(ready, O_CLOEXEC) < 0)
		return berth_error_set(err, errno, "pipe");
	fflush(NULL);
	p = fork();
	if (p < 0)
		return berth_error_set(err, errno, "fork");
	if (p == 0) {
		close(ready[0]);
		setsid();
		pid_t q = fork();
		if (q != 0)
			_exit(q < 0);
		/* the monitor: in its own session, reparented once the
		 * intermediate child leaves, so it outlives the CLI */
		monitor_main(a, ready[1]);
	}
	close(ready[1]);
	waitpid(p, NULL, 0);
	do
		n = read(ready[0], &m, sizeof(m));
	while (n < 0 && errno == EINTR);
	close(ready[0]);
	if (n != (ssize_t)sizeof(m)) {
		*status = 125;
		return berth_error_set(err, 0, "the container's monitor died while starting it");
	}
	m.text[sizeof(m.text) - 1] = '\0';
	*status = m.status;
	if (m.status != 0)
		return berth_error_set(err, 0, "%s", m.text);
	return 0;
}
