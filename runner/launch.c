// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * launch.c: a container's process pipeline.
 *
 *   berth (parent)      forks the namespace holder, maps its user namespace
 *                       (userns.c), forwards signals, reads the child's
 *                       setup errors, waits.
 *   holder              root of the new user namespace; unshares mount,
 *                       UTS, IPC, PID, cgroup (and network) namespaces,
 *                       starts berth-fs on the container's root there,
 *                       forks the container's pid 1, waits for it, then
 *                       unmounts and waits for berth-fs to fold its
 *                       writable layer.
 *   pid 1 (child)       its own mount namespace (pivot_root must not move
 *                       the holder), the mounts (rootfs.c), hostname; then
 *                       either execs the command or, with --init, forks it
 *                       and reaps and forwards signals.
 *   command             seccomp (seccomp-filter.c), user, capabilities
 *                       (caps.c), no_new_privs, no inherited fds, exec.
 *
 * A setup error in any child travels to the parent over a close-on-exec
 * pipe as one message; a successful exec closes it. What the children
 * hold of berth's pipes is a struct child_fds passed down; what the
 * parent keeps of a started container is the caller's struct
 * launch_proc. The one static state is the signal forwarding's (fwd),
 * as signal handlers can reach nothing else.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <poll.h>
#include <pwd.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "caps.h"
#include "launch.h"
#include "launchnet.h"
#include "../image/mount.h"
#include "../netns/fdpass.h"
#include "../lib/proc.h"
#include "rootfs.h"
#include "seccomp-filter.h"
#include "../lib/syscalls.h"
#include "user.h"
#include "../lib/userns.h"
#include "../lib/nsrun.h"
#include "../lib/util.h"

/* docker's codes for a command that cannot run */
#define EXIT_SETUP 125
#define EXIT_CANNOT_INVOKE 126
#define EXIT_NOT_FOUND 127

struct child_msg {
	int code;
	char text[1024];
};

/* The children's ends of berth's pipes (-1 when unused): setup errors,
 * the terminal's socket (-t; inherited down to the command, closed by
 * make_console), and the network handshake with the parent (launchnet.c:
 * the holder says on up that the network namespace is there, pid 1 waits
 * on go for the word that the network is configured, and exit is the
 * write end of slirp4netns's exit pipe, whose closing, the holder's end
 * and --init's pid 1's, ends slirp4netns). */
struct child_fds {
	int err, console, net_up, net_go, net_exit;
};

/* Signal forwarding: the CLI or monitor to the holder, the holder to pid
 * 1, exec's joiner to the command. A signal handler reaches only static
 * storage, so this struct is the state: forward_signals() sets it,
 * forward_stop() clears it, and besides them only the handlers
 * (forward_signal, on_alarm) and the holder's wait (holder_wait) read it.
 *   to      where signals go (0: nowhere);
 *   kills   to pid 1: SIGKILL cannot be caught, so `kill` and `stop`
 *           send launch_kill_signal() instead, passed on as is and turned
 *           into SIGKILL for pid 1 by the holder, which then still waits
 *           for the end and unmounts cleanly;
 *   fs_pid  in the holder: berth-fs, killed when pid 1 does not end
 *           within KILL_GRACE_S of a kill (on_alarm);
 *   fs_killed  set when on_alarm killed berth-fs: its death is then not
 *           news;
 *   asked_end  the last SIGINT, SIGTERM or SIGHUP this process got while
 *           forwarding (launch_asked_end): a build stops after its step. */
static struct {
	volatile sig_atomic_t to, kills, fs_pid, fs_killed, asked_end;
} fwd;
#define KILL_GRACE_S 5

static void forward_signal(int sig)
{
	/* what the caller of an attached container was told to do */
	if (sig == SIGINT || sig == SIGTERM || sig == SIGHUP)
		fwd.asked_end = sig;
	if (fwd.to <= 0)
		return;
	if (fwd.kills && sig == launch_kill_signal()) {
		kill((pid_t)fwd.to, SIGKILL);
		/* a process blocked in a FUSE request that berth-fs has read
		 * but not answered cannot die: if pid 1 is not gone in a
		 * moment, the daemon goes, which aborts every request */
		alarm(KILL_GRACE_S);
		return;
	}
	kill((pid_t)fwd.to, sig);
}

static void on_alarm(int sig)
{
	(void)sig;
	if (fwd.fs_pid > 0) {
		fwd.fs_killed = 1;
		kill((pid_t)fwd.fs_pid, SIGKILL);
	}
}

int launch_asked_end(void)
{
	int sig = fwd.asked_end;
	fwd.asked_end = 0;
	return sig;
}

/* No more forwarding (the process forwarded to has ended). */
static void forward_stop(void)
{
	fwd.to = 0;
}

/* Forward the signals a container's caller gets to pid; to_init (the
 * holder, fs_pid its berth-fs): the kill signal becomes SIGKILL. */
static void forward_signals(pid_t pid, bool to_init, pid_t fs_pid)
{
	/* SIGTSTP and SIGCONT too, as docker's CLI does: the CLI (and the
	 * holder) never stop while their container runs on; the container
	 * decides what a stop request means to it */
	const int sigs[] = { SIGINT,  SIGTERM,	SIGHUP,	 SIGQUIT, SIGUSR1,
			     SIGUSR2, SIGWINCH, SIGTSTP, SIGCONT, launch_kill_signal() };
	struct sigaction sa = { .sa_handler = forward_signal, .sa_flags = SA_RESTART };
	struct sigaction ign = { .sa_handler = SIG_IGN };

	fwd.fs_pid = fs_pid;
	fwd.fs_killed = 0;
	fwd.to = pid;
	fwd.kills = to_init;
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < ARRAY_SIZE(sigs); i++)
		sigaction(sigs[i], &sa, NULL);
	/* a CLI in the background touching the terminal would be stopped
	 * by the kernel: it reads EIO or writes instead */
	sigemptyset(&ign.sa_mask);
	sigaction(SIGTTIN, &ign, NULL);
	sigaction(SIGTTOU, &ign, NULL);
	if (to_init) {
		struct sigaction al = { .sa_handler = on_alarm, .sa_flags = SA_RESTART };
		sigemptyset(&al.sa_mask);
		sigaction(SIGALRM, &al, NULL);
	}
}

