// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * meta.c: the per-layer metadata table (a chained hash keyed by path) and
 * its text serialisation. Written once by the importer, read by berth-fs
 * and by `berth image tree`. Not concerned with merging layers
 * (image/layers.c) or with tar input (image/unpack.c).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../lib/util.h"
#include "meta.h"

#define META_HEADER "# berth-layer-meta 1\n"

/* A path of the table. Besides the hash chain, nodes form the tree of
 * their paths: parent is the node of the path's directory when the table
 * had it at insertion (else the node is an orphan, counted), children a
 * list. A walk then checks a child by its name alone, and a subtree is
 * removed in time proportional to its size, not to the table's. */
struct bfs_meta_node {
	struct bfs_entry *e;
	uint64_t hash;
	size_t len; /* strlen(e->path) */
	struct bfs_meta_node *next;
	struct bfs_meta_node *parent, *child, *sib_next, *sib_prev;
};

struct bfs_meta {
	struct bfs_meta_node **buckets;
	size_t n_buckets;
	size_t count;
	size_t n_whiteouts; /* the only entries a merged view does not show */
	size_t n_orphans;   /* nodes (not "/") inserted without their parent */
};

#define FNV_BASIS 1469598103934665603ULL

uint64_t bfs_hash_more(uint64_t h, const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) { /* FNV-1a */
		h ^= (unsigned char)s[i];
		h *= 1099511628211ULL;
	}
	return h;
}

uint64_t bfs_hash_path(const char *s)
{
	return bfs_hash_more(FNV_BASIS, s, strlen(s));
}

mode_t bfs_host_mode(char type, uint32_t mode)
{
	if (type == BFS_DIR)
		return (mode & 0755) | 0700;
	if (type == BFS_REG)
		return (mode & 0755) | 0600;
	return 0600;
}

struct bfs_meta *bfs_meta_new(void)
{
	struct bfs_meta *m = xcalloc(1, sizeof(*m));
	m->n_buckets = 256;
	m->buckets = xcalloc(m->n_buckets, sizeof(*m->buckets));
	return m;
}

void bfs_entry_free(struct bfs_entry *e)
{
	if (!e)
		return;
	for (size_t i = 0; i < e->n_xattrs; i++) {
		free(e->xattrs[i].name);
		free(e->xattrs[i].value);
	}
	free(e->xattrs);
	free(e->path);
	free(e);
}

void bfs_meta_free(struct bfs_meta *m)
{
	if (!m)
		return;
	for (size_t i = 0; i < m->n_buckets; i++) {
		struct bfs_meta_node *n = m->buckets[i];
		while (n) {
			struct bfs_meta_node *next = n->next;
			bfs_entry_free(n->e);
			free(n);
			n = next;
		}
	}
	free(m->buckets);
	free(m);
}

size_t bfs_meta_count(const struct bfs_meta *m)
{
	return m->count;
}

struct bfs_entry *bfs_entry_new(const char *path, char type)
{
	struct bfs_entry *e = xcalloc(1, sizeof(*e));
	e->path = xstrdup(path);
	e->type = type;
	return e;
}

void bfs_entry_add_xattr(struct bfs_entry *e, const char *name, const void *value, size_t len)
{
	e->xattrs = xrealloc(e->xattrs, (e->n_xattrs + 1) * sizeof(*e->xattrs));
	e->xattrs[e->n_xattrs].name = xstrdup(name);
	e->xattrs[e->n_xattrs].value = xmalloc(len);
	memcpy(e->xattrs[e->n_xattrs].value, value, len);
	e->xattrs[e->n_xattrs].len = len;
	e->n_xattrs++;
}

struct bfs_entry *bfs_entry_clone(const struct bfs_entry *src, const char *path)
{
	struct bfs_entry *e = xmalloc(sizeof(*e));
	*e = *src;
	e->path = xstrdup(path);
	e->xattrs = NULL;
	e->n_xattrs = 0;
	e->opaque = false;
	for (size_t i = 0; i < src->n_xattrs; i++)
		bfs_entry_add_xattr(e, src->xattrs[i].name, src->xattrs[i].value,
				    src->xattrs[i].len);
	return e;
}

