// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * tar.c: streaming tar parsing for layer blobs. Handles ustar (with the
 * prefix field), pax extended headers (path, linkpath, size, uid, gid,
 * mtime, SCHILY.devmajor/devminor, SCHILY.xattr.*, LIBARCHIVE.xattr.*),
 * GNU 'L'/'K' long names, base-256 numbers and the checksum. Refuses GNU
 * sparse and multi-volume members instead of mis-reading them. Every
 * length read from the input is bounded before it is allocated.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "tar.h"
#include "../lib/util.h"

#define BLOCK 512
#define BUF_SIZE (128 * 1024)
#define MAX_META (1u << 20) /* pax headers and GNU long names */

struct tar_reader {
	tar_read_fn fn;
	void *ctx;
	unsigned char *buf;
	size_t pos, len;
	bool eof;
	uint64_t remaining; /* data bytes of the current entry */
	uint64_t padding;   /* to the next block */
	struct tar_entry entry;
	/* pending from pax 'x' and GNU 'L'/'K' headers */
	char *pax_path, *pax_link, *gnu_path, *gnu_link;
	bool has_size, has_uid, has_gid, has_mtime, has_major, has_minor;
	uint64_t pax_size, pax_uid, pax_gid, pax_major, pax_minor;
	int64_t pax_mtime;
	uint32_t pax_mtime_nsec;
	size_t n_xattrs;
	struct bfs_xattr *xattrs;
};

struct tar_reader *tar_reader_new(tar_read_fn fn, void *ctx)
{
	struct tar_reader *t = xcalloc(1, sizeof(*t));
	t->fn = fn;
	t->ctx = ctx;
	t->buf = xmalloc(BUF_SIZE);
	return t;
}

static void free_xattrs(struct bfs_xattr *x, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(x[i].name);
		free(x[i].value);
	}
	free(x);
}

static void clear_entry(struct tar_entry *e)
{
	free(e->path);
	free(e->linkpath);
	free_xattrs(e->xattrs, e->n_xattrs);
	memset(e, 0, sizeof(*e));
}

static void clear_pending(struct tar_reader *t)
{
	free(t->pax_path);
	free(t->pax_link);
	free(t->gnu_path);
	free(t->gnu_link);
	t->pax_path = t->pax_link = t->gnu_path = t->gnu_link = NULL;
	free_xattrs(t->xattrs, t->n_xattrs);
	t->xattrs = NULL;
	t->n_xattrs = 0;
	t->has_size = t->has_uid = t->has_gid = t->has_mtime = t->has_major = t->has_minor = false;
}

void tar_reader_free(struct tar_reader *t)
{
	if (!t)
		return;
	clear_entry(&t->entry);
	clear_pending(t);
	free(t->buf);
	free(t);
}

/* Make at least n (<= BUF_SIZE) bytes available; returns how many are. */
static ssize_t fill(struct tar_reader *t, size_t n, struct berth_error *err)
{
	if (t->len - t->pos >= n || t->eof)
		return (ssize_t)(t->len - t->pos);
	memmove(t->buf, t->buf + t->pos, t->len - t->pos);
	t->len -= t->pos;
	t->pos = 0;
	while (t->len < n && !t->eof) {
		ssize_t r = t->fn(t->ctx, t->buf + t->len, BUF_SIZE - t->len, err);
		if (r < 0)
			return -1;
		if (r == 0)
			t->eof = true;
		t->len += (size_t)r;
	}
	return (ssize_t)t->len;
}

/* Consume n bytes, copying them to out when out is not NULL. */
static int take(struct tar_reader *t, void *out, uint64_t n, struct berth_error *err)
{
	while (n > 0) {
		size_t chunk = n > BUF_SIZE ? BUF_SIZE : (size_t)n;
		ssize_t avail = fill(t, chunk, err);
		if (avail < 0)
			return -1;
		if (avail == 0)
			return berth_error_set(err, 0, "tar stream truncated");
		if ((size_t)avail < chunk)
			chunk = (size_t)avail;
		if (out) {
			memcpy(out, t->buf + t->pos, chunk);
			out = (char *)out + chunk;
		}
		t->pos += chunk;
		n -= chunk;
	}
	return 0;
}

static int parse_num(const unsigned char *f, size_t len, uint64_t *out)
{
	uint64_t v = 0;
	size_t i = 0;

	if (f[0] & 0x80) { /* base-256, GNU: big-endian, first byte's top bit set */
		if (f[0] & 0x40)
			return -1; /* negative */
		v = f[0] & 0x3f;
		for (i = 1; i < len; i++) {
			if (v >> 56)
				return -1;
			v = (v << 8) | f[i];
		}
		*out = v;
		return 0;
	}
	while (i < len && (f[i] == ' ' || f[i] == '\0'))
		i++;
	for (; i < len && f[i] >= '0' && f[i] <= '7'; i++) {
		if (v >> 61)
			return -1;
		v = v * 8 + (uint64_t)(f[i] - '0');
	}
	for (; i < len; i++)
		if (f[i] != ' ' && f[i] != '\0')
			return -1;
	*out = v;
	return 0;
}

