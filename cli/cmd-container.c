// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * cmd-container.c: the verbs on a container that exists: `stop`, `kill`,
 * `wait` and `logs`. Signals go to the process that stands for the
 * container (launch.h), which passes them to its pid 1; the state and the
 * log are the monitor's files (monitor.c, container.c).
 */
#include <dirent.h>
#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <termios.h>
#include <json-c/json.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "cmd-stack.h"
#include "../runner/commit.h"
#include "../lib/console.h"
#include "../runner/container.h"
#include "../runner/copy.h"
#include "../image/image.h"
#include "../image/reference.h"
#include "../runner/spec.h"
#include "../runner/launch.h"
#include "../image/mount.h"
#include "../netns/ports.h"
#include "../lib/proctitle.h"
#include "../runner/seccomp-filter.h"
#include "../runner/secretspec.h"
#include "../lib/util.h"

/* --since: "2026-11-28T08:00:00Z" (a prefix of the log's own format
 * compares as text) or a duration back from now (30s, 5m, 2h) */
static char *since_stamp(const char *arg)
{
	char *end;
	double v = strtod(arg, &end);

	if (end != arg && (!strcmp(end, "s") || !strcmp(end, "m") || !strcmp(end, "h"))) {
		char buf[64];
		struct tm tm;
		time_t t = time(NULL) - (time_t)(v * (*end == 's' ? 1 : *end == 'm' ? 60 : 3600));
		gmtime_r(&t, &tm);
		strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
		return xstrdup(buf);
	}
	if (strlen(arg) >= 10 && arg[4] == '-' && arg[7] == '-') {
		char *s = xstrdup(arg);
		size_t l = strlen(s);
		if (l && s[l - 1] == 'Z') /* the log's stamps all end in Z */
			s[l - 1] = '\0';
		return s;
	}
	return NULL;
}

static int signal_container(struct store *s, const char *ref, int sig, char *id,
			    struct berth_error *err)
{
	pid_t holder;

	if (container_resolve(s, ref, id, err) < 0)
		return -1;
	if (!container_running(s, id) || (holder = container_holder(s, id)) == 0)
		return berth_error_set(err, 0, "container %s is not running", ref);
	if (kill(holder, sig == SIGKILL ? launch_kill_signal() : sig) < 0)
		return berth_error_set(err, errno, "signalling container %s", ref);
	return 0;
}

int cmd_kill(int argc, char **argv)
{
	static const struct cli_opt opts[] = {
		{ "signal", 's', "SIG", "The signal (name or number; default KILL)" },
		{ 0 },
	};
	struct berth_error err = { 0 };
	_cleanup_store_ struct store *s = NULL;
	int c, sig = SIGKILL, r = 0;

	while ((c = cli_getopt(argc, argv, "kill", "kill [-s SIG] CONTAINER...", opts)) != -1) {
		if (c != 's')
			return EXIT_USAGE;
		if ((sig = signal_from_name(optarg)) < 0)
			return cli_usage_error("kill", "-s %s: not a signal", optarg);
	}
	if (optind >= argc)
		return cli_usage_error("kill", "a CONTAINER is required");
	if ((c = cli_open_store(&s)) != 0)
		return c;
	for (int i = optind; i < argc; i++) {
		char id[CONTAINER_ID_LEN + 1];
		if (signal_container(s, argv[i], sig, id, &err) < 0)
			r = cli_fail(&err);
		else
			printf("%s\n", argv[i]);
	}
	return r;
}

/* Stop the container: its stop signal, then SIGKILL after its timeout
 * (secs < 0: the container's own, else docker's 10 s). */
static void stop_one(struct store *s, const char *ref, const char *id, long secs)
{
	struct berth_error err = { 0 };
	_cleanup_json_ struct json_object *cfg = container_config(s, id, &err);
	struct json_object *v;
	char idbuf[CONTAINER_ID_LEN + 1];
	int sig = SIGTERM;
	long wait_s = secs < 0 ? 10 : secs;

	if (cfg) {
		if (json_object_object_get_ex(cfg, "StopSignal", &v) &&
		    signal_from_name(json_object_get_string(v)) > 0)
			sig = signal_from_name(json_object_get_string(v));
		if (secs < 0 && json_object_object_get_ex(cfg, "StopTimeout", &v))
			wait_s = json_object_get_int64(v);
	}
	berth_error_clear(&err);
	/* stopping a stopped container is no error (docker) */
	if (container_running(s, id) && signal_container(s, ref, sig, idbuf, &err) == 0 &&
	    !container_wait_exit(s, id, wait_s * 1000)) {
		pid_t holder = container_holder(s, id);
		if (holder > 0)
			kill(holder, launch_kill_signal());
		container_wait_exit(s, id, 10000);
	}
	berth_error_clear(&err);
}