/* In a child: report and leave. */
_noreturn_ static void child_fail(int errfd, int code, struct berth_error *err)
{
	struct child_msg m = { .code = code };
	_cleanup_free_ char *t = berth_error_text(err);

	snprintf(m.text, sizeof(m.text), "%s", t);
	if (write(errfd, &m, sizeof(m)) < 0) {
		/* the parent is gone: nobody to tell */
	}
	_exit(code);
}

static int wait_status(pid_t pid)
{
	int st;

	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return EXIT_SETUP;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* ---- the terminal (-t) ---- */

/* In the command's process, inside the container: a terminal of the
 * container's devpts as its controlling terminal and stdio; the master
 * goes to berth through console_sock (closed here). */
static int make_console(const struct launch_spec *s, int console_sock, struct berth_error *err)
{
	char name[64], byte;
	int master, slave;

	master = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (master < 0 || unlockpt(master) < 0 || ptsname_r(master, name, sizeof(name)) != 0)
		return berth_error_set(err, errno, "a terminal in the container (/dev/ptmx)");
	slave = open(name, O_RDWR | O_NOCTTY | O_CLOEXEC); /* (dup2 to 0-2 clears it) */
	if (slave < 0)
		return berth_error_set(err, errno, "%s", name);
	/* the user's terminal size from the start: the command may ask at once */
	if (s->rows && s->cols) {
		struct winsize ws = { .ws_row = s->rows, .ws_col = s->cols };
		ioctl(master, TIOCSWINSZ, &ws);
	}
	if (setsid() < 0 || ioctl(slave, TIOCSCTTY, 0) < 0)
		return berth_error_set(err, errno, "making %s the controlling terminal", name);
	dup2(slave, 0);
	dup2(slave, 1);
	dup2(slave, 2);
	if (slave > 2)
		close(slave);
	if (fdpass_send(console_sock, "c", &master, 1) < 0)
		return berth_error_set(err, errno, "passing the terminal to berth");
	/* berth holds the terminal's other end before the command runs: a
	 * command that ends at once must not take its output with it (the
	 * hangup of a pty's last slave discards what is unread) */
	if (read(console_sock, &byte, 1) != 1)
		return berth_error_set(err, EPIPE, "passing the terminal to berth");
	close(master);
	close(console_sock);
	return 0;
}

/* Parent side: the terminal's master, and in *peer berth's own reference
 * to its slave; -1 (both) when the command's side failed. */
static int receive_console(int sock, int *peer)
{
	char text[2];
	size_t n = 0;
	int fd = -1;

	if (fdpass_recv(sock, text, sizeof(text), &fd, 1, &n) <= 0)
		return -1;
	if (n != 1)
		fd = -1;
	/* our own reference to the slave (Linux 4.13), then the go-ahead */
	*peer = fd >= 0 ? ioctl(fd, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC) : -1;
	if (write(sock, "k", 1) != 1) {
		/* the command's side failed: its error message says why */
	}
	return fd;
}

/* ---- the command: user, capabilities, confinement, exec ---- */

static char **env_with_home(char **env, const char *home)
{
	size_t n = 0;
	char **v;

	for (; env[n]; n++)
		if (str_has_prefix(env[n], "HOME="))
			return env;
	v = xcalloc(n + 2, sizeof(char *));
	memcpy(v, env, n * sizeof(char *));
	v[n] = xasprintf("HOME=%s", home);
	return v;
}

/* The working directory, resolved inside the container's root as the
 * container sees it: a symlink there leads nowhere outside, and a magic
 * link (/proc/self/fd/N, a way to whatever a berth process holds) is
 * refused rather than followed. Then fchdir, so nothing is resolved
 * twice. */
static int enter_workdir(const char *dir, struct berth_error *err)
{
	_cleanup_close_ int root = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	_cleanup_close_ int wd = -1;

	if (!dir || !*dir)
		dir = "/";
	if (root < 0 || (wd = open_in_root(root, dir, O_PATH | O_DIRECTORY, 0)) < 0 ||
	    fchdir(wd) < 0)
		return berth_error_set(err, errno, "working directory %s in the container", dir);
	return 0;
}

_noreturn_ static void exec_command(const struct launch_spec *s, const struct child_fds *fds)
{
	struct berth_error err = { 0 };
	struct user_ids u;
	char **env;
	int code = EXIT_SETUP, errfd = fds->err;

	if (s->tty && make_console(s, fds->console, &err) < 0)
		child_fail(errfd, code, &err);
	if (user_resolve(s->user, &u, &err) < 0 || caps_bound(s->caps, &err) < 0)
		child_fail(errfd, code, &err);
	/* seccomp while this process holds CAP_SYS_ADMIN in the container's
	 * user namespace: the kernel then takes a filter without
	 * no_new_privs, which stays the container's choice; the filter also
	 * applies to the rest of the setup (setgroups, setres*id, capset,
	 * prctl, chdir, close, execve: all allowed) */
	if (s->seccomp && seccomp_filters_load(s->seccomp_filters, &err) < 0)
		child_fail(errfd, code, &err);
	/* groups and ids while the capabilities to change them are there;
	 * in a single-id mapping setgroups is denied and there are none.
	 * The permitted set survives the change of ids (KEEPCAPS), the
	 * effective one does not: what follows is done as the user, and the
	 * capabilities are dropped to the container's set last. */
	prctl(PR_SET_KEEPCAPS, 1);
	if (setgroups((size_t)u.n_groups, u.groups) < 0 && errno != EPERM) {
		berth_error_set(&err, errno, "setgroups");
		child_fail(errfd, code, &err);
	}
	if (setresgid(u.gid, u.gid, u.gid) < 0 || setresuid(u.uid, u.uid, u.uid) < 0) {
		berth_error_set(&err, errno,
				"user %u:%u: not mapped in the container's user namespace "
				"(without a subuid range only root exists)",
				u.uid, u.gid);
		child_fail(errfd, code, &err);
	}
	/* rlimits are not namespaced: raising one past the hard limit the
	 * user has fails here as it would for the user */
	for (size_t i = 0; i < s->n_ulimits; i++) {
		if (setrlimit(s->ulimits[i].resource, &s->ulimits[i].lim) < 0) {
			berth_error_set(&err, errno,
					"--ulimit: limit %d above what this user may set",
					s->ulimits[i].resource);
			child_fail(errfd, code, &err);
		}
	}
	/* the change of ids cleared it: the command is pid 1 without --init */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (enter_workdir(s->workdir, &err) < 0)
		child_fail(errfd, code, &err);
	if (s->no_new_privs && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
		berth_error_set(&err, errno, "no_new_privs");
		child_fail(errfd, code, &err);
	}
	env = env_with_home(s->env, u.home);
	/* no descriptor of berth's reaches the command, the error pipe
	 * closes itself at exec; signals as a program expects them */
	if (proc_close_fds_but(&errfd, 1) < 0) {
		berth_error_set(&err, errno, "closing berth's descriptors");
		child_fail(errfd, code, &err);
	}
	proc_reset_signals();
	/* the capabilities last: until here this process keeps more than
	 * the container's set, so container root cannot ptrace it even
	 * were it dumpable */
	if (caps_apply(s->caps, u.uid == 0, &err) < 0)
		child_fail(errfd, code, &err);
	environ = env;
	execvp(s->argv[0], s->argv);
	code = errno == ENOENT ? EXIT_NOT_FOUND : EXIT_CANNOT_INVOKE;
	berth_error_set(&err, errno, "%s", s->argv[0]);
	berth_error_wrap(&err, "starting the container's command");
	child_fail(errfd, code, &err);
}

/* pid 1 sets up the root while the parent configures the network (when
 * it has a step there, launchnet.c), and waits for its word before the
 * command runs. */
static void net_ready_wait(int net_go)
{
	char c = 0;

	if (net_go < 0)
		return;
	if (read(net_go, &c, 1) != 1 || c != 'g')
		_exit(EXIT_SETUP); /* the parent reports why */
	close(net_go);
}

/* ---- pid 1 ---- */

/* --init: reap every orphan, pass signals on, end with the command. */
/* From pid 1, or exec's joiner: the command in a child of its own (it
 * execs, or reports on errfd); errfd closed here, the child's pid. */
static pid_t fork_command(const struct launch_spec *s, const struct child_fds *fds, int errfd)
{
	struct berth_error err = { 0 };
	pid_t cmd = fork();

	if (cmd < 0) {
		berth_error_set(&err, errno, "fork");
		child_fail(errfd, EXIT_SETUP, &err);
	}
	if (cmd == 0)
		exec_command(s, fds);
	close(errfd);
	return cmd;
}

_noreturn_ static void init_loop(pid_t cmd)
{
	sigset_t all;
	int status = EXIT_SETUP;

	sigfillset(&all);
	sigprocmask(SIG_BLOCK, &all, NULL);
	for (;;) {
		siginfo_t si;
		struct timespec ts = { 0, 100000000 };
		int sig = sigtimedwait(&all, &si, &ts);

		if (sig > 0 && sig != SIGCHLD)
			kill(cmd, sig);
		for (;;) {
			int st;
			pid_t p = waitpid(-1, &st, WNOHANG);
			if (p <= 0)
				break;
			if (p == cmd)
				status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
			if (p == cmd)
				_exit(status);
		}
	}
}

_noreturn_ static void container_init(const struct launch_spec *s, const struct child_fds *fds)
{
	_cleanup_free_ char *rootfs = xasprintf("%s/rootfs", s->dir);
	struct rootfs_opts ro = {
		.rootfs = rootfs,
		.etc_dir = s->dir,
		.own_netns = s->own_netns,
		.tty_gid = false,
		.read_only = s->read_only,
		.workdir = s->workdir,
		.keep_id = s->keep_id,
		.mounts = s->mounts,
		.n_mounts = s->n_mounts,
		.secrets = s->secrets,
		.n_secrets = s->n_secrets,
	};
	struct berth_error err = { 0 };
	struct userns_map m;
	int errfd = fds->err;

	/* pid 1 is in the container's sight from its first instant: not
	 * dumpable (its /proc entries, exe and fds included, are closed to
	 * the container), and holding no host descriptor but its pipes */
	prctl(PR_SET_DUMPABLE, 0);
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	const int keep[] = { errfd, fds->net_go, fds->net_exit, fds->console };
	if (proc_close_fds_but(keep, ARRAY_SIZE(keep)) < 0) {
		berth_error_set(&err, errno, "closing berth's descriptors");
		child_fail(errfd, EXIT_SETUP, &err);
	}
	userns_plan(&m);
	m.keep_id = s->keep_id;
	ro.tty_gid = userns_maps_gid(&m, 5);
	if (unshare(CLONE_NEWNS) < 0) {
		berth_error_set(&err, errno, "a mount namespace for the container");
		child_fail(errfd, EXIT_SETUP, &err);
	}
	if (rootfs_setup(&ro, &err) < 0)
		child_fail(errfd, EXIT_SETUP, &err);
	if (s->hostname && sethostname(s->hostname, strlen(s->hostname)) < 0) {
		berth_error_set(&err, errno, "hostname %s", s->hostname);
		child_fail(errfd, EXIT_SETUP, &err);
	}
	net_ready_wait(fds->net_go);
	if (!s->init)
		exec_command(s, fds);
	pid_t cmd = fork_command(s, fds, errfd);
	/* init is berth's own code: not dumpable, so the container cannot
	 * reach berth's binary through /proc/1/exe (the runc CVE-2019-5736
	 * class), and it keeps no capabilities */
	prctl(PR_SET_DUMPABLE, 0);
	prctl(PR_SET_NAME, "init");
	caps_apply(0, false, &err);
	prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
	init_loop(cmd);
}

/* ---- the namespace holder ---- */

static int loopback_up(struct berth_error *err)
{
	_cleanup_close_ int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	struct ifreq ifr = { 0 };

	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "lo");
	if (fd < 0 || ioctl(fd, SIOCGIFFLAGS, &ifr) < 0)
		return berth_error_set(err, errno, "loopback interface");
	ifr.ifr_flags |= IFF_UP;
	if (ioctl(fd, SIOCSIFFLAGS, &ifr) < 0)
		return berth_error_set(err, errno, "bringing up the loopback interface");
	return 0;
}

