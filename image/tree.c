// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * tree.c: `berth image tree`. Walks the union of every layer's metadata,
 * keeps the paths the overlay rules leave visible, and prints each with
 * the attributes berth-fs presents (metadata) and the data the host tree
 * holds (size, content hash, shared inodes for hardlink groups).
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../lib/digest.h"
#include "image.h"
#include "tree.h"
#include "../lib/util.h"

int image_open_stack(struct store *s, const char *id, struct bfs_stack *out,
		     struct berth_error *err)
{
	struct image *img;

	memset(out, 0, sizeof(*out));
	if (image_read(s, id, &img, err) < 0)
		return -1;
	out->layers = xcalloc(img->n_layers, sizeof(*out->layers));
	for (size_t i = 0; i < img->n_layers; i++) {
		/* the stack is top first, the record base first */
		if (store_layer_open(s, img->chain_ids[img->n_layers - 1 - i], &out->layers[i],
				     err) < 0) {
			image_free(img);
			image_close_stack(out);
			return -1;
		}
		out->n++;
	}
	image_free(img);
	return 0;
}

void image_close_stack(struct bfs_stack *st)
{
	for (size_t i = 0; i < st->n; i++)
		bfs_layer_release(&st->layers[i]);
	free(st->layers);
	memset(st, 0, sizeof(*st));
}

struct row {
	const char *path;
	const struct bfs_entry *e;
	size_t layer;
	dev_t dev;
	ino_t ino;
	off_t size;
	const char *group;
};

struct collect {
	const char **paths;
	size_t n, cap;
};

static int collect_path(struct bfs_entry *e, void *data)
{
	struct collect *c = data;

	if (e->type == BFS_WHITEOUT || strcmp(e->path, "/") == 0)
		return 0;
	if (c->n == c->cap)
		c->paths =
			xrealloc(c->paths, (c->cap = c->cap ? c->cap * 2 : 1024) * sizeof(char *));
	c->paths[c->n++] = e->path;
	return 0;
}

static int cmp_pathp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int cmp_ino(const void *a, const void *b)
{
	const struct row *x = *(struct row *const *)a, *y = *(struct row *const *)b;
	if (x->dev != y->dev)
		return x->dev < y->dev ? -1 : 1;
	if (x->ino != y->ino)
		return x->ino < y->ino ? -1 : 1;
	return strcmp(x->path, y->path);
}

/* Regular files sharing a host inode form a hardlink group named after
 * its smallest path. */
static void mark_groups(struct row *rows, size_t n)
{
	_cleanup_free_ struct row **v = xmalloc((n + 1) * sizeof(*v));
	size_t k = 0;

	for (size_t i = 0; i < n; i++)
		if (rows[i].e->type == BFS_REG)
			v[k++] = &rows[i];
	qsort(v, k, sizeof(*v), cmp_ino);
	for (size_t i = 0; i < k;) {
		size_t j = i + 1;
		while (j < k && v[j]->dev == v[i]->dev && v[j]->ino == v[i]->ino)
			j++;
		if (j - i > 1)
			for (size_t m = i; m < j; m++)
				v[m]->group = v[i]->path;
		i = j;
	}
}

static void print_xattrs(FILE *out, const struct bfs_entry *e)
{
	_cleanup_free_ size_t *order = xmalloc((e->n_xattrs + 1) * sizeof(size_t));

	if (e->n_xattrs == 0) {
		fputs("-", out);
		return;
	}
	for (size_t i = 0; i < e->n_xattrs; i++)
		order[i] = i;
	for (size_t i = 1; i < e->n_xattrs; i++) /* tiny: insertion sort by name */
		for (size_t j = i;
		     j > 0 && strcmp(e->xattrs[order[j - 1]].name, e->xattrs[order[j]].name) > 0;
		     j--) {
			size_t t = order[j];
			order[j] = order[j - 1];
			order[j - 1] = t;
		}
	for (size_t i = 0; i < e->n_xattrs; i++) {
		const struct bfs_xattr *x = &e->xattrs[order[i]];
		_cleanup_free_ char *name = bfs_escape(x->name);
		fprintf(out, "%s%s=", i ? ";" : "", name);
		for (size_t b = 0; b < x->len; b++) {
			unsigned char c = x->value[b];
			if (c == '\\')
				fputs("\\\\", out);
			else if (c == '\t')
				fputs("\\t", out);
			else if (c == '\n')
				fputs("\\n", out);
			else if (c == '\r')
				fputs("\\r", out);
			else if (c < 0x20 || c == 0x7f)
				fprintf(out, "\\x%02x", c);
			else
				fputc(c, out);
		}
	}
}