/* stop and restart: [-t SECONDS] CONTAINER..., then start again */
static int stop_or_restart(int argc, char **argv, const char *verb, bool restart)
{
	static const struct cli_opt opts[] = {
		{ "time", 't', "SECONDS",
		  "Wait this long after the stop signal before SIGKILL (default 10)" },
		{ "stack", 's' + 512, "FILE", "The names are the sandboxes of this stack file" },
		{ 0 },
	};
	const char *stack = NULL;
	struct berth_error err = { 0 };
	_cleanup_store_ struct store *s = NULL;
	_cleanup_free_ char *usage = xasprintf("%s [-t SECONDS] CONTAINER...", verb);
	long secs = -1;
	int c, r = 0;

	while ((c = cli_getopt(argc, argv, verb, usage, opts)) != -1) {
		char *end;
		if (c == 's' + 512) {
			stack = optarg;
			continue;
		}
		if (c != 't')
			return EXIT_USAGE;
		secs = strtol(optarg, &end, 10);
		if (!*optarg || *end || secs < 0)
			return cli_usage_error(verb, "-t %s: expected seconds", optarg);
	}
	if (optind >= argc)
		return cli_usage_error(verb, "a CONTAINER is required");
	if ((c = cli_open_store(&s)) != 0)
		return c;
	for (int i = optind; i < argc; i++) {
		char id[CONTAINER_ID_LEN + 1];
		_cleanup_free_ char *cname = NULL;
		if (stack && (c = stack_container(stack, argv[i], &cname)) != 0) {
			r = c;
			continue;
		}
		if (container_resolve(s, cname ? cname : argv[i], id, &err) < 0) {
			r = cli_fail(&err);
			continue;
		}
		stop_one(s, id, id, secs); /* (by ID: a stack names sandboxes) */
		if (restart && (c = start_container(s, id, false, false)) != 0) {
			r = c;
			continue;
		}
		printf("%s\n", argv[i]);
	}
	return r;
}

int cmd_stop(int argc, char **argv)
{
	return stop_or_restart(argc, argv, "stop", false);
}

int cmd_restart(int argc, char **argv)
{
	return stop_or_restart(argc, argv, "restart", true);
}

int cmd_wait(int argc, char **argv)
{
	struct berth_error err = { 0 };
	_cleanup_store_ struct store *s = NULL;
	int c, r = 0;

	while ((c = cli_getopt(argc, argv, "wait", "wait CONTAINER...", NULL)) != -1)
		return EXIT_USAGE;
	if (optind >= argc)
		return cli_usage_error("wait", "a CONTAINER is required");
	if ((c = cli_open_store(&s)) != 0)
		return c;
	for (int i = optind; i < argc; i++) {
		char id[CONTAINER_ID_LEN + 1];
		struct container_state st;
		if (container_resolve(s, argv[i], id, &err) < 0) {
			r = cli_fail(&err);
			continue;
		}
		container_wait_exit(s, id, -1);
		container_get_state(s, id, &st);
		printf("%d\n", st.exit_code);
	}
	return r;
}

/* One log record "TIME STREAM TEXT": TEXT to stdout or stderr. */
static void print_record(const char *line, size_t len, bool timestamps)
{
	const char *sp1 = memchr(line, ' ', len), *sp2;

	if (!sp1 || !(sp2 = memchr(sp1 + 1, ' ', len - (size_t)(sp1 + 1 - line))))
		return;
	FILE *out = strncmp(sp1 + 1, "stderr", 6) == 0 ? stderr : stdout;
	if (timestamps)
		fprintf(out, "%.*s ", (int)(sp1 - line), line);
	fprintf(out, "%.*s\n", (int)(len - (size_t)(sp2 + 1 - line)), sp2 + 1);
}