const struct bfs_meta_node *bfs_meta_find(const struct bfs_meta *m, const char *path, size_t len,
					  uint64_t hash, const struct bfs_meta_node *parent)
{
	for (struct bfs_meta_node *n = m->buckets[hash & (m->n_buckets - 1)]; n; n = n->next) {
		if (n->hash != hash || n->len != len)
			continue;
		/* the parent's node has the parent's path: only the rest differs */
		size_t skip = parent && n->parent == parent ? parent->len : 0;
		if (memcmp(n->e->path + skip, path + skip, len - skip) == 0)
			return n;
	}
	return NULL;
}

struct bfs_entry *bfs_meta_node_entry(const struct bfs_meta_node *n)
{
	return n->e;
}

static struct bfs_meta_node *find_node(const struct bfs_meta *m, const char *path, size_t len)
{
	return (struct bfs_meta_node *)bfs_meta_find(m, path, len,
						     bfs_hash_more(FNV_BASIS, path, len), NULL);
}

struct bfs_entry *bfs_meta_get(const struct bfs_meta *m, const char *path)
{
	const struct bfs_meta_node *n = find_node(m, path, strlen(path));
	return n ? n->e : NULL;
}

static void grow(struct bfs_meta *m)
{
	size_t nb = m->n_buckets * 2;
	struct bfs_meta_node **b = xcalloc(nb, sizeof(*b));

	for (size_t i = 0; i < m->n_buckets; i++) {
		struct bfs_meta_node *n = m->buckets[i];
		while (n) {
			struct bfs_meta_node *next = n->next;
			n->next = b[n->hash & (nb - 1)];
			b[n->hash & (nb - 1)] = n;
			n = next;
		}
	}
	free(m->buckets);
	m->buckets = b;
	m->n_buckets = nb;
}

/* Hang n under the node of its path's directory, if the table has it. */
static void link_parent(struct bfs_meta *m, struct bfs_meta_node *n)
{
	const char *slash = strrchr(n->e->path, '/');
	size_t plen = slash ? (size_t)(slash - n->e->path) : 0;

	if (n->len == 1 && n->e->path[0] == '/')
		return; /* the root has no parent and is no orphan */
	n->parent = slash ? find_node(m, plen ? n->e->path : "/", plen ? plen : 1) : NULL;
	if (!n->parent) {
		m->n_orphans++;
		return;
	}
	n->sib_next = n->parent->child;
	if (n->sib_next)
		n->sib_next->sib_prev = n;
	n->parent->child = n;
}

struct bfs_entry *bfs_meta_put(struct bfs_meta *m, struct bfs_entry *e)
{
	size_t len = strlen(e->path);
	uint64_t h = bfs_hash_more(FNV_BASIS, e->path, len);
	struct bfs_meta_node *n = (struct bfs_meta_node *)bfs_meta_find(m, e->path, len, h, NULL);

	if (n) {
		m->n_whiteouts -= n->e->type == BFS_WHITEOUT;
		m->n_whiteouts += e->type == BFS_WHITEOUT;
		bfs_entry_free(n->e);
		n->e = e;
		return e;
	}
	m->n_whiteouts += e->type == BFS_WHITEOUT;
	if (m->count >= m->n_buckets)
		grow(m);
	n = xcalloc(1, sizeof(*n));
	n->e = e;
	n->hash = h;
	n->len = len;
	n->next = m->buckets[h & (m->n_buckets - 1)];
	m->buckets[h & (m->n_buckets - 1)] = n;
	m->count++;
	link_parent(m, n);
	return e;
}

static bool is_below(const char *path, const char *dir)
{
	size_t n = strlen(dir);
	if (strcmp(dir, "/") == 0)
		return path[1] != '\0';
	return strncmp(path, dir, n) == 0 && path[n] == '/';
}

/* Take n out of the table: its hash chain, its parent's children (or
 * the orphans), and make its remaining children orphans. */
static void unlink_node(struct bfs_meta *m, struct bfs_meta_node *n)
{
	struct bfs_meta_node **pn = &m->buckets[n->hash & (m->n_buckets - 1)];

	while (*pn != n)
		pn = &(*pn)->next;
	*pn = n->next;
	if (n->parent) {
		if (n->sib_prev)
			n->sib_prev->sib_next = n->sib_next;
		else
			n->parent->child = n->sib_next;
		if (n->sib_next)
			n->sib_next->sib_prev = n->sib_prev;
	} else if (!(n->len == 1 && n->e->path[0] == '/')) {
		m->n_orphans--;
	}
	for (struct bfs_meta_node *c = n->child, *next; c; c = next) {
		next = c->sib_next;
		c->parent = c->sib_next = c->sib_prev = NULL;
		m->n_orphans++;
	}
	m->n_whiteouts -= n->e->type == BFS_WHITEOUT;
	bfs_entry_free(n->e);
	free(n);
	m->count--;
}

