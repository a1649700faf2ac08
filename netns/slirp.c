// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * slirp.c: outbound networking for a container without root. slirp4netns
 * (found as $BERTH_SLIRP4NETNS or on PATH) joins the container's user
 * namespace, opens a tap device in its network namespace and moves the
 * packets through a user-mode TCP/IP stack of its own in the host's
 * network namespace: 10.0.2.100/24 for the container, 10.0.2.2 the host's
 * loopback (unless --no-host-loopback), 10.0.2.3 a DNS forwarder. It runs
 * sandboxed (its own mount namespace, seccomp), as the user, and ends
 * when the pipe given as its exit fd closes: the container's holder holds
 * the other end, so slirp4netns never outlives the container. A
 * supervisor (berth's code, its parent) restarts it if it dies or stops
 * meanwhile: a crash of the user-mode stack (raw fragments once did it)
 * costs the container its connections, not its network. Published ports
 * do not go through it. It gets no API socket: berth never asks it
 * anything after its start, and a socket file in the runtime directory
 * would outlive a killed monitor.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../lib/proc.h"
#include "../lib/userns.h"
#include "../lib/util.h"
#include "slirp.h"

#define READY_TIMEOUT_MS 10000

static bool find_slirp(char *out, size_t len)
{
	const char *env = getenv("BERTH_SLIRP4NETNS");

	if (env && *env) {
		snprintf(out, len, "%s", env);
		return access(out, X_OK) == 0;
	}
	return userns_find_in_path("slirp4netns", out, len);
}

int netns_slirp_check(struct berth_error *err)
{
	char bin[PATH_MAX];
	int fd;

	if (!find_slirp(bin, sizeof(bin)))
		return berth_error_set(err, ENOENT,
				       "slirp4netns not found%s%s (install it: apt-get install "
				       "slirp4netns), or run with --network none",
				       getenv("BERTH_SLIRP4NETNS") ? " at $BERTH_SLIRP4NETNS=" : "",
				       getenv("BERTH_SLIRP4NETNS") ? getenv("BERTH_SLIRP4NETNS")
								   : " on PATH");
	fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return berth_error_set(err, errno,
				       "/dev/net/tun is not usable by this user (as root: chmod "
				       "0666 /dev/net/tun, as desktop distributions ship it), or "
				       "run with --network none");
	close(fd);
	return 0;
}

/* In the child: slirp4netns itself. */
_noreturn_ static void exec_slirp(const char *bin, const struct netns_slirp_opts *o, int ready_wr,
				  bool append)
{
	/* the two fds slirp4netns is told about survive its exec */
	fcntl(ready_wr, F_SETFD, 0);
	fcntl(o->exit_fd, F_SETFD, 0);
	_cleanup_free_ char *rfd = xasprintf("--ready-fd=%d", ready_wr);
	_cleanup_free_ char *efd = xasprintf("--exit-fd=%d", o->exit_fd);
	_cleanup_free_ char *userns = xasprintf("--userns-path=/proc/%d/ns/user", o->target);
	_cleanup_free_ char *target = o->netns_fd >= 0 ? xasprintf("/proc/self/fd/%d", o->netns_fd)
						       : xasprintf("%d", o->target);
	_cleanup_free_ char *cidr = o->cidr ? xasprintf("--cidr=%s", o->cidr) : NULL;
	char *argv[20];
	int n = 0;

	argv[n++] = "slirp4netns";
	if (o->netns_fd < 0 && !o->no_configure)
		argv[n++] = "--configure";
	argv[n++] = "--mtu=65520";
	if (!o->host_loopback)
		argv[n++] = "--disable-host-loopback";
	argv[n++] = "--enable-sandbox";
	argv[n++] = "--enable-seccomp";
	argv[n++] = rfd;
	argv[n++] = efd;
	if (cidr)
		argv[n++] = cidr;
	if (o->netns_fd >= 0) {
		fcntl(o->netns_fd, F_SETFD, 0);
		argv[n++] = "--netns-type=path";
	} else {
		argv[n++] = userns;
	}
	argv[n++] = target;
	argv[n++] = (char *)(o->tap ? o->tap : "tap0");
	argv[n] = NULL;
	/* its chatter is not the container's output: a log of its own, which
	 * an error message points to */
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);
	/* (a restart's messages follow what the dead one said) */
	int log =
		o->log ? open(o->log,
			      O_WRONLY | O_CREAT | (append ? O_APPEND : O_TRUNC) | O_CLOEXEC, 0600)
		       : -1;
	if (null >= 0) {
		dup2(null, STDIN_FILENO);
		dup2(null, STDOUT_FILENO);
	}
	if (log >= 0 || null >= 0)
		dup2(log >= 0 ? log : null, STDERR_FILENO);
	/* its own process group (the terminal's signals are the CLI's to
	 * pass on), default signals, no descriptor but the ones it was told
	 * about, and a listed environment: nothing of the caller's */
	setpgid(0, 0);
	proc_reset_signals();
	const int keep[] = { ready_wr, o->exit_fd, o->netns_fd };
	proc_close_fds_but(keep, ARRAY_SIZE(keep));
	execve(bin, argv, proc_helper_env());
	fprintf(stderr, "berth: %s: %s\n", bin, strerror(errno));
	_exit(127);
}