int cmd_logs(int argc, char **argv)
{
	static const struct cli_opt opts[] = {
		{ "follow", 'f', NULL, "Keep printing new lines until the container ends" },
		{ "timestamps", 't', NULL, "Show each line's time" },
		{ "tail", 'T' + 256, "N", "Only the last N lines" },
		{ "since", 'S' + 256, "TIME",
		  "Only lines since TIME (RFC 3339, or 30s, 5m, 2h ago)" },
		{ "stack", 's' + 512, "FILE",
		  "Every sandbox of a stack file, each line after its name" },
		{ 0 },
	};
	const char *stack = NULL;
	struct berth_error err = { 0 };
	_cleanup_store_ struct store *s = NULL;
	bool follow = false, ts = false;
	_cleanup_free_ char *since = NULL;
	long tail = -1;
	char id[CONTAINER_ID_LEN + 1];
	int c;

	while ((c = cli_getopt(argc, argv, "logs", "logs [-f] [-t] [--tail N] CONTAINER", opts)) !=
	       -1) {
		char *end;
		if (c == 'f')
			follow = true;
		else if (c == 't')
			ts = true;
		else if (c == 's' + 512)
			stack = optarg;
		else if (c == 'S' + 256 && (since = since_stamp(optarg)))
			;
		else if (c == 'S' + 256)
			return cli_usage_error("logs", "--since %s: expected RFC 3339 or 30s/5m/2h",
					       optarg);
		else if (c == 'T' + 256 &&
			 (tail = strtol(optarg, &end, 10), *optarg && !*end && tail >= 0))
			;
		else
			return c == 'T' + 256
				       ? cli_usage_error("logs", "--tail %s: expected a count",
							 optarg)
				       : EXIT_USAGE;
	}
	if (stack && (since || tail >= 0))
		return cli_usage_error("logs", "--stack takes -f and -t only");
	if (stack && optind != argc)
		return cli_usage_error("logs", "--stack FILE names the containers");
	if (stack)
		return stack_logs_file(stack, follow, ts);
	if (optind + 1 != argc)
		return cli_usage_error("logs", "one CONTAINER is required");
	if ((c = cli_open_store(&s)) != 0)
		return c;
	if (container_resolve(s, argv[optind], id, &err) < 0)
		return cli_fail(&err);
	_cleanup_free_ char *path = xasprintf("containers/%s/log", id);
	_cleanup_close_ int fd = openat(s->rootfd, path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	_cleanup_free_ char *buf = NULL;
	size_t len = 0, done = 0;
	if (fd < 0)
		return 0; /* nothing logged (an attached run, or nothing written) */
	/* --tail: start after the N-th newline from the end */
	if (read_fd_all(fd, (size_t)1 << 30, &buf, &len, &err) < 0)
		return cli_fail(&err);
	if (tail >= 0) {
		/* the start of the tail-th line from the end (the last newline
		 * ends the last line, it does not start one) */
		size_t n = 0, i = len;
		done = tail == 0 ? len : 0;
		while (tail > 0 && i > 0) {
			if (buf[--i] == '\n' && i + 1 < len && ++n == (size_t)tail) {
				done = i + 1;
				break;
			}
		}
	}

	for (;;) {
		char *nl;
		while (done < len && (nl = memchr(buf + done, '\n', len - done))) {
			if (!since || strncmp(buf + done, since, strlen(since)) >= 0)
				print_record(buf + done, (size_t)(nl - (buf + done)), ts);
			done = (size_t)(nl - buf) + 1;
		}
		fflush(stdout);
		fflush(stderr);
		if (!follow)
			break;
		bool running = container_running(s, id);
		char more[65536];
		ssize_t n = read(fd, more, sizeof(more));
		if (n > 0) {
			buf = xrealloc(buf, len + (size_t)n + 1);
			memcpy(buf + len, more, (size_t)n);
			len += (size_t)n;
			continue;
		}
		if (!running)
			break;
		struct timespec w = { 0, 50000000 };
		nanosleep(&w, NULL);
	}
	return 0;
}

int cmd_exec(int argc, char **argv)
{
	static const struct cli_opt opts[] = {
		{ "interactive", 'i', NULL, "Keep stdin open" },
		{ "tty", 't', NULL, "Give the process a terminal" },
		{ "user", 'u', "USER[:GROUP]", "User to run as (default: the container's)" },
		{ "workdir", 'w', "DIR", "Working directory (default: the container's)" },
		{ "env", 'e', "KEY[=VALUE]", "Set an environment variable" },
		{ 0 },
	};
	struct berth_error err = { 0 };
	_cleanup_store_ struct store *s = NULL;
	_cleanup_json_ struct json_object *cfg = NULL;
	const char *user = NULL, *workdir = NULL;
	bool interactive = false, tty = false;
	char **envs = xcalloc(1, sizeof(char *)), id[CONTAINER_ID_LEN + 1];
	size_t n_envs = 0, n_env;
	int c, status = 0;
	pid_t init;

	setenv("POSIXLY_CORRECT", "1", 1);
	while ((c = cli_getopt(argc, argv, "exec", "exec [OPTIONS] CONTAINER COMMAND [ARG...]",
			       opts)) != -1) {
		if (c == 'i')
			interactive = true;
		else if (c == 't')
			tty = true;
		else if (c == 'u')
			user = optarg;
		else if (c == 'w')
			workdir = optarg;
		else if (c == 'e')
			strv_push(&envs, &n_envs, optarg);
		else {
			strv_free(envs);
			return EXIT_USAGE;
		}
	}
	unsetenv("POSIXLY_CORRECT");
	if (optind + 2 > argc) {
		strv_free(envs);
		return cli_usage_error("exec", "a CONTAINER and a COMMAND are required");
	}
	if ((c = cli_open_store(&s)) != 0) {
		strv_free(envs);
		return c;
	}
	if (container_resolve(s, argv[optind], id, &err) < 0)
		goto fail;
	proctitle_set((const char *const[]){ "berth", "exec", argv[optind] }, 3);
	if (!container_running(s, id) || (init = container_ns_pid(s, id)) == 0) {
		berth_error_set(&err, 0, "container %s is not running", argv[optind]);
		goto fail;
	}
	if (!(cfg = container_config(s, id, &err)))
		goto fail;
	char **env = strv_from_json_key(cfg, "Env", &n_env);
	/* the container's secret variables, as its command has them */
	struct secret_values sv;
	if (secretspec_load(s, cfg, &sv, &env, &n_env, &err) < 0) {
		strv_free(env);
		goto fail;
	}
	secret_values_clear(&sv);
	for (size_t i = 0; i < n_envs; i++) {
		size_t k = strcspn(envs[i], "=");
		char *v = envs[i][k] ? xstrdup(envs[i]) : NULL;
		if (!v && getenv(envs[i]))
			v = xasprintf("%s=%s", envs[i], getenv(envs[i]));
		if (!v)
			continue;
		size_t j = 0;
		while (j < n_env && !(strncmp(env[j], v, k + 1) == 0))
			j++;
		if (j < n_env) {
			free(env[j]);
			env[j] = v;
		} else {
			strv_push(&env, &n_env, v);
			free(v);
		}
	}
	const char *caps = json_get_string(cfg, "Caps"), *cuser = json_get_string(cfg, "User");
	struct json_object *b;
	struct launch_spec ls = {
		.argv = argv + optind + 1,
		.env = env,
		.workdir = workdir ? workdir : json_get_string(cfg, "WorkingDir"),
		.user = user ? user : (cuser && *cuser ? cuser : NULL),
		.caps = caps ? strtoull(caps, NULL, 16) : 0,
		.no_new_privs = !json_object_object_get_ex(cfg, "NoNewPrivileges", &b) ||
				json_object_get_boolean(b),
		.seccomp = !json_object_object_get_ex(cfg, "Seccomp", &b) ||
			   json_object_get_boolean(b),
		.interactive = interactive,
		.tty = tty,
	};
	/* the container's own filter: its profile's copy, its capabilities */
	struct seccomp_filters filters;
	int cachefd = seccomp_cache_dir(s->rootfd);
	int sr = seccomp_filters_for_config(cachefd, cfg, ls.caps, &filters, &err);
	if (cachefd >= 0)
		close(cachefd);
	if (sr < 0) {
		strv_free(env);
		goto fail;
	}
	ls.seccomp_filters = &filters;
	struct winsize ws;
	if (tty && ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) == 0) {
		ls.rows = ws.ws_row;
		ls.cols = ws.ws_col;
	}
	store_unlock(s);
	pid_t pid;
	if (launch_exec_start(init, &ls, &pid, &status, &err) < 0) {
		cli_fail(&err);
	} else {
		if (launch_console >= 0) {
			int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
			console_relay(launch_console, interactive, pidfd);
			if (pidfd >= 0)
				close(pidfd);
			close(launch_console);
			if (launch_console_peer >= 0)
				close(launch_console_peer);
		}
		status = launch_wait(pid);
	}
	seccomp_filters_clear(&filters);
	strv_free(env);
	strv_free(envs);
	return status;
fail:
	strv_free(envs);
	c = cli_fail(&err);
	return c == 1 ? EXIT_USAGE : c;
}