static bool checksum_ok(const unsigned char *h)
{
	uint64_t want;
	long us = 0, s = 0;

	if (parse_num(h + 148, 8, &want) < 0)
		return false;
	for (int i = 0; i < BLOCK; i++) {
		unsigned char c = (i >= 148 && i < 156) ? ' ' : h[i];
		us += c;
		s += (signed char)c;
	}
	return (uint64_t)us == want || (uint64_t)s == want;
}

static char *field_str(const unsigned char *f, size_t len)
{
	return xstrndup((const char *)f, strnlen((const char *)f, len));
}

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static size_t base64_decode(const char *in, size_t len, unsigned char *out)
{
	uint32_t acc = 0;
	int bits = 0;
	size_t n = 0;

	for (size_t i = 0; i < len; i++) {
		const char *p = in[i] ? strchr(b64, in[i]) : NULL;
		if (!p)
			continue; /* padding and line breaks */
		acc = (acc << 6) | (uint32_t)(p - b64);
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[n++] = (unsigned char)(acc >> bits);
		}
	}
	return n;
}

static void url_decode(char *s)
{
	char *w = s;
	for (char *r = s; *r; r++) {
		unsigned v;
		if (*r == '%' && r[1] && r[2] && sscanf(r + 1, "%2x", &v) == 1 && v) {
			*w++ = (char)v;
			r += 2;
		} else {
			*w++ = *r;
		}
	}
	*w = '\0';
}

static void add_xattr(struct tar_reader *t, const char *name, const void *value, size_t len)
{
	for (size_t i = 0; i < t->n_xattrs; i++) {
		if (strcmp(t->xattrs[i].name, name) == 0) { /* the last one wins */
			free(t->xattrs[i].value);
			t->xattrs[i].value = xmalloc(len + 1);
			memcpy(t->xattrs[i].value, value, len);
			t->xattrs[i].len = len;
			return;
		}
	}
	t->xattrs = xrealloc(t->xattrs, (t->n_xattrs + 1) * sizeof(*t->xattrs));
	t->xattrs[t->n_xattrs].name = xstrdup(name);
	t->xattrs[t->n_xattrs].value = xmalloc(len + 1);
	memcpy(t->xattrs[t->n_xattrs].value, value, len);
	t->xattrs[t->n_xattrs].len = len;
	t->n_xattrs++;
}

static int pax_number(const char *v, size_t len, uint64_t *out)
{
	_cleanup_free_ char *s = xstrndup(v, len);
	char *end;
	errno = 0;
	unsigned long long n = strtoull(s, &end, 10);
	if (errno || end == s || *end || s[0] == '-')
		return -1;
	*out = n;
	return 0;
}

static int pax_record(struct tar_reader *t, const char *key, const char *v, size_t vlen,
		      struct berth_error *err)
{
	if (strcmp(key, "path") == 0) {
		free(t->pax_path);
		t->pax_path = xstrndup(v, vlen);
	} else if (strcmp(key, "linkpath") == 0) {
		free(t->pax_link);
		t->pax_link = xstrndup(v, vlen);
	} else if (strcmp(key, "size") == 0) {
		t->has_size = pax_number(v, vlen, &t->pax_size) == 0;
	} else if (strcmp(key, "uid") == 0) {
		t->has_uid = pax_number(v, vlen, &t->pax_uid) == 0 && t->pax_uid <= UINT32_MAX;
	} else if (strcmp(key, "gid") == 0) {
		t->has_gid = pax_number(v, vlen, &t->pax_gid) == 0 && t->pax_gid <= UINT32_MAX;
	} else if (strcmp(key, "SCHILY.devmajor") == 0) {
		t->has_major = pax_number(v, vlen, &t->pax_major) == 0;
	} else if (strcmp(key, "SCHILY.devminor") == 0) {
		t->has_minor = pax_number(v, vlen, &t->pax_minor) == 0;
	} else if (strcmp(key, "mtime") == 0) {
		_cleanup_free_ char *s = xstrndup(v, vlen);
		char *dot = strchr(s, '.');
		uint32_t nsec = 0;
		if (dot) {
			*dot = '\0';
			for (int i = 0, mul = 100000000;
			     dot[1 + i] >= '0' && dot[1 + i] <= '9' && i < 9; i++, mul /= 10)
				nsec += (uint32_t)(dot[1 + i] - '0') * (uint32_t)mul;
		}
		t->pax_mtime = strtoll(s, NULL, 10);
		t->pax_mtime_nsec = nsec;
		t->has_mtime = true;
	} else if (str_has_prefix(key, "SCHILY.xattr.") && key[13]) {
		add_xattr(t, key + 13, v, vlen);
	} else if (str_has_prefix(key, "LIBARCHIVE.xattr.") && key[17]) {
		_cleanup_free_ char *name = xstrdup(key + 17);
		_cleanup_free_ unsigned char *val = xmalloc(vlen + 1);
		url_decode(name);
		add_xattr(t, name, val, base64_decode(v, vlen, val));
	} else if (str_has_prefix(key, "GNU.sparse.")) {
		return berth_error_set(err, 0, "GNU sparse members are not supported");
	}
	return 0;
}