/* Its word that the network is up (closes rd). On failure the caller
 * ends it through the exit fd. */
static int wait_ready(const struct netns_slirp_opts *o, int rd, struct berth_error *err)
{
	struct pollfd p = { .fd = rd, .events = POLLIN };
	char c;
	int r = poll(&p, 1, READY_TIMEOUT_MS);
	ssize_t got = r > 0 ? read(rd, &c, 1) : -1;

	close(rd);
	if (got == 1)
		return 0;
	if (r == 0)
		return berth_error_set(err, ETIMEDOUT,
				       "slirp4netns did not configure the network (its messages "
				       "are in %s)",
				       o->log ? o->log : "its stderr");
	return berth_error_set(err, 0,
			       "slirp4netns failed (its messages are in %s); --network none runs "
			       "without it",
			       o->log ? o->log : "its stderr");
}

/* The supervisor's word on the caller's stderr (the container's log for
 * a detached container, the terminal for an attached one). */
static void say(const char *fmt, ...) _printf_(1, 2);
static void say(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "berth: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	fflush(stderr);
}

/* Give up: the container ends, with why. */
_noreturn_ static void end_container(const struct netns_slirp_opts *o, const char *why)
{
	if (o->end_reason) {
		int fd = open(o->end_reason, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC,
			      0600);
		if (fd >= 0) {
			if (write_all(fd, why, strlen(why)) < 0) {
				/* the exit status still says it ended */
			}
			close(fd);
		}
	}
	if (o->end_signal)
		kill(o->target, o->end_signal);
	_exit(1);
}

/* A restart: slirp4netns as our child again, its word awaited here
 * (the first start's went to berth directly). */
static pid_t restart_slirp(const char *bin, const struct netns_slirp_opts *o,
			   struct berth_error *err)
{
	int ready[2];
	pid_t pid;

	if (pipe2(ready, O_CLOEXEC) < 0)
		return berth_error_set(err, errno, "pipe");
	pid = fork();
	if (pid == 0)
		exec_slirp(bin, o, ready[1], true);
	close(ready[1]);
	if (pid < 0) {
		close(ready[0]);
		return berth_error_set(err, errno, "fork");
	}
	if (wait_ready(o, ready[0], err) < 0) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		return -1;
	}
	return pid;
}

/* slirp4netns (our child) is dead or stopped (st) while the container
 * runs: started again, or, past SLIRP_MAX_RESTARTS in a minute or when
 * that fails, the container is ended with the reason. */
static void restart_or_end(const char *bin, const struct netns_slirp_opts *o, pid_t *child, int st,
			   time_t *window, int *restarts)
{
	struct berth_error e = { 0 };
	char how[96];

	if (WIFSTOPPED(st)) {
		snprintf(how, sizeof(how), "was stopped (signal %d)", WSTOPSIG(st));
		kill(*child, SIGKILL);
		waitpid(*child, NULL, 0);
	} else if (WIFSIGNALED(st)) {
		snprintf(how, sizeof(how), "died (signal %d, %s)", WTERMSIG(st),
			 strsignal(WTERMSIG(st)));
	} else {
		snprintf(how, sizeof(how), "ended (status %d)", WEXITSTATUS(st));
	}
	if (time(NULL) - *window > 60) {
		*window = time(NULL);
		*restarts = 0;
	}
	if (++*restarts > SLIRP_MAX_RESTARTS || (*child = restart_slirp(bin, o, &e)) < 0) {
		_cleanup_free_ char *t = e.msg ? berth_error_text(&e)
					       : xasprintf("restarted %d times in a minute already",
							   SLIRP_MAX_RESTARTS);
		_cleanup_free_ char *why =
			xasprintf("slirp4netns %s: the container's network is gone (%s); the "
				  "container was stopped",
				  how, t);
		end_container(o, why); /* (berth tells it, from the file) */
	}
	say("slirp4netns %s: restarted it (new connections work; open ones were lost)", how);
}

