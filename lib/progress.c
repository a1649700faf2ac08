// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * progress.c: throttled "label  12.3MB / 45.6MB" lines for load, save
 * and import. Written to stderr so stdout stays machine-readable.
 */
#include <stdarg.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include "progress.h"
#include "util.h"

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void progress_init(struct progress *p, bool quiet)
{
	*p = (struct progress){ .enabled = !quiet && isatty(STDERR_FILENO) };
}

void progress_start(struct progress *p, uint64_t total, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(p->label, sizeof(p->label), fmt, ap);
	va_end(ap);
	p->total = total;
	p->last_ms = 0;
	progress_update(p, 0);
}

static void render(struct progress *p, uint64_t done, const char *end)
{
	char a[32], b[32];

	human_size(done, a, sizeof(a));
	if (p->total) {
		human_size(p->total, b, sizeof(b));
		fprintf(stderr, "\r\033[K%s  %s / %s%s", p->label, a, b, end);
	} else {
		fprintf(stderr, "\r\033[K%s  %s%s", p->label, a, end);
	}
	fflush(stderr);
}

void progress_update(struct progress *p, uint64_t done)
{
	int64_t t;

	if (!p->enabled)
		return;
	t = now_ms();
	if (p->last_ms && t - p->last_ms < 100)
		return;
	p->last_ms = t;
	render(p, done, "");
}

void progress_end(struct progress *p, uint64_t done)
{
	if (p->enabled)
		render(p, done, "\n");
}
