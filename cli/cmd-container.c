// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * cmd-container.c: the verbs on a container that exists: `stop`,
 * `restart`, `kill`, `wait`, `logs`, `exec`, `attach`, `cp`, `top`,
 * `diff`, `port`, `pause`, `unpause` and `commit`. Thin: parse, call the
 * engine (runner/engine.h) or the container's records
 * (runner/container.h), print.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../image/image.h"
#include "../image/reference.h"
#include "../lib/proctitle.h"
#include "../lib/util.h"
#include "../netns/ports.h"
#include "../runner/commit.h"
#include "../runner/copy.h"
#include "../runner/engine.h"
#include "../runner/monitor.h"
#include "../runner/spec.h"
#include "cli.h"
#include "stack-file.h"

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
	if ((c = cli_open_for_containers("kill", argc, &s)) != 0)
		return c;
	for (int i = optind; i < argc; i++) {
		if (engine_kill(s, argv[i], sig, &err) < 0)
			r = cli_fail(&err);
		else
			printf("%s\n", argv[i]);
	}
	return r;
}

/* One of stop's or restart's CONTAINER (a sandbox's name with --stack):
 * stopped, then started again; 0 or an exit code (printed). */
static int stop_one(struct store *s, const char *stack, const char *ref, long secs, bool restart)
{
	struct berth_error err = { 0 };
	char id[CONTAINER_ID_LEN + 1];
	_cleanup_free_ char *cname = NULL;
	int c;

	if (stack && (c = stack_container(stack, ref, &cname)) != 0)
		return c;
	if ((c = cli_resolve(s, cname ? cname : ref, id)) != 0)
		return c;
	engine_stop(s, id, secs, &err); /* (by ID: a stack names sandboxes) */
	if (restart && (c = cli_start(s, id, false, false)) != 0)
		return c;
	printf("%s\n", ref);
	return 0;
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
	if ((c = cli_open_for_containers(verb, argc, &s)) != 0)
		return c;
	for (int i = optind; i < argc; i++)
		if ((c = stop_one(s, stack, argv[i], secs, restart)) != 0)
			r = c;
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
	_cleanup_store_ struct store *s = NULL;
	int c, r = 0;

	while ((c = cli_getopt(argc, argv, "wait", "wait CONTAINER...", NULL)) != -1)
		return EXIT_USAGE;
	if ((c = cli_open_for_containers("wait", argc, &s)) != 0)
		return c;
	for (int i = optind; i < argc; i++) {
		char id[CONTAINER_ID_LEN + 1];
		if ((c = cli_resolve(s, argv[i], id)) != 0)
			r = c;
		else
			printf("%d\n", engine_wait(s, id, -1));
	}
	return r;
}

/* ---- logs ---- */

struct logs_args {
	const char *stack;
	bool follow, timestamps;
	char *since; /* a stamp to compare the log's with (since_stamp) */
	long tail;   /* -1: all */
};

/* One log record "TIME STREAM TEXT": TEXT to stdout or stderr. */
static void print_record(const char *line, size_t len, bool timestamps)
{
	struct monitor_log_line l;

	if (!monitor_log_parse(line, len, &l))
		return;
	FILE *out = l.err ? stderr : stdout;
	if (timestamps)
		fprintf(out, "%.*s ", (int)l.time_len, l.time);
	fprintf(out, "%.*s\n", (int)l.text_len, l.text);
}

static int parse_logs(int argc, char **argv, struct logs_args *a)
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
	int c;

	while ((c = cli_getopt(argc, argv, "logs", "logs [-f] [-t] [--tail N] CONTAINER", opts)) !=
	       -1) {
		char *end;
		if (c == 'f')
			a->follow = true;
		else if (c == 't')
			a->timestamps = true;
		else if (c == 's' + 512)
			a->stack = optarg;
		else if (c == 'S' + 256 && (free(a->since), a->since = since_stamp(optarg)))
			;
		else if (c == 'S' + 256)
			return cli_usage_error("logs", "--since %s: expected RFC 3339 or 30s/5m/2h",
					       optarg);
		else if (c == 'T' + 256 &&
			 (a->tail = strtol(optarg, &end, 10), *optarg && !*end && a->tail >= 0))
			;
		else
			return c == 'T' + 256
				       ? cli_usage_error("logs", "--tail %s: expected a count",
							 optarg)
				       : EXIT_USAGE;
	}
	if (a->stack && (a->since || a->tail >= 0))
		return cli_usage_error("logs", "--stack takes -f and -t only");
	if (a->stack && optind != argc)
		return cli_usage_error("logs", "--stack FILE names the containers");
	if (!a->stack && optind + 1 != argc)
		return cli_usage_error("logs", "one CONTAINER is required");
	return 0;
}

/* Where --tail N starts: after the N-th newline from the end (the last
 * newline ends the last line, it does not start one). */
static size_t tail_start(const char *buf, size_t len, long tail)
{
	size_t n = 0, i = len;

	if (tail < 0)
		return 0;
	if (tail == 0)
		return len;
	while (i > 0)
		if (buf[--i] == '\n' && i + 1 < len && ++n == (size_t)tail)
			return i + 1;
	return 0;
}