/* `top`: the container's processes, found by their PID namespace. */
int cmd_top(int argc, char **argv)
{
	struct berth_error err = { 0 };
	_cleanup_store_ struct store *s = NULL;
	char id[CONTAINER_ID_LEN + 1], ns[64] = "", want[64];
	pid_t init;
	int c;

	while ((c = cli_getopt(argc, argv, "top", "top CONTAINER", NULL)) != -1)
		return EXIT_USAGE;
	if (optind + 1 != argc)
		return cli_usage_error("top", "one CONTAINER is required");
	if ((c = cli_open_store(&s)) != 0)
		return c;
	if (container_resolve(s, argv[optind], id, &err) < 0)
		return cli_fail(&err);
	_cleanup_free_ char *nsp = NULL;
	ssize_t wn = -1;
	if ((init = container_ns_pid(s, id)) == 0 ||
	    (wn = readlink((nsp = xasprintf("/proc/%d/ns/pid", (int)init)), want,
			   sizeof(want) - 1)) < 0) {
		berth_error_set(&err, 0, "container %s is not running", argv[optind]);
		return cli_fail(&err);
	}
	want[wn] = '\0';
	_cleanup_closedir_ DIR *d = opendir("/proc");
	struct dirent *de;
	printf("%-8s %-8s %s\n", "PID", "UID", "COMMAND");
	while (d && (de = readdir(d))) {
		if (de->d_name[0] < '1' || de->d_name[0] > '9')
			continue;
		_cleanup_free_ char *p = xasprintf("/proc/%s/ns/pid", de->d_name);
		ssize_t n = readlink(p, ns, sizeof(ns) - 1);
		if (n < 0)
			continue;
		ns[n] = '\0';
		if (strcmp(ns, want) != 0)
			continue;
		_cleanup_free_ char *cp = xasprintf("/proc/%s/cmdline", de->d_name), *cmd = NULL;
		_cleanup_free_ char *sp = xasprintf("/proc/%s/status", de->d_name), *st = NULL;
		size_t len = 0;
		if (read_file_at(AT_FDCWD, cp, 4096, &cmd, &len, &err) < 0 ||
		    read_file_at(AT_FDCWD, sp, 16384, &st, NULL, &err) < 0) {
			berth_error_clear(&err);
			continue;
		}
		for (size_t i = 0; i + 1 < len; i++)
			if (cmd[i] == '\0')
				cmd[i] = ' ';
		char *u = strstr(st, "\nUid:");
		printf("%-8s %-8d %s\n", de->d_name, u ? atoi(u + 5) : -1, cmd);
	}
	return 0;
}

