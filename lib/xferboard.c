// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * xferboard.c: per-item transfer progress (xferboard.h). On a terminal
 * the board remembers which line each item has (counted from the first
 * it printed) and redraws one line by moving the cursor up to it and
 * back; a line is cut to the terminal's width, since a wrapped line
 * would throw the count off. Knows nothing of registries.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "util.h"
#include "xferboard.h"

#define REDRAW_MS 100

struct board_item {
	char id[13];
	char state[96];
	bool shown;	  /* has a line (terminal) */
	size_t line;	  /* which, counted from the board's first */
	int64_t start_ms; /* of its first byte, for the rate */
	int64_t last_ms;  /* of its last redraw of bytes */
};

struct xferboard {
	FILE *out;
	bool tty, quiet;
	size_t lines; /* printed so far (terminal): the cursor is below them */
	size_t n;
	struct board_item *items;
};

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

struct xferboard *xferboard_new(FILE *out, bool tty, bool quiet)
{
	struct xferboard *b = xcalloc(1, sizeof(*b));

	b->out = out;
	b->tty = tty;
	b->quiet = quiet;
	return b;
}

void xferboard_free(struct xferboard *b)
{
	if (!b)
		return;
	free(b->items);
	free(b);
}

size_t xferboard_item(struct xferboard *b, const char *id)
{
	for (size_t i = 0; i < b->n; i++)
		if (!strncmp(b->items[i].id, id, 12))
			return i;
	b->items = xrealloc(b->items, (b->n + 1) * sizeof(*b->items));
	memset(&b->items[b->n], 0, sizeof(*b->items));
	snprintf(b->items[b->n].id, sizeof(b->items[b->n].id), "%.12s", id);
	return b->n++;
}

static size_t width(const struct xferboard *b)
{
	struct winsize ws;

	if (ioctl(fileno(b->out), TIOCGWINSZ, &ws) == 0 && ws.ws_col > 1)
		return ws.ws_col - 1;
	return 79;
}

/* The item's line, printed anew (its first time) or redrawn in place. */
static void draw(struct xferboard *b, struct board_item *it, const char *text)
{
	int w = (int)width(b);

	if (!it->shown) {
		it->shown = true;
		it->line = b->lines++;
		fprintf(b->out, "%.*s\n", w, text);
	} else {
		size_t up = b->lines - it->line;
		fprintf(b->out, "\033[%zuA\r\033[2K%.*s\033[%zuB\r", up, w, text, up);
	}
	fflush(b->out);
}

void xferboard_state(struct xferboard *b, size_t item, const char *fmt, ...)
{
	struct board_item *it = &b->items[item];
	char text[160];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(it->state, sizeof(it->state), fmt, ap);
	va_end(ap);
	if (b->quiet)
		return;
	snprintf(text, sizeof(text), "%s: %s", it->id, it->state);
	if (b->tty) {
		draw(b, it, text);
	} else {
		fprintf(b->out, "%s\n", text);
		fflush(b->out);
	}
}

void xferboard_bytes(struct xferboard *b, size_t item, const char *verb, uint64_t done,
		     uint64_t total)
{
	struct board_item *it = &b->items[item];
	int64_t t = now_ms();
	char text[160], got[32], all[32], rate[32];

	if (done == 0 || !it->start_ms)
		it->start_ms = t;
	if (b->quiet || !b->tty)
		return;
	if (it->last_ms && t - it->last_ms < REDRAW_MS && done != total)
		return;
	it->last_ms = t;
	human_size(done, got, sizeof(got));
	human_size(total, all, sizeof(all));
	int64_t ms = t - it->start_ms;
	human_size(ms > 0 ? done * 1000 / (uint64_t)ms : 0, rate, sizeof(rate));
	if (total)
		snprintf(text, sizeof(text), "%s: %s  %s/%s  %s/s", it->id, verb, got, all, rate);
	else
		snprintf(text, sizeof(text), "%s: %s  %s  %s/s", it->id, verb, got, rate);
	draw(b, it, text);
}

void xferboard_out_vnote(const struct xferboard_out *o, const char *fmt, va_list ap)
{
	_cleanup_free_ char *line = NULL;

	if (!o->board && (!o->say || o->quiet))
		return;
	line = xvasprintf(fmt, ap);
	if (o->board)
		xferboard_note(o->board, "%s", line);
	else
		o->say(o->say_arg, line);
}

void xferboard_out_vstate(const struct xferboard_out *o, const char *id, const char *fmt,
			  va_list ap)
{
	_cleanup_free_ char *state = NULL;

	if (!o->board && (!o->say || o->quiet))
		return;
	state = xvasprintf(fmt, ap);
	if (o->board) {
		xferboard_state(o->board, xferboard_item(o->board, id), "%s", state);
	} else {
		_cleanup_free_ char *line = xasprintf("%.12s: %s", id, state);
		o->say(o->say_arg, line);
	}
}

void xferboard_note(struct xferboard *b, const char *fmt, ...)
{
	va_list ap;

	if (b->quiet)
		return;
	va_start(ap, fmt);
	vfprintf(b->out, fmt, ap);
	va_end(ap);
	fputc('\n', b->out);
	fflush(b->out);
	if (b->tty)
		b->lines++;
}