/* Print the log's lines from fd (with -f until the container ends). */
static int follow_log(struct store *s, const char *id, int fd, const struct logs_args *a)
{
	struct berth_error err = { 0 };
	_cleanup_free_ char *buf = NULL;
	size_t len = 0, done;

	if (read_fd_all(fd, (size_t)1 << 30, &buf, &len, &err) < 0)
		return cli_fail(&err);
	done = tail_start(buf, len, a->tail);
	for (;;) {
		char *nl;
		while (done < len && (nl = memchr(buf + done, '\n', len - done))) {
			if (!a->since || strncmp(buf + done, a->since, strlen(a->since)) >= 0)
				print_record(buf + done, (size_t)(nl - (buf + done)),
					     a->timestamps);
			done = (size_t)(nl - buf) + 1;
		}
		fflush(stdout);
		fflush(stderr);
		if (!a->follow)
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

int cmd_logs(int argc, char **argv)
{
	struct logs_args a = { .tail = -1 };
	_cleanup_store_ struct store *s = NULL;
	char id[CONTAINER_ID_LEN + 1];
	int c;

	if ((c = parse_logs(argc, argv, &a)) != 0) {
		free(a.since);
		return c;
	}
	if (a.stack)
		return stack_logs_file(a.stack, a.follow, a.timestamps);
	if ((c = cli_open_container(&s, argv[optind], id)) != 0) {
		free(a.since);
		return c;
	}
	_cleanup_free_ char *path = xasprintf("containers/%s/log", id);
	_cleanup_close_ int fd = openat(s->rootfd, path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	/* nothing logged: an attached run, or nothing written */
	c = fd < 0 ? 0 : follow_log(s, id, fd, &a);
	free(a.since);
	return c;
}

/* ---- exec ---- */

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
	struct engine_exec x = { .env = xcalloc(1, sizeof(char *)) };
	size_t n_env = 0;
	int c, status = 0;

	setenv("POSIXLY_CORRECT", "1", 1);
	while ((c = cli_getopt(argc, argv, "exec", "exec [OPTIONS] CONTAINER COMMAND [ARG...]",
			       opts)) != -1) {
		if (c == 'i')
			x.interactive = true;
		else if (c == 't')
			x.tty = true;
		else if (c == 'u')
			x.user = optarg;
		else if (c == 'w')
			x.workdir = optarg;
		else if (c == 'e')
			strv_push(&x.env, &n_env, optarg);
		else {
			strv_free(x.env);
			return EXIT_USAGE;
		}
	}
	unsetenv("POSIXLY_CORRECT");
	if (optind + 2 > argc) {
		strv_free(x.env);
		return cli_usage_error("exec", "a CONTAINER and a COMMAND are required");
	}
	if ((c = cli_open_store(&s)) != 0) {
		strv_free(x.env);
		return c;
	}
	proctitle_set((const char *const[]){ "berth", "exec", argv[optind] }, 3);
	x.argv = argv + optind + 1;
	c = engine_exec(s, argv[optind], &x, &status, &err);
	strv_free(x.env);
	if (c < 0) /* a failure of berth's own, or the command's that could not start */
		return cli_fail_with(&err, status ? status : EXIT_USAGE);
	return status;
}

/* `top`: the container's processes, found by their PID namespace. */
/* `VERB CONTAINER`, a verb without flags (top, diff): the store opened
 * and the container resolved into id; 0 or the exit code. */
static int one_container(const char *verb, int argc, char **argv, struct store **s, char *id)
{
	_cleanup_free_ char *usage = xasprintf("%s CONTAINER", verb);

	while (cli_getopt(argc, argv, verb, usage, NULL) != -1)
		return EXIT_USAGE;
	if (optind + 1 != argc)
		return cli_usage_error(verb, "one CONTAINER is required");
	return cli_open_container(s, argv[optind], id);
}

int cmd_top(int argc, char **argv)
{
	struct berth_error err = { 0 };
	_cleanup_store_ struct store *s = NULL;
	char id[CONTAINER_ID_LEN + 1], ns[64] = "", want[64];
	pid_t init;
	int c;

	if ((c = one_container("top", argc, argv, &s, id)) != 0)
		return c;
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

	if ((c = one_container("diff", argc, argv, &s, id)) != 0)
		return c;
	if (container_changes(s, id, stdout, &err) < 0)
		return cli_fail(&err);
	return 0;
}

int cmd_cp(int argc, char **argv)
{
	struct berth_error err = { 0 };
	_cleanup_store_ struct store *s = NULL;
	struct copy_req req = { 0 };
	const char *spec;
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
	return engine_cp(s, name, &req, &err) < 0 ? cli_fail(&err) : 0;
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
	if ((c = cli_open_container(&s, argv[optind], id)) != 0)
		return c;
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
	struct engine_end end;
	bool input = true;
	int c;

	while ((c = cli_getopt(argc, argv, "attach", "attach [--no-stdin] CONTAINER", opts)) !=
	       -1) {
		if (c != 'n' + 256)
			return EXIT_USAGE;
		input = false;
	}
	if (optind + 1 != argc)
		return cli_usage_error("attach", "one CONTAINER is required");
	if ((c = cli_open_container(&s, argv[optind], id)) != 0)
		return c;
	store_unlock(s);
	if (!container_running(s, id) || engine_attach(s, id, input, &end, &err) < 0) {
		berth_error_clear(&err);
		berth_error_set(&err, 0,
				"container %s is not running detached (nothing to attach to)",
				argv[optind]);
		return cli_fail(&err);
	}
	if (end.detached) {
		fprintf(stderr, "\r\nberth: detached from %s\r\n", argv[optind]);
		return 0;
	}
	/* the monitor left without a word: ask the record */
	return end.status >= 0 ? end.status : engine_wait(s, id, 10000);
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
	if ((c = cli_open_container(&s, argv[optind], id)) != 0)
		return c;
	ip = xasprintf("containers/%s/image", id);
	dir = xasprintf("%s/containers/%s", s->root, id);
	if (read_file_at(s->rootfd, ip, 256, &image, NULL, &err) < 0 ||
	    container_commit(s, dir, image, ref, message, new_id, &err) < 0) {
		berth_error_wrap(&err, "commit %s", argv[optind]);
		return cli_fail(&err);
	}
	printf("%s\n", new_id);
	return 0;
}