int cmd_diff(int argc, char **argv)
{
	struct berth_error err = { 0 };
	_cleanup_store_ struct store *s = NULL;
	char id[CONTAINER_ID_LEN + 1];
	int c;

	while ((c = cli_getopt(argc, argv, "diff", "diff CONTAINER", NULL)) != -1)
		return EXIT_USAGE;
	if (optind + 1 != argc)
		return cli_usage_error("diff", "one CONTAINER is required");
	if ((c = cli_open_store(&s)) != 0)
		return c;
	if (container_resolve(s, argv[optind], id, &err) < 0 ||
	    container_changes(s, id, stdout, &err) < 0)
		return cli_fail(&err);
	return 0;
}

int cmd_cp(int argc, char **argv)
{
	struct berth_error err = { 0 };
	_cleanup_store_ struct store *s = NULL;
	char id[CONTAINER_ID_LEN + 1];
	struct copy_req req = { 0 };
	const char *spec;
	pid_t init;
	int c;

	while ((c = cli_getopt(argc, argv, "cp", "cp CONTAINER:SRC DEST | cp SRC CONTAINER:DEST",
			       NULL)) != -1)
		return EXIT_USAGE;
	if (optind + 2 != argc)
		return cli_usage_error("cp", "expected CONTAINER:SRC DEST or SRC CONTAINER:DEST");
	/* the side with "NAME:" (a path with ':' on the host is "./a:b") */
	char *a = argv[optind], *b = argv[optind + 1];
	bool a_ctr = strchr(a, ':') && a[0] != '/' && a[0] != '.';
	bool b_ctr = strchr(b, ':') && b[0] != '/' && b[0] != '.';
	if (a_ctr == b_ctr)
		return cli_usage_error("cp", "exactly one side must be CONTAINER:PATH");
	spec = a_ctr ? a : b;
	_cleanup_free_ char *name = xstrndup(spec, (size_t)(strchr(spec, ':') - spec));
	const char *cpath = strchr(spec, ':') + 1;
	if (*cpath != '/')
		return cli_usage_error("cp", "%s: the container path must be absolute", spec);
	req.to_container = b_ctr;
	req.src = a_ctr ? cpath : a;
	req.dst = b_ctr ? cpath : b;
	if ((c = cli_open_store(&s)) != 0)
		return c;
	if (container_resolve(s, name, id, &err) < 0)
		return cli_fail(&err);
	if ((init = container_ns_pid(s, id)) > 0) {
		store_unlock(s);
		return copy_run(init, &req, &err) < 0 ? cli_fail(&err) : 0;
	}
	/* stopped: its root mounted for the copy, under its run lock so no
	 * start mounts the same writable layer meanwhile */
	_cleanup_close_ int lock = container_lock_run(s, id, &err);
	_cleanup_free_ char *ip = xasprintf("containers/%s/image", id), *image = NULL;
	_cleanup_free_ char *lower = NULL, *dir = xasprintf("%s/containers/%s", s->root, id);
	if (lock < 0 || read_file_at(s->rootfd, ip, 256, &image, NULL, &err) < 0 ||
	    mount_lowerdir(s, image, &lower, &err) < 0)
		return cli_fail(&err);
	struct launch_spec ls = { .dir = dir,
				  .lowerdir = lower,
				  .keep_id = container_keep_id(s, id) };
	store_unlock(s);
	return copy_stopped(&ls, &req, &err) < 0 ? cli_fail(&err) : 0;
}