/* Every node of n's subtree through the children lists (n first, each
 * node before its descendants), without recursion. */
static struct bfs_meta_node **subtree(struct bfs_meta_node *n, size_t *count)
{
	size_t cap = 64, k = 0;
	struct bfs_meta_node **v = xmalloc(cap * sizeof(*v));

	v[k++] = n;
	for (size_t i = 0; i < k; i++)
		for (struct bfs_meta_node *c = v[i]->child; c; c = c->sib_next) {
			if (k == cap)
				v = xrealloc(v, (cap *= 2) * sizeof(*v));
			v[k++] = c;
		}
	*count = k;
	return v;
}

void bfs_meta_remove(struct bfs_meta *m, const char *path, bool subtree_too)
{
	struct bfs_meta_node *n = find_node(m, path, strlen(path));

	if (!n && m->n_orphans == 0)
		return; /* every path has its parent here: nothing is below */
	if (!subtree_too || (m->n_orphans == 0 && n)) {
		size_t k = 0;
		_cleanup_free_ struct bfs_meta_node **v = n && subtree_too ? subtree(n, &k) : NULL;

		/* descendants first, so none of them passes through orphanhood */
		while (k > 0)
			unlink_node(m, v[--k]);
		if (n && !subtree_too)
			unlink_node(m, n);
		return;
	}
	/* orphans (a table whose paths came without their parents) may be
	 * below path without being linked to it: scan the whole table */
	if (n)
		unlink_node(m, n);
	for (size_t i = 0; i < m->n_buckets; i++) {
		struct bfs_meta_node *c = m->buckets[i];
		while (c) {
			struct bfs_meta_node *next = c->next;
			if (is_below(c->e->path, path))
				unlink_node(m, c);
			c = next;
		}
	}
}

void bfs_meta_replay(struct bfs_meta *m, char *buf, size_t len)
{
	char *p = buf, *end = buf + len;

	while (p < end) {
		char *nl = memchr(p, '\n', (size_t)(end - p));
		struct bfs_entry *e;

		if (!nl)
			break; /* a line cut by a crash: its change never happened */
		*nl = '\0';
		if (p[0] == '+' && p[1] == '\t' && bfs_entry_parse(p + 2, &e) == 0)
			bfs_meta_put(m, e);
		else if (p[0] == '-' && p[1] == '\t' && bfs_unescape(p + 2) == 0 && p[2] == '/')
			bfs_meta_remove(m, p + 2, true);
		p = nl + 1;
	}
}

size_t bfs_meta_whiteouts(const struct bfs_meta *m)
{
	return m->n_whiteouts;
}

int bfs_meta_foreach(const struct bfs_meta *m, int (*fn)(struct bfs_entry *e, void *data),
		     void *data)
{
	for (size_t i = 0; i < m->n_buckets; i++)
		for (struct bfs_meta_node *n = m->buckets[i]; n; n = n->next) {
			int r = fn(n->e, data);
			if (r)
				return r;
		}
	return 0;
}

static int cmp_entry(const void *a, const void *b)
{
	const struct bfs_entry *x = *(struct bfs_entry *const *)a;
	const struct bfs_entry *y = *(struct bfs_entry *const *)b;
	return strcmp(x->path, y->path);
}

struct bfs_entry **bfs_meta_sorted(const struct bfs_meta *m, size_t *n)
{
	struct bfs_entry **v = xmalloc(m->count * sizeof(*v));
	size_t k = 0;

	for (size_t i = 0; i < m->n_buckets; i++)
		for (struct bfs_meta_node *nd = m->buckets[i]; nd; nd = nd->next)
			v[k++] = nd->e;
	qsort(v, k, sizeof(*v), cmp_entry);
	*n = k;
	return v;
}

/* Escaping shared with the TSV output of `berth image tree`. Characters in
 * extra are escaped as \xHH too (the xattr name separators). */
