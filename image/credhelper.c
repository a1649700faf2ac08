// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * credhelper.c: running docker-credential-NAME (credhelper.h). The
 * helper is spawned with posix_spawnp (no code of berth's runs between
 * fork and exec), its signals at their defaults, every descriptor but
 * its three standard ones closed (berth's are O_CLOEXEC).
 */
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "credhelper.h"
#include "../lib/json.h"
#include "../lib/util.h"

#define ANSWER_MAX (64u << 10)

/* docker's helpers print this (stdout) when they hold nothing */
static const char not_found[] = "credentials not found in native keychain";

bool credhelper_name_ok(const char *name)
{
	if (!*name || strlen(name) > 64)
		return false;
	for (const char *p = name; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || strchr("._-", *p)))
			return false;
	return true;
}

/* What a helper sees of berth's environment: enough to find its own
 * programs and the user's keyring or password store; none of it a
 * credential. */
static char **helper_env(void)
{
	static const char *const listed[] = {
		"PATH",
		"HOME",
		"USER",
		"LOGNAME",
		"LANG",
		"LC_ALL",
		"XDG_RUNTIME_DIR",
		"XDG_CONFIG_HOME",
		"DBUS_SESSION_BUS_ADDRESS",
		"GNUPGHOME",
		"PASSWORD_STORE_DIR",
	};
	char **env = xcalloc(ARRAY_SIZE(listed) + 1, sizeof(char *));
	size_t n = 0;

	for (size_t i = 0; i < ARRAY_SIZE(listed); i++) {
		const char *v = getenv(listed[i]);
		if (v)
			env[n++] = xasprintf("%s=%s", listed[i], v);
	}
	return env;
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Feed input, read stdout (at most ANSWER_MAX) until it closes or the
 * deadline passes. in is closed here. Returns 0, or -1 at the deadline
 * (or on too much). */
static int exchange(int in, int out, const char *input, char **answer, size_t *len)
{
	int64_t deadline = now_ms() + CREDHELPER_TIMEOUT_MS;
	size_t off = 0, ilen = strlen(input);
	struct pollfd p[2] = { { .fd = in, .events = POLLOUT }, { .fd = out, .events = POLLIN } };
	int ret = 0;

	*answer = xmalloc(ANSWER_MAX + 1);
	*len = 0;
	if (ilen == 0) { /* nothing to say: its stdin ends at once */
		close(in);
		p[0].fd = -1;
	}
	while (p[1].fd >= 0) {
		int64_t left = deadline - now_ms();
		if (left <= 0 || poll(p, 2, (int)left) < 0) {
			if (left > 0 && errno == EINTR)
				continue;
			ret = -1;
			break;
		}
		if (p[0].fd >= 0 && p[0].revents) {
			ssize_t w = write(in, input + off, ilen - off);
			if (w > 0)
				off += (size_t)w;
			if ((w < 0 && errno != EINTR && errno != EAGAIN) || off == ilen) {
				/* written (its stdin ends), or it does not read (EPIPE) */
				close(in);
				p[0].fd = -1;
			}
		}
		if (p[1].revents) {
			ssize_t r = read(out, *answer + *len, ANSWER_MAX - *len);
			if (r < 0 && errno == EINTR)
				continue;
			if (r <= 0)
				break;
			*len += (size_t)r;
			if (*len == ANSWER_MAX) {
				ret = -1;
				break;
			}
		}
	}
	if (p[0].fd >= 0)
		close(in);
	(*answer)[*len] = '\0';
	return ret;
}

/* exchange with SIGPIPE held: a helper that ends without reading its
 * stdin makes the write fail with EPIPE, not end berth. */
static int exchange_nopipe(int in, int out, const char *input, char **answer, size_t *len)
{
	sigset_t pipe_set, old;
	const struct timespec zero = { 0 };
	int ret;

	sigemptyset(&pipe_set);
	sigaddset(&pipe_set, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &pipe_set, &old);
	ret = exchange(in, out, input, answer, len);
	if (!sigismember(&old, SIGPIPE)) {
		while (sigtimedwait(&pipe_set, NULL, &zero) == SIGPIPE)
			;
		pthread_sigmask(SIG_SETMASK, &old, NULL);
	}
	return ret;
}

/* Run docker-credential-NAME VERB with input. Returns its exit status
 * (0..255), or -1 (err set) when it could not run or ran out of time. */
static int run_helper(const char *name, const char *verb, const char *input, char **answer,
		      size_t *len, struct berth_error *err)
{
	_cleanup_free_ char *prog = xasprintf("docker-credential-%s", name);
	char *argv[] = { prog, (char *)verb, NULL };
	char **env = helper_env();
	int in[2] = { -1, -1 }, out[2] = { -1, -1 }, status = 0, ret = -1;
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	sigset_t all, none;
	pid_t pid;

	*answer = NULL;
	if (!credhelper_name_ok(name)) {
		strv_free(env);
		return berth_error_set(err, 0, "credential helper \"%.64s\": not a helper name",
				       name);
	}
	if (pipe2(in, O_CLOEXEC) < 0 || pipe2(out, O_CLOEXEC) < 0) {
		berth_error_set(err, errno, "credential helper %s: pipe", prog);
		goto out;
	}
	sigfillset(&all);
	sigemptyset(&none);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, in[0], 0);
	posix_spawn_file_actions_adddup2(&fa, out[1], 1);
	posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
	posix_spawnattr_init(&attr);
	posix_spawnattr_setsigdefault(&attr, &all);
	posix_spawnattr_setsigmask(&attr, &none);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);
	int e = posix_spawnp(&pid, prog, &fa, &attr, argv, env);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&attr);
	if (e == ENOENT || e == EACCES) {
		berth_error_set(err, 0, "credential helper %s is not installed (not found on PATH)",
				prog);
		goto out;
	} else if (e) {
		berth_error_set(err, e, "credential helper %s", prog);
		goto out;
	}
	close(in[0]);
	close(out[1]);
	in[0] = out[1] = -1;
	int x = exchange_nopipe(in[1], out[0], input, answer, len);
	in[1] = -1; /* closed by exchange */
	if (x < 0)
		kill(pid, SIGKILL);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (x < 0)
		berth_error_set(err, 0, "credential helper %s %s: no answer in %d s: killed", prog,
				verb, CREDHELPER_TIMEOUT_MS / 1000);
	else if (!WIFEXITED(status))
		berth_error_set(err, 0, "credential helper %s %s: killed by signal %d", prog, verb,
				WTERMSIG(status));
	else
		ret = WEXITSTATUS(status);