/* pause/unpause need the cgroup freezer, which a user has only through
 * a delegated cgroup v2 subtree: refused with the reason, never faked */
static int freeze(int argc, char **argv, const char *verb)
{
	_cleanup_free_ char *usage = xasprintf("%s CONTAINER...", verb);
	int c;

	while ((c = cli_getopt(argc, argv, verb, usage, NULL)) != -1)
		return EXIT_USAGE;
	if (optind >= argc)
		return cli_usage_error(verb, "a CONTAINER is required");
	struct berth_error err = { 0 };
	berth_error_set(&err, 0,
			"%s: needs the cgroup freezer through a delegated cgroup v2 subtree; %s",
			verb,
			access("/sys/fs/cgroup/cgroup.controllers", F_OK) == 0
				? "berth does not use cgroup v2 delegation yet"
				: "this machine runs cgroup v1, where a user has none");
	return cli_fail(&err);
}

int cmd_pause(int argc, char **argv)
{
	return freeze(argc, argv, "pause");
}

int cmd_unpause(int argc, char **argv)
{
	return freeze(argc, argv, "unpause");
}

/* port: a container's published ports; none until networking can
 * publish them (docker prints nothing for a container without any) */
int cmd_port(int argc, char **argv)
{
	struct berth_error err = { 0 };
	_cleanup_store_ struct store *s = NULL;
	char id[CONTAINER_ID_LEN + 1];
	int c;

	while ((c = cli_getopt(argc, argv, "port", "port CONTAINER [PORT[/PROTO]]", NULL)) != -1)
		return EXIT_USAGE;
	if (optind + 1 != argc && optind + 2 != argc)
		return cli_usage_error("port", "expected CONTAINER [PORT[/PROTO]]");
	if ((c = cli_open_store(&s)) != 0)
		return c;
	if (container_resolve(s, argv[optind], id, &err) < 0)
		return cli_fail(&err);
	struct port_map *m = NULL;
	size_t n = 0;
	if (container_ports(s, id, &m, &n) < 0)
		return 0; /* not running: nothing published now */
	const char *want = optind + 2 == argc ? argv[optind + 1] : NULL;
	bool found = false;
	for (size_t i = 0; i < n; i++) {
		char key[16], host[64];
		snprintf(key, sizeof(key), "%u/%s", m[i].ctr_port, m[i].udp ? "udp" : "tcp");
		ports_host(&m[i], host, sizeof(host));
		if (!want) {
			printf("%s -> %s\n", key, host);
		} else if (!strcmp(want, key) || (!strchr(want, '/') && !m[i].udp &&
						  (unsigned)atoi(want) == m[i].ctr_port)) {
			printf("%s\n", host);
			found = true;
		}
	}
	free(m);
	if (want && !found) {
		berth_error_set(&err, ENOENT, "no public port %s published for %s", want,
				argv[optind]);
		return cli_fail(&err);
	}
	return 0;
}