static int print_row(FILE *out, const struct bfs_stack *st, const struct row *r,
		     struct berth_error *err)
{
	const struct bfs_entry *e = r->e;
	const struct bfs_layer *l = &st->layers[r->layer];
	_cleanup_free_ char *path = bfs_escape(r->path);
	char type = e->type == BFS_SOCK ? 's' : e->type;

	fprintf(out, "%s\t%c\t%04o\t%u\t%u\t", path, type, e->type == BFS_LNK ? 0777 : e->mode,
		e->uid, e->gid);
	if (e->type == BFS_DIR) {
		fputs("-\t-\t-\t-\t", out);
	} else if (e->type == BFS_LNK) {
		_cleanup_free_ char *target = NULL, *esc = NULL;
		if (bfs_layer_readlink(l, r->path, &target) < 0)
			return berth_error_set(err, errno, "reading symlink %s", r->path);
		esc = bfs_escape(target);
		fprintf(out, "%zu\t%s\t-\t-\t", strlen(target), esc);
	} else if (e->type == BFS_REG) {
		_cleanup_close_ int fd = bfs_layer_open(l, r->path, O_RDONLY | O_NOFOLLOW);
		char digest[DIGEST_STR_LEN + 1];
		uint64_t size;
		_cleanup_free_ char *group = r->group ? bfs_escape(r->group) : NULL;

		if (fd < 0 || sha256_fd(fd, digest, &size, err) < 0) {
			if (!err->msg)
				berth_error_set(err, errno, "open %s in layer %.19s", r->path,
						l->name);
			return -1;
		}
		fprintf(out, "%llu\t-\t%s\t%s\t", (unsigned long long)size, digest_hex(digest),
			group ? group : "-");
	} else {
		fputs("0\t-\t-\t-\t", out);
	}
	print_xattrs(out, e);
	fputc('\n', out);
	return 0;
}

int image_tree(struct store *s, const char *id, FILE *out, struct berth_error *err)
{
	struct bfs_stack st;
	struct collect c = { 0 };
	_cleanup_free_ struct row *rows = NULL;
	size_t n = 0;
	int ret = -1;

	if (image_open_stack(s, id, &st, err) < 0)
		return -1;
	for (size_t i = 0; i < st.n; i++)
		bfs_meta_foreach(st.layers[i].meta, collect_path, &c);
	if (c.n)
		qsort(c.paths, c.n, sizeof(char *), cmp_pathp);
	rows = xcalloc(c.n + 1, sizeof(*rows));
	for (size_t i = 0; i < c.n; i++) {
		struct row *r = &rows[n];
		struct stat sb;

		if (i > 0 && strcmp(c.paths[i], c.paths[i - 1]) == 0)
			continue;
		r->e = bfs_stack_lookup(&st, c.paths[i], &r->layer);
		if (!r->e)
			continue;
		r->path = c.paths[i];
		if (r->e->type == BFS_REG) {
			_cleanup_close_ int fd =
				bfs_layer_open(&st.layers[r->layer], r->path, O_PATH | O_NOFOLLOW);
			if (fd < 0 || fstat(fd, &sb) < 0) {
				berth_error_set(err, errno, "%s in layer %.19s", r->path,
						st.layers[r->layer].name);
				goto out;
			}
			r->dev = sb.st_dev;
			r->ino = sb.st_ino;
		}
		n++;
	}
	mark_groups(rows, n);
	fputs("# path\ttype\tmode\tuid\tgid\tsize\tlink_target\tsha256\thardlink_group\txattrs\n",
	      out);
	for (size_t i = 0; i < n; i++)
		if (print_row(out, &st, &rows[i], err) < 0)
			goto out;
	ret = 0;
out:
	free(c.paths);
	image_close_stack(&st);
	return ret;
}
