// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * liveview.c: a step's output taken into an unlinked file (stdout and
 * stderr dup'ed onto it; the step's container inherits them) and read
 * as it grows by a thread, which keeps the last lines and, on a
 * terminal, redraws a small
 * block: the step's title with its elapsed time, then those lines,
 * dimmed and cut to the terminal's width. The block is erased at the
 * end, leaving the title; a failure writes the kept lines to stderr.
 * A file, not a pipe: a helper of the step that outlives it (and keeps
 * the descriptor) can neither hold the reader nor get SIGPIPE.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "../lib/util.h"
#include "liveview.h"

/* Lines shown while a step runs, and kept for a failure. */
#define SHOWN 5
#define KEPT 40
#define LINE_MAX_KEPT 512

struct liveview {
	FILE *out;
	char *title;
	int file, saved_out, saved_err;
	off_t offset;
	pthread_t thread;
	pthread_mutex_t lock;
	bool stop;
	struct timespec start;
	char lines[KEPT][LINE_MAX_KEPT];
	size_t n_lines, partial; /* lines kept; bytes of the one being read */
	char current[LINE_MAX_KEPT];
	int drawn; /* lines of the block on the screen */
};

static double elapsed(const struct liveview *v)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - v->start.tv_sec) +
	       (double)(now.tv_nsec - v->start.tv_nsec) / 1e9;
}

static void keep_line(struct liveview *v)
{
	if (v->n_lines == KEPT) {
		memmove(v->lines[0], v->lines[1], sizeof(v->lines[0]) * (KEPT - 1));
		v->n_lines--;
	}
	snprintf(v->lines[v->n_lines++], LINE_MAX_KEPT, "%.*s", (int)v->partial, v->current);
	v->partial = 0;
}

static void take(struct liveview *v, const char *buf, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (buf[i] == '\n' || buf[i] == '\r') {
			if (v->partial || buf[i] == '\n')
				keep_line(v);
			continue;
		}
		if (v->partial < LINE_MAX_KEPT - 1)
			v->current[v->partial++] = buf[i];
	}
}

static void erase(struct liveview *v)
{
	if (v->drawn > 0)
		fprintf(v->out, "\033[%dA\033[J", v->drawn);
	v->drawn = 0;
}

static void draw(struct liveview *v)
{
	struct winsize ws;
	int width = ioctl(fileno(v->out), TIOCGWINSZ, &ws) == 0 && ws.ws_col > 10 ? ws.ws_col : 80;
	size_t first = v->n_lines > SHOWN ? v->n_lines - SHOWN : 0;

	erase(v);
	fprintf(v->out, "%.*s  %.1fs\n", width - 10, v->title, elapsed(v));
	v->drawn = 1;
	for (size_t i = first; i < v->n_lines; i++, v->drawn++)
		fprintf(v->out, "\033[2m  %.*s\033[0m\n", width - 3, v->lines[i]);
	fflush(v->out);
}

/* What the file has beyond what was read. */
static void read_new(struct liveview *v)
{
	char buf[4096];
	ssize_t n;

	while ((n = pread(v->file, buf, sizeof(buf), v->offset)) > 0) {
		take(v, buf, (size_t)n);
		v->offset += n;
	}
}

static void *reader(void *arg)
{
	struct liveview *v = arg;
	const struct timespec tick = { 0, 150 * 1000 * 1000 };

	for (;;) {
		pthread_mutex_lock(&v->lock);
		bool stop = v->stop;
		pthread_mutex_unlock(&v->lock);
		if (stop)
			break;
		read_new(v);
		if (v->out)
			draw(v);
		nanosleep(&tick, NULL);
	}
	return NULL;
}

struct liveview *liveview_begin(FILE *out, int dirfd, const char *title)
{
	struct liveview *v = xcalloc(1, sizeof(*v));

	fflush(stdout);
	fflush(stderr);
	v->file = openat(dirfd, ".", O_TMPFILE | O_RDWR | O_APPEND | O_CLOEXEC, 0600);
	if (v->file < 0) {
		free(v);
		return NULL;
	}
	v->title = xstrdup(title);
	v->saved_out = fcntl(STDOUT_FILENO, F_DUPFD_CLOEXEC, 3);
	v->saved_err = fcntl(STDERR_FILENO, F_DUPFD_CLOEXEC, 3);
	pthread_mutex_init(&v->lock, NULL);
	clock_gettime(CLOCK_MONOTONIC, &v->start);
	/* the terminal is drawn on through a descriptor of its own */
	if (out && v->saved_out >= 0)
		v->out = fdopen(fcntl(v->saved_out, F_DUPFD_CLOEXEC, 3), "w");
	dup2(v->file, STDOUT_FILENO);
	dup2(v->file, STDERR_FILENO);
	if (pthread_create(&v->thread, NULL, reader, v) != 0) {
		v->thread = 0;
		v->stop = true;
	}
	return v;
}

void liveview_end(struct liveview *v, bool failed)
{
	if (!v)
		return;
	fflush(stdout);
	fflush(stderr);
	dup2(v->saved_out, STDOUT_FILENO);
	dup2(v->saved_err, STDERR_FILENO);
	close(v->saved_out);
	close(v->saved_err);
	pthread_mutex_lock(&v->lock);
	bool started = !v->stop;
	v->stop = true;
	pthread_mutex_unlock(&v->lock);
	if (started)
		pthread_join(v->thread, NULL);
	read_new(v);
	close(v->file);
	if (v->partial)
		keep_line(v);
	if (v->out) {
		erase(v);
		fprintf(v->out, "%s  %.1fs\n", v->title, elapsed(v));
		fclose(v->out);
	}
	if (failed)
		for (size_t i = 0; i < v->n_lines; i++)
			fprintf(stderr, "%s\n", v->lines[i]);
	pthread_mutex_destroy(&v->lock);
	free(v->title);
	free(v);
}
