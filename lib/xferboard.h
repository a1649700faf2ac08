/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * xferboard.h: the progress of transfers of many items (a pull's layers,
 * a push's blobs) on stderr, as docker prints it (xferboard.c). On a
 * terminal each item has one line, redrawn in place as its state and
 * bytes change ("a3ed95caeb02: Downloading  1.2MB/2.1MB  850kB/s");
 * otherwise each change of state is a plain line of its own
 * ("a3ed95caeb02: Download complete (2.1MB)") and byte counts are not
 * printed; quiet prints nothing. Notes (lines that are no item's) go
 * below the items.
 */
#ifndef BERTH_XFERBOARD_H
#define BERTH_XFERBOARD_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct xferboard;

/* A board writing to out; tty: redraw in place (isatty of out's fd, or
 * a caller's choice); quiet: print nothing at all. */
struct xferboard *xferboard_new(FILE *out, bool tty, bool quiet);
void xferboard_free(struct xferboard *b);
/* The item named id (its first 12 characters shown), added on its first
 * use with no line until its first state. */
size_t xferboard_item(struct xferboard *b, const char *id);
/* The item's new state, in docker's words: "Pulling fs layer",
 * "Waiting", "Verifying Checksum", "Download complete (2.1 MB)",
 * "Already exists", "Pull complete", "Mounted from REPO", "Pushed". */
void xferboard_state(struct xferboard *b, size_t item, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Bytes moved of total (0: unknown) under verb ("Downloading",
 * "Pushing"), with the rate since the item's first byte; on a terminal
 * only, redrawn at most ten times a second an item. done == 0 starts
 * the count again (a transfer started over). */
void xferboard_bytes(struct xferboard *b, size_t item, const char *verb, uint64_t done,
		     uint64_t total);
/* A line of its own. */
void xferboard_note(struct xferboard *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Where a transfer's lines go when it may have no board (pull and push
 * as their callers ask): the board when there is one, else say's plain
 * lines (none with quiet or without say). */
struct xferboard_out {
	struct xferboard *board; /* or NULL */
	void (*say)(void *arg, const char *line);
	void *say_arg;
	bool quiet;
};
/* A line of its own: xferboard_note, or a plain line. */
void xferboard_out_vnote(const struct xferboard_out *o, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));
/* Item id's new state: xferboard_state, or the plain line "ID: STATE"
 * (id cut to 12 characters, as docker shows layer IDs). */
void xferboard_out_vstate(const struct xferboard_out *o, const char *id, const char *fmt,
			  va_list ap) __attribute__((format(printf, 3, 0)));

#endif
