// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * stack-file.c: a stack file as the verbs use it (stack-file.h). A
 * stack's sandboxes run as containers named STACK-SANDBOX; their logs
 * are followed here in this process, each line after its sandbox's name,
 * from the records the monitors write (runner/monitor.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../image/image.h"
#include "../lib/util.h"
#include "../runner/container.h"
#include "../runner/monitor.h"
#include "cli.h"
#include "profile-flags.h"
#include "stack-file.h"

int stack_file_load(const char *file, struct stack *st)
{
	struct berth_error err = { 0 };

	if (stack_load(file, st, &err) < 0) {
		stack_free(st);
		cli_fail(&err);
		return EXIT_USAGE;
	}
	return 0;
}

char *stack_container_name(const struct stack *st, const char *sandbox)
{
	return xasprintf("%s-%s", st->name, sandbox);
}

int stack_names(const char *file, char ***names, size_t *n)
{
	struct stack st = { 0 };
	int r = stack_file_load(file, &st);

	*names = xcalloc(1, sizeof(char *));
	*n = 0;
	if (r != 0)
		return r;
	for (size_t i = 0; i < st.n_sb; i++) {
		*names = xrealloc(*names, (*n + 2) * sizeof(char *));
		(*names)[(*n)++] = stack_container_name(&st, st.sb[i].name);
		(*names)[*n] = NULL;
	}
	stack_free(&st);
	return 0;
}

int stack_container(const char *file, const char *sandbox, char **name)
{
	struct stack st = { 0 };
	int r = stack_file_load(file, &st);

	if (r != 0)
		return r;
	for (size_t i = 0; i < st.n_sb; i++)
		if (!strcmp(st.sb[i].name, sandbox)) {
			*name = stack_container_name(&st, sandbox);
			stack_free(&st);
			return 0;
		}
	fprintf(stderr, "berth: %s: no sandbox \"%s\" in the stack\n", st.file, sandbox);
	stack_free(&st);
	return EXIT_USAGE;
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

/* ---- following the logs ---- */

/* Set by the handler of SIGINT and SIGTERM, which can reach only static
 * storage; stack_catch_stop() sets the handler, stack_stop_asked()
 * reads it. */
static volatile sig_atomic_t stop_asked;

static void on_stop(int sig)
{
	(void)sig;
	stop_asked = 1;
}

void stack_catch_stop(void)
{
	struct sigaction sa = { .sa_handler = on_stop };

	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

bool stack_stop_asked(void)
{
	return stop_asked != 0;
}

/* One sandbox's log, as read so far. */
struct feed {
	char prefix[80];
	char id[CONTAINER_ID_LEN + 1];
	int fd; /* -1: done */
	char *buf;
	size_t len;
};

/* The container's log, or a line saying why there is none to follow
 * (none logged yet is no error: an attached run, or nothing written). */
static void feed_open(struct store *s, const char *cname, struct feed *f)
{
	struct berth_error err = { 0 };

	f->fd = -1;
	if (container_resolve(s, cname, f->id, &err) < 0) {
		_cleanup_free_ char *t = berth_error_text(&err);
		printf("%sberth: %s\n", f->prefix, t);
		berth_error_clear(&err);
		return;
	}
	_cleanup_free_ char *path = xasprintf("containers/%s/log", f->id);
	f->fd = openat(s->rootfd, path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
}

/* The whole records read so far, each after the prefix; a partial one
 * stays for the next read. */
static void feed_print(struct feed *f, bool timestamps)
{
	size_t done = 0;
	char *nl;

	while (done < f->len && (nl = memchr(f->buf + done, '\n', f->len - done))) {
		struct monitor_log_line l;
		if (monitor_log_parse(f->buf + done, (size_t)(nl - (f->buf + done)), &l))
			printf("%s%.*s%s%.*s\n", f->prefix, timestamps ? (int)l.time_len : 0,
			       l.time, timestamps ? " " : "", (int)l.text_len, l.text);
		done = (size_t)(nl - f->buf) + 1;
	}
	memmove(f->buf, f->buf + done, f->len - done);
	f->len -= done;
}

/* Read what the log has: true when something came. At its end the feed
 * closes, unless follow and the container ran when the read began. */
static bool feed_read(struct store *s, struct feed *f, bool follow, bool timestamps)
{
	bool running = follow && container_running(s, f->id);
	char more[65536];
	ssize_t n = read(f->fd, more, sizeof(more));

	if (n < 0 && errno == EINTR)
		return false;
	if (n > 0) {
		f->buf = xrealloc(f->buf, f->len + (size_t)n);
		memcpy(f->buf + f->len, more, (size_t)n);
		f->len += (size_t)n;
		feed_print(f, timestamps);
		return true;
	}
	if (!running) {
		close(f->fd);
		f->fd = -1;
	}
	return false;
}

int stack_logs(const struct stack *st, bool follow, bool timestamps)
{
	_cleanup_store_ struct store *s = NULL;
	struct feed *feeds = xcalloc(st->n_sb + 1, sizeof(*feeds));
	size_t width = 0, open_feeds = 0;
	int r;

	if ((r = cli_open_store(&s)) != 0) {
		free(feeds);
		return r;
	}
	store_unlock(s);
	for (size_t i = 0; i < st->n_sb; i++)
		if (strlen(st->sb[i].name) > width)
			width = strlen(st->sb[i].name);
	for (size_t i = 0; i < st->n_sb; i++) {
		_cleanup_free_ char *cn = stack_container_name(st, st->sb[i].name);
		snprintf(feeds[i].prefix, sizeof(feeds[i].prefix), "%-*s | ", (int)width,
			 st->sb[i].name);
		feed_open(s, cn, &feeds[i]);
		open_feeds += feeds[i].fd >= 0;
	}
	fflush(stdout);
	while (open_feeds > 0 && !stack_stop_asked()) {
		bool came = false;
		for (size_t i = 0; i < st->n_sb; i++) {
			if (feeds[i].fd < 0)
				continue;
			came |= feed_read(s, &feeds[i], follow, timestamps);
			open_feeds -= feeds[i].fd < 0;
		}
		fflush(stdout);
		struct timespec w = { 0, 50000000 };
		if (!came && open_feeds > 0)
			nanosleep(&w, NULL);
	}
	for (size_t i = 0; i < st->n_sb; i++) {
		if (feeds[i].fd >= 0)
			close(feeds[i].fd);
		free(feeds[i].buf);
	}
	free(feeds);
	return 0;
}

int stack_logs_file(const char *file, bool follow, bool timestamps)
{
	struct stack st = { 0 };
	int r = stack_file_load(file, &st);

	if (r != 0)
		return r;
	stack_catch_stop();
	r = stack_logs(&st, follow, timestamps);
	stack_free(&st);
	return r;
}