/* ping without NET_RAW (not in the default set: raw packets are what
 * took slirp4netns down) needs ICMP datagram sockets, which the kernel
 * gives only to the groups in ping_group_range: every group the
 * container's user namespace maps (docker gives every group; the kernel
 * takes only mapped ones here). Best effort: without the sysctl there
 * are no such sockets, and ping needs NET_RAW as before. */
static void allow_ping(void)
{
	_cleanup_fclose_ FILE *f = fopen("/proc/self/gid_map", "re");
	unsigned long inside, outside, count, top = 0;
	char range[64];

	/* the gids mapped from 0 up, without a gap */
	while (f && fscanf(f, "%lu %lu %lu", &inside, &outside, &count) == 3)
		if (inside <= top && inside + count > top)
			top = inside + count;
	if (top == 0)
		return;
	snprintf(range, sizeof(range), "0 %lu", top - 1);
	_cleanup_close_ int fd = open("/proc/sys/net/ipv4/ping_group_range", O_WRONLY | O_CLOEXEC);
	if (fd >= 0 && write(fd, range, strlen(range)) < 0) {
		/* ping needs NET_RAW then */
	}
}

/* berth-fs on the container's root, in this mount namespace, as a child
 * that dies with the holder (in the foreground: a daemonised berth-fs
 * would outlive a killed holder, with a mount nobody can reach). */
