// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * test-xferboard.c: the transfer board (lib/xferboard.c) into a memory
 * stream: plain lines off a terminal (a state a line, no byte counts),
 * nothing when quiet, and on a terminal one line an item, redrawn in
 * place by moving the cursor up to it and back, below lines of notes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../lib/util.h"
#include "../../lib/xferboard.h"
#include "../tap.h"

struct mem {
	char *buf;
	size_t len;
	FILE *f;
};

static struct xferboard *board(struct mem *m, bool tty, bool quiet)
{
	m->buf = NULL;
	m->len = 0;
	m->f = open_memstream(&m->buf, &m->len);
	return xferboard_new(m->f, tty, quiet);
}

static void done(struct mem *m, struct xferboard *b)
{
	xferboard_free(b);
	fclose(m->f);
}

static void plain(void)
{
	struct mem m;
	struct xferboard *b = board(&m, false, false);
	size_t a = xferboard_item(b, "a3ed95caeb02aaaaaaaaaaaa");
	size_t c = xferboard_item(b, "4f4fb700ef54bbbb");

	ok(xferboard_item(b, "a3ed95caeb02") == a, "an item is found again by its first 12");
	xferboard_state(b, a, "Pulling fs layer");
	xferboard_state(b, c, "Already exists");
	xferboard_bytes(b, a, "Downloading", 100, 200);
	xferboard_state(b, a, "Download complete (%s)", "2.1 MB");
	xferboard_note(b, "Digest: sha256:x");
	done(&m, b);
	is_str(m.buf,
	       "a3ed95caeb02: Pulling fs layer\n4f4fb700ef54: Already exists\n"
	       "a3ed95caeb02: Download complete (2.1 MB)\nDigest: sha256:x\n",
	       "off a terminal: a state a line, no byte counts, no escapes");
	free(m.buf);
}

static void quiet(void)
{
	struct mem m;
	struct xferboard *b = board(&m, true, true);
	size_t a = xferboard_item(b, "a3ed95caeb02");

	xferboard_state(b, a, "Pulling fs layer");
	xferboard_bytes(b, a, "Downloading", 1, 2);
	xferboard_note(b, "note");
	done(&m, b);
	ok(m.len == 0, "quiet: nothing at all");
	free(m.buf);
}

static void terminal(void)
{
	struct mem m;
	struct xferboard *b = board(&m, true, false);
	size_t a = xferboard_item(b, "aaaaaaaaaaaa");
	size_t c = xferboard_item(b, "cccccccccccc");

	xferboard_note(b, "Pulling x");
	xferboard_state(b, a, "Pulling fs layer");
	xferboard_state(b, c, "Waiting");
	fflush(m.f);
	size_t mark = m.len;
	xferboard_state(b, a, "Verifying Checksum");
	fflush(m.f);
	_cleanup_free_ char *redraw = xstrndup(m.buf + mark, m.len - mark);
	is_str(redraw, "\033[2A\r\033[2Kaaaaaaaaaaaa: Verifying Checksum\033[2B\r",
	       "a state redraws its item's line: up 2, cleared, written, down 2");
	mark = m.len;
	xferboard_bytes(b, c, "Downloading", 1048576, 2097152);
	fflush(m.f);
	ok(m.len > mark && strstr(m.buf + mark, "\033[1A\r\033[2Kcccccccccccc: Downloading  ") &&
		   strstr(m.buf + mark, "1.05MB/2.1MB  "),
	   "bytes redraw the item's line with done/total (%s)", m.buf + mark);
	mark = m.len;
	xferboard_bytes(b, c, "Downloading", 1048577, 2097152);
	fflush(m.f);
	ok(m.len == mark, "... at most ten times a second");
	xferboard_bytes(b, c, "Downloading", 2097152, 2097152);
	fflush(m.f);
	ok(m.len > mark, "... but the last bytes always");
	mark = m.len;
	xferboard_note(b, "Digest: d");
	xferboard_state(b, a, "Pull complete");
	fflush(m.f);
	ok(strstr(m.buf + mark,
		  "Digest: d\n\033[3A\r\033[2Kaaaaaaaaaaaa: Pull complete\033[3B\r") != NULL,
	   "a note below the items moves them one line further up");
	done(&m, b);
	free(m.buf);
}

int main(void)
{
	plain();
	quiet();
	terminal();
	return tap_done();
}
