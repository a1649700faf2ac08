// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * stages.c: the stages the target needs, each built once the stages it
 * needs are; stages that do not need each other are built at once, each
 * in a child process of its own (with its own store handle and locks:
 * the engine's forks, reaping and signal handling are per process, and
 * flock's locks per open file, so threads or a shared handle would not
 * keep them apart). A child reports the image its stage ended with (its
 * config committed into it), the cache chain's key and the build args
 * it consumed; the parent takes that as if it had built the stage. The
 * target is built last, in this process. One stage ready at a time is
 * built here too, without a fork. Lines of stages built side by side
 * start with "[NAME] ".
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../image/image.h"
#include "../lib/nsrun.h"
#include "../lib/util.h"
#include "build.h"
#include "state.h"

/* Stages built at once, at most: the machines berth runs on are small,
 * and each RUN step is a container. */
#define STAGES_AT_ONCE 3
#define REPORT_MAX 65536

static bool ready(struct build *b, const struct stage_run *st)
{
	if (!st->needed || st->done || st->pid > 0)
		return false;
	for (size_t k = 0; k < st->n_deps; k++)
		if (!b->stages[st->deps[k]].done)
			return false;
	return true;
}

static size_t running(struct build *b)
{
	size_t n = 0;
	for (size_t i = 0; i < b->n_stages; i++)
		n += b->stages[i].pid > 0;
	return n;
}

/* In the child: the stage built, its config committed, the report
 * written; never returns. */
static _noreturn_ void child(struct build *b, struct stage_run *st, int report)
{
	struct berth_error err = { 0 };
	struct store *s = NULL;
	char *text = NULL;
	size_t len = 0;
	FILE *f;

	b->prefix = xasprintf("[%s] ", st->df->name ? st->df->name : "stage");
	/* a store handle of its own: its locks are not the parent's */
	if (store_open(b->s->root, &s, &err) == 0) {
		b->s = s;
		if (build_stage(b, st, &err) == 0)
			step_commit(b, st, -1, NULL, &err);
	}
	f = open_memstream(&text, &len);
	if (err.msg) {
		_cleanup_free_ char *line = berth_error_text(&err);
		fprintf(f, "ERR %s", line);
	} else {
		fprintf(f, "OK %s %s", st->image, st->key);
		for (size_t i = 0; i < b->n_given; i++)
			if (b->consumed[i])
				fprintf(f, " %zu", i);
	}
	fclose(f);
	int r = write_all(report, text, len) < 0 || err.msg ? 1 : 0;
	fflush(NULL);
	_exit(r);
}

static int launch(struct build *b, struct stage_run *st, struct berth_error *err)
{
	int p[2];
	pid_t pid;

	if (pipe2(p, O_CLOEXEC) < 0)
		return berth_error_set(err, errno, "a pipe for stage %s", st->df->name);
	if ((pid = nsrun_fork(err)) < 0) {
		close(p[0]);
		close(p[1]);
		return -1;
	}
	if (pid == 0) {
		close(p[0]);
		child(b, st, p[1]);
	}
	close(p[1]);
	st->pid = pid;
	st->report = p[0];
	return 0;
}

/* A child's report taken: the stage as if built here. */
static int take_report(struct build *b, struct stage_run *st, int status, struct berth_error *err)
{
	_cleanup_free_ char *text = NULL;
	struct berth_error rerr = { 0 };
	size_t len = 0;
	char *save = NULL, *tok;

	if (read_fd_all(st->report, REPORT_MAX, &text, &len, &rerr) < 0)
		berth_error_clear(&rerr);
	close(st->report);
	st->pid = 0;
	if (!text || !len)
		return berth_error_set(err, 0,
				       "stage %s: its builder ended (status %d) without a word",
				       st->df->name ? st->df->name : "(unnamed)", status);
	if (!strncmp(text, "ERR ", 4)) /* its whole text, the cause's too */
		return berth_error_set(err, 0, "%s", text + 4);
	if (strncmp(text, "OK ", 3) || !(tok = strtok_r(text + 3, " ", &save)) ||
	    strlen(tok) != DIGEST_STR_LEN)
		return berth_error_set(err, 0, "stage %s: a report berth cannot read",
				       st->df->name);
	snprintf(st->image, sizeof(st->image), "%s", tok);
	if (!(tok = strtok_r(NULL, " ", &save)) || strlen(tok) != DIGEST_STR_LEN)
		return berth_error_set(err, 0, "stage %s: a report berth cannot read",
				       st->df->name);
	snprintf(st->key, sizeof(st->key), "%s", tok);
	while ((tok = strtok_r(NULL, " ", &save))) {
		size_t i = strtoul(tok, NULL, 10);
		if (i < b->n_given)
			b->consumed[i] = true;
	}
	json_object_put(st->config);
	if (!(st->config = image_config(b->s, st->image, err)))
		return -1;
	json_object_object_del(st->config, "rootfs");
	st->done = true;
	return 0;
}

/* Wait for a child; its stage taken. */
static int reap_one(struct build *b, struct berth_error *err)
{
	int status;
	pid_t pid;

	do
		pid = waitpid(-1, &status, 0);
	while (pid < 0 && errno == EINTR);
	if (pid < 0)
		return berth_error_set(err, errno, "waiting for a stage's builder");
	for (size_t i = 0; i < b->n_stages; i++)
		if (b->stages[i].pid == pid)
			return take_report(b, &b->stages[i], status, err);
	return 0; /* not a stage's (a helper the engine left): nothing to take */
}

/* A failure: the other stages being built are waited for (not killed:
 * a stage killed in a RUN step would leave its container behind). */
static void stop_all(struct build *b)
{
	for (size_t i = 0; i < b->n_stages; i++)
		if (b->stages[i].pid > 0) {
			waitpid(b->stages[i].pid, NULL, 0);
			close(b->stages[i].report);
			b->stages[i].pid = 0;
		}
}

int stages_build(struct build *b, size_t target, struct berth_error *err)
{
	struct stage_run *t = &b->stages[target];

	while (!t->done) {
		size_t n_ready = 0, first = 0;
		for (size_t i = 0; i < b->n_stages; i++)
			if (ready(b, &b->stages[i]) && n_ready++ == 0)
				first = i;
		/* alone: here, with its output as it comes */
		if (n_ready == 1 && running(b) == 0) {
			if (build_stage(b, &b->stages[first], err) < 0)
				return -1;
			continue;
		}
		for (size_t i = 0; i < b->n_stages && running(b) < STAGES_AT_ONCE; i++) {
			if (i == target || !ready(b, &b->stages[i]))
				continue;
			if (launch(b, &b->stages[i], err) < 0) {
				stop_all(b);
				return -1;
			}
		}
		if (running(b) == 0)
			return berth_error_set(err, 0,
					       "the stages depend on each other in a circle");
		if (reap_one(b, err) < 0) {
			stop_all(b);
			return -1;
		}
	}
	return 0;
}