static pid_t start_berth_fs(const struct launch_spec *s, struct berth_error *err)
{
	_cleanup_free_ char *bin = mount_berth_fs_path(), *dir = mount_escape(s->dir);
	_cleanup_free_ char *opts =
		xasprintf("lowerdir=%s,upperdir=%s/upper,allow_other,default_permissions%s",
			  s->lowerdir, dir, s->volatile_upper ? ",volatile" : "");
	_cleanup_free_ char *mnt = xasprintf("%s/rootfs", s->dir);
	struct timespec ts = { 0, 1000000 };
	struct stat dir_st, mnt_st;
	pid_t pid;

	if (stat(s->dir, &dir_st) < 0)
		return berth_error_set(err, errno, "%s", s->dir);
	pid = fork();
	if (pid < 0)
		return berth_error_set(err, errno, "fork");
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		/* keep-id: not root of the namespace, so the mount needs
		 * its capability kept through the exec */
		if (s->keep_id && caps_keep_across_exec(CAP_SYS_ADMIN, err) < 0) {
			_cleanup_free_ char *t = berth_error_text(err);
			fprintf(stderr, "berth: %s\n", t);
			_exit(127);
		}
		/* a process group of its own: the terminal's ctrl-c and
		 * ctrl-z are the CLI's to pass on, never the daemon's to
		 * take (it would unmount, or stop with the container's
		 * requests in hand); signals, descriptors and environment
		 * as listed, nothing of the caller's */
		setpgid(0, 0);
		proc_reset_signals();
		char *argv[] = { "berth-fs", "-f", "-o", opts, mnt, NULL };
		execvpe(bin, argv, proc_helper_env());
		fprintf(stderr, "berth: %s: %s\n", bin, strerror(errno));
		_exit(127);
	}
	/* mounted when the root is on another device than its directory */
	for (int i = 0; i < 10000; i++) {
		int st;
		if (stat(mnt, &mnt_st) == 0 && mnt_st.st_dev != dir_st.st_dev)
			return pid;
		if (waitpid(pid, &st, WNOHANG) == pid)
			return berth_error_set(err, 0,
					       "berth-fs could not mount the container's root "
					       "(status %d, see above)",
					       WIFEXITED(st) ? WEXITSTATUS(st)
							     : 128 + WTERMSIG(st));
		nanosleep(&ts, NULL);
	}
	kill(pid, SIGKILL);
	wait_status(pid);
	return berth_error_set(err, ETIMEDOUT, "berth-fs did not mount the container's root");
}

/* The container's end as the holder saw it, when a helper's death or
 * stop ended it: a line in the container's directory for the monitor
 * (or the attached CLI) to record and show; see launch_end_reason(). */