/* "LEN KEY=VALUE\n" records; LEN counts the whole record. */
static int parse_pax(struct tar_reader *t, char *data, size_t len, bool global,
		     struct berth_error *err)
{
	size_t off = 0;

	while (off < len) {
		char *p = data + off, *sp, *eq;
		size_t reclen = 0;

		for (sp = p; sp < data + len && *sp >= '0' && *sp <= '9'; sp++) {
			reclen = reclen * 10 + (size_t)(*sp - '0');
			if (reclen > len)
				break;
		}
		if (sp == p || sp >= data + len || *sp != ' ' || reclen > len - off ||
		    reclen < (size_t)(sp - p) + 3 || p[reclen - 1] != '\n')
			return berth_error_set(err, 0, "malformed pax header");
		p[reclen - 1] = '\0';
		eq = memchr(sp + 1, '=', (size_t)(p + reclen - 1 - (sp + 1)));
		if (!eq)
			return berth_error_set(err, 0, "malformed pax header record");
		*eq = '\0';
		/* global headers carry comments in practice: only keep xattr-free keys */
		if (!global &&
		    pax_record(t, sp + 1, eq + 1, (size_t)(p + reclen - 1 - (eq + 1)), err) < 0)
			return -1;
		off += reclen;
	}
	return 0;
}

static int read_meta(struct tar_reader *t, uint64_t size, char **out, struct berth_error *err)
{
	char *data;

	if (size > MAX_META)
		return berth_error_set(err, 0, "tar extended header of %llu bytes is too large",
				       (unsigned long long)size);
	data = xmalloc((size_t)size + 1);
	if (take(t, data, size, err) < 0 ||
	    take(t, NULL, (BLOCK - size % BLOCK) % BLOCK, err) < 0) {
		free(data);
		return -1;
	}
	data[size] = '\0';
	*out = data;
	return 0;
}

static char type_of(char flag, const char *name)
{
	switch (flag) {
	case '0':
	case '\0':
	case '7': return str_has_suffix(name, "/") ? BFS_DIR : BFS_REG;
	case '1': return BFS_REG; /* hardlink; the target's type applies */
	case '2': return BFS_LNK;
	case '3': return BFS_CHR;
	case '4': return BFS_BLK;
	case '5':
	case 'D': return BFS_DIR;
	case '6': return BFS_FIFO;
	default: return 0;
	}
}