/* Read exactly len bytes; false at the end. */
static bool read_full(int fd, void *buf, size_t len)
{
	char *p = buf;
	while (len > 0) {
		ssize_t n = read(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return false;
		p += n;
		len -= (size_t)n;
	}
	return true;
}

static volatile sig_atomic_t attach_winch;

static void on_winch(int sig)
{
	(void)sig;
	attach_winch = 1;
}

/* One message to the monitor: [type][4-byte length][bytes]. */
static int send_msg(int sock, char type, const void *data, size_t len)
{
	char hdr[5] = { type };
	uint32_t l = (uint32_t)len;

	memcpy(hdr + 1, &l, 4);
	return write_all(sock, hdr, 5) < 0 || write_all(sock, data, len) < 0 ? -1 : 0;
}

int attach_container(const char *dir, bool input, int *status, bool *detached,
		     struct berth_error *err)
{
	_cleanup_close_ int sock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	_cleanup_close_ int cwd = open(".", O_PATH | O_DIRECTORY | O_CLOEXEC);

	*detached = false;
	*status = -1;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "attach.sock");
	/* by a relative name, as the monitor bound it */
	if (sock < 0 || chdir(dir) < 0 || connect(sock, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int e = errno;
		if (cwd >= 0 && fchdir(cwd) < 0) {
			/* nothing depends on the cwd after this */
		}
		return berth_error_set(err, e, "attaching to %s", dir);
	}
	if (cwd >= 0 && fchdir(cwd) < 0) {
		/* as above */
	}
	struct termios saved, raw;
	bool tty = input && isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &saved) == 0;
	if (tty) {
		raw = saved;
		cfmakeraw(&raw);
		tcsetattr(STDIN_FILENO, TCSANOW, &raw);
	}
	bool saw_ctrl_p = false;
	struct pollfd p[2] = { { .fd = sock, .events = POLLIN },
			       { .fd = input ? STDIN_FILENO : -1, .events = POLLIN } };
	struct sigaction winch = { .sa_handler = on_winch }, old_sa;
	sigemptyset(&winch.sa_mask);
	sigaction(SIGWINCH, &winch, &old_sa);
	attach_winch = 1; /* the size once at the start */
	for (;;) {
		struct winsize ws;
		if (attach_winch && tty) {
			attach_winch = 0;
			if (ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) == 0)
				send_msg(sock, 4, &ws, sizeof(ws));
		}
		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (p[0].revents & (POLLIN | POLLHUP | POLLERR)) {
			char hdr[5], buf[65536];
			uint32_t len;
			if (!read_full(sock, hdr, 5))
				break; /* the monitor went away */
			memcpy(&len, hdr + 1, 4);
			if (len > sizeof(buf) || !read_full(sock, buf, len))
				break;
			if (hdr[0] == 3 && len == 4) { /* the container's status: the end */
				uint32_t st;
				memcpy(&st, buf, 4);
				*status = (int)st;
				break;
			}
			if (write_all(hdr[0] == 2 ? STDERR_FILENO : STDOUT_FILENO, buf, len) < 0)
				break;
		}
		if (p[1].fd >= 0 && (p[1].revents & (POLLIN | POLLHUP | POLLERR))) {
			char in[4096];
			ssize_t n = read(STDIN_FILENO, in, sizeof(in));
			if (n <= 0) {
				p[1].fd = -1;
				continue;
			}
			/* docker's detach keys: ctrl-p then ctrl-q */
			for (ssize_t i = 0; i < n && !*detached; i++) {
				if (saw_ctrl_p && in[i] == 0x11)
					*detached = true;
				saw_ctrl_p = in[i] == 0x10;
			}
			if (*detached)
				break;
			if (send_msg(sock, 1, in, (size_t)n) < 0)
				break;
		}
	}
	sigaction(SIGWINCH, &old_sa, NULL);
	if (tty)
		tcsetattr(STDIN_FILENO, TCSANOW, &saved);
	return 0;
}