static void escape_into(const char *s, const char *extra, char **buf, size_t *len, size_t *cap)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		char tmp[5];
		const char *add = tmp;

		if (c == '\\')
			add = "\\\\";
		else if (c == '\t')
			add = "\\t";
		else if (c == '\n')
			add = "\\n";
		else if (c == '\r')
			add = "\\r";
		else if (c < 0x20 || c == 0x7f || (extra && strchr(extra, c)))
			snprintf(tmp, sizeof(tmp), "\\x%02x", c);
		else {
			tmp[0] = (char)c;
			tmp[1] = '\0';
		}
		size_t al = strlen(add);
		if (*len + al + 1 > *cap) {
			*cap = (*cap + al + 1) * 2;
			*buf = xrealloc(*buf, *cap);
		}
		memcpy(*buf + *len, add, al);
		*len += al;
		(*buf)[*len] = '\0';
	}
}

char *bfs_escape(const char *s)
{
	size_t len = 0, cap = strlen(s) + 1;
	char *buf = xmalloc(cap);
	buf[0] = '\0';
	escape_into(s, NULL, &buf, &len, &cap);
	return buf;
}

int bfs_unescape(char *s)
{
	char *w = s;
	for (char *r = s; *r; r++) {
		if (*r != '\\') {
			*w++ = *r;
			continue;
		}
		r++;
		switch (*r) {
		case '\\': *w++ = '\\'; break;
		case 't': *w++ = '\t'; break;
		case 'n': *w++ = '\n'; break;
		case 'r': *w++ = '\r'; break;
		case 'x': {
			unsigned v;
			if (sscanf(r + 1, "%2x", &v) != 1 || !r[1] || !r[2] || v == 0)
				return -1;
			*w++ = (char)v;
			r += 2;
			break;
		}
		default: return -1;
		}
	}
	*w = '\0';
	return 0;
}

static void append_str(char **buf, size_t *len, size_t *cap, const char *s)
{
	size_t n = strlen(s);
	if (*len + n + 1 > *cap) {
		*cap = (*cap + n + 1) * 2;
		*buf = xrealloc(*buf, *cap);
	}
	memcpy(*buf + *len, s, n + 1);
	*len += n;
}

static void format_entry(const struct bfs_entry *e, char **buf, size_t *len, size_t *cap)
{
	char num[160];

	escape_into(e->path, NULL, buf, len, cap);
	snprintf(num, sizeof(num),
		 "\t%c\t%s\t%04o\t%" PRIu32 "\t%" PRIu32 "\t%" PRIu32 ":%" PRIu32 "\t%" PRId64
		 ".%09" PRIu32 "\t",
		 e->type, e->opaque ? "o" : "-", e->mode & 07777, e->uid, e->gid, e->rdev_major,
		 e->rdev_minor, e->mtime_sec, e->mtime_nsec);
	append_str(buf, len, cap, num);
	if (e->n_xattrs == 0)
		append_str(buf, len, cap, "-");
	for (size_t i = 0; i < e->n_xattrs; i++) {
		if (i)
			append_str(buf, len, cap, ",");
		escape_into(e->xattrs[i].name, "=,", buf, len, cap);
		append_str(buf, len, cap, "=");
		for (size_t j = 0; j < e->xattrs[i].len; j++) {
			snprintf(num, sizeof(num), "%02x", e->xattrs[i].value[j]);
			append_str(buf, len, cap, num);
		}
	}
	append_str(buf, len, cap, "\n");
}

char *bfs_entry_format(const struct bfs_entry *e)
{
	size_t len = 0, cap = 256;
	char *buf = xmalloc(cap);

	buf[0] = '\0';
	format_entry(e, &buf, &len, &cap);
	return buf;
}

int bfs_meta_write(const struct bfs_meta *m, int fd, struct berth_error *err)
{
	size_t n, len = 0, cap = 1 << 16;
	_cleanup_free_ struct bfs_entry **v = bfs_meta_sorted(m, &n);
	_cleanup_free_ char *buf = xmalloc(cap);

	buf[0] = '\0';
	append_str(&buf, &len, &cap, META_HEADER);
	for (size_t i = 0; i < n; i++) {
		format_entry(v[i], &buf, &len, &cap);
		if (len > (1 << 20)) {
			if (write_all(fd, buf, len) < 0)
				return berth_error_set(err, errno, "write layer metadata");
			len = 0;
		}
	}
	if (write_all(fd, buf, len) < 0)
		return berth_error_set(err, errno, "write layer metadata");
	return 0;
}