static void note_end_reason(const struct launch_spec *s, const char *fmt, ...) _printf_(2, 3);
static void note_end_reason(const struct launch_spec *s, const char *fmt, ...)
{
	_cleanup_free_ char *text = NULL;
	struct berth_error e = { 0 };
	va_list ap;

	va_start(ap, fmt);
	if (vasprintf(&text, fmt, ap) < 0)
		text = NULL;
	va_end(ap);
	_cleanup_close_ int dirfd = open(s->dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (text && dirfd >= 0 &&
	    write_file_replace_nosync(dirfd, END_REASON_FILE, text, strlen(text), 0600, &e) < 0)
		berth_error_clear(&e); /* the exit status still says it ended */
}

static void describe_status(int st, char *buf, size_t len)
{
	if (WIFEXITED(st))
		snprintf(buf, len, "ended (status %d)", WEXITSTATUS(st));
	else if (WIFSIGNALED(st))
		snprintf(buf, len, "died (signal %d, %s)", WTERMSIG(st), strsignal(WTERMSIG(st)));
	else
		snprintf(buf, len, "was stopped (signal %d, %s)", WSTOPSIG(st),
			 strsignal(WSTOPSIG(st)));
}

/* How long berth-fs may take to fold its writable layer's log at the
 * end; past that it is killed (the next mount replays the log). */
#define FS_FOLD_TIMEOUT_S 60

static void stop_berth_fs(const struct launch_spec *s, pid_t fs_pid)
{
	_cleanup_free_ char *mnt = xasprintf("%s/rootfs", s->dir);
	struct timespec ts = { 0, 2000000 };

	/* the daemon ends when its mount goes, after folding its layer's
	 * log; one that is stopped or stuck is killed, bounded */
	umount2(mnt, MNT_DETACH);
	for (long waited = 0;; waited += 2) {
		int st;
		pid_t p = waitpid(fs_pid, &st, WNOHANG | WUNTRACED);
		if (p == fs_pid && !WIFSTOPPED(st))
			return;
		if ((p == fs_pid && WIFSTOPPED(st)) || waited >= FS_FOLD_TIMEOUT_S * 1000L ||
		    (p < 0 && errno != EINTR)) {
			kill(fs_pid, SIGKILL);
			wait_status(fs_pid);
			return;
		}
		nanosleep(&ts, NULL);
	}
}

/* The holder's wait: for pid 1's end, watching berth-fs meanwhile. A
 * container whose filesystem daemon died or stopped cannot go on (every
 * file operation fails, or hangs): pid 1 is killed and the reason noted.
 * A stopped daemon is killed first, which aborts the requests it holds
 * so the container's processes can die. Returns pid 1's status; *fs_gone
 * when berth-fs is reaped already. */
static int holder_wait(const struct launch_spec *s, pid_t init, pid_t fs_pid, bool *fs_gone)
{
	int status = EXIT_SETUP;
	bool noted = false;

	*fs_gone = false;
	for (;;) {
		int st;
		pid_t p = waitpid(-1, &st, WUNTRACED);
		if (p < 0) {
			if (errno == EINTR)
				continue;
			return status;
		}
		if (p == init && !WIFSTOPPED(st))
			return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
		if (p != fs_pid || *fs_gone)
			continue;
		if (!WIFSTOPPED(st)) {
			*fs_gone = true;
			fwd.fs_pid = 0;
		}
		/* the death of the one stopped and killed above, or of the one
		 * a kill's grace ended: no news */
		if (noted || fwd.fs_killed)
			continue;
		noted = true;
		char how[128];
		describe_status(st, how, sizeof(how));
		/* (the part before the first ':' is what `ps` shows) */
		if (WIFSTOPPED(st)) {
			kill(fs_pid, SIGKILL);
			note_end_reason(s,
					"berth-fs %s: the container's filesystem stopped "
					"answering; berth-fs and the container were killed",
					how);
		} else {
			note_end_reason(s,
					"berth-fs %s: the container's filesystem is gone; "
					"the container was killed",
					how);
		}
		kill(init, SIGKILL);
	}
}

/* ---- a child in a user namespace the parent maps ---- */

/* Child side: a new user namespace, which the parent maps (map_child)
 * while this waits; then root in it. Fails through errfd. */
static void become_userns_root(int sync_rd, int sync_wr, int errfd, bool keep_id)
{
	struct berth_error err = { 0 };
	char c = 0;

	if (unshare(CLONE_NEWUSER) < 0) {
		berth_error_set(&err, errno,
				"a user namespace (is kernel.unprivileged_userns_clone "
				"or user.max_user_namespaces off?)");
		child_fail(errfd, EXIT_SETUP, &err);
	}
	/* tell the parent to map us, and wait until it has */
	if (write(sync_wr, &c, 1) != 1 || read(sync_rd, &c, 1) != 1 || c != 1)
		_exit(EXIT_SETUP); /* the parent reports its own failure */
	close(sync_rd);
	close(sync_wr);
	/* keep-id: the user stays themselves (with every capability of the
	 * namespace until an exec), so berth-fs writes the writable layer as
	 * the user and not as container root's subordinate id */
	if (keep_id)
		return;
	if (setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0) {
		berth_error_set(&err, errno, "becoming root of the user namespace");
		child_fail(errfd, EXIT_SETUP, &err);
	}
}

/* Child side, on a user network: the keeper's user namespace, mapped
 * already (netns/keeper.c); root in it. */
static void join_shared_userns(const struct launch_spec *s, int errfd)
{
	struct berth_error err = { 0 };

	if (setns(s->join_userns_fd, CLONE_NEWUSER) < 0) {
		berth_error_set(&err, errno, "joining the network keeper's user namespace");
		child_fail(errfd, EXIT_SETUP, &err);
	}
	if (setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0) {
		berth_error_set(&err, errno, "becoming root of the user namespace");
		child_fail(errfd, EXIT_SETUP, &err);
	}
}

/* Parent side: map the child's user namespace once it has one, then let
 * it go on. Closes both ends. On failure the caller kills the child. */
static int map_child(pid_t pid, int from_child, int to_child, bool keep_id, struct berth_error *err)
{
	struct userns_map m;
	char c = 1;
	int r = 0;

	if (keep_id)
		r = userns_plan_keep_id(&m, err);
	else
		userns_plan(&m);
	if (r < 0)
		;
	else if (read(from_child, &c, 1) != 1)
		r = berth_error_set(err, 0, "the container's first process died");
	else if (userns_apply(pid, &m, err) < 0)
		r = -1;
	c = 1;
	if (r == 0 && write(to_child, &c, 1) != 1) {
		/* it died: its status says more */
	}
	close(from_child);
	close(to_child);
	return r;
}

/* A child's setup error, when one came before its exec or end (else the
 * pipe just closed): true with m filled. */
static bool read_child_msg(int fd, struct child_msg *m)
{
	ssize_t n;

	do
		n = read(fd, m, sizeof(*m));
	while (n < 0 && errno == EINTR);
	close(fd);
	if (n != (ssize_t)sizeof(*m))
		return false;
	m->text[sizeof(m->text) - 1] = '\0';
	return true;
}

/* The holder's namespaces: a user namespace the parent maps (or the
 * network keeper's, joined), the others but PID, the loopback, a user
 * network's plug; then the word to the parent that the network namespace
 * is there (when it has a step in it). */
static void holder_namespaces(const struct launch_spec *s, int sync_rd, int sync_wr,
			      const struct child_fds *fds)
{
	struct berth_error err = { 0 };
	int flags = CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWCGROUP;
	int errfd = fds->err;

	if (s->on_network)
		join_shared_userns(s, errfd);
	else
		become_userns_root(sync_rd, sync_wr, errfd, s->keep_id);
	/* after the change of ids, which clears it */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (s->own_netns)
		flags |= CLONE_NEWNET;
	if (unshare(flags) < 0) {
		berth_error_set(&err, errno, "the container's namespaces");
		child_fail(errfd, EXIT_SETUP, &err);
	}
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) {
		berth_error_set(&err, errno, "making mounts private");
		child_fail(errfd, EXIT_SETUP, &err);
	}
	if (s->own_netns && loopback_up(&err) < 0)
		child_fail(errfd, EXIT_SETUP, &err);
	if (s->own_netns)
		allow_ping();
	if (s->on_network) {
		if (netns_attach(&s->attach, &err) < 0)
			child_fail(errfd, EXIT_SETUP, &err);
		/* the container's processes have no business with them */
		close(s->join_userns_fd);
		close(s->attach.bridge_fd);
	}
	if (fds->net_up >= 0) { /* the network's step runs while berth-fs starts */
		if (write(fds->net_up, "n", 1) != 1)
			_exit(EXIT_SETUP);
		close(fds->net_up);
	}
}