/* attach: the container's output as it comes (through its monitor), and
 * for a -t container our input to its terminal; ctrl-p ctrl-q leaves it
 * running. Ends with the container's status when it ends. */
int cmd_attach(int argc, char **argv)
{
	static const struct cli_opt opts[] = {
		{ "no-stdin", 'n' + 256, NULL, "Do not send input" },
		{ 0 },
	};
	struct berth_error err = { 0 };
	_cleanup_store_ struct store *s = NULL;
	char id[CONTAINER_ID_LEN + 1];
	bool input = true, detached;
	int c, status;

	while ((c = cli_getopt(argc, argv, "attach", "attach [--no-stdin] CONTAINER", opts)) !=
	       -1) {
		if (c != 'n' + 256)
			return EXIT_USAGE;
		input = false;
	}
	if (optind + 1 != argc)
		return cli_usage_error("attach", "one CONTAINER is required");
	if ((c = cli_open_store(&s)) != 0)
		return c;
	if (container_resolve(s, argv[optind], id, &err) < 0)
		return cli_fail(&err);
	_cleanup_free_ char *dir = xasprintf("%s/containers/%s", s->root, id);
	store_unlock(s);
	if (!container_running(s, id) ||
	    attach_container(dir, input, &status, &detached, &err) < 0) {
		berth_error_clear(&err);
		berth_error_set(&err, 0,
				"container %s is not running detached (nothing to attach to)",
				argv[optind]);
		return cli_fail(&err);
	}
	if (detached) {
		fprintf(stderr, "\r\nberth: detached from %s\r\n", argv[optind]);
		return 0;
	}
	if (status < 0) { /* the monitor left without a word: ask the record */
		struct container_state st;
		container_wait_exit(s, id, 10000);
		container_get_state(s, id, &st);
		status = st.exit_code;
	}
	return status;
}

int cmd_commit(int argc, char **argv)
{
	static const struct cli_opt opts[] = {
		{ "message", 'm', "TEXT", "A comment for the new layer's history entry" },
		{ 0 },
	};
	struct berth_error err = { 0 };
	_cleanup_store_ struct store *s = NULL;
	_cleanup_free_ char *ref = NULL, *image = NULL, *dir = NULL, *ip = NULL;
	const char *message = NULL;
	char id[CONTAINER_ID_LEN + 1], new_id[DIGEST_STR_LEN + 1];
	int c;

	while ((c = cli_getopt(argc, argv, "commit", "commit [-m TEXT] CONTAINER [NAME[:TAG]]",
			       opts)) != -1) {
		if (c != 'm')
			return EXIT_USAGE;
		message = optarg;
	}
	if (optind >= argc || optind + 2 < argc)
		return cli_usage_error("commit", "expected CONTAINER [NAME[:TAG]]");
	if (optind + 1 < argc && reference_normalize(argv[optind + 1], &ref, &err) < 0)
		return cli_fail(&err);
	if ((c = cli_open_store(&s)) != 0)
		return c;
	if (container_resolve(s, argv[optind], id, &err) < 0)
		return cli_fail(&err);
	ip = xasprintf("containers/%s/image", id);
	dir = xasprintf("%s/containers/%s", s->root, id);
	if (read_file_at(s->rootfd, ip, 256, &image, NULL, &err) < 0 ||
	    container_commit(s, dir, image, ref, message, new_id, &err) < 0)
		return cli_fail(&err);
	printf("%s\n", new_id);
	return 0;
}
