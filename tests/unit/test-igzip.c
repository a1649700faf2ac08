// SPDX-License-Identifier: GPL-2.0-or-later
/* Unit tests: lib/igzip.c's gzip streams, read back with zlib's inflate. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "../../lib/igzip.h"
#include "../../lib/util.h"
#include "../tap.h"

struct sink {
	uint8_t *buf;
	size_t len, cap;
	size_t calls;
	size_t fail_after; /* 0: never */
};

static int put(void *arg, const void *buf, size_t n, struct berth_error *err)
{
	struct sink *s = arg;

	if (s->fail_after && ++s->calls > s->fail_after)
		return berth_error_set(err, 28, "the disk is full");
	if (s->len + n > s->cap) {
		s->cap = (s->len + n) * 2;
		s->buf = xrealloc(s->buf, s->cap);
	}
	memcpy(s->buf + s->len, buf, n);
	s->len += n;
	return 0;
}

/* in compressed at level, written chunk bytes at a time, into s. */
static int gz(int level, const uint8_t *in, size_t n, size_t chunk, struct sink *s)
{
	struct berth_error err = { 0 };
	struct igzip *g = igzip_new(level, put, s, &err);
	int r = g ? 0 : -1;

	for (size_t off = 0; !r && off < n; off += chunk)
		r = igzip_write(g, in + off, n - off < chunk ? n - off : chunk, &err);
	if (!r)
		r = igzip_finish(g, &err);
	igzip_free(g);
	if (r)
		printf("# %s\n", err.msg ? err.msg : "?");
	berth_error_clear(&err);
	return r;
}

/* gz's bytes inflated by zlib as gzip (which checks the CRC-32 and the
 * size in the trailer): equal to in, and nothing after the stream. */
static int inflates_to(const struct sink *s, const uint8_t *in, size_t n)
{
	z_stream z = { 0 };
	uint8_t *out = xmalloc(n + 1);
	int r, same;

	if (inflateInit2(&z, 15 + 16) != Z_OK)
		return 0;
	z.next_in = s->buf;
	z.avail_in = (uInt)s->len;
	z.next_out = out;
	z.avail_out = (uInt)n + 1;
	r = inflate(&z, Z_FINISH);
	same = r == Z_STREAM_END && z.total_out == n && z.avail_in == 0 && !memcmp(out, in, n);
	if (!same)
		printf("# inflate %d, %lu of %zu bytes, %u left over\n", r, z.total_out, n,
		       z.avail_in);
	inflateEnd(&z);
	free(out);
	return same;
}

/* Pseudo-random bytes, the same on every run. */
static void random_bytes(uint8_t *p, size_t n, uint64_t seed)
{
	for (size_t i = 0; i < n; i++) {
		seed ^= seed << 13;
		seed ^= seed >> 7;
		seed ^= seed << 17;
		p[i] = (uint8_t)seed;
	}
}

/* Something like a tar: repeated text with some noise. */
static void texty_bytes(uint8_t *p, size_t n)
{
	static const char line[] = "usr/share/doc/libfoo/copyright 0644 root root\n";

	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)line[i % (sizeof(line) - 1)] ^ (i % 4099 == 0 ? (uint8_t)i : 0);
}

static void header(void)
{
	struct sink s = { 0 };
	static const uint8_t want[10] = { 0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff };

	ok(gz(IGZIP_LEVEL_PUSH, (const uint8_t *)"x", 1, 1, &s) == 0 && s.len > 18 &&
		   !memcmp(s.buf, want, sizeof(want)),
	   "the header: deflate, no name or other flag, MTIME 0");
	free(s.buf);
}

static void empty(void)
{
	for (int level = 0; level <= 3; level++) {
		struct sink s = { 0 };

		ok(gz(level, NULL, 0, 1, &s) == 0 && inflates_to(&s, (const uint8_t *)"", 0),
		   "level %d: an empty input is a gzip stream of nothing (%zu bytes)", level,
		   s.len);
		free(s.buf);
	}
}

/* Each level round trips; the same input gives the same bytes whatever
 * the size of the writes (a tar is read 256 KiB at a time, but the last
 * read is short). */
static void round_trip(const char *what, const uint8_t *in, size_t n)
{
	for (int level = 0; level <= 3; level++) {
		struct sink a = { 0 }, b = { 0 }, c = { 0 };

		ok(gz(level, in, n, 256u << 10, &a) == 0 && inflates_to(&a, in, n),
		   "level %d: %s (%zu bytes) inflates back (%zu compressed)", level, what, n,
		   a.len);
		ok(gz(level, in, n, 256u << 10, &b) == 0 && a.len == b.len &&
			   !memcmp(a.buf, b.buf, a.len),
		   "level %d: %s compresses to the same bytes again", level, what);
		ok(gz(level, in, n, 4093, &c) == 0 && a.len == c.len &&
			   !memcmp(a.buf, c.buf, a.len),
		   "level %d: %s written 4093 bytes at a time: the same bytes", level, what);
		free(a.buf);
		free(b.buf);
		free(c.buf);
	}
}

static void errors(void)
{
	struct berth_error err = { 0 };
	struct sink s = { .fail_after = 2 };
	size_t n = 4u << 20;
	uint8_t *in = xmalloc(n);

	ok(!igzip_new(4, put, &s, &err) && err.msg && strstr(err.msg, "level 4"),
	   "a level ISA-L has not is refused: %s", err.msg ? err.msg : "accepted");
	berth_error_clear(&err);
	random_bytes(in, n, 7);
	ok(gz(1, in, n, n, &s) < 0 && s.calls == 3, "the sink's failure stops the stream");
	free(s.buf);
	free(in);
}

int main(void)
{
	size_t big = 24u << 20;
	uint8_t *in = xmalloc(big);

	header();
	empty();
	random_bytes(in, big, 0x9e3779b97f4a7c15ull);
	round_trip("a large random input", in, big);
	texty_bytes(in, big);
	round_trip("a large compressible input", in, big);
	errors();
	free(in);
	return tap_done();
}