/* The holder: root of the container's user namespace; its namespaces,
 * berth-fs on the root, pid 1, and the wait for pid 1's end. */
_noreturn_ static void holder(const struct launch_spec *s, int sync_rd, int sync_wr,
			      const struct child_fds *fds)
{
	struct berth_error err = { 0 };
	int errfd = fds->err, status;
	pid_t init, fs_pid;

	holder_namespaces(s, sync_rd, sync_wr, fds);
	if ((fs_pid = start_berth_fs(s, &err)) < 0)
		child_fail(errfd, EXIT_SETUP, &err);
	/* the PID namespace only now: its first child is the container's
	 * init, and berth-fs stays out of the container's sight and reach */
	if (unshare(CLONE_NEWPID) < 0) {
		berth_error_set(&err, errno, "the container's PID namespace");
		stop_berth_fs(s, fs_pid);
		child_fail(errfd, EXIT_SETUP, &err);
	}
	init = fork();
	if (init < 0) {
		berth_error_set(&err, errno, "fork");
		stop_berth_fs(s, fs_pid);
		child_fail(errfd, EXIT_SETUP, &err);
	}
	if (init == 0)
		container_init(s, fds);
	close(errfd);
	if (fds->net_go >= 0)
		close(fds->net_go); /* pid 1 waits on it */
	/* for exec: the host pid of the container's pid 1 */
	_cleanup_free_ char *initpid = xasprintf("%d\n", (int)init);
	_cleanup_close_ int dirfd = open(s->dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	struct berth_error werr = { 0 };
	if (dirfd < 0 ||
	    write_file_replace_nosync(dirfd, "init.pid", initpid, strlen(initpid), 0644, &werr) < 0)
		berth_error_clear(&werr); /* exec will say the container is not running */
	forward_signals(init, true, fs_pid);
	bool fs_gone;
	status = holder_wait(s, init, fs_pid, &fs_gone);
	forward_stop();
	alarm(0);
	/* the network has no process left: slirp4netns may end now (its
	 * end takes a while, which berth-fs's unmount overlaps, and which
	 * the monitor waits for to reap it) */
	if (fds->net_exit >= 0)
		close(fds->net_exit);
	if (fs_gone) {
		_cleanup_free_ char *mnt = xasprintf("%s/rootfs", s->dir);
		umount2(mnt, MNT_DETACH);
	} else {
		stop_berth_fs(s, fs_pid);
	}
	_exit(status);
}

/* ---- the parent ---- */

/* A write to a child's pipe that may be closed already (the child
 * failed): EPIPE, not a SIGPIPE that would kill berth before it says
 * why. */
static ssize_t write_no_sigpipe(int fd, const void *buf, size_t len)
{
	sigset_t pipe_set, old;
	struct timespec zero = { 0, 0 };
	ssize_t n;

	sigemptyset(&pipe_set);
	sigaddset(&pipe_set, SIGPIPE);
	sigprocmask(SIG_BLOCK, &pipe_set, &old);
	n = write(fd, buf, len);
	if (n < 0 && errno == EPIPE)
		sigtimedwait(&pipe_set, NULL, &zero); /* (the one this write raised) */
	sigprocmask(SIG_SETMASK, &old, NULL);
	return n;
}

/* Parent side: once the holder has its network namespace, the network's
 * step (launchnet.c); then the holder may go on. net[]: up (read), go
 * (write), exit (read, for slirp4netns). */
static int start_network(const struct launch_spec *s, pid_t holder_pid, const int net[3],
			 struct launch_net *ln, struct berth_error *err)
{
	char c;

	if (read(net[0], &c, 1) != 1)
		return 0; /* the holder failed: its message says why */
	if (launchnet_configure(s, holder_pid, net[2], ln, err) < 0)
		return -1;
	if (write_no_sigpipe(net[1], "g", 1) != 1) {
		/* the holder died: its status says so */
	}
	return 0;
}

char *launch_end_reason(const char *dir)
{
	_cleanup_close_ int dirfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	struct berth_error e = { 0 };
	char *text = NULL;

	if (dirfd < 0 || read_file_at(dirfd, END_REASON_FILE, 4096, &text, NULL, &e) < 0) {
		berth_error_clear(&e);
		return NULL;
	}
	unlinkat(dirfd, END_REASON_FILE, 0);
	return text;
}

/* The pipes between berth and the holder's tree: the user namespace's
 * mapping handshake (to, from), setup errors (err), the terminal (cons,
 * with -t) and the network's (up, go, and ex: slirp4netns's exit). */
struct launch_pipes {
	int to[2], from[2], err[2], cons[2], up[2], go[2], ex[2];
};

static int make_pipes(struct launch_pipes *p, bool tty, bool step)
{
	*p = (struct launch_pipes){
		.cons = { -1, -1 }, .up = { -1, -1 }, .go = { -1, -1 }, .ex = { -1, -1 }
	};
	if (pipe2(p->to, O_CLOEXEC) < 0 || pipe2(p->from, O_CLOEXEC) < 0 ||
	    pipe2(p->err, O_CLOEXEC) < 0 ||
	    (tty && socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, p->cons) < 0) ||
	    (step && (pipe2(p->up, O_CLOEXEC) < 0 || pipe2(p->go, O_CLOEXEC) < 0 ||
		      pipe2(p->ex, O_CLOEXEC) < 0)))
		return -1;
	return 0;
}