static int parse_xattrs(struct bfs_entry *e, char *s)
{
	if (strcmp(s, "-") == 0)
		return 0;
	char *save = NULL;
	for (char *tok = strtok_r(s, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(tok, '=');
		size_t hl;
		if (!eq)
			return -1;
		*eq = '\0';
		hl = strlen(eq + 1);
		if (hl % 2 || bfs_unescape(tok) < 0 || !*tok)
			return -1;
		_cleanup_free_ unsigned char *val = xmalloc(hl / 2 + 1);
		for (size_t i = 0; i < hl / 2; i++) {
			unsigned v;
			if (sscanf(eq + 1 + 2 * i, "%2x", &v) != 1)
				return -1;
			val[i] = (unsigned char)v;
		}
		bfs_entry_add_xattr(e, tok, val, hl / 2);
	}
	return 0;
}

static int parse_line(char *line, struct bfs_entry **out)
{
	char *f[9];
	int nf = 0;
	char *p = line;
	unsigned mode, maj, min;
	unsigned long uid, gid;
	long long sec;
	unsigned long nsec;
	struct bfs_entry *e;

	while (nf < 9) {
		f[nf++] = p;
		p = strchr(p, '\t');
		if (!p)
			break;
		*p++ = '\0';
	}
	if (nf != 9 || p)
		return -1;
	if (bfs_unescape(f[0]) < 0 || f[0][0] != '/' || strlen(f[1]) != 1 ||
	    !strchr("fdlpscbw", f[1][0]) || (strcmp(f[2], "-") && strcmp(f[2], "o")))
		return -1;
	if (sscanf(f[3], "%o", &mode) != 1 || mode > 07777 || sscanf(f[4], "%lu", &uid) != 1 ||
	    uid > UINT32_MAX || sscanf(f[5], "%lu", &gid) != 1 || gid > UINT32_MAX ||
	    sscanf(f[6], "%u:%u", &maj, &min) != 2 || sscanf(f[7], "%lld.%lu", &sec, &nsec) != 2 ||
	    nsec >= 1000000000UL)
		return -1;
	e = bfs_entry_new(f[0], f[1][0]);
	e->opaque = f[2][0] == 'o';
	e->mode = mode;
	e->uid = (uint32_t)uid;
	e->gid = (uint32_t)gid;
	e->rdev_major = maj;
	e->rdev_minor = min;
	e->mtime_sec = sec;
	e->mtime_nsec = (uint32_t)nsec;
	if (parse_xattrs(e, f[8]) < 0) {
		bfs_entry_free(e);
		return -1;
	}
	*out = e;
	return 0;
}

int bfs_entry_parse(char *line, struct bfs_entry **out)
{
	return parse_line(line, out);
}

int bfs_meta_parse(const char *buf, size_t len, struct bfs_meta **out, struct berth_error *err)
{
	struct bfs_meta *m;
	const char *p = buf, *end = buf + len;
	size_t lineno = 0;

	if (len < strlen(META_HEADER) || memcmp(buf, META_HEADER, strlen(META_HEADER)) != 0)
		return berth_error_set(err, 0, "not a berth layer metadata file (bad header)");
	m = bfs_meta_new();
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		struct bfs_entry *e;

		lineno++;
		if (!nl) {
			bfs_meta_free(m);
			return berth_error_set(err, 0, "line %zu: missing newline", lineno);
		}
		if (lineno > 1) {
			_cleanup_free_ char *line = xstrndup(p, (size_t)(nl - p));
			if (strlen(line) != (size_t)(nl - p) || parse_line(line, &e) < 0) {
				bfs_meta_free(m);
				return berth_error_set(err, 0, "line %zu: malformed entry", lineno);
			}
			bfs_meta_put(m, e);
		}
		p = nl + 1;
	}
	*out = m;
	return 0;
}

int bfs_meta_read(int dirfd, const char *name, struct bfs_meta **out, struct berth_error *err)
{
	_cleanup_free_ char *buf = NULL;
	size_t len;

	if (read_file_at(dirfd, name, (size_t)1 << 31, &buf, &len, err) < 0)
		return -1;
	if (bfs_meta_parse(buf, len, out, err) < 0)
		return berth_error_wrap(err, "%s", name);
	return 0;
}