/* The supervisor: slirp4netns's parent for the container's life. It
 * watches the exit fd (the container's end: slirp4netns ends by itself)
 * and its child (SIGCHLD through a signalfd, stops included). */
_noreturn_ static void supervise(const char *bin, const struct netns_slirp_opts *o, int ready_wr)
{
	time_t window = time(NULL);
	int restarts = 0;
	sigset_t chld;
	pid_t child;

	prctl(PR_SET_NAME, "berth-slirp");
	prctl(PR_SET_PDEATHSIG, 0);
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	sigprocmask(SIG_BLOCK, &chld, NULL);
	_cleanup_close_ int sfd = signalfd(-1, &chld, SFD_CLOEXEC | SFD_NONBLOCK);
	child = fork();
	if (child == 0) {
		sigprocmask(SIG_UNBLOCK, &chld, NULL);
		exec_slirp(bin, o, ready_wr, false);
	}
	close(ready_wr);
	if (child < 0 || sfd < 0)
		_exit(1); /* the caller sees no word, and says so */
	/* nothing of the caller's but the exit fd, the netns fd and stderr */
	const int keep[] = { o->exit_fd, o->netns_fd, sfd };
	proc_close_fds_but(keep, ARRAY_SIZE(keep));
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (null >= 0) {
		dup2(null, STDIN_FILENO);
		dup2(null, STDOUT_FILENO);
		close(null);
	}
	for (;;) {
		struct pollfd p[2] = { { .fd = o->exit_fd, .events = POLLIN },
				       { .fd = sfd, .events = POLLIN } };
		if (poll(p, 2, -1) < 0 && errno != EINTR)
			_exit(1);
		if (p[0].revents & (POLLIN | POLLHUP | POLLERR)) {
			/* the container ended: so does slirp4netns, by itself;
			 * our stderr is the container's log, which must not
			 * wait for that */
			int n = open("/dev/null", O_WRONLY | O_CLOEXEC);
			if (n >= 0)
				dup2(n, STDERR_FILENO);
			while (waitpid(child, NULL, 0) < 0 && errno == EINTR)
				;
			_exit(0);
		}
		struct signalfd_siginfo si;
		while (read(sfd, &si, sizeof(si)) > 0)
			;
		int st;
		pid_t r = waitpid(child, &st, WNOHANG | WUNTRACED);
		if (r != child)
			continue;
		restart_or_end(bin, o, &child, st, &window, &restarts);
	}
}

int netns_slirp_start(const struct netns_slirp_opts *o, struct berth_error *err)
{
	char bin[PATH_MAX];
	int ready[2], st = 0;
	pid_t pid;

	if (!find_slirp(bin, sizeof(bin)))
		return netns_slirp_check(err);
	if (pipe2(ready, O_CLOEXEC) < 0)
		return berth_error_set(err, errno, "pipe");
	/* Not the caller's child: when the container ends, its exit fd
	 * ends it, and the end takes a while (closing the tap device
	 * unregisters it, which waits for RCU: some 20 ms here). The
	 * container's end should not wait for that, so an intermediate
	 * process starts its supervisor and leaves at once; the caller, a
	 * child subreaper (the monitor, the attached CLI), gets it as an
	 * orphan and reaps it after recording the container's end. */
	pid = fork();
	if (pid == 0) {
		setsid();
		if (fork() == 0)
			supervise(bin, o, ready[1]);
		_exit(0);
	}
	close(ready[1]);
	if (pid < 0) {
		close(ready[0]);
		return berth_error_set(err, errno, "fork");
	}
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	return wait_ready(o, ready[0], err);
}

int netns_slirp_spawn(const struct netns_slirp_opts *o, pid_t *pid, struct berth_error *err)
{
	char bin[PATH_MAX];
	int ready[2];

	if (!find_slirp(bin, sizeof(bin)))
		return netns_slirp_check(err);
	if (pipe2(ready, O_CLOEXEC) < 0)
		return berth_error_set(err, errno, "pipe");
	*pid = fork();
	if (*pid == 0)
		exec_slirp(bin, o, ready[1], false);
	close(ready[1]);
	if (*pid < 0) {
		close(ready[0]);
		return berth_error_set(err, errno, "fork");
	}
	return wait_ready(o, ready[0], err);
}