/* The forked child: its ends of the pipes, stdin, then the holder. */
_noreturn_ static void holder_child(const struct launch_spec *s, const struct launch_pipes *p,
				    bool step)
{
	close(p->to[1]);
	close(p->from[0]);
	close(p->err[0]);
	struct child_fds fds = {
		.err = p->err[1], .console = -1, .net_up = -1, .net_go = -1, .net_exit = -1
	};
	if (s->tty) {
		close(p->cons[0]);
		fds.console = p->cons[1];
	}
	if (step) {
		/* ex[1] stays open here, and in --init's pid 1, until the
		 * container ends (exec closes it elsewhere): the slirp4netns
		 * started on it end with the container */
		close(p->up[0]);
		close(p->go[1]);
		close(p->ex[0]);
		fds.net_up = p->up[1];
		fds.net_go = p->go[0];
		fds.net_exit = p->ex[1];
	}
	if (!s->interactive) {
		int null = open("/dev/null", O_RDONLY | O_CLOEXEC);
		if (null >= 0 && null != 0) {
			dup2(null, 0);
			close(null);
		}
	}
	holder(s, p->to[0], p->from[1], &fds);
}

/* A start that failed before the exec: the holder killed and waited for.
 * A child that failed first is the cause (slirp4netns then fails for want
 * of the namespaces it was to join): its message wins over err's. */
static int start_failed(const struct launch_spec *s, struct launch_proc *lp, struct launch_pipes *p,
			bool step, int *status, struct berth_error *err)
{
	struct child_msg msg;

	kill(lp->pid, SIGKILL);
	*status = wait_status(lp->pid);
	forward_stop();
	if (read_child_msg(p->err[0], &msg)) {
		berth_error_clear(err);
		berth_error_set(err, 0, "%s", msg.text);
		if (msg.code)
			*status = msg.code;
	}
	if (s->tty)
		close(p->cons[0]);
	if (step) {
		close(p->up[0]);
		close(p->go[1]);
		close(p->ex[0]);
	}
	launchnet_clear(&lp->net);
	return -1;
}

/* The parent's ends of the pipes once the holder is forked. */
static void close_child_ends(const struct launch_pipes *p, bool tty, bool step)
{
	close(p->to[0]);
	close(p->from[1]);
	close(p->err[1]);
	if (tty)
		close(p->cons[1]);
	if (step) {
		close(p->up[1]);
		close(p->go[0]);
		close(p->ex[1]);
	}
}

int launch_start(const struct launch_spec *s, struct launch_proc *lp, int *status,
		 struct berth_error *err)
{
	bool step = launchnet_has_step(s);
	struct launch_pipes p;
	struct child_msg msg;

	*lp = (struct launch_proc){ .pid = -1, .console = -1, .console_peer = -1 };
	free(launch_end_reason(s->dir)); /* a former run's */
	if (make_pipes(&p, s->tty, step) < 0)
		return berth_error_set(err, errno, "pipe");
	if ((lp->pid = nsrun_fork(err)) < 0)
		return -1;
	if (lp->pid == 0)
		holder_child(s, &p, step);
	close_child_ends(&p, s->tty, step);
	forward_signals(lp->pid, false, 0);
	int net[3] = { p.up[0], p.go[1], p.ex[0] };
	if (s->on_network) { /* its user namespace is mapped already */
		close(p.from[0]);
		close(p.to[1]);
	}
	if ((!s->on_network && map_child(lp->pid, p.from[0], p.to[1], s->keep_id, err) < 0) ||
	    (step && start_network(s, lp->pid, net, &lp->net, err) < 0))
		return start_failed(s, lp, &p, step, status, err);
	for (int i = 0; step && i < 3; i++)
		close(net[i]);
	/* the terminal comes before the exec (or never, on a failure) */
	if (s->tty) {
		lp->console = receive_console(p.cons[0], &lp->console_peer);
		close(p.cons[0]);
	}
	/* EOF: the command was exec'd (the pipe closes on exec); a message:
	 * a child failed before */
	if (read_child_msg(p.err[0], &msg)) {
		*status = wait_status(lp->pid);
		forward_stop();
		launchnet_clear(&lp->net);
		if (msg.code)
			*status = msg.code;
		return berth_error_set(err, 0, "%s", msg.text);
	}
	if (launchnet_relays(s, lp->pid, &lp->net, err) < 0) {
		kill(lp->pid, launch_kill_signal());
		*status = wait_status(lp->pid);
		forward_stop();
		launchnet_wait(&lp->net);
		return -1;
	}
	return 0;
}

int launch_wait(struct launch_proc *lp)
{
	int status = wait_status(lp->pid);
	forward_stop();
	launchnet_wait(&lp->net); /* they watch the holder's end: a moment */
	return status;
}

/* ---- exec: a new process in a running container ---- */

/* In the order that works: the user namespace first (it gives the rights
 * for the others), the mount namespace last (it moves root and cwd). */
static const struct {
	const char *name;
	int type;
} exec_ns[] = {
	{ "user", CLONE_NEWUSER }, { "ipc", CLONE_NEWIPC },	  { "uts", CLONE_NEWUTS },
	{ "net", CLONE_NEWNET },   { "cgroup", CLONE_NEWCGROUP }, { "pid", CLONE_NEWPID },
	{ "mnt", CLONE_NEWNS },
};