/* Fill t->entry from a ustar/GNU header plus any pending extensions. */
static int build_entry(struct tar_reader *t, const unsigned char *h, struct berth_error *err)
{
	struct tar_entry *e = &t->entry;
	uint64_t mode, uid, gid, size, mtime, major = 0, minor = 0;
	char flag = (char)h[156];
	bool ustar = memcmp(h + 257, "ustar\0", 6) == 0;

	if (parse_num(h + 100, 8, &mode) < 0 || parse_num(h + 108, 8, &uid) < 0 ||
	    parse_num(h + 116, 8, &gid) < 0 || parse_num(h + 124, 12, &size) < 0 ||
	    parse_num(h + 136, 12, &mtime) < 0)
		return berth_error_set(err, 0, "corrupt tar header (bad number)");
	if (flag == '3' || flag == '4') {
		if (parse_num(h + 329, 8, &major) < 0 || parse_num(h + 337, 8, &minor) < 0)
			return berth_error_set(err, 0, "corrupt tar header (bad device number)");
	}
	if (t->pax_path)
		e->path = steal_pointer(&t->pax_path);
	else if (t->gnu_path)
		e->path = steal_pointer(&t->gnu_path);
	else if (ustar && h[345]) {
		_cleanup_free_ char *prefix = field_str(h + 345, 155), *name = field_str(h, 100);
		e->path = xasprintf("%s/%s", prefix, name);
	} else {
		e->path = field_str(h, 100);
	}
	if (t->pax_link)
		e->linkpath = steal_pointer(&t->pax_link);
	else if (t->gnu_link)
		e->linkpath = steal_pointer(&t->gnu_link);
	else
		e->linkpath = field_str(h + 157, 100);
	e->type = type_of(flag, e->path);
	if (!e->type)
		return berth_error_set(err, 0, "entry \"%s\": unsupported tar member type '%c'",
				       e->path, flag > ' ' && flag < 127 ? flag : '?');
	e->hardlink = flag == '1';
	e->mode = (uint32_t)(mode & 07777);
	e->uid = (uint32_t)(t->has_uid ? t->pax_uid : uid);
	e->gid = (uint32_t)(t->has_gid ? t->pax_gid : gid);
	if (uid > UINT32_MAX || gid > UINT32_MAX)
		return berth_error_set(err, 0, "entry \"%s\": owner out of range", e->path);
	e->devmajor = (uint32_t)(t->has_major ? t->pax_major : major);
	e->devminor = (uint32_t)(t->has_minor ? t->pax_minor : minor);
	e->mtime_sec = t->has_mtime ? t->pax_mtime : (int64_t)mtime;
	e->mtime_nsec = t->has_mtime ? t->pax_mtime_nsec : 0;
	e->size = t->has_size ? t->pax_size : size;
	/* bounded so that size + padding never wraps */
	if (e->size > ((uint64_t)1 << 62))
		return berth_error_set(err, 0, "entry \"%s\": absurd size %llu", e->path,
				       (unsigned long long)e->size);
	if (e->type == BFS_REG && !e->hardlink) {
		t->remaining = e->size;
		t->padding = (BLOCK - e->size % BLOCK) % BLOCK;
	} else {
		/* only regular members carry data: skip any other's now */
		if (take(t, NULL, e->size + (BLOCK - e->size % BLOCK) % BLOCK, err) < 0)
			return -1;
		e->size = 0;
	}
	e->xattrs = t->xattrs;
	e->n_xattrs = t->n_xattrs;
	t->xattrs = NULL;
	t->n_xattrs = 0;
	clear_pending(t);
	return 0;
}

static bool all_zero(const unsigned char *h)
{
	for (int i = 0; i < BLOCK; i++)
		if (h[i])
			return false;
	return true;
}

int tar_next(struct tar_reader *t, struct tar_entry **out, struct berth_error *err)
{
	unsigned char h[BLOCK];

	/* skip what the caller did not read of the previous entry */
	if (take(t, NULL, t->remaining + t->padding, err) < 0)
		return -1;
	t->remaining = t->padding = 0;
	clear_entry(&t->entry);
	for (;;) {
		ssize_t avail = fill(t, BLOCK, err);
		char flag;

		if (avail < 0)
			return -1;
		if (avail == 0 && !t->pax_path && !t->gnu_path)
			return 0; /* EOF without end blocks: accepted, as GNU tar does */
		if (avail < BLOCK)
			return berth_error_set(err, 0, "tar stream truncated inside a header");
		memcpy(h, t->buf + t->pos, BLOCK);
		t->pos += BLOCK;
		if (all_zero(h))
			return 0; /* end of archive; the caller drains the padding */
		if (!checksum_ok(h))
			return berth_error_set(err, 0, "corrupt tar header (checksum mismatch)");
		flag = (char)h[156];
		if (flag == 'x' || flag == 'g' || flag == 'L' || flag == 'K') {
			uint64_t size;
			char *data = NULL;
			if (parse_num(h + 124, 12, &size) < 0 ||
			    read_meta(t, size, &data, err) < 0) {
				if (!err->msg)
					berth_error_set(err, 0, "corrupt tar header (bad size)");
				return -1;
			}
			int r = 0;
			if (flag == 'x' || flag == 'g')
				r = parse_pax(t, data, (size_t)size, flag == 'g', err);
			else if (flag == 'L') {
				free(t->gnu_path);
				t->gnu_path = xstrdup(data);
			} else {
				free(t->gnu_link);
				t->gnu_link = xstrdup(data);
			}
			free(data);
			if (r < 0)
				return -1;
			continue;
		}
		if (flag == 'S' || flag == 'M')
			return berth_error_set(err, 0, "GNU %s members are not supported",
					       flag == 'S' ? "sparse" : "multi-volume");
		if (flag == 'V')
			continue; /* a volume label names nothing */
		if (build_entry(t, h, err) < 0)
			return -1;
		*out = &t->entry;
		return 1;
	}
}

ssize_t tar_read_data(struct tar_reader *t, const void **data, struct berth_error *err)
{
	size_t len;
	ssize_t avail;

	if (t->remaining == 0)
		return 0;
	avail = fill(t, 1, err);
	if (avail < 0)
		return -1;
	if (avail == 0)
		return berth_error_set(err, 0, "tar stream truncated inside \"%s\"", t->entry.path);
	len = (size_t)avail < t->remaining ? (size_t)avail : (size_t)t->remaining;
	*data = t->buf + t->pos;
	t->pos += len;
	t->remaining -= len;
	return (ssize_t)len;
}