out:
	for (int i = 0; i < 2; i++) {
		if (in[i] >= 0)
			close(in[i]);
		if (out[i] >= 0)
			close(out[i]);
	}
	strv_free(env);
	if (ret < 0 && *answer) {
		explicit_bzero(*answer, ANSWER_MAX + 1);
		free(*answer);
		*answer = NULL;
	}
	return ret;
}

static void wipe_answer(char *a, size_t len)
{
	if (a)
		explicit_bzero(a, len);
	free(a);
}

/* A failed helper's message: its exit status only (what it printed may
 * hold what it was given). */
static int helper_failed(const char *name, const char *verb, int status, struct berth_error *err)
{
	return berth_error_set(err, 0, "credential helper docker-credential-%s %s failed (exit %d)",
			       name, verb, status);
}

int credhelper_get(const char *name, const char *server, char **user, char **secret,
		   struct berth_error *err)
{
	char *answer;
	size_t len;
	struct json_object *o = NULL;
	struct berth_error ignore = { 0 };
	const char *u, *s;
	int st = run_helper(name, "get", server, &answer, &len, err), ret = -1;

	*user = *secret = NULL;
	if (st < 0)
		return -1;
	if (st != 0) {
		ret = strstr(answer, not_found) ? 0 : helper_failed(name, "get", st, err);
		wipe_answer(answer, len);
		return ret;
	}
	if (json_parse_bounded(answer, len, "answer", &o, &ignore) < 0 ||
	    !(u = json_get_string(o, "Username")) || !(s = json_get_string(o, "Secret"))) {
		berth_error_clear(&ignore);
		berth_error_set(err, 0,
				"credential helper docker-credential-%s get: its answer is not "
				"{\"Username\", \"Secret\"}",
				name);
	} else if (*s) {
		*user = xstrdup(u);
		*secret = xstrdup(s);
		ret = 1;
	} else {
		ret = 0;
	}
	if (o) {
		/* json-c's copies of the secret: wiped before they are freed */
		struct json_object *sv;
		if (json_object_object_get_ex(o, "Secret", &sv) &&
		    json_object_is_type(sv, json_type_string))
			explicit_bzero((char *)json_object_get_string(sv),
				       (size_t)json_object_get_string_len(sv));
		json_object_put(o);
	}
	wipe_answer(answer, len);
	return ret;
}