_noreturn_ static void exec_joiner(pid_t init, const struct launch_spec *s,
				   const struct child_fds *cfds)
{
	struct berth_error err = { 0 };
	int fds[ARRAY_SIZE(exec_ns)], errfd = cfds->err;
	pid_t cmd;

	/* Before the first setns: not dumpable (so neither this process nor
	 * the command's before its exec lends the container its exe or
	 * fds through /proc), and no host descriptor but the error pipe and
	 * the terminal's socket: the CLI's store fd was a way into the
	 * user's home (docs/security.md). */
	prctl(PR_SET_DUMPABLE, 0);
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	const int keep[] = { errfd, cfds->console };
	if (proc_close_fds_but(keep, ARRAY_SIZE(keep)) < 0) {
		berth_error_set(&err, errno, "closing berth's descriptors");
		child_fail(errfd, EXIT_SETUP, &err);
	}
	for (size_t i = 0; i < ARRAY_SIZE(exec_ns); i++) {
		_cleanup_free_ char *p = xasprintf("/proc/%d/ns/%s", (int)init, exec_ns[i].name);
		if ((fds[i] = open(p, O_RDONLY | O_CLOEXEC)) < 0) {
			berth_error_set(&err, errno, "%s", p);
			child_fail(errfd, EXIT_SETUP, &err);
		}
	}
	for (size_t i = 0; i < ARRAY_SIZE(exec_ns); i++) {
		if (setns(fds[i], exec_ns[i].type) < 0) {
			berth_error_set(&err, errno, "joining the container's %s namespace",
					exec_ns[i].name);
			child_fail(errfd, EXIT_SETUP, &err);
		}
		close(fds[i]);
	}
	if (setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0) {
		berth_error_set(&err, errno, "becoming root of the container's user namespace");
		child_fail(errfd, EXIT_SETUP, &err);
	}
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	/* a PID namespace takes effect for children only */
	cmd = fork_command(s, cfds, errfd);
	forward_signals(cmd, false, 0);
	_exit(wait_status(cmd));
}

int launch_exec_start(pid_t init, const struct launch_spec *s, struct launch_proc *lp, int *status,
		      struct berth_error *err)
{
	struct child_msg msg;
	int errp[2], cons[2] = { -1, -1 };

	*lp = (struct launch_proc){ .pid = -1, .console = -1, .console_peer = -1 };
	if (pipe2(errp, O_CLOEXEC) < 0 ||
	    (s->tty && socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, cons) < 0))
		return berth_error_set(err, errno, "pipe");
	if ((lp->pid = nsrun_fork(err)) < 0)
		return -1;
	if (lp->pid == 0) {
		struct child_fds fds = {
			.err = errp[1], .console = -1, .net_up = -1, .net_go = -1, .net_exit = -1
		};
		close(errp[0]);
		if (s->tty) {
			close(cons[0]);
			fds.console = cons[1];
		}
		if (!s->interactive) {
			int null = open("/dev/null", O_RDONLY | O_CLOEXEC);
			if (null > 0) {
				dup2(null, 0);
				close(null);
			}
		}
		exec_joiner(init, s, &fds);
	}
	close(errp[1]);
	forward_signals(lp->pid, false, 0);
	if (s->tty) {
		close(cons[1]);
		lp->console = receive_console(cons[0], &lp->console_peer);
		close(cons[0]);
	}
	if (read_child_msg(errp[0], &msg)) {
		*status = wait_status(lp->pid);
		forward_stop();
		*status = msg.code;
		return berth_error_set(err, 0, "%s", msg.text);
	}
	return 0;
}

/* ---- a stopped container's root, mounted for a moment (cp) ---- */

int launch_with_root(const struct launch_spec *s,
		     int (*fn)(int rootfd, void *arg, struct berth_error *err), void *arg,
		     struct berth_error *err)
{
	int to_child[2], from_child[2], errp[2];
	struct child_msg msg;
	pid_t pid;
	int status;

	if (pipe2(to_child, O_CLOEXEC) < 0 || pipe2(from_child, O_CLOEXEC) < 0 ||
	    pipe2(errp, O_CLOEXEC) < 0)
		return berth_error_set(err, errno, "pipe");
	if ((pid = nsrun_fork(err)) < 0)
		return -1;
	if (pid == 0) {
		struct berth_error e = { 0 };
		close(to_child[1]);
		close(from_child[0]);
		close(errp[0]);
		/* the holder's first steps: a mapped user namespace and a
		 * mount namespace of its own, with berth-fs */
		become_userns_root(to_child[0], from_child[1], errp[1], s->keep_id);
		if (unshare(CLONE_NEWNS) < 0 ||
		    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) {
			berth_error_set(&e, errno, "the container's namespaces");
			child_fail(errp[1], EXIT_SETUP, &e);
		}
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		pid_t fs = start_berth_fs(s, &e);
		if (fs < 0)
			child_fail(errp[1], EXIT_SETUP, &e);
		_cleanup_free_ char *mnt = xasprintf("%s/rootfs", s->dir);
		int rootfd = open(mnt, O_PATH | O_DIRECTORY | O_CLOEXEC);
		int r = rootfd < 0 ? berth_error_set(&e, errno, "%s", mnt) : fn(rootfd, arg, &e);
		if (rootfd >= 0)
			close(rootfd);
		stop_berth_fs(s, fs);
		if (r < 0 && !e.msg)
			berth_error_set(&e, 0, "failed");
		if (r < 0)
			child_fail(errp[1], 1, &e);
		_exit(0);
	}
	close(to_child[0]);
	close(from_child[1]);
	close(errp[1]);
	if (map_child(pid, from_child[0], to_child[1], s->keep_id, err) < 0) {
		kill(pid, SIGKILL);
		wait_status(pid);
		close(errp[0]);
		return -1;
	}
	bool failed = read_child_msg(errp[0], &msg);
	status = wait_status(pid);
	if (failed)
		return berth_error_set(err, 0, "%s", msg.text);
	return status == 0 ? 0 : berth_error_set(err, 0, "the helper process failed (%d)", status);
}
