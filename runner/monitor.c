// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * monitor.c: a detached container's monitor, conmon's role in a small
 * form. `run -d` forks it into its own session, and it outlives the
 * CLI (`run -it` waits for it, unless the user detaches); it starts the container (launch.c) with its stdout
 * and stderr on pipes, tells the CLI once the command runs, then copies
 * every line into containers/<id>/log with a timestamp and its stream,
 * waits for the container, and records the exit status (or removes the
 * container for --rm). Its pid and start time, and the pid signals go to,
 * are in containers/<id>/pid, so other commands can signal the container
 * and notice a monitor that died. It is a child subreaper from the
 * container's start: whatever the container's helpers leave behind
 * (slirp4netns's supervisor) is reaped here before it exits, so the only
 * process a detached container can leave to an init that never reaps is
 * the monitor itself, once it has ended (docs/reliability.md).
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
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "attach.h"
#include "container.h"
#include "launch.h"
#include "live.h"
#include "monitor.h"
#include "netjoin.h"
#include "users.h"
#include "../lib/nsrun.h"
#include "../lib/proc.h"
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

/* Attached clients (`berth attach`, attach.h): each gets every chunk
 * the container writes; what a client sends goes to the terminal of a
 * -t container. A client that cannot keep up is let go. */
struct clients {
	int fd[ATTACH_MAX_CLIENTS];
	size_t n;
	/* what each sent that is not a whole message yet */
	char in[ATTACH_MAX_CLIENTS][8192];
	size_t used[ATTACH_MAX_CLIENTS];
};

static void drop_client(struct clients *c, size_t i)
{
	close(c->fd[i]);
	c->n--;
	c->fd[i] = c->fd[c->n];
	memcpy(c->in[i], c->in[c->n], c->used[c->n]);
	c->used[i] = c->used[c->n];
}

/* A client's whole messages: input for the terminal, a window size. */
static void client_messages(struct clients *c, size_t i, int tty)
{
	size_t off = 0;

	while (c->used[i] - off >= ATTACH_HEADER_LEN) {
		int type;
		uint32_t len;
		attach_header_read(c->in[i] + off, &type, &len);
		if (len > sizeof(c->in[i]) - ATTACH_HEADER_LEN) {
			drop_client(c, i);
			return;
		}
		if (c->used[i] - off < ATTACH_HEADER_LEN + len)
			break;
		const char *data = c->in[i] + off + ATTACH_HEADER_LEN;
		if (type == ATTACH_STDIN && tty >= 0 && write_all(tty, data, len) < 0) {
			/* the terminal is closing: the end is near anyway */
		} else if (type == ATTACH_WINSIZE && tty >= 0 && len == sizeof(struct winsize)) {
			struct winsize ws;
			memcpy(&ws, data, sizeof(ws));
			ioctl(tty, TIOCSWINSZ, &ws);
		}
		off += ATTACH_HEADER_LEN + len;
	}
	memmove(c->in[i], c->in[i] + off, c->used[i] - off);
	c->used[i] -= off;
}

static void send_all(struct clients *c, int type, const char *buf, size_t len)
{
	for (size_t i = 0; i < c->n;) {
		if (attach_send(c->fd[i], type, buf, len) < 0) {
			drop_client(c, i);
			continue;
		}
		i++;
	}
}

/* A new client on the listener, unless there are enough. */
static void accept_client(struct clients *cl, int listener)
{
	int c = accept4(listener, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);

	if (c >= 0 && cl->n < ATTACH_MAX_CLIENTS)
		cl->fd[cl->n++] = c;
	else if (c >= 0)
		close(c);
}

/* What the clients polled in p sent (p[i] for client i). */
static void read_clients(struct clients *cl, const struct pollfd *p, int tty)
{
	for (size_t i = cl->n; i-- > 0;) {
		if (!(p[i].revents & (POLLIN | POLLHUP | POLLERR)))
			continue;
		ssize_t n =
			read(cl->fd[i], cl->in[i] + cl->used[i], sizeof(cl->in[i]) - cl->used[i]);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (n <= 0) {
			drop_client(cl, i);
			continue;
		}
		cl->used[i] += (size_t)n;
		client_messages(cl, i, tty);
	}
}

/* What the container wrote on stream i (ATTACH_STDOUT + i): to the
 * clients as it comes, to the log line by line. */
static void read_stream(struct stream *s, int i, int logfd, struct clients *cl)
{
	ssize_t n = read(s->fd, s->buf + s->used, sizeof(s->buf) - s->used);

	if (n < 0 && errno == EINTR)
		return;
	if (n <= 0) {
		if (s->used)
			log_line(logfd, s->name, s->buf, s->used);
		s->used = 0;
		s->fd = -1;
		return;
	}
	send_all(cl, ATTACH_STDOUT + i, s->buf + s->used, (size_t)n);
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

/* Copy what the container writes into the log, line by line, and to the
 * attached clients, until both streams are closed (the container and
 * everything it started ended). tty: the terminal's master, for input. */
static void relay(struct stream *st, int logfd, int listener, int tty, int end_fd,
		  struct clients *cl)
{
	bool ending = false;

	for (;;) {
		struct pollfd p[4 + ATTACH_MAX_CLIENTS] = {
			{ .fd = st[0].fd, .events = POLLIN },
			{ .fd = st[1].fd, .events = POLLIN },
			{ .fd = listener, .events = POLLIN },
			{ .fd = ending ? -1 : end_fd, .events = POLLIN },
		};
		for (size_t i = 0; i < cl->n; i++)
			p[4 + i] = (struct pollfd){ .fd = cl->fd[i], .events = POLLIN };
		if (st[0].fd < 0 && st[1].fd < 0)
			break;
		if (poll(p, 4 + cl->n, ending ? 0 : -1) < 0) {
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
		if (listener >= 0 && (p[2].revents & POLLIN))
			accept_client(cl, listener);
		read_clients(cl, p + 4, tty);
		for (int i = 0; i < 2; i++)
			if (st[i].fd >= 0 && (p[i].revents & (POLLIN | POLLHUP | POLLERR)))
				read_stream(&st[i], i, logfd, cl);
	}
}

/* The container's status to the clients still attached, then goodbye. */
static void send_status(struct clients *cl, int status)
{
	uint32_t st = (uint32_t)status;

	send_all(cl, ATTACH_STATUS, (const char *)&st, sizeof(st));
	for (size_t i = 0; i < cl->n; i++)
		close(cl->fd[i]);
	cl->n = 0;
}

/* The CLI's answer: the start's status (0: running) and a text (why it
 * failed, or a warning). */
static void tell(int fd, int status, const char *text)
{
	struct ready_msg m = { .status = status };
	snprintf(m.text, sizeof(m.text), "%s", text ? text : "");
	if (write(fd, &m, sizeof(m)) < 0) {
		/* the CLI is gone: it learns nothing, the log has it */
	}
	close(fd);
}

static struct store *open_store(const struct monitor_args *a, struct berth_error *err)
{
	struct store *s = NULL;

	if (store_open(a->root, &s, err) < 0)
		return NULL;
	return s;
}

/* A failure that does not end the container, in its log: "berth: ...". */
static void log_error(int logfd, struct berth_error *err, const char *what)
{
	berth_error_wrap(err, "%s", what);
	_cleanup_free_ char *t = berth_error_text(err);
	_cleanup_free_ char *line = xasprintf("berth: %s", t);
	log_line(logfd, "stderr", line, strlen(line));
	berth_error_clear(err);
}

/* The container runs: its pids and state, for the other commands. A
 * failure is returned as text (and logged): the container runs on, but
 * ps, stop and exec will not see it running. */
static char *monitor_record(const struct monitor_args *a, pid_t holder, int logfd)
{
	struct berth_error err = { 0 };
	struct store *s = open_store(a, &err);

	if (s && container_set_pids(s, a->id, holder, getpid(), &err) == 0)
		container_set_state(s, a->id, "running", 0, &err);
	if (s)
		store_free(s);
	if (!err.msg)
		return NULL;
	_cleanup_free_ char *what = xasprintf("container %.12s: recording its start", a->id);
	berth_error_wrap(&err, "%s", what);
	char *t = berth_error_text(&err);
	_cleanup_free_ char *line = xasprintf("berth: %s", t);
	log_line(logfd, "stderr", line, strlen(line));
	berth_error_clear(&err);
	return t;
}

/* The container has ended: its network left, the reason berth ended it
 * (if it did) logged, and its end recorded, or itself removed (--rm). */
static void monitor_finish(const struct monitor_args *a, int status, int logfd)
{
	struct berth_error err = { 0 };
	struct store *s = open_store(a, &err);
	_cleanup_free_ char *what = xasprintf("container %.12s: recording its end", a->id);

	if (!s) {
		log_error(logfd, &err, what);
		return;
	}
	netjoin_leave(s, a->id);
	_cleanup_free_ char *why = launch_end_reason(a->ls->dir);
	if (why && logfd >= 0) {
		_cleanup_free_ char *line = xasprintf("berth: %s", why);
		log_line(logfd, "stderr", line, strlen(line));
	}
	/* (a removed container's log is gone with it: the error then reaches
	 * no one, but the container is gone or half gone either way) */
	if (a->rm ? users_remove_container(s, a->id, true, &err) < 0
		  : container_set_exited(s, a->id, status, why, &err) < 0)
		log_error(logfd, &err, what);
	store_free(s);
}

/* How long the monitor waits, after the container's end, for what the
 * container left to it as subreaper: slirp4netns's supervisor, whose end
 * after the container's takes a moment (closing the tap device waits
 * for RCU), berth-fs after a killed holder. Past that they are left to
 * init, which on a system whose init never reaps keeps them as zombies. */
#define MONITOR_REAP_MS 5000

/* The run lock, held for the container's life: a second start of it
 * fails here. Exits (after telling the CLI) when it cannot be had. */
static int monitor_lock(const struct monitor_args *a, int readyfd)
{
	struct berth_error err = { 0 };
	struct store *s = open_store(a, &err);
	int lock = s ? container_lock_run(s, a->id, &err) : -1;

	if (s)
		store_free(s);
	/* from here to its recorded end, the container runs (live.h) */
	if (lock >= 0 && container_live_hold(lock, &err) < 0) {
		close(lock);
		lock = -1;
	}
	if (lock < 0) {
		_cleanup_free_ char *t = err.msg ? berth_error_text(&err) : xstrdup("the store");
		tell(readyfd, 125, t);
		_exit(125);
	}
	return lock;
}

/* The container's stdio: pipes to st[] (the log), stdin /dev/null; *logfd
 * the log. The monitor's own stdio goes to /dev/null once the container
 * holds the pipes (monitor_quiet). Exits (after telling the CLI) on a
 * failure. */
static int monitor_stdio(const struct monitor_args *a, int readyfd, struct stream *st, int *logfd)
{
	_cleanup_free_ char *logpath = xasprintf("%s/log", a->ls->dir);
	int out[2], errp[2], null;

	null = open("/dev/null", O_RDWR | O_CLOEXEC);
	*logfd = open(logpath, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (null < 0 || *logfd < 0 || pipe2(out, O_CLOEXEC) < 0 || pipe2(errp, O_CLOEXEC) < 0) {
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
	return null;
}

/* Its user network joined (the address is this process's for the
 * container's life), then the container started. Exits (after telling
 * the CLI and recording the end) on a failure. */
static void monitor_launch(const struct monitor_args *a, int readyfd, int logfd,
			   struct launch_spec *lsn, struct launch_proc *lp)
{
	struct berth_error err = { 0 };
	struct netjoin nj = { -1, -1, "" };
	struct store *ns = a->network ? open_store(a, &err) : NULL;
	int status = 0;
	int jr = ns ? netjoin_prepare(ns, a->id, a->network, lsn, &nj, &err) : a->network ? -1 : 0;

	if (ns)
		store_free(ns);
	/* from here, what the container leaves is ours to reap (slirp4netns);
	 * not before: the network keeper netjoin may start outlives us */
	proc_subreaper(true);
	if (jr < 0 || launch_start(lsn, lp, &status, &err) < 0) {
		netjoin_release(&nj);
		_cleanup_free_ char *t = berth_error_text(&err);
		log_line(logfd, "stderr", t, strlen(t));
		tell(readyfd, status ? status : 125, t);
		monitor_finish(a, status ? status : 125, logfd);
		/* a failed start may have started slirp4netns already */
		proc_reap_children(MONITOR_REAP_MS);
		_exit(status);
	}
	netjoin_release(&nj);
	/* the forwarder has the published ports: copies kept here would hold
	 * them bound past the container's end, while this process reaps, and
	 * a restart would find them in use */
	for (size_t i = 0; i < lsn->n_ports; i++)
		close(lsn->port_fds[i]);
}

_noreturn_ static void monitor_main(const struct monitor_args *a, int readyfd)
{
	struct stream st[2] = { { .name = "stdout" }, { .name = "stderr" } };
	struct launch_proc lp;
	int logfd, status;
	int lock = monitor_lock(a, readyfd);
	int null = monitor_stdio(a, readyfd, st, &logfd);
	/* listening before the container starts: an attach never misses
	 * the beginning for want of a socket */
	int listener = attach_listen(a->ls->dir);
	struct launch_spec lsn = *a->ls;

	monitor_launch(a, readyfd, logfd, &lsn, &lp);
	_cleanup_free_ char *warning = monitor_record(a, lp.pid, logfd);
	tell(readyfd, 0, warning);
	if (lp.console >= 0) { /* -t: the terminal is the container's output */
		close(st[0].fd);
		st[0].fd = lp.console;
	}
	/* only the container holds the pipes' write ends now */
	dup2(null, 1);
	dup2(null, 2);
	static struct clients cl; /* (large: not on the stack) */
	if (listener >= 0 && a->wait_attach) {
		/* run -it: its own client attaches first, so it sees all */
		struct pollfd p = { .fd = listener, .events = POLLIN };
		if (poll(&p, 1, 5000) > 0)
			accept_client(&cl, listener);
	}
	/* with -t, the container's end is seen by its holder's exit (our
	 * slave fd keeps the terminal open); without, by the pipes' end */
	int end_fd = lp.console >= 0 ? (int)syscall(SYS_pidfd_open, lp.pid, 0) : -1;
	relay(st, logfd, listener, lp.console, end_fd, &cl);
	if (lp.console_peer >= 0)
		close(lp.console_peer);
	status = launch_wait(&lp);
	send_status(&cl, status);
	if (listener >= 0) {
		close(listener);
		unlink(ATTACH_SOCKET);
	}
	monitor_finish(a, status, logfd);
	/* the container is over: a new start need not wait for the reaping */
	close(lock);
	proc_reap_children(MONITOR_REAP_MS);
	_exit(0);
}

int monitor_detach(const struct monitor_args *a, pid_t *child, int *status, char **warning,
		   struct berth_error *err)
{
	int ready[2];
	struct ready_msg m;
	ssize_t n;
	pid_t p;

	*warning = NULL;
	*child = -1;
	if (pipe2(ready, O_CLOEXEC) < 0)
		return berth_error_set(err, errno, "pipe");
	/* one fork, not two: the monitor is the caller's child until the
	 * caller ends, so a failed start's monitor, and an attached one's,
	 * are reaped here rather than left to init */
	if ((p = nsrun_fork(err)) < 0)
		return -1;
	if (p == 0) {
		close(ready[0]);
		setsid(); /* the terminal's signals are not the container's */
		monitor_main(a, ready[1]);
	}
	close(ready[1]);
	do
		n = read(ready[0], &m, sizeof(m));
	while (n < 0 && errno == EINTR);
	close(ready[0]);
	if (n != (ssize_t)sizeof(m) || m.status != 0)
		monitor_reap(p); /* it ends by itself, its failure recorded */
	else
		*child = p;
	if (n != (ssize_t)sizeof(m)) {
		*status = 125;
		return berth_error_set(err, 0, "the container's monitor died while starting it");
	}
	m.text[sizeof(m.text) - 1] = '\0';
	*status = m.status;
	if (m.status != 0)
		return berth_error_set(err, 0, "%s", m.text);
	if (m.text[0])
		*warning = xstrdup(m.text);
	return 0;
}

void monitor_reap(pid_t child)
{
	if (child > 0)
		while (waitpid(child, NULL, 0) < 0 && errno == EINTR)
			;
}

bool monitor_log_parse(const char *line, size_t len, struct monitor_log_line *out)
{
	const char *sp1 = memchr(line, ' ', len), *sp2;

	if (!sp1 || !(sp2 = memchr(sp1 + 1, ' ', len - (size_t)(sp1 + 1 - line))))
		return false;
	out->time = line;
	out->time_len = (size_t)(sp1 - line);
	out->err = strncmp(sp1 + 1, "stderr", 6) == 0;
	out->text = sp2 + 1;
	out->text_len = len - (size_t)(sp2 + 1 - line);
	return true;
}
