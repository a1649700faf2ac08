// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * cmd-stack.c: `berth up` and `berth down` of a stack file, and what ps,
 * logs and restart do with --stack. A stack (profiles/profile.c) is
 * checked whole before anything is made; then its networks and volumes
 * are made (named STACK-NAME) and its sandboxes run detached, in
 * dependency order, as containers named STACK-SANDBOX, known on their
 * networks by their sandbox names. Each step is berth itself run as a
 * child (run, network create, ...): the same checks and records as by
 * hand, and a failure's message as the user would see it. A failure
 * half-way undoes what this `up` made, newest first.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../profiles/profile.h"
#include "cli.h"
#include "cmd-profile.h"
#include "cmd-stack.h"
#include "../runner/container.h"
#include "../image/image.h"
#include "../objects/network.h"
#include "../objects/volume.h"

/* berth ARGV... as a child; its exit status. Its stdout goes to
 * /dev/null when quiet (the IDs and names that run and create print). */
static int berth_child(char **argv, bool quiet)
{
	pid_t pid;
	int st;

	fflush(NULL);
	pid = fork();
	if (pid < 0)
		return 125;
	if (pid == 0) {
		if (quiet) {
			int null = open("/dev/null", O_WRONLY | O_CLOEXEC);
			if (null >= 0)
				dup2(null, STDOUT_FILENO);
		}
		execv("/proc/self/exe", argv);
		_exit(127);
	}
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return 125;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* The same with a few words, NULL-terminated. */
static int berth_do(bool quiet, ...)
{
	char *argv[16];
	va_list ap;
	int n = 0;

	argv[n++] = "berth";
	va_start(ap, quiet);
	for (char *w; n < 15 && (w = va_arg(ap, char *));)
		argv[n++] = w;
	va_end(ap);
	argv[n] = NULL;
	return berth_child(argv, quiet);
}

static char *container_of(const struct stack *st, const char *sandbox)
{
	return xasprintf("%s-%s", st->name, sandbox);
}

static int load(const char *file, struct stack *st)
{
	struct berth_error err = { 0 };

	if (stack_load(file, st, &err) < 0) {
		stack_free(st);
		int r = cli_fail(&err);
		return r == 1 ? EXIT_USAGE : r;
	}
	return 0;
}

/* What this up made, to undo on a failure. */
struct made {
	char **containers, **networks, **volumes;
	size_t n_containers, n_networks, n_volumes;
};

static void made_push(char ***v, size_t *n, const char *s)
{
	*v = xrealloc(*v, (*n + 2) * sizeof(char *));
	(*v)[(*n)++] = xstrdup(s);
	(*v)[*n] = NULL;
}

static void made_undo(struct made *m)
{
	for (size_t i = m->n_containers; i-- > 0;)
		berth_do(true, "rm", "-f", "-v", m->containers[i], NULL);
	for (size_t i = m->n_networks; i-- > 0;)
		berth_do(true, "network", "rm", m->networks[i], NULL);
	for (size_t i = m->n_volumes; i-- > 0;)
		berth_do(true, "volume", "rm", m->volumes[i], NULL);
}

static void made_free(struct made *m)
{
	strv_free(m->containers);
	strv_free(m->networks);
	strv_free(m->volumes);
}

/* Every sandbox's image, secrets and bind sources, before anything. */
int stack_check_store(const struct stack *st)
{
	int bad = 0;

	for (size_t i = 0; i < st->n_sb; i++) {
		struct berth_error err = { 0 };
		if (profile_check_store(&st->sb[i].prof, true, &err) < 0) {
			berth_error_clear(&err); /* each problem was printed */
			bad++;
		}
		/* a stack's sandbox has no command line to lift berth.conf's */
		if (profile_check_host_loopback(&st->sb[i].prof, false, &err) < 0) {
			_cleanup_free_ char *t = berth_error_text(&err);
			fprintf(stderr, "berth: %s\n", t);
			berth_error_clear(&err);
			bad++;
		}
	}
	return bad;
}

/* The state of the sandbox's container: 0 none, 1 stopped, 2 running. */
static int sandbox_state(struct store *s, const char *name)
{
	char id[CONTAINER_ID_LEN + 1];
	struct berth_error err = { 0 };

	if (container_resolve(s, name, id, &err) < 0) {
		berth_error_clear(&err);
		return 0;
	}
	return container_running(s, id) ? 2 : 1;
}

/* The stack names its containers and runs them detached: a sandbox's
 * own name, detach or remove would undo that. */
static bool stack_owned(const struct profile_setting *s, void *arg)
{
	(void)arg;
	if (!s->key || strcmp(s->key->section, "sandbox") || !s->key->name ||
	    (strcmp(s->key->name, "name") && strcmp(s->key->name, "detach") &&
	     strcmp(s->key->name, "remove")))
		return true;
	fprintf(stderr, "berth: warning: %s:%u: %s is the stack's to choose in a stack: ignored\n",
		s->file, s->line, s->key->name);
	return false;
}

/* A sandbox's [environment] for its `berth run`: a file only this
 * process can read, unlinked at once, named to the child as
 * /proc/OURPID/fd/N. Never a -e KEY=VALUE: a command line is every local
 * user's to read (/proc/PID/cmdline), and the child's monitor would keep
 * it for the container's life. Not an fd the child inherits either:
 * berth closes every fd above 2 when it starts. The fd is returned (the
 * caller closes it once the child is done), -1 with err. */
static int private_env_file(char *const *env, size_t n, char **path, struct berth_error *err)
{
	_cleanup_free_ char *rt = NULL, *tmpl = NULL;
	_cleanup_close_ int fd = -1;

	for (size_t i = 0; i < n; i++)
		if (strpbrk(env[i], "\r\n"))
			return berth_error_set(err, EINVAL,
					       "[environment] %.*s: a value with a line break "
					       "cannot be passed",
					       (int)strcspn(env[i], "="), env[i]);
	if (store_runtime_dir(&rt, err) < 0)
		return -1;
	tmpl = xasprintf("%s/env-XXXXXX", rt);
	/* mode 0600 in the user's 0700 runtime directory, for the moment
	 * it has a name at all */
	if ((fd = mkostemp(tmpl, O_CLOEXEC)) < 0)
		return berth_error_set(err, errno, "%s", tmpl);
	unlink(tmpl);
	for (size_t i = 0; i < n; i++)
		if (write_all(fd, env[i], strlen(env[i])) < 0 || write_all(fd, "\n", 1) < 0)
			return berth_error_set(err, errno, "the sandbox's environment");
	*path = xasprintf("/proc/%d/fd/%d", (int)getpid(), fd);
	return steal_fd(&fd);
}

static int run_sandbox(const struct stack *st, const struct stack_sandbox *sb, const char *cname)
{
	struct profile_ctx ctx = { .stack = st->name,
				   .sandbox = sb->name,
				   .networks = st->networks,
				   .volumes = st->volumes };
	struct profile_args pa = { 0 };
	struct berth_error err = { 0 };

	if (profile_run_args(&sb->prof, &ctx, stack_owned, NULL, run_limits_unsupported(), &pa,
			     &err) < 0) {
		cli_fail(&err);
		return 1;
	}
	_cleanup_free_ char *l1 = xasprintf("berth.stack=%s", st->name);
	_cleanup_free_ char *l2 = xasprintf("berth.stack.sandbox=%s", sb->name);
	_cleanup_free_ char *envpath = NULL;
	_cleanup_close_ int envfd = -1;
	if (pa.n_env > 0 && (envfd = private_env_file(pa.env, pa.n_env, &envpath, &err)) < 0) {
		profile_args_free(&pa);
		cli_fail(&err);
		return 1;
	}
	char **argv = xcalloc(pa.n_args + pa.n_cmd + 18, sizeof(char *));
	size_t n = 0;
	argv[n++] = "berth";
	argv[n++] = "run";
	argv[n++] = "-d";
	argv[n++] = "--name";
	argv[n++] = (char *)cname;
	argv[n++] = "--label";
	argv[n++] = l1;
	argv[n++] = "--label";
	argv[n++] = l2;
	for (size_t i = 0; i < pa.n_args; i++)
		argv[n++] = pa.args[i];
	if (envpath) { /* after the profile's env files: [environment] wins */
		argv[n++] = "--env-file";
		argv[n++] = envpath;
	}
	argv[n++] = pa.image;
	for (size_t i = 0; i < pa.n_cmd; i++)
		argv[n++] = pa.cmd[i];
	int r = berth_child(argv, true);
	free(argv);
	profile_args_free(&pa);
	return r;
}

/* Networks and volumes first (those missing), then the sandboxes. */
static int bring_up(struct store *s, const struct stack *st, struct made *m)
{
	for (size_t i = 0; i < st->n_networks; i++) {
		_cleanup_free_ char *n = container_of(st, st->networks[i]);
		if (network_exists(s, n))
			continue;
		if (berth_do(true, "network", "create", n, NULL) != 0) {
			fprintf(stderr, "berth: up: network %s could not be made\n", n);
			return -1;
		}
		made_push(&m->networks, &m->n_networks, n);
	}
	for (size_t i = 0; i < st->n_volumes; i++) {
		_cleanup_free_ char *v = container_of(st, st->volumes[i]);
		if (volume_exists(s, v))
			continue;
		if (berth_do(true, "volume", "create", v, NULL) != 0) {
			fprintf(stderr, "berth: up: volume %s could not be made\n", v);
			return -1;
		}
		made_push(&m->volumes, &m->n_volumes, v);
	}
	for (size_t i = 0; i < st->n_sb; i++) {
		_cleanup_free_ char *c = container_of(st, st->sb[i].name);
		int state = sandbox_state(s, c), r;
		if (state == 2)
			continue; /* up already: left as it is */
		r = state == 1 ? berth_do(true, "start", c, NULL) : run_sandbox(st, &st->sb[i], c);
		if (r != 0) {
			fprintf(stderr, "berth: up: sandbox %s failed to start (%s)\n",
				st->sb[i].name, st->file);
			return -1;
		}
		if (state == 0)
			made_push(&m->containers, &m->n_containers, c);
		printf("%s\n", c); /* (as run -d prints what it started) */
		fflush(stdout);
	}
	return 0;
}

static volatile sig_atomic_t stop_requested;
static void on_stop(int sig)
{
	(void)sig;
	stop_requested = 1;
}

int cmd_up(int argc, char **argv)
{
	static const struct cli_opt opts[] = {
		{ "detach", 'd', NULL, "Leave the sandboxes running in the background" },
		{ 0 },
	};
	_cleanup_store_ struct store *s = NULL;
	struct stack st = { 0 };
	struct made m = { 0 };
	bool detach = false;
	int c, r = 0;

	while ((c = cli_getopt(argc, argv, "up", "up [-d] FILE", opts)) != -1) {
		if (c != 'd')
			return EXIT_USAGE;
		detach = true;
	}
	if (optind + 1 != argc)
		return cli_usage_error("up", "one stack FILE");
	if ((r = load(argv[optind], &st)) != 0)
		return r;
	stack_warn(&st); /* said, and up goes on */
	if (stack_check_store(&st) > 0) {
		fprintf(stderr, "berth: up: %s: nothing was made\n", st.file);
		stack_free(&st);
		return EXIT_USAGE;
	}
	if ((c = cli_open_store(&s)) != 0) {
		stack_free(&st);
		return c;
	}
	store_unlock(s); /* the children take it */
	if (bring_up(s, &st, &m) < 0) {
		fprintf(stderr, "berth: up: rolling back what this up made\n");
		made_undo(&m);
		r = 1;
	} else if (!detach) {
		/* compose's way: follow the logs; ctrl-c stops the stack */
		struct sigaction sa = { .sa_handler = on_stop };
		sigaction(SIGINT, &sa, NULL);
		sigaction(SIGTERM, &sa, NULL);
		stack_logs(&st, true, false);
		for (size_t i = st.n_sb; i-- > 0;) {
			_cleanup_free_ char *cn = container_of(&st, st.sb[i].name);
			berth_do(true, "stop", cn, NULL);
		}
	}
	made_free(&m);
	stack_free(&st);
	return r;
}

int cmd_down(int argc, char **argv)
{
	static const struct cli_opt opts[] = {
		{ "volumes", 'v', NULL,
		  "Remove the stack's named volumes and its containers' anonymous ones too" },
		{ 0 },
	};
	_cleanup_store_ struct store *s = NULL;
	struct stack st = { 0 };
	bool volumes = false;
	int c, r = 0;

	while ((c = cli_getopt(argc, argv, "down", "down [-v] FILE", opts)) != -1) {
		if (c != 'v')
			return EXIT_USAGE;
		volumes = true;
	}
	if (optind + 1 != argc)
		return cli_usage_error("down", "one stack FILE");
	if ((r = load(argv[optind], &st)) != 0)
		return r;
	if ((c = cli_open_store(&s)) != 0) {
		stack_free(&st);
		return c;
	}
	store_unlock(s);
	/* dependents first */
	for (size_t i = st.n_sb; i-- > 0;) {
		_cleanup_free_ char *cn = container_of(&st, st.sb[i].name);
		if (sandbox_state(s, cn) &&
		    berth_do(true, "rm", "-f", volumes ? "-v" : "-f", cn, NULL) != 0)
			r = 1;
	}
	for (size_t i = 0; i < st.n_networks; i++) {
		_cleanup_free_ char *n = container_of(&st, st.networks[i]);
		if (network_exists(s, n) && berth_do(true, "network", "rm", n, NULL) != 0)
			r = 1;
	}
	for (size_t i = 0; volumes && i < st.n_volumes; i++) {
		_cleanup_free_ char *v = container_of(&st, st.volumes[i]);
		if (volume_exists(s, v) && berth_do(true, "volume", "rm", v, NULL) != 0)
			r = 1;
	}
	stack_free(&st);
	return r;
}

/* ---- --stack for ps, logs, restart ---- */

int stack_names(const char *file, char ***names, size_t *n)
{
	struct stack st = { 0 };
	int r = load(file, &st);

	*names = xcalloc(1, sizeof(char *));
	*n = 0;
	if (r != 0)
		return r;
	for (size_t i = 0; i < st.n_sb; i++) {
		*names = xrealloc(*names, (*n + 2) * sizeof(char *));
		(*names)[(*n)++] = container_of(&st, st.sb[i].name);
		(*names)[*n] = NULL;
	}
	stack_free(&st);
	return 0;
}

int stack_container(const char *file, const char *sandbox, char **name)
{
	struct stack st = { 0 };
	int r = load(file, &st);

	if (r != 0)
		return r;
	for (size_t i = 0; i < st.n_sb; i++)
		if (!strcmp(st.sb[i].name, sandbox)) {
			*name = container_of(&st, sandbox);
			stack_free(&st);
			return 0;
		}
	fprintf(stderr, "berth: %s: no sandbox \"%s\" in the stack\n", st.file, sandbox);
	stack_free(&st);
	return EXIT_USAGE;
}

/* One container's log lines, each prefixed with its sandbox's name. */
struct feed {
	int fd;
	char prefix[80];
	char buf[8192];
	size_t len;
};

static void feed_lines(struct feed *f, bool flush)
{
	char *start = f->buf, *nl;

	while ((nl = memchr(start, '\n', f->len - (size_t)(start - f->buf)))) {
		printf("%s%.*s\n", f->prefix, (int)(nl - start), start);
		start = nl + 1;
	}
	f->len -= (size_t)(start - f->buf);
	memmove(f->buf, start, f->len);
	if (f->len == sizeof(f->buf) || (flush && f->len)) {
		printf("%s%.*s\n", f->prefix, (int)f->len, f->buf);
		f->len = 0;
	}
	fflush(stdout);
}

int stack_logs(const struct stack *st, bool follow, bool timestamps)
{
	struct feed *feeds = xcalloc(st->n_sb + 1, sizeof(*feeds));
	pid_t *pids = xcalloc(st->n_sb + 1, sizeof(pid_t));
	size_t n = 0, width = 0;

	for (size_t i = 0; i < st->n_sb; i++)
		if (strlen(st->sb[i].name) > width)
			width = strlen(st->sb[i].name);
	for (size_t i = 0; i < st->n_sb; i++) {
		_cleanup_free_ char *cn = container_of(st, st->sb[i].name);
		int p[2];
		if (pipe2(p, O_CLOEXEC) < 0)
			continue;
		fflush(NULL);
		pid_t pid = fork();
		if (pid == 0) {
			dup2(p[1], STDOUT_FILENO);
			dup2(p[1], STDERR_FILENO);
			signal(SIGINT, SIG_IGN); /* the parent says when to stop */
			char *argv[6];
			int a = 0;
			argv[a++] = "berth";
			argv[a++] = "logs";
			if (follow)
				argv[a++] = "-f";
			if (timestamps)
				argv[a++] = "-t";
			argv[a++] = cn;
			argv[a] = NULL;
			execv("/proc/self/exe", argv);
			_exit(127);
		}
		close(p[1]);
		if (pid < 0) {
			close(p[0]);
			continue;
		}
		pids[n] = pid;
		feeds[n].fd = p[0];
		snprintf(feeds[n].prefix, sizeof(feeds[n].prefix), "%-*s | ", (int)width,
			 st->sb[i].name);
		n++;
	}
	size_t open_feeds = n;
	while (open_feeds > 0 && !stop_requested) {
		struct pollfd pf[64];
		size_t k = 0;
		for (size_t i = 0; i < n && k < 64; i++)
			pf[k++] = (struct pollfd){ .fd = feeds[i].fd, .events = POLLIN };
		if (poll(pf, k, 500) < 0 && errno != EINTR)
			break;
		for (size_t i = 0; i < k; i++) {
			if (!(pf[i].revents & (POLLIN | POLLHUP)) || feeds[i].fd < 0)
				continue;
			ssize_t got = read(feeds[i].fd, feeds[i].buf + feeds[i].len,
					   sizeof(feeds[i].buf) - feeds[i].len);
			if (got > 0) {
				feeds[i].len += (size_t)got;
				feed_lines(&feeds[i], false);
			} else {
				feed_lines(&feeds[i], true);
				close(feeds[i].fd);
				feeds[i].fd = -1;
				open_feeds--;
			}
		}
	}
	for (size_t i = 0; i < n; i++) {
		if (feeds[i].fd >= 0) {
			kill(pids[i], SIGTERM);
			close(feeds[i].fd);
		}
		waitpid(pids[i], NULL, 0);
	}
	free(feeds);
	free(pids);
	return 0;
}

int stack_logs_file(const char *file, bool follow, bool timestamps)
{
	struct stack st = { 0 };
	int r = load(file, &st);

	if (r != 0)
		return r;
	struct sigaction sa = { .sa_handler = on_stop };
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	r = stack_logs(&st, follow, timestamps);
	stack_free(&st);
	return r;
}

bool stack_file(const char *file)
{
	_cleanup_fclose_ FILE *f = fopen(file, "re");
	char line[512];

	while (f && fgets(line, sizeof(line), f)) {
		const char *p = line + strspn(line, " \t");
		if (!strncmp(p, "[stack]", 7))
			return true;
	}
	return false;
}

size_t stack_warn(const struct stack *st)
{
	size_t n = 0;

	for (size_t i = 0; i < st->n_sb; i++)
		n += profile_warn(&st->sb[i].prof, st->networks, st->volumes);
	return n;
}

int stack_check_file(const char *file, bool strict)
{
	struct stack st = { 0 };
	int r = load(file, &st);
	size_t wide;

	if (r != 0)
		return r;
	wide = stack_warn(&st);
	if (stack_check_store(&st) > 0) {
		fprintf(stderr, "berth: %s: the stack would not come up\n", st.file);
		r = 1;
	} else if (strict && wide > 0) {
		r = profile_fail_strict(st.file, wide);
	} else {
		printf("%s: ok (a stack of %zu sandbox%s)%s\n", st.file, st.n_sb,
		       st.n_sb == 1 ? "" : "es", wide ? " (with the warnings above)" : "");
	}
	stack_free(&st);
	return r;
}
