// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * igzip.c: a streaming gzip writer on ISA-L's igzip (igzip.h). igzip
 * deflates about twice as fast as zlib at its fastest level for a
 * similar ratio, which is most of the time of a first push.
 */
#include <isa-l/igzip_lib.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "igzip.h"
#include "xalloc.h"

/* igzip's output depends on how its input is cut into calls: the input
 * is gathered into blocks of IN_CHUNK, whatever the caller's writes, so
 * the same bytes always compress to the same bytes. */
#define IN_CHUNK (256u << 10)
/* The output buffer: what is handed to the sink at a time. */
#define OUT_CHUNK (256u << 10)

struct igzip {
	struct isal_zstream s; /* a few hundred KiB: on the heap */
	uint8_t *level_buf;
	uint8_t *in; /* IN_CHUNK: in_len bytes gathered */
	size_t in_len;
	uint8_t *out;
	igzip_sink sink;
	void *arg;
	int level;
};

/* What each level needs beside the stream, ISA-L's default sizes. */
static const uint32_t level_buf_size[] = {
	ISAL_DEF_LVL0_DEFAULT,
	ISAL_DEF_LVL1_DEFAULT,
	ISAL_DEF_LVL2_DEFAULT,
	ISAL_DEF_LVL3_DEFAULT,
};

/* RFC 1952's header, written here rather than by igzip so what it holds
 * is ours to say: deflate, no flags (no name, no comment), MTIME 0 (no
 * timestamp), XFL 0, OS 255 (unknown: the bytes do not depend on the
 * machine that made them). */
static const uint8_t gzip_header[10] = { 0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff };

struct igzip *igzip_new(int level, igzip_sink sink, void *arg, struct berth_error *err)
{
	struct igzip *g;

	if (level < 0 || level > ISAL_DEF_MAX_LEVEL) {
		berth_error_set(err, 0, "gzip level %d: igzip has levels 0 to %d", level,
				ISAL_DEF_MAX_LEVEL);
		return NULL;
	}
	g = xcalloc(1, sizeof(*g));
	g->level = level;
	g->sink = sink;
	g->arg = arg;
	g->in = xmalloc(IN_CHUNK);
	g->out = xmalloc(OUT_CHUNK);
	if (level_buf_size[level])
		g->level_buf = xmalloc(level_buf_size[level]);
	isal_deflate_init(&g->s);
	g->s.level = (uint32_t)level;
	g->s.level_buf = g->level_buf;
	g->s.level_buf_size = level_buf_size[level];
	g->s.gzip_flag = IGZIP_GZIP_NO_HDR; /* the trailer only: the header is ours */
	g->s.flush = NO_FLUSH;
	if (sink(arg, gzip_header, sizeof(gzip_header), err) < 0) {
		igzip_free(g);
		return NULL;
	}
	return g;
}

/* One isal_deflate call into the output buffer, and its output on to
 * the sink; *made: the bytes it made. */
static int deflate_once(struct igzip *g, size_t *made, struct berth_error *err)
{
	int r;

	g->s.next_out = g->out;
	g->s.avail_out = OUT_CHUNK;
	r = isal_deflate(&g->s);
	if (r != COMP_OK)
		return berth_error_set(err, 0, "igzip deflate failed (ISA-L error %d)", r);
	*made = OUT_CHUNK - g->s.avail_out;
	if (*made && g->sink(g->arg, g->out, *made, err) < 0)
		return -1;
	return 0;
}

/* Deflate the gathered block, end_of_stream or not. */
static int deflate_block(struct igzip *g, bool last, struct berth_error *err)
{
	size_t made = 0;

	g->s.next_in = g->in;
	g->s.avail_in = (uint32_t)g->in_len;
	g->s.end_of_stream = last;
	/* until it took the whole block and had room to spare */
	do {
		if (deflate_once(g, &made, err) < 0)
			return -1;
	} while (g->s.avail_in > 0 || g->s.avail_out == 0);
	g->in_len = 0;
	if (!last)
		return 0;
	while (g->s.internal_state.state != ZSTATE_END) {
		if (deflate_once(g, &made, err) < 0)
			return -1;
		if (!made && g->s.internal_state.state != ZSTATE_END)
			return berth_error_set(err, 0, "igzip made no progress ending the stream");
	}
	return 0;
}

int igzip_write(struct igzip *g, const void *buf, size_t n, struct berth_error *err)
{
	const uint8_t *p = buf;

	while (n > 0) {
		size_t part = IN_CHUNK - g->in_len < n ? IN_CHUNK - g->in_len : n;

		memcpy(g->in + g->in_len, p, part);
		g->in_len += part;
		p += part;
		n -= part;
		if (g->in_len == IN_CHUNK && deflate_block(g, false, err) < 0)
			return -1;
	}
	return 0;
}

int igzip_finish(struct igzip *g, struct berth_error *err)
{
	return deflate_block(g, true, err);
}

void igzip_free(struct igzip *g)
{
	if (!g)
		return;
	free(g->level_buf);
	free(g->in);
	free(g->out);
	free(g);
}
